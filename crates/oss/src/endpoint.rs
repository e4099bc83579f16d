//! OSS endpoints and the URLs of buckets and objects.
//!
//! An [`Endpoint`] is parsed from what users write in configuration — `oss-cn-hangzhou.aliyuncs.com`,
//! `https://oss-cn-hangzhou-internal.aliyuncs.com`, `http://127.0.0.1:9000`, a CDN domain — and
//! knows its scheme (https unless the text says `http://`), its addressing style and, for the
//! official forms, the region it serves:
//!
//! | form | region |
//! |---|---|
//! | `oss-<r>.aliyuncs.com` (public) | `<r>` |
//! | `oss-<r>-internal.aliyuncs.com` (VPC) | `<r>` |
//! | `<r>.oss.aliyuncs.com` (dual-stack) | `<r>` |
//! | `oss-accelerate[-overseas].aliyuncs.com`, custom domains, IPs | must be configured |
//!
//! Addressing is virtual-hosted (`bucket.host/key`) by default, path style (`host/bucket/key`)
//! for IP literals and `localhost` (as the official SDKs do) or on request, and CNAME
//! (`custom-domain/key`) for a domain bound to one bucket. URLs are assembled with
//! [`url::Url`] from strictly percent-encoded parts ([`crate::encoding`]), never by pasting
//! strings together.
//!
//! ```
//! use jitstore_oss::endpoint::{AddressingStyle, Endpoint};
//!
//! let ep = Endpoint::parse("oss-cn-hangzhou.aliyuncs.com").unwrap();
//! assert_eq!(ep.region(), Some("cn-hangzhou"));
//! assert_eq!(ep.style(), AddressingStyle::VirtualHosted);
//! assert_eq!(
//!     ep.object_url("demo", "a b/c+d.txt").unwrap().as_str(),
//!     "https://demo.oss-cn-hangzhou.aliyuncs.com/a%20b/c%2Bd.txt"
//! );
//!
//! let local = Endpoint::parse("http://127.0.0.1:9000").unwrap();
//! assert_eq!(local.style(), AddressingStyle::Path);
//! assert_eq!(local.object_url("demo", "k").unwrap().as_str(), "http://127.0.0.1:9000/demo/k");
//! ```

use std::fmt;

use url::{Host, Url};

use crate::encoding;
use crate::error::OssError;

const ALIYUN_SUFFIX: &str = ".aliyuncs.com";

/// How the bucket appears in request URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressingStyle {
    /// `https://<bucket>.<endpoint>/<key>` — the default, and the only style public OSS accepts.
    VirtualHosted,
    /// `https://<endpoint>/<bucket>/<key>` — for IP/localhost endpoints and private deployments.
    Path,
    /// `https://<custom-domain>/<key>` — the domain is bound to one bucket.
    Cname,
}

/// Which family of endpoint a host belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndpointKind {
    /// `oss-<region>.aliyuncs.com`.
    Public,
    /// `oss-<region>-internal.aliyuncs.com`.
    Internal,
    /// `<region>.oss.aliyuncs.com`.
    DualStack,
    /// `oss-accelerate.aliyuncs.com` or `oss-accelerate-overseas.aliyuncs.com`.
    Accelerate,
    /// An IP literal or `localhost`.
    Local,
    /// Anything else: a custom domain, a CDN, a private deployment.
    Custom,
}

/// The scheme of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain HTTP (local servers, or when explicitly written as `http://`).
    Http,
    /// HTTPS, the default.
    Https,
}

impl Scheme {
    /// `"http"` or `"https"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// A parsed OSS endpoint: scheme, host, optional port, addressing style and derived region.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    scheme: Scheme,
    host: String,
    port: Option<u16>,
    kind: EndpointKind,
    style: AddressingStyle,
    region: Option<String>,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("url", &self.to_string())
            .field("kind", &self.kind)
            .field("style", &self.style)
            .field("region", &self.region)
            .finish()
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme.as_str(), self.authority())
    }
}

impl std::str::FromStr for Endpoint {
    type Err = OssError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Endpoint::parse(s)
    }
}

