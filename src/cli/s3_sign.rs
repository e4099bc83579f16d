//! The S3 side of `jitstore sign`: a SigV4 presigned URL (query authentication) from an
//! S3-family element (`storages.AwsS3Type`, `MinioType`, `CloudflareR2Type`, `EosType`,
//! `QiniuType`), at a fixed time when `--at` is given. The OSS side stays in `sign.rs`.

use chrono::{DateTime, Utc};
use jitstore::storages_s3::S3Storage;
use jitstore::SignUrlRequest;

use super::target::storage;
use super::{AppArg, CliError};

/// The presigned URL of `request` when `element` is an S3-family element, `None` when it is of
/// another Type (the caller then signs the OSS way).
pub(crate) async fn presign(
    app: &AppArg,
    element: &str,
    request: &SignUrlRequest,
    at: Option<DateTime<Utc>>,
) -> Result<Option<jitstore::storages::workflows::ExplainedPresign>, CliError> {
    let handle = storage(app, Some(element))?;
    let Some(s3) = S3Storage::from_handle(&handle) else {
        return Ok(None);
    };
    // `sign` prints the texts through `redact_secrets`, which masks `X-Amz-Security-Token`.
    Ok(Some(s3.presign_explained(request, at).await?))
}
