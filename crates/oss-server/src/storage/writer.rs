//! Streams data into a temporary file while hashing it (MD5 and CRC-64/XZ).
//!
//! Data is gathered in a buffer of at most [`WRITE_BUFFER`] bytes and written to the file in one
//! blocking call whenever the buffer fills, so memory per upload stays bounded and a small
//! object costs a single blocking call (create + write + trailer + fsync) when sealed. The file
//! lives in the bucket's `tmp/` directory (same filesystem as the objects), is fsynced before it
//! is renamed into place, and is removed if the writer is dropped before it was committed.
//!
//! A request body larger than the buffer ([`StagingFile::write_bytes`]) switches to a pipeline:
//! each body chunk (reference-counted [`Bytes`], never copied) goes to the shared MD5 service
//! ([`super::md5_service`], which hashes concurrent uploads together in lanes) and to a file
//! writing thread of the upload's own, while the request task computes the CRC-64. Each of the
//! two queues holds at most a few MiB per upload (back-pressure on the request body).

use std::io::Write;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use jitstore_oss::crc64::Crc64;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::byte_budget::ByteBudget;
use super::md5_lanes::Md5Hasher;
use super::md5_service::HashStream;
use super::meta::encode_trailer;

/// Bytes gathered before they are written out: bounds memory per upload.
pub const WRITE_BUFFER: usize = 256 * 1024;

/// Bytes one upload may have queued for its file writing thread.
const WRITE_BUDGET: usize = 4 * 1024 * 1024;

/// A data file being written; becomes visible only through [`super::Bucket::commit`].
pub struct StagingFile {
    /// Created lazily by the first flush (or the seal).
    file: Option<std::fs::File>,
    buf: Vec<u8>,
    path: PathBuf,
    md5: Md5Hasher,
    crc: Crc64,
    size: u64,
    committed: bool,
    /// Keeps the bucket's in-flight write count up while the file lives.
    _guard: Option<super::WriterGuard>,
    /// The MD5 service stream and the writing thread, while a large body streams in.
    pipeline: Option<Pipeline>,
}

/// What the writing thread receives.
enum ToWriter {
    /// A chunk and the budget it took.
    Data(Bytes, u32),
    /// All data was sent: keep the file (otherwise the writer removes it).
    Finish,
}

/// The MD5 stream and the writing thread of a large upload.
struct Pipeline {
    hash: HashStream,
    write_tx: mpsc::UnboundedSender<ToWriter>,
    write_budget: ByteBudget,
    write_done: JoinHandle<std::io::Result<Option<std::fs::File>>>,
}

fn write_thread(
    path: PathBuf,
    file: Option<std::fs::File>,
    first: Vec<u8>,
    mut rx: mpsc::UnboundedReceiver<ToWriter>,
    budget: ByteBudget,
) -> std::io::Result<Option<std::fs::File>> {
    let mut file = match file {
        Some(f) => f,
        None => open_new(&path)?,
    };
    let written = (|| {
        file.write_all(&first)?;
        loop {
            match rx.blocking_recv() {
                Some(ToWriter::Data(chunk, taken)) => {
                    let result = file.write_all(&chunk);
                    budget.give_back(taken);
                    result?;
                }
                Some(ToWriter::Finish) => return Ok(true),
                // The upload was abandoned: its file must not outlive it.
                None => return Ok(false),
            }
        }
    })();
    // A request task waiting for budget must learn that nobody writes any more.
    budget.close();
    match written {
        Ok(true) => Ok(Some(file)),
        other => {
            drop(file);
            let _ = std::fs::remove_file(&path);
            other.map(|_| None)
        }
    }
}

/// The hashes of the data written to a [`StagingFile`].
#[derive(Clone, Debug)]
pub struct DataDigest {
    /// Raw MD5 of the data.
    pub md5: [u8; 16],
    /// CRC-64/XZ of the data.
    pub crc64: u64,
    /// Number of data bytes.
    pub size: u64,
}

impl DataDigest {
    /// Upper-case hex MD5 (the ETag of a simple upload, without quotes).
    pub fn md5_hex(&self) -> String {
        hex::encode_upper(self.md5)
    }

    /// Base64 MD5 (the `Content-MD5` form).
    pub fn md5_base64(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(self.md5)
    }
}

fn open_new(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(std::io::Error::other)?
}

