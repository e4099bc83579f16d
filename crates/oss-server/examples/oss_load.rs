//! Load generator for `scripts/bench_server.sh`: V4-signed requests (signed with
//! `jitstore_oss::sign`) against a running server.
//!
//! ```text
//! oss_load small   ENDPOINT BUCKET AK SK CONCURRENCY SIZE SECONDS   # PUT+GET pairs, prints ops/s
//! oss_load put     ENDPOINT BUCKET AK SK KEY FILE                   # streams FILE, prints MB/s
//! oss_load putmp   ENDPOINT BUCKET AK SK KEY FILE PARTS PART_SIZE   # multipart, PARTS in flight
//! oss_load get     ENDPOINT BUCKET AK SK KEY                        # reads to /dev/null, prints MB/s
//! oss_load many    ENDPOINT BUCKET AK SK CLIENTS SIZE               # CLIENTS parallel PUTs of SIZE
//! oss_load presign ENDPOINT BUCKET AK SK METHOD KEY                 # prints a presigned V4 URL
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::Utc;
use http::HeaderMap;
use jitstore_oss::credentials::Credentials;
use jitstore_oss::sign::{presign_v4, sign_v4_header, RequestParts};

const REGION: &str = "cn-hangzhou";

struct Target {
    endpoint: String,
    bucket: String,
    creds: Credentials,
    http: reqwest::Client,
}

impl Target {
    fn url(&self, key: &str) -> String {
        format!(
            "{}/{}/{}",
            self.endpoint,
            self.bucket,
            jitstore_oss::encoding::encode_path(key)
        )
    }

    fn signed(&self, method: &str, key: &str, headers: HeaderMap) -> reqwest::RequestBuilder {
        self.signed_query(method, key, &[], headers)
    }

    /// A signed request with sub-resource query parameters (`uploads`, `partNumber`, ...).
    fn signed_query(
        &self,
        method: &str,
        key: &str,
        query: &[(&str, &str)],
        mut headers: HeaderMap,
    ) -> reqwest::RequestBuilder {
        let owned: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let parts = RequestParts {
            method,
            bucket: Some(&self.bucket),
            key: Some(key),
            query: &owned,
            headers: &headers,
        };
        let out = sign_v4_header(&parts, &self.creds, REGION, Utc::now(), &[]).expect("sign");
        out.apply_to(&mut headers);
        let m = http::Method::from_bytes(method.as_bytes()).expect("method");
        let q: Vec<String> = query
            .iter()
            .map(|(k, v)| {
                if v.is_empty() {
                    jitstore_oss::encoding::encode_strict(k)
                } else {
                    format!(
                        "{}={}",
                        jitstore_oss::encoding::encode_strict(k),
                        jitstore_oss::encoding::encode_strict(v)
                    )
                }
            })
            .collect();
        let url = if q.is_empty() {
            self.url(key)
        } else {
            format!("{}?{}", self.url(key), q.join("&"))
        };
        self.http.request(m, url).headers(headers)
    }
}

fn mb_per_s(bytes: u64, elapsed: Duration) -> f64 {
    bytes as f64 / 1_000_000.0 / elapsed.as_secs_f64()
}

fn parse_size(s: &str) -> u64 {
    let (num, mult) = match s.as_bytes().last() {
        Some(b'K') => (&s[..s.len() - 1], 1024),
        Some(b'M') => (&s[..s.len() - 1], 1024 * 1024),
        Some(b'G') => (&s[..s.len() - 1], 1024 * 1024 * 1024),
        _ => (s, 1),
    };
    num.parse::<u64>().expect("size") * mult
}

