//! The download manager: parallel ranged GETs into a temporary file, CRC-64 check, rename.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::stream::StreamExt;

use super::options::{part_size_for, TransferOptions};
use super::progress::{PartMark, Tracker};
use crate::client::{ByteRange, Client, GetObjectOptions};
use crate::crc64::Crc64;
use crate::error::OssError;

/// Bytes collected before each write to the temporary file.
const WRITE_BUFFER: usize = 1024 * 1024;

/// What a download produced.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DownloadOutput {
    /// The object key.
    pub key: String,
    /// Bytes written (the object size).
    pub size: u64,
    /// The object's ETag (every range was pinned to it with `If-Match`).
    pub etag: Option<String>,
    /// The object's CRC-64 (verified against the bytes received when CRC checks are on).
    pub crc64: Option<u64>,
    /// Ranges fetched.
    pub ranges: u32,
}

/// Downloads `key` to the local file `path`: objects below `options.multipart_threshold` in
/// one ranged GET, larger ones in `part_size` ranges with `concurrency` in flight, each range
/// resumed from where it broke on a retryable failure. The bytes go to a temporary file in the
/// target's directory, are checked against the object's CRC-64 (when
/// `options.verify_crc` and the server reports one), synced when `options.sync_downloads`, and
/// only then renamed onto
/// `path`. On any failure the temporary file is removed and `path` is untouched.
pub async fn download_file(
    client: &Client,
    key: &str,
    path: &Path,
    options: &TransferOptions,
) -> Result<DownloadOutput, OssError> {
    options.validate()?;
    let meta = client.head_object(key, GetObjectOptions::default()).await?;
    let size = meta
        .content_length
        .ok_or_else(|| OssError::protocol("HeadObject", "answer has no Content-Length"))?;
    let temp = temp_path(path);
    let result = fetch_into(client, key, &temp, size, meta.etag.clone(), options).await;
    let result = match result {
        Ok((crc, ranges)) => match (options.verify_crc, meta.crc64) {
            (true, Some(server)) if server != crc => Err(OssError::CrcMismatch {
                operation: "GetObject",
                key: key.to_owned(),
                client: crc,
                server,
            }),
            _ => Ok(ranges),
        },
        Err(e) => Err(e),
    };
    let ranges = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(e);
        }
    };
    if let Err(source) = tokio::fs::rename(&temp, path).await {
        let _ = tokio::fs::remove_file(&temp).await;
        return Err(OssError::Io {
            path: path.to_owned(),
            source,
        });
    }
    Ok(DownloadOutput {
        key: key.to_owned(),
        size,
        etag: meta.etag,
        crc64: meta.crc64,
        ranges,
    })
}

/// A hidden temporary file next to `path`.
fn temp_path(path: &Path) -> PathBuf {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "download".to_owned());
    dir.join(format!(
        ".{name}.{}.{:08x}.jitstore-download",
        std::process::id(),
        rand::random::<u32>()
    ))
}

/// Fetches all ranges into `temp`; returns the combined CRC-64 and the number of ranges.
async fn fetch_into(
    client: &Client,
    key: &str,
    temp: &Path,
    size: u64,
    etag: Option<String>,
    options: &TransferOptions,
) -> Result<(u64, u32), OssError> {
    let io = |source| OssError::Io {
        path: temp.to_owned(),
        source,
    };
    let file = tokio::fs::File::create(temp).await.map_err(io)?;
    file.set_len(size).await.map_err(io)?;
    drop(file);
    let tracker = Tracker::new(Some(size), options.progress.clone());
    let range_size = if size < options.multipart_threshold.max(1) {
        size.max(1)
    } else {
        part_size_for(size, options.part_size)?
    };
    let count = size.div_ceil(range_size);
    let temp = Arc::new(temp.to_owned());
    let mut crcs: Vec<(u64, u64)> = vec![(0, 0); usize::try_from(count).unwrap_or(0)];
    let mut ranges = futures::stream::iter(0..count)
        .map(|i| {
            let offset = i * range_size;
            let len = range_size.min(size - offset);
            let temp = temp.clone();
            let tracker = tracker.clone();
            let etag = etag.clone();
            async move {
                let crc = fetch_range(client, key, &temp, offset, len, etag, tracker).await?;
                Ok::<_, OssError>((i, crc, len))
            }
        })
        .buffer_unordered(options.concurrency());
    while let Some(r) = ranges.next().await {
        let (i, crc, len) = r?;
        if let Some(slot) = usize::try_from(i).ok().and_then(|i| crcs.get_mut(i)) {
            *slot = (crc, len);
        }
    }
    drop(ranges);
    if options.sync_downloads {
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .open(temp.as_path())
            .await
            .map_err(io)?;
        file.sync_all().await.map_err(io)?;
    }
    Ok((
        crate::crc64::combine_all(crcs),
        u32::try_from(count).unwrap_or(u32::MAX),
    ))
}

