//! Streams data into a temporary file while hashing it (MD5 and CRC-64/XZ).
//!
//! The temporary file lives in the bucket's `tmp/` directory (same filesystem as the objects),
//! is fsynced before it is renamed into place, and is removed if the writer is dropped before
//! it was committed.

use std::path::{Path, PathBuf};

use md5::{Digest, Md5};
use serde::Serialize;
use tokio::io::{AsyncWriteExt, BufWriter};

use super::meta::encode_trailer;

/// Buffer between incoming body chunks and the file: bounds memory per upload.
const WRITE_BUFFER: usize = 256 * 1024;

/// A data file being written; becomes visible only through [`super::Bucket::commit`].
pub struct StagingFile {
    file: Option<BufWriter<tokio::fs::File>>,
    path: PathBuf,
    md5: Md5,
    crc: crc64fast::Digest,
    size: u64,
    committed: bool,
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

impl StagingFile {
    /// Creates a new, uniquely named temporary file in `tmp_dir`.
    pub async fn create(tmp_dir: &Path) -> std::io::Result<Self> {
        let name = format!("{:032x}.tmp", rand::random::<u128>());
        let path = tmp_dir.join(name);
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await?;
        Ok(StagingFile {
            file: Some(BufWriter::with_capacity(WRITE_BUFFER, file)),
            path,
            md5: Md5::new(),
            crc: crc64fast::Digest::new(),
            size: 0,
            committed: false,
        })
    }

    /// Appends data bytes.
    pub async fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        let file = self.file_mut()?;
        file.write_all(chunk).await?;
        self.md5.update(chunk);
        self.crc.write(chunk);
        self.size += chunk.len() as u64;
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

    /// Writes the metadata trailer, flushes and fsyncs the file.
    pub async fn seal<T: Serialize>(&mut self, meta: &T) -> std::io::Result<()> {
        let trailer = encode_trailer(meta).map_err(std::io::Error::other)?;
        let file = self.file_mut()?;
        file.write_all(&trailer).await?;
        file.flush().await?;
        file.get_mut().sync_all().await?;
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

    fn file_mut(&mut self) -> std::io::Result<&mut BufWriter<tokio::fs::File>> {
        self.file
            .as_mut()
            .ok_or_else(|| std::io::Error::other("staging file already committed"))
    }
}

impl Drop for StagingFile {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: a leftover temp file is also swept at the next start.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
