//! A host deciding "retry, report, or give up" from [`ErrorKind`] and
//! [`is_temporary`](jitstore::storages::Error::is_temporary) — never from message text — and
//! reaching the OSS details (request id, `EC` code) of a failure through the error's source.
//!
//! Run it with `cargo run --example error_kinds`: it starts the local OSS server on 127.0.0.1,
//! and shows a missing object, refused credentials, and a server that went away (temporary,
//! retried, then given up). `tests/examples_run.rs` checks each outcome.

use std::time::Duration;

use bytes::Bytes;
use jitstore::storages::Error;
use jitstore::{ErrorKind, StorageHandle};

/// What the host did with a download.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The content.
    Fetched(Bytes),
    /// Nothing there: the host shows a placeholder.
    Missing,
    /// The element is misconfigured or not allowed: the host tells an administrator.
    Report(ErrorKind),
    /// Temporary failures persisted through `attempts` tries.
    GaveUp {
        /// The last kind seen.
        kind: ErrorKind,
        /// Tries made.
        attempts: u32,
    },
    /// A permanent failure of another kind.
    Failed(ErrorKind),
}

/// Downloads `key`, retrying temporary failures up to `attempts` times with a doubling pause.
pub async fn fetch(store: &StorageHandle, key: &str, attempts: u32) -> Outcome {
    let mut pause = Duration::from_millis(20);
    let mut tries = 0;
    loop {
        tries += 1;
        let error: Error = match store.download(key).await {
            Ok(data) => return Outcome::Fetched(data),
            Err(error) => error,
        };
        if let Some(oss) = error.find_source::<jitstore_oss::error::OssError>() {
            if let Some(service) = oss.service() {
                eprintln!(
                    "  OSS said {} {} (EC {}, request id {})",
                    service.status,
                    service.code,
                    service.ec.as_deref().unwrap_or("-"),
                    service.request_id.as_deref().unwrap_or("-")
                );
            }
        }
        match error.kind() {
            ErrorKind::NotFound => return Outcome::Missing,
            kind @ (ErrorKind::PermissionDenied | ErrorKind::InvalidConfig) => {
                eprintln!("  report to an administrator: {error}");
                return Outcome::Report(kind);
            }
            kind if error.is_temporary() => {
                if tries >= attempts {
                    eprintln!("  giving up after {tries} tries: {error}");
                    return Outcome::GaveUp {
                        kind,
                        attempts: tries,
                    };
                }
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
            kind => return Outcome::Failed(kind),
        }
    }
}

/// Writes an OssType element folder for the local server at `endpoint`.
pub fn write_oss_element(
    root: &std::path::Path,
    name: &str,
    endpoint: &str,
    region: &str,
    secret: &str,
) -> std::io::Result<()> {
    let dir = root.join("storages").join(name);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join("e.json"),
        r#"{"title": "Demo", "type": "storages.OssType", "backendBundleEntry": "."}"#,
    )?;
    let config = serde_json::json!({
        "accessKeyId": "demo-key-id",
        "accessKeySecret": secret,
        "endPoint": endpoint,
        "region": region,
        "bucketName": "demo-bucket",
        "retries": 0,
        "connectTimeout": 1,
    });
    std::fs::write(dir.join(format!("{name}.json")), config.to_string())
}

#[allow(dead_code)]
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    use jitstore_oss_server::{AccessKey, Server, ServerConfig};
    let data = tempfile::tempdir()?;
    let server = Server::start(
        ServerConfig::new(data.path())
            .bucket("demo-bucket")
            .credential(AccessKey::new("demo-key-id", "demo-secret")),
    )
    .await?;
    let app_dir = tempfile::tempdir()?;
    let endpoint = server.endpoint().to_string();
    write_oss_element(
        app_dir.path(),
        "Good",
        &endpoint,
        server.region(),
        "demo-secret",
    )?;
    write_oss_element(
        app_dir.path(),
        "Wrong",
        &endpoint,
        server.region(),
        "not-the-secret",
    )?;
    let app = jitstore::App::open(app_dir.path())?;
    let good = app.get_element("storages.Good")?;
    let wrong = app.get_element("storages.Wrong")?;
    good.upload_by_file("hello.txt", b"hello".to_vec(), None)
        .await?;

    println!("present:        {:?}", fetch(&good, "hello.txt", 3).await);
    println!("missing:        {:?}", fetch(&good, "nope.txt", 3).await);
    println!("wrong secret:   {:?}", fetch(&wrong, "hello.txt", 3).await);
    server.shutdown().await;
    println!("server stopped: {:?}", fetch(&good, "hello.txt", 3).await);
    Ok(())
}
