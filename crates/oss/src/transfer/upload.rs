//! The upload manager: single PUT below the threshold, parallel multipart above it, resume
//! from a checkpoint, whole-object CRC-64 check.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::BytesMut;
use futures::stream::{FuturesUnordered, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::checkpoint::{source_stamp, Checkpoint, CheckpointPart};
use super::options::{part_size_for, TransferOptions, MAX_PARTS, MAX_PART_SIZE};
use super::part_body::{with_retries, PartSource};
use super::progress::{PartMark, Tracker};
use crate::client::{Client, CompleteMultipartOptions, ContentMd5, PutObjectOptions, WriteOptions};
use crate::crc64::Crc64;
use crate::error::OssError;
use crate::xml::{CompletedPart, PartSummary};

/// What an upload produced.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadOutput {
    /// The object key.
    pub key: String,
    /// Bytes uploaded (the object size).
    pub size: u64,
    /// The object's ETag (with quotes).
    pub etag: Option<String>,
    /// CRC-64 of the whole object as the server reports it (verified when CRC checks are on).
    pub crc64: Option<u64>,
    /// Request id of the final request (PutObject or CompleteMultipartUpload).
    pub request_id: Option<String>,
    /// Number of parts (0 for a single PutObject).
    pub parts: u32,
    /// Parts reused from an earlier, interrupted run (confirmed with ListParts).
    pub resumed_parts: u32,
    /// The multipart upload id, for multipart uploads.
    pub upload_id: Option<String>,
}

/// One finished part.
#[derive(Debug, Clone)]
struct DonePart {
    number: u32,
    etag: String,
    size: u64,
    crc64: u64,
}

/// Uploads the local file `path` as `key`: PutObject below `options.multipart_threshold`,
/// parallel multipart above it (resumable when `options.checkpoint_dir` is set).
pub async fn upload_file(
    client: &Client,
    key: &str,
    path: &Path,
    write: WriteOptions,
    options: &TransferOptions,
) -> Result<UploadOutput, OssError> {
    options.validate()?;
    crate::encoding::validate_object_key(key)
        .map_err(|e| OssError::invalid("object key", e.to_string()))?;
    let abs = std::path::absolute(path).map_err(|source| OssError::Io {
        path: path.to_owned(),
        source,
    })?;
    let stamp = source_stamp(&abs)?;
    let size = stamp.0;
    let tracker = Tracker::new(Some(size), options.progress.clone());
    let abs = Arc::new(abs);
    if size < options.multipart_threshold.max(1) {
        let source = PartSource::File {
            path: abs,
            offset: 0,
            len: size,
        };
        return single_put(client, key, source, write, tracker).await;
    }
    MultipartFile {
        client,
        key,
        path: abs,
        stamp,
        options,
        tracker,
    }
    .run(write)
    .await
}

/// Uploads everything `reader` yields as `key`, with bounded memory (at most
/// `concurrency + 1` parts buffered). `size_hint`, when known, sizes the parts and feeds the
/// progress total. Not resumable (a stream cannot be re-read); a failed multipart upload is
/// aborted.
pub async fn upload_reader<R>(
    client: &Client,
    key: &str,
    mut reader: R,
    size_hint: Option<u64>,
    write: WriteOptions,
    options: &TransferOptions,
) -> Result<UploadOutput, OssError>
where
    R: AsyncRead + Unpin + Send,
{
    options.validate()?;
    crate::encoding::validate_object_key(key)
        .map_err(|e| OssError::invalid("object key", e.to_string()))?;
    let tracker = Tracker::new(size_hint, options.progress.clone());
    let threshold = usize::try_from(options.multipart_threshold.max(1)).unwrap_or(usize::MAX);
    let mut pending = BytesMut::new();
    let eof = fill(&mut reader, &mut pending, threshold).await?;
    if eof {
        let source = PartSource::Bytes(pending.freeze());
        return single_put(client, key, source, write, tracker).await;
    }
    let base = match size_hint {
        Some(size) => part_size_for(size, options.part_size)?,
        None => options.part_size,
    };
    let init = client.initiate_multipart_upload(key, write).await?;
    let upload_id = init.upload_id;
    let result = async {
        let mut done: Vec<DonePart> = Vec::new();
        let mut in_flight = FuturesUnordered::new();
        let mut number = 0u32;
        let mut eof = false;
        loop {
            number += 1;
            if u64::from(number) > MAX_PARTS {
                return Err(OssError::invalid(
                    "stream upload",
                    format!("the stream needs more than {MAX_PARTS} parts"),
                ));
            }
            let part_size = grown_part_size(base, number, size_hint.is_none());
            let want = usize::try_from(part_size).unwrap_or(usize::MAX);
            if !eof && pending.len() < want {
                eof = fill(&mut reader, &mut pending, want).await?;
            }
            let take = pending.len().min(want);
            let chunk = pending.split_to(take).freeze();
            let source = PartSource::Bytes(chunk);
            in_flight.push(upload_part(
                client,
                key,
                &upload_id,
                number,
                source,
                tracker.clone(),
            ));
            while in_flight.len() >= options.concurrency() {
                if let Some(part) = in_flight.next().await {
                    done.push(part?);
                }
            }
            if eof && pending.is_empty() {
                break;
            }
        }
        while let Some(part) = in_flight.next().await {
            done.push(part?);
        }
        complete(client, key, &upload_id, done, 0).await
    }
    .await;
    if result.is_err() {
        abort_quietly(client, key, &upload_id).await;
    }
    result
}