impl StagingFile {
    /// Names a new temporary file in `tmp_dir` (created on first write).
    pub async fn create(tmp_dir: &Path) -> std::io::Result<Self> {
        if !tmp_dir.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("staging directory {} is missing", tmp_dir.display()),
            ));
        }
        let name = format!("{:032x}.tmp", rand::random::<u128>());
        Ok(StagingFile {
            file: None,
            buf: Vec::new(),
            path: tmp_dir.join(name),
            md5: Md5Hasher::new(),
            crc: Crc64::new(),
            size: 0,
            committed: false,
            _guard: None,
            pipeline: None,
        })
    }

    /// Appends a chunk of a request body. Small bodies take the buffered path of
    /// [`StagingFile::write`]; once more than [`WRITE_BUFFER`] bytes arrive, MD5 and file writes
    /// move to the MD5 service and a writing thread. Call [`StagingFile::finish_writes`] after
    /// the last chunk.
    pub async fn write_bytes(&mut self, chunk: Bytes) -> std::io::Result<()> {
        if self.pipeline.is_none() {
            if self.file.is_none() && self.buf.len() + chunk.len() <= WRITE_BUFFER {
                return self.write(&chunk).await;
            }
            if self.committed {
                return Err(std::io::Error::other("staging file already committed"));
            }
            self.start_pipeline()?;
        }
        if chunk.is_empty() {
            return Ok(());
        }
        self.crc.update(&chunk);
        self.size += chunk.len() as u64;
        let Some(p) = self.pipeline.as_mut() else {
            return Ok(());
        };
        let sent = match p.hash.send(chunk.clone()).await {
            Ok(()) => match p.write_budget.take(chunk.len()).await {
                Ok(taken) => p.write_tx.send(ToWriter::Data(chunk, taken)).is_ok(),
                Err(_) => false,
            },
            Err(e) => return Err(e),
        };
        if sent {
            return Ok(());
        }
        // The writing thread stopped: its result says why.
        self.finish_writes().await?;
        Err(std::io::Error::other("the staging writer stopped"))
    }

    fn start_pipeline(&mut self) -> std::io::Result<()> {
        let hash = HashStream::open(std::mem::take(&mut self.md5))?;
        let (write_tx, write_rx) = mpsc::unbounded_channel();
        let write_budget = ByteBudget::new(WRITE_BUDGET);
        let first = std::mem::take(&mut self.buf);
        let file = self.file.take();
        let path = self.path.clone();
        let budget = write_budget.clone();
        self.pipeline = Some(Pipeline {
            hash,
            write_tx,
            write_budget,
            write_done: tokio::task::spawn_blocking(move || {
                write_thread(path, file, first, write_rx, budget)
            }),
        });
        Ok(())
    }

    /// Waits for the MD5 service and the writing thread (if a large body streamed in) to hash
    /// and write everything sent; afterwards [`StagingFile::digest`] is complete and
    /// [`StagingFile::seal`] may follow.
    pub async fn finish_writes(&mut self) -> std::io::Result<()> {
        let Some(p) = self.pipeline.take() else {
            return Ok(());
        };
        let _ = p.write_tx.send(ToWriter::Finish);
        drop(p.write_tx);
        let hashed = p.hash.finish().await;
        let file = p.write_done.await.map_err(std::io::Error::other)??;
        self.md5 = hashed?;
        self.file = Some(file.ok_or_else(|| std::io::Error::other("the staging writer stopped"))?);
        Ok(())
    }

    /// Ties the file to a bucket's in-flight write count.
    pub(crate) fn with_guard(mut self, guard: super::WriterGuard) -> Self {
        self._guard = Some(guard);
        self
    }

    /// Appends data bytes.
    pub async fn write(&mut self, mut chunk: &[u8]) -> std::io::Result<()> {
        if self.committed {
            return Err(std::io::Error::other("staging file already committed"));
        }
        if self.pipeline.is_some() {
            self.finish_writes().await?;
        }
        self.md5.update(chunk);
        self.crc.update(chunk);
        self.size += chunk.len() as u64;
        while !chunk.is_empty() {
            let room = WRITE_BUFFER - self.buf.len();
            let n = room.min(chunk.len());
            self.buf.extend_from_slice(&chunk[..n]);
            chunk = &chunk[n..];
            if self.buf.len() >= WRITE_BUFFER {
                self.flush_buffer().await?;
            }
        }
        Ok(())
    }

    async fn flush_buffer(&mut self) -> std::io::Result<()> {
        let file = self.file.take();
        let path = self.path.clone();
        let buf = std::mem::take(&mut self.buf);
        let (file, mut buf) = blocking(move || {
            let mut file = match file {
                Some(f) => f,
                None => open_new(&path)?,
            };
            file.write_all(&buf)?;
            let mut buf = buf;
            buf.clear();
            Ok((file, buf))
        })
        .await?;
        self.file = Some(file);
        std::mem::swap(&mut self.buf, &mut buf);
        Ok(())
    }

    /// Data bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Hashes of the data written so far.
    pub fn digest(&self) -> DataDigest {
        DataDigest {
            md5: self.md5.finalize(),
            crc64: self.crc.finish(),
            size: self.size,
        }
    }

    /// Writes the rest of the data and the metadata trailer, then fsyncs the file.
    pub async fn seal<T: Serialize>(&mut self, meta: &T) -> std::io::Result<()> {
        self.finish_writes().await?;
        let trailer = encode_trailer(meta).map_err(std::io::Error::other)?;
        let file = self.file.take();
        let path = self.path.clone();
        let buf = std::mem::take(&mut self.buf);
        let file = blocking(move || {
            let mut file = match file {
                Some(f) => f,
                None => open_new(&path)?,
            };
            file.write_all(&buf)?;
            file.write_all(&trailer)?;
            file.sync_all()?;
            Ok(file)
        })
        .await?;
        self.file = Some(file);
        Ok(())
    }

    /// The temporary path (for the final rename).
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Marks the file as renamed away so that drop does not remove it.
    pub(crate) fn mark_committed(&mut self) {
        self.committed = true;
        self.file = None;
    }
}

