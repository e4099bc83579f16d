//! The business config (`<Name>.json`) of the five S3-family Types and how it resolves into
//! one [`Settings`]: JitAI's field names and per-Type defaults, then the optional knobs named as
//! on `storages.OssType`.
//!
//! | field | AwsS3 | CloudflareR2 | Minio | Eos | Qiniu |
//! |---|---|---|---|---|---|
//! | `accessKeyId`, `accessKeySecret`, `bucketName` | required | required | required | required | required |
//! | `endPoint` | required | required | required (`host:port`) | required | default `upload-z2.qiniup.com` (mapped to `s3.cn-south-1.qiniucs.com`) |
//! | `region` | required | required (usually `auto`) | default `us-east-1` | default `us-east-1` | from the endpoint |
//! | `scheme` | default `https` | default `https` | default `http` | default `https` | default `http` |
//! | `addressingStyle` | default `virtual` | default `virtual` | default `path` | default `virtual` | default `virtual` |
//!
//! An IP address or `localhost` endpoint is always path-style unless `addressingStyle` says
//! otherwise. Unknown fields are refused by the registry with the field's name.

use std::fmt;
use std::time::Duration;

use jitstore_oss::credentials::Credentials;
use jitstore_storages::ConfigProblem;
use serde::Deserialize;

use crate::endpoint::{self, Endpoint, Scheme};

/// Which of the five S3-family Types an element is: decides the defaults and the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavor {
    /// `storages.AwsS3Type`: Amazon S3.
    AwsS3,
    /// `storages.CloudflareR2Type`: Cloudflare R2.
    CloudflareR2,
    /// `storages.MinioType`: a MinIO server (or any S3 server reached path-style).
    Minio,
    /// `storages.EosType`: China Mobile EOS through its S3-compatible endpoint.
    Eos,
    /// `storages.QiniuType`: Qiniu Kodo through its S3-compatible endpoint.
    Qiniu,
}

impl Flavor {
    /// Every flavor, in declaration order.
    pub const ALL: [Flavor; 5] = [
        Flavor::AwsS3,
        Flavor::CloudflareR2,
        Flavor::Minio,
        Flavor::Eos,
        Flavor::Qiniu,
    ];

    /// The Type fullName (`storages.AwsS3Type`, ...).
    pub fn type_name(self) -> &'static str {
        match self {
            Flavor::AwsS3 => crate::AWS_S3_TYPE,
            Flavor::CloudflareR2 => crate::CLOUDFLARE_R2_TYPE,
            Flavor::Minio => crate::MINIO_TYPE,
            Flavor::Eos => crate::EOS_TYPE,
            Flavor::Qiniu => crate::QINIU_TYPE,
        }
    }

    /// The scheme used when neither `scheme` nor `endPoint` says one.
    pub fn default_scheme(self) -> Scheme {
        match self {
            Flavor::Minio | Flavor::Qiniu => Scheme::Http,
            Flavor::AwsS3 | Flavor::CloudflareR2 | Flavor::Eos => Scheme::Https,
        }
    }

    /// Whether `region` must be given.
    pub fn requires_region(self) -> bool {
        matches!(self, Flavor::AwsS3 | Flavor::CloudflareR2)
    }
}

impl fmt::Display for Flavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.type_name())
    }
}

/// QiniuType's `endPoint` when the config has none, as JitAI documents it.
pub const QINIU_DEFAULT_END_POINT: &str = "upload-z2.qiniup.com";

/// The signing region of MinIO and EOS when the config has none.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Default part size of multipart writes: 8 MiB.
pub const DEFAULT_PART_SIZE: u64 = 8 << 20;
/// Default size from which writes go multipart: 16 MiB.
pub const DEFAULT_MULTIPART_THRESHOLD: u64 = 16 << 20;
/// Default parts in flight: 4.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// The smallest part S3 accepts (all parts but the last): 5 MiB.
pub const MIN_PART_SIZE: u64 = 5 << 20;
/// The largest part S3 accepts: 5 GiB.
pub const MAX_PART_SIZE: u64 = 5 << 30;

/// `path` or `virtual` (virtual-hosted: `bucket.endpoint/key`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AddressingStyle {
    /// `bucket.endpoint/key`.
    Virtual,
    /// `endpoint/bucket/key`.
    Path,
}

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SchemeConfig {
    /// Plain HTTP.
    Http,
    /// HTTPS.
    Https,
}

