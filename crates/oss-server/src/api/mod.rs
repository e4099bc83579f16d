//! The HTTP API: request parsing, classification of every request into one implemented OSS call
//! ([`route`]; anything else is refused), authentication and authorization, one handler per
//! call, and the common response headers (`x-oss-request-id`, `Server`, `Date`).

pub mod auth;
pub mod bucket;
pub mod error;
pub mod multipart;
pub mod object;
pub mod object_acl;
pub mod object_attrs;
pub mod object_tagging;
pub mod post_object;
pub mod request;
pub mod route;
pub mod symlink;
pub mod xml;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use bytes::Bytes;
use futures::StreamExt;
use http::{HeaderValue, StatusCode};

use crate::config::AccessKey;
use crate::faults::FaultHandle;
use crate::storage::Store;
use auth::Principal;
use error::ApiError;
use request::{BodyStream, Query, RequestCtx};
use route::Operation;

/// Shared state of a running server.
pub struct AppState {
    /// Object storage.
    pub store: Arc<Store>,
    /// Region served.
    pub region: String,
    /// Accepted credentials (empty: open server).
    pub credentials: Vec<AccessKey>,
    /// Host names that address the server itself.
    pub server_names: Vec<String>,
    /// Largest accepted clock skew.
    pub max_skew: Duration,
    /// Fault injection.
    pub faults: FaultHandle,
    /// Request counter for request ids.
    pub requests: AtomicU64,
    /// Random per-process prefix of request ids.
    pub id_prefix: u32,
    /// Size and body-rate limits.
    pub limits: crate::config::Limits,
}

impl AppState {
    fn next_request_id(&self) -> String {
        let n = self.requests.fetch_add(1, Ordering::Relaxed);
        format!("{:08X}{:016X}", self.id_prefix, n)
    }
}

/// The single axum handler: every request goes through here.
pub async fn handle(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let request_id = state.next_request_id();
    let started = std::time::Instant::now();
    let (parts, body) = request.into_parts();
    // The path only: a query may carry a presigned signature or an STS token.
    let logged_path = parts.uri.path().to_owned();
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
        .unwrap_or_default();
    let method = parts.method.clone();
    let fault = state.faults.decide(method.as_str(), parts.uri.path());
    if let Some(delay) = fault.delay {
        tokio::time::sleep(delay).await;
    }
    let mut response = if let Some(status) = fault.status {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let code = if status == StatusCode::SERVICE_UNAVAILABLE {
            "ServiceUnavailable"
        } else {
            "InternalError"
        };
        ApiError::new(status, code, "Injected fault: please retry.").into_response(
            &method,
            &request_id,
            &host,
        )
    } else {
        let mut stream: BodyStream = request::min_body_rate(
            Box::pin(
                body.into_data_stream()
                    .map(|r| r.map_err(std::io::Error::other)),
            ),
            &state.limits,
        );
        if let Some(limit) = fault.cut_request_after {
            stream = Box::pin(cut_stream(stream, limit));
        }
        let result = route(&state, parts, &mut stream, &request_id, &host).await;
        let mut response = match result {
            Ok(r) => r,
            Err(e) => e.into_response(&method, &request_id, &host),
        };
        let closing = response
            .headers()
            .get(http::header::CONNECTION)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
        // An answer that closes the connection (a body over the size limit) reads no further.
        if fault.cut_request_after.is_none() && !closing && !drain(&mut stream).await {
            // Unread body left: the connection cannot be reused, tell the client so.
            response
                .headers_mut()
                .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
        }
        if fault.cut_request_after.is_some() {
            // Close the connection: the body fails before its first byte.
            *response.body_mut() = Body::from_stream(futures::stream::once(async {
                Err::<Bytes, _>(std::io::Error::other("injected connection cut"))
            }));
        }
        response
    };
    if let Some(limit) = fault.cut_response_after {
        let body = std::mem::take(response.body_mut());
        let stream = cut_stream(
            Box::pin(
                body.into_data_stream()
                    .map(|r| r.map_err(std::io::Error::other)),
            ),
            limit,
        );
        *response.body_mut() = Body::from_stream(stream);
    }
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        headers.insert("x-oss-request-id", v);
    }
    headers.insert("server", HeaderValue::from_static("AliyunOSS"));
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(std::time::SystemTime::now())) {
        headers.insert("date", v);
    }
    tracing::info!(
        target: "jitstore_oss_server::access",
        request_id = %request_id,
        method = %method,
        path = %logged_path,
        status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

/// Reads and discards what a handler left of the request body (an error answer often comes
/// before the body is read), so the connection stays usable. Gives up after 8 MiB or 5 s.
async fn drain(stream: &mut BodyStream) -> bool {
    const LIMIT: usize = 8 * 1024 * 1024;
    let mut seen = 0usize;
    let work = async {
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(c) => {
                    seen += c.len();
                    if seen > LIMIT {
                        return false;
                    }
                }
                Err(_) => return false,
            }
        }
        true
    };
    tokio::time::timeout(Duration::from_secs(5), work)
        .await
        .unwrap_or(false)
}

