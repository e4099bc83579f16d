//! Staged upload (DingTalk's header-signed upload) in three steps, on our own bucket.
//!
//! 1. **Server side**, [`OssWorkflows::issue_upload`](super::OssWorkflows::issue_upload): picks a fresh staging key, computes the
//!    V4 `Authorization` header for exactly one request — `PUT` of that key with no
//!    Content-Type — and returns an [`UploadTicket`]: the upload key, the plain resource
//!    URL(s) (no signature in the query), the headers to send and the validity in seconds.
//! 2. **Client side**, [`put_with_signed_headers`]: PUTs the file to the URL with exactly
//!    those headers and **no Content-Type** (adding one changes the string-to-sign, and OSS
//!    answers `403 SignatureDoesNotMatch`), streamed.
//! 3. **Server side**, [`OssWorkflows::commit`](super::OssWorkflows::commit): checks the upload key, the expiry and the
//!    staged object's size, then copies it to `folder/name` under a [`ConflictStrategy`]
//!    (a server-side copy guarded by the staged ETag and `x-oss-forbid-overwrite`) and
//!    deletes the staging object. A size mismatch or an expired ticket removes the staged
//!    object and fails clearly; the final key is only ever written by one complete copy.
//!
//! The upload key cannot be forged into committing other keys: it is
//! `v1.<payload>.<mac>`, where the payload (bucket, folder, staging key, size, expiry) is
//! authenticated with HMAC-SHA256 under a key derived from the element's AccessKey secret
//! (so `issue-upload` and `commit` may run in different processes). Tickets therefore stop
//! verifying when the secret changes (for STS credentials: at rotation) — issue a new one.
//! Staged objects live under [`STAGING_PREFIX`]; a lifecycle rule on that prefix cleans up
//! uploads that were never committed.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use http::Method;
use jitstore_oss::client::{
    CopyObjectOptions, MetadataDirective, SignRequestOptions, SigningTime, WriteOptions,
};
use jitstore_oss::transfer::ProgressFn;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::error::WorkflowError;
use super::names::{segment_problem, MAX_KEY_BYTES};
use super::plain_http;
use crate::error::ErrorKind;
use crate::oss::{map_error, OssStorage};
use crate::storage::Storage;

/// Where staged uploads wait for their commit.
pub const STAGING_PREFIX: &str = ".jitstore-uploads/";
/// The longest validity of a ticket: OSS accepts a header-signed request only within 15
/// minutes of its `x-oss-date`.
pub const MAX_TICKET_SECONDS: u64 = 900;
/// The largest single PUT OSS accepts (5 GiB).
pub const MAX_SINGLE_PUT: u64 = 5 * 1024 * 1024 * 1024;

type HmacSha256 = Hmac<Sha256>;

/// What to do when the committed name is taken.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConflictStrategy {
    /// `name (1).ext`, `name (2).ext`, ... (DingTalk's default).
    #[default]
    AutoRename,
    /// Replace the existing object.
    Overwrite,
    /// Fail with [`WorkflowError::AlreadyExists`] (the staged upload is kept until expiry so
    /// the commit can be retried with another name or strategy).
    FailIfExists,
}

impl ConflictStrategy {
    /// The DingTalk-style name.
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictStrategy::AutoRename => "AUTO_RENAME",
            ConflictStrategy::Overwrite => "OVERWRITE",
            ConflictStrategy::FailIfExists => "FAIL_IF_EXISTS",
        }
    }
}

impl std::str::FromStr for ConflictStrategy {
    type Err = WorkflowError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().replace('-', "_").as_str() {
            "AUTO_RENAME" => Ok(ConflictStrategy::AutoRename),
            "OVERWRITE" => Ok(ConflictStrategy::Overwrite),
            "FAIL_IF_EXISTS" | "RETURN_ERROR_IF_EXISTS" | "FAIL" => {
                Ok(ConflictStrategy::FailIfExists)
            }
            _ => Err(WorkflowError::invalid(
                "conflict strategy",
                format!("{s:?}; expected AUTO_RENAME, OVERWRITE or FAIL_IF_EXISTS"),
            )),
        }
    }
}