/// The business config of an S3-family element (all five Types share the fields; the defaults
/// differ, see the module documentation).
#[derive(Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct S3Config {
    /// Access key id.
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// Secret access key. Never printed.
    #[serde(default)]
    pub access_key_secret: Option<String>,
    /// Session token of temporary credentials (`X-Amz-Security-Token`). Never printed.
    #[serde(default)]
    pub security_token: Option<String>,
    /// The endpoint host (`s3.amazonaws.com`, `minio.local:9000`), optionally with a scheme.
    #[serde(default)]
    pub end_point: Option<String>,
    /// The bucket.
    #[serde(default)]
    pub bucket_name: Option<String>,
    /// The signing region (`us-east-1`; `auto` on R2).
    #[serde(default)]
    pub region: Option<String>,
    /// `http` or `https`.
    #[serde(default)]
    pub scheme: Option<SchemeConfig>,
    /// `path` or `virtual`.
    #[serde(default)]
    pub addressing_style: Option<AddressingStyle>,
    /// A domain serving the bucket, used for the URLs uploads return.
    #[serde(default)]
    pub public_domain: Option<String>,
    /// Part size of multipart writes, bytes (default 8 MiB; at least 5 MiB).
    #[serde(default)]
    pub part_size: Option<u64>,
    /// Parts in flight (default 4).
    #[serde(default)]
    pub concurrency: Option<usize>,
    /// Size from which writes go multipart (default 16 MiB).
    #[serde(default)]
    pub multipart_threshold: Option<u64>,
    /// Connect timeout, seconds (default 5).
    #[serde(default)]
    pub connect_timeout: Option<f64>,
    /// Timeout of one whole request, seconds (default none: large downloads may take long).
    #[serde(default)]
    pub request_timeout: Option<f64>,
    /// Retries after the first attempt (default 2).
    #[serde(default)]
    pub retries: Option<u32>,
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |v: &Option<String>| v.as_ref().map(|_| "******");
        f.debug_struct("S3Config")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &redacted(&self.access_key_secret))
            .field("security_token", &redacted(&self.security_token))
            .field("end_point", &self.end_point)
            .field("bucket_name", &self.bucket_name)
            .field("region", &self.region)
            .field("scheme", &self.scheme)
            .field("addressing_style", &self.addressing_style)
            .field("public_domain", &self.public_domain)
            .field("part_size", &self.part_size)
            .field("concurrency", &self.concurrency)
            .field("multipart_threshold", &self.multipart_threshold)
            .field("retries", &self.retries)
            .finish_non_exhaustive()
    }
}

/// Multipart and timeout settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferSettings {
    /// Part size of multipart writes.
    pub part_size: u64,
    /// Parts in flight.
    pub concurrency: usize,
    /// Size from which writes go multipart.
    pub multipart_threshold: u64,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout, if any.
    pub request_timeout: Option<Duration>,
    /// Retries after the first attempt.
    pub retries: u32,
}

/// A config checked and completed with the Type's defaults: everything needed to build the
/// client and to sign URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The Type.
    pub flavor: Flavor,
    /// The service endpoint (scheme, host, port), without the bucket.
    pub endpoint: Endpoint,
    /// The bucket.
    pub bucket: String,
    /// The signing region.
    pub region: String,
    /// Path-style or virtual-hosted.
    pub style: AddressingStyle,
    /// The credentials.
    pub credentials: Credentials,
    /// The base of returned object URLs when `publicDomain` is set.
    pub public_domain: Option<Endpoint>,
    /// Multipart and timeouts.
    pub transfer: TransferSettings,
}

fn problem(field: &'static str, message: impl Into<String>) -> ConfigProblem {
    ConfigProblem {
        field: Some(field),
        message: message.into(),
    }
}

fn required<'a>(
    field: &'static str,
    value: &'a Option<String>,
    flavor: Flavor,
) -> Result<&'a str, ConfigProblem> {
    match value.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(problem(field, format!("{flavor} requires {field}"))),
    }
}

fn seconds(field: &'static str, value: f64) -> Result<Duration, ConfigProblem> {
    if !value.is_finite() || value <= 0.0 || value > 86_400.0 {
        return Err(problem(
            field,
            format!("must be a number of seconds in (0, 86400], got {value}"),
        ));
    }
    Ok(Duration::from_secs_f64(value))
}

/// Checks a bucket name against S3's rules (3 to 63 characters of `a-z 0-9 . -`, starting and
/// ending with a letter or digit).
fn check_bucket(name: &str) -> Result<(), ConfigProblem> {
    let valid_chars = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    let edges = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !(3..=63).contains(&name.len())
        || !valid_chars
        || !edges(name.bytes().next())
        || !edges(name.bytes().last())
    {
        return Err(problem(
            "bucketName",
            format!(
                "{name:?} is not an S3 bucket name (3-63 characters of a-z, 0-9, '.', '-', starting and ending with a letter or digit)"
            ),
        ));
    }
    Ok(())
}