/// Fetches `len` bytes from `offset` into the same place of `temp`, continuing after the last
/// byte written when a retryable failure cuts the transfer; returns the range's CRC-64.
async fn fetch_range(
    client: &Client,
    key: &str,
    temp: &Path,
    offset: u64,
    len: u64,
    etag: Option<String>,
    tracker: Arc<Tracker>,
) -> Result<u64, OssError> {
    let io = |source| OssError::Io {
        path: temp.to_owned(),
        source,
    };
    let file = tokio::fs::OpenOptions::new()
        .write(true)
        .open(temp)
        .await
        .map_err(io)?
        .into_std()
        .await;
    let mut file = RangeWriter::new(file, temp, offset);
    let policy = client.retry_policy();
    let mark = PartMark::default();
    let mut crc = Crc64::new();
    let mut written = 0u64;
    let mut attempt = 0u32;
    while written < len {
        attempt += 1;
        let step: Result<(), OssError> = async {
            let first = offset + written;
            let options = GetObjectOptions {
                range: Some(ByteRange::Inclusive(first, offset + len - 1)),
                if_match: etag.clone(),
                ..GetObjectOptions::default()
            };
            let got = client.get_object(key, options).await?;
            match got.content_range {
                Some(r) if r.first == first => {}
                _ if first == 0 && got.meta.content_length == Some(len) => {}
                other => {
                    return Err(OssError::protocol(
                        "GetObject",
                        format!("asked for bytes from {first}, got range {other:?}"),
                    ))
                }
            }
            let mut body = got.body;
            while let Some(chunk) = body.next().await {
                let chunk = chunk?;
                let room = len - written;
                if chunk.len() as u64 > room {
                    return Err(OssError::protocol(
                        "GetObject",
                        "the server sent more bytes than the range holds",
                    ));
                }
                crc.update(&chunk);
                written += chunk.len() as u64;
                file.push(chunk).await?;
                mark.reached(written, &tracker);
            }
            if written < len {
                return Err(OssError::Network {
                    operation: "GetObject",
                    source: format!("range ended after {written} of {len} bytes").into(),
                });
            }
            Ok(())
        }
        .await;
        match step {
            Ok(()) => {}
            Err(e) if attempt < policy.max_attempts.max(1) && e.is_retryable() => {
                let delay = policy.delay(attempt);
                tracing::warn!(error = %e, attempt, written, "range download failed; resuming");
                tokio::time::sleep(delay).await;
            }
            Err(e) => return Err(e),
        }
    }
    file.finish().await?;
    Ok(crc.finish())
}