/// A body of `size` bytes generated on the fly from a 1 MiB pattern (bounded memory).
fn generated_body(size: u64) -> reqwest::Body {
    let pattern = Bytes::from(
        (0..1024 * 1024)
            .map(|i| (i % 251) as u8)
            .collect::<Vec<u8>>(),
    );
    let stream = futures::stream::unfold(size, move |left| {
        let pattern = pattern.clone();
        async move {
            if left == 0 {
                return None;
            }
            let n = left.min(pattern.len() as u64) as usize;
            Some((
                Ok::<Bytes, std::io::Error>(pattern.slice(..n)),
                left - n as u64,
            ))
        }
    });
    reqwest::Body::wrap_stream(stream)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 6 {
        eprintln!("usage: see the doc comment of examples/oss_load.rs");
        std::process::exit(2);
    }
    let target = Arc::new(Target {
        endpoint: args[2].clone(),
        bucket: args[3].clone(),
        creds: Credentials::new(args[4].clone(), args[5].clone()),
        http: reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(256)
            .build()
            .expect("client"),
    });
    match args[1].as_str() {
        "small" => {
            let concurrency: usize = args[6].parse().expect("concurrency");
            let size = parse_size(&args[7]) as usize;
            let seconds: u64 = args[8].parse().expect("seconds");
            let ops = Arc::new(AtomicU64::new(0));
            let deadline = Instant::now() + Duration::from_secs(seconds);
            let start = Instant::now();
            let mut tasks = Vec::new();
            for c in 0..concurrency {
                let target = target.clone();
                let ops = ops.clone();
                tasks.push(tokio::spawn(async move {
                    let body = Bytes::from(vec![c as u8; size]);
                    let mut i = 0u64;
                    while Instant::now() < deadline {
                        let key = format!("small/{c}/{}", i % 64);
                        let r = target
                            .signed("PUT", &key, HeaderMap::new())
                            .body(body.clone())
                            .send()
                            .await
                            .expect("put");
                        assert!(r.status().is_success(), "PUT {}", r.status());
                        let r = target
                            .signed("GET", &key, HeaderMap::new())
                            .send()
                            .await
                            .expect("get");
                        assert!(r.status().is_success(), "GET {}", r.status());
                        let got = r.bytes().await.expect("body");
                        assert_eq!(got.len(), size);
                        ops.fetch_add(2, Ordering::Relaxed);
                        i += 1;
                    }
                }));
            }
            for t in tasks {
                t.await.expect("task");
            }
            let elapsed = start.elapsed();
            let n = ops.load(Ordering::Relaxed);
            println!(
                "small: {n} ops ({} PUT + {} GET) of {size} B with {concurrency} clients in {:.1} s = {:.0} ops/s",
                n / 2,
                n / 2,
                elapsed.as_secs_f64(),
                n as f64 / elapsed.as_secs_f64()
            );
        }
        "put" => {
            let key = &args[6];
            let file = tokio::fs::File::open(&args[7]).await.expect("file");
            let len = file.metadata().await.expect("metadata").len();
            let mut headers = HeaderMap::new();
            headers.insert("content-length", len.to_string().parse().expect("len"));
            let start = Instant::now();
            let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(
                file,
                256 * 1024,
            ));
            let r = target
                .signed("PUT", key, headers)
                .body(body)
                .send()
                .await
                .expect("put");
            assert!(r.status().is_success(), "PUT {}", r.status());
            println!(
                "put: {len} B in {:.2} s = {:.0} MB/s",
                start.elapsed().as_secs_f64(),
                mb_per_s(len, start.elapsed())
            );
        }
        "putmp" => {
            let key = args[6].clone();
            let path = args[7].clone();
            let in_flight: usize = args[8].parse().expect("parts in flight");
            let part_size = parse_size(&args[9]);
            let len = std::fs::metadata(&path).expect("metadata").len();
            let start = Instant::now();
            let r = target
                .signed_query("POST", &key, &[("uploads", "")], HeaderMap::new())
                .send()
                .await
                .expect("initiate");
            assert!(r.status().is_success(), "initiate {}", r.status());
            let text = r.text().await.expect("initiate body");
            let upload_id = text
                .split("<UploadId>")
                .nth(1)
                .and_then(|t| t.split("</UploadId>").next())
                .expect("UploadId")
                .to_string();
            let count = len.div_ceil(part_size).max(1);
            let next = Arc::new(AtomicU64::new(0));
            let mut tasks = Vec::new();
            for _ in 0..in_flight {
                let (target, next, path, key, upload_id) = (
                    target.clone(),
                    next.clone(),
                    path.clone(),
                    key.clone(),
                    upload_id.clone(),
                );
                tasks.push(tokio::spawn(async move {
                    let mut etags = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= count {
                            return etags;
                        }
                        let offset = i * part_size;
                        let size = part_size.min(len - offset);
                        let mut file = tokio::fs::File::open(&path).await.expect("file");
                        use tokio::io::{AsyncReadExt, AsyncSeekExt};
                        file.seek(std::io::SeekFrom::Start(offset))
                            .await
                            .expect("seek");
                        let body = reqwest::Body::wrap_stream(
                            tokio_util::io::ReaderStream::with_capacity(
                                file.take(size),
                                256 * 1024,
                            ),
                        );
                        let mut headers = HeaderMap::new();
                        headers.insert("content-length", size.to_string().parse().expect("len"));
                        let number = (i + 1).to_string();
                        let r = target
                            .signed_query(
                                "PUT",
                                &key,
                                &[("partNumber", &number), ("uploadId", &upload_id)],
                                headers,
                            )
                            .body(body)
                            .send()
                            .await
                            .expect("upload part");
                        assert!(r.status().is_success(), "part {}", r.status());
                        let etag = r.headers()["etag"].to_str().expect("etag").to_string();
                        etags.push((i + 1, etag));
                    }
                }));
            }
            let mut etags = Vec::new();
            for t in tasks {
                etags.extend(t.await.expect("task"));
            }
            etags.sort();
            let mut xml = String::from("<CompleteMultipartUpload>");
            for (n, etag) in &etags {
                xml.push_str(&format!(
                    "<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>"
                ));
            }
            xml.push_str("</CompleteMultipartUpload>");
            let r = target
                .signed_query("POST", &key, &[("uploadId", &upload_id)], HeaderMap::new())
                .body(xml)
                .send()
                .await
                .expect("complete");
            assert!(r.status().is_success(), "complete {}", r.status());
            println!(
                "putmp: {len} B in {count} parts, {in_flight} in flight, {:.2} s = {:.0} MB/s",
                start.elapsed().as_secs_f64(),
                mb_per_s(len, start.elapsed())
            );
        }
        "get" => {
            let key = &args[6];
            let start = Instant::now();
            let mut r = target
                .signed("GET", key, HeaderMap::new())
                .send()
                .await
                .expect("get");
            assert!(r.status().is_success(), "GET {}", r.status());
            let mut total = 0u64;
            while let Some(chunk) = r.chunk().await.expect("chunk") {
                total += chunk.len() as u64;
            }
            println!(
                "get: {total} B in {:.2} s = {:.0} MB/s",
                start.elapsed().as_secs_f64(),
                mb_per_s(total, start.elapsed())
            );
        }
        "many" => {
            let clients: usize = args[6].parse().expect("clients");
            let size = parse_size(&args[7]);
            let start = Instant::now();
            let mut tasks = Vec::new();
            for c in 0..clients {
                let target = target.clone();
                tasks.push(tokio::spawn(async move {
                    let mut headers = HeaderMap::new();
                    headers.insert("content-length", size.to_string().parse().expect("len"));
                    let r = target
                        .signed("PUT", &format!("many/{c}"), headers)
                        .body(generated_body(size))
                        .send()
                        .await
                        .expect("put");
                    assert!(r.status().is_success(), "PUT {}", r.status());
                }));
            }
            for t in tasks {
                t.await.expect("task");
            }
            let total = size * clients as u64;
            println!(
                "many: {clients} x {size} B in {:.1} s = {:.0} MB/s aggregate",
                start.elapsed().as_secs_f64(),
                mb_per_s(total, start.elapsed())
            );
        }
        "presign" => {
            let method = &args[6];
            let key = &args[7];
            let headers = HeaderMap::new();
            let parts = RequestParts {
                method,
                bucket: Some(&target.bucket),
                key: Some(key),
                query: &[],
                headers: &headers,
            };
            let out =
                presign_v4(&parts, &target.creds, REGION, Utc::now(), 3600, &[]).expect("presign");
            let q: Vec<String> = out
                .query
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}={}",
                        jitstore_oss::encoding::encode_strict(k),
                        jitstore_oss::encoding::encode_strict(v)
                    )
                })
                .collect();
            println!("{}?{}", target.url(key), q.join("&"));
        }
        other => {
            eprintln!("unknown mode {other}");
            std::process::exit(2);
        }
    }
}
