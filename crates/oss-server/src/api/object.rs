//! Object calls: Put, Get, Head, GetObjectMeta, Delete, Copy, Append.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use base64::Engine;
use http::{HeaderValue, StatusCode};

use super::error::{ApiError, ResponseBuilderExt};
use super::object_attrs::{apply_copy_attrs, apply_write_attrs};
use super::request::{check_declared_length, stream_into, BodyStream, RequestCtx};
use super::symlink::{follow, mark_link, Followed};
use super::xml::{http_date, iso8601, XmlWriter};
use super::AppState;
use crate::storage::{
    now_ms, Bucket, ContentHeaders, ObjectMeta, ObjectType, OpenObject, StagingFile, StoreError,
};

/// Largest single PUT/POST/Append object: 5 GiB.
pub const MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * 1024;

/// Builds a response with the common OSS object headers.
pub fn object_headers(
    mut b: http::response::Builder,
    meta: &ObjectMeta,
) -> http::response::Builder {
    let h = &meta.headers;
    b = b
        .header("etag", meta.quoted_etag())
        .header("last-modified", http_date(meta.last_modified_ms))
        .header("x-oss-object-type", meta.object_type.as_str())
        .header("x-oss-storage-class", meta.storage_class())
        .header("x-oss-hash-crc64ecma", meta.crc64.to_string())
        .header("accept-ranges", "bytes")
        .header(
            "content-type",
            h.content_type
                .as_deref()
                .unwrap_or("application/octet-stream")
                .as_bytes(),
        );
    if let Some(md5) = &meta.content_md5 {
        b = b.header("content-md5", md5);
    }
    for (name, value) in [
        ("cache-control", &h.cache_control),
        ("content-disposition", &h.content_disposition),
        ("content-encoding", &h.content_encoding),
        ("content-language", &h.content_language),
        ("expires", &h.expires),
    ] {
        if let Some(v) = value {
            b = b.header(name, v.as_bytes());
        }
    }
    for (name, value) in &h.user_meta {
        // UTF-8 metadata goes back as the bytes it came in (obs-text); a name or value that
        // cannot be sent fails the builder, which answers InternalError.
        b = b.header(format!("x-oss-meta-{name}"), value.as_bytes());
    }
    if meta.object_type == ObjectType::Appendable {
        b = b.header("x-oss-next-append-position", meta.size.to_string());
    }
    if !h.tags.is_empty() {
        b = b.header("x-oss-tagging-count", h.tags.len().to_string());
    }
    b
}

/// Content headers and user metadata taken from a request (Put, Initiate, Copy REPLACE, Append).
pub fn content_headers_from(ctx: &RequestCtx) -> ContentHeaders {
    let get = |n: &str| {
        ctx.headers
            .get(n)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let mut user_meta: Vec<(String, String)> = Vec::new();
    for (name, value) in ctx.headers.iter() {
        if let Some(suffix) = name.as_str().strip_prefix("x-oss-meta-") {
            let value = String::from_utf8_lossy(value.as_bytes()).trim().to_string();
            match user_meta.iter_mut().find(|(n, _)| n == suffix) {
                Some((_, v)) => {
                    v.push(',');
                    v.push_str(&value);
                }
                None => user_meta.push((suffix.to_string(), value)),
            }
        }
    }
    user_meta.sort();
    ContentHeaders {
        content_type: get("content-type"),
        cache_control: get("cache-control"),
        content_disposition: get("content-disposition"),
        content_encoding: get("content-encoding"),
        content_language: get("content-language"),
        expires: get("expires"),
        user_meta,
        storage_class: get("x-oss-storage-class"),
        acl: get("x-oss-object-acl"),
        tags: Vec::new(),
    }
}

/// Checks the `Content-MD5` request header against the received data.
pub(crate) fn check_content_md5(ctx: &RequestCtx, md5: &[u8; 16]) -> Result<(), ApiError> {
    let Some(sent) = ctx.header("content-md5") else {
        return Ok(());
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(sent.trim())
        .map_err(|_| invalid_digest())?;
    if decoded.as_slice() != md5 {
        return Err(invalid_digest());
    }
    Ok(())
}

fn invalid_digest() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "InvalidDigest",
        "The Content-MD5 you specified did not match what we received.",
    )
    .ec("0002-00000016")
}