/// Passes `limit` bytes through, then fails (which makes hyper drop the connection).
fn cut_stream(
    stream: BodyStream,
    limit: u64,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send {
    futures::stream::unfold(
        (stream, 0u64, false),
        move |(mut s, sent, done)| async move {
            if done {
                return None;
            }
            if sent >= limit {
                // Let hyper flush what was sent before the connection is dropped.
                tokio::time::sleep(Duration::from_millis(50)).await;
                return Some((
                    Err(std::io::Error::other("injected connection cut")),
                    (s, sent, true),
                ));
            }
            match s.next().await {
                None => None,
                Some(Err(e)) => Some((Err(e), (s, sent, true))),
                Some(Ok(mut chunk)) => {
                    let room = (limit - sent) as usize;
                    if chunk.len() > room {
                        chunk.truncate(room);
                    }
                    let n = chunk.len() as u64;
                    Some((Ok(chunk), (s, sent + n, false)))
                }
            }
        },
    )
}

async fn route(
    state: &AppState,
    parts: http::request::Parts,
    body: &mut BodyStream,
    request_id: &str,
    host: &str,
) -> Result<Response, ApiError> {
    let (bucket, key) = request::resolve_address(
        Some(host).filter(|h| !h.is_empty()),
        parts.uri.path(),
        &state.server_names,
    )?;
    // In a query string `+` means a space (form encoding, as oss2 and Go clients send it); a
    // literal plus always arrives as `%2B`. Normalise once so that parameter values and the
    // signature check agree with the client.
    let raw_query = parts.uri.query().unwrap_or("").replace('+', "%20");
    let ctx = RequestCtx {
        method: parts.method,
        bucket,
        key,
        query: Query::parse(&raw_query),
        raw_query,
        headers: parts.headers,
        request_id: request_id.to_string(),
        host: host.to_string(),
    };
    if let Some(key) = &ctx.key {
        jitstore_oss::encoding::validate_object_key(key)
            .map_err(|e| ApiError::invalid_object_name(e.to_string()))?;
    }
    if let Some(b) = &ctx.bucket {
        if jitstore_oss::encoding::validate_bucket_name(b).is_err() {
            return Err(ApiError::invalid_bucket_name(b));
        }
    }
    let target = match (&ctx.bucket, &ctx.key) {
        (None, _) => route::Target::Service,
        (Some(_), None) => route::Target::Bucket,
        (Some(_), Some(_)) => route::Target::Object,
    };
    // Classified before anything else: what is not implemented is refused, never misread.
    let operation = route::classify(&ctx.method, target, &ctx.query, &ctx.headers);
    if matches!(operation, Ok(Operation::PostObject)) {
        // PostObject carries its signature in the form, not in headers or the query.
        return post_object::post_object(state, &ctx, body).await;
    }
    request::check_payload_hash(&ctx)?;
    let principal = auth::authenticate(state, &ctx)?;
    let operation = operation?;
    if principal == Principal::Anonymous {
        auth::authorize_anonymous(state, &ctx, operation)?;
    }
    dispatch(state, &ctx, operation, body).await
}

/// Runs the handler of a classified request.
async fn dispatch(
    state: &AppState,
    ctx: &RequestCtx,
    operation: Operation,
    body: &mut BodyStream,
) -> Result<Response, ApiError> {
    use Operation as O;
    match operation {
        O::ListBuckets => bucket::list_buckets(state, ctx),
        O::PutBucket => bucket::put_bucket(state, ctx, body).await,
        O::DeleteBucket => bucket::delete_bucket(state, ctx),
        O::HeadBucket => {
            bucket::bucket_of(state, ctx)?;
            Ok(Response::new(Body::empty()))
        }
        O::GetBucketInfo => bucket::get_bucket_info(state, ctx),
        O::GetBucketLocation => bucket::get_bucket_location(state, ctx),
        O::GetBucketAcl => bucket::get_bucket_acl(state, ctx),
        O::PutBucketAcl => put_bucket_acl(state, ctx),
        O::ListObjects => bucket::list_objects_v1(state, ctx),
        O::ListObjectsV2 => bucket::list_objects_v2(state, ctx),
        O::ListMultipartUploads => multipart::list_uploads(state, ctx),
        O::DeleteMultipleObjects => bucket::delete_multiple(state, ctx, body).await,
        O::PostObject => post_object::post_object(state, ctx, body).await,
        O::PutObject => object::put_object(state, ctx, body).await,
        O::CopyObject => {
            let source = ctx
                .header("x-oss-copy-source")
                .unwrap_or_default()
                .to_string();
            object::copy_object(state, ctx, &source).await
        }
        O::GetObject => object::get_object(state, ctx, false).await,
        O::HeadObject => object::get_object(state, ctx, true).await,
        O::GetObjectMeta => object::get_object_meta(state, ctx).await,
        O::DeleteObject => object::delete_object(state, ctx).await,
        O::AppendObject => object::append_object(state, ctx, body).await,
        O::InitiateMultipartUpload => multipart::initiate(state, ctx),
        O::UploadPart | O::UploadPartCopy => multipart::upload_part(state, ctx, body).await,
        O::CompleteMultipartUpload => multipart::complete(state, ctx, body).await,
        O::AbortMultipartUpload => multipart::abort(state, ctx),
        O::ListParts => multipart::list_parts(state, ctx).await,
        O::PutObjectAcl => object_acl::put_object_acl(state, ctx).await,
        O::GetObjectAcl => object_acl::get_object_acl(state, ctx).await,
        O::PutObjectTagging => object_tagging::put_object_tagging(state, ctx, body).await,
        O::GetObjectTagging => object_tagging::get_object_tagging(state, ctx).await,
        O::DeleteObjectTagging => object_tagging::delete_object_tagging(state, ctx).await,
        O::PutSymlink => symlink::put_symlink(state, ctx).await,
        O::GetSymlink => symlink::get_symlink(state, ctx).await,
    }
}

fn put_bucket_acl(state: &AppState, ctx: &RequestCtx) -> Result<Response, ApiError> {
    let bucket = bucket::bucket_of(state, ctx)?;
    let acl = ctx.header("x-oss-acl").unwrap_or("private");
    if !matches!(acl, "private" | "public-read" | "public-read-write") {
        return Err(ApiError::invalid_argument(format!(
            "Invalid x-oss-acl {acl:?}."
        )));
    }
    bucket.set_acl(acl)?;
    Ok(Response::new(Body::empty()))
}