/// Part size for part `number` of a stream: constant when the size is known, otherwise
/// doubling every 1,000 parts (capped at 5 GiB) so an unbounded stream fits in 10,000 parts.
fn grown_part_size(base: u64, number: u32, unknown_size: bool) -> u64 {
    if !unknown_size {
        return base;
    }
    let doublings = (number.saturating_sub(1) / 1000).min(20);
    base.saturating_mul(1u64 << doublings).min(MAX_PART_SIZE)
}

/// Reads until `buf` holds `want` bytes or the reader ends; returns true at end of input.
async fn fill<R: AsyncRead + Unpin>(
    reader: &mut R,
    buf: &mut BytesMut,
    want: usize,
) -> Result<bool, OssError> {
    while buf.len() < want {
        buf.reserve((want - buf.len()).min(8 * 1024 * 1024));
        let n = reader.read_buf(buf).await.map_err(|source| OssError::Io {
            path: PathBuf::from("<upload stream>"),
            source,
        })?;
        if n == 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

async fn single_put(
    client: &Client,
    key: &str,
    source: PartSource,
    write: WriteOptions,
    tracker: Arc<Tracker>,
) -> Result<UploadOutput, OssError> {
    let size = source.len();
    let mark = Arc::new(PartMark::default());
    let out = with_retries(client.retry_policy(), |_| {
        let source = source.clone();
        let mark = mark.clone();
        let tracker = tracker.clone();
        let write = write.clone();
        async move {
            let body = source.body(mark, tracker).await?;
            let options = PutObjectOptions {
                write,
                content_md5: ContentMd5::None,
            };
            client.put_object(key, body, options).await
        }
    })
    .await?;
    Ok(UploadOutput {
        key: key.to_owned(),
        size,
        etag: out.etag,
        crc64: out.crc64,
        request_id: out.request_id,
        parts: 0,
        resumed_parts: 0,
        upload_id: None,
    })
}

/// Uploads one part with retries (a fresh body per attempt) and returns its CRC-64.
async fn upload_part(
    client: &Client,
    key: &str,
    upload_id: &str,
    number: u32,
    source: PartSource,
    tracker: Arc<Tracker>,
) -> Result<DonePart, OssError> {
    let mark = Arc::new(PartMark::default());
    let out = with_retries(client.retry_policy(), |_| {
        let source = source.clone();
        let mark = mark.clone();
        let tracker = tracker.clone();
        async move {
            let body = source.body(mark, tracker).await?;
            client
                .upload_part(key, upload_id, number, body, ContentMd5::None)
                .await
        }
    })
    .await?;
    let crc64 = match out.crc64 {
        Some(c) => c,
        None => local_crc(&source).await?,
    };
    Ok(DonePart {
        number,
        etag: out.etag,
        size: source.len(),
        crc64,
    })
}

/// CRC-64 of a part's bytes, read locally.
async fn local_crc(source: &PartSource) -> Result<u64, OssError> {
    match source {
        PartSource::Bytes(b) => Ok(crate::crc64::checksum(b)),
        PartSource::File { path, offset, len } => {
            let (path, offset, len) = (path.clone(), *offset, *len);
            tokio::task::spawn_blocking(move || file_range_crc(&path, offset, len))
                .await
                .map_err(|e| OssError::invalid("local CRC task", e.to_string()))?
        }
    }
}

fn file_range_crc(path: &Path, offset: u64, len: u64) -> Result<u64, OssError> {
    use std::io::{Read, Seek};
    let io = |source| OssError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    file.seek(std::io::SeekFrom::Start(offset)).map_err(io)?;
    let mut reader = file.take(len);
    let mut crc = Crc64::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = reader.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        crc.update(&buf[..n]);
    }
    if crc.len() != len {
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "file shorter than the part",
        )));
    }
    Ok(crc.finish())
}

