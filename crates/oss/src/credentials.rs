//! Access keys, STS tokens and the providers that supply them.
//!
//! Secret material (the access key secret, STS tokens) is held in [`Secret`], whose `Debug` and
//! `Display` print a mask, so a `Credentials` value can be logged or put in an error safely.
//! Providers: [`StaticProvider`] (fixed AK/SK, optionally an STS token), [`EnvProvider`] (the
//! official environment variable names) and [`RefreshingProvider`] (wraps any async fetch,
//! caches, refreshes ahead of expiry and lets concurrent callers share one refresh).
//!
//! ```
//! use jitstore_oss::credentials::{Credentials, Secret};
//!
//! let creds = Credentials::new("LTAI5tExample", "very-secret-value");
//! assert_eq!(creds.access_key_secret.expose(), "very-secret-value");
//! assert!(!format!("{creds:?}").contains("very-secret-value"));
//! assert_eq!(Secret::new("x").to_string(), "******");
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use subtle::ConstantTimeEq;

/// What `Debug` and `Display` print instead of a secret.
const MASK: &str = "******";

/// A secret string (access key secret, STS token, signature) that never prints itself.
///
/// `Debug` and `Display` print `******`; [`Secret::expose`] is the only way to read it.
/// Equality is constant-time.
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({MASK})")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for Secret {}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

/// One set of credentials: access key id and secret, with an optional STS token and expiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// The AccessKeyId (not secret; it appears in signatures and logs).
    pub access_key_id: String,
    /// The AccessKeySecret.
    pub access_key_secret: Secret,
    /// The STS security token, for temporary credentials.
    pub security_token: Option<Secret>,
    /// When temporary credentials stop working; `None` for long-term keys.
    pub expires_at: Option<DateTime<Utc>>,
}

impl Credentials {
    /// Long-term credentials from an access key id and secret.
    pub fn new(access_key_id: impl Into<String>, access_key_secret: impl Into<String>) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            access_key_secret: Secret::new(access_key_secret),
            security_token: None,
            expires_at: None,
        }
    }

    /// The same credentials carrying an STS security token.
    pub fn with_security_token(mut self, token: impl Into<String>) -> Self {
        self.security_token = Some(Secret::new(token));
        self
    }

    /// The same credentials with an expiry time.
    pub fn with_expires_at(mut self, expires_at: DateTime<Utc>) -> Self {
        self.expires_at = Some(expires_at);
        self
    }

    /// Whether these credentials will have expired by `now + margin`.
    pub fn expires_within(&self, now: DateTime<Utc>, margin: chrono::Duration) -> bool {
        match self.expires_at {
            // A margin beyond the representable range means "expires within it".
            Some(at) => now
                .checked_add_signed(margin)
                .is_none_or(|limit| at <= limit),
            None => false,
        }
    }
}

/// Why credentials could not be obtained.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    /// No complete set of credentials in the environment.
    #[error("no OSS credentials in the environment: {detail}")]
    MissingEnvironment {
        /// Which variables were looked at and which were missing.
        detail: String,
    },
    /// The access key id or secret is empty.
    #[error("the {field} of the credentials is empty")]
    Empty {
        /// `access key id` or `access key secret`.
        field: &'static str,
    },
    /// A refresh function failed.
    #[error("fetching credentials failed: {message}")]
    Fetch {
        /// What the fetcher reported (must not contain secrets).
        message: String,
    },
    /// The only credentials available have expired.
    #[error("credentials for access key id {access_key_id} expired at {expired_at}")]
    Expired {
        /// Access key id of the expired credentials.
        access_key_id: String,
        /// When they expired.
        expired_at: DateTime<Utc>,
    },
}

/// A source of credentials, asked before each request is signed.
#[async_trait]
pub trait CredentialsProvider: Send + Sync + fmt::Debug {
    /// Credentials valid for signing now.
    async fn credentials(&self) -> Result<Credentials, CredentialsError>;
}

/// Fixed credentials (long-term AK/SK, or an STS triple the caller manages).
#[derive(Clone, Debug)]
pub struct StaticProvider {
    credentials: Credentials,
}

impl StaticProvider {
    /// A provider that always returns `credentials`.
    pub fn new(credentials: Credentials) -> Self {
        StaticProvider { credentials }
    }

    /// A provider for a long-term access key id and secret.
    pub fn from_keys(
        access_key_id: impl Into<String>,
        access_key_secret: impl Into<String>,
    ) -> Self {
        StaticProvider::new(Credentials::new(access_key_id, access_key_secret))
    }
}

