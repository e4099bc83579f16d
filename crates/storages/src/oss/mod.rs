//! `storages.OssType`: the storages.Meta interface on an Alibaba Cloud OSS bucket (or any
//! OSS-compatible server, such as jitstore's local one).
//!
//! Built from `<Name>.json` (see [`OssConfig`]); every call is one or a few OSS requests made by
//! [`jitstore_oss::client::Client`] (V4 by default, retries, timeouts, CRC-64), and large
//! transfers go through [`jitstore_oss::transfer`]: parallel multipart uploads that resume from a
//! checkpoint, parallel ranged downloads into a temporary file, progress callbacks.
//!
//! OSS-specific extras are inherent methods of [`OssStorage`] (reach it from a handle with
//! [`OssStorage::from_handle`]): uploads with progress and user metadata from a file or any
//! `AsyncRead`, [`PostObject` form policies](OssStorage::post_policy), the underlying client.

mod config;
mod core;
pub(crate) mod errors;
mod post;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method};
use jitstore_element::{register_type, BoxError, BuildContext, ElementObject};
use jitstore_oss::client::{
    Body, Client, CopyObjectOptions, GetObjectOptions, ObjectMeta, PresignOptions,
    PutObjectOptions, RetryPolicy, Timeouts, WriteOptions,
};
use jitstore_oss::credentials::{Credentials, CredentialsProvider, EnvProvider, StaticProvider};
use jitstore_oss::endpoint::{AddressingStyle, Endpoint, Scheme};
use jitstore_oss::sign::SignatureVersion;
use jitstore_oss::transfer::{self, TransferOptions};
use tokio::io::AsyncRead;

pub use self::config::{
    AddressingStyleConfig, OssConfig, SchemeConfig, SignatureVersionConfig, UrlMode,
};
pub(crate) use self::errors::map as map_error;
use self::errors::{check_key, map};
pub use self::post::{PostForm, PostPolicyRequest};
use crate::capability::{Capabilities, Capability, Limits};
use crate::error::StorageError;
use crate::handle::{into_element_object, StorageHandle};
use crate::list::{ListOptions, ListResult, ObjectStream};
use crate::read::{ReadOptions, ReadResult};
use crate::storage::Storage;
use crate::types::{
    ObjectInfo, SignUrlRequest, SignedUrl, UploadOptions, UploadResult, DEFAULT_CONTENT_TYPE,
    DEFAULT_SIGN_EXPIRES,
};
use crate::write::ObjectWriter;
use crate::OSS_TYPE;

/// A storage on one OSS bucket. Cheap to clone.
#[derive(Clone, Debug)]
pub struct OssStorage {
    client: Client,
    presigner: Client,
    credentials: Arc<dyn CredentialsProvider>,
    public_base: Endpoint,
    url_mode: UrlMode,
    signed_url_expires: Duration,
    transfer: TransferOptions,
}

/// A config value that is not acceptable: the field and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The config field (`endPoint`, `region`, ...), when one is to blame.
    pub field: Option<&'static str>,
    /// What is wrong.
    pub message: String,
}

