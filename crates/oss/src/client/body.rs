//! Request bodies: in-memory bytes, a (range of a) local file, or a one-shot stream.
//!
//! Every attempt turns the [`Body`] into a fresh streaming request body that updates a CRC-64
//! and the idle-timeout clock as chunks leave, so memory stays bounded whatever the size and a
//! retry re-sends from the start (bytes are shared, files are re-opened and seeked). A stream
//! can be sent once only, so requests carrying one are never retried.

use std::fmt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use md5::{Digest as _, Md5};
use tokio::io::AsyncSeekExt;

use super::file_reader::{file_chunks, READ_CHUNK};
use crate::crc64::Crc64;
use crate::error::OssError;

/// The body of an upload.
pub struct Body {
    kind: BodyKind,
}

enum BodyKind {
    Bytes(Bytes),
    File {
        path: PathBuf,
        offset: u64,
        len: Option<u64>,
    },
    Stream {
        stream: Mutex<Option<BoxStream<'static, std::io::Result<Bytes>>>>,
        len: Option<u64>,
    },
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            BodyKind::Bytes(b) => f
                .debug_struct("Body::Bytes")
                .field("len", &b.len())
                .finish(),
            BodyKind::File { path, offset, len } => f
                .debug_struct("Body::File")
                .field("path", path)
                .field("offset", offset)
                .field("len", len)
                .finish(),
            BodyKind::Stream { len, .. } => {
                f.debug_struct("Body::Stream").field("len", len).finish()
            }
        }
    }
}

impl Body {
    /// An empty body.
    pub fn empty() -> Body {
        Body::from_bytes(Bytes::new())
    }

    /// An in-memory body (cheaply cloned for retries).
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Body {
        Body {
            kind: BodyKind::Bytes(bytes.into()),
        }
    }

    /// The whole content of a local file, streamed; re-opened for each retry.
    pub fn from_file(path: impl Into<PathBuf>) -> Body {
        Body {
            kind: BodyKind::File {
                path: path.into(),
                offset: 0,
                len: None,
            },
        }
    }

    /// `len` bytes of a local file starting at `offset` (e.g. one part of a multipart upload).
    pub fn from_file_range(path: impl Into<PathBuf>, offset: u64, len: u64) -> Body {
        Body {
            kind: BodyKind::File {
                path: path.into(),
                offset,
                len: Some(len),
            },
        }
    }

    /// A one-shot stream of chunks. Give its length when known: it is sent as
    /// `Content-Length` (otherwise the upload is chunked, which some servers refuse).
    /// Requests with a stream body are never retried.
    pub fn from_stream<S>(stream: S, len: Option<u64>) -> Body
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    {
        Body {
            kind: BodyKind::Stream {
                stream: Mutex::new(Some(stream.boxed())),
                len,
            },
        }
    }

    /// Whether the body can be sent again on a retry.
    pub fn is_replayable(&self) -> bool {
        !matches!(self.kind, BodyKind::Stream { .. })
    }

    /// The length when known without I/O.
    pub fn known_len(&self) -> Option<u64> {
        match &self.kind {
            BodyKind::Bytes(b) => Some(b.len() as u64),
            BodyKind::File { len, .. } | BodyKind::Stream { len, .. } => *len,
        }
    }