fn bucket_of(state: &AppState, ctx: &RequestCtx) -> Result<Arc<Bucket>, ApiError> {
    let name = ctx.bucket_name()?;
    state
        .store
        .bucket(name)
        .ok_or_else(|| ApiError::no_such_bucket(name))
}

/// PutObject.
pub async fn put_object(
    state: &AppState,
    ctx: &RequestCtx,
    body: &mut BodyStream,
) -> Result<Response, ApiError> {
    let bucket = bucket_of(state, ctx)?;
    let key = ctx.key_name()?.to_string();
    let limit = state.limits.max_object_size;
    check_declared_length(ctx, limit)?;
    let mut headers = content_headers_from(ctx);
    apply_write_attrs(ctx, &mut headers)?;
    super::request::validate_content_headers(&headers)?;
    let forbid = ctx.forbid_overwrite();
    if forbid && bucket.lookup(&key).is_some() {
        return Err(StoreError::FileAlreadyExists(key).into());
    }
    let mut staging = bucket.stage().await?;
    stream_into(&mut staging, body, limit).await?;
    let digest = staging.digest();
    check_content_md5(ctx, &digest.md5)?;
    let meta = ObjectMeta::normal(key, &digest, headers);
    let meta = seal_and_commit(&bucket, &mut staging, meta, forbid, |_| Ok(())).await?;
    Response::builder()
        .status(StatusCode::OK)
        .header("etag", meta.quoted_etag())
        .header("content-md5", meta.content_md5.clone().unwrap_or_default())
        .header("x-oss-hash-crc64ecma", meta.crc64.to_string())
        .finish(Body::empty())
}

pub(crate) async fn seal_and_commit(
    bucket: &Bucket,
    staging: &mut StagingFile,
    meta: ObjectMeta,
    forbid: bool,
    check: impl FnOnce(Option<&ObjectMeta>) -> Result<(), StoreError>,
) -> Result<ObjectMeta, ApiError> {
    super::request::validate_content_headers(&meta.headers)?;
    staging
        .seal(&meta)
        .await
        .map_err(|e| ApiError::internal(format!("sealing the object failed: {e}")))?;
    Ok(bucket.commit(staging, meta, forbid, check)?)
}

/// The outcome of evaluating a `Range` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeOutcome {
    /// No (usable) range: the whole object, 200.
    Whole,
    /// Bytes `start..=end`, 206.
    Partial(u64, u64),
    /// 416 InvalidRange (only in standard mode).
    Unsatisfiable,
}

/// Evaluates a `Range` header against an object size, OSS style: in the default mode an invalid
/// or out-of-range range yields the whole object; with `x-oss-range-behavior: standard` the end
/// is clamped and a start beyond the size is a 416.
pub fn evaluate_range(header: Option<&str>, size: u64, standard: bool) -> RangeOutcome {
    let Some(spec) = header.map(str::trim) else {
        return RangeOutcome::Whole;
    };
    let invalid = if standard {
        RangeOutcome::Unsatisfiable
    } else {
        RangeOutcome::Whole
    };
    let Some(ranges) = spec.strip_prefix("bytes=") else {
        return RangeOutcome::Whole;
    };
    if ranges.contains(',') {
        return invalid;
    }
    let Some((a, b)) = ranges.trim().split_once('-') else {
        return RangeOutcome::Whole;
    };
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        // Suffix range: the last n bytes.
        let Ok(n) = b.parse::<u64>() else {
            return RangeOutcome::Whole;
        };
        if n == 0 || size == 0 {
            return invalid;
        }
        if n > size {
            return if standard {
                RangeOutcome::Partial(0, size - 1)
            } else {
                RangeOutcome::Whole
            };
        }
        return RangeOutcome::Partial(size - n, size - 1);
    }
    let Ok(start) = a.parse::<u64>() else {
        return RangeOutcome::Whole;
    };
    let end = if b.is_empty() {
        None
    } else {
        match b.parse::<u64>() {
            Ok(e) if e >= start => Some(e),
            _ => return RangeOutcome::Whole,
        }
    };
    if start >= size {
        return invalid;
    }
    match end {
        None => RangeOutcome::Partial(start, size - 1),
        Some(e) if e < size => RangeOutcome::Partial(start, e),
        Some(_) if standard => RangeOutcome::Partial(start, size - 1),
        Some(_) => RangeOutcome::Whole,
    }
}

