//! Options and results of the per-call client functions.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use http::HeaderMap;

use crate::error::OssError;

/// OSS storage classes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StorageClass {
    /// `Standard`.
    Standard,
    /// `IA` (infrequent access).
    InfrequentAccess,
    /// `Archive`.
    Archive,
    /// `ColdArchive`.
    ColdArchive,
    /// `DeepColdArchive`.
    DeepColdArchive,
    /// Any other value OSS may add.
    Other(String),
}

impl StorageClass {
    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            StorageClass::Standard => "Standard",
            StorageClass::InfrequentAccess => "IA",
            StorageClass::Archive => "Archive",
            StorageClass::ColdArchive => "ColdArchive",
            StorageClass::DeepColdArchive => "DeepColdArchive",
            StorageClass::Other(s) => s,
        }
    }
}

/// Headers shared by the calls that create an object (PutObject, InitiateMultipartUpload,
/// AppendObject's first append, CopyObject with `REPLACE`).
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// `Content-Type`; `application/octet-stream` when absent.
    pub content_type: Option<String>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// `Content-Disposition`.
    pub content_disposition: Option<String>,
    /// `Content-Encoding`.
    pub content_encoding: Option<String>,
    /// User metadata, sent as `x-oss-meta-<name>` (names are case-insensitive; OSS returns them
    /// lower-cased).
    pub metadata: BTreeMap<String, String>,
    /// `x-oss-storage-class`.
    pub storage_class: Option<StorageClass>,
    /// `x-oss-forbid-overwrite: true`: fail with `FileAlreadyExists` instead of replacing.
    pub forbid_overwrite: bool,
    /// `x-oss-object-acl` (`private`, `public-read`, `public-read-write`, `default`).
    pub object_acl: Option<String>,
    /// `x-oss-tagging` (URL-encoded `k=v&k2=v2`).
    pub tagging: Option<String>,
}

/// How to send `Content-MD5`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ContentMd5 {
    /// Do not send it (the CRC-64 check still protects the upload).
    #[default]
    None,
    /// Compute it from the body (bytes or file; reads a file once before sending).
    Compute,
    /// Send this base64 value.
    Value(String),
}

/// Options of PutObject.
#[derive(Debug, Clone, Default)]
pub struct PutObjectOptions {
    /// Object headers.
    pub write: WriteOptions,
    /// `Content-MD5`.
    pub content_md5: ContentMd5,
}

/// Result of PutObject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutObjectOutput {
    /// ETag (quoted upper-case hex MD5).
    pub etag: Option<String>,
    /// CRC-64 the server computed (already checked against ours when CRC checks are on).
    pub crc64: Option<u64>,
    /// `x-oss-version-id`.
    pub version_id: Option<String>,
    /// `x-oss-request-id`.
    pub request_id: Option<String>,
}

/// A byte range of a GetObject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `bytes=first-last`, both inclusive.
    Inclusive(u64, u64),
    /// `bytes=first-` (to the end).
    From(u64),
    /// `bytes=-n`: the last `n` bytes.
    Suffix(u64),
}

impl ByteRange {
    /// The `Range` header value.
    pub fn header_value(&self) -> String {
        match self {
            ByteRange::Inclusive(a, b) => format!("bytes={a}-{b}"),
            ByteRange::From(a) => format!("bytes={a}-"),
            ByteRange::Suffix(n) => format!("bytes=-{n}"),
        }
    }
}

/// Options of GetObject / HeadObject.
#[derive(Debug, Clone, Default)]
pub struct GetObjectOptions {
    /// A byte range, sent with `x-oss-range-behavior: standard` (an end past the size is
    /// clamped, a start past it is `416 InvalidRange`; never silently the whole object).
    pub range: Option<ByteRange>,
    /// `If-Match` (412 when the ETag differs).
    pub if_match: Option<String>,
    /// `If-None-Match` (304 when the ETag matches).
    pub if_none_match: Option<String>,
    /// `If-Modified-Since` (304 when not modified).
    pub if_modified_since: Option<DateTime<Utc>>,
    /// `If-Unmodified-Since` (412 when modified).
    pub if_unmodified_since: Option<DateTime<Utc>>,
    /// A specific version.
    pub version_id: Option<String>,
    /// Response header overrides (GetObject only): `response-content-type`,
    /// `response-content-disposition`, `response-cache-control`, `response-content-encoding`,
    /// `response-content-language`, `response-expires`, with their values.
    pub response_overrides: Vec<(String, String)>,
}

