//! The ACL and tags a write request gives the object it creates: `x-oss-object-acl` and
//! `x-oss-tagging` on PutObject, CopyObject, InitiateMultipartUpload and PutSymlink, with
//! CopyObject's `x-oss-tagging-directive`. Validated before any data is staged.

use super::error::ApiError;
use super::object_acl::object_acl_header;
use super::object_tagging::tagging_header;
use super::request::RequestCtx;
use crate::storage::ContentHeaders;

/// Sets `headers.acl` and `headers.tags` from the request's `x-oss-object-acl` and
/// `x-oss-tagging` headers (absent: `default` ACL, no tags).
pub fn apply_write_attrs(ctx: &RequestCtx, headers: &mut ContentHeaders) -> Result<(), ApiError> {
    headers.acl = object_acl_header(ctx)?;
    headers.tags = tagging_header(ctx)?;
    Ok(())
}

/// CopyObject: the destination's ACL comes from `x-oss-object-acl` only (the source's is not
/// copied); its tags are the source's unless `x-oss-tagging-directive: Replace`, which takes
/// `x-oss-tagging`.
pub fn apply_copy_attrs(
    ctx: &RequestCtx,
    source: &ContentHeaders,
    headers: &mut ContentHeaders,
) -> Result<(), ApiError> {
    headers.acl = object_acl_header(ctx)?;
    let replace = match ctx.header("x-oss-tagging-directive").map(str::trim) {
        None => false,
        Some(d) if d.eq_ignore_ascii_case("copy") => false,
        Some(d) if d.eq_ignore_ascii_case("replace") => true,
        Some(other) => {
            return Err(ApiError::invalid_argument(format!(
                "Invalid x-oss-tagging-directive {other:?}: use Copy or Replace."
            ))
            .extra("ArgumentName", "x-oss-tagging-directive"))
        }
    };
    headers.tags = if replace {
        tagging_header(ctx)?
    } else {
        source.tags.clone()
    };
    Ok(())
}
