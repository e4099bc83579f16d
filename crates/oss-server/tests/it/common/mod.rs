//! Helpers shared by the server's integration tests: the kit's credentials and servers
//! (`jitstore_testkit`), raw-request URLs, digests and XML probes.

// Each test binary uses a different part of this module.
#![allow(dead_code, unused_imports)]

use std::path::{Path, PathBuf};

pub mod signing;

use jitstore_oss_server::RunningServer;
pub use jitstore_testkit::keys::{AK, BUCKET, PUBLIC_BUCKET, SK};
use jitstore_testkit::Peer;
pub use jitstore_testkit::ServerProcess;

/// An open server (no credentials) with one bucket.
pub async fn open_server(dir: &Path) -> RunningServer {
    Peer::builder()
        .bucket(BUCKET)
        .without_credentials()
        .start_in(dir)
        .await
}

/// A server requiring the kit's credentials, with a private and a public-read bucket.
pub async fn secured_server(dir: &Path) -> RunningServer {
    Peer::builder()
        .bucket(BUCKET)
        .public_read_bucket(PUBLIC_BUCKET)
        .start_in(dir)
        .await
}

/// The server binary on `data` with the open bucket [`BUCKET`] (see
/// [`ServerProcess::spawn`]).
pub fn spawn_server(data: &Path) -> ServerProcess {
    ServerProcess::spawn(
        Path::new(env!("CARGO_BIN_EXE_jitstore-oss-server")),
        data,
        BUCKET,
    )
}

/// A plain HTTP client (no proxy).
pub fn client() -> reqwest::Client {
    jitstore_testkit::http_client()
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

/// SHA-256 hex of `key`: how the server names an object's files on disk.
pub fn key_hash(key: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(key.as_bytes()))
}

/// The data file of `key` in the test bucket under the server's data directory `data`.
pub fn object_file(data: &Path, key: &str) -> PathBuf {
    let h = key_hash(key);
    data.join("buckets")
        .join(BUCKET)
        .join("objects")
        .join(&h[..2])
        .join(h)
}

/// Uploads `parts` (numbered from 1) to the multipart upload `upload_id` of `key`, each
/// answered 200, and returns the CompleteMultipartUpload XML listing their ETags.
pub async fn upload_parts(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    upload_id: &str,
    parts: &[Vec<u8>],
) -> String {
    let mut xml = String::from("<CompleteMultipartUpload>");
    for (i, data) in parts.iter().enumerate() {
        let n = i + 1;
        let r = http
            .put(format!("{base}/{key}?partNumber={n}&uploadId={upload_id}"))
            .body(data.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let etag = r.headers()["etag"].to_str().unwrap().to_string();
        xml.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>"
        ));
    }
    xml.push_str("</CompleteMultipartUpload>");
    xml
}
