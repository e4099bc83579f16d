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
    let mut signed = s3.presign_explained(request, at).await?;
    signed.canonical_request = redact_session_token(&signed.canonical_request);
    Ok(Some(signed))
}

/// Masks the value of `X-Amz-Security-Token` in a canonical request (the session token is a
/// credential; `--explain` must not print it).
fn redact_session_token(text: &str) -> String {
    const NAME: &str = "X-Amz-Security-Token=";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(NAME) {
        out.push_str(&rest[..at + NAME.len()]);
        out.push_str("******");
        let after = &rest[at + NAME.len()..];
        rest = &after[after.find(['&', '\n']).unwrap_or(after.len())..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::redact_session_token;

    #[test]
    fn the_session_token_is_masked_and_the_rest_kept() {
        let text = "GET\n/b/k\nX-Amz-Date=1&X-Amz-Security-Token=SECRET%2Fx&X-Amz-SignedHeaders=host\nhost:h";
        assert_eq!(
            redact_session_token(text),
            "GET\n/b/k\nX-Amz-Date=1&X-Amz-Security-Token=******&X-Amz-SignedHeaders=host\nhost:h"
        );
        let last = "a\nX-Amz-Security-Token=SECRET\nb";
        assert_eq!(
            redact_session_token(last),
            "a\nX-Amz-Security-Token=******\nb"
        );
        assert_eq!(redact_session_token("no token"), "no token");
    }
}
