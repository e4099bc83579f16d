//! [`S3Storage`]: the `storages.Meta` interface on one bucket of an S3-compatible service.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::{StreamExt, TryStreamExt};
use jitstore_storages::workflows::ExplainedPresign;
use jitstore_storages::{
    ByteRange, Capabilities, Capability, ConfigProblem, ErrorKind, Limits, ListOptions, ListResult,
    ObjectInfo, ObjectStream, ObjectWriter, ReadOptions, ReadResult, SignUrlRequest, SignedUrl,
    Storage, StorageError, StorageHandle, UploadOptions, DEFAULT_CONTENT_TYPE,
};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{
    Attribute, AttributeValue, Attributes, ClientOptions, GetOptions, GetRange, ObjectMeta,
    ObjectStore, RetryConfig,
};

use crate::config::{AddressingStyle, Flavor, S3Config, Settings};
use crate::endpoint::Scheme;
use crate::errors::{run, TracingConnector};
use crate::presign::{self, PresignInput, MAX_EXPIRES};
use crate::writer::{S3Writer, WriterTarget};

/// The longest key S3 accepts, in bytes of UTF-8.
const MAX_KEY_BYTES: usize = 1024;

/// A storage on one bucket of an S3-compatible service (any of the five S3-family Types).
/// Cheap to clone.
///
/// Reach it from a handle with [`S3Storage::from_handle`] for what the common interface does
/// not cover: [`presign_explained`](S3Storage::presign_explained) (fixed-time presigning with
/// the canonical texts), the [`settings`](S3Storage::settings).
#[derive(Clone)]
pub struct S3Storage {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<AmazonS3>,
    settings: Settings,
}

impl fmt::Debug for S3Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Storage")
            .field("type", &self.inner.settings.flavor)
            .field("endpoint", &self.inner.settings.endpoint.to_string())
            .field("bucket", &self.inner.settings.bucket)
            .finish_non_exhaustive()
    }
}

fn problem(field: &'static str, message: impl Into<String>) -> ConfigProblem {
    ConfigProblem {
        field: Some(field),
        message: message.into(),
    }
}

/// ETags are reported bare (no quotes) by every Type.
pub(crate) fn strip_quotes(etag: &str) -> String {
    etag.trim_matches('"').to_owned()
}