/// The answer of conditional headers: serve, 304 or 412.
enum Conditional {
    Serve,
    NotModified,
    Failed,
}

fn evaluate_conditionals(ctx: &RequestCtx, meta: &ObjectMeta) -> Conditional {
    let etag_matches = |list: &str| {
        list.split(',').any(|t| {
            let t = t.trim();
            t == "*" || t.trim_matches('"').eq_ignore_ascii_case(&meta.etag)
        })
    };
    let modified_secs = meta.last_modified_ms.div_euclid(1000);
    if let Some(v) = ctx.header("if-match") {
        if !etag_matches(v) {
            return Conditional::Failed;
        }
    } else if let Some(since) = ctx.header("if-unmodified-since").and_then(http_date_secs) {
        if modified_secs > since {
            return Conditional::Failed;
        }
    }
    if let Some(v) = ctx.header("if-none-match") {
        if etag_matches(v) {
            return Conditional::NotModified;
        }
    } else if let Some(since) = ctx.header("if-modified-since").and_then(http_date_secs) {
        if modified_secs <= since {
            return Conditional::NotModified;
        }
    }
    Conditional::Serve
}

/// Seconds since the Unix epoch of an HTTP date (`If-Modified-Since` and friends); `None` when
/// the value is not an HTTP date or lies before 1970 (the caller then ignores the condition).
fn http_date_secs(value: &str) -> Option<i64> {
    let time = httpdate::parse_http_date(value.trim()).ok()?;
    let since_epoch = time.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(since_epoch.as_secs()).ok()
}

fn precondition_failed() -> ApiError {
    ApiError::new(
        StatusCode::PRECONDITION_FAILED,
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold.",
    )
    .ec("0026-00000004")
}

/// GetObject and HeadObject.
pub async fn get_object(
    state: &AppState,
    ctx: &RequestCtx,
    head: bool,
) -> Result<Response, ApiError> {
    let bucket = bucket_of(state, ctx)?;
    let key = ctx.key_name()?;
    let Some(object) = bucket.open(key).await? else {
        return Err(ApiError::no_such_key(key));
    };
    let Followed { object, link } = follow(&bucket, object).await?;
    let meta = &object.meta;
    match evaluate_conditionals(ctx, meta) {
        Conditional::Serve => {}
        Conditional::Failed => return Err(precondition_failed()),
        Conditional::NotModified => {
            return Response::builder()
                .status(StatusCode::NOT_MODIFIED)
                .header("etag", meta.quoted_etag())
                .header("last-modified", http_date(meta.last_modified_ms))
                .finish(Body::empty());
        }
    }
    let standard = ctx
        .header("x-oss-range-behavior")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("standard"));
    let range = evaluate_range(ctx.header("range"), meta.size, standard);
    let (status, start, len) = match range {
        RangeOutcome::Whole => (StatusCode::OK, 0, meta.size),
        RangeOutcome::Partial(s, e) => (StatusCode::PARTIAL_CONTENT, s, e - s + 1),
        RangeOutcome::Unsatisfiable => {
            return Err(ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "InvalidRange",
                "The requested range cannot be satisfied",
            )
            .ec("0003-00000101")
            .header("content-range", format!("bytes */{}", meta.size)));
        }
    };
    let mut b = object_headers(Response::builder().status(status), meta)
        .header("content-length", len.to_string());
    if let Some(link) = &link {
        b = mark_link(b, link);
    }
    if status == StatusCode::PARTIAL_CONTENT {
        b = b.header(
            "content-range",
            format!("bytes {}-{}/{}", start, start + len - 1, meta.size),
        );
    }
    for (param, header) in [
        ("response-content-type", "content-type"),
        ("response-content-language", "content-language"),
        ("response-expires", "expires"),
        ("response-cache-control", "cache-control"),
        ("response-content-disposition", "content-disposition"),
        ("response-content-encoding", "content-encoding"),
    ] {
        if let Some(v) = ctx.query.get(param) {
            if let Some(h) = b.headers_mut() {
                if let Ok(v) = HeaderValue::from_str(v) {
                    h.insert(header, v);
                }
            }
        }
    }
    if head {
        return b.finish(Body::empty());
    }
    if let Some(data) = &object.data {
        let end = (start + len) as usize;
        return b.finish(Body::from(data.slice(start as usize..end)));
    }
    let stream = object
        .range_reader(start, len)
        .map_err(|e| ApiError::internal(format!("reading the object failed: {e}")))?;
    b.finish(Body::from_stream(stream))
}

