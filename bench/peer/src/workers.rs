//! One client run per process: jitstore's library or OpenDAL's OSS service, PUT / multipart
//! PUT / GET / ranged GET between a local file and the server.
//!
//! `peer-bench worker LIB OP ENDPOINT BUCKET KEY FILE [PART_BYTES CONCURRENCY] [MODE]`, with
//! the keys in `PEER_BENCH_AK` / `PEER_BENCH_SK` (never on the command line).

use std::io::Write;
use std::path::Path;

use futures::StreamExt;

/// The region the local server checks V4 signatures against.
pub const REGION: &str = "cn-hangzhou";

struct Job<'a> {
    endpoint: &'a str,
    bucket: &'a str,
    key: &'a str,
    file: &'a Path,
    part: usize,
    concurrency: usize,
    mode: &'a str,
    ak: String,
    sk: String,
}

/// Runs one worker invocation.
pub fn run(args: &[String]) -> Result<(), String> {
    let [lib, op, endpoint, bucket, key, file, rest @ ..] = args else {
        return Err("worker: LIB OP ENDPOINT BUCKET KEY FILE [PART CONCURRENCY] [MODE]".into());
    };
    let number = |i: usize, name: &str| -> Result<usize, String> {
        rest.get(i)
            .map(|v| v.parse::<usize>().map_err(|e| format!("{name} {v:?}: {e}")))
            .unwrap_or(Ok(1))
    };
    let job = Job {
        endpoint,
        bucket,
        key,
        file: Path::new(file),
        part: number(0, "part size")?,
        concurrency: number(1, "concurrency")?,
        mode: rest.get(2).map(String::as_str).unwrap_or(""),
        ak: std::env::var("PEER_BENCH_AK").unwrap_or_default(),
        sk: std::env::var("PEER_BENCH_SK").unwrap_or_default(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    runtime.block_on(async {
        match lib.as_str() {
            "jitstore" => jitstore(op, &job).await,
            "opendal" => opendal(op, &job).await,
            other => Err(format!("unknown library {other:?}")),
        }
    })
}

async fn jitstore(op: &str, job: &Job<'_>) -> Result<(), String> {
    use jitstore_oss::client::{Body, Client, PutObjectOptions, WriteOptions};
    use jitstore_oss::credentials::StaticProvider;
    use jitstore_oss::transfer::{self, DownloadRanges, TransferOptions};

    let client = Client::builder()
        .endpoint(job.endpoint)
        .bucket(job.bucket)
        .region(REGION)
        .credentials(StaticProvider::from_keys(job.ak.clone(), job.sk.clone()))
        .build()
        .map_err(|e| e.to_string())?;
    let part = u64::try_from(job.part).map_err(|e| e.to_string())?;
    match op {
        "put" => {
            client
                .put_object(
                    job.key,
                    Body::from_file(job.file),
                    PutObjectOptions::default(),
                )
                .await
                .map_err(|e| e.to_string())?;
        }
        "multipart" => {
            let options = TransferOptions {
                part_size: part,
                concurrency: job.concurrency,
                multipart_threshold: part,
                ..TransferOptions::default()
            };
            transfer::upload_file(
                &client,
                job.key,
                job.file,
                WriteOptions::default(),
                &options,
            )
            .await
            .map_err(|e| e.to_string())?;
        }
        "get" => {
            let mut options = TransferOptions {
                concurrency: job.concurrency,
                ..TransferOptions::default()
            };
            if job.mode == "fixed" {
                options.part_size = part;
                options.multipart_threshold = part;
                options.download_ranges = DownloadRanges::Fixed;
            }
            let out = transfer::download_file(&client, job.key, job.file, &options)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "ranges {} part {} peak concurrency {}",
                out.ranges, out.part_size, out.peak_concurrency
            );
        }
        other => return Err(format!("unknown jitstore operation {other:?}")),
    }
    Ok(())
}

async fn opendal(op: &str, job: &Job<'_>) -> Result<(), String> {
    opendal::install_default();
    let builder = opendal::services::Oss::default()
        .bucket(job.bucket)
        .endpoint(job.endpoint)
        .addressing_style("path")
        .access_key_id(&job.ak)
        .access_key_secret(&job.sk);
    let operator = opendal::Operator::new(builder).map_err(|e| e.to_string())?;
    let err = |e: opendal::Error| e.to_string();
    match op {
        "put" => {
            // A single PutObject needs the whole content in one buffer.
            let data = tokio::fs::read(job.file)
                .await
                .map_err(|e| format!("{:?}: {e}", job.file))?;
            operator.write(job.key, data).await.map_err(err)?;
        }
        "multipart" => {
            let mut writer = operator
                .writer_with(job.key)
                .chunk(job.part)
                .concurrent(job.concurrency)
                .await
                .map_err(err)?;
            let mut file = tokio::fs::File::open(job.file)
                .await
                .map_err(|e| format!("{:?}: {e}", job.file))?;
            loop {
                let mut buf = vec![0u8; job.part];
                let n = read_full(&mut file, &mut buf).await?;
                if n == 0 {
                    break;
                }
                buf.truncate(n);
                writer.write(buf).await.map_err(err)?;
            }
            writer.close().await.map_err(err)?;
        }
        "get" | "ranged" => {
            let builder = operator.reader_with(job.key);
            let builder = if op == "ranged" {
                builder.chunk(job.part).concurrent(job.concurrency)
            } else {
                builder
            };
            let reader = builder.await.map_err(err)?;
            let mut stream = reader.into_bytes_stream(..).await.map_err(err)?;
            // A plain blocking write per chunk: on a page-cache file this is the cheapest
            // sink a tokio program can use.
            let mut file =
                std::fs::File::create(job.file).map_err(|e| format!("{:?}: {e}", job.file))?;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| e.to_string())?;
                file.write_all(&chunk)
                    .map_err(|e| format!("{:?}: {e}", job.file))?;
            }
        }
        other => return Err(format!("unknown OpenDAL operation {other:?}")),
    }
    Ok(())
}

async fn read_full(file: &mut tokio::fs::File, buf: &mut [u8]) -> Result<usize, String> {
    use tokio::io::AsyncReadExt;
    let mut filled = 0;
    while filled < buf.len() {
        let n = file
            .read(&mut buf[filled..])
            .await
            .map_err(|e| format!("reading the source: {e}"))?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}
