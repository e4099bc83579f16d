//! The async OSS client: one function per OSS API call.
//!
//! A [`Client`] is bound to one bucket of one endpoint. Each call builds exactly one request
//! (signed with V4 by default, V1 on request), sends it with connect and idle timeouts, retries
//! it with full-jitter exponential backoff when that is safe, corrects the signing clock after
//! `RequestTimeTooSkewed`, checks CRC-64 on uploads and full downloads, and runs inside a
//! `tracing` span (`oss_request`: operation, method, bucket, key, attempt, status, request id;
//! never credentials or signatures). Transfer logic — multipart orchestration, parallel ranges,
//! resume — belongs above these calls and composes them.
//!
//! ```no_run
//! # async fn demo() -> Result<(), jitstore_oss::error::OssError> {
//! use jitstore_oss::client::{Body, Client, GetObjectOptions, PutObjectOptions};
//! use jitstore_oss::credentials::StaticProvider;
//!
//! let client = Client::builder()
//!     .endpoint("oss-cn-hangzhou.aliyuncs.com")
//!     .bucket("my-bucket")
//!     .credentials(StaticProvider::from_keys("AK", "SK"))
//!     .build()?;
//! client
//!     .put_object("notes/hello.txt", Body::from("hello"), PutObjectOptions::default())
//!     .await?;
//! let got = client.get_object("notes/hello.txt", GetObjectOptions::default()).await?;
//! let bytes = got.body.bytes().await?; // CRC-64 checked at the end
//! assert_eq!(&bytes[..], b"hello");
//! # Ok(()) }
//! ```

mod body;
mod config;
mod download;
mod file_reader;
mod file_writer;
mod list;
mod multipart;
mod object;
mod signing;
mod transport;
mod types;

use std::fmt;
use std::sync::atomic::AtomicI64;
use std::sync::Arc;
use std::time::Duration;

/// The result types of listings, multipart uploads and batch deletes, as parsed from OSS's XML.
pub use crate::xml::{
    CompletedPart, DeletedObject, ListMultipartUploadsPage, ListObjectsV2Page, ListPartsPage,
    ObjectSummary, PartSummary, UploadSummary,
};
pub use body::Body;
pub use config::{RetryPolicy, Timeouts};
pub use download::{GetObjectOutput, ObjectBody};
pub(crate) use file_reader::{file_chunks, READ_CHUNK};
pub(crate) use file_writer::PositionalWriter;
pub use multipart::MAX_PART_NUMBER;
pub use object::MAX_DELETE_KEYS;
pub use signing::{
    PresignOptions, PresignedRequest, SignRequestOptions, SignedPostPolicy, SignedRequest,
    SigningTime,
};
pub use types::{
    AppendObjectOutput, ByteRange, CompleteMultipartOptions, CompleteMultipartOutput, ContentMd5,
    ContentRange, CopyObjectOptions, CopyObjectOutput, DeleteMultipleOutput, DeleteObjectOutput,
    GetObjectOptions, InitiateMultipartOutput, ListMultipartUploadsOptions, ListObjectsV2Options,
    MetadataDirective, ObjectMeta, PutObjectOptions, PutObjectOutput, StorageClass,
    UploadPartOutput, WriteOptions,
};

use crate::credentials::CredentialsProvider;
use crate::endpoint::{AddressingStyle, Endpoint};
use crate::error::OssError;
use crate::sign::SignatureVersion;

/// `User-Agent` sent with every request.
pub(crate) const USER_AGENT: &str = concat!("jitstore-oss/", env!("CARGO_PKG_VERSION"));

