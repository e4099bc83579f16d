//! Streaming-reader benchmark driver, run by `scripts/bench_stream_read.sh` (not a timed test).
//!
//! Each subcommand is one process, so the script can time each reader and take its peak RSS
//! with `/usr/bin/time -v`, against a local OSS server started by `serve` in another process:
//!
//! ```text
//! stream_read serve DATA_DIR ENDPOINT_FILE     local OSS server, bucket `bench`
//! stream_read put ENDPOINT KEY MIB             writes MIB MiB through StorageHandle::write
//! stream_read presign ENDPOINT KEY             prints a presigned GET URL (for curl)
//! stream_read read ENDPOINT KEY                StorageHandle::read of the whole object -> sink
//! stream_read read-last ENDPOINT KEY BYTES     StorageHandle::read of the last BYTES -> sink,
//!                                              printing how many OSS requests it made
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use jitstore_oss_server::{AccessKey, Server, ServerConfig};
use jitstore_storages::{
    ByteRange, OssConfig, OssStorage, ReadOptions, StorageHandle, UploadOptions,
};
use tracing_subscriber::layer::SubscriberExt;

const BUCKET: &str = "bench";
const AK: &str = "bench-ak";
const SK: &str = "bench-secret";

/// Counts the OSS client's `oss_request` spans: one per HTTP request it sends.
struct RequestCounter(Arc<AtomicU64>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for RequestCounter {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _id: &tracing::span::Id,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if attrs.metadata().name() == "oss_request" {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn store(endpoint: &str) -> Result<StorageHandle, Box<dyn std::error::Error>> {
    let config: OssConfig = serde_json::from_value(serde_json::json!({
        "accessKeyId": AK,
        "accessKeySecret": SK,
        "endPoint": endpoint,
        "bucketName": BUCKET,
        "region": "cn-hangzhou",
    }))?;
    let storage = OssStorage::from_config(&config, |_| None, None).map_err(|p| p.to_string())?;
    Ok(StorageHandle::new(
        "storages.Bench",
        "storages.OssType",
        Arc::new(storage),
    ))
}

/// A `VmHWM`/`VmRSS` figure of this process from `/proc/self/status`, in KiB (0 if absent).
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|text| {
            text.lines().find_map(|line| {
                line.strip_prefix(field)?
                    .strip_prefix(':')
                    .map(str::to_owned)
            })
        })
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn drain(
    store: &StorageHandle,
    key: &str,
    options: ReadOptions,
) -> Result<u64, Box<dyn std::error::Error>> {
    let mut read = store.read(key, &options).await?;
    let mut bytes = 0u64;
    while let Some(chunk) = read.stream.next().await {
        bytes += chunk?.len() as u64;
    }
    Ok(bytes)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let arg = |i: usize| -> Result<&str, Box<dyn std::error::Error>> {
        args.get(i).map(String::as_str).ok_or_else(|| {
            format!("missing argument {i}; see the doc comment of benches/stream_read.rs").into()
        })
    };
    match arg(0)? {
        "serve" => {
            let config = ServerConfig::new(arg(1)?)
                .bucket(BUCKET)
                .credential(AccessKey::new(AK, SK));
            let server = Server::start(config).await?;
            std::fs::write(arg(2)?, server.endpoint())?;
            tokio::signal::ctrl_c().await?;
            server.shutdown().await;
        }
        "put" => {
            let store = store(arg(1)?)?;
            let mib: usize = arg(3)?.parse()?;
            let mut writer = store.write(arg(2)?, &UploadOptions::default()).await?;
            let mut x = 0x9E37_79B9_7F4A_7C15u64;
            for _ in 0..mib {
                let chunk: Vec<u8> = (0..1 << 20)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        (x >> 24) as u8
                    })
                    .collect();
                writer.put(chunk).await?;
            }
            let result = writer.finish().await?;
            println!("put {} bytes, etag {}", result.size, result.etag);
        }
        "presign" => {
            let store = store(arg(1)?)?;
            println!("{}", store.get_sign_url(arg(2)?, None, None).await?);
        }
        "read" => {
            let store = store(arg(1)?)?;
            let started = Instant::now();
            let bytes = drain(&store, arg(2)?, ReadOptions::new()).await?;
            let secs = started.elapsed().as_secs_f64();
            println!(
                "read {bytes} bytes in {secs:.3} s = {:.1} MB/s",
                bytes as f64 / secs / 1e6
            );
        }
        "read-last" => {
            let requests = Arc::new(AtomicU64::new(0));
            let subscriber = tracing_subscriber::registry().with(RequestCounter(requests.clone()));
            tracing::subscriber::set_global_default(subscriber)?;
            let store = store(arg(1)?)?;
            let last: u64 = arg(3)?.parse()?;
            // Warm the runtime, TLS-free HTTP client and connection pool with a HEAD, so the
            // figures below are what the ranged read itself adds.
            store.stat(arg(2)?).await?;
            let before = status_kib("VmHWM");
            let counted = requests.load(Ordering::Relaxed);
            let bytes = drain(&store, arg(2)?, ReadOptions::range(ByteRange::Last(last))).await?;
            let after = status_kib("VmHWM");
            println!(
                "read-last {bytes} bytes with {} request(s); peak RSS {before} KiB before the read, {after} KiB after (+{} KiB)",
                requests.load(Ordering::Relaxed) - counted,
                after.saturating_sub(before)
            );
        }
        other => return Err(format!("unknown subcommand {other:?}").into()),
    }
    Ok(())
}