/// Writes one range of the temporary file: received chunks are batched up to
/// [`WRITE_BUFFER`] and written at their offset by a blocking task (no copy of the bytes),
/// overlapping with the next batch's network reads; at most one write is in flight.
struct RangeWriter {
    file: Arc<std::fs::File>,
    path: PathBuf,
    /// File offset of the first pending byte.
    position: u64,
    pending: Vec<bytes::Bytes>,
    pending_len: usize,
    in_flight: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl RangeWriter {
    fn new(file: std::fs::File, path: &Path, position: u64) -> RangeWriter {
        RangeWriter {
            file: Arc::new(file),
            path: path.to_owned(),
            position,
            pending: Vec::new(),
            pending_len: 0,
            in_flight: None,
        }
    }

    async fn push(&mut self, chunk: bytes::Bytes) -> Result<(), OssError> {
        self.pending_len += chunk.len();
        self.pending.push(chunk);
        if self.pending_len >= WRITE_BUFFER {
            self.start_write().await?;
        }
        Ok(())
    }

    async fn start_write(&mut self) -> Result<(), OssError> {
        self.wait().await?;
        if self.pending.is_empty() {
            return Ok(());
        }
        let chunks = std::mem::take(&mut self.pending);
        let position = self.position;
        self.position += self.pending_len as u64;
        self.pending_len = 0;
        let file = self.file.clone();
        self.in_flight = Some(tokio::task::spawn_blocking(move || {
            let mut at = position;
            for chunk in chunks {
                write_all_at(&file, &chunk, at)?;
                at += chunk.len() as u64;
            }
            Ok(())
        }));
        Ok(())
    }

    async fn wait(&mut self) -> Result<(), OssError> {
        if let Some(handle) = self.in_flight.take() {
            let result = handle
                .await
                .map_err(|e| std::io::Error::other(e.to_string()))
                .and_then(|r| r);
            result.map_err(|source| OssError::Io {
                path: self.path.clone(),
                source,
            })?;
        }
        Ok(())
    }

    async fn finish(&mut self) -> Result<(), OssError> {
        self.start_write().await?;
        self.wait().await
    }
}

#[cfg(unix)]
fn write_all_at(file: &std::fs::File, buf: &[u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
}

#[cfg(windows)]
fn write_all_at(file: &std::fs::File, mut buf: &[u8], mut offset: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_write(file, buf, offset)?;
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        buf = &buf[n..];
        offset += n as u64;
    }
    Ok(())
}

/// Downloads the whole object `key` into memory (for objects known to be small), resuming
/// after a retryable failure from the last byte received (pinned to the first answer's ETag)
/// and checking the object's CRC-64 when `verify_crc` is set.
pub async fn download_bytes(
    client: &Client,
    key: &str,
    verify_crc: bool,
) -> Result<bytes::Bytes, OssError> {
    let policy = client.retry_policy();
    let mut out = bytes::BytesMut::new();
    let mut crc = Crc64::new();
    let mut pinned: Option<(Option<String>, Option<u64>, u64)> = None;
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let step: Result<bool, OssError> = async {
            let options = match &pinned {
                None => GetObjectOptions::default(),
                Some((etag, _, _)) => GetObjectOptions {
                    range: Some(ByteRange::From(out.len() as u64)),
                    if_match: etag.clone(),
                    ..GetObjectOptions::default()
                },
            };
            let got = client.get_object(key, options).await?;
            if pinned.is_none() {
                let size = got.meta.content_length.ok_or_else(|| {
                    OssError::protocol("GetObject", "answer has no Content-Length")
                })?;
                pinned = Some((got.meta.etag.clone(), got.meta.crc64, size));
            } else if got.content_range.map(|r| r.first) != Some(out.len() as u64) {
                return Err(OssError::protocol(
                    "GetObject",
                    "the resumed read did not start where the first one stopped",
                ));
            }
            let mut body = got.body;
            while let Some(chunk) = body.next().await {
                let chunk = match chunk {
                    Ok(c) => c,
                    // The client checks the CRC of full reads itself; we check the whole below.
                    Err(OssError::CrcMismatch { .. }) => continue,
                    Err(e) => return Err(e),
                };
                crc.update(&chunk);
                out.extend_from_slice(&chunk);
            }
            Ok(true)
        }
        .await;
        match step {
            Ok(_) => break,
            Err(e)
                if attempt < policy.max_attempts.max(1) && e.is_retryable() && pinned.is_some() =>
            {
                tracing::warn!(error = %e, attempt, received = out.len(), "download cut; resuming");
                tokio::time::sleep(policy.delay(attempt)).await;
            }
            Err(e) => return Err(e),
        }
    }
    let (_, server_crc, size) = pinned.unwrap_or((None, None, 0));
    if out.len() as u64 != size {
        return Err(OssError::protocol(
            "GetObject",
            format!("received {} of {size} bytes", out.len()),
        ));
    }
    if let (true, Some(server)) = (verify_crc, server_crc) {
        if server != crc.finish() {
            return Err(OssError::CrcMismatch {
                operation: "GetObject",
                key: key.to_owned(),
                client: crc.finish(),
                server,
            });
        }
    }
    Ok(out.freeze())
}