fn check_region(region: &str) -> Result<(), ConfigProblem> {
    let ok = !region.is_empty()
        && region.len() <= 64
        && region
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(problem(
            "region",
            format!("{region:?} is not a region name (letters, digits, '-', '_')"),
        ))
    }
}

impl S3Config {
    /// Checks the config and completes it with `flavor`'s defaults.
    ///
    /// ```
    /// use jitstore_storages_s3::{AddressingStyle, Flavor, S3Config};
    ///
    /// let config: S3Config = serde_json_like(r#"{"accessKeyId": "AK", "accessKeySecret": "SK",
    ///     "endPoint": "minio.local:9000", "bucketName": "media"}"#);
    /// let settings = config.resolve(Flavor::Minio).unwrap();
    /// assert_eq!(settings.endpoint.to_string(), "http://minio.local:9000");
    /// assert_eq!(settings.style, AddressingStyle::Path);
    /// assert_eq!(settings.region, "us-east-1");
    /// # fn serde_json_like(text: &str) -> S3Config { jitstore_storages_s3::parse_config(text).unwrap() }
    /// ```
    pub fn resolve(&self, flavor: Flavor) -> Result<Settings, ConfigProblem> {
        let access_key_id = required("accessKeyId", &self.access_key_id, flavor)?;
        let secret = required("accessKeySecret", &self.access_key_secret, flavor)?;
        let bucket = required("bucketName", &self.bucket_name, flavor)?;
        check_bucket(bucket)?;
        let end_point = match (flavor, self.end_point.as_deref().map(str::trim)) {
            (_, Some(e)) if !e.is_empty() => e.to_owned(),
            (Flavor::Qiniu, _) => QINIU_DEFAULT_END_POINT.to_owned(),
            _ => return Err(problem("endPoint", format!("{flavor} requires endPoint"))),
        };
        let mut parsed = Endpoint::parse(&end_point).map_err(|m| problem("endPoint", m))?;
        let mut derived_region = None;
        if flavor == Flavor::Qiniu {
            let mapped =
                endpoint::qiniu_s3_endpoint(&parsed.host).map_err(|m| problem("endPoint", m))?;
            parsed.host = mapped.host;
            derived_region = mapped.region;
        }
        let wanted_scheme = self.scheme.map(|s| match s {
            SchemeConfig::Http => Scheme::Http,
            SchemeConfig::Https => Scheme::Https,
        });
        let scheme = match (parsed.scheme, wanted_scheme) {
            (Some(written), Some(wanted)) if written != wanted => {
                return Err(problem(
                    "scheme",
                    format!(
                        "{} contradicts the scheme written in endPoint {end_point:?}",
                        wanted.as_str()
                    ),
                ))
            }
            (Some(written), _) => written,
            (None, Some(wanted)) => wanted,
            (None, None) => flavor.default_scheme(),
        };
        let endpoint = Endpoint {
            scheme,
            host: parsed.host,
            port: parsed.port,
        };
        let region = match self
            .region
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            Some(region) => region.to_owned(),
            None if flavor.requires_region() => {
                let hint = if flavor == Flavor::CloudflareR2 {
                    " (usually \"auto\")"
                } else {
                    ""
                };
                return Err(problem("region", format!("{flavor} requires region{hint}")));
            }
            None => derived_region.unwrap_or_else(|| DEFAULT_REGION.to_owned()),
        };
        check_region(&region)?;
        let style = match self.addressing_style {
            Some(style) => style,
            None if flavor == Flavor::Minio || endpoint.is_ip_or_localhost() => {
                AddressingStyle::Path
            }
            None => AddressingStyle::Virtual,
        };
        if style == AddressingStyle::Virtual && bucket.contains('.') && scheme == Scheme::Https {
            return Err(problem(
                "addressingStyle",
                format!("bucket {bucket:?} contains '.', which breaks TLS on virtual-hosted URLs: set addressingStyle to \"path\""),
            ));
        }
        let public_domain = match self.public_domain.as_deref().map(str::trim) {
            Some(domain) if !domain.is_empty() => {
                let parsed = Endpoint::parse(domain).map_err(|m| problem("publicDomain", m))?;
                Some(Endpoint {
                    scheme: parsed.scheme.unwrap_or(scheme),
                    host: parsed.host,
                    port: parsed.port,
                })
            }
            _ => None,
        };
        let transfer = self.transfer()?;
        let mut credentials = Credentials::new(access_key_id, secret);
        if let Some(token) = self
            .security_token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            credentials = credentials.with_security_token(token);
        }
        Ok(Settings {
            flavor,
            endpoint,
            bucket: bucket.to_owned(),
            region,
            style,
            credentials,
            public_domain,
            transfer,
        })
    }

    fn transfer(&self) -> Result<TransferSettings, ConfigProblem> {
        let part_size = self.part_size.unwrap_or(DEFAULT_PART_SIZE);
        if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&part_size) {
            return Err(problem(
                "partSize",
                format!(
                    "{part_size} is outside S3's part sizes [{MIN_PART_SIZE}, {MAX_PART_SIZE}]"
                ),
            ));
        }
        let concurrency = self.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
        if !(1..=64).contains(&concurrency) {
            return Err(problem(
                "concurrency",
                format!("{concurrency} is outside [1, 64]"),
            ));
        }
        let multipart_threshold = self
            .multipart_threshold
            .unwrap_or(DEFAULT_MULTIPART_THRESHOLD);
        if multipart_threshold < part_size {
            return Err(problem(
                "multipartThreshold",
                format!("{multipart_threshold} is below partSize {part_size}"),
            ));
        }
        if multipart_threshold > MAX_PART_SIZE {
            return Err(problem(
                "multipartThreshold",
                format!("{multipart_threshold} is above S3's single PUT limit {MAX_PART_SIZE}"),
            ));
        }
        let connect_timeout = match self.connect_timeout {
            Some(t) => seconds("connectTimeout", t)?,
            None => Duration::from_secs(5),
        };
        let request_timeout = self
            .request_timeout
            .map(|t| seconds("requestTimeout", t))
            .transpose()?;
        let retries = self.retries.unwrap_or(2);
        if retries > 20 {
            return Err(problem("retries", format!("{retries} is more than 20")));
        }
        Ok(TransferSettings {
            part_size,
            concurrency,
            multipart_threshold,
            connect_timeout,
            request_timeout,
            retries,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> S3Config {
        crate::parse_config(text).unwrap()
    }

    fn base(extra: &str) -> S3Config {
        config(&format!(
            r#"{{"accessKeyId": "AK", "accessKeySecret": "SK", "bucketName": "media"{extra}}}"#
        ))
    }

    fn field_of(outcome: Result<Settings, ConfigProblem>) -> (&'static str, String) {
        let problem = outcome.expect_err("a config problem");
        (problem.field.unwrap_or("?"), problem.message)
    }

    #[test]
    fn aws_needs_region_and_endpoint() {
        let (field, message) =
            field_of(base(r#","endPoint":"s3.amazonaws.com""#).resolve(Flavor::AwsS3));
        assert_eq!(field, "region");
        assert!(message.contains("storages.AwsS3Type"), "{message}");
        let (field, _) = field_of(base(r#","region":"us-east-1""#).resolve(Flavor::AwsS3));
        assert_eq!(field, "endPoint");
        let s = base(r#","endPoint":"s3.amazonaws.com","region":"eu-west-1""#)
            .resolve(Flavor::AwsS3)
            .unwrap();
        assert_eq!(s.endpoint.to_string(), "https://s3.amazonaws.com");
        assert_eq!(s.style, AddressingStyle::Virtual);
        assert_eq!(s.region, "eu-west-1");
    }

    #[test]
    fn r2_region_hint_and_defaults() {
        let (field, message) = field_of(
            base(r#","endPoint":"acc.r2.cloudflarestorage.com""#).resolve(Flavor::CloudflareR2),
        );
        assert_eq!(field, "region");
        assert!(message.contains("auto"), "{message}");
        let s = base(r#","endPoint":"acc.r2.cloudflarestorage.com","region":"auto""#)
            .resolve(Flavor::CloudflareR2)
            .unwrap();
        assert_eq!(s.endpoint.scheme, Scheme::Https);
        assert_eq!(s.region, "auto");
    }

    #[test]
    fn minio_defaults_http_and_path_style() {
        let s = base(r#","endPoint":"minio.local:9000""#)
            .resolve(Flavor::Minio)
            .unwrap();
        assert_eq!(s.endpoint.to_string(), "http://minio.local:9000");
        assert_eq!(s.style, AddressingStyle::Path);
        assert_eq!(s.region, DEFAULT_REGION);
        let s =
            base(r#","endPoint":"minio.local:9000","scheme":"https","addressingStyle":"virtual""#)
                .resolve(Flavor::Minio)
                .unwrap();
        assert_eq!(s.endpoint.to_string(), "https://minio.local:9000");
        assert_eq!(s.style, AddressingStyle::Virtual);
    }

    #[test]
    fn eos_defaults_https() {
        let s = base(r#","endPoint":"eos-beijing-1.cmecloud.cn""#)
            .resolve(Flavor::Eos)
            .unwrap();
        assert_eq!(s.endpoint.to_string(), "https://eos-beijing-1.cmecloud.cn");
        assert_eq!(s.style, AddressingStyle::Virtual);
    }

    #[test]
    fn qiniu_default_endpoint_maps_to_s3() {
        let s = base("").resolve(Flavor::Qiniu).unwrap();
        assert_eq!(s.endpoint.to_string(), "http://s3.cn-south-1.qiniucs.com");
        assert_eq!(s.region, "cn-south-1");
        let (field, message) =
            field_of(base(r#","endPoint":"upload-z9.qiniup.com""#).resolve(Flavor::Qiniu));
        assert_eq!(field, "endPoint");
        assert!(message.contains("s3.<region>.qiniucs.com"), "{message}");
    }

    #[test]
    fn ip_endpoints_are_path_style_and_scheme_conflicts_are_named() {
        let s = base(r#","endPoint":"127.0.0.1:9000","region":"us-east-1""#)
            .resolve(Flavor::AwsS3)
            .unwrap();
        assert_eq!(s.style, AddressingStyle::Path);
        let (field, _) = field_of(
            base(r#","endPoint":"http://127.0.0.1:9000","scheme":"https""#).resolve(Flavor::Minio),
        );
        assert_eq!(field, "scheme");
    }

    #[test]
    fn missing_and_bad_fields_are_named() {
        let no_secret = config(r#"{"accessKeyId":"AK","endPoint":"e.com","bucketName":"media"}"#);
        assert_eq!(
            field_of(no_secret.resolve(Flavor::Minio)).0,
            "accessKeySecret"
        );
        let no_id = config(r#"{"accessKeySecret":"SK","endPoint":"e.com","bucketName":"media"}"#);
        assert_eq!(field_of(no_id.resolve(Flavor::Minio)).0, "accessKeyId");
        let no_bucket = config(r#"{"accessKeyId":"AK","accessKeySecret":"SK","endPoint":"e.com"}"#);
        assert_eq!(field_of(no_bucket.resolve(Flavor::Minio)).0, "bucketName");
        let cases = [
            (r#""bucketName":"Bad_Bucket""#, "bucketName"),
            (r#""bucketName":"media","region":"us east""#, "region"),
            (r#""bucketName":"media","partSize":1024"#, "partSize"),
            (r#""bucketName":"media","concurrency":0"#, "concurrency"),
            (
                r#""bucketName":"media","partSize":8388608,"multipartThreshold":5242880"#,
                "multipartThreshold",
            ),
            (
                r#""bucketName":"media","connectTimeout":-1"#,
                "connectTimeout",
            ),
            (
                r#""bucketName":"media","requestTimeout":0"#,
                "requestTimeout",
            ),
            (r#""bucketName":"media","retries":99"#, "retries"),
            (
                r#""bucketName":"media","publicDomain":"https://""#,
                "publicDomain",
            ),
            (
                r#""bucketName":"my.bucket","scheme":"https""#,
                "addressingStyle",
            ),
        ];
        for (extra, field) in cases {
            let c = config(&format!(
                r#"{{"accessKeyId":"AK","accessKeySecret":"SK","endPoint":"e.com",{extra}}}"#
            ));
            assert_eq!(field_of(c.resolve(Flavor::Eos)).0, field, "{extra}");
        }
        for bad in ["e.com/path", "e.com:notaport", "ftp://e.com", ""] {
            let c = base(&format!(r#","endPoint":"{bad}""#));
            assert_eq!(field_of(c.resolve(Flavor::Eos)).0, "endPoint", "{bad}");
        }
    }

    #[test]
    fn secrets_are_not_printed() {
        let c = base(r#","endPoint":"e.com","securityToken":"TOKEN""#);
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("SK\"") && !shown.contains("TOKEN"),
            "{shown}"
        );
        let s = c.resolve(Flavor::Minio).unwrap();
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("\"SK\"") && !shown.contains("TOKEN"),
            "{shown}"
        );
        assert_eq!(
            s.credentials.security_token.as_ref().map(|t| t.expose()),
            Some("TOKEN")
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        let error = crate::parse_config(r#"{"bucket":"x"}"#).unwrap_err();
        assert!(error.to_string().contains("bucket"), "{error}");
    }
}
