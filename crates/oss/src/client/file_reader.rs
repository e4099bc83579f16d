//! Reading a range of a local file as a stream of upload chunks: reads inline while they are
//! page-cache fast, from the blocking pool once one is slow.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::Stream;

use super::file_writer::{SlowFileIo, SLOW_FILE_IO};

/// Bytes per chunk: large enough that a 512 MiB upload costs about 2,000 reads (not 8,000 of
/// 64 KiB), small enough that a chunk is a short copy and the HTTP writer holds little.
pub(crate) const READ_CHUNK: usize = 256 * 1024;

/// The next `len` bytes of `file` from its current position, as chunks of [`READ_CHUNK`]
/// bytes. `path` names the file in errors. A file that ends early yields an
/// `UnexpectedEof` error naming the missing bytes.
///
/// Each chunk is read inline, into a fresh buffer that is not zeroed first, while reads take
/// less than [`SLOW_FILE_IO`]: from the page cache a read is a copy shorter than the socket
/// write that sends it, and a blocking-pool hop per chunk (what `tokio::fs::File` does) costs
/// two thread wake-ups. Once reads look blocking ([`SlowFileIo`]: a cold disk, a network
/// file system) the rest is read from the blocking pool.
pub(crate) fn file_chunks(
    file: std::fs::File,
    path: &Path,
    len: u64,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    file_chunks_with(file, path, len, SLOW_FILE_IO)
}

/// [`file_chunks`] with another slow-read bar (tests: `Duration::ZERO` offloads after the
/// first few reads).
fn file_chunks_with(
    file: std::fs::File,
    path: &Path,
    len: u64,
    slow_read: Duration,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    let reader = ChunkReader {
        file: Arc::new(file),
        path: Arc::from(path),
        left: len,
        offloaded: false,
        slow_read: SlowFileIo::new(slow_read),
    };
    futures::stream::try_unfold(reader, |mut reader| async move {
        let chunk = reader.next_chunk().await?;
        Ok(chunk.map(|c| (c, reader)))
    })
}

/// The state of one [`file_chunks`] stream.
struct ChunkReader {
    /// Read through `&File` (its cursor): one read in flight at a time keeps the order.
    file: Arc<std::fs::File>,
    path: Arc<Path>,
    left: u64,
    offloaded: bool,
    slow_read: SlowFileIo,
}

impl ChunkReader {
    async fn next_chunk(&mut self) -> std::io::Result<Option<Bytes>> {
        if self.left == 0 {
            return Ok(None);
        }
        let want = usize::try_from(self.left).map_or(READ_CHUNK, |l| l.min(READ_CHUNK));
        let chunk = if self.offloaded {
            let file = self.file.clone();
            tokio::task::spawn_blocking(move || read_chunk(&file, want))
                .await
                .map_err(|e| std::io::Error::other(format!("file read task: {e}")))??
        } else {
            let started = Instant::now();
            let chunk = read_chunk(&self.file, want)?;
            if self.slow_read.is_blocking_after(started.elapsed()) {
                tracing::debug!(
                    path = %self.path.display(),
                    elapsed_us = started.elapsed().as_micros() as u64,
                    "slow file reads; reading from the blocking pool from now on"
                );
                self.offloaded = true;
            }
            chunk
        };
        if chunk.len() < want {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "{} ended {} bytes before the end of the range being uploaded",
                    PathBuf::from(&*self.path).display(),
                    self.left - chunk.len() as u64
                ),
            ));
        }
        self.left -= chunk.len() as u64;
        Ok(Some(chunk))
    }
}

/// Up to `want` bytes from the file's cursor (fewer only at its end), into a buffer that is
/// filled by the reads without being zeroed first.
fn read_chunk(file: &std::fs::File, want: usize) -> std::io::Result<Bytes> {
    let mut buf = Vec::with_capacity(want);
    file.take(want as u64).read_to_end(&mut buf)?;
    Ok(Bytes::from(buf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;
    use std::io::{Seek, SeekFrom};

    fn temp_file(tag: &str, data: &[u8]) -> (PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!("jitstore-fr-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.bin");
        std::fs::write(&path, data).unwrap();
        (dir, path)
    }

    async fn collect(
        file: std::fs::File,
        path: &Path,
        len: u64,
        slow_read: Duration,
    ) -> std::io::Result<Vec<Bytes>> {
        let mut stream = Box::pin(file_chunks_with(file, path, len, slow_read));
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            out.push(chunk?);
        }
        Ok(out)
    }

    #[tokio::test]
    async fn streams_a_range_in_read_chunks_inline_and_offloaded() {
        for slow_read in [SLOW_FILE_IO, Duration::ZERO] {
            streams_a_range(slow_read).await;
        }
    }

    async fn streams_a_range(slow_read: Duration) {
        // Five full chunks: against a zero bar the first three are read inline (each one
        // "slow"), the rest from the blocking pool.
        let data: Vec<u8> = (0..(6 * READ_CHUNK + 1234) as u32)
            .map(|i| (i % 253) as u8)
            .collect();
        let (dir, path) = temp_file(&format!("range-{}", slow_read.as_nanos()), &data);
        let mut file = std::fs::File::open(&path).unwrap();
        let offset = 1000u64;
        file.seek(SeekFrom::Start(offset)).unwrap();
        let len = (5 * READ_CHUNK + 77) as u64;
        let chunks = collect(file, &path, len, slow_read).await.unwrap();
        let sizes: Vec<usize> = chunks.iter().map(Bytes::len).collect();
        assert_eq!(sizes, [vec![READ_CHUNK; 5], vec![77]].concat());
        let joined: Vec<u8> = chunks.concat();
        assert_eq!(
            &joined[..],
            &data[offset as usize..offset as usize + len as usize]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_file_shorter_than_the_range_is_an_error_naming_it() {
        let (dir, path) = temp_file("short", &[7u8; 1000]);
        let file = std::fs::File::open(&path).unwrap();
        let err = collect(file, &path, 1500, SLOW_FILE_IO).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
        let text = err.to_string();
        assert!(
            text.contains("f.bin") && text.contains("500 bytes"),
            "{text}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