impl ConfigProblem {
    fn new(field: &'static str, message: impl Into<String>) -> ConfigProblem {
        ConfigProblem {
            field: Some(field),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ConfigProblem {}

/// The official credential variables, read from the app environment when the config has no
/// keys.
const CREDENTIAL_VARIABLES: [&str; 6] = [
    "OSS_ACCESS_KEY_ID",
    "OSS_ACCESS_KEY_SECRET",
    "OSS_SESSION_TOKEN",
    "ALIBABA_CLOUD_ACCESS_KEY_ID",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    "ALIBABA_CLOUD_SECURITY_TOKEN",
];

fn build_oss(ctx: &BuildContext<'_>) -> Result<ElementObject, BoxError> {
    let config: OssConfig = ctx.parse_config()?;
    let checkpoint_dir = match config.checkpoint_dir.as_deref() {
        Some("") => None,
        Some(dir) if Path::new(dir).is_absolute() => Some(PathBuf::from(dir)),
        Some(dir) => Some(ctx.app_root().join(dir)),
        None => Some(ctx.app_root().join("appData/checkpoints").join(ctx.name())),
    };
    let env: std::collections::HashMap<&'static str, String> = CREDENTIAL_VARIABLES
        .iter()
        .filter_map(|name| ctx.env_var(name).map(|v| (*name, v)))
        .collect();
    let storage =
        OssStorage::from_config(&config, move |name| env.get(name).cloned(), checkpoint_dir)
            .map_err(|p| ctx.config_error(p.field, p.message))?;
    let storage: Arc<dyn Storage> = Arc::new(storage);
    Ok(into_element_object(storage))
}

register_type!(builtin OSS_TYPE, build_oss);

fn parse_endpoint(field: &'static str, text: &str) -> Result<Endpoint, ConfigProblem> {
    Endpoint::parse(text).map_err(|e| ConfigProblem::new(field, e.to_string()))
}

impl OssStorage {
    /// Builds the storage from a config. `env` looks up credentials variables when the config
    /// has no keys; `checkpoint_dir` enables resumable uploads.
    pub fn from_config(
        config: &OssConfig,
        env: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
        checkpoint_dir: Option<PathBuf>,
    ) -> Result<OssStorage, ConfigProblem> {
        let mut endpoint = parse_endpoint("endPoint", &config.end_point)?;
        let explicit_scheme = config.end_point.trim().contains("://");
        if let Some(scheme) = config.scheme {
            let wanted = match scheme {
                SchemeConfig::Http => Scheme::Http,
                SchemeConfig::Https => Scheme::Https,
            };
            if explicit_scheme && endpoint.scheme() != wanted {
                return Err(ConfigProblem::new(
                    "scheme",
                    format!(
                        "{} contradicts the scheme written in endPoint {:?}",
                        wanted.as_str(),
                        config.end_point
                    ),
                ));
            }
            endpoint = endpoint.with_scheme(wanted);
        }
        if let Some(style) = config.addressing_style {
            endpoint = endpoint.with_style(match style {
                AddressingStyleConfig::Virtual => AddressingStyle::VirtualHosted,
                AddressingStyleConfig::Path => AddressingStyle::Path,
                AddressingStyleConfig::Cname => AddressingStyle::Cname,
            });
        }
        let credentials: Arc<dyn CredentialsProvider> =
            match (&config.access_key_id, &config.access_key_secret) {
                (Some(id), Some(secret)) => {
                    let mut creds = Credentials::new(id.clone(), secret.clone());
                    if let Some(token) = config.security_token.as_ref().filter(|t| !t.is_empty()) {
                        creds = creds.with_security_token(token.clone());
                    }
                    Arc::new(StaticProvider::new(creds))
                }
                (None, None) => {
                    let provider = EnvProvider::with_lookup(env);
                    provider.load().map_err(|e| {
                        ConfigProblem::new(
                            "accessKeyId",
                            format!("no accessKeyId/accessKeySecret in the config and {e}"),
                        )
                    })?;
                    Arc::new(provider)
                }
                (Some(_), None) => {
                    return Err(ConfigProblem::new(
                        "accessKeySecret",
                        "accessKeyId is set but accessKeySecret is missing",
                    ))
                }
                (None, Some(_)) => {
                    return Err(ConfigProblem::new(
                        "accessKeyId",
                        "accessKeySecret is set but accessKeyId is missing",
                    ))
                }
            };
        let version = config.signature_version;
        let mut timeouts = Timeouts::default();
        if let Some(t) = config.connect_timeout {
            timeouts.connect = config::seconds("connectTimeout", t)
                .map_err(|m| ConfigProblem::new("connectTimeout", m))?;
        }
        if let Some(t) = config.read_timeout {
            timeouts.read = config::seconds("readTimeout", t)
                .map_err(|m| ConfigProblem::new("readTimeout", m))?;
        }
        let mut retry = RetryPolicy::default();
        if let Some(r) = config.retries {
            if r > 20 {
                return Err(ConfigProblem::new(
                    "retries",
                    format!("{r} is more than 20"),
                ));
            }
            retry.max_attempts = r + 1;
        }
        jitstore_oss::encoding::validate_bucket_name(&config.bucket_name)
            .map_err(|e| ConfigProblem::new("bucketName", e.to_string()))?;
        let explicit_region = config
            .region
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        match explicit_region {
            Some(region) => jitstore_oss::endpoint::validate_region(region)
                .map_err(|e| ConfigProblem::new("region", e.to_string()))?,
            None if version == SignatureVersion::V4 => {
                endpoint
                    .resolve_region(None)
                    .map_err(|e| ConfigProblem::new("region", e.to_string()))?;
            }
            None => {}
        }
        let crc = config.crc64_check.unwrap_or(true);
        let builder = |endpoint: Endpoint, region: Option<String>| {
            let mut b = Client::builder()
                .endpoint_parsed(endpoint)
                .bucket(config.bucket_name.clone())
                .credentials_arc(credentials.clone())
                .signature_version(version)
                .timeouts(timeouts)
                .retry_policy(retry)
                .crc_check(crc);
            if let Some(r) = region {
                b = b.region(r);
            }
            b
        };
        let client = builder(endpoint.clone(), config.region.clone())
            .build()
            .map_err(|e| ConfigProblem::new("endPoint", e.to_string()))?;
        let region = (!client.region().is_empty()).then(|| client.region().to_owned());
        let public_base = match &config.public_domain {
            Some(domain) => {
                parse_endpoint("publicDomain", domain)?.with_style(AddressingStyle::Cname)
            }
            None => endpoint.clone(),
        };
        let presign_endpoint = match &config.presign_endpoint {
            Some(text) => {
                let mut e = parse_endpoint("presignEndpoint", text)?;
                if e.style() != AddressingStyle::Path {
                    e = e.with_style(endpoint.style());
                }
                e
            }
            None => public_base.clone(),
        };
        // The presigner never sends a request: it signs with the clock correction the
        // traffic client learns from the server.
        let presigner = builder(presign_endpoint, region)
            .share_clock_with(&client)
            .build()
            .map_err(|e| ConfigProblem::new("presignEndpoint", e.to_string()))?;
        let mut transfer = TransferOptions {
            checkpoint_dir,
            verify_crc: crc,
            ..TransferOptions::default()
        };
        if let Some(p) = config.part_size {
            transfer.part_size = p;
            TransferOptions {
                part_size: p,
                ..TransferOptions::default()
            }
            .validate()
            .map_err(|e| ConfigProblem::new("partSize", e.to_string()))?;
        }
        if let Some(c) = config.concurrency {
            transfer.concurrency = c;
            TransferOptions {
                concurrency: c,
                ..TransferOptions::default()
            }
            .validate()
            .map_err(|e| ConfigProblem::new("concurrency", e.to_string()))?;
        }
        if let Some(t) = config.multipart_threshold {
            transfer.multipart_threshold = t;
        }
        transfer.sync_downloads = config.sync_downloads.unwrap_or(false);
        transfer
            .validate()
            .map_err(|e| ConfigProblem::new("partSize", e.to_string()))?;
        let signed_url_expires = Duration::from_secs(
            config
                .signed_url_expires
                .unwrap_or(DEFAULT_SIGN_EXPIRES.as_secs()),
        );
        Ok(OssStorage {
            client,
            presigner,
            credentials,
            public_base,
            url_mode: config.url_mode,
            signed_url_expires,
            transfer,
        })
    }

    /// The OSS storage behind a handle, when the handle's Type is `storages.OssType`.
    pub fn from_handle(handle: &StorageHandle) -> Option<&OssStorage> {
        handle.storage().as_any()?.downcast_ref::<OssStorage>()
    }

    /// The per-call client (for OSS APIs this interface does not cover).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The credentials provider (for workflows that sign requests themselves).
    pub(crate) fn credentials_provider(&self) -> &Arc<dyn CredentialsProvider> {
        &self.credentials
    }

    /// The client whose endpoint presigned URLs use.
    pub(crate) fn presigner(&self) -> &Client {
        &self.presigner
    }

    /// The endpoint of returned public URLs (the custom domain when configured).
    pub(crate) fn public_base(&self) -> &Endpoint {
        &self.public_base
    }

    /// Whether returned URLs are public or presigned, and the presigned validity.
    pub(crate) fn url_settings(&self) -> (UrlMode, Duration) {
        (self.url_mode, self.signed_url_expires)
    }

    /// The default transfer options (part size, concurrency, threshold, checkpoints).
    pub fn transfer_options(&self) -> &TransferOptions {
        &self.transfer
    }

    /// The URL `upload_by_file` reports for `key`: the plain object URL (public mode, on the
    /// public domain when configured) or a presigned GET URL (signed mode).
    pub async fn url_for(&self, key: &str) -> Result<String, StorageError> {
        match self.url_mode {
            UrlMode::Public => self
                .public_base
                .object_url(self.client.bucket(), key)
                .map(String::from)
                .map_err(map),
            UrlMode::Signed => self.get_sign_url(key, None, self.signed_url_expires).await,
        }
    }

    fn write_options(options: &UploadOptions, default_type: &str) -> WriteOptions {
        WriteOptions {
            content_type: Some(
                options
                    .content_type
                    .clone()
                    .unwrap_or_else(|| default_type.to_owned()),
            ),
            metadata: options.user_metadata.clone(),
            ..WriteOptions::default()
        }
    }

    async fn result(
        &self,
        key: &str,
        up: transfer::UploadOutput,
        content_type: Option<String>,
    ) -> Result<UploadResult, StorageError> {
        let mut result = UploadResult::new(
            self.url_for(key).await?,
            key,
            up.size,
            strip_quotes(up.etag.as_deref().unwrap_or_default()),
        );
        result.crc64 = up.crc64;
        result.content_type = content_type;
        Ok(result)
    }

    /// Uploads the local file `path` as `name` with options and explicit transfer settings
    /// (e.g. a progress callback); resumable when `transfer.checkpoint_dir` is set. The content
    /// type defaults to a guess from the key's extension.
    pub async fn upload_path_with(
        &self,
        name: &str,
        path: &Path,
        options: &UploadOptions,
        transfer: &TransferOptions,
    ) -> Result<UploadResult, StorageError> {
        check_key(name)?;
        let guessed = mime_guess::from_path(name)
            .first_raw()
            .unwrap_or(DEFAULT_CONTENT_TYPE);
        let write = Self::write_options(options, guessed);
        let content_type = write.content_type.clone();
        let up = transfer::upload_file(&self.client, name, path, write, transfer)
            .await
            .map_err(map)?;
        self.result(name, up, content_type).await
    }

    /// Uploads everything `reader` yields as `name` (bounded memory; multipart above the
    /// threshold). `size_hint` sizes the parts and the progress total when known.
    pub async fn upload_stream<R>(
        &self,
        name: &str,
        reader: R,
        size_hint: Option<u64>,
        options: &UploadOptions,
        transfer: &TransferOptions,
    ) -> Result<UploadResult, StorageError>
    where
        R: AsyncRead + Unpin + Send,
    {
        check_key(name)?;
        let write = Self::write_options(options, DEFAULT_CONTENT_TYPE);
        let content_type = write.content_type.clone();
        let up = transfer::upload_reader(&self.client, name, reader, size_hint, write, transfer)
            .await
            .map_err(map)?;
        self.result(name, up, content_type).await
    }

    /// Downloads `name` to `path` with explicit transfer settings (e.g. progress).
    pub async fn download_to_with(
        &self,
        name: &str,
        path: &Path,
        transfer: &TransferOptions,
    ) -> Result<u64, StorageError> {
        check_key(name)?;
        transfer::download_file(&self.client, name, path, transfer)
            .await
            .map(|out| out.size)
            .map_err(map)
    }

    /// Presigns `key` with the presign endpoint's client, refusing a bad key or a zero
    /// validity first.
    pub(crate) async fn presign(
        &self,
        key: &str,
        options: PresignOptions,
    ) -> Result<jitstore_oss::client::PresignedRequest, StorageError> {
        check_key(key)?;
        if options.expires.is_zero() {
            return Err(StorageError::invalid_argument(
                "a presigned URL must be valid for at least one second",
            ));
        }
        self.presigner.presign(key, options).await.map_err(map)
    }
}

/// ETags are reported bare (no quotes) by every Type.
fn strip_quotes(etag: &str) -> String {
    etag.trim_matches('"').to_owned()
}

fn info_from_meta(key: &str, meta: ObjectMeta) -> ObjectInfo {
    let mut info = ObjectInfo::new(key, meta.content_length.unwrap_or(0));
    info.etag = meta.etag.as_deref().map(strip_quotes);
    info.content_type = meta.content_type;
    info.last_modified = meta.last_modified;
    info.user_metadata = meta.metadata;
    info.crc64 = meta.crc64;
    info.storage_class = meta.storage_class;
    info
}

/// The client's presign options for `request`: the method, the validity, the content type
/// (`response-content-type` for GET/HEAD, a signed header otherwise) and the headers to sign.
/// Shared by [`Storage::sign_url`] and `sign --explain`, so both sign the same request.
pub(crate) fn presign_options(request: &SignUrlRequest) -> Result<PresignOptions, StorageError> {
    let method = Method::from_bytes(request.method.trim().to_ascii_uppercase().as_bytes())
        .map_err(|e| {
            StorageError::invalid_argument(format!("{:?} is not an HTTP method", request.method))
                .with_source(e)
        })?;
    let mut options = PresignOptions {
        method: method.clone(),
        expires: request.expires,
        ..PresignOptions::default()
    };
    if let Some(ct) = request
        .content_type
        .as_deref()
        .filter(|c| !c.trim().is_empty())
    {
        if method == Method::GET || method == Method::HEAD {
            options
                .query
                .push(("response-content-type".into(), ct.to_owned()));
        } else {
            let (n, v) = header("content-type", ct)?;
            options.headers.insert(n, v);
        }
    }
    for (name, value) in &request.headers {
        let (n, v) = header(name, value)?;
        options.sign_header(n, v);
    }
    Ok(options)
}

fn header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), StorageError> {
    let n = HeaderName::from_bytes(name.trim().to_ascii_lowercase().as_bytes()).map_err(|e| {
        StorageError::invalid_argument(format!("{name:?} is not a valid header name"))
            .with_source(e)
    })?;
    let v = HeaderValue::from_str(value).map_err(|e| {
        StorageError::invalid_argument(format!(
            "the value of header {name} is not a valid header value"
        ))
        .with_source(e)
    })?;
    Ok((n, v))
}

#[async_trait]
impl Storage for OssStorage {
    fn capabilities(&self) -> Capabilities {
        let limits = Limits {
            max_object_size: Some(48_800 * (1 << 30)),
            max_single_write_size: Some(5 << 30),
            min_part_size: Some(transfer::MIN_PART_SIZE),
            max_part_size: Some(transfer::MAX_PART_SIZE),
            max_parts: Some(10_000),
            max_presign_expiry: Some(Duration::from_secs(7 * 24 * 3600)),
            max_delete_batch: Some(1000),
        };
        Capabilities::of(&[
            Capability::Read,
            Capability::Write,
            Capability::Delete,
            Capability::List,
            Capability::SignUrl,
            Capability::UserMetadata,
            Capability::Copy,
            Capability::DeleteMany,
            Capability::Append,
            Capability::Multipart,
            Capability::Resume,
            Capability::Crc64,
            Capability::ContentType,
            Capability::RangeRead,
            Capability::ConditionalRead,
            Capability::ListDelimiter,
            Capability::ListStartAfter,
        ])
        .with_limits(limits)
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    async fn stat(&self, name: &str) -> Result<ObjectInfo, StorageError> {
        check_key(name)?;
        let meta = self
            .client
            .head_object(name, GetObjectOptions::default())
            .await
            .map_err(map)?;
        Ok(info_from_meta(name, meta))
    }

    async fn read(&self, name: &str, options: &ReadOptions) -> Result<ReadResult, StorageError> {
        self.read_native(name, options).await
    }

    async fn write(
        &self,
        name: &str,
        options: &UploadOptions,
    ) -> Result<Box<dyn ObjectWriter>, StorageError> {
        check_key(name)?;
        let write = Self::write_options(options, DEFAULT_CONTENT_TYPE);
        Ok(Box::new(self.writer(name, write)))
    }

    fn list_with(&self, options: &ListOptions) -> ObjectStream {
        self.list_native(options)
    }

    async fn list_with_delimiter(&self, prefix: &str) -> Result<ListResult, StorageError> {
        self.list_level(prefix).await
    }

    async fn upload_by_file(
        &self,
        name: &str,
        data: Bytes,
        content_type: Option<&str>,
    ) -> Result<UploadResult, StorageError> {
        let options = UploadOptions {
            content_type: content_type.map(str::to_owned),
            ..UploadOptions::default()
        };
        self.upload_with(name, data, &options).await
    }

    async fn upload_with(
        &self,
        name: &str,
        data: Bytes,
        options: &UploadOptions,
    ) -> Result<UploadResult, StorageError> {
        check_key(name)?;
        let write = Self::write_options(options, DEFAULT_CONTENT_TYPE);
        let content_type = write.content_type.clone();
        let size = data.len() as u64;
        if size >= self.transfer.multipart_threshold {
            let reader = std::io::Cursor::new(data);
            let up = transfer::upload_reader(
                &self.client,
                name,
                reader,
                Some(size),
                write,
                &self.transfer,
            )
            .await
            .map_err(map)?;
            return self.result(name, up, content_type).await;
        }
        let out = self
            .client
            .put_object(
                name,
                Body::from_bytes(data),
                PutObjectOptions {
                    write,
                    ..PutObjectOptions::default()
                },
            )
            .await
            .map_err(map)?;
        let mut result = UploadResult::new(
            self.url_for(name).await?,
            name,
            size,
            strip_quotes(out.etag.as_deref().unwrap_or_default()),
        );
        result.crc64 = out.crc64;
        result.content_type = content_type;
        Ok(result)
    }

    async fn upload_path(
        &self,
        name: &str,
        path: &Path,
        content_type: Option<&str>,
    ) -> Result<UploadResult, StorageError> {
        let options = UploadOptions {
            content_type: content_type.map(str::to_owned),
            ..UploadOptions::default()
        };
        self.upload_path_with(name, path, &options, &self.transfer)
            .await
    }

    async fn get_sign_url(
        &self,
        file: &str,
        content_type: Option<&str>,
        expires: Duration,
    ) -> Result<String, StorageError> {
        let mut options = PresignOptions {
            method: Method::GET,
            expires,
            ..PresignOptions::default()
        };
        if let Some(ct) = content_type.filter(|c| !c.trim().is_empty()) {
            options
                .query
                .push(("response-content-type".into(), ct.to_owned()));
        }
        Ok(self.presign(file, options).await?.url.into())
    }

    async fn sign_url(&self, request: &SignUrlRequest) -> Result<SignedUrl, StorageError> {
        let options = presign_options(request)?;
        let presigned = self.presign(&request.key, options).await?;
        let mut signed = SignedUrl::new(
            String::from(presigned.url),
            presigned.method.as_str(),
            presigned.expires_at,
        );
        for (name, value) in &presigned.signed_headers {
            if let Ok(v) = value.to_str() {
                signed
                    .headers
                    .insert(name.as_str().to_owned(), v.to_owned());
            }
        }
        Ok(signed)
    }

    async fn download(&self, name: &str) -> Result<Bytes, StorageError> {
        check_key(name)?;
        transfer::download_bytes(&self.client, name, self.transfer.verify_crc)
            .await
            .map_err(map)
    }

    async fn download_to(&self, name: &str, path: &Path) -> Result<u64, StorageError> {
        self.download_to_with(name, path, &self.transfer).await
    }

    async fn delete(&self, name: &str) -> Result<(), StorageError> {
        check_key(name)?;
        self.client
            .delete_object(name, None)
            .await
            .map(|_| ())
            .map_err(map)
    }

    async fn delete_many(&self, names: &[String]) -> Result<(), StorageError> {
        if names.is_empty() {
            return Ok(());
        }
        self.client
            .delete_multiple_objects(names.iter().cloned(), true)
            .await
            .map(|_| ())
            .map_err(map)
    }

    async fn copy(&self, from: &str, to: &str) -> Result<(), StorageError> {
        check_key(from)?;
        check_key(to)?;
        self.client
            .copy_object(to, from, CopyObjectOptions::default())
            .await
            .map(|_| ())
            .map_err(map)
    }

    async fn append(&self, name: &str, position: u64, data: Bytes) -> Result<u64, StorageError> {
        let write = WriteOptions {
            content_type: Some(DEFAULT_CONTENT_TYPE.to_owned()),
            ..WriteOptions::default()
        };
        // With CRC checks on, learn the CRC-64 of what is there so the server's CRC of the
        // whole object after the append can be verified (one HEAD per append).
        let previous = if position > 0 && self.transfer.verify_crc {
            match self
                .client
                .head_object(name, GetObjectOptions::default())
                .await
            {
                Ok(meta) if meta.content_length == Some(position) => meta.crc64,
                Ok(_) => None,
                Err(e) if e.is_not_found() => None,
                Err(e) => return Err(map(e)),
            }
        } else {
            None
        };
        self.client
            .append_object(name, position, Body::from_bytes(data), write, previous)
            .await
            .map(|out| out.next_position)
            .map_err(map)
    }
}
