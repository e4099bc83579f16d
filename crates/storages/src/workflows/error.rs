//! [`WorkflowError`]: what can go wrong in a workflow, naming the input at fault.

use std::path::PathBuf;

use crate::error::StorageError;

/// A workflow failed. Messages name the key, path, URL host or field at fault; they never
/// contain credentials, signatures or the query of a presigned URL.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkflowError {
    /// The storage (OSS) call failed.
    #[error(transparent)]
    Storage(#[from] StorageError),

    /// A call on an element's handle failed (the message names the element, its Type, the
    /// operation and the key).
    #[error(transparent)]
    Element(#[from] crate::error::Error),

    /// An argument is not acceptable.
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// Which argument (`directory`, `filename`, `url`, ...).
        what: &'static str,
        /// Why it was refused.
        reason: String,
    },

    /// `env_init` settings do not make a valid OssType config (the message names the field,
    /// e.g. `invalid region: "Bad!": ...`).
    #[error("env_init: {message}")]
    InvalidEnvInit {
        /// The config field at fault, when known.
        field: Option<&'static str>,
        /// What is wrong with it.
        message: String,
    },

    /// A URL is on a host this storage does not own and that was not explicitly allowed.
    #[error("refused to fetch {url}: {reason}")]
    RefusedUrl {
        /// The URL without its query (a presigned query is a secret).
        url: String,
        /// Why.
        reason: String,
    },

    /// An object key would land outside the download directory.
    #[error("refused key {key:?}: {reason}")]
    HostileKey {
        /// The key as listed.
        key: String,
        /// Why it cannot be written locally.
        reason: String,
    },

    /// A local file or folder operation failed.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The local path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },

    /// A plain (anonymous or header-signed) HTTP request failed.
    #[error("HTTP {method} {url} failed: {reason}")]
    Http {
        /// The method.
        method: String,
        /// The URL without its query.
        url: String,
        /// The status and the service's error code, or the transport error.
        reason: String,
        /// The HTTP status, when a response came back.
        status: Option<u16>,
    },

    /// The upload key of a header-signed upload is malformed or was not issued by us.
    #[error("invalid upload key: {reason}")]
    InvalidTicket {
        /// Why.
        reason: String,
    },

    /// The upload key of a header-signed upload has expired.
    #[error("upload key expired at {expired_at} (now {now}); ask for a new one with issue_upload")]
    TicketExpired {
        /// When it expired (RFC 3339).
        expired_at: String,
        /// The time of the check (RFC 3339).
        now: String,
    },

    /// The staged object is missing (the PUT never happened or failed).
    #[error(
        "nothing was uploaded for this upload key (staging object {staging_key:?} is missing)"
    )]
    NotUploaded {
        /// The staging key.
        staging_key: String,
    },

    /// The uploaded size is not what was announced.
    #[error("size mismatch: {expected} bytes were expected ({announced} announced by the ticket), but {actual} bytes arrived; the staged upload was discarded")]
    SizeMismatch {
        /// The size that did not match: the ticket's, or the size the commit expected.
        expected: u64,
        /// The size the ticket announced.
        announced: u64,
        /// Size that arrived.
        actual: u64,
    },

    /// The target name is taken and the conflict strategy says fail.
    #[error("{key:?} already exists (conflict strategy {strategy})")]
    AlreadyExists {
        /// The target key.
        key: String,
        /// The strategy in force.
        strategy: &'static str,
    },
}

impl WorkflowError {
    pub(crate) fn invalid(what: &'static str, reason: impl Into<String>) -> WorkflowError {
        WorkflowError::InvalidInput {
            what,
            reason: reason.into(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> WorkflowError {
        WorkflowError::Io {
            path: path.into(),
            source,
        }
    }
}

/// `url` without query and fragment (safe to print: presigned signatures live in the query).
pub(crate) fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            let had_query = u.query().is_some();
            u.set_query(None);
            u.set_fragment(None);
            let _ = u.set_password(None);
            let _ = u.set_username("");
            let mut s = String::from(u);
            if had_query {
                s.push_str("?<query hidden>");
            }
            s
        }
        Err(_) => "<unparsable URL>".to_owned(),
    }
}
