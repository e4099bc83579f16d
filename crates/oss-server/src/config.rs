//! Server settings: what `Server::start` needs, also loadable from a JSON config file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::faults::FaultPlan;

/// Default region, as on OSS's most common endpoint.
pub const DEFAULT_REGION: &str = "cn-hangzhou";

/// One accepted access key. With `security_token` set, requests must also carry that STS token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessKey {
    /// AccessKey ID.
    pub access_key_id: String,
    /// AccessKey secret (never printed).
    pub access_key_secret: String,
    /// STS security token that must accompany this key, if any.
    #[serde(default)]
    pub security_token: Option<String>,
}

impl AccessKey {
    /// A long-term key pair.
    pub fn new(access_key_id: impl Into<String>, access_key_secret: impl Into<String>) -> Self {
        AccessKey {
            access_key_id: access_key_id.into(),
            access_key_secret: access_key_secret.into(),
            security_token: None,
        }
    }

    /// A temporary (STS) key: the token must be sent with every request.
    pub fn with_security_token(mut self, token: impl Into<String>) -> Self {
        self.security_token = Some(token.into());
        self
    }
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKey")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Everything the server needs to run.
///
/// With no `credentials` the server runs open: every request is accepted without checking its
/// signature (handy for a quick local start; `jitstore serve` warns about it).
///
/// ```
/// use jitstore_oss_server::{AccessKey, ServerConfig};
/// let dir = tempfile::tempdir().unwrap();
/// let config = ServerConfig::new(dir.path())
///     .bucket("demo")
///     .credential(AccessKey::new("ak", "sk"));
/// assert_eq!(config.region, "cn-hangzhou");
/// assert_eq!(config.addr.ip().to_string(), "127.0.0.1");
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Data directory (created if missing).
    pub data_dir: PathBuf,
    /// Listen address; port 0 picks a free port.
    #[serde(default = "default_addr")]
    pub addr: SocketAddr,
    /// Region checked in V4 signatures and reported by GetBucketLocation.
    #[serde(default = "default_region")]
    pub region: String,
    /// Buckets created at start if missing.
    #[serde(default)]
    pub buckets: Vec<String>,
    /// Accepted credentials (empty: no authentication).
    #[serde(default)]
    pub credentials: Vec<AccessKey>,
    /// Buckets (created if missing) that anonymous clients may read (GET/HEAD).
    #[serde(default)]
    pub public_read: Vec<String>,
    /// Host names that address the server itself (path-style); `bucket.<name>` is
    /// virtual-hosted. IP literals and single-label hosts are always path-style.
    #[serde(default = "default_server_names")]
    pub server_names: Vec<String>,
    /// Maximum allowed clock skew for signed requests, in seconds.
    #[serde(default = "default_max_skew")]
    pub max_skew_secs: u64,
    /// Initial fault plan (off by default).
    #[serde(default)]
    pub faults: FaultPlan,
    /// Longest time a client may take to send a request's header, from its first byte, in
    /// milliseconds (0: no limit).
    #[serde(default = "default_header_read_timeout_ms")]
    pub header_read_timeout_ms: u64,
    /// Longest time a keep-alive connection may sit idle between requests, in milliseconds
    /// (0: no limit).
    #[serde(default = "default_idle_timeout_ms")]
    pub idle_timeout_ms: u64,
    /// Slowest accepted request body, in bytes per second of waiting for the client (0: no
    /// limit). A body falling below it after the grace period is cut off.
    #[serde(default = "default_min_body_rate")]
    pub min_body_rate: u64,
    /// Waiting time a body is granted before `min_body_rate` applies, in milliseconds.
    #[serde(default = "default_min_body_rate_grace_ms")]
    pub min_body_rate_grace_ms: u64,
    /// Largest object or part accepted (OSS: 5 GiB). Not read from config files: lowered by
    /// tests through [`ServerConfig::max_object_size`].
    #[serde(skip, default = "default_max_object_size")]
    pub max_object_size: u64,
}

/// The limits a running server applies to request bodies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest object or part, in bytes.
    pub max_object_size: u64,
    /// Slowest accepted body, bytes per second of waiting (0: none).
    pub min_body_rate: u64,
    /// Waiting time granted before the rate applies.
    pub min_body_rate_grace: std::time::Duration,
}

impl ServerConfig {
    /// The body limits of this configuration.
    pub fn limits(&self) -> Limits {
        Limits {
            max_object_size: self.max_object_size,
            min_body_rate: self.min_body_rate,
            min_body_rate_grace: std::time::Duration::from_millis(self.min_body_rate_grace_ms),
        }
    }
}

