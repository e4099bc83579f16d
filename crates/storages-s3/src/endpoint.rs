//! Endpoints of the S3 family: parsing `endPoint` (`host`, `host:port`, `scheme://host:port`),
//! building object URLs path-style or virtual-hosted, and Qiniu's native upload hosts mapped
//! to the S3-compatible endpoint of their region.

use std::fmt;
use std::net::IpAddr;

use jitstore_oss::encoding::encode_path;

use crate::config::AddressingStyle;

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain HTTP (port 80 by default).
    Http,
    /// HTTPS (port 443 by default).
    Https,
}

impl Scheme {
    /// `http` or `https`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// An `endPoint` as written: the scheme only when the text names one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedEndpoint {
    /// The scheme written in the text, if any.
    pub scheme: Option<Scheme>,
    /// The host name or IP address (IPv6 without brackets).
    pub host: String,
    /// The port written in the text, if any.
    pub port: Option<u16>,
}

/// A service endpoint: scheme, host and optional port, without any bucket.
///
/// ```
/// use jitstore_storages_s3::{AddressingStyle, Endpoint};
///
/// let endpoint = Endpoint::parse("http://127.0.0.1:9000").unwrap().with_default_scheme();
/// let url = endpoint.object_url("media", "docs/a b.txt", AddressingStyle::Path);
/// assert_eq!(url.url, "http://127.0.0.1:9000/media/docs/a%20b.txt");
/// assert_eq!(url.host, "127.0.0.1:9000");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The scheme.
    pub scheme: Scheme,
    /// The host name or IP address (IPv6 without brackets).
    pub host: String,
    /// The port, when not the scheme's default.
    pub port: Option<u16>,
}

/// An object's URL and what signing it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectUrl {
    /// The URL without a query.
    pub url: String,
    /// The `Host` header value (`host[:port]`, the port only when not the default).
    pub host: String,
    /// The canonical URI (`/bucket/key` or `/key`, percent-encoded once).
    pub path: String,
}

impl Endpoint {
    /// Parses `host`, `host:port` or `scheme://host[:port]` (a trailing `/` is allowed; a path,
    /// query or user info is not).
    pub fn parse(text: &str) -> Result<ParsedEndpoint, String> {
        let text = text.trim();
        let (scheme, rest) = match text.split_once("://") {
            Some((s, rest)) => match s.to_ascii_lowercase().as_str() {
                "http" => (Some(Scheme::Http), rest),
                "https" => (Some(Scheme::Https), rest),
                other => return Err(format!("{text:?}: scheme {other:?} is not http or https")),
            },
            None => (None, text),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.is_empty() {
            return Err(format!("{text:?} names no host"));
        }
        if rest.contains(['/', '?', '#', '@', ' ']) {
            return Err(format!(
                "{text:?} must be a host with an optional port, without a path, query or user"
            ));
        }
        let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
            let (host, after) = v6
                .split_once(']')
                .ok_or_else(|| format!("{text:?}: unclosed '[' of an IPv6 address"))?;
            match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None if after.is_empty() => (host, None),
                None => return Err(format!("{text:?}: unexpected text after the IPv6 address")),
            }
        } else {
            match rest.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (rest, None),
            }
        };
        let port = port
            .map(|p| {
                p.parse::<u16>()
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or_else(|| format!("{text:?}: port {p:?} is not a number in 1..65535"))
            })
            .transpose()?;
        if host.is_empty() {
            return Err(format!("{text:?} names no host"));
        }
        Ok(ParsedEndpoint {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// True for an IP address or `localhost` (which cannot carry a bucket sub-domain).
    pub fn is_ip_or_localhost(&self) -> bool {
        self.host.parse::<IpAddr>().is_ok() || self.host == "localhost"
    }

    /// `host[:port]` of `host`, the port only when it is not the scheme's default.
    fn authority(&self, host: &str) -> String {
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        match self.port {
            Some(port) if port != self.scheme.default_port() => format!("{host}:{port}"),
            _ => host,
        }
    }

    /// The base URL of the service or, virtual-hosted, of the bucket (no trailing `/`).
    pub fn base_url(&self, bucket: &str, style: AddressingStyle) -> String {
        let host = match style {
            AddressingStyle::Path => self.authority(&self.host),
            AddressingStyle::Virtual => self.authority(&format!("{bucket}.{}", self.host)),
        };
        format!("{}://{host}", self.scheme.as_str())
    }

    /// The URL of `key` in `bucket`; `/` in keys is kept, every other reserved byte encoded.
    pub fn object_url(&self, bucket: &str, key: &str, style: AddressingStyle) -> ObjectUrl {
        let (host, path) = match style {
            AddressingStyle::Path => (
                self.authority(&self.host),
                format!("/{bucket}/{}", encode_path(key)),
            ),
            AddressingStyle::Virtual => (
                self.authority(&format!("{bucket}.{}", self.host)),
                format!("/{}", encode_path(key)),
            ),
        };
        ObjectUrl {
            url: format!("{}://{host}{path}", self.scheme.as_str()),
            host,
            path,
        }
    }
}

impl ParsedEndpoint {
    /// The endpoint with `https` when the text named no scheme.
    pub fn with_default_scheme(self) -> Endpoint {
        Endpoint {
            scheme: self.scheme.unwrap_or(Scheme::Https),
            host: self.host,
            port: self.port,
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}",
            self.scheme.as_str(),
            self.authority(&self.host)
        )
    }
}