/// Step 1's answer: everything the uploading client needs.
#[derive(Clone, Serialize)]
pub struct UploadTicket {
    /// Pass to [`OssWorkflows::commit`](super::OssWorkflows::commit) (opaque, tamper-evident).
    pub upload_key: String,
    /// Plain object URLs to PUT to, preferred first (no signature in the query).
    pub resource_urls: Vec<String>,
    /// Headers to send exactly as given (`Authorization`, `x-oss-date`, ...). Send no
    /// Content-Type.
    pub headers: BTreeMap<String, String>,
    /// Seconds the ticket stays valid.
    pub expiration_seconds: u64,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    /// The staging object key.
    pub staging_key: String,
    /// The announced size.
    pub size: u64,
}

impl fmt::Debug for UploadTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadTicket")
            .field("resource_urls", &self.resource_urls)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("expiration_seconds", &self.expiration_seconds)
            .field("staging_key", &self.staging_key)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// Step 3's answer: the committed object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommittedObject {
    /// The final key.
    pub key: String,
    /// The final name (differs from the asked one after an auto-rename).
    pub name: String,
    /// Whether the name was changed to avoid a conflict.
    pub renamed: bool,
    /// Size in bytes.
    pub size: u64,
    /// The ETag (without quotes).
    pub etag: String,
    /// CRC-64/XZ.
    pub crc64: Option<u64>,
    /// The content type set from the name.
    pub content_type: String,
}

/// What the header-signed PUT answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignedPut {
    /// Bytes sent.
    pub size: u64,
    /// The ETag OSS returned.
    pub etag: Option<String>,
    /// The CRC-64 OSS computed.
    pub crc64: Option<u64>,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    /// Bucket.
    b: String,
    /// Folder (empty or ending with `/`).
    f: String,
    /// Staging key.
    s: String,
    /// Announced size.
    n: u64,
    /// Expiry, Unix seconds.
    e: i64,
}

fn mac_key(secret: &str, bucket: &str) -> Result<HmacSha256, WorkflowError> {
    let mut derive = HmacSha256::new_from_slice(secret.as_bytes())
        .map_err(|_| WorkflowError::invalid("credentials", "unusable secret"))?;
    derive.update(b"jitstore upload ticket v1\n");
    derive.update(bucket.as_bytes());
    let key = derive.finalize().into_bytes();
    HmacSha256::new_from_slice(&key)
        .map_err(|_| WorkflowError::invalid("credentials", "unusable secret"))
}

fn checked_folder(folder: &str) -> Result<String, WorkflowError> {
    let f = folder.trim().replace('\\', "/");
    let f = f.trim_matches('/');
    if f.is_empty() {
        return Ok(String::new());
    }
    for segment in f.split('/') {
        if let Some(problem) = segment_problem(segment) {
            return Err(WorkflowError::invalid(
                "folder",
                format!("{f:?}: {problem}"),
            ));
        }
    }
    if f.starts_with(STAGING_PREFIX.trim_end_matches('/')) {
        return Err(WorkflowError::invalid(
            "folder",
            "the staging area is not a commit target",
        ));
    }
    Ok(format!("{f}/"))
}

/// DingTalk's name rules plus ours: trimmed, no path separators, no `* " < > |`, no tab or
/// other control characters, not ending with `.`, at most 255 bytes.
fn checked_name(name: &str) -> Result<String, WorkflowError> {
    let n = name.trim();
    if let Some(problem) = segment_problem(n) {
        return Err(WorkflowError::invalid("name", format!("{n:?}: {problem}")));
    }
    if let Some(c) = n
        .chars()
        .find(|c| matches!(c, '/' | '\\' | '*' | '"' | '<' | '>' | '|'))
    {
        return Err(WorkflowError::invalid(
            "name",
            format!("{n:?} contains {c:?}"),
        ));
    }
    if n.ends_with('.') {
        return Err(WorkflowError::invalid(
            "name",
            format!("{n:?} ends with '.'"),
        ));
    }
    Ok(n.to_owned())
}

fn renamed(name: &str, n: u32) -> String {
    match name.rsplit_once('.') {
        Some((base, ext)) if !base.is_empty() => format!("{base} ({n}).{ext}"),
        _ => format!("{name} ({n})"),
    }
}

