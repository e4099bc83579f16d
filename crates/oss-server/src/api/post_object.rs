//! PostObject: browser form uploads (`POST /` on a bucket, `multipart/form-data`).

use axum::response::Response;
use http::{Method, StatusCode};

use super::error::ApiError;
use super::request::{BodyStream, RequestCtx};
use super::AppState;

/// Whether the request is a PostObject form upload.
pub fn is_post_object(ctx: &RequestCtx) -> bool {
    ctx.method == Method::POST
        && ctx.bucket.is_some()
        && ctx.key.is_none()
        && ctx.raw_query.is_empty()
        && ctx.header("content-type").is_some_and(|t| {
            t.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// PostObject.
pub async fn post_object(
    _state: &AppState,
    _ctx: &RequestCtx,
    _body: &mut BodyStream,
) -> Result<Response, ApiError> {
    Err(ApiError::new(
        StatusCode::NOT_IMPLEMENTED,
        "NotImplemented",
        "PostObject is not supported by this server yet.",
    ))
}