/// The metadata of an object, as returned by HeadObject, GetObject and GetObjectMeta.
#[derive(Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// `Content-Length` of the answer (the range length for a ranged read).
    pub content_length: Option<u64>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `ETag`, with quotes.
    pub etag: Option<String>,
    /// `Last-Modified`.
    pub last_modified: Option<DateTime<Utc>>,
    /// `x-oss-object-type`: `Normal`, `Appendable`, `Multipart`, `Symlink`.
    pub object_type: Option<String>,
    /// `x-oss-storage-class`.
    pub storage_class: Option<String>,
    /// `x-oss-hash-crc64ecma`: CRC-64 of the whole object.
    pub crc64: Option<u64>,
    /// `x-oss-next-append-position` (appendable objects).
    pub next_append_position: Option<u64>,
    /// `x-oss-version-id`.
    pub version_id: Option<String>,
    /// User metadata (`x-oss-meta-*`), names lower-cased without the prefix.
    pub metadata: BTreeMap<String, String>,
    /// `x-oss-request-id`.
    pub request_id: Option<String>,
    /// All response headers, for anything not mapped above.
    pub headers: HeaderMap,
}

impl fmt::Debug for ObjectMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectMeta")
            .field("content_length", &self.content_length)
            .field("content_type", &self.content_type)
            .field("etag", &self.etag)
            .field("last_modified", &self.last_modified)
            .field("object_type", &self.object_type)
            .field("storage_class", &self.storage_class)
            .field("crc64", &self.crc64)
            .field("next_append_position", &self.next_append_position)
            .field("version_id", &self.version_id)
            .field("metadata", &self.metadata)
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

impl ObjectMeta {
    pub(crate) fn from_headers(
        operation: &'static str,
        headers: &HeaderMap,
    ) -> Result<ObjectMeta, OssError> {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let number = |name: &'static str| -> Result<Option<u64>, OssError> {
            match text(name) {
                None => Ok(None),
                Some(v) => v.trim().parse::<u64>().map(Some).map_err(|_| {
                    OssError::protocol(operation, format!("header {name} is not a number: {v:?}"))
                }),
            }
        };
        let last_modified = match text("last-modified") {
            None => None,
            Some(v) => Some(crate::sign::time::parse_http_date(&v).ok_or_else(|| {
                OssError::protocol(operation, format!("bad Last-Modified {v:?}"))
            })?),
        };
        let mut metadata = BTreeMap::new();
        for (name, value) in headers {
            if let Some(meta) = name.as_str().strip_prefix("x-oss-meta-") {
                let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
                metadata.insert(meta.to_owned(), v);
            }
        }
        Ok(ObjectMeta {
            content_length: number("content-length")?,
            content_type: text("content-type"),
            etag: text("etag"),
            last_modified,
            object_type: text("x-oss-object-type"),
            storage_class: text("x-oss-storage-class"),
            crc64: number(crate::crc64::HEADER)?,
            next_append_position: number("x-oss-next-append-position")?,
            version_id: text("x-oss-version-id"),
            metadata,
            request_id: text("x-oss-request-id"),
            headers: headers.clone(),
        })
    }
}

/// `Content-Range: bytes first-last/total` of a ranged read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentRange {
    /// First byte, inclusive.
    pub first: u64,
    /// Last byte, inclusive.
    pub last: u64,
    /// Object size, when the server states it.
    pub total: Option<u64>,
}

impl ContentRange {
    /// Parses `bytes a-b/total` (or `bytes a-b/*`).
    pub fn parse(value: &str) -> Option<ContentRange> {
        let rest = value.trim().strip_prefix("bytes")?.trim_start();
        let (range, total) = rest.split_once('/')?;
        let (first, last) = range.split_once('-')?;
        let first = first.trim().parse().ok()?;
        let last = last.trim().parse().ok()?;
        let total = match total.trim() {
            "*" => None,
            t => Some(t.parse().ok()?),
        };
        (first <= last).then_some(ContentRange { first, last, total })
    }
}

/// Result of DeleteObject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteObjectOutput {
    /// `x-oss-delete-marker: true` on versioned buckets.
    pub delete_marker: bool,
    /// `x-oss-version-id`.
    pub version_id: Option<String>,
    /// `x-oss-request-id`.
    pub request_id: Option<String>,
}

/// Result of DeleteMultipleObjects (all chunks).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeleteMultipleOutput {
    /// Deletions reported by the server (in quiet mode: none).
    pub deleted: Vec<crate::xml::DeletedObject>,
    /// `x-oss-request-id` of every request sent (one per 1000 keys).
    pub request_ids: Vec<String>,
}