/// A Qiniu endpoint as the S3 API needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QiniuEndpoint {
    /// The S3-compatible host (`s3.<region>.qiniucs.com`) or the configured host as is.
    pub host: String,
    /// The S3 region, when the host tells it.
    pub region: Option<String>,
}

/// Qiniu zones (as in native upload hosts `upload-<zone>.qiniup.com`) and their S3 regions.
const QINIU_ZONES: [(&str, &str); 8] = [
    ("z0", "cn-east-1"),
    ("cn-east-2", "cn-east-2"),
    ("z1", "cn-north-1"),
    ("z2", "cn-south-1"),
    ("na0", "us-north-1"),
    ("as0", "ap-southeast-1"),
    ("ap-southeast-2", "ap-southeast-2"),
    ("ap-northeast-1", "ap-northeast-1"),
];

/// The S3 endpoint of a Qiniu `endPoint` host.
///
/// Native upload hosts (`upload.qiniup.com`, `upload-<zone>.qiniup.com`, `up-<zone>.qiniup.com`,
/// their `.qbox.me` forms, with `-accelerate`/`-acc` variants refused) map to
/// `s3.<region>.qiniucs.com`; an S3 host (`s3.<region>.qiniucs.com`) is kept and tells the
/// region; other Qiniu API hosts are refused with the endpoint to use; any other host (a
/// private deployment, a test server) is kept as is.
///
/// ```
/// use jitstore_storages_s3::qiniu_s3_endpoint;
///
/// let mapped = qiniu_s3_endpoint("upload-z2.qiniup.com").unwrap();
/// assert_eq!(mapped.host, "s3.cn-south-1.qiniucs.com");
/// assert_eq!(mapped.region.as_deref(), Some("cn-south-1"));
/// assert!(qiniu_s3_endpoint("rs-z2.qiniuapi.com").unwrap_err().contains("s3.<region>.qiniucs.com"));
/// ```
pub fn qiniu_s3_endpoint(host: &str) -> Result<QiniuEndpoint, String> {
    let host = host.trim().to_ascii_lowercase();
    if let Some(region) = host
        .strip_prefix("s3.")
        .and_then(|rest| rest.strip_suffix(".qiniucs.com"))
        .or_else(|| {
            host.strip_prefix("s3-")
                .and_then(|rest| rest.strip_suffix(".qiniucs.com"))
        })
    {
        if region.is_empty() || region.contains('.') {
            return Err(format!(
                "{host:?} is not a Qiniu S3 endpoint: use s3.<region>.qiniucs.com, e.g. s3.cn-south-1.qiniucs.com"
            ));
        }
        return Ok(QiniuEndpoint {
            host: format!("s3.{region}.qiniucs.com"),
            region: Some(region.to_owned()),
        });
    }
    let native = [
        "qiniup.com",
        "qbox.me",
        "qiniuapi.com",
        "qiniu.com",
        "qiniudn.com",
    ]
    .iter()
    .find_map(|domain| host.strip_suffix(&format!(".{domain}")));
    let Some(label) = native else {
        return Ok(QiniuEndpoint { host, region: None });
    };
    let known = QINIU_ZONES
        .iter()
        .map(|(zone, region)| format!("{zone} -> s3.{region}.qiniucs.com"))
        .collect::<Vec<_>>()
        .join(", ");
    let zone = match label {
        "upload" | "up" => Some("z0"),
        _ => label
            .strip_prefix("upload-")
            .or_else(|| label.strip_prefix("up-")),
    };
    let region = zone.and_then(|zone| {
        QINIU_ZONES
            .iter()
            .find(|(z, _)| *z == zone)
            .map(|(_, region)| *region)
    });
    match region {
        Some(region) => Ok(QiniuEndpoint {
            host: format!("s3.{region}.qiniucs.com"),
            region: Some(region.to_owned()),
        }),
        None => Err(format!(
            "{host:?} is a Qiniu native API host, which does not speak the S3 protocol: set endPoint to the S3 endpoint of the bucket's region, s3.<region>.qiniucs.com (known upload zones: {known})"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hosts_ports_and_schemes() {
        let p = Endpoint::parse("minio.local:9000").unwrap();
        assert_eq!(
            (p.scheme, p.host.as_str(), p.port),
            (None, "minio.local", Some(9000))
        );
        let p = Endpoint::parse("HTTPS://S3.Amazonaws.com/").unwrap();
        assert_eq!(
            (p.scheme, p.host.as_str(), p.port),
            (Some(Scheme::Https), "s3.amazonaws.com", None)
        );
        let p = Endpoint::parse("http://[::1]:9000").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("::1", Some(9000)));
        for bad in [
            "",
            "http://",
            "e.com/x",
            "e.com:0",
            "e.com:99999",
            "ftp://e.com",
            "u@e.com",
            "[::1",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_path_and_virtual() {
        let e = Endpoint::parse("s3.amazonaws.com")
            .unwrap()
            .with_default_scheme();
        let v = e.object_url("examplebucket", "test.txt", AddressingStyle::Virtual);
        assert_eq!(v.url, "https://examplebucket.s3.amazonaws.com/test.txt");
        assert_eq!(
            (v.host.as_str(), v.path.as_str()),
            ("examplebucket.s3.amazonaws.com", "/test.txt")
        );
        let p = e.object_url("b", "ü/a+b=c&d.txt", AddressingStyle::Path);
        assert_eq!(p.path, "/b/%C3%BC/a%2Bb%3Dc%26d.txt");
        let e = Endpoint {
            scheme: Scheme::Https,
            host: "h".into(),
            port: Some(443),
        };
        assert_eq!(e.to_string(), "https://h");
        assert_eq!(e.base_url("b", AddressingStyle::Virtual), "https://b.h");
        let e = Endpoint {
            scheme: Scheme::Http,
            host: "::1".into(),
            port: Some(9000),
        };
        assert_eq!(e.base_url("b", AddressingStyle::Path), "http://[::1]:9000");
        assert!(e.is_ip_or_localhost());
    }

    #[test]
    fn qiniu_native_hosts_map_to_s3() {
        let cases = [
            ("upload.qiniup.com", "s3.cn-east-1.qiniucs.com"),
            ("up.qiniup.com", "s3.cn-east-1.qiniucs.com"),
            ("upload-z0.qiniup.com", "s3.cn-east-1.qiniucs.com"),
            ("upload-z1.qiniup.com", "s3.cn-north-1.qiniucs.com"),
            ("up-z2.qiniup.com", "s3.cn-south-1.qiniucs.com"),
            ("upload-na0.qiniup.com", "s3.us-north-1.qiniucs.com"),
            ("upload-as0.qiniup.com", "s3.ap-southeast-1.qiniucs.com"),
            ("upload-cn-east-2.qiniup.com", "s3.cn-east-2.qiniucs.com"),
            ("up-z1.qbox.me", "s3.cn-north-1.qiniucs.com"),
            ("s3.cn-south-1.qiniucs.com", "s3.cn-south-1.qiniucs.com"),
            ("s3-cn-north-1.qiniucs.com", "s3.cn-north-1.qiniucs.com"),
        ];
        for (native, s3) in cases {
            let mapped = qiniu_s3_endpoint(native).unwrap();
            assert_eq!(mapped.host, s3, "{native}");
            assert!(mapped.region.is_some(), "{native}");
        }
        let kept = qiniu_s3_endpoint("127.0.0.1").unwrap();
        assert_eq!((kept.host.as_str(), kept.region), ("127.0.0.1", None));
    }

    #[test]
    fn qiniu_unknown_native_hosts_name_the_s3_endpoint() {
        for host in [
            "upload-z9.qiniup.com",
            "rs-z2.qiniuapi.com",
            "upload-z2-accelerate.qiniup.com",
            "iovip.qbox.me",
            "s3..qiniucs.com",
        ] {
            let message = qiniu_s3_endpoint(host).unwrap_err();
            assert!(
                message.contains("s3.<region>.qiniucs.com"),
                "{host}: {message}"
            );
        }
    }
}