/// OSS's limit for one object (PutObject, PostObject, AppendObject) and one part: 5 GiB.
pub const MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * 1024;

fn default_header_read_timeout_ms() -> u64 {
    30_000
}

fn default_idle_timeout_ms() -> u64 {
    60_000
}

fn default_min_body_rate() -> u64 {
    1024
}

fn default_min_body_rate_grace_ms() -> u64 {
    10_000
}

fn default_max_object_size() -> u64 {
    MAX_OBJECT_SIZE
}

fn default_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn default_region() -> String {
    DEFAULT_REGION.to_string()
}

fn default_server_names() -> Vec<String> {
    vec!["localhost".to_string()]
}

fn default_max_skew() -> u64 {
    15 * 60
}

/// A config file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid server config.
    #[error("invalid config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong and where (line, column), naming the unknown or bad field. Values
        /// quoted by the parser are masked: the file holds secrets.
        message: String,
    },
}

/// The parser's message with every value it quotes masked as `***`: a mistyped or misplaced
/// secret must not reach a terminal or a log. Field names in `unknown field`/`missing field`
/// messages are kept, they say what to fix.
fn redact_parse_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let names_fields = ["unknown field", "missing field", "duplicate field"]
        .iter()
        .any(|p| text.starts_with(p));
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                // A Debug-escaped string value: skip to its closing quote.
                let mut escaped = false;
                for d in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if d == '\\' {
                        escaped = true;
                    } else if d == '"' {
                        break;
                    }
                }
                out.push_str("\"***\"");
            }
            '`' if !names_fields => {
                for d in chars.by_ref() {
                    if d == '`' {
                        break;
                    }
                }
                out.push_str("`***`");
            }
            _ => out.push(c),
        }
    }
    out
}

impl ServerConfig {
    /// Defaults for `data_dir`: 127.0.0.1:0, region cn-hangzhou, no buckets, no credentials.
    pub fn new(data_dir: impl AsRef<Path>) -> Self {
        ServerConfig {
            data_dir: data_dir.as_ref().to_path_buf(),
            addr: default_addr(),
            region: default_region(),
            buckets: Vec::new(),
            credentials: Vec::new(),
            public_read: Vec::new(),
            server_names: default_server_names(),
            max_skew_secs: default_max_skew(),
            faults: FaultPlan::default(),
            header_read_timeout_ms: default_header_read_timeout_ms(),
            idle_timeout_ms: default_idle_timeout_ms(),
            min_body_rate: default_min_body_rate(),
            min_body_rate_grace_ms: default_min_body_rate_grace_ms(),
            max_object_size: default_max_object_size(),
        }
    }

    /// Reads a JSON config file (same field names as this struct).
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        serde_json::from_slice(&text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: redact_parse_error(&e),
        })
    }

    /// Adds a bucket created at start.
    pub fn bucket(mut self, name: impl Into<String>) -> Self {
        self.buckets.push(name.into());
        self
    }

    /// Adds an accepted credential.
    pub fn credential(mut self, key: AccessKey) -> Self {
        self.credentials.push(key);
        self
    }

    /// Adds a public-read bucket (created at start).
    pub fn public_read_bucket(mut self, name: impl Into<String>) -> Self {
        self.public_read.push(name.into());
        self
    }

    /// Sets the listen address.
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Sets the region.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// Lowers the largest accepted object or part (5 GiB by default), so that tests can prove
    /// an over-long body is cut off without sending gigabytes.
    pub fn max_object_size(mut self, bytes: u64) -> Self {
        self.max_object_size = bytes;
        self
    }

    /// Sets the initial fault plan.
    pub fn faults(mut self, plan: FaultPlan) -> Self {
        self.faults = plan;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message_for(json: &str) -> String {
        let e = serde_json::from_str::<ServerConfig>(json).expect_err("invalid config");
        redact_parse_error(&e)
    }

    #[test]
    fn parse_errors_mask_values_but_keep_field_names() {
        let m = message_for(r#"{"data_dir": "/x", "max_skew_secs": "sk-\"quoted\""}"#);
        assert!(!m.contains("quoted") && m.contains("***"), "{m}");
        let m = message_for(r#"{"data_dir": "/x", "max_skew_secs": -5}"#);
        assert!(!m.contains("-5") && m.contains("line 1"), "{m}");
        let m = message_for(r#"{"data_dir": "/x", "bukets": []}"#);
        assert!(m.contains("`bukets`") && m.contains("`buckets`"), "{m}");
    }
}
