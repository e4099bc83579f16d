//! Symlinks: PutSymlink / GetSymlink (`?symlink` on a key), and following a link when an
//! object is read (GET, HEAD, GetObjectMeta, copy sources).
//!
//! A symlink is an object of type `Symlink` with no data whose metadata names its target key in
//! the same bucket. PutSymlink does not check the target; reading through a link whose target
//! is missing answers `404 NoSuchKey`.

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, StatusCode};
use md5::{Digest, Md5};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

use super::bucket::bucket_of;
use super::error::ApiError;
use super::object::{content_headers_from, seal_and_commit};
use super::object_attrs::apply_write_attrs;
use super::request::RequestCtx;
use super::xml::http_date;
use super::AppState;
use crate::storage::{now_ms, Bucket, ObjectMeta, ObjectType, OpenObject, StoreError};

/// Characters of a target key escaped in the `x-oss-symlink-target` answer: controls, space,
/// `%` and everything outside ASCII (so the value is a valid header and decodes back exactly);
/// `/` and other printable ASCII stay readable.
const TARGET_ESCAPES: &AsciiSet = &CONTROLS.add(b' ').add(b'%').add(b'"');

/// The `x-oss-symlink-target` value for a target key.
pub fn encode_target(target: &str) -> String {
    utf8_percent_encode(target, TARGET_ESCAPES).to_string()
}

/// PutSymlink (`PUT /key?symlink` with `x-oss-symlink-target`).
pub async fn put_symlink(state: &AppState, ctx: &RequestCtx) -> Result<Response, ApiError> {
    let bucket = bucket_of(state, ctx)?;
    let key = ctx.key_name()?.to_string();
    let raw = ctx.header("x-oss-symlink-target").ok_or_else(|| {
        ApiError::invalid_argument("PutSymlink needs the x-oss-symlink-target header.")
            .ec("0043-00000001")
            .extra("ArgumentName", "x-oss-symlink-target")
    })?;
    let target = jitstore_oss::encoding::decode(raw.trim()).map_err(|e| {
        ApiError::invalid_argument(format!(
            "x-oss-symlink-target is not URL-encoded UTF-8: {e}"
        ))
        .extra("ArgumentName", "x-oss-symlink-target")
    })?;
    jitstore_oss::encoding::validate_object_key(&target).map_err(|e| {
        ApiError::invalid_argument(format!("x-oss-symlink-target is not a valid key: {e}"))
            .extra("ArgumentName", "x-oss-symlink-target")
    })?;
    let mut headers = content_headers_from(ctx);
    apply_write_attrs(ctx, &mut headers)?;
    let forbid = ctx.forbid_overwrite();
    if forbid && bucket.lookup(&key).is_some() {
        return Err(StoreError::FileAlreadyExists(key).into());
    }
    let mut staging = bucket.stage().await?;
    let meta = ObjectMeta {
        key,
        size: 0,
        etag: hex::encode_upper(Md5::digest(target.as_bytes())),
        crc64: 0,
        content_md5: None,
        last_modified_ms: now_ms(),
        object_type: ObjectType::Symlink,
        headers,
        symlink_target: Some(target),
    };
    let meta = seal_and_commit(&bucket, &mut staging, meta, forbid, |_| Ok(())).await?;
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header("etag", meta.quoted_etag())
        .body(Body::empty())
        .unwrap_or_default())
}

fn not_symlink(key: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "NotSymlink",
        "The specified object is not a symlink.",
    )
    .ec("0043-00000101")
    .extra("Key", key)
}

/// GetSymlink (`GET /key?symlink`): the link's target in `x-oss-symlink-target`.
pub async fn get_symlink(state: &AppState, ctx: &RequestCtx) -> Result<Response, ApiError> {
    let bucket = bucket_of(state, ctx)?;
    let key = ctx.key_name()?;
    let meta = bucket
        .lookup(key)
        .ok_or_else(|| ApiError::no_such_key(key))?;
    let Some(target) = meta.symlink_target.as_deref() else {
        return Err(not_symlink(key));
    };
    let mut b = Response::builder()
        .status(StatusCode::OK)
        .header("etag", meta.quoted_etag())
        .header("last-modified", http_date(meta.last_modified_ms))
        .header("x-oss-object-type", ObjectType::Symlink.as_str())
        .header("x-oss-symlink-target", encode_target(target));
    for (name, value) in &meta.headers.user_meta {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(format!("x-oss-meta-{name}").as_bytes()),
            HeaderValue::from_str(value),
        ) {
            b = b.header(n, v);
        }
    }
    b.body(Body::empty())
        .map_err(|e| ApiError::internal(format!("building the GetSymlink answer failed: {e}")))
}

/// An object opened for reading, after following a symlink: the object whose data is served,
/// and the link it was reached through (if any).
pub struct Followed {
    /// The object whose data and headers are served.
    pub object: OpenObject,
    /// The symlink's own metadata when the request named a link.
    pub link: Option<ObjectMeta>,
}

/// Follows `object` if it is a symlink (one level: a link to a link is refused as missing).
/// A link whose target does not exist is `404 NoSuchKey`.
pub async fn follow(bucket: &Bucket, object: OpenObject) -> Result<Followed, ApiError> {
    let Some(target) = object.meta.symlink_target.clone() else {
        return Ok(Followed { object, link: None });
    };
    let missing = || {
        ApiError::no_such_key(&target)
            .ec("0026-00000012")
            .extra("SymlinkKey", object.meta.key.clone())
    };
    match bucket.open(&target).await? {
        Some(t) if t.meta.object_type != ObjectType::Symlink => Ok(Followed {
            object: t,
            link: Some(object.meta.clone()),
        }),
        _ => Err(missing()),
    }
}

/// Marks a GET/HEAD answer served through `link`: `x-oss-object-type: Symlink` and
/// `x-oss-symlink-target`.
pub fn mark_link(mut b: http::response::Builder, link: &ObjectMeta) -> http::response::Builder {
    if let Some(h) = b.headers_mut() {
        h.insert(
            "x-oss-object-type",
            HeaderValue::from_static(ObjectType::Symlink.as_str()),
        );
        if let Some(target) = &link.symlink_target {
            if let Ok(v) = HeaderValue::from_str(&encode_target(target)) {
                h.insert("x-oss-symlink-target", v);
            }
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_escaped_only_where_a_header_needs_it() {
        assert_eq!(encode_target("dir/a+b.txt"), "dir/a+b.txt");
        assert_eq!(encode_target("50% off"), "50%25%20off");
        assert_eq!(encode_target("é"), "%C3%A9");
        assert_eq!(
            jitstore_oss::encoding::decode(&encode_target("a b/é%")).unwrap(),
            "a b/é%"
        );
    }
}
