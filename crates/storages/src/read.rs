//! The streaming reader of the core: [`ReadOptions`] (a [`ByteRange`], ETag conditions) in,
//! [`ReadResult`] (the object's metadata plus a [`ByteStream`] of its bytes) out.
//!
//! Range semantics are HTTP's (RFC 9110), the same for every Type, and decided in one place
//! ([`ByteRange::resolve`]): `a..b` is clamped to the object's end, `a..` runs to the end,
//! `last(n)` is the final `n` bytes (the whole object when it is shorter); a range that selects
//! nothing (a start at or beyond the end, any range of an empty object) is
//! [`ErrorKind::RangeNotSatisfiable`](crate::ErrorKind::RangeNotSatisfiable).

use std::ops::Range;

use bytes::{Bytes, BytesMut};
use futures::stream::{BoxStream, StreamExt, TryStreamExt};

use crate::error::{ErrorKind, StorageError};
use crate::types::ObjectInfo;

/// A stream of an object's bytes, in order, in chunks of a Type-chosen size.
pub type ByteStream = BoxStream<'static, Result<Bytes, StorageError>>;

/// Which bytes of an object to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ByteRange {
    /// Bytes `start..end` (end exclusive; clamped to the object's size). `start < end`.
    Bounded(Range<u64>),
    /// Bytes from `start` to the end.
    From(u64),
    /// The last `n` bytes (`n > 0`; the whole object when it is shorter).
    Last(u64),
}

impl ByteRange {
    /// Checks the range on its own (before knowing the object): `a..b` needs `a < b`,
    /// `last(n)` needs `n > 0`.
    pub fn validate(&self) -> Result<(), StorageError> {
        match self {
            ByteRange::Bounded(r) if r.start >= r.end => Err(StorageError::invalid_argument(
                format!("the byte range {}..{} is empty", r.start, r.end),
            )),
            ByteRange::Last(0) => Err(StorageError::invalid_argument(
                "a suffix range must ask for at least one byte",
            )),
            _ => Ok(()),
        }
    }

    /// The bytes this range selects in an object of `size` bytes.
    ///
    /// ```
    /// use jitstore_storages::{ByteRange, ErrorKind};
    ///
    /// assert_eq!(ByteRange::Bounded(2..100).resolve(10).unwrap(), 2..10);
    /// assert_eq!(ByteRange::From(4).resolve(10).unwrap(), 4..10);
    /// assert_eq!(ByteRange::Last(3).resolve(10).unwrap(), 7..10);
    /// assert_eq!(ByteRange::Last(30).resolve(10).unwrap(), 0..10);
    /// assert_eq!(ByteRange::From(10).resolve(10).unwrap_err().kind(),
    ///     ErrorKind::RangeNotSatisfiable);
    /// ```
    pub fn resolve(&self, size: u64) -> Result<Range<u64>, StorageError> {
        self.validate()?;
        let unsatisfiable = || {
            StorageError::new(
                ErrorKind::RangeNotSatisfiable,
                format!("the range {self} selects nothing of an object of {size} bytes"),
            )
        };
        match self {
            ByteRange::Bounded(r) if r.start < size => Ok(r.start..r.end.min(size)),
            ByteRange::From(start) if *start < size => Ok(*start..size),
            ByteRange::Last(n) if size > 0 => Ok(size.saturating_sub(*n)..size),
            _ => Err(unsatisfiable()),
        }
    }

    /// The HTTP `Range` header value (`bytes=a-b`, `bytes=a-`, `bytes=-n`).
    pub fn to_http(&self) -> String {
        match self {
            ByteRange::Bounded(r) => format!("bytes={}-{}", r.start, r.end.saturating_sub(1)),
            ByteRange::From(start) => format!("bytes={start}-"),
            ByteRange::Last(n) => format!("bytes=-{n}"),
        }
    }

    /// Parses one HTTP `Range` header value (`bytes=a-b`, `bytes=a-`, `bytes=-n`); `None` for
    /// anything else (multiple ranges, other units, malformed numbers), which HTTP servers
    /// answer by ignoring the header.
    ///
    /// ```
    /// use jitstore_storages::ByteRange;
    /// assert_eq!(ByteRange::from_http("bytes=0-99"), Some(ByteRange::Bounded(0..100)));
    /// assert_eq!(ByteRange::from_http("bytes=-500"), Some(ByteRange::Last(500)));
    /// assert_eq!(ByteRange::from_http("bytes=0-1,5-9"), None);
    /// ```
    pub fn from_http(value: &str) -> Option<ByteRange> {
        let spec = value.trim().strip_prefix("bytes=")?.trim();
        if spec.contains(',') {
            return None;
        }
        let (a, b) = spec.split_once('-')?;
        let (a, b) = (a.trim(), b.trim());
        if a.is_empty() {
            return b.parse().ok().map(ByteRange::Last);
        }
        let start: u64 = a.parse().ok()?;
        if b.is_empty() {
            return Some(ByteRange::From(start));
        }
        let last: u64 = b.parse().ok()?;
        (last >= start).then(|| ByteRange::Bounded(start..last.saturating_add(1)))
    }
}

