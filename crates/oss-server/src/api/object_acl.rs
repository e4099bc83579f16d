//! Object ACLs: PutObjectAcl / GetObjectAcl (`?acl` on a key), the `x-oss-object-acl` header
//! of the calls that create objects, and the effective ACL that anonymous access is judged by.
//!
//! An object's ACL is stored in its metadata (`ContentHeaders::acl`); `None` means `default`:
//! the bucket's ACL applies.

use axum::body::Body;
use axum::response::Response;
use http::StatusCode;

use super::bucket::{bucket_of, owner};
use super::error::ApiError;
use super::request::RequestCtx;
use super::xml::XmlWriter;
use super::AppState;
use crate::storage::{BucketInfo, ObjectMeta};

/// The ACL values an object accepts; `default` inherits the bucket's.
pub const OBJECT_ACLS: &[&str] = &["default", "private", "public-read", "public-read-write"];

/// Parses an object ACL value: `Ok(None)` for `default`, `Ok(Some(acl))` for the others.
///
/// ```
/// use jitstore_oss_server::api::object_acl::parse_object_acl;
/// assert_eq!(parse_object_acl("default").unwrap(), None);
/// assert_eq!(parse_object_acl("public-read").unwrap().as_deref(), Some("public-read"));
/// assert_eq!(parse_object_acl("public").unwrap_err().code, "InvalidArgument");
/// ```
pub fn parse_object_acl(value: &str) -> Result<Option<String>, ApiError> {
    match value.trim() {
        "default" => Ok(None),
        acl @ ("private" | "public-read" | "public-read-write") => Ok(Some(acl.to_string())),
        other => Err(ApiError::invalid_argument(format!(
            "no such object access control exists: x-oss-object-acl {other:?} is not one of \
             default, private, public-read, public-read-write."
        ))
        .extra("ArgumentName", "x-oss-object-acl")
        .extra("ArgumentValue", other)),
    }
}

/// The `x-oss-object-acl` request header, validated (`Ok(None)`: absent or `default`).
pub fn object_acl_header(ctx: &RequestCtx) -> Result<Option<String>, ApiError> {
    match ctx.headers.get("x-oss-object-acl") {
        None => Ok(None),
        Some(v) => parse_object_acl(v.to_str().map_err(|_| {
            ApiError::invalid_argument("x-oss-object-acl is not visible ASCII.")
                .extra("ArgumentName", "x-oss-object-acl")
        })?),
    }
}

/// The ACL that governs an object: its own unless `default`, else the bucket's. For a key that
/// does not exist (`meta` is `None`) the bucket's ACL applies.
pub fn effective_acl<'a>(bucket: &'a BucketInfo, meta: Option<&'a ObjectMeta>) -> &'a str {
    meta.and_then(|m| m.headers.acl.as_deref())
        .unwrap_or(bucket.acl.as_str())
}

/// Whether an ACL lets anyone read.
pub fn allows_public_read(acl: &str) -> bool {
    matches!(acl, "public-read" | "public-read-write")
}

/// PutObjectAcl (`PUT /key?acl` with `x-oss-object-acl`): changes only the ACL; data, ETag and
/// Last-Modified stay.
pub async fn put_object_acl(state: &AppState, ctx: &RequestCtx) -> Result<Response, ApiError> {
    let bucket = bucket_of(state, ctx)?;
    let key = ctx.key_name()?;
    if ctx.header("x-oss-object-acl").is_none() {
        return Err(
            ApiError::invalid_argument("PutObjectAcl needs the x-oss-object-acl header.")
                .extra("ArgumentName", "x-oss-object-acl"),
        );
    }
    let acl = object_acl_header(ctx)?;
    let updated = bucket
        .update_meta(key, |meta| {
            meta.headers.acl = acl.clone();
            Ok(())
        })
        .await?;
    if updated.is_none() {
        return Err(ApiError::no_such_key(key));
    }
    Ok(Response::builder()
        .status(StatusCode::OK)
        .body(Body::empty())
        .unwrap_or_default())
}

/// GetObjectAcl (`GET /key?acl`): `<AccessControlPolicy>` with the object's own ACL
/// (`default` when it inherits the bucket's).
pub async fn get_object_acl(state: &AppState, ctx: &RequestCtx) -> Result<Response, ApiError> {
    let bucket = bucket_of(state, ctx)?;
    let key = ctx.key_name()?;
    let meta = bucket
        .lookup(key)
        .ok_or_else(|| ApiError::no_such_key(key))?;
    let mut w = XmlWriter::new();
    w.open("AccessControlPolicy");
    owner(&mut w);
    w.open("AccessControlList");
    w.elem("Grant", meta.headers.acl.as_deref().unwrap_or("default"));
    w.close("AccessControlList");
    w.close("AccessControlPolicy");
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/xml")
        .body(Body::from(w.finish()))
        .unwrap_or_default())
}