/// An ETag condition as S3 wants it: each tag quoted, `*` kept.
fn quoted_condition(value: &str) -> String {
    value
        .split(',')
        .map(str::trim)
        .map(|tag| {
            let tag = tag.strip_prefix("W/").unwrap_or(tag).trim_matches('"');
            if tag == "*" {
                "*".to_owned()
            } else {
                format!("\"{tag}\"")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `object_store` path of `key`, refusing keys it would change (a leading or trailing
/// `/`, empty, `.` or `..` segments, control characters) so no object is stored elsewhere.
fn object_path(key: &str) -> Result<Path, StorageError> {
    if key.is_empty() {
        return Err(StorageError::invalid_key("the key is empty"));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(StorageError::invalid_key(format!(
            "the key is {} bytes long, S3 allows {MAX_KEY_BYTES}",
            key.len()
        )));
    }
    if key.starts_with('/') || key.ends_with('/') {
        return Err(StorageError::invalid_key(format!(
            "{key:?} starts or ends with '/', which the S3 Types cannot address"
        )));
    }
    let path = Path::parse(key).map_err(|e| {
        StorageError::invalid_key(format!(
            "{key:?} has an empty, '.' or '..' segment or a control character"
        ))
        .with_source(e)
    })?;
    if path.as_ref() != key {
        return Err(StorageError::invalid_key(format!(
            "{key:?} would be stored under another name"
        )));
    }
    Ok(path)
}

/// A listing prefix: the directory `object_store` lists (it always lists "folders") and
/// whether the prefix is exactly that folder.
fn list_folder(prefix: &str) -> Result<(Option<Path>, bool), StorageError> {
    let (folder, exact) = match prefix.rfind('/') {
        Some(slash) => (&prefix[..slash], slash + 1 == prefix.len()),
        None => ("", prefix.is_empty()),
    };
    if folder.is_empty() {
        return Ok((None, exact));
    }
    Ok((Some(object_path(folder)?), exact))
}

fn header_text(value: &AttributeValue) -> String {
    value.as_ref().to_owned()
}

fn info_from(key: &str, meta: &ObjectMeta, attributes: &Attributes) -> ObjectInfo {
    let mut info = ObjectInfo::new(key, meta.size);
    info.etag = meta.e_tag.as_deref().map(strip_quotes);
    info.last_modified = Some(meta.last_modified);
    for (attribute, value) in attributes {
        match attribute {
            Attribute::ContentType => info.content_type = Some(header_text(value)),
            Attribute::StorageClass => info.storage_class = Some(header_text(value)),
            Attribute::Metadata(name) => {
                info.user_metadata
                    .insert(name.to_ascii_lowercase(), header_text(value));
            }
            _ => {}
        }
    }
    info
}

fn listed_info(meta: ObjectMeta) -> ObjectInfo {
    let key = meta.location.to_string();
    info_from(&key, &meta, &Attributes::new())
}

impl S3Storage {
    /// Builds the storage of a `flavor` element from its config.
    pub fn from_config(config: &S3Config, flavor: Flavor) -> Result<S3Storage, ConfigProblem> {
        let settings = config.resolve(flavor)?;
        S3Storage::from_settings(settings)
    }

    /// Builds the storage from resolved settings.
    pub fn from_settings(settings: Settings) -> Result<S3Storage, ConfigProblem> {
        let transfer = &settings.transfer;
        let mut options = ClientOptions::new()
            .with_allow_http(settings.endpoint.scheme == Scheme::Http)
            .with_connect_timeout(transfer.connect_timeout);
        options = match transfer.request_timeout {
            Some(timeout) => options.with_timeout(timeout),
            None => options.with_timeout_disabled(),
        };
        let retry = RetryConfig {
            max_retries: transfer.retries as usize,
            ..RetryConfig::default()
        };
        let credentials = &settings.credentials;
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            .with_access_key_id(&credentials.access_key_id)
            .with_secret_access_key(credentials.access_key_secret.expose())
            .with_endpoint(settings.endpoint.base_url(&settings.bucket, settings.style))
            .with_virtual_hosted_style_request(settings.style == AddressingStyle::Virtual)
            .with_client_options(options)
            .with_retry(retry)
            .with_http_connector(TracingConnector);
        if let Some(token) = &credentials.security_token {
            builder = builder.with_token(token.expose());
        }
        let store = builder
            .build()
            .map_err(|e| problem("endPoint", format!("cannot build the S3 client: {e}")))?;
        Ok(S3Storage {
            inner: Arc::new(Inner {
                store: Arc::new(store),
                settings,
            }),
        })
    }

    /// The S3 storage behind a handle, when the handle's Type is one of the S3 family.
    pub fn from_handle(handle: &StorageHandle) -> Option<&S3Storage> {
        handle.storage().as_any()?.downcast_ref::<S3Storage>()
    }

    /// The resolved settings (endpoint, bucket, region, style; the secret stays redacted in
    /// `Debug`).
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// The URL uploads report for `key`: on `publicDomain` when configured, else the object's
    /// URL on the endpoint (path-style or virtual-hosted as configured).
    pub fn public_url(&self, key: &str) -> String {
        let settings = &self.inner.settings;
        match &settings.public_domain {
            Some(domain) => {
                let base = domain.base_url(&settings.bucket, AddressingStyle::Path);
                format!("{base}/{}", jitstore_oss::encoding::encode_path(key))
            }
            None => {
                settings
                    .endpoint
                    .object_url(&settings.bucket, key, settings.style)
                    .url
            }
        }
    }

    /// Presigns `request` as if the time were `at` (now when `None`), returning the URL and
    /// the canonical request and string-to-sign. The same inputs always give the same URL,
    /// equal to botocore's `generate_presigned_url` for the same endpoint, style, key,
    /// parameters, credentials and time.
    pub async fn presign_explained(
        &self,
        request: &SignUrlRequest,
        at: Option<DateTime<Utc>>,
    ) -> Result<ExplainedPresign, StorageError> {
        object_path(&request.key)?;
        let method = request.method.trim().to_ascii_uppercase();
        let mut query: Vec<(String, String)> = Vec::new();
        let mut headers: BTreeMap<String, String> = BTreeMap::new();
        if let Some(ct) = request
            .content_type
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            if method == "GET" || method == "HEAD" {
                query.push(("response-content-type".into(), ct.to_owned()));
            } else {
                headers.insert("content-type".into(), ct.to_owned());
            }
        }
        for (name, value) in &request.headers {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
        let settings = &self.inner.settings;
        let url = settings
            .endpoint
            .object_url(&settings.bucket, &request.key, settings.style);
        let now = at.unwrap_or_else(Utc::now);
        let signed = presign::presign(&PresignInput {
            method: &method,
            url: &url,
            query: &query,
            headers: &headers,
            credentials: &settings.credentials,
            region: &settings.region,
            at: now,
            expires: request.expires,
        })
        .map_err(|e| StorageError::invalid_argument(e.to_string()).with_source(e))?;
        headers.remove("host");
        Ok(ExplainedPresign {
            url: signed.url,
            method,
            signature_version: "v4".into(),
            signed_at: now,
            expires_at: signed.expires_at,
            headers,
            canonical_request: signed.canonical_request,
            string_to_sign: signed.string_to_sign,
        })
    }

    fn writer_target(&self, key: &str, path: Path, options: &UploadOptions) -> WriterTarget {
        let content_type = options
            .content_type
            .clone()
            .filter(|c| !c.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned());
        let mut attributes = Attributes::new();
        attributes.insert(Attribute::ContentType, content_type.clone().into());
        for (name, value) in &options.user_metadata {
            attributes.insert(
                Attribute::Metadata(Cow::Owned(name.to_ascii_lowercase())),
                value.clone().into(),
            );
        }
        let transfer = &self.inner.settings.transfer;
        let usize_of = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
        WriterTarget {
            store: self.inner.store.clone(),
            path,
            key: key.to_owned(),
            url: self.public_url(key),
            attributes,
            content_type,
            part_size: usize_of(transfer.part_size),
            threshold: usize_of(transfer.multipart_threshold),
            concurrency: transfer.concurrency,
        }
    }

    fn check_metadata(options: &UploadOptions) -> Result<(), StorageError> {
        for (name, value) in &options.user_metadata {
            let name_ok = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !name_ok {
                return Err(StorageError::invalid_argument(format!(
                    "user metadata name {name:?} must be letters, digits, '-' or '_'"
                )));
            }
            if http::HeaderValue::from_str(value).is_err() {
                return Err(StorageError::invalid_argument(format!(
                    "user metadata {name} holds characters a header cannot carry"
                )));
            }
        }
        Ok(())
    }

    /// The error of a failed ranged read whose kind the response did not tell: the object's
    /// size decides whether the range was unsatisfiable.
    async fn explain_range_failure(
        &self,
        name: &str,
        range: &ByteRange,
        error: StorageError,
    ) -> StorageError {
        if !matches!(
            error.kind(),
            ErrorKind::Unexpected | ErrorKind::InvalidArgument
        ) {
            return error;
        }
        match self.stat(name).await {
            Ok(info) => match range.resolve(info.size) {
                Err(unsatisfiable) => unsatisfiable,
                Ok(_) => error,
            },
            Err(stat_error) if stat_error.kind() == ErrorKind::NotFound => stat_error,
            Err(_) => error,
        }
    }
}

#[async_trait]
impl Storage for S3Storage {
    fn capabilities(&self) -> Capabilities {
        let flavor = self.inner.settings.flavor;
        let mut limits = Limits::default();
        // R2 documents 4.995 TiB; the others S3's 5 TiB (MinIO allows more).
        limits.max_object_size = Some(match flavor {
            Flavor::CloudflareR2 => 4_995 * (1u64 << 30),
            _ => 5 * (1u64 << 40),
        });
        limits.max_single_write_size = Some(self.inner.settings.transfer.multipart_threshold);
        limits.min_part_size = Some(crate::config::MIN_PART_SIZE);
        limits.max_part_size = Some(crate::config::MAX_PART_SIZE);
        limits.max_parts = Some(10_000);
        limits.max_presign_expiry = Some(MAX_EXPIRES);
        Capabilities::of(&[
            Capability::Read,
            Capability::Write,
            Capability::Delete,
            Capability::List,
            Capability::SignUrl,
            Capability::UserMetadata,
            Capability::Copy,
            Capability::Multipart,
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
        let path = object_path(name)?;
        let options = GetOptions {
            head: true,
            ..GetOptions::default()
        };
        let result = run(self.inner.store.get_opts(&path, options)).await?;
        Ok(info_from(name, &result.meta, &result.attributes))
    }

    async fn read(&self, name: &str, options: &ReadOptions) -> Result<ReadResult, StorageError> {
        let path = object_path(name)?;
        if let Some(range) = &options.range {
            range.validate()?;
        }
        let get = GetOptions {
            range: options.range.as_ref().map(|r| match r {
                ByteRange::Bounded(r) => GetRange::Bounded(r.clone()),
                ByteRange::From(start) => GetRange::Offset(*start),
                ByteRange::Last(n) => GetRange::Suffix(*n),
            }),
            if_match: options.if_match.as_deref().map(quoted_condition),
            if_none_match: options.if_none_match.as_deref().map(quoted_condition),
            ..GetOptions::default()
        };
        let result = match run(self.inner.store.get_opts(&path, get)).await {
            Ok(result) => result,
            Err(error) => {
                return Err(match &options.range {
                    Some(range) => self.explain_range_failure(name, range, error).await,
                    None => error,
                })
            }
        };
        let info = info_from(name, &result.meta, &result.attributes);
        let range = result.range.clone();
        let stream = result
            .into_stream()
            .map_err(|e| crate::errors::map(e, &Default::default()))
            .boxed();
        Ok(ReadResult::new(info, range, stream))
    }

    async fn write(
        &self,
        name: &str,
        options: &UploadOptions,
    ) -> Result<Box<dyn ObjectWriter>, StorageError> {
        let path = object_path(name)?;
        Self::check_metadata(options)?;
        Ok(Box::new(S3Writer::new(
            self.writer_target(name, path, options),
        )))
    }

    async fn delete(&self, name: &str) -> Result<(), StorageError> {
        let path = object_path(name)?;
        match run(self.inner.store.delete(&path)).await {
            Err(error) if error.kind() == ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    fn list_with(&self, options: &ListOptions) -> ObjectStream {
        let (folder, _) = match list_folder(&options.prefix) {
            Ok(folder) => folder,
            Err(error) => return futures::stream::once(async move { Err(error) }).boxed(),
        };
        let offset = options
            .start_after
            .as_deref()
            .and_then(|after| Path::parse(after).ok());
        let listing = match offset {
            Some(offset) => self.inner.store.list_with_offset(folder.as_ref(), &offset),
            None => self.inner.store.list(folder.as_ref()),
        };
        let options = options.clone();
        listing
            .map_err(|e| crate::errors::map(e, &Default::default()))
            .map_ok(listed_info)
            .try_filter(move |info| futures::future::ready(options.admits(&info.key)))
            .boxed()
    }

    async fn list_with_delimiter(&self, prefix: &str) -> Result<ListResult, StorageError> {
        let (folder, exact) = list_folder(prefix)?;
        if !exact {
            return ListResult::from_stream(prefix, self.list_with(&ListOptions::prefix(prefix)))
                .await;
        }
        let listed = run(self.inner.store.list_with_delimiter(folder.as_ref())).await?;
        let mut level = ListResult::default();
        let mut objects: Vec<ObjectInfo> = listed.objects.into_iter().map(listed_info).collect();
        objects.sort_by(|a, b| a.key.cmp(&b.key));
        level.objects = objects;
        let mut prefixes: Vec<String> = listed
            .common_prefixes
            .into_iter()
            .map(|p| format!("{p}/"))
            .collect();
        prefixes.sort();
        level.common_prefixes = prefixes;
        Ok(level)
    }

    async fn get_sign_url(
        &self,
        file: &str,
        content_type: Option<&str>,
        expires: Duration,
    ) -> Result<String, StorageError> {
        let mut request = SignUrlRequest::new("GET", file);
        request.expires = expires;
        request.content_type = content_type.map(str::to_owned);
        Ok(self.presign_explained(&request, None).await?.url)
    }

    async fn sign_url(&self, request: &SignUrlRequest) -> Result<SignedUrl, StorageError> {
        let explained = self.presign_explained(request, None).await?;
        let mut signed = SignedUrl::new(explained.url, explained.method, explained.expires_at);
        signed.headers = explained.headers;
        Ok(signed)
    }

    async fn copy(&self, from: &str, to: &str) -> Result<(), StorageError> {
        let from = object_path(from)?;
        let to = object_path(to)?;
        run(self.inner.store.copy(&from, &to)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_would_change_are_refused() {
        for bad in [
            "",
            "/a",
            "a/",
            "a//b",
            "a/../b",
            "./a",
            "tab\there",
            "new\nline",
        ] {
            let error = object_path(bad).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidKey, "{bad:?}");
        }
        let long = "k".repeat(MAX_KEY_BYTES + 1);
        assert_eq!(
            object_path(&long).unwrap_err().kind(),
            ErrorKind::InvalidKey
        );
        for good in [
            "a",
            "ünï/日本語 😀.txt",
            "spaces and+plus%20&amp=eq?q#frag.txt",
            "trailing.",
        ] {
            assert_eq!(object_path(good).unwrap().as_ref(), good);
        }
    }

    #[test]
    fn list_folders() {
        assert_eq!(list_folder("").unwrap(), (None, true));
        assert_eq!(list_folder("abc").unwrap(), (None, false));
        assert_eq!(
            list_folder("a/b/").unwrap(),
            (Some(Path::from("a/b")), true)
        );
        assert_eq!(
            list_folder("a/b/c").unwrap(),
            (Some(Path::from("a/b")), false)
        );
    }

    /// URLs botocore's `generate_presigned_url` produced for the same inputs (boto3 with
    /// `signature_version="s3v4"`, its clock fixed at 2026-11-30T12:00:00Z).
    #[tokio::test]
    async fn presigned_urls_equal_botocores() {
        let storage = |extra: &str| {
            let text = format!(
                r#"{{"accessKeyId": "AKIAIOSFODNN7EXAMPLE",
                "accessKeySecret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "region": "us-east-1"{extra}}}"#
            );
            let config = crate::parse_config(&text).unwrap();
            S3Storage::from_config(&config, Flavor::AwsS3).unwrap()
        };
        let at = DateTime::parse_from_rfc3339("2026-11-30T12:00:00Z")
            .unwrap()
            .to_utc();
        let request = |method: &str, key: &str, content_type: Option<&str>| {
            let mut r = SignUrlRequest::new(method, key);
            r.content_type = content_type.map(str::to_owned);
            r
        };
        let path = storage(r#", "endPoint": "http://127.0.0.1:9000", "bucketName": "bkt""#);
        let aws = r#", "endPoint": "s3.amazonaws.com", "bucketName": "examplebucket""#;
        let token = storage(&format!(r#"{aws}, "securityToken": "TOKEN/+=""#));
        let virtual_hosted = storage(aws);
        let cases = [
            (&path, request("GET", "ünï/a+b=c&d e.txt", None), "http://127.0.0.1:9000/bkt/%C3%BCn%C3%AF/a%2Bb%3Dc%26d%20e.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261130%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261130T120000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=3c5dd3ce942c905a8bfb90e3ea44717d5abcae02e009c8f0c177ff4ee35e64f8"),
            (&token, request("GET", "test.txt", None), "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261130%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261130T120000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Security-Token=TOKEN%2F%2B%3D&X-Amz-Signature=b479ff9d87e5494da79551a98281ef8c01808d41883e1dec2d3925347bd764fd"),
            (&virtual_hosted, request("GET", "a b.txt", Some("text/plain; charset=utf-8")), "https://examplebucket.s3.amazonaws.com/a%20b.txt?response-content-type=text%2Fplain%3B%20charset%3Dutf-8&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261130%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261130T120000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=b1b1e8d381b23bec209fcd4463afedeabc43265741b2e0c7f70a07fab562a636"),
            (&path, request("PUT", "k.txt", Some("text/plain")), "http://127.0.0.1:9000/bkt/k.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261130%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261130T120000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=content-type%3Bhost&X-Amz-Signature=669f1f5094cfbe4c9046d0bec1e4891dfeab098f321bdd41c90de23ac3c6104f"),
        ];
        for (storage, request, expected) in cases {
            let signed = storage.presign_explained(&request, Some(at)).await.unwrap();
            assert_eq!(signed.url, expected, "{request:?}");
        }
        let put = path
            .presign_explained(&request("PUT", "k.txt", Some("text/plain")), Some(at))
            .await
            .unwrap();
        assert_eq!(
            put.headers.get("content-type").map(String::as_str),
            Some("text/plain")
        );
        assert!(!put.headers.contains_key("host"));
        let refused = path
            .presign_explained(&request("GET", "/abs", None), Some(at))
            .await
            .unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::InvalidKey);
    }

    #[test]
    fn conditions_are_quoted() {
        assert_eq!(quoted_condition("abc"), "\"abc\"");
        assert_eq!(quoted_condition("\"abc\""), "\"abc\"");
        assert_eq!(quoted_condition("W/\"a\", b"), "\"a\", \"b\"");
        assert_eq!(quoted_condition("*"), "*");
    }
}