impl Endpoint {
    /// Parses an endpoint as users write it: a host with optional `http://`/`https://` scheme,
    /// optional port and optional trailing `/`. Paths, queries, user info and fragments are
    /// rejected.
    pub fn parse(text: &str) -> Result<Endpoint, OssError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(OssError::invalid("endpoint", "the endpoint is empty"));
        }
        let lower = trimmed.to_ascii_lowercase();
        let (scheme, with_scheme) = if lower.starts_with("https://") {
            (Scheme::Https, trimmed.to_owned())
        } else if lower.starts_with("http://") {
            (Scheme::Http, trimmed.to_owned())
        } else if trimmed.contains("://") {
            return Err(OssError::invalid(
                "endpoint",
                format!("{trimmed:?}: only http:// and https:// are supported"),
            ));
        } else {
            (Scheme::Https, format!("https://{trimmed}"))
        };
        let url = Url::parse(&with_scheme)
            .map_err(|e| OssError::invalid("endpoint", format!("{trimmed:?}: {e}")))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(OssError::invalid(
                "endpoint",
                format!("{trimmed:?}: credentials do not belong in the endpoint"),
            ));
        }
        if url.path() != "/" && !url.path().is_empty() {
            return Err(OssError::invalid(
                "endpoint",
                format!(
                    "{trimmed:?}: an endpoint has no path (got {:?}); give the bucket separately",
                    url.path()
                ),
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(OssError::invalid(
                "endpoint",
                format!("{trimmed:?}: an endpoint has no query or fragment"),
            ));
        }
        let (host, kind, region) = match url.host() {
            None => {
                return Err(OssError::invalid(
                    "endpoint",
                    format!("{trimmed:?}: no host"),
                ))
            }
            Some(Host::Ipv4(ip)) => (ip.to_string(), EndpointKind::Local, None),
            Some(Host::Ipv6(ip)) => (format!("[{ip}]"), EndpointKind::Local, None),
            Some(Host::Domain(d)) => {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                let (kind, region) = classify_domain(&d);
                if kind == EndpointKind::Custom {
                    if let Some((first, rest)) = d.split_once('.') {
                        if classify_domain(rest).0 != EndpointKind::Custom {
                            return Err(OssError::invalid(
                                "endpoint",
                                format!(
                                    "{trimmed:?} looks like a bucket host ({first:?} on {rest:?}); \
                                     give the endpoint {rest:?} and the bucket {first:?} separately"
                                ),
                            ));
                        }
                    }
                }
                (d, kind, region)
            }
        };
        let style = if kind == EndpointKind::Local {
            AddressingStyle::Path
        } else {
            AddressingStyle::VirtualHosted
        };
        Ok(Endpoint {
            scheme,
            host,
            port: url.port(),
            kind,
            style,
            region,
        })
    }

    /// The public endpoint of a region: `https://oss-<region>.aliyuncs.com`, or the
    /// `-internal` (VPC) one when `internal`.
    pub fn for_region(region: &str, internal: bool) -> Result<Endpoint, OssError> {
        validate_region(region)?;
        let host = if internal {
            format!("oss-{region}-internal{ALIYUN_SUFFIX}")
        } else {
            format!("oss-{region}{ALIYUN_SUFFIX}")
        };
        Endpoint::parse(&host)
    }

    /// The same endpoint with another addressing style (e.g. [`AddressingStyle::Path`] for a
    /// private deployment, [`AddressingStyle::Cname`] for a custom domain).
    pub fn with_style(mut self, style: AddressingStyle) -> Endpoint {
        self.style = style;
        self
    }

    /// The same endpoint with another scheme.
    pub fn with_scheme(mut self, scheme: Scheme) -> Endpoint {
        self.scheme = scheme;
        self
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host name or IP literal (IPv6 in brackets), lower-case, without port.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The explicit port, if any.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// `host[:port]`.
    pub fn authority(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{p}", self.host),
            None => self.host.clone(),
        }
    }

    /// The family of the endpoint.
    pub fn kind(&self) -> EndpointKind {
        self.kind
    }

    /// The addressing style used for bucket URLs.
    pub fn style(&self) -> AddressingStyle {
        self.style
    }

    /// The region this endpoint serves, when the host says so (`oss-<r>[-internal].aliyuncs.com`,
    /// `<r>.oss.aliyuncs.com`).
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The region to sign V4 requests with: `explicit` if given (validated), else the derived
    /// one; an error naming the endpoint when neither exists.
    pub fn resolve_region(&self, explicit: Option<&str>) -> Result<String, OssError> {
        match explicit.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => {
                validate_region(r)?;
                Ok(r.to_owned())
            }
            None => self.region.clone().ok_or_else(|| {
                OssError::invalid(
                    "region",
                    format!(
                        "V4 signing needs a region and it cannot be derived from endpoint {self} \
                         ({:?} endpoint); set the region explicitly, e.g. \"cn-hangzhou\"",
                        self.kind
                    ),
                )
            }),
        }
    }

    /// The value of the `Host` header for requests about `bucket`.
    pub fn host_for_bucket(&self, bucket: &str) -> String {
        let host = match self.style {
            AddressingStyle::VirtualHosted => format!("{bucket}.{}", self.host),
            AddressingStyle::Path | AddressingStyle::Cname => self.host.clone(),
        };
        match self.port {
            Some(p) => format!("{host}:{p}"),
            None => host,
        }
    }

    /// The URL of a bucket (for bucket-level calls such as ListObjectsV2): `…/` or `…/bucket/`.
    pub fn bucket_url(&self, bucket: &str) -> Result<Url, OssError> {
        self.url_with_path(bucket, None)
    }

    /// The URL of an object; the key is validated and percent-encoded strictly (`/` kept).
    /// This is also the public URL of an object in a public-read bucket.
    pub fn object_url(&self, bucket: &str, key: &str) -> Result<Url, OssError> {
        self.url_with_path(bucket, Some(key))
    }

    fn url_with_path(&self, bucket: &str, key: Option<&str>) -> Result<Url, OssError> {
        encoding::validate_bucket_name(bucket)
            .map_err(|e| OssError::invalid("bucket name", e.to_string()))?;
        let mut path = String::from("/");
        if self.style == AddressingStyle::Path {
            path.push_str(bucket);
            path.push('/');
        }
        if let Some(key) = key {
            path.push_str(&encode_key_for_path(key)?);
        }
        let mut url = Url::parse(&format!("{}://{}/", self.scheme.as_str(), self.host))
            .map_err(|e| OssError::invalid("endpoint", format!("{self}: {e}")))?;
        if self.style == AddressingStyle::VirtualHosted {
            url.set_host(Some(&format!("{bucket}.{}", self.host)))
                .map_err(|e| OssError::invalid("endpoint", format!("{self}: {e}")))?;
        }
        url.set_port(self.port)
            .map_err(|()| OssError::invalid("endpoint", format!("{self}: cannot carry a port")))?;
        url.set_path(&path);
        if url.path() != path {
            return Err(OssError::invalid(
                "object key",
                format!("{key:?} cannot be expressed as a URL path"),
            ));
        }
        Ok(url)
    }
}