/// `x-oss-metadata-directive` of CopyObject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MetadataDirective {
    /// Keep the source's metadata and Content-Type (the default).
    #[default]
    Copy,
    /// Take metadata and Content-Type from this request's [`WriteOptions`].
    Replace,
}

/// Options of CopyObject.
#[derive(Debug, Clone, Default)]
pub struct CopyObjectOptions {
    /// Source bucket; this client's bucket when `None`.
    pub source_bucket: Option<String>,
    /// Source version.
    pub source_version_id: Option<String>,
    /// Metadata directive.
    pub metadata_directive: MetadataDirective,
    /// Headers of the new object (metadata and Content-Type apply with `Replace`).
    pub write: WriteOptions,
    /// `x-oss-copy-source-if-match`.
    pub if_match: Option<String>,
    /// `x-oss-copy-source-if-none-match`.
    pub if_none_match: Option<String>,
}

/// Result of CopyObject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyObjectOutput {
    /// ETag of the new object.
    pub etag: String,
    /// Last modification time of the new object.
    pub last_modified: Option<DateTime<Utc>>,
    /// `x-oss-hash-crc64ecma` of the new object.
    pub crc64: Option<u64>,
    /// `x-oss-version-id`.
    pub version_id: Option<String>,
    /// `x-oss-request-id`.
    pub request_id: Option<String>,
}

/// Result of AppendObject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendObjectOutput {
    /// Where the next append must start (the new length).
    pub next_position: u64,
    /// CRC-64 of the whole object so far (checked against ours when known).
    pub crc64: Option<u64>,
    /// `x-oss-request-id`.
    pub request_id: Option<String>,
}

/// Result of InitiateMultipartUpload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitiateMultipartOutput {
    /// The upload id to pass to the following calls.
    pub upload_id: String,
    /// `x-oss-request-id`.
    pub request_id: Option<String>,
}

/// Result of UploadPart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadPartOutput {
    /// Part number.
    pub part_number: u32,
    /// Part ETag, to list in CompleteMultipartUpload.
    pub etag: String,
    /// CRC-64 of the part (server's, checked against ours).
    pub crc64: Option<u64>,
    /// Bytes sent.
    pub size: u64,
    /// `x-oss-request-id`.
    pub request_id: Option<String>,
}

impl UploadPartOutput {
    /// The `(part_number, etag)` pair CompleteMultipartUpload needs.
    pub fn completed(&self) -> crate::xml::CompletedPart {
        crate::xml::CompletedPart {
            part_number: self.part_number,
            etag: self.etag.clone(),
        }
    }
}

/// Options of CompleteMultipartUpload.
#[derive(Debug, Clone, Default)]
pub struct CompleteMultipartOptions {
    /// `x-oss-forbid-overwrite: true`.
    pub forbid_overwrite: bool,
    /// `x-oss-object-acl`.
    pub object_acl: Option<String>,
    /// The expected CRC-64 of the whole object (e.g. [`crate::crc64::combine_all`] of the part
    /// CRCs); checked against the server's when given.
    pub expected_crc64: Option<u64>,
}

/// Result of CompleteMultipartUpload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompleteMultipartOutput {
    /// Final ETag (opaque, not an MD5).
    pub etag: String,
    /// Object URL as OSS reports it.
    pub location: Option<String>,
    /// CRC-64 of the whole object.
    pub crc64: Option<u64>,
    /// `x-oss-version-id`.
    pub version_id: Option<String>,
    /// `x-oss-request-id`.
    pub request_id: Option<String>,
}

/// Options of ListObjectsV2.
#[derive(Debug, Clone, Default)]
pub struct ListObjectsV2Options {
    /// Only keys starting with this.
    pub prefix: Option<String>,
    /// Roll keys up to the first occurrence of this after the prefix (usually `/`).
    pub delimiter: Option<String>,
    /// Start after this key.
    pub start_after: Option<String>,
    /// Page size, 1..=1000 (OSS default 100).
    pub max_keys: Option<u32>,
}

/// Options of ListMultipartUploads.
#[derive(Debug, Clone, Default)]
pub struct ListMultipartUploadsOptions {
    /// Only keys starting with this.
    pub prefix: Option<String>,
    /// Roll keys up by this delimiter.
    pub delimiter: Option<String>,
    /// Start after this key...
    pub key_marker: Option<String>,
    /// ...and this upload id.
    pub upload_id_marker: Option<String>,
    /// Page size, 1..=1000.
    pub max_uploads: Option<u32>,
}
