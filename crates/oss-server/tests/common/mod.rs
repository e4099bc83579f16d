//! Helpers shared by the integration tests: start a server, build raw requests.

#![allow(dead_code)]

use std::path::Path;

pub mod signing;

use jitstore_oss_server::{AccessKey, RunningServer, Server, ServerConfig};

pub const AK: &str = "test-ak";
pub const SK: &str = "test-sk-secret";
pub const BUCKET: &str = "test-bucket";

/// An open server (no credentials) with one bucket.
pub async fn open_server(dir: &Path) -> RunningServer {
    Server::start(ServerConfig::new(dir).bucket(BUCKET))
        .await
        .expect("server starts")
}

/// A server requiring `AK`/`SK`, with a private and a public-read bucket.
pub async fn secured_server(dir: &Path) -> RunningServer {
    Server::start(
        ServerConfig::new(dir)
            .bucket(BUCKET)
            .public_read_bucket("public-bucket")
            .credential(AccessKey::new(AK, SK)),
    )
    .await
    .expect("server starts")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest client")
}

/// `http://127.0.0.1:PORT/bucket/<encoded key>` (path-style). The key is encoded with `/` as
/// `%2F` (as oss2 does) so that URL normalisation of `..` segments cannot alter it.
pub fn url(server: &RunningServer, key: &str) -> String {
    format!(
        "{}/{}/{}",
        server.endpoint(),
        BUCKET,
        jitstore_oss::encoding::encode_strict(key)
    )
}

pub fn md5_base64(data: &[u8]) -> String {
    use base64::Engine;
    use md5::Digest;
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(data))
}

pub fn md5_etag(data: &[u8]) -> String {
    use md5::Digest;
    format!("\"{}\"", hex::encode_upper(md5::Md5::digest(data)))
}

/// Extracts the text of the first `<tag>` element.
pub fn xml_text(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&close)? + start;
    Some(body[start..end].to_string())
}

/// All texts of `<tag>` elements.
pub fn xml_all(body: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(s) = rest.find(&open) {
        let after = &rest[s + open.len()..];
        let Some(e) = after.find(&close) else { break };
        out.push(after[..e].to_string());
        rest = &after[e + close.len()..];
    }
    out
}