    /// The bytes, for an in-memory body.
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match &self.kind {
            BodyKind::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// Base64 MD5 of the content (the `Content-MD5` value), reading a file body once;
    /// an error for a stream body, which cannot be read twice.
    pub async fn content_md5(&self) -> Result<String, OssError> {
        let digest =
            match &self.kind {
                BodyKind::Bytes(b) => Md5::digest(b),
                BodyKind::File { path, offset, len } => {
                    let mut hasher = Md5::new();
                    let mut chunks = std::pin::pin!(open_chunks(path, *offset, *len).await?);
                    while let Some(chunk) = chunks.next().await {
                        hasher.update(chunk.map_err(|e| io_err(path, e))?);
                    }
                    hasher.finalize()
                }
                BodyKind::Stream { .. } => return Err(OssError::invalid(
                    "Content-MD5 request",
                    "cannot compute Content-MD5 of a one-shot stream body; pass the value instead",
                )),
            };
        Ok(base64::engine::general_purpose::STANDARD.encode(digest))
    }

    /// Prepares one attempt: a fresh request body, its length (if known) and the CRC-64 that
    /// fills as the body is sent.
    pub(crate) async fn prepare(&self, progress: &Progress) -> Result<PreparedBody, OssError> {
        let crc = Arc::new(Mutex::new(Crc64::new()));
        let (stream, len): (BoxStream<'static, std::io::Result<Bytes>>, Option<u64>) =
            match &self.kind {
                BodyKind::Bytes(b) => {
                    let b = b.clone();
                    let len = b.len() as u64;
                    let chunks = (0..b.len())
                        .step_by(READ_CHUNK)
                        .map(move |start| Ok(b.slice(start..(start + READ_CHUNK).min(b.len()))))
                        .collect::<Vec<_>>();
                    (futures::stream::iter(chunks).boxed(), Some(len))
                }
                BodyKind::File { path, offset, len } => {
                    let (file, remaining) = open_range(path, *offset, *len).await?;
                    let file = file.into_std().await;
                    (file_chunks(file, path, remaining).boxed(), Some(remaining))
                }
                BodyKind::Stream { stream, len } => {
                    let taken = jitstore_util::lock::lock(stream).take();
                    match taken {
                        Some(s) => (s, *len),
                        None => {
                            return Err(OssError::invalid(
                                "request body",
                                "a stream body was already consumed by an earlier attempt",
                            ))
                        }
                    }
                }
            };
        let tracked = TrackedStream {
            inner: stream,
            crc: crc.clone(),
            progress: progress.clone(),
        };
        Ok(PreparedBody {
            stream: Some(tracked.boxed()),
            len,
            crc,
        })
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Body::from_bytes(b)
    }
}

impl From<Vec<u8>> for Body {
    fn from(b: Vec<u8>) -> Self {
        Body::from_bytes(b)
    }
}

impl From<&'static [u8]> for Body {
    fn from(b: &'static [u8]) -> Self {
        Body::from_bytes(Bytes::from_static(b))
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Self {
        Body::from_bytes(Bytes::from_static(s.as_bytes()))
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Body::from_bytes(s)
    }
}

/// A request body ready for one attempt.
pub(crate) struct PreparedBody {
    stream: Option<BoxStream<'static, std::io::Result<Bytes>>>,
    pub(crate) len: Option<u64>,
    pub(crate) crc: Arc<Mutex<Crc64>>,
}

impl PreparedBody {
    /// The streaming request body (once).
    pub(crate) fn take_body(&mut self) -> reqwest::Body {
        match self.stream.take() {
            Some(s) => reqwest::Body::wrap_stream(s),
            None => reqwest::Body::from(Bytes::new()),
        }
    }

    /// CRC-64 and length of what was sent so far.
    pub(crate) fn sent(&self) -> (u64, u64) {
        let c = jitstore_util::lock::lock(&self.crc);
        (c.finish(), c.len())
    }
}

async fn open_range(
    path: &Path,
    offset: u64,
    len: Option<u64>,
) -> Result<(tokio::fs::File, u64), OssError> {
    let mut file = tokio::fs::File::open(path)
        .await
        .map_err(|e| io_err(path, e))?;
    let size = file.metadata().await.map_err(|e| io_err(path, e))?.len();
    if offset > size {
        return Err(OssError::invalid(
            "file range",
            format!("offset {offset} is past the end of {path:?} ({size} bytes)"),
        ));
    }
    let available = size - offset;
    let remaining = match len {
        Some(l) if l > available => {
            return Err(OssError::invalid(
                "file range",
                format!("{l} bytes from offset {offset} exceed {path:?} ({size} bytes)"),
            ))
        }
        Some(l) => l,
        None => available,
    };
    if offset > 0 {
        file.seek(std::io::SeekFrom::Start(offset))
            .await
            .map_err(|e| io_err(path, e))?;
    }
    Ok((file, remaining))
}

/// The chunks of a file range (see [`open_range`]).
async fn open_chunks(
    path: &Path,
    offset: u64,
    len: Option<u64>,
) -> Result<impl Stream<Item = std::io::Result<Bytes>>, OssError> {
    let (file, remaining) = open_range(path, offset, len).await?;
    Ok(file_chunks(file.into_std().await, path, remaining))
}

fn io_err(path: &Path, source: std::io::Error) -> OssError {
    OssError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Wraps a body stream: feeds the CRC and marks progress for the idle timeout.
struct TrackedStream {
    inner: BoxStream<'static, std::io::Result<Bytes>>,
    crc: Arc<Mutex<Crc64>>,
    progress: Progress,
}

impl Stream for TrackedStream {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = self.inner.poll_next_unpin(cx);
        if let Poll::Ready(Some(Ok(chunk))) = &polled {
            jitstore_util::lock::lock(&self.crc).update(chunk);
            self.progress.touch();
        }
        polled
    }
}

/// The last moment bytes moved on a request, shared by the body wrappers and the watchdog
/// that enforces the idle (read) timeout.
#[derive(Clone, Debug)]
pub(crate) struct Progress {
    start: Instant,
    last_ms: Arc<AtomicU64>,
}

impl Progress {
    pub(crate) fn new() -> Progress {
        Progress {
            start: Instant::now(),
            last_ms: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Records that bytes moved now.
    pub(crate) fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// Resolves once nothing moved for `limit`.
    pub(crate) async fn stalled(&self, limit: Duration) {
        loop {
            let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let idle = self.start.elapsed().saturating_sub(last);
            if idle >= limit {
                return;
            }
            tokio::time::sleep(limit - idle).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn drain(mut prepared: PreparedBody) -> Vec<u8> {
        let mut out = Vec::new();
        let mut s = prepared.stream.take().unwrap();
        while let Some(chunk) = s.next().await {
            out.extend_from_slice(&chunk.unwrap());
        }
        out
    }

    #[tokio::test]
    async fn bytes_body_replays_and_tracks_crc() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let body = Body::from_bytes(data.clone());
        assert!(body.is_replayable());
        for _ in 0..2 {
            let p = body.prepare(&Progress::new()).await.unwrap();
            assert_eq!(p.len, Some(data.len() as u64));
            let crc = p.crc.clone();
            assert_eq!(drain(p).await, data);
            let c = crc.lock().unwrap();
            assert_eq!(c.finish(), crate::crc64::checksum(&data));
        }
        assert_eq!(
            Body::from_bytes("0123456789").content_md5().await.unwrap(),
            "eB5eJF1ptWaXm4bijSPyxw=="
        );
    }

    #[tokio::test]
    async fn file_range_body() {
        let dir = std::env::temp_dir().join(format!("jitstore-body-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.bin");
        std::fs::write(&path, b"hello, world").unwrap();
        let body = Body::from_file_range(&path, 7, 5);
        let p = body.prepare(&Progress::new()).await.unwrap();
        assert_eq!(p.len, Some(5));
        assert_eq!(drain(p).await, b"world");
        let whole = Body::from_file(&path);
        assert_eq!(
            drain(whole.prepare(&Progress::new()).await.unwrap()).await,
            b"hello, world"
        );
        assert_eq!(
            Body::from_file_range(&path, 7, 5)
                .content_md5()
                .await
                .unwrap(),
            Body::from_bytes("world").content_md5().await.unwrap()
        );
        assert!(Body::from_file_range(&path, 10, 5)
            .prepare(&Progress::new())
            .await
            .is_err());
        assert!(matches!(
            Body::from_file(dir.join("missing"))
                .prepare(&Progress::new())
                .await,
            Err(OssError::Io { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn stream_body_is_one_shot() {
        let s = futures::stream::iter(vec![
            Ok(Bytes::from_static(b"ab")),
            Ok(Bytes::from_static(b"c")),
        ]);
        let body = Body::from_stream(s, Some(3));
        assert!(!body.is_replayable());
        assert!(body.content_md5().await.is_err());
        let p = body.prepare(&Progress::new()).await.unwrap();
        assert_eq!(drain(p).await, b"abc");
        assert!(body.prepare(&Progress::new()).await.is_err());
    }

    #[tokio::test]
    async fn progress_watchdog_waits_for_silence() {
        let p = Progress::new();
        let toucher = p.clone();
        let t0 = std::time::Instant::now();
        let keep_alive = tokio::spawn(async move {
            for _ in 0..5 {
                tokio::time::sleep(Duration::from_millis(40)).await;
                toucher.touch();
            }
        });
        p.stalled(Duration::from_millis(100)).await;
        // Touched every 40 ms for 200 ms, so the 100 ms silence ends no sooner than ~300 ms.
        assert!(
            t0.elapsed() >= Duration::from_millis(280),
            "{:?}",
            t0.elapsed()
        );
        keep_alive.await.unwrap();
    }
}
