//! `get_file_by_url`: fetch an object of the configured bucket named by any of its URLs —
//! virtual-hosted (`https://bucket.endpoint/key`), path-style (`https://endpoint/bucket/key`),
//! a custom domain bound to the bucket, or a presigned URL of any of these — with the
//! element's own credentials, streamed to a file.
//!
//! URLs on any other host (or another bucket) are refused before any connection is made, so
//! user-supplied URLs cannot make the service fetch internal addresses (SSRF). Hosts listed in
//! [`UrlPolicy::allowed_hosts`] are fetched with a plain anonymous GET — never with our
//! credentials — and redirects are not followed.

use std::path::{Path, PathBuf};

use jitstore_oss::encoding;
use jitstore_oss::endpoint::{AddressingStyle, Endpoint, EndpointKind, Scheme};
use jitstore_oss::transfer::ProgressFn;
use serde::Serialize;
use url::Url;

use super::error::{redact_url, WorkflowError};
use super::plain_http;
use crate::oss::OssStorage;

/// Which hosts besides the bucket's own endpoints are acceptable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UrlPolicy {
    /// Custom domains bound to this bucket (`cdn.example.com`, `files.example.com:8443`): their
    /// paths are object keys, fetched with our credentials. The element's `publicDomain` is
    /// always one.
    pub custom_domains: Vec<String>,
    /// Other hosts that may be fetched anonymously (`host` or `host:port`). Empty by default.
    pub allowed_hosts: Vec<String>,
}

/// How a URL named the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UrlForm {
    /// `bucket.endpoint/key`.
    VirtualHosted,
    /// `endpoint/bucket/key`.
    PathStyle,
    /// `custom-domain/key`.
    CustomDomain,
    /// An explicitly allowed foreign host (fetched anonymously).
    AllowedHost,
}

/// A URL mapped to this storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvedUrl {
    /// The object key (decoded); `None` for an allowed foreign host.
    pub key: Option<String>,
    /// How the URL named it.
    pub form: UrlForm,
    /// Whether the URL carried a signature (ignored: we fetch with our credentials).
    pub presigned: bool,
}

/// What `get_file_by_url` saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FetchedFile {
    /// How the URL was understood.
    pub resolved: ResolvedUrl,
    /// Where the content went.
    pub path: PathBuf,
    /// The file name (last key segment, or of the URL path).
    pub filename: String,
    /// Bytes written.
    pub size: u64,
    /// The content type the server reported.
    pub content_type: Option<String>,
    /// CRC-64/XZ of the content.
    pub crc64: Option<u64>,
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// `true` when `url`'s host and port are `host` and `port`; ports are compared only when
/// either side names one explicitly.
fn same_authority(url: &Url, host: &str, port: Option<u16>, scheme: Scheme) -> bool {
    let Some(url_host) = url.host_str() else {
        return false;
    };
    if !url_host.eq_ignore_ascii_case(host) {
        return false;
    }
    if url.port().is_none() && port.is_none() {
        return true;
    }
    let theirs = url.port_or_known_default();
    let ours = port.or_else(|| default_port(scheme.as_str()));
    theirs == ours
}

fn parse_authority(text: &str) -> Option<(String, Option<u16>)> {
    let url = Url::parse(&format!("http://{}/", text.trim())).ok()?;
    Some((url.host_str()?.to_ascii_lowercase(), url.port()))
}

/// The official endpoints that reach the same bucket as `endpoint` (on Alibaba Cloud):
/// public and `-internal` of its region, and the two accelerate endpoints. Empty for local,
/// custom and private endpoints.
fn sibling_endpoints(endpoint: &Endpoint, signing_region: &str) -> Vec<Endpoint> {
    let region = match endpoint.kind() {
        EndpointKind::Public | EndpointKind::Internal | EndpointKind::DualStack => {
            endpoint.region().unwrap_or(signing_region)
        }
        EndpointKind::Accelerate => signing_region,
        EndpointKind::Local | EndpointKind::Custom => return Vec::new(),
    };
    let mut siblings = Vec::new();
    for internal in [false, true] {
        if let Ok(e) = Endpoint::for_region(region, internal) {
            siblings.push(e.with_scheme(endpoint.scheme()));
        }
    }
    for host in [
        "oss-accelerate.aliyuncs.com",
        "oss-accelerate-overseas.aliyuncs.com",
    ] {
        if let Ok(e) = Endpoint::parse(host) {
            siblings.push(e.with_scheme(endpoint.scheme()));
        }
    }
    siblings
}