impl Drop for StagingFile {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort (the file may not exist yet); leftovers are also swept at start.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use md5::{Digest, Md5};

    const BATCH: usize = 1024 * 1024;

    fn data(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn pipelined_writes_hash_and_store_every_byte_in_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let body = data(3 * BATCH + 12_345);
        let mut staging = StagingFile::create(dir.path()).await.expect("staging");
        // Small chunks first (buffered path), then larger ones (pipeline).
        let mut at = 0;
        for size in [1000usize, 70_000, 300_000].iter().cycle() {
            if at >= body.len() {
                break;
            }
            let end = (at + size).min(body.len());
            staging
                .write_bytes(Bytes::copy_from_slice(&body[at..end]))
                .await
                .expect("write");
            at = end;
        }
        staging.finish_writes().await.expect("finish");
        let digest = staging.digest();
        assert_eq!(digest.md5, <[u8; 16]>::from(Md5::digest(&body)));
        assert_eq!(digest.crc64, jitstore_oss::crc64::checksum(&body));
        assert_eq!(digest.size, body.len() as u64);
        staging
            .seal(&serde_json::json!({"k": 1}))
            .await
            .expect("seal");
        let stored = std::fs::read(staging.path()).expect("read back");
        assert_eq!(&stored[..body.len()], &body[..]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_pipelined_writes_of_different_sizes_each_get_their_md5() {
        let dir = tempfile::tempdir().expect("temp dir");
        let sizes = [
            WRITE_BUFFER + 1,
            BATCH + 63,
            2 * BATCH,
            5 * BATCH + 1000,
            300_000,
        ];
        let mut tasks = Vec::new();
        for (n, size) in sizes.into_iter().enumerate() {
            let tmp = dir.path().to_path_buf();
            tasks.push(tokio::spawn(async move {
                let body: Vec<u8> = data(size).iter().map(|b| b ^ n as u8).collect();
                let mut staging = StagingFile::create(&tmp).await.expect("staging");
                for chunk in body.chunks(40_000 + 1_111 * n) {
                    staging
                        .write_bytes(Bytes::copy_from_slice(chunk))
                        .await
                        .expect("write");
                }
                staging.finish_writes().await.expect("finish");
                let digest = staging.digest();
                staging.seal(&serde_json::json!({})).await.expect("seal");
                let stored = std::fs::read(staging.path()).expect("read back");
                assert_eq!(&stored[..body.len()], &body[..], "data of {size} bytes");
                assert_eq!(
                    digest.md5,
                    <[u8; 16]>::from(Md5::digest(&body)),
                    "MD5 of {size} bytes"
                );
                assert_eq!(digest.size, size as u64);
            }));
        }
        for task in tasks {
            task.await.expect("join");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_abandoned_pipelined_write_leaves_no_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut staging = StagingFile::create(dir.path()).await.expect("staging");
        for _ in 0..4 {
            staging
                .write_bytes(Bytes::from(data(BATCH)))
                .await
                .expect("write");
        }
        drop(staging);
        for _ in 0..100 {
            if std::fs::read_dir(dir.path()).expect("list").count() == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("the staging file of an abandoned write was left behind");
    }
}
