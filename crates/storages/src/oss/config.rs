//! OssType's business config (`<Name>.json`) and how it becomes a client.
//!
//! JitAI's four fields (`accessKeyId`, `accessKeySecret`, `endPoint`, `bucketName`) plus the
//! optional knobs below. Unknown fields are refused (the registry names the file and field).
//! When `accessKeyId`/`accessKeySecret` are absent, credentials come from the app environment
//! under the official names (`OSS_ACCESS_KEY_ID`, `OSS_ACCESS_KEY_SECRET`, `OSS_SESSION_TOKEN`,
//! or the `ALIBABA_CLOUD_*` family).

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

/// Which URL `upload_by_file` returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UrlMode {
    /// The plain object URL (what JitAI returns; works for public-read buckets).
    #[default]
    Public,
    /// A presigned GET URL valid for `signedUrlExpires` seconds.
    Signed,
}

/// Signature version of `signatureVersion` (`"v4"`, the default, or `"v1"`): the client's own
/// [`SignatureVersion`](jitstore_oss::sign::SignatureVersion), under the name the config has
/// always used.
pub type SignatureVersionConfig = jitstore_oss::sign::SignatureVersion;

/// Addressing style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AddressingStyleConfig {
    /// `bucket.endpoint/key` (default for OSS domains).
    Virtual,
    /// `endpoint/bucket/key` (default for IP and localhost endpoints).
    Path,
    /// `custom-domain/key`, the domain bound to the bucket.
    Cname,
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

/// The business config of a `storages.OssType` element.
#[derive(Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OssConfig {
    /// AccessKey id (or from the environment).
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// AccessKey secret (or from the environment). Never printed.
    #[serde(default)]
    pub access_key_secret: Option<String>,
    /// STS security token for temporary credentials. Never printed.
    #[serde(default)]
    pub security_token: Option<String>,
    /// The endpoint, e.g. `oss-cn-hangzhou.aliyuncs.com` (a scheme and port may be given).
    pub end_point: String,
    /// The bucket.
    pub bucket_name: String,
    /// Region id (`cn-hangzhou`); derived from official endpoints, required for V4 otherwise.
    #[serde(default)]
    pub region: Option<String>,
    /// `v4` (default) or `v1`.
    #[serde(default)]
    pub signature_version: SignatureVersionConfig,
    /// `https` (default unless `endPoint` says `http://`) or `http`.
    #[serde(default)]
    pub scheme: Option<SchemeConfig>,
    /// `virtual`, `path` or `cname`.
    #[serde(default)]
    pub addressing_style: Option<AddressingStyleConfig>,
    /// A custom domain bound to the bucket, used for returned public URLs (and presigned URLs
    /// unless `presignEndpoint` is set).
    #[serde(default)]
    pub public_domain: Option<String>,
    /// An endpoint for presigned URLs (e.g. the public endpoint while traffic uses the
    /// internal one).
    #[serde(default)]
    pub presign_endpoint: Option<String>,
    /// `public` (default) or `signed`: the URL `upload_by_file` returns.
    #[serde(default)]
    pub url_mode: UrlMode,
    /// Validity of the URL returned in `signed` mode, seconds (default 300).
    #[serde(default)]
    pub signed_url_expires: Option<u64>,
    /// Part size in bytes (default 6 MiB; grown to stay within 10,000 parts).
    #[serde(default)]
    pub part_size: Option<u64>,
    /// Parts or ranges in flight (default 4).
    #[serde(default)]
    pub concurrency: Option<usize>,
    /// Size from which transfers go multipart / parallel (default 16 MiB).
    #[serde(default)]
    pub multipart_threshold: Option<u64>,
    /// Connect timeout, seconds (default 5).
    #[serde(default)]
    pub connect_timeout: Option<f64>,
    /// Idle read timeout, seconds (default 10).
    #[serde(default)]
    pub read_timeout: Option<f64>,
    /// Retries after the first attempt (default 2, i.e. 3 attempts).
    #[serde(default)]
    pub retries: Option<u32>,
    /// CRC-64 checks of uploads and downloads (default true).
    #[serde(default)]
    pub crc64_check: Option<bool>,
    /// fsync downloaded files before renaming them into place (default false).
    #[serde(default)]
    pub sync_downloads: Option<bool>,
    /// Upload checkpoints folder, relative to the app folder (default
    /// `appData/checkpoints/<Name>`); `""` disables resume.
    #[serde(default)]
    pub checkpoint_dir: Option<String>,
}

impl fmt::Debug for OssConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |v: &Option<String>| v.as_ref().map(|_| "******");
        f.debug_struct("OssConfig")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &redacted(&self.access_key_secret))
            .field("security_token", &redacted(&self.security_token))
            .field("end_point", &self.end_point)
            .field("bucket_name", &self.bucket_name)
            .field("region", &self.region)
            .field("signature_version", &self.signature_version)
            .field("scheme", &self.scheme)
            .field("addressing_style", &self.addressing_style)
            .field("public_domain", &self.public_domain)
            .field("presign_endpoint", &self.presign_endpoint)
            .field("url_mode", &self.url_mode)
            .field("part_size", &self.part_size)
            .field("concurrency", &self.concurrency)
            .field("multipart_threshold", &self.multipart_threshold)
            .field("retries", &self.retries)
            .field("crc64_check", &self.crc64_check)
            .field("checkpoint_dir", &self.checkpoint_dir)
            .finish_non_exhaustive()
    }
}

/// A seconds value as a duration, refusing negative, NaN or absurd values.
pub(crate) fn seconds(field: &'static str, value: f64) -> Result<Duration, String> {
    if !value.is_finite() || value <= 0.0 || value > 86_400.0 {
        return Err(format!(
            "{field} must be a number of seconds in (0, 86400], got {value}"
        ));
    }
    Ok(Duration::from_secs_f64(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitai_fields_parse_and_unknown_fields_are_refused() {
        let c: OssConfig = serde_json::from_str(
            r#"{"accessKeyId":"AK","accessKeySecret":"SK","endPoint":"oss-cn-hangzhou.aliyuncs.com","bucketName":"b"}"#,
        )
        .unwrap();
        assert_eq!(c.bucket_name, "b");
        assert_eq!(c.signature_version, SignatureVersionConfig::V4);
        assert_eq!(c.url_mode, UrlMode::Public);
        let shown = format!("{c:?}");
        assert!(!shown.contains("SK\""), "{shown}");
        let err =
            serde_json::from_str::<OssConfig>(r#"{"endPoint":"e","bucketName":"b","bucket":"x"}"#)
                .unwrap_err();
        assert!(err.to_string().contains("bucket"), "{err}");
        let c: OssConfig = serde_json::from_str(
            r#"{"endPoint":"e","bucketName":"b","signatureVersion":"v1","urlMode":"signed","addressingStyle":"path","crc64Check":false}"#,
        )
        .unwrap();
        assert_eq!(c.signature_version, SignatureVersionConfig::V1);
        assert_eq!(c.url_mode, UrlMode::Signed);
        assert_eq!(c.addressing_style, Some(AddressingStyleConfig::Path));
        assert_eq!(c.crc64_check, Some(false));
    }

    #[test]
    fn seconds_are_checked() {
        assert_eq!(seconds("t", 1.5).unwrap(), Duration::from_millis(1500));
        assert!(seconds("t", -1.0).is_err());
        assert!(seconds("t", f64::NAN).is_err());
    }
}