fn decoded_key(path: &str, url: &str) -> Result<String, WorkflowError> {
    let key = encoding::decode(path).map_err(|e| WorkflowError::RefusedUrl {
        url: redact_url(url),
        reason: format!("the object key is not valid percent-encoded UTF-8: {e}"),
    })?;
    if key.is_empty() {
        return Err(WorkflowError::RefusedUrl {
            url: redact_url(url),
            reason: "the URL names no object key".into(),
        });
    }
    encoding::validate_object_key(&key).map_err(|e| WorkflowError::RefusedUrl {
        url: redact_url(url),
        reason: e.to_string(),
    })?;
    Ok(key)
}

/// The implementation of [`OssWorkflows::resolve_url`](super::OssWorkflows::resolve_url).
pub(crate) fn resolve_url(
    oss: &OssStorage,
    url: &str,
    policy: &UrlPolicy,
) -> Result<ResolvedUrl, WorkflowError> {
    let refused = |reason: String| WorkflowError::RefusedUrl {
        url: redact_url(url),
        reason,
    };
    let parsed = Url::parse(url.trim()).map_err(|e| refused(format!("not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(refused(format!(
            "scheme {:?} is not http or https",
            parsed.scheme()
        )));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(refused("URLs with user info are not accepted".into()));
    }
    let presigned = parsed.query_pairs().any(|(k, _)| {
        k.eq_ignore_ascii_case("x-oss-signature") || k == "Signature" || k == "OSSAccessKeyId"
    });
    let bucket = oss.client().bucket().to_owned();
    let raw_path = parsed.path().trim_start_matches('/').to_owned();

    // Custom domains: the configured publicDomain and the policy's list.
    let mut domains: Vec<(String, Option<u16>, Scheme)> = Vec::new();
    for endpoint in [oss.public_base(), oss.presigner().endpoint()] {
        if endpoint.style() == AddressingStyle::Cname {
            domains.push((
                endpoint.host().to_owned(),
                endpoint.port(),
                endpoint.scheme(),
            ));
        }
    }
    for d in &policy.custom_domains {
        if let Some((host, port)) = parse_authority(d) {
            domains.push((host, port, Scheme::Https));
        }
    }
    for (host, port, scheme) in &domains {
        if same_authority(&parsed, host, *port, *scheme) {
            return Ok(ResolvedUrl {
                key: Some(decoded_key(&raw_path, url)?),
                form: UrlForm::CustomDomain,
                presigned,
            });
        }
    }

    // The bucket's endpoints, in both addressing styles, with the other official
    // endpoints of its region (`-internal`, accelerate) when it is on Alibaba Cloud.
    let mut endpoints: Vec<Endpoint> = [
        oss.client().endpoint(),
        oss.presigner().endpoint(),
        oss.public_base(),
    ]
    .into_iter()
    .filter(|e| e.style() != AddressingStyle::Cname)
    .cloned()
    .collect();
    endpoints.extend(sibling_endpoints(
        oss.client().endpoint(),
        oss.client().region(),
    ));
    for e in &endpoints {
        let virtual_host = format!("{bucket}.{}", e.host());
        if same_authority(&parsed, &virtual_host, e.port(), e.scheme()) {
            return Ok(ResolvedUrl {
                key: Some(decoded_key(&raw_path, url)?),
                form: UrlForm::VirtualHosted,
                presigned,
            });
        }
        if same_authority(&parsed, e.host(), e.port(), e.scheme()) {
            let (first, rest) = raw_path.split_once('/').unwrap_or((&raw_path, ""));
            if first != bucket {
                return Err(refused(format!(
                    "path-style URL names bucket {first:?}, not the configured bucket {bucket:?}"
                )));
            }
            return Ok(ResolvedUrl {
                key: Some(decoded_key(rest, url)?),
                form: UrlForm::PathStyle,
                presigned,
            });
        }
        if let Some(host) = parsed.host_str() {
            let suffix = format!(".{}", e.host());
            if host.to_ascii_lowercase().ends_with(&suffix) {
                return Err(refused(format!(
                    "the URL is for bucket {:?}, not the configured bucket {bucket:?}",
                    &host[..host.len() - suffix.len()]
                )));
            }
        }
    }

    for allowed in &policy.allowed_hosts {
        if let Some((host, port)) = parse_authority(allowed) {
            if same_authority(&parsed, &host, port, Scheme::Https) {
                return Ok(ResolvedUrl {
                    key: None,
                    form: UrlForm::AllowedHost,
                    presigned,
                });
            }
        }
    }
    Err(refused(format!(
        "host {:?} is neither an endpoint of bucket {bucket:?} nor a configured custom domain, and it was not explicitly allowed",
        parsed.host_str().unwrap_or_default()
    )))
}