/// GetObjectMeta (`HEAD ?objectMeta`).
pub async fn get_object_meta(state: &AppState, ctx: &RequestCtx) -> Result<Response, ApiError> {
    let bucket = bucket_of(state, ctx)?;
    let key = ctx.key_name()?;
    let Some(object) = bucket.open(key).await? else {
        return Err(ApiError::no_such_key(key));
    };
    let object = follow(&bucket, object).await?.object;
    let meta = &object.meta;
    Response::builder()
        .status(StatusCode::OK)
        .header("content-length", meta.size.to_string())
        .header("etag", meta.quoted_etag())
        .header("last-modified", http_date(meta.last_modified_ms))
        .header("x-oss-last-access-time", http_date(meta.last_modified_ms))
        .header("x-oss-hash-crc64ecma", meta.crc64.to_string())
        .finish(Body::empty())
}

/// DeleteObject: 204 whether or not the key existed.
pub async fn delete_object(state: &AppState, ctx: &RequestCtx) -> Result<Response, ApiError> {
    let bucket = bucket_of(state, ctx)?;
    bucket.delete(ctx.key_name()?)?;
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .finish(Body::empty())
}

/// Opens the object an `x-oss-copy-source` header value names (CopyObject, UploadPartCopy) and
/// checks the request's `x-oss-copy-source-if-*` conditions against it.
pub(crate) async fn open_copy_source(
    state: &AppState,
    ctx: &RequestCtx,
    source: &str,
) -> Result<OpenObject, ApiError> {
    let (src_bucket_name, src_key) = parse_copy_source(source)?;
    let src_bucket = state
        .store
        .bucket(&src_bucket_name)
        .ok_or_else(|| ApiError::no_such_bucket(&src_bucket_name))?;
    let Some(src) = src_bucket.open(&src_key).await? else {
        return Err(ApiError::no_such_key(&src_key));
    };
    let src = follow(&src_bucket, src).await?.object;
    check_copy_conditions(ctx, &src.meta)?;
    Ok(src)
}

/// Parses `x-oss-copy-source: /bucket/encoded-key[?versionId=..]`.
fn parse_copy_source(value: &str) -> Result<(String, String), ApiError> {
    let value = value.split('?').next().unwrap_or(value);
    let decoded = jitstore_oss::encoding::decode(value)
        .map_err(|e| ApiError::invalid_argument(format!("Invalid x-oss-copy-source: {e}")))?;
    let rest = decoded.strip_prefix('/').unwrap_or(&decoded);
    match rest.split_once('/') {
        Some((b, k)) if !b.is_empty() && !k.is_empty() => Ok((b.to_string(), k.to_string())),
        _ => Err(ApiError::invalid_argument(
            "x-oss-copy-source must be /bucket/key.",
        )),
    }
}

