//! Streams data into a temporary file while hashing it (MD5 and CRC-64/XZ).
//!
//! Data is gathered in a buffer of at most [`WRITE_BUFFER`] bytes and written to the file in one
//! blocking call whenever the buffer fills, so memory per upload stays bounded and a small
//! object costs a single blocking call (create + write + trailer + fsync) when sealed. The file
//! lives in the bucket's `tmp/` directory (same filesystem as the objects), is fsynced before it
//! is renamed into place, and is removed if the writer is dropped before it was committed.
//!
//! A request body larger than the buffer ([`StagingFile::write_bytes`]) switches to a pipeline:
//! MD5 (the costliest step) runs on one blocking thread and the file writes on another, fed
//! with 1 MiB batches over bounded channels, while the request task receives the body and
//! computes the CRC-64. Ingest is then bound by MD5 alone rather than by the sum of the steps.

use std::io::Write;
use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use jitstore_oss::crc64::Crc64;
use md5::{Digest, Md5};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::meta::encode_trailer;

/// Bytes gathered before they are written out: bounds memory per upload.
pub const WRITE_BUFFER: usize = 256 * 1024;

/// A data file being written; becomes visible only through [`super::Bucket::commit`].
pub struct StagingFile {
    /// Created lazily by the first flush (or the seal).
    file: Option<std::fs::File>,
    buf: Vec<u8>,
    path: PathBuf,
    md5: Md5,
    crc: Crc64,
    size: u64,
    committed: bool,
    /// Keeps the bucket's in-flight write count up while the file lives.
    _guard: Option<super::WriterGuard>,
    /// Hashing and writing threads, while a large body streams in.
    pipeline: Option<Pipeline>,
}

/// Bytes sent to the pipeline threads at a time.
const BATCH: usize = 1024 * 1024;

/// What the pipeline threads receive.
enum Batch {
    Data(Bytes),
    /// All data was sent: keep the file (otherwise the writer removes it).
    Finish,
}

/// The MD5 and write threads of a large upload.
struct Pipeline {
    batch: BytesMut,
    md5_tx: mpsc::Sender<Batch>,
    write_tx: mpsc::Sender<Batch>,
    md5_done: JoinHandle<Md5>,
    write_done: JoinHandle<std::io::Result<Option<std::fs::File>>>,
}

fn md5_thread(mut md5: Md5, mut rx: mpsc::Receiver<Batch>) -> Md5 {
    while let Some(Batch::Data(b)) = rx.blocking_recv() {
        md5.update(&b);
    }
    md5
}

fn write_thread(
    path: PathBuf,
    file: Option<std::fs::File>,
    first: Vec<u8>,
    mut rx: mpsc::Receiver<Batch>,
) -> std::io::Result<Option<std::fs::File>> {
    let mut file = match file {
        Some(f) => f,
        None => open_new(&path)?,
    };
    let written = (|| {
        file.write_all(&first)?;
        loop {
            match rx.blocking_recv() {
                Some(Batch::Data(b)) => file.write_all(&b)?,
                Some(Batch::Finish) => return Ok(true),
                // The upload was abandoned: its file must not outlive it.
                None => return Ok(false),
            }
        }
    })();
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
            md5: Md5::new(),
            crc: Crc64::new(),
            size: 0,
            committed: false,
            _guard: None,
            pipeline: None,
        })
    }

    /// Appends a chunk of a request body. Small bodies take the buffered path of
    /// [`StagingFile::write`]; once more than [`WRITE_BUFFER`] bytes arrive, MD5 and file writes
    /// move to their own threads. Call [`StagingFile::finish_writes`] after the last chunk.
    pub async fn write_bytes(&mut self, chunk: Bytes) -> std::io::Result<()> {
        if self.pipeline.is_none() {
            if self.file.is_none() && self.buf.len() + chunk.len() <= WRITE_BUFFER {
                return self.write(&chunk).await;
            }
            self.start_pipeline();
        }
        self.crc.update(&chunk);
        self.size += chunk.len() as u64;
        let full = match self.pipeline.as_mut() {
            Some(p) => {
                p.batch.extend_from_slice(&chunk);
                p.batch.len() >= BATCH
            }
            None => false,
        };
        if full {
            self.send_batch().await?;
        }
        Ok(())
    }

    fn start_pipeline(&mut self) {
        let (md5_tx, md5_rx) = mpsc::channel(4);
        let (write_tx, write_rx) = mpsc::channel(4);
        let md5 = std::mem::replace(&mut self.md5, Md5::new());
        let first = std::mem::take(&mut self.buf);
        let file = self.file.take();
        let path = self.path.clone();
        self.pipeline = Some(Pipeline {
            batch: BytesMut::with_capacity(BATCH),
            md5_tx,
            write_tx,
            md5_done: tokio::task::spawn_blocking(move || md5_thread(md5, md5_rx)),
            write_done: tokio::task::spawn_blocking(move || {
                write_thread(path, file, first, write_rx)
            }),
        });
    }

    async fn send_batch(&mut self) -> std::io::Result<()> {
        let Some(p) = self.pipeline.as_mut() else {
            return Ok(());
        };
        if p.batch.is_empty() {
            return Ok(());
        }
        let batch = p.batch.split().freeze();
        // The batch buffer is reused once both threads are done with the frozen part.
        p.batch.reserve(BATCH);
        let sent = p.md5_tx.send(Batch::Data(batch.clone())).await.is_ok()
            && p.write_tx.send(Batch::Data(batch)).await.is_ok();
        if sent {
            return Ok(());
        }
        // A thread stopped: its result says why.
        self.finish_writes().await?;
        Err(std::io::Error::other("the staging writer stopped"))
    }

    /// Waits for the pipeline threads (if any) to hash and write everything sent; afterwards
    /// [`StagingFile::digest`] is complete and [`StagingFile::seal`] may follow.
    pub async fn finish_writes(&mut self) -> std::io::Result<()> {
        if self.pipeline.as_ref().is_some_and(|p| !p.batch.is_empty()) {
            let Some(p) = self.pipeline.as_mut() else {
                return Ok(());
            };
            let batch = p.batch.split().freeze();
            let _ = p.md5_tx.send(Batch::Data(batch.clone())).await;
            let _ = p.write_tx.send(Batch::Data(batch)).await;
        }
        let Some(p) = self.pipeline.take() else {
            return Ok(());
        };
        let _ = p.md5_tx.send(Batch::Finish).await;
        let _ = p.write_tx.send(Batch::Finish).await;
        drop(p.md5_tx);
        drop(p.write_tx);
        self.md5 = p.md5_done.await.map_err(std::io::Error::other)?;
        let file = p.write_done.await.map_err(std::io::Error::other)??;
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
            md5: self.md5.clone().finalize().into(),
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
