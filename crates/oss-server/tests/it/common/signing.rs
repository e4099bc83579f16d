//! Signed raw requests for the conformance suites: the owner's V4 signature (made with the
//! client's own signing code) or none at all (anonymous), against any bucket of a server.

use chrono::Utc;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use jitstore_oss::credentials::Credentials;
use jitstore_oss::sign::{sign_v4_header, RequestParts};
use jitstore_oss_server::RunningServer;

use super::{client, AK, SK};

/// Who sends a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// The bucket owner: V4-signed with `AK`/`SK`.
    Owner,
    /// No signature at all.
    Anonymous,
}

/// One raw request: method, bucket (`""` for a service-level call such as ListBuckets),
/// optional key, query pairs (an empty value is a flag) and headers.
pub struct Call<'a> {
    pub method: Method,
    pub bucket: &'a str,
    pub key: Option<&'a str>,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(&'a str, String)>,
}

impl<'a> Call<'a> {
    pub fn new(method: Method, bucket: &'a str, key: Option<&'a str>) -> Self {
        Call {
            method,
            bucket,
            key,
            query: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// Adds a query pair (`""` for a flag such as `acl`).
    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.query.push((name.to_string(), value.to_string()));
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The path-style URL: the key encoded strictly, the query encoded strictly.
    pub fn url(&self, server: &RunningServer) -> String {
        let enc = jitstore_oss::encoding::encode_strict;
        let mut url = if self.bucket.is_empty() {
            format!("{}/", server.endpoint())
        } else {
            format!("{}/{}/", server.endpoint(), self.bucket)
        };
        if let Some(key) = self.key {
            url.push_str(&enc(key));
        }
        if !self.query.is_empty() {
            let q: Vec<String> = self
                .query
                .iter()
                .map(|(n, v)| {
                    if v.is_empty() {
                        enc(n)
                    } else {
                        format!("{}={}", enc(n), enc(v))
                    }
                })
                .collect();
            url.push('?');
            url.push_str(&q.join("&"));
        }
        url
    }

    /// Builds the request, signed for `who`.
    pub fn build(&self, server: &RunningServer, who: Who) -> reqwest::RequestBuilder {
        let mut headers = HeaderMap::new();
        for (name, value) in &self.headers {
            headers.append(
                HeaderName::from_bytes(name.as_bytes()).expect("test header name"),
                HeaderValue::from_str(value).expect("test header value"),
            );
        }
        if who == Who::Owner {
            let parts = RequestParts {
                method: self.method.as_str(),
                bucket: Some(self.bucket).filter(|b| !b.is_empty()),
                key: self.key,
                query: &self.query,
                headers: &headers,
            };
            sign_v4_header(
                &parts,
                &Credentials::new(AK, SK),
                "cn-hangzhou",
                Utc::now(),
                &[],
            )
            .expect("signs")
            .apply_to(&mut headers);
        }
        client()
            .request(self.method.clone(), self.url(server))
            .headers(headers)
    }

    /// Sends the request with `body`.
    pub async fn send(
        &self,
        server: &RunningServer,
        who: Who,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        self.build(server, who)
            .body(body)
            .send()
            .await
            .expect("request reaches the server")
    }
}

/// Status, error code (from the XML body, or `x-oss-err` for HEAD) and body text.
pub async fn outcome(r: reqwest::Response) -> (u16, Option<String>, String) {
    use base64::Engine;
    let status = r.status().as_u16();
    let from_header = r
        .headers()
        .get("x-oss-err")
        .and_then(|v| base64::engine::general_purpose::STANDARD.decode(v).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let body = r.text().await.expect("body");
    let text = if body.is_empty() {
        from_header.unwrap_or_default()
    } else {
        body
    };
    (status, super::xml_text(&text, "Code"), text)
}