impl OssStorage {
    async fn verify_ticket(&self, upload_key: &str) -> Result<Payload, WorkflowError> {
        let invalid = |reason: &str| WorkflowError::InvalidTicket {
            reason: reason.to_owned(),
        };
        let mut parts = upload_key.trim().split('.');
        let (Some("v1"), Some(payload), Some(tag), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid("not of the form v1.<payload>.<mac>"));
        };
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| invalid("the MAC is not base64url"))?;
        let bucket = self.client().bucket().to_owned();
        let creds = self
            .credentials_provider()
            .credentials()
            .await
            .map_err(|e| WorkflowError::invalid("credentials", e.to_string()))?;
        let mut mac = mac_key(creds.access_key_secret.expose(), &bucket)?;
        mac.update(payload.as_bytes());
        mac.verify_slice(&tag)
            .map_err(|_| invalid("it was not issued by this storage or it was altered"))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| invalid("the payload is not base64url"))?;
        let payload: Payload =
            serde_json::from_slice(&bytes).map_err(|_| invalid("the payload is not a ticket"))?;
        if payload.b != bucket || !payload.s.starts_with(STAGING_PREFIX) {
            return Err(invalid("it belongs to another bucket"));
        }
        Ok(payload)
    }
}

/// Step 2: PUTs the file at `path` to `url` with exactly `headers` — nothing else but the
/// transport's `Content-Length`; in particular no Content-Type — streamed.
pub async fn put_with_signed_headers(
    url: &str,
    headers: &BTreeMap<String, String>,
    path: &Path,
    progress: Option<ProgressFn>,
) -> Result<SignedPut, WorkflowError> {
    let pairs: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let put = plain_http::put_file(url, &pairs, path, progress.as_ref()).await?;
    Ok(SignedPut {
        size: put.size,
        etag: put.etag,
        crc64: put.crc64,
    })
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The implementation of [`OssWorkflows::issue_upload`](super::OssWorkflows::issue_upload).
pub(crate) async fn issue_upload(
    oss: &OssStorage,
    folder: &str,
    size: u64,
    expires: Duration,
) -> Result<UploadTicket, WorkflowError> {
    let folder = checked_folder(folder)?;
    let secs = expires.as_secs();
    if !(1..=MAX_TICKET_SECONDS).contains(&secs) {
        return Err(WorkflowError::invalid(
            "expires",
            format!(
                "{secs} s; a ticket must be valid for at least 1 s and at most \
                 {MAX_TICKET_SECONDS} s (how long OSS accepts a header-signed PUT)"
            ),
        ));
    }
    if size > MAX_SINGLE_PUT {
        return Err(WorkflowError::invalid(
            "size",
            format!("{size} bytes is more than one PUT may carry ({MAX_SINGLE_PUT})"),
        ));
    }
    let client = oss.client();
    let bucket = client.bucket().to_owned();
    let mut nonce = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut nonce);
    let staging_key = format!("{STAGING_PREFIX}{}", hex_lower(&nonce));
    let creds = oss
        .credentials_provider()
        .credentials()
        .await
        .map_err(|e| WorkflowError::invalid("credentials", e.to_string()))?;
    let signed = client
        .sign_request(
            &staging_key,
            SignRequestOptions {
                method: Method::PUT,
                ..SignRequestOptions::default()
            },
        )
        .await
        .map_err(map_error)?;
    let now = signed.signed_at;
    let mut headers = BTreeMap::new();
    for (name, value) in &signed.signature_headers {
        if let Ok(v) = value.to_str() {
            let shown = if name == http::header::AUTHORIZATION {
                "Authorization".to_owned()
            } else if name == http::header::DATE {
                "Date".to_owned()
            } else {
                name.as_str().to_owned()
            };
            headers.insert(shown, v.to_owned());
        }
    }
    let expires_at = now + chrono::Duration::seconds(secs as i64);
    let payload = Payload {
        b: bucket.clone(),
        f: folder,
        s: staging_key.clone(),
        n: size,
        e: expires_at.timestamp(),
    };
    let payload = URL_SAFE_NO_PAD.encode(
        serde_json::to_vec(&payload)
            .map_err(|e| WorkflowError::invalid("ticket", e.to_string()))?,
    );
    let mut mac = mac_key(creds.access_key_secret.expose(), &bucket)?;
    mac.update(payload.as_bytes());
    let tag = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    let mut resource_urls = Vec::new();
    for endpoint in [client.endpoint(), oss.presigner().endpoint()] {
        let url = String::from(
            endpoint
                .object_url(&bucket, &staging_key)
                .map_err(|e| WorkflowError::invalid("endpoint", e.to_string()))?,
        );
        if !resource_urls.contains(&url) {
            resource_urls.push(url);
        }
    }
    Ok(UploadTicket {
        upload_key: format!("v1.{payload}.{tag}"),
        resource_urls,
        headers,
        expiration_seconds: secs,
        expires_at: super::whole_seconds(expires_at),
        staging_key,
        size,
    })
}

