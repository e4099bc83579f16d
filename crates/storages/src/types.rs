//! The values exchanged through the `storages.Meta` interface.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// The default expiry of [`get_sign_url`](crate::StorageHandle::get_sign_url): 300 seconds,
/// JitAI's `SIGN_EXPIRES`.
pub const DEFAULT_SIGN_EXPIRES: Duration = Duration::from_secs(300);

/// The content type used when an upload gives none: `application/octet-stream`.
pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// What `upload_by_file` (and the other uploads) return.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadResult {
    /// A URL for the object (`file://` for DiskType; an encoded object URL for OSS).
    pub url: String,
    /// The object key.
    pub key: String,
    /// Bytes stored.
    pub size: u64,
    /// The entity tag, as the storage reports it.
    pub etag: String,
    /// CRC-64/XZ of the content, when the storage reports one.
    pub crc64: Option<u64>,
    /// The content type stored with (or inferred for) the object.
    pub content_type: Option<String>,
}

impl UploadResult {
    /// A result with the fields every storage reports.
    pub fn new(
        url: impl Into<String>,
        key: impl Into<String>,
        size: u64,
        etag: impl Into<String>,
    ) -> UploadResult {
        UploadResult {
            url: url.into(),
            key: key.into(),
            size,
            etag: etag.into(),
            crc64: None,
            content_type: None,
        }
    }
}

/// Object metadata (`get_object`, list entries).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectInfo {
    /// The object key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// The entity tag.
    pub etag: Option<String>,
    /// The content type.
    pub content_type: Option<String>,
    /// Last modification time.
    pub last_modified: Option<DateTime<Utc>>,
    /// User metadata (`x-oss-meta-*` on OSS), keys lower-case.
    pub user_metadata: BTreeMap<String, String>,
    /// CRC-64/XZ of the content, when the storage reports one.
    pub crc64: Option<u64>,
    /// Storage class (e.g. `Standard`), when the storage has classes.
    pub storage_class: Option<String>,
}

impl ObjectInfo {
    /// Metadata with a key and a size; set the other (public) fields as known.
    pub fn new(key: impl Into<String>, size: u64) -> ObjectInfo {
        ObjectInfo {
            key: key.into(),
            size,
            etag: None,
            content_type: None,
            last_modified: None,
            user_metadata: BTreeMap::new(),
            crc64: None,
            storage_class: None,
        }
    }
}

/// Options of a write: [`write`](crate::Storage::write) and
/// [`upload_with`](crate::Storage::upload_with).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadOptions {
    /// The content type (default `application/octet-stream`).
    pub content_type: Option<String>,
    /// User metadata to store with the object.
    pub user_metadata: BTreeMap<String, String>,
}

impl UploadOptions {
    /// Options with a content type.
    pub fn content_type(content_type: impl Into<String>) -> UploadOptions {
        UploadOptions {
            content_type: Some(content_type.into()),
            ..UploadOptions::default()
        }
    }
}

/// A request for a presigned URL for any method ([`sign_url`](crate::Storage::sign_url)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignUrlRequest {
    /// HTTP method (`GET`, `PUT`, ...).
    pub method: String,
    /// The object key.
    pub key: String,
    /// How long the URL stays valid.
    pub expires: Duration,
    /// Content type the client will send (signed for `PUT`) or ask for (`GET`).
    pub content_type: Option<String>,
    /// Extra headers to sign.
    pub headers: BTreeMap<String, String>,
}

impl SignUrlRequest {
    /// A request for `method` on `key`, valid for the default 300 s.
    pub fn new(method: impl Into<String>, key: impl Into<String>) -> SignUrlRequest {
        SignUrlRequest {
            method: method.into(),
            key: key.into(),
            expires: DEFAULT_SIGN_EXPIRES,
            content_type: None,
            headers: BTreeMap::new(),
        }
    }
}

/// A presigned URL and what the caller must send with it. Its `Debug` output masks the
/// signature and any security token in the URL (the URL is a bearer secret); `url` itself is
/// the whole URL.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignedUrl {
    /// The URL (its query carries the signature: treat as a bearer secret until it expires).
    pub url: String,
    /// The method it is valid for.
    pub method: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// Headers the request must carry exactly (e.g. `Content-Type` for a signed PUT).
    pub headers: BTreeMap<String, String>,
}