/// Appends strictly encoded query pairs (space `%20`, `+` `%2B`, `/` `%2F`) to `url`;
/// an empty value renders as a bare flag (`?uploads`).
pub fn set_query(url: &mut Url, pairs: &[(String, String)]) {
    if pairs.is_empty() {
        url.set_query(None);
        return;
    }
    let mut query = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            query.push('&');
        }
        encoding::encode_into(&mut query, name, false);
        if !value.is_empty() {
            query.push('=');
            encoding::encode_into(&mut query, value, false);
        }
    }
    url.set_query(Some(&query));
}

/// The key as it appears in the request path.
///
/// Keys are strictly encoded keeping `/`. URL libraries (and reqwest through them) collapse
/// `.` and `..` path segments, so a key with such a segment is sent with `/` encoded as
/// `%2F` (which OSS decodes back, as the oss2 SDK relies on); the keys `.` and `..` themselves
/// cannot be carried in a URL path at all and are refused.
pub fn encode_key_for_path(key: &str) -> Result<String, OssError> {
    encoding::validate_object_key(key)
        .map_err(|e| OssError::invalid("object key", e.to_string()))?;
    if key == "." || key == ".." {
        return Err(OssError::invalid(
            "object key",
            format!("{key:?} is a relative path segment that URLs cannot carry"),
        ));
    }
    let has_dot_segment = key.split('/').any(|s| s == "." || s == "..");
    Ok(if has_dot_segment {
        encoding::encode_strict(key)
    } else {
        encoding::encode_path(key)
    })
}

