//! Transfer benchmark driver, run by `scripts/bench_transfer.sh` (not a timed test).
//!
//! Each subcommand is one process so the script can measure each client's wall time and peak
//! RSS with `/usr/bin/time -v`, against a local OSS server started by `serve` in another
//! process:
//!
//! ```text
//! transfer serve DATA_DIR ENDPOINT_FILE          local OSS server, bucket `bench`
//! transfer put-single ENDPOINT FILE KEY          jitstore, one streamed PutObject
//! transfer put-multipart ENDPOINT FILE KEY       jitstore, multipart with default settings
//! transfer get ENDPOINT KEY FILE                 jitstore, parallel ranged download
//! transfer presign ENDPOINT METHOD KEY           prints a V4 presigned URL (for curl)
//! ```

use std::path::Path;
use std::time::{Duration, Instant};

use jitstore_oss::client::{Client, PresignOptions, WriteOptions};
use jitstore_oss::credentials::StaticProvider;
use jitstore_oss::transfer::{self, TransferOptions};
use jitstore_oss_server::{AccessKey, Server, ServerConfig};

const BUCKET: &str = "bench";
const AK: &str = "bench-ak";
const SK: &str = "bench-secret";

fn client(endpoint: &str) -> Result<Client, Box<dyn std::error::Error>> {
    Ok(Client::builder()
        .endpoint(endpoint)
        .bucket(BUCKET)
        .region("cn-hangzhou")
        .credentials(StaticProvider::from_keys(AK, SK))
        .build()?)
}

fn report(what: &str, bytes: u64, elapsed: Duration) {
    let secs = elapsed.as_secs_f64().max(1e-9);
    println!(
        "{what}: {bytes} bytes in {secs:.3} s = {:.1} MB/s",
        bytes as f64 / secs / 1e6
    );
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let arg = |i: usize| -> Result<&str, Box<dyn std::error::Error>> {
        args.get(i).map(String::as_str).ok_or_else(|| {
            format!("missing argument {i}; see the doc comment of benches/transfer.rs").into()
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
        "put-single" | "put-multipart" => {
            let client = client(arg(1)?)?;
            let path = Path::new(arg(2)?);
            let mut options = TransferOptions::default();
            if arg(0)? == "put-single" {
                options.multipart_threshold = u64::MAX;
            }
            let started = Instant::now();
            let up =
                transfer::upload_file(&client, arg(3)?, path, WriteOptions::default(), &options)
                    .await?;
            report(arg(0)?, up.size, started.elapsed());
            eprintln!("parts {}, crc64 {:?}", up.parts, up.crc64);
        }
        "get" => {
            let client = client(arg(1)?)?;
            let started = Instant::now();
            let out = transfer::download_file(
                &client,
                arg(2)?,
                Path::new(arg(3)?),
                &TransferOptions::default(),
            )
            .await?;
            report("get", out.size, started.elapsed());
        }
        "presign" => {
            let client = client(arg(1)?)?;
            let options = PresignOptions {
                method: arg(2)?.parse()?,
                expires: Duration::from_secs(3600),
                ..PresignOptions::default()
            };
            println!("{}", client.presign(arg(3)?, options).await?.url);
        }
        other => return Err(format!("unknown subcommand {other:?}").into()),
    }
    Ok(())
}