#[async_trait]
impl CredentialsProvider for StaticProvider {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        if self.credentials.access_key_id.is_empty() {
            return Err(CredentialsError::Empty {
                field: "access key id",
            });
        }
        if self.credentials.access_key_secret.is_empty() {
            return Err(CredentialsError::Empty {
                field: "access key secret",
            });
        }
        Ok(self.credentials.clone())
    }
}

/// The environment variable names of one credential family.
#[derive(Debug, Clone, Copy)]
struct EnvNames {
    id: &'static str,
    secret: &'static str,
    token: &'static str,
}

/// The families in lookup order: the OSS SDK V2 names, then the Alibaba Cloud generic names.
const ENV_FAMILIES: [EnvNames; 2] = [
    EnvNames {
        id: "OSS_ACCESS_KEY_ID",
        secret: "OSS_ACCESS_KEY_SECRET",
        token: "OSS_SESSION_TOKEN",
    },
    EnvNames {
        id: "ALIBABA_CLOUD_ACCESS_KEY_ID",
        secret: "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        token: "ALIBABA_CLOUD_SECURITY_TOKEN",
    },
];

type EnvLookup = dyn Fn(&str) -> Option<String> + Send + Sync;

/// Credentials from environment variables.
///
/// Reads `OSS_ACCESS_KEY_ID` / `OSS_ACCESS_KEY_SECRET` / `OSS_SESSION_TOKEN`; when that pair is
/// not complete, `ALIBABA_CLOUD_ACCESS_KEY_ID` / `ALIBABA_CLOUD_ACCESS_KEY_SECRET` /
/// `ALIBABA_CLOUD_SECURITY_TOKEN`. Empty values count as unset. Variables are read on every call,
/// so rotated values are picked up.
///
/// ```
/// use jitstore_oss::credentials::EnvProvider;
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use jitstore_oss::credentials::CredentialsProvider;
/// let env = EnvProvider::with_lookup(|name| match name {
///     "ALIBABA_CLOUD_ACCESS_KEY_ID" => Some("ak".to_string()),
///     "ALIBABA_CLOUD_ACCESS_KEY_SECRET" => Some("sk".to_string()),
///     _ => None,
/// });
/// assert_eq!(env.credentials().await.unwrap().access_key_id, "ak");
/// # });
/// ```
#[derive(Clone)]
pub struct EnvProvider {
    lookup: Arc<EnvLookup>,
}