impl fmt::Debug for SignedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedUrl")
            .field(
                "url",
                &jitstore_oss::sign::redact::redact_secrets(&self.url),
            )
            .field("method", &self.method)
            .field("expires_at", &self.expires_at)
            .field(
                "headers",
                &self
                    .headers
                    .iter()
                    .map(|(name, value)| {
                        let secret = jitstore_oss::sign::redact::is_secret_name(name);
                        (name, if secret { "<redacted>" } else { value.as_str() })
                    })
                    .collect::<BTreeMap<_, _>>(),
            )
            .finish()
    }
}

impl SignedUrl {
    /// A signed URL with no required headers.
    pub fn new(
        url: impl Into<String>,
        method: impl Into<String>,
        expires_at: DateTime<Utc>,
    ) -> SignedUrl {
        SignedUrl {
            url: url.into(),
            method: method.into(),
            expires_at,
            headers: BTreeMap::new(),
        }
    }
}

/// One operation of the interface, used in errors and capability lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// `upload_by_file`
    UploadByFile,
    /// `upload_with`
    UploadWith,
    /// `upload_path`
    UploadPath,
    /// `get_sign_url`
    GetSignUrl,
    /// `sign_url`
    SignUrl,
    /// `download`
    Download,
    /// `download_to`
    DownloadTo,
    /// `get_object`
    GetObject,
    /// `exists`
    Exists,
    /// `delete`
    Delete,
    /// `delete_many`
    DeleteMany,
    /// `list`
    List,
    /// `copy`
    Copy,
    /// `append`
    Append,
    /// `read` (streaming, ranged)
    Read,
    /// `write` (streaming writer)
    Write,
    /// `stat`
    Stat,
    /// `list_with_delimiter`
    ListWithDelimiter,
}

impl Operation {
    /// The method name.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::UploadByFile => "upload_by_file",
            Operation::UploadWith => "upload_with",
            Operation::UploadPath => "upload_path",
            Operation::GetSignUrl => "get_sign_url",
            Operation::SignUrl => "sign_url",
            Operation::Download => "download",
            Operation::DownloadTo => "download_to",
            Operation::GetObject => "get_object",
            Operation::Exists => "exists",
            Operation::Delete => "delete",
            Operation::DeleteMany => "delete_many",
            Operation::List => "list",
            Operation::Copy => "copy",
            Operation::Append => "append",
            Operation::Read => "read",
            Operation::Write => "write",
            Operation::Stat => "stat",
            Operation::ListWithDelimiter => "list_with_delimiter",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_url_debug_masks_signatures_and_tokens_but_keeps_the_rest() {
        let mut url = SignedUrl::new(
            "https://b.oss-cn-hangzhou.aliyuncs.com/k.txt?x-oss-credential=AKID%2F20261130\
             &x-oss-signature=5ecret5ig&x-oss-security-token=T0KEN&x-oss-expires=60",
            "GET",
            DateTime::<Utc>::UNIX_EPOCH,
        );
        url.headers
            .insert("x-oss-security-token".into(), "HEADERT0KEN".into());
        url.headers
            .insert("Content-Type".into(), "text/plain".into());
        let shown = format!("{url:?}");
        for secret in ["5ecret5ig", "T0KEN", "HEADERT0KEN"] {
            assert!(!shown.contains(secret), "{secret} leaked in {shown}");
        }
        for kept in ["/k.txt", "AKID", "x-oss-expires=60", "text/plain", "GET"] {
            assert!(shown.contains(kept), "{kept} missing from {shown}");
        }
        let s3 = SignedUrl::new(
            "http://127.0.0.1:9000/b/k?X-Amz-Credential=AKID&X-Amz-Signature=abc123def\
             &X-Amz-Security-Token=S3T0KEN",
            "PUT",
            DateTime::<Utc>::UNIX_EPOCH,
        );
        let shown = format!("{s3:?}");
        assert!(
            !shown.contains("abc123def") && !shown.contains("S3T0KEN"),
            "{shown}"
        );
    }
}