/// Checks a region id: non-empty `[a-z0-9-]`, not an `oss-` endpoint prefix.
pub fn validate_region(region: &str) -> Result<(), OssError> {
    if region.is_empty() {
        return Err(OssError::invalid("region", "the region is empty"));
    }
    if !region
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(OssError::invalid(
            "region",
            format!("{region:?}: a region id has only lower-case letters, digits and '-'"),
        ));
    }
    if let Some(bare) = region.strip_prefix("oss-") {
        return Err(OssError::invalid(
            "region",
            format!("{region:?} is an endpoint prefix, not a region id (use {bare:?})"),
        ));
    }
    Ok(())
}

fn is_region_id(r: &str) -> bool {
    !r.is_empty()
        && !r.starts_with('-')
        && !r.ends_with('-')
        && r.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn classify_domain(domain: &str) -> (EndpointKind, Option<String>) {
    if domain == "localhost" {
        return (EndpointKind::Local, None);
    }
    let Some(stem) = domain.strip_suffix(ALIYUN_SUFFIX) else {
        return (EndpointKind::Custom, None);
    };
    if stem == "oss-accelerate" || stem == "oss-accelerate-overseas" {
        return (EndpointKind::Accelerate, None);
    }
    if let Some(rest) = stem.strip_prefix("oss-") {
        if rest.contains('.') {
            return (EndpointKind::Custom, None);
        }
        if let Some(region) = rest.strip_suffix("-internal") {
            if is_region_id(region) {
                return (EndpointKind::Internal, Some(region.to_owned()));
            }
        } else if is_region_id(rest) {
            return (EndpointKind::Public, Some(rest.to_owned()));
        }
        return (EndpointKind::Custom, None);
    }
    if let Some(region) = stem.strip_suffix(".oss") {
        if is_region_id(region) && !region.contains('.') {
            return (EndpointKind::DualStack, Some(region.to_owned()));
        }
    }
    (EndpointKind::Custom, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_forms_and_regions() {
        let cases = [
            (
                "oss-cn-hangzhou.aliyuncs.com",
                EndpointKind::Public,
                Some("cn-hangzhou"),
            ),
            (
                "https://oss-cn-hangzhou-internal.aliyuncs.com/",
                EndpointKind::Internal,
                Some("cn-hangzhou"),
            ),
            (
                "cn-shanghai.oss.aliyuncs.com",
                EndpointKind::DualStack,
                Some("cn-shanghai"),
            ),
            (
                "oss-accelerate.aliyuncs.com",
                EndpointKind::Accelerate,
                None,
            ),
            (
                "oss-accelerate-overseas.aliyuncs.com",
                EndpointKind::Accelerate,
                None,
            ),
            (
                "OSS-US-WEST-1.ALIYUNCS.COM",
                EndpointKind::Public,
                Some("us-west-1"),
            ),
            ("cdn.example.com", EndpointKind::Custom, None),
            ("ecs.aliyuncs.com", EndpointKind::Custom, None),
        ];
        for (text, kind, region) in cases {
            let ep = Endpoint::parse(text).unwrap();
            assert_eq!(ep.kind(), kind, "{text}");
            assert_eq!(ep.region(), region, "{text}");
            assert_eq!(ep.scheme(), Scheme::Https, "{text}");
            assert_eq!(ep.style(), AddressingStyle::VirtualHosted, "{text}");
        }
    }

    #[test]
    fn scheme_port_and_local_path_style() {
        let ep = Endpoint::parse("http://localhost:9000").unwrap();
        assert_eq!(ep.scheme(), Scheme::Http);
        assert_eq!(ep.port(), Some(9000));
        assert_eq!(ep.kind(), EndpointKind::Local);
        assert_eq!(ep.style(), AddressingStyle::Path);
        assert_eq!(ep.to_string(), "http://localhost:9000");
        let v6 = Endpoint::parse("http://[::1]:8080").unwrap();
        assert_eq!(v6.style(), AddressingStyle::Path);
        assert_eq!(
            v6.object_url("bkt", "a/b").unwrap().as_str(),
            "http://[::1]:8080/bkt/a/b"
        );
        assert_eq!(ep.host_for_bucket("bkt"), "localhost:9000");
    }

    #[test]
    fn rejects_bad_endpoints() {
        for bad in [
            "",
            "ftp://oss-cn-hangzhou.aliyuncs.com",
            "https://oss-cn-hangzhou.aliyuncs.com/bucket",
            "https://user:pw@host.example",
            "https://host.example/?x=1",
            "http://",
            "my-bucket.oss-cn-hangzhou.aliyuncs.com",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn region_resolution() {
        let ep = Endpoint::parse("oss-cn-beijing.aliyuncs.com").unwrap();
        assert_eq!(ep.resolve_region(None).unwrap(), "cn-beijing");
        assert_eq!(
            ep.resolve_region(Some("cn-hangzhou")).unwrap(),
            "cn-hangzhou"
        );
        assert!(ep.resolve_region(Some("oss-cn-hangzhou")).is_err());
        assert!(ep.resolve_region(Some("CN")).is_err());
        let acc = Endpoint::parse("oss-accelerate.aliyuncs.com").unwrap();
        let e = acc.resolve_region(None).unwrap_err().to_string();
        assert!(e.contains("oss-accelerate.aliyuncs.com"), "{e}");
        assert_eq!(
            Endpoint::for_region("cn-hangzhou", true)
                .unwrap()
                .to_string(),
            "https://oss-cn-hangzhou-internal.aliyuncs.com"
        );
    }

    #[test]
    fn urls_in_every_style() {
        let ep = Endpoint::parse("oss-cn-hangzhou.aliyuncs.com").unwrap();
        let key = "dir/a b+c#d?e%f中😀";
        assert_eq!(
            ep.object_url("bkt", key).unwrap().as_str(),
            "https://bkt.oss-cn-hangzhou.aliyuncs.com/dir/a%20b%2Bc%23d%3Fe%25f%E4%B8%AD%F0%9F%98%80"
        );
        assert_eq!(
            ep.bucket_url("bkt").unwrap().as_str(),
            "https://bkt.oss-cn-hangzhou.aliyuncs.com/"
        );
        let path = ep.clone().with_style(AddressingStyle::Path);
        assert_eq!(
            path.object_url("bkt", "k").unwrap().as_str(),
            "https://oss-cn-hangzhou.aliyuncs.com/bkt/k"
        );
        assert_eq!(
            path.bucket_url("bkt").unwrap().as_str(),
            "https://oss-cn-hangzhou.aliyuncs.com/bkt/"
        );
        let cname = Endpoint::parse("https://files.example.com")
            .unwrap()
            .with_style(AddressingStyle::Cname);
        assert_eq!(
            cname.object_url("bkt", "x/y.txt").unwrap().as_str(),
            "https://files.example.com/x/y.txt"
        );
        assert_eq!(cname.host_for_bucket("bkt"), "files.example.com");
    }

    #[test]
    fn keys_are_validated_and_dot_segments_survive() {
        let ep = Endpoint::parse("http://127.0.0.1:1").unwrap();
        assert!(ep.object_url("bkt", "").is_err());
        assert!(ep.object_url("bkt", "/abs").is_err());
        assert!(ep.object_url("bkt", "..").is_err());
        assert!(ep.object_url("Bad_Bucket", "k").is_err());
        let u = ep.object_url("bkt", "a/../b").unwrap();
        assert_eq!(u.path(), "/bkt/a%2F..%2Fb");
        let u = ep.object_url("bkt", "a//b/").unwrap();
        assert_eq!(u.path(), "/bkt/a//b/");
    }

    #[test]
    fn query_is_strictly_encoded() {
        let mut u = Endpoint::parse("http://127.0.0.1:1")
            .unwrap()
            .bucket_url("bkt")
            .unwrap();
        set_query(
            &mut u,
            &[
                ("list-type".into(), "2".into()),
                ("prefix".into(), "a b+c/".into()),
                ("uploads".into(), String::new()),
            ],
        );
        assert_eq!(u.query(), Some("list-type=2&prefix=a%20b%2Bc%2F&uploads"));
    }
}