/// The implementation of [`OssWorkflows::get_file_by_url`](super::OssWorkflows::get_file_by_url).
pub(crate) async fn get_file_by_url(
    oss: &OssStorage,
    url: &str,
    policy: &UrlPolicy,
    dest: &Path,
) -> Result<FetchedFile, WorkflowError> {
    get_file_by_url_with_progress(oss, url, policy, dest, None).await
}

/// The implementation of [`OssWorkflows::get_file_by_url_with_progress`](super::OssWorkflows::get_file_by_url_with_progress).
pub(crate) async fn get_file_by_url_with_progress(
    oss: &OssStorage,
    url: &str,
    policy: &UrlPolicy,
    dest: &Path,
    progress: Option<ProgressFn>,
) -> Result<FetchedFile, WorkflowError> {
    let resolved = resolve_url(oss, url, policy)?;
    let filename = match &resolved.key {
        Some(key) => key.rsplit('/').next().unwrap_or(key).to_owned(),
        None => Url::parse(url.trim())
            .ok()
            .and_then(|u| {
                u.path_segments()
                    .and_then(|mut s| s.next_back().map(str::to_owned))
            })
            .and_then(|s| encoding::decode(&s).ok())
            .unwrap_or_default(),
    };
    let filename = if filename.is_empty()
        || super::names::segment_problem(&filename).is_some()
        || filename.contains('\\')
    {
        "downloaded_file".to_owned()
    } else {
        filename
    };
    let path = if dest.is_dir() {
        dest.join(&filename)
    } else {
        dest.to_owned()
    };
    match &resolved.key {
        Some(key) => {
            // Metadata first (content type, CRC), then the parallel, CRC-checked download
            // into a temporary file renamed into place.
            let info = crate::storage::Storage::get_object(oss, key).await?;
            let mut transfer = oss.transfer_options().clone();
            if progress.is_some() {
                transfer.progress = progress.clone();
            }
            let size = oss.download_to_with(key, &path, &transfer).await?;
            Ok(FetchedFile {
                resolved,
                path,
                filename,
                size,
                content_type: info.content_type,
                crc64: info.crc64,
            })
        }
        None => {
            let got = plain_http::get_to_file(url.trim(), &path, progress.as_ref()).await?;
            Ok(FetchedFile {
                resolved,
                path,
                filename,
                size: got.size,
                content_type: got.content_type,
                crc64: got.crc64,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oss::OssConfig;
    use crate::workflows::OssWorkflows;

    fn official(public_domain: Option<&str>) -> OssStorage {
        let config = OssConfig {
            access_key_id: Some("ak".into()),
            access_key_secret: Some("sk".into()),
            end_point: "oss-cn-hangzhou.aliyuncs.com".into(),
            bucket_name: "my-bucket".into(),
            public_domain: public_domain.map(str::to_owned),
            checkpoint_dir: Some(String::new()),
            ..OssConfig::default()
        };
        OssStorage::from_config(&config, |_| None, None).unwrap()
    }

    #[test]
    fn official_endpoint_urls_resolve_and_others_are_refused() {
        let oss = official(Some("cdn.example.com"));
        let policy = UrlPolicy::default();
        let r = oss
            .resolve_url(
                "https://my-bucket.oss-cn-hangzhou.aliyuncs.com/a/b%20c%2Bd.txt",
                &policy,
            )
            .unwrap();
        assert_eq!(
            (r.key.as_deref(), r.form),
            (Some("a/b c+d.txt"), UrlForm::VirtualHosted)
        );
        // The plugin's http:// form of the same URL.
        let r = oss
            .resolve_url("http://my-bucket.oss-cn-hangzhou.aliyuncs.com/x", &policy)
            .unwrap();
        assert_eq!(r.key.as_deref(), Some("x"));
        let r = oss
            .resolve_url(
                "https://my-bucket.oss-cn-hangzhou.aliyuncs.com/x?x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-signature=abc",
                &policy,
            )
            .unwrap();
        assert!(r.presigned);
        let r = oss
            .resolve_url("https://cdn.example.com/img/1.png", &policy)
            .unwrap();
        assert_eq!(
            (r.key.as_deref(), r.form),
            (Some("img/1.png"), UrlForm::CustomDomain)
        );
        for bad in [
            "https://other.oss-cn-hangzhou.aliyuncs.com/x",
            "https://my-bucket.oss-cn-beijing.aliyuncs.com/x",
            "https://evil.example.com/my-bucket/x",
            "https://my-bucket.oss-cn-hangzhou.aliyuncs.com.evil.com/x",
            "https://cdn.example.com:8443/x",
            "https://my-bucket.oss-cn-hangzhou.aliyuncs.com/",
        ] {
            let err = oss.resolve_url(bad, &policy).unwrap_err();
            assert!(
                matches!(err, WorkflowError::RefusedUrl { .. }),
                "{bad}: {err}"
            );
        }
        // The refusal never echoes a presigned query.
        let err = oss
            .resolve_url("https://evil.example.com/x?Signature=secret", &policy)
            .unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
    }

    #[test]
    fn internal_and_accelerate_endpoints_of_the_region_name_the_same_bucket() {
        let oss = official(None);
        let policy = UrlPolicy::default();
        for url in [
            "https://my-bucket.oss-cn-hangzhou-internal.aliyuncs.com/k",
            "https://oss-cn-hangzhou-internal.aliyuncs.com/my-bucket/k",
            "https://my-bucket.oss-accelerate.aliyuncs.com/k",
            "https://my-bucket.oss-accelerate-overseas.aliyuncs.com/k",
        ] {
            let r = oss.resolve_url(url, &policy).unwrap();
            assert_eq!(r.key.as_deref(), Some("k"), "{url}");
        }
        for bad in [
            "https://my-bucket.oss-cn-shanghai-internal.aliyuncs.com/k",
            "https://other.oss-accelerate.aliyuncs.com/k",
        ] {
            assert!(oss.resolve_url(bad, &policy).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn public_urls_are_https_and_encoded_on_the_custom_domain() {
        let plain = official(None);
        let (url, signed) = plain
            .url_by_choice("dir/a b#?.txt", crate::workflows::UrlChoice::Public, "")
            .await
            .unwrap();
        assert!(!signed);
        assert_eq!(
            url,
            "https://my-bucket.oss-cn-hangzhou.aliyuncs.com/dir/a%20b%23%3F.txt"
        );
        let cdn = official(Some("cdn.example.com"));
        let (url, _) = cdn
            .url_by_choice("报告.pdf", crate::workflows::UrlChoice::Public, "")
            .await
            .unwrap();
        assert_eq!(url, "https://cdn.example.com/%E6%8A%A5%E5%91%8A.pdf");
    }
}