impl EnvProvider {
    /// Reads the process environment.
    pub fn new() -> Self {
        EnvProvider::with_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup` instead of the process environment (for tests and for
    /// hosts that keep their own environment map).
    pub fn with_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        EnvProvider {
            lookup: Arc::new(lookup),
        }
    }

    /// Resolves credentials now, synchronously.
    pub fn load(&self) -> Result<Credentials, CredentialsError> {
        let get = |name: &str| (self.lookup)(name).filter(|v| !v.is_empty());
        let mut missing = Vec::new();
        for names in ENV_FAMILIES {
            match (get(names.id), get(names.secret)) {
                (Some(id), Some(secret)) => {
                    let mut creds = Credentials::new(id, secret);
                    creds.security_token = get(names.token).map(Secret::new);
                    return Ok(creds);
                }
                (id, secret) => {
                    if id.is_none() {
                        missing.push(names.id);
                    }
                    if secret.is_none() {
                        missing.push(names.secret);
                    }
                }
            }
        }
        Err(CredentialsError::MissingEnvironment {
            detail: format!("not set or empty: {}", missing.join(", ")),
        })
    }
}

impl Default for EnvProvider {
    fn default() -> Self {
        EnvProvider::new()
    }
}

impl fmt::Debug for EnvProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvProvider").finish_non_exhaustive()
    }
}

#[async_trait]
impl CredentialsProvider for EnvProvider {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        self.load()
    }
}

/// The future a [`RefreshingProvider`] fetch function returns.
pub type FetchFuture = Pin<Box<dyn Future<Output = Result<Credentials, CredentialsError>> + Send>>;

type FetchFn = dyn Fn() -> FetchFuture + Send + Sync;
type ClockFn = dyn Fn() -> DateTime<Utc> + Send + Sync;

/// Default time before expiry at which cached credentials are refreshed.
pub const DEFAULT_REFRESH_AHEAD: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// Caches credentials from an async fetch function and refreshes them before they expire.
///
/// * Cached credentials are returned while they are valid for longer than the refresh-ahead
///   margin (default 5 minutes). Credentials without `expires_at` are fetched once.
/// * When a refresh is due, exactly one caller runs the fetch; concurrent callers wait for
///   that fetch and share its result.
/// * When a refresh fails but the cached credentials have not expired yet, those are returned
///   (the next call tries again); once they have expired the error is returned.
///
/// ```
/// use jitstore_oss::credentials::{Credentials, CredentialsProvider, RefreshingProvider};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let provider = RefreshingProvider::new(|| {
///     Box::pin(async { Ok(Credentials::new("ak", "sk").with_security_token("sts")) })
/// });
/// assert_eq!(provider.credentials().await.unwrap().access_key_id, "ak");
/// # });
/// ```
pub struct RefreshingProvider {
    fetch: Box<FetchFn>,
    clock: Box<ClockFn>,
    refresh_ahead: chrono::Duration,
    cache: RwLock<Option<Credentials>>,
    refresh_lock: tokio::sync::Mutex<()>,
}

impl RefreshingProvider {
    /// A provider calling `fetch` whenever fresh credentials are needed.
    pub fn new(fetch: impl Fn() -> FetchFuture + Send + Sync + 'static) -> Self {
        RefreshingProvider {
            fetch: Box::new(fetch),
            clock: Box::new(Utc::now),
            refresh_ahead: chrono::Duration::seconds(DEFAULT_REFRESH_AHEAD.as_secs() as i64),
            cache: RwLock::new(None),
            refresh_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// Refresh this long before `expires_at` (default 5 minutes).
    pub fn refresh_ahead(mut self, margin: std::time::Duration) -> Self {
        self.refresh_ahead =
            chrono::Duration::from_std(margin).unwrap_or_else(|_| chrono::Duration::days(1));
        self
    }

    /// Use `clock` instead of the system clock (for tests).
    pub fn with_clock(mut self, clock: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        self.clock = Box::new(clock);
        self
    }

    fn cached(&self) -> Option<Credentials> {
        jitstore_util::lock::read(&self.cache).clone()
    }

    fn store(&self, creds: Credentials) {
        *jitstore_util::lock::write(&self.cache) = Some(creds);
    }

    fn is_fresh(&self, creds: &Credentials) -> bool {
        !creds.expires_within((self.clock)(), self.refresh_ahead)
    }
}

impl fmt::Debug for RefreshingProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshingProvider")
            .field("refresh_ahead", &self.refresh_ahead)
            .field("cached", &self.cached())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl CredentialsProvider for RefreshingProvider {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        if let Some(creds) = self.cached().filter(|c| self.is_fresh(c)) {
            return Ok(creds);
        }
        let _refreshing = self.refresh_lock.lock().await;
        // Another caller may have refreshed while this one waited for the lock.
        let stale = self.cached();
        if let Some(creds) = stale.as_ref().filter(|c| self.is_fresh(c)) {
            return Ok(creds.clone());
        }
        match (self.fetch)().await {
            Ok(creds) => {
                let now = (self.clock)();
                if let Some(expired_at) = creds.expires_at.filter(|at| *at <= now) {
                    return Err(CredentialsError::Expired {
                        access_key_id: creds.access_key_id,
                        expired_at,
                    });
                }
                self.store(creds.clone());
                Ok(creds)
            }
            Err(err) => match stale {
                Some(creds) if !creds.expires_within((self.clock)(), chrono::Duration::zero()) => {
                    tracing::warn!(error = %err, "credential refresh failed; using cached credentials until they expire");
                    Ok(creds)
                }
                _ => Err(err),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints_itself() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s}"), MASK);
        assert_eq!(format!("{s:?}"), "Secret(******)");
        assert_eq!(s.expose(), "hunter2");
        assert_eq!(s, Secret::new("hunter2"));
        assert_ne!(s, Secret::new("hunter3"));
        assert_ne!(s, Secret::new("hunter"));
    }

    #[test]
    fn expires_within_margin() {
        let now = Utc::now();
        let c = Credentials::new("a", "b").with_expires_at(now + chrono::Duration::seconds(60));
        assert!(c.expires_within(now, chrono::Duration::seconds(120)));
        assert!(!c.expires_within(now, chrono::Duration::seconds(30)));
        assert!(!Credentials::new("a", "b").expires_within(now, chrono::Duration::days(999)));
    }
}