/// Checks the `x-oss-copy-source-if-*` headers against the source.
fn check_copy_conditions(ctx: &RequestCtx, meta: &ObjectMeta) -> Result<(), ApiError> {
    let matches = |v: &str| {
        v.split(',')
            .any(|t| t.trim().trim_matches('"').eq_ignore_ascii_case(&meta.etag))
    };
    let secs = meta.last_modified_ms.div_euclid(1000);
    if ctx
        .header("x-oss-copy-source-if-match")
        .is_some_and(|v| !matches(v))
        || ctx
            .header("x-oss-copy-source-if-unmodified-since")
            .and_then(http_date_secs)
            .is_some_and(|s| secs > s)
    {
        return Err(precondition_failed());
    }
    if ctx
        .header("x-oss-copy-source-if-none-match")
        .is_some_and(matches)
        || ctx
            .header("x-oss-copy-source-if-modified-since")
            .and_then(http_date_secs)
            .is_some_and(|s| secs <= s)
    {
        return Err(ApiError::new(
            StatusCode::NOT_MODIFIED,
            "NotModified",
            "Not Modified",
        ));
    }
    Ok(())
}

/// CopyObject (metadata directive COPY or REPLACE).
pub async fn copy_object(
    state: &AppState,
    ctx: &RequestCtx,
    source: &str,
) -> Result<Response, ApiError> {
    let bucket = bucket_of(state, ctx)?;
    let key = ctx.key_name()?.to_string();
    let src = open_copy_source(state, ctx, source).await?;
    let mut attrs = src.meta.headers.clone();
    apply_copy_attrs(ctx, &src.meta.headers, &mut attrs)?;
    let forbid = ctx.forbid_overwrite();
    if forbid && bucket.lookup(&key).is_some() {
        return Err(StoreError::FileAlreadyExists(key).into());
    }
    let replace = match ctx.header("x-oss-metadata-directive").map(str::trim) {
        None | Some("COPY") => false,
        Some("REPLACE") => true,
        Some(other) => {
            return Err(ApiError::invalid_argument(format!(
                "Invalid x-oss-metadata-directive {other:?}: use COPY or REPLACE."
            )))
        }
    };
    let mut staging = bucket.stage().await?;
    copy_range(&src, 0, src.meta.size, &mut staging).await?;
    let digest = staging.digest();
    let mut headers = if replace {
        content_headers_from(ctx)
    } else {
        src.meta.headers.clone()
    };
    if !replace {
        if let Some(class) = ctx.header("x-oss-storage-class") {
            headers.storage_class = Some(class.to_string());
        }
    }
    headers.acl = attrs.acl;
    headers.tags = attrs.tags;
    let meta = ObjectMeta::normal(key, &digest, headers);
    let meta = seal_and_commit(&bucket, &mut staging, meta, forbid, |_| Ok(())).await?;
    let mut w = XmlWriter::new();
    w.open("CopyObjectResult");
    w.elem("ETag", &meta.quoted_etag());
    w.elem("LastModified", &iso8601(meta.last_modified_ms));
    w.close("CopyObjectResult");
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/xml")
        .header("etag", meta.quoted_etag())
        .header("x-oss-hash-crc64ecma", meta.crc64.to_string())
        .finish(Body::from(w.finish()))
}

/// Copies `len` bytes of `object` from `start` into a staging file.
pub(crate) async fn copy_range(
    object: &OpenObject,
    start: u64,
    len: u64,
    staging: &mut StagingFile,
) -> Result<(), ApiError> {
    use futures::StreamExt;
    let io = |e: std::io::Error| ApiError::internal(format!("copying object data failed: {e}"));
    let mut reader = object.range_reader(start, len).map_err(io)?;
    while let Some(chunk) = reader.next().await {
        staging.write(&chunk.map_err(io)?).await.map_err(io)?;
    }
    Ok(())
}

