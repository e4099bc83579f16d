//! The download manager: ranged GETs (one stream first, more while they pay) written in place
//! into a temporary file, the CRC-64 combined from the GET bodies' running CRCs and checked,
//! then a rename.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures::stream::StreamExt;
use tokio::sync::watch;

use super::options::{adaptive_range_size, part_size_for, DownloadRanges, TransferOptions};
use super::progress::{PartMark, Tracker};
use super::ramp::Ramp;
use crate::client::{ByteRange, Client, GetObjectOptions, PositionalWriter};
use crate::error::OssError;

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
    /// Size of each range (the last may be shorter).
    pub part_size: u64,
    /// Most ranges that were in flight at once.
    pub peak_concurrency: usize,
}

/// Downloads `key` to the local file `path`: objects below `options.multipart_threshold` in
/// one ranged GET, larger ones in ranges as `options.download_ranges` says (by default: one
/// stream first, more while they raise the throughput, up to `concurrency`), each range
/// resumed from where it broke on a retryable failure. The bytes go to a temporary file in the
/// target's directory at their offsets, are checked against the object's CRC-64 (when
/// `options.verify_crc` and the server reports one; computed once as the bytes pass), synced
/// when `options.sync_downloads`, and only then renamed onto `path`. On any failure the
/// temporary file is removed and `path` is untouched.
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
    let temp = jitstore_util::atomic_file::temp_path_beside(path, ".jitstore-download");
    let result = fetch_into(client, key, &temp, size, meta.etag.clone(), options).await;
    let result = match result {
        Ok(fetched) => match (options.verify_crc, meta.crc64) {
            (true, Some(server)) if server != fetched.crc => Err(OssError::CrcMismatch {
                operation: "GetObject",
                key: key.to_owned(),
                client: fetched.crc,
                server,
            }),
            _ => Ok(fetched),
        },
        Err(e) => Err(e),
    };
    let fetched = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(e);
        }
    };
    let (moved, target, durable) = (temp.clone(), path.to_owned(), options.sync_downloads);
    let renamed = tokio::task::spawn_blocking(move || {
        jitstore_util::atomic_file::rename_into_place(&moved, &target, durable)
    })
    .await
    .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())));
    if let Err(source) = renamed {
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
        ranges: fetched.ranges,
        part_size: fetched.range_size,
        peak_concurrency: fetched.peak_concurrency,
    })
}

/// What every range task of one download shares.
struct Job {
    client: Client,
    key: String,
    etag: Option<String>,
    file: Arc<std::fs::File>,
    /// Taken around each write to `file`, so ranges write one at a time (see
    /// [`PositionalWriter::sharing_writes`]).
    write_lock: Arc<tokio::sync::Mutex<()>>,
    temp: Arc<Path>,
    size: u64,
    range_size: u64,
    count: u64,
    tracker: Arc<Tracker>,
    /// Next range index to hand out.
    next: AtomicU64,
    /// Bytes received by all ranges (for the ramp).
    received: AtomicU64,
    started: Instant,
    ramp: Mutex<Ramp>,
    ramp_settled: AtomicBool,
    /// Ranges allowed in flight (the ramp's level); `usize::MAX` releases parked tasks.
    level: watch::Sender<usize>,
    in_flight: AtomicUsize,
    peak: AtomicUsize,
}

/// How the object is split: range size, number of ranges and the concurrency rule.
struct Plan {
    range_size: u64,
    count: u64,
    ramp: Ramp,
}

impl Plan {
    fn for_object(size: u64, options: &TransferOptions) -> Result<Plan, OssError> {
        let max = options.concurrency();
        let single = size < options.multipart_threshold.max(1)
            || (max == 1 && options.download_ranges == DownloadRanges::Adaptive);
        let (range_size, ramp) = if single {
            (size.max(1), Ramp::fixed(1))
        } else {
            match options.download_ranges {
                DownloadRanges::Fixed => {
                    (part_size_for(size, options.part_size)?, Ramp::fixed(max))
                }
                DownloadRanges::Adaptive => {
                    let range = adaptive_range_size(size, max);
                    (range, Ramp::new(max, range))
                }
            }
        };
        Ok(Plan {
            range_size,
            count: size.div_ceil(range_size),
            ramp,
        })
    }
}