impl std::fmt::Display for ByteRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ByteRange::Bounded(r) => write!(f, "{}..{}", r.start, r.end),
            ByteRange::From(start) => write!(f, "{start}.."),
            ByteRange::Last(n) => write!(f, "last {n} bytes"),
        }
    }
}

impl From<Range<u64>> for ByteRange {
    fn from(range: Range<u64>) -> ByteRange {
        ByteRange::Bounded(range)
    }
}

impl From<std::ops::RangeFrom<u64>> for ByteRange {
    fn from(range: std::ops::RangeFrom<u64>) -> ByteRange {
        ByteRange::From(range.start)
    }
}

/// Options of [`read`](crate::Storage::read).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReadOptions {
    /// The bytes to read (default: all).
    pub range: Option<ByteRange>,
    /// Read only if the object's ETag is this one (else
    /// [`ErrorKind::ConditionNotMatch`](crate::ErrorKind::ConditionNotMatch)). Quoted or not.
    pub if_match: Option<String>,
    /// Read only if the object's ETag is not this one (else
    /// [`ErrorKind::NotModified`](crate::ErrorKind::NotModified)). Quoted or not.
    pub if_none_match: Option<String>,
}

impl ReadOptions {
    /// Reads the whole object.
    pub fn new() -> ReadOptions {
        ReadOptions::default()
    }

    /// Reads `range` only.
    pub fn range(range: impl Into<ByteRange>) -> ReadOptions {
        ReadOptions {
            range: Some(range.into()),
            ..ReadOptions::default()
        }
    }

    /// Adds an `If-Match` condition.
    pub fn if_match(mut self, etag: impl Into<String>) -> ReadOptions {
        self.if_match = Some(etag.into());
        self
    }

    /// Adds an `If-None-Match` condition.
    pub fn if_none_match(mut self, etag: impl Into<String>) -> ReadOptions {
        self.if_none_match = Some(etag.into());
        self
    }

    /// Checks the conditions against an object's ETag, for Types that evaluate them
    /// themselves: `If-Match` first (412), then `If-None-Match` (304). `*` matches any ETag.
    pub fn check_conditions(&self, etag: Option<&str>) -> Result<(), StorageError> {
        let current = etag.map(unquote);
        let matches = |wanted: &str| {
            wanted
                .split(',')
                .map(|t| unquote(t.trim()))
                .any(|t| t == "*" || Some(t) == current)
        };
        if let Some(wanted) = &self.if_match {
            if !matches(wanted) {
                return Err(StorageError::new(
                    ErrorKind::ConditionNotMatch,
                    format!("If-Match {wanted} does not match the object's ETag"),
                ));
            }
        }
        if let Some(wanted) = &self.if_none_match {
            if matches(wanted) {
                return Err(StorageError::new(
                    ErrorKind::NotModified,
                    format!("If-None-Match {wanted} matches: not modified"),
                ));
            }
        }
        Ok(())
    }
}

fn unquote(etag: &str) -> &str {
    let etag = etag.strip_prefix("W/").unwrap_or(etag);
    etag.trim_matches('"')
}

/// What [`read`](crate::Storage::read) returns: the object's metadata, the byte range the
/// stream carries, and the stream.
#[non_exhaustive]
pub struct ReadResult {
    /// The whole object's metadata (`size` is the object's size, not the range's).
    pub info: ObjectInfo,
    /// The bytes of the object the stream carries.
    pub range: Range<u64>,
    /// The bytes, in order. Dropping it early cancels the transfer.
    pub stream: ByteStream,
}

impl std::fmt::Debug for ReadResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadResult")
            .field("info", &self.info)
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

impl ReadResult {
    /// A result carrying `range` of the object described by `info`.
    pub fn new(info: ObjectInfo, range: Range<u64>, stream: ByteStream) -> ReadResult {
        ReadResult {
            info,
            range,
            stream,
        }
    }

    /// Collects the stream into memory (for small objects and ranges). Fails with
    /// [`ErrorKind::Integrity`] when the stream ends short of its range.
    pub async fn bytes(self) -> Result<Bytes, StorageError> {
        let expected = self.range.end - self.range.start;
        let mut out = BytesMut::with_capacity(usize::try_from(expected).unwrap_or(0).min(1 << 26));
        let mut stream = self.stream;
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk?);
        }
        if out.len() as u64 != expected {
            return Err(StorageError::integrity(format!(
                "the stream carried {} bytes, the range {}..{} has {expected}",
                out.len(),
                self.range.start,
                self.range.end
            )));
        }
        Ok(out.freeze())
    }

    /// The stream as a [`tokio::io::AsyncRead`] (errors surface as `std::io::Error`s wrapping
    /// the [`StorageError`]).
    pub fn into_async_read(self) -> impl tokio::io::AsyncRead + Send + Unpin {
        tokio_util::io::StreamReader::new(self.stream.map_err(std::io::Error::other))
    }
}