/// AppendObject (`POST ?append&position=N`).
pub async fn append_object(
    state: &AppState,
    ctx: &RequestCtx,
    body: &mut BodyStream,
) -> Result<Response, ApiError> {
    let bucket = bucket_of(state, ctx)?;
    let key = ctx.key_name()?.to_string();
    let limit = state.limits.max_object_size;
    check_declared_length(ctx, limit)?;
    let position: u64 = ctx
        .query
        .get("position")
        .and_then(|p| p.trim().parse().ok())
        .ok_or_else(|| ApiError::invalid_argument("position is missing or not a number."))?;
    let existing = bucket.open(&key).await?;
    let mut staging = bucket.stage().await?;
    let headers = match existing {
        Some(current) => {
            if current.meta.object_type != ObjectType::Appendable {
                return Err(StoreError::Conflict {
                    key,
                    reason: crate::storage::ConflictReason::ObjectNotAppendable,
                }
                .into());
            }
            if current.meta.size != position {
                return Err(StoreError::Conflict {
                    key,
                    reason: crate::storage::ConflictReason::PositionNotEqualToLength(
                        current.meta.size,
                    ),
                }
                .into());
            }
            copy_range(&current, 0, current.meta.size, &mut staging).await?;
            current.meta.headers
        }
        None => {
            if position != 0 {
                return Err(StoreError::Conflict {
                    key,
                    reason: crate::storage::ConflictReason::PositionNotEqualToLength(0),
                }
                .into());
            }
            let mut headers = content_headers_from(ctx);
            apply_write_attrs(ctx, &mut headers)?;
            headers
        }
    };
    let before = staging.size();
    stream_into(&mut staging, body, limit).await?;
    let _appended = staging.size() - before;
    let digest = staging.digest();
    let meta = ObjectMeta {
        key: key.clone(),
        size: digest.size,
        etag: digest.md5_hex(),
        crc64: digest.crc64,
        content_md5: None,
        last_modified_ms: now_ms(),
        object_type: ObjectType::Appendable,
        headers,
        symlink_target: None,
    };
    let meta = seal_and_commit(
        &bucket,
        &mut staging,
        meta,
        false,
        |current| match current {
            None if position == 0 => Ok(()),
            Some(c) if c.object_type != ObjectType::Appendable => Err(StoreError::Conflict {
                key: key.clone(),
                reason: crate::storage::ConflictReason::ObjectNotAppendable,
            }),
            Some(c) if c.size == position => Ok(()),
            other => Err(StoreError::Conflict {
                key: key.clone(),
                reason: crate::storage::ConflictReason::PositionNotEqualToLength(
                    other.map(|c| c.size).unwrap_or(0),
                ),
            }),
        },
    )
    .await?;
    Response::builder()
        .status(StatusCode::OK)
        .header("etag", meta.quoted_etag())
        .header("x-oss-next-append-position", meta.size.to_string())
        .header("x-oss-hash-crc64ecma", meta.crc64.to_string())
        .finish(Body::empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_become_unix_seconds() {
        assert_eq!(
            http_date_secs(" Sun, 06 Nov 1994 08:49:37 GMT "),
            Some(784_111_777)
        );
        assert_eq!(http_date_secs("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(http_date_secs("yesterday"), None);
        assert_eq!(http_date_secs(""), None);
    }

    #[test]
    fn ranges_default_mode() {
        assert_eq!(
            evaluate_range(Some("bytes=0-9"), 100, false),
            RangeOutcome::Partial(0, 9)
        );
        assert_eq!(
            evaluate_range(Some("bytes=90-"), 100, false),
            RangeOutcome::Partial(90, 99)
        );
        assert_eq!(
            evaluate_range(Some("bytes=-10"), 100, false),
            RangeOutcome::Partial(90, 99)
        );
        assert_eq!(
            evaluate_range(Some("bytes=0-100"), 100, false),
            RangeOutcome::Whole
        );
        assert_eq!(
            evaluate_range(Some("bytes=100-"), 100, false),
            RangeOutcome::Whole
        );
        assert_eq!(
            evaluate_range(Some("byte=0-1"), 100, false),
            RangeOutcome::Whole
        );
        assert_eq!(
            evaluate_range(Some("bytes=5-2"), 100, false),
            RangeOutcome::Whole
        );
    }

    #[test]
    fn ranges_standard_mode() {
        assert_eq!(
            evaluate_range(Some("bytes=50-1000"), 100, true),
            RangeOutcome::Partial(50, 99)
        );
        assert_eq!(
            evaluate_range(Some("bytes=100-"), 100, true),
            RangeOutcome::Unsatisfiable
        );
        assert_eq!(
            evaluate_range(Some("bytes=-1000"), 100, true),
            RangeOutcome::Partial(0, 99)
        );
    }
}