/// Fetches all ranges into `temp`; returns the combined CRC-64 and the plan that was followed.
async fn fetch_into(
    client: &Client,
    key: &str,
    temp: &Path,
    size: u64,
    etag: Option<String>,
    options: &TransferOptions,
) -> Result<Fetched, OssError> {
    let io = |source| OssError::Io {
        path: temp.to_owned(),
        source,
    };
    let plan = Plan::for_object(size, options)?;
    let file = tokio::fs::File::create(temp).await.map_err(io)?;
    file.set_len(size).await.map_err(io)?;
    let file = Arc::new(file.into_std().await);
    let tasks = plan
        .ramp
        .max()
        .min(usize::try_from(plan.count).unwrap_or(usize::MAX));
    let (level, _) = watch::channel(plan.ramp.level());
    let job = Arc::new(Job {
        client: client.clone(),
        key: key.to_owned(),
        etag,
        file: file.clone(),
        write_lock: Arc::new(tokio::sync::Mutex::new(())),
        temp: Arc::from(temp),
        size,
        range_size: plan.range_size,
        count: plan.count,
        tracker: Tracker::new(Some(size), options.progress.clone()),
        next: AtomicU64::new(0),
        received: AtomicU64::new(0),
        started: Instant::now(),
        ramp_settled: AtomicBool::new(plan.ramp.is_settled()),
        ramp: Mutex::new(plan.ramp),
        level,
        in_flight: AtomicUsize::new(0),
        peak: AtomicUsize::new(0),
    });
    // Each range task runs on the runtime's worker threads, next to the HTTP connection that
    // feeds it (polling the body from the caller's thread would cost a thread wake-up per
    // chunk when the caller is a `block_on`).
    let mut set = tokio::task::JoinSet::new();
    for index in 0..tasks {
        set.spawn(range_task(job.clone(), index));
    }
    let mut crcs: Vec<(u64, u64)> = vec![(0, 0); usize::try_from(plan.count).unwrap_or(0)];
    while let Some(joined) = set.join_next().await {
        let done = match joined {
            Ok(Ok(done)) => done,
            Ok(Err(e)) => return Err(e),
            Err(e) => {
                return Err(OssError::Io {
                    path: temp.to_owned(),
                    source: std::io::Error::other(format!("a range task failed: {e}")),
                })
            }
        };
        for (index, crc, len) in done {
            if let Some(slot) = usize::try_from(index).ok().and_then(|i| crcs.get_mut(i)) {
                *slot = (crc, len);
            }
        }
    }
    if options.sync_downloads {
        let synced = file.clone();
        tokio::task::spawn_blocking(move || synced.sync_all())
            .await
            .map_err(|e| io(std::io::Error::other(e.to_string())))?
            .map_err(io)?;
    }
    Ok(Fetched {
        crc: crate::crc64::combine_all(crcs),
        ranges: u32::try_from(plan.count).unwrap_or(u32::MAX),
        range_size: plan.range_size,
        peak_concurrency: job.peak.load(Ordering::Relaxed),
    })
}

/// What [`fetch_into`] did.
struct Fetched {
    crc: u64,
    ranges: u32,
    range_size: u64,
    peak_concurrency: usize,
}

/// One stream of a download: takes the next range while its number is within the allowed
/// level, parks while it is not; returns `(range index, CRC-64, length)` of the ranges it
/// fetched.
async fn range_task(job: Arc<Job>, index: usize) -> Result<Vec<(u64, u64, u64)>, OssError> {
    let mut level = job.level.subscribe();
    let mut done = Vec::new();
    loop {
        while *level.borrow_and_update() <= index {
            if job.next.load(Ordering::Acquire) >= job.count || level.changed().await.is_err() {
                return Ok(done);
            }
        }
        let range = job.next.fetch_add(1, Ordering::AcqRel);
        if range >= job.count {
            // Nothing left: release the parked tasks so they end too.
            job.level.send_replace(usize::MAX);
            return Ok(done);
        }
        let now = job.in_flight.fetch_add(1, Ordering::AcqRel) + 1;
        job.peak.fetch_max(now, Ordering::AcqRel);
        let result = fetch_range(&job, range).await;
        job.in_flight.fetch_sub(1, Ordering::AcqRel);
        let (crc, len) = result?;
        done.push((range, crc, len));
    }
}

impl Job {
    /// Counts `n` received bytes and lets the ramp adjust the level.
    fn received(&self, n: u64) {
        let total = self.received.fetch_add(n, Ordering::Relaxed) + n;
        if self.ramp_settled.load(Ordering::Relaxed) {
            return;
        }
        let mut ramp = jitstore_util::lock::lock(&self.ramp);
        let before = ramp.level();
        let after = ramp.observe(self.started.elapsed(), total);
        if ramp.is_settled() {
            self.ramp_settled.store(true, Ordering::Relaxed);
        }
        drop(ramp);
        if after != before {
            tracing::debug!(from = before, to = after, "download ranges in flight");
            // A released level (`usize::MAX`, nothing left) is never lowered again.
            self.level.send_if_modified(|level| {
                if *level == usize::MAX || *level == after {
                    false
                } else {
                    *level = after;
                    true
                }
            });
        }
    }
}

