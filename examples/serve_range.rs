//! A host app serving objects of a storage element over HTTP, honouring `Range` and
//! `If-None-Match`: every response body is the storage's byte stream, so a 2 GiB video or the
//! last 64 KiB of a Parquet file costs bounded memory and (on OSS) one ranged request.
//!
//! Run it with `cargo run --example serve_range`: it stores an object in a temporary DiskType
//! folder, serves it on 127.0.0.1 (a free port), fetches it whole and by ranges, and exits.
//! `tests/examples_run.rs` drives [`serve`] against DiskType and OssType.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use futures::StreamExt;
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Empty, StreamBody};
use hyper::body::Frame;
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use jitstore::{ByteRange, ErrorKind, ReadOptions, StorageHandle};

/// The response body type: the object's stream, or nothing.
type Body = UnsyncBoxBody<Bytes, std::io::Error>;

fn empty() -> Body {
    Empty::new().map_err(|never| match never {}).boxed_unsync()
}

fn status(code: StatusCode) -> Response<Body> {
    let mut response = Response::new(empty());
    *response.status_mut() = code;
    response
}

/// Answers one `GET /<key>` from `store`: 200 or 206 with the object's bytes streamed,
/// 304 / 404 / 412 / 416 from the error kind, 503 with `Retry-After` when the storage says the
/// failure is temporary.
pub async fn respond(
    store: &StorageHandle,
    request: &Request<hyper::body::Incoming>,
) -> Response<Body> {
    let key = request.uri().path().trim_start_matches('/');
    let key = match percent_decode(key) {
        Some(key) if !key.is_empty() => key,
        _ => return status(StatusCode::BAD_REQUEST),
    };
    let header = |name: header::HeaderName| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let mut options = ReadOptions::new();
    // An unparsable or multi-range header is ignored, as HTTP allows: the whole object.
    options.range = header(header::RANGE).and_then(|r| ByteRange::from_http(&r));
    options.if_none_match = header(header::IF_NONE_MATCH);
    let read = match store.read(&key, &options).await {
        Ok(read) => read,
        Err(error) => {
            let mut response = status(match error.kind() {
                ErrorKind::NotFound | ErrorKind::InvalidKey => StatusCode::NOT_FOUND,
                ErrorKind::NotModified => StatusCode::NOT_MODIFIED,
                ErrorKind::ConditionNotMatch => StatusCode::PRECONDITION_FAILED,
                ErrorKind::RangeNotSatisfiable => StatusCode::RANGE_NOT_SATISFIABLE,
                ErrorKind::PermissionDenied => StatusCode::FORBIDDEN,
                _ if error.is_temporary() => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::BAD_GATEWAY,
            });
            if error.kind() == ErrorKind::RangeNotSatisfiable {
                if let Ok(info) = store.stat(&key).await {
                    if let Ok(v) = HeaderValue::from_str(&format!("bytes */{}", info.size)) {
                        response.headers_mut().insert(header::CONTENT_RANGE, v);
                    }
                }
            }
            if error.is_temporary() {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            return response;
        }
    };
    let partial = options.range.is_some();
    let length = read.range.end - read.range.start;
    let mut headers = vec![
        (header::CONTENT_LENGTH, length.to_string()),
        (header::ACCEPT_RANGES, "bytes".to_owned()),
    ];
    if partial {
        headers.push((
            header::CONTENT_RANGE,
            format!(
                "bytes {}-{}/{}",
                read.range.start,
                read.range.end - 1,
                read.info.size
            ),
        ));
    }
    if let Some(etag) = &read.info.etag {
        headers.push((header::ETAG, format!("\"{etag}\"")));
    }
    if let Some(content_type) = &read.info.content_type {
        headers.push((header::CONTENT_TYPE, content_type.clone()));
    }
    let frames = read
        .stream
        .map(|chunk| chunk.map(Frame::data).map_err(std::io::Error::other));
    let mut response = Response::new(BodyExt::boxed_unsync(StreamBody::new(frames)));
    *response.status_mut() = if partial {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// `%XX` decoding of a URL path (keys may hold any UTF-8).
fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Serves `store` on 127.0.0.1 (a free port) until the returned task is aborted.
pub async fn serve(
    store: StorageHandle,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let store = store.clone();
                    async move { Ok::<_, Infallible>(respond(&store, &request).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok((address, task))
}

#[allow(dead_code)]
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    std::fs::create_dir_all(dir.path().join("storages/Media"))?;
    std::fs::write(
        dir.path().join("storages/Media/e.json"),
        r#"{"title": "Media", "type": "storages.DiskType", "backendBundleEntry": "."}"#,
    )?;
    std::fs::write(dir.path().join("storages/Media/Media.json"), "{}")?;
    let app = jitstore::App::open(dir.path())?;
    let store = app.get_element("storages.Media")?;
    let video: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    store
        .upload_by_file("clips/intro.mp4", video, Some("video/mp4"))
        .await?;

    let (address, server) = serve(store).await?;
    let url = format!("http://{address}/clips/intro.mp4");
    let client = reqwest::Client::new();
    for range in [
        None,
        Some("bytes=0-99"),
        Some("bytes=-64"),
        Some("bytes=999999-"),
        Some("bytes=2000000-"),
    ] {
        let mut request = client.get(&url);
        if let Some(range) = range {
            request = request.header("range", range);
        }
        let response = request.send().await?;
        let status = response.status();
        let content_range = response
            .headers()
            .get("content-range")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .to_owned();
        let body = response.bytes().await?;
        println!(
            "{:<16} -> {status} {content_range:<24} {} bytes",
            range.unwrap_or("(whole)"),
            body.len()
        );
    }
    server.abort();
    Ok(())
}