/// CompleteMultipartUpload with the combined CRC-64 of the parts; a mismatch deletes the
/// corrupted object.
async fn complete(
    client: &Client,
    key: &str,
    upload_id: &str,
    mut parts: Vec<DonePart>,
    resumed_parts: u32,
) -> Result<UploadOutput, OssError> {
    parts.sort_by_key(|p| p.number);
    let size: u64 = parts.iter().map(|p| p.size).sum();
    let expected = crate::crc64::combine_all(parts.iter().map(|p| (p.crc64, p.size)));
    let list: Vec<CompletedPart> = parts
        .iter()
        .map(|p| CompletedPart {
            part_number: p.number,
            etag: p.etag.clone(),
        })
        .collect();
    let options = CompleteMultipartOptions {
        expected_crc64: Some(expected),
        ..CompleteMultipartOptions::default()
    };
    let out = match client
        .complete_multipart_upload(key, upload_id, &list, options)
        .await
    {
        Ok(out) => out,
        Err(e @ OssError::CrcMismatch { .. }) => {
            let _ = client.delete_object(key, None).await;
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    Ok(UploadOutput {
        key: key.to_owned(),
        size,
        etag: Some(out.etag),
        crc64: out.crc64.or(Some(expected)),
        request_id: out.request_id,
        parts: u32::try_from(parts.len()).unwrap_or(u32::MAX),
        resumed_parts,
        upload_id: Some(upload_id.to_owned()),
    })
}

async fn abort_quietly(client: &Client, key: &str, upload_id: &str) {
    if let Err(e) = client.abort_multipart_upload(key, upload_id).await {
        tracing::warn!(error = %e, "could not abort multipart upload");
    }
}

/// Every part of an upload, following ListParts pages.
async fn list_all_parts(
    client: &Client,
    key: &str,
    upload_id: &str,
) -> Result<BTreeMap<u32, PartSummary>, OssError> {
    let mut out = BTreeMap::new();
    let mut marker = None;
    loop {
        let page = client
            .list_parts(key, upload_id, Some(1000), marker)
            .await?;
        for p in page.parts {
            out.insert(p.part_number, p);
        }
        match (page.is_truncated, page.next_part_number_marker) {
            (true, Some(next)) if Some(next) != marker => marker = Some(next),
            (true, _) => {
                return Err(OssError::protocol(
                    "ListParts",
                    "truncated page without a new NextPartNumberMarker",
                ))
            }
            (false, _) => return Ok(out),
        }
    }
}

/// A multipart upload of a local file.
struct MultipartFile<'a> {
    client: &'a Client,
    key: &'a str,
    path: Arc<PathBuf>,
    stamp: (u64, u128),
    options: &'a TransferOptions,
    tracker: Arc<Tracker>,
}

impl MultipartFile<'_> {
    fn size(&self) -> u64 {
        self.stamp.0
    }

    fn part_source(&self, part_size: u64, number: u32) -> PartSource {
        let offset = u64::from(number - 1) * part_size;
        PartSource::File {
            path: self.path.clone(),
            offset,
            len: part_size.min(self.size() - offset),
        }
    }

    async fn run(self, write: WriteOptions) -> Result<UploadOutput, OssError> {
        let client = self.client;
        let part_size = part_size_for(self.size(), self.options.part_size)?;
        let count = u32::try_from(self.size().div_ceil(part_size)).unwrap_or(u32::MAX);
        let checkpoint_path = self
            .options
            .checkpoint_dir
            .as_ref()
            .map(|d| Checkpoint::path_for(d, client.bucket(), self.key, &self.path));

        let mut reused: Vec<DonePart> = Vec::new();
        let mut upload_id = None;
        if let Some(cp_path) = &checkpoint_path {
            if let Some(cp) = Checkpoint::load(cp_path) {
                if cp.matches(client.bucket(), self.key, &self.path, self.stamp, part_size) {
                    match list_all_parts(client, self.key, &cp.upload_id).await {
                        Ok(listed) => {
                            reused = self.confirm_parts(&cp, &listed, part_size, count).await?;
                            upload_id = Some(cp.upload_id.clone());
                        }
                        Err(e) if e.is_not_found() => {}
                        Err(e) => return Err(e),
                    }
                } else {
                    tracing::info!("source or target changed since the checkpoint; restarting");
                    abort_quietly(client, &cp.key, &cp.upload_id).await;
                }
                if upload_id.is_none() {
                    let _ = std::fs::remove_file(cp_path);
                }
            }
        }
        let upload_id = match upload_id {
            Some(id) => id,
            None => {
                client
                    .initiate_multipart_upload(self.key, write)
                    .await?
                    .upload_id
            }
        };
        let resumed = u32::try_from(reused.len()).unwrap_or(u32::MAX);
        let checkpoint = checkpoint_path.as_ref().map(|p| {
            let mut cp = Checkpoint::new(
                client.bucket(),
                self.key,
                &self.path,
                self.stamp,
                part_size,
                upload_id.clone(),
            );
            cp.parts = reused
                .iter()
                .map(|d| CheckpointPart {
                    number: d.number,
                    etag: d.etag.clone(),
                    size: d.size,
                    crc64: d.crc64,
                })
                .collect();
            (p.clone(), Mutex::new(cp))
        });
        if let Some((path, cp)) = &checkpoint {
            save(path, cp)?;
        }
        self.tracker.add(reused.iter().map(|d| d.size).sum());

        let have: std::collections::BTreeSet<u32> = reused.iter().map(|d| d.number).collect();
        let todo: Vec<u32> = (1..=count).filter(|n| !have.contains(n)).collect();
        let mut done = reused;
        let result: Result<(), OssError> = async {
            let mut parts = futures::stream::iter(todo)
                .map(|number| {
                    let source = self.part_source(part_size, number);
                    upload_part(
                        client,
                        self.key,
                        &upload_id,
                        number,
                        source,
                        self.tracker.clone(),
                    )
                })
                .buffer_unordered(self.options.concurrency());
            while let Some(part) = parts.next().await {
                let part = part?;
                if let Some((path, cp)) = &checkpoint {
                    jitstore_util::lock::lock(cp).parts.push(CheckpointPart {
                        number: part.number,
                        etag: part.etag.clone(),
                        size: part.size,
                        crc64: part.crc64,
                    });
                    save(path, cp)?;
                }
                done.push(part);
            }
            Ok(())
        }
        .await;
        if let Err(e) = result {
            // A transient failure (network, 5xx, timeout) keeps the upload and its checkpoint
            // for a later resume; anything else will not heal by itself, so nothing is left.
            let resumable = checkpoint.is_some() && e.is_retryable();
            if !resumable {
                abort_quietly(client, self.key, &upload_id).await;
                if let Some((path, _)) = &checkpoint {
                    let _ = std::fs::remove_file(path);
                }
            }
            return Err(e);
        }
        let out = complete(client, self.key, &upload_id, done, resumed).await;
        match &out {
            Ok(_) | Err(OssError::CrcMismatch { .. }) => {
                if let Some((path, _)) = &checkpoint {
                    let _ = std::fs::remove_file(path);
                }
            }
            Err(_) => {}
        }
        out
    }

    /// The checkpoint's parts (and any part ListParts shows that the checkpoint missed) that
    /// are on the server with the expected size and content: ETag and size must match, and the
    /// part's CRC-64 (when the server lists one) must equal the local file range's.
    async fn confirm_parts(
        &self,
        cp: &Checkpoint,
        listed: &BTreeMap<u32, PartSummary>,
        part_size: u64,
        count: u32,
    ) -> Result<Vec<DonePart>, OssError> {
        let recorded: BTreeMap<u32, &CheckpointPart> =
            cp.parts.iter().map(|p| (p.number, p)).collect();
        let mut out = Vec::new();
        for (number, summary) in listed {
            if *number == 0 || *number > count {
                continue;
            }
            let source = self.part_source(part_size, *number);
            if summary.size != source.len() {
                continue;
            }
            let local = local_crc(&source).await?;
            let etag_ok = recorded
                .get(number)
                .is_none_or(|r| r.etag == summary.etag && r.crc64 == local);
            let crc_ok = summary.crc64.is_none_or(|c| c == local);
            let known = recorded.contains_key(number) || summary.crc64.is_some();
            if etag_ok && crc_ok && known {
                out.push(DonePart {
                    number: *number,
                    etag: summary.etag.clone(),
                    size: summary.size,
                    crc64: local,
                });
            }
        }
        Ok(out)
    }
}

fn save(path: &Path, cp: &Mutex<Checkpoint>) -> Result<(), OssError> {
    let snapshot = jitstore_util::lock::lock(cp).clone();
    snapshot.save(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_part_sizes_grow_only_for_unknown_lengths() {
        assert_eq!(grown_part_size(100, 5000, false), 100);
        assert_eq!(grown_part_size(100, 1, true), 100);
        assert_eq!(grown_part_size(100, 1000, true), 100);
        assert_eq!(grown_part_size(100, 1001, true), 200);
        assert_eq!(grown_part_size(100, 10_000, true), 51_200);
        assert_eq!(grown_part_size(MAX_PART_SIZE, 9000, true), MAX_PART_SIZE);
    }

    #[test]
    fn file_range_crc_matches_the_bytes() {
        let dir = std::env::temp_dir().join(format!("jitstore-up-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("f");
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 256) as u8).collect();
        std::fs::write(&p, &data).unwrap();
        assert_eq!(
            file_range_crc(&p, 1000, 5000).unwrap(),
            crate::crc64::checksum(&data[1000..6000])
        );
        assert!(file_range_crc(&p, 299_000, 5000).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