/// An OSS client bound to one bucket. Cheap to clone; share it between tasks.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    endpoint: Endpoint,
    public_endpoint: Option<Endpoint>,
    bucket: String,
    /// V4 signing region (empty for V1 when none could be resolved).
    region: String,
    credentials: Arc<dyn CredentialsProvider>,
    signature_version: SignatureVersion,
    retry: RetryPolicy,
    timeouts: Timeouts,
    crc_check: bool,
    /// Server time minus local time, learnt from `RequestTimeTooSkewed`; shared with the
    /// clients built with [`ClientBuilder::share_clock_with`] this one.
    clock_offset_ms: Arc<AtomicI64>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.inner.endpoint)
            .field("public_endpoint", &self.inner.public_endpoint)
            .field("bucket", &self.inner.bucket)
            .field("region", &self.inner.region)
            .field("signature_version", &self.inner.signature_version)
            .field("credentials", &self.inner.credentials)
            .field("retry", &self.inner.retry)
            .field("timeouts", &self.inner.timeouts)
            .field("crc_check", &self.inner.crc_check)
            .finish()
    }
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The bucket this client works on.
    pub fn bucket(&self) -> &str {
        &self.inner.bucket
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// The V4 signing region (empty for a V1 client whose endpoint names none).
    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// The signature version in use.
    pub fn signature_version(&self) -> SignatureVersion {
        self.inner.signature_version
    }

    /// The retry policy in use.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.inner.retry
    }

    /// The timeouts in use.
    pub fn timeouts(&self) -> Timeouts {
        self.inner.timeouts
    }

    /// The clock correction currently applied when signing (server minus local time).
    pub fn clock_offset(&self) -> chrono::Duration {
        chrono::Duration::milliseconds(
            self.inner
                .clock_offset_ms
                .load(std::sync::atomic::Ordering::Relaxed),
        )
    }

    /// Replaces the clock correction (server minus local time) used from now on by this
    /// client and every client sharing its clock (see [`ClientBuilder::share_clock_with`]),
    /// e.g. with a server time the application learnt elsewhere. Any `RequestTimeTooSkewed`
    /// answer re-learns it.
    ///
    /// ```
    /// use jitstore_oss::client::Client;
    /// use jitstore_oss::credentials::StaticProvider;
    ///
    /// let client = Client::builder()
    ///     .endpoint("oss-cn-hangzhou.aliyuncs.com")
    ///     .bucket("my-bucket")
    ///     .credentials(StaticProvider::from_keys("AK", "SK"))
    ///     .build()?;
    /// client.set_clock_offset(chrono::Duration::seconds(90));
    /// assert_eq!(client.clock_offset().num_seconds(), 90);
    /// # Ok::<(), jitstore_oss::error::OssError>(())
    /// ```
    pub fn set_clock_offset(&self, offset: chrono::Duration) {
        self.inner.clock_offset_ms.store(
            offset.num_milliseconds(),
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// The unsigned URL of an object on the public endpoint (or the main one): how a
    /// public-read object is fetched by anyone.
    pub fn public_url(&self, key: &str) -> Result<url::Url, OssError> {
        self.inner
            .public_endpoint
            .as_ref()
            .unwrap_or(&self.inner.endpoint)
            .object_url(&self.inner.bucket, key)
    }
}

/// Configuration of a [`Client`]; see [`Client::builder`].
#[derive(Default)]
pub struct ClientBuilder {
    endpoint: Option<String>,
    endpoint_parsed: Option<Endpoint>,
    public_endpoint: Option<String>,
    public_endpoint_parsed: Option<Endpoint>,
    bucket: Option<String>,
    region: Option<String>,
    style: Option<AddressingStyle>,
    credentials: Option<Arc<dyn CredentialsProvider>>,
    signature_version: SignatureVersion,
    retry: Option<RetryPolicy>,
    timeouts: Option<Timeouts>,
    crc_check: Option<bool>,
    clock: Option<ClockSetting>,
    http: Option<reqwest::Client>,
}

/// Where a built client takes its signing clock correction from.
enum ClockSetting {
    /// A correction of its own, starting at this value.
    Own(chrono::Duration),
    /// The correction of another client (one shared value).
    Shared(Arc<AtomicI64>),
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The endpoint, as users write it (`oss-cn-hangzhou.aliyuncs.com`,
    /// `http://127.0.0.1:9000`, ...). When neither this nor
    /// [`endpoint_parsed`](Self::endpoint_parsed) is given, the region's public endpoint
    /// `https://oss-<region>.aliyuncs.com` is used.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// An already parsed endpoint.
    pub fn endpoint_parsed(mut self, endpoint: Endpoint) -> Self {
        self.endpoint_parsed = Some(endpoint);
        self
    }

    /// A separate endpoint for presigned and public URLs (a public or CDN domain while traffic
    /// uses an internal endpoint). Its addressing style can be set on a parsed [`Endpoint`].
    pub fn public_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.public_endpoint = Some(endpoint.into());
        self
    }

    /// A separate, already parsed endpoint for presigned and public URLs (e.g. a CDN domain
    /// with [`AddressingStyle::Cname`]).
    pub fn public_endpoint_parsed(mut self, endpoint: Endpoint) -> Self {
        self.public_endpoint_parsed = Some(endpoint);
        self
    }

    /// The bucket. Required.
    pub fn bucket(mut self, bucket: impl Into<String>) -> Self {
        self.bucket = Some(bucket.into());
        self
    }

    /// The region id (`cn-hangzhou`); derived from official endpoints when not given.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Forces an addressing style (path style for private deployments, CNAME for a custom
    /// domain bound to the bucket).
    pub fn addressing_style(mut self, style: AddressingStyle) -> Self {
        self.style = Some(style);
        self
    }

    /// The credentials provider. Required.
    pub fn credentials(mut self, provider: impl CredentialsProvider + 'static) -> Self {
        self.credentials = Some(Arc::new(provider));
        self
    }

    /// A shared credentials provider.
    pub fn credentials_arc(mut self, provider: Arc<dyn CredentialsProvider>) -> Self {
        self.credentials = Some(provider);
        self
    }

    /// V4 (default) or V1.
    pub fn signature_version(mut self, version: SignatureVersion) -> Self {
        self.signature_version = version;
        self
    }

    /// The retry policy (default: 3 attempts, 200 ms base, 20 s cap).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// All timeouts at once.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = Some(timeouts);
        self
    }

    /// The connect timeout (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.get_or_insert_with(Timeouts::default).connect = timeout;
        self
    }

    /// The idle read timeout (default 10 s).
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.get_or_insert_with(Timeouts::default).read = timeout;
        self
    }

    /// Turns CRC-64 checking of uploads and full downloads on (default) or off.
    pub fn crc_check(mut self, enabled: bool) -> Self {
        self.crc_check = Some(enabled);
        self
    }

    /// Starts with this correction of the local clock (server minus local time) when signing;
    /// it is re-learnt automatically from any `RequestTimeTooSkewed` answer. Replaces an
    /// earlier [`share_clock_with`](Self::share_clock_with).
    pub fn clock_offset(mut self, offset: chrono::Duration) -> Self {
        self.clock = Some(ClockSetting::Own(offset));
        self
    }

    /// Signs with the clock correction of `other`: what either client learns from a
    /// `RequestTimeTooSkewed` answer (or is given with [`Client::set_clock_offset`]) applies to
    /// both. Meant for a second client on the same service that only presigns (e.g. on a
    /// public endpoint) and never sends a request to learn the server's time itself. Replaces
    /// an earlier [`clock_offset`](Self::clock_offset).
    ///
    /// ```
    /// use jitstore_oss::client::Client;
    /// use jitstore_oss::credentials::StaticProvider;
    ///
    /// let traffic = Client::builder()
    ///     .endpoint("oss-cn-hangzhou-internal.aliyuncs.com")
    ///     .bucket("my-bucket")
    ///     .credentials(StaticProvider::from_keys("AK", "SK"))
    ///     .build()?;
    /// let presigner = Client::builder()
    ///     .endpoint("oss-cn-hangzhou.aliyuncs.com")
    ///     .bucket("my-bucket")
    ///     .credentials(StaticProvider::from_keys("AK", "SK"))
    ///     .share_clock_with(&traffic)
    ///     .build()?;
    /// traffic.set_clock_offset(chrono::Duration::seconds(-30));
    /// assert_eq!(presigner.clock_offset().num_seconds(), -30);
    /// # Ok::<(), jitstore_oss::error::OssError>(())
    /// ```
    pub fn share_clock_with(mut self, other: &Client) -> Self {
        self.clock = Some(ClockSetting::Shared(Arc::clone(
            &other.inner.clock_offset_ms,
        )));
        self
    }

    /// Uses this reqwest client (its own timeouts then add to ours).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Validates the configuration and builds the client.
    pub fn build(self) -> Result<Client, OssError> {
        let mut endpoint = match (self.endpoint_parsed, self.endpoint) {
            (Some(e), _) => e,
            (None, Some(text)) => Endpoint::parse(&text)?,
            (None, None) => match self.region.as_deref() {
                Some(region) => Endpoint::for_region(region.trim(), false)?,
                None => {
                    return Err(OssError::invalid(
                        "client configuration",
                        "give an endpoint, or a region to use its public endpoint",
                    ))
                }
            },
        };
        if let Some(style) = self.style {
            endpoint = endpoint.with_style(style);
        }
        let bucket = self
            .bucket
            .ok_or_else(|| OssError::invalid("client configuration", "no bucket given"))?;
        crate::encoding::validate_bucket_name(&bucket)
            .map_err(|e| OssError::invalid("bucket name", e.to_string()))?;
        let region = match self.signature_version {
            SignatureVersion::V4 => endpoint.resolve_region(self.region.as_deref())?,
            SignatureVersion::V1 => endpoint
                .resolve_region(self.region.as_deref())
                .unwrap_or_default(),
        };
        let credentials = self.credentials.ok_or_else(|| {
            OssError::invalid("client configuration", "no credentials provider given")
        })?;
        let public_endpoint = match (self.public_endpoint_parsed, self.public_endpoint) {
            (Some(e), _) => Some(e),
            (None, Some(text)) => Some(Endpoint::parse(&text)?),
            (None, None) => None,
        };
        let timeouts = self.timeouts.unwrap_or_default();
        let http = match self.http {
            Some(h) => h,
            // Requests go to the endpoint only, so a plain-http endpoint never needs a trust
            // store: skipping it spares loading the system's certificates (a few hundred
            // files, ~10-20 ms per client when reqwest's native roots are on).
            None => reqwest::Client::builder()
                .connect_timeout(timeouts.connect)
                .redirect(reqwest::redirect::Policy::none())
                .tls_built_in_root_certs(endpoint.scheme() == crate::endpoint::Scheme::Https)
                .build()
                .map_err(|e| OssError::invalid("HTTP client", e.to_string()))?,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                endpoint,
                public_endpoint,
                bucket,
                region,
                credentials,
                signature_version: self.signature_version,
                retry: self.retry.unwrap_or_default(),
                timeouts,
                crc_check: self.crc_check.unwrap_or(true),
                clock_offset_ms: match self.clock {
                    Some(ClockSetting::Shared(shared)) => shared,
                    Some(ClockSetting::Own(offset)) => {
                        Arc::new(AtomicI64::new(offset.num_milliseconds()))
                    }
                    None => Arc::new(AtomicI64::new(0)),
                },
            }),
        })
    }
}