/// The implementation of [`OssWorkflows::commit`](super::OssWorkflows::commit).
pub(crate) async fn commit(
    oss: &OssStorage,
    upload_key: &str,
    name: &str,
    expected_size: Option<u64>,
    conflict: ConflictStrategy,
) -> Result<CommittedObject, WorkflowError> {
    let ticket = oss.verify_ticket(upload_key).await?;
    let name = checked_name(name)?;
    let now = oss.client().signing_time(SigningTime::Now);
    if now.timestamp() > ticket.e {
        let _ = Storage::delete(oss, &ticket.s).await;
        return Err(WorkflowError::TicketExpired {
            expired_at: DateTime::<Utc>::from_timestamp(ticket.e, 0)
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
            now: now.to_rfc3339(),
        });
    }
    let staged = match Storage::get_object(oss, &ticket.s).await {
        Ok(info) => info,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(WorkflowError::NotUploaded {
                staging_key: ticket.s,
            })
        }
        Err(e) => return Err(e.into()),
    };
    for expected in [Some(ticket.n), expected_size].into_iter().flatten() {
        if staged.size != expected {
            let _ = Storage::delete(oss, &ticket.s).await;
            return Err(WorkflowError::SizeMismatch {
                expected,
                announced: ticket.n,
                actual: staged.size,
            });
        }
    }
    let content_type = mime_guess::from_path(&name)
        .first_raw()
        .unwrap_or(crate::types::DEFAULT_CONTENT_TYPE)
        .to_owned();
    let attempts: Vec<String> = match conflict {
        ConflictStrategy::AutoRename => std::iter::once(name.clone())
            .chain((1..=99).map(|n| renamed(&name, n)))
            .collect(),
        _ => vec![name.clone()],
    };
    for candidate in attempts {
        let key = format!("{}{candidate}", ticket.f);
        if key.len() > MAX_KEY_BYTES {
            return Err(WorkflowError::invalid(
                "name",
                format!("the key would be longer than {MAX_KEY_BYTES} bytes"),
            ));
        }
        let options = CopyObjectOptions {
            metadata_directive: MetadataDirective::Replace,
            write: WriteOptions {
                content_type: Some(content_type.clone()),
                forbid_overwrite: conflict != ConflictStrategy::Overwrite,
                ..WriteOptions::default()
            },
            if_match: staged.etag.as_ref().map(|e| format!("\"{e}\"")),
            ..CopyObjectOptions::default()
        };
        match oss.client().copy_object(&key, &ticket.s, options).await {
            Ok(copied) => {
                if let Err(e) = Storage::delete(oss, &ticket.s).await {
                    tracing::warn!(staging_key = %ticket.s, error = %e, "committed, but the staging object could not be deleted");
                }
                return Ok(CommittedObject {
                    renamed: candidate != name,
                    key,
                    name: candidate,
                    size: staged.size,
                    etag: copied.etag.trim_matches('"').to_owned(),
                    crc64: copied.crc64.or(staged.crc64),
                    content_type,
                });
            }
            Err(e) => match map_error(e) {
                e if e.kind() == ErrorKind::AlreadyExists => {
                    if conflict == ConflictStrategy::FailIfExists {
                        return Err(WorkflowError::AlreadyExists {
                            key,
                            strategy: conflict.as_str(),
                        });
                    }
                }
                other => return Err(other.into()),
            },
        }
    }
    Err(WorkflowError::AlreadyExists {
        key: format!("{}{name}", ticket.f),
        strategy: "AUTO_RENAME (99 alternatives taken)",
    })
}