/// Fetches range `range` into its place in the file, continuing after the last byte written
/// when a retryable failure cuts the transfer; returns the range's CRC-64 (combined from the
/// CRCs the GET bodies computed as the bytes passed) and length.
async fn fetch_range(job: &Job, range: u64) -> Result<(u64, u64), OssError> {
    let offset = range * job.range_size;
    let len = job.range_size.min(job.size - offset);
    let mut writer = PositionalWriter::new(job.file.clone(), job.temp.clone(), offset)
        .sharing_writes(job.write_lock.clone());
    let policy = job.client.retry_policy();
    let mark = PartMark::default();
    // CRC-64 of the bytes `offset..offset + written`.
    let mut crc = 0u64;
    let mut written = 0u64;
    let mut attempt = 0u32;
    while written < len {
        attempt += 1;
        let first = offset + written;
        let options = GetObjectOptions {
            range: Some(ByteRange::Inclusive(first, offset + len - 1)),
            if_match: job.etag.clone(),
            ..GetObjectOptions::default()
        };
        // The request itself (up to the answer's headers) is retried by the client's policy;
        // only a body cut after that is resumed here, so each request sees one retry level.
        let got = job.client.get_object(&job.key, options).await?;
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
        let streamed = stream_range(job, &mut body, &mut writer, &mark, written, len).await;
        let got = body.received();
        crc = crate::crc64::combine(crc, got.finish(), got.len());
        written += got.len();
        let outcome = match streamed {
            Ok(()) if written < len => Err(OssError::Network {
                operation: "GetObject",
                source: format!("range ended after {written} of {len} bytes").into(),
            }),
            other => other,
        };
        match outcome {
            Ok(()) => {}
            Err(e) if attempt < policy.max_attempts.max(1) && e.is_retryable() => {
                tracing::warn!(error = %e, attempt, written, "range download cut; resuming");
                tokio::time::sleep(policy.delay(attempt)).await;
            }
            Err(e) => return Err(e),
        }
    }
    writer.finish().await?;
    Ok((crc, len))
}

/// Moves one GET body into the file; `written` bytes of the range were stored before it.
async fn stream_range(
    job: &Job,
    body: &mut crate::client::ObjectBody,
    writer: &mut PositionalWriter,
    mark: &PartMark,
    written: u64,
    len: u64,
) -> Result<(), OssError> {
    let mut at = written;
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        let n = chunk.len() as u64;
        if n > len - at {
            return Err(OssError::protocol(
                "GetObject",
                "the server sent more bytes than the range holds",
            ));
        }
        writer.push(chunk).await?;
        at += n;
        mark.reached(at, &job.tracker);
        job.received(n);
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
    // CRC-64 of `out`.
    let mut crc = 0u64;
    let mut pinned: Option<(Option<String>, Option<u64>, u64)> = None;
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let options = match &pinned {
            None => GetObjectOptions::default(),
            Some((etag, _, _)) => GetObjectOptions {
                range: Some(ByteRange::From(out.len() as u64)),
                if_match: etag.clone(),
                ..GetObjectOptions::default()
            },
        };
        // The request itself (up to the answer's headers) is retried by the client's policy;
        // only a body cut after that is resumed here, so each request sees one retry level.
        let got = client.get_object(key, options).await?;
        if pinned.is_none() {
            let size = got
                .meta
                .content_length
                .ok_or_else(|| OssError::protocol("GetObject", "answer has no Content-Length"))?;
            pinned = Some((got.meta.etag.clone(), got.meta.crc64, size));
        } else if got.content_range.map(|r| r.first) != Some(out.len() as u64) {
            return Err(OssError::protocol(
                "GetObject",
                "the resumed read did not start where the first one stopped",
            ));
        }
        let mut body = got.body;
        let mut streamed = Ok(());
        while let Some(chunk) = body.next().await {
            match chunk {
                Ok(c) => out.extend_from_slice(&c),
                // The client checks the CRC of full reads itself; we check the whole below.
                Err(OssError::CrcMismatch { .. }) => continue,
                Err(e) => {
                    streamed = Err(e);
                    break;
                }
            }
        }
        // The body hashed the bytes as they passed: fold its CRC in, no second pass.
        let got = body.received();
        crc = crate::crc64::combine(crc, got.finish(), got.len());
        match streamed {
            Ok(()) => break,
            Err(e) if attempt < policy.max_attempts.max(1) && e.is_retryable() => {
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
        if server != crc {
            return Err(OssError::CrcMismatch {
                operation: "GetObject",
                key: key.to_owned(),
                client: crc,
                server,
            });
        }
    }
    Ok(out.freeze())
}
