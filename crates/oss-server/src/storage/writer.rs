//! Streams data into a temporary file while hashing it (MD5 and CRC-64/XZ).
//!
//! Data is gathered in a buffer of at most [`WRITE_BUFFER`] bytes and written to the file in one
//! blocking call whenever the buffer fills, so memory per upload stays bounded and a small
//! object costs a single blocking call (create + write + trailer + fsync) when sealed. The file
//! lives in the bucket's `tmp/` directory (same filesystem as the objects), is fsynced before it
//! is renamed into place, and is removed if the writer is dropped before it was committed.

use std::io::Write;
use std::path::{Path, PathBuf};

use md5::{Digest, Md5};
use serde::Serialize;

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
    crc: crc64fast::Digest,
    size: u64,
    committed: bool,
    /// Keeps the bucket's in-flight write count up while the file lives.
    _guard: Option<super::WriterGuard>,
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
            crc: crc64fast::Digest::new(),
            size: 0,
            committed: false,
            _guard: None,
        })
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
        self.md5.update(chunk);
        self.crc.write(chunk);
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
            crc64: self.crc.sum64(),
            size: self.size,
        }
    }

    /// Writes the rest of the data and the metadata trailer, then fsyncs the file.
    pub async fn seal<T: Serialize>(&mut self, meta: &T) -> std::io::Result<()> {
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
