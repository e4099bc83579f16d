//! Presign debugging: presigned URLs at a chosen signing time, with the canonical request and the string-to-sign:
//! what `jitstore sign --at ... --explain` prints to debug `SignatureDoesNotMatch`. Nothing is
//! signed here: the texts are the ones the client's presign entry computed for the URL.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use jitstore_oss::client::SigningTime;
use serde::Serialize;

use super::error::WorkflowError;
use crate::oss::{presign_options, OssStorage};
use crate::types::SignUrlRequest;

/// A presigned URL with the texts its signature was computed over.
#[derive(Clone, Serialize)]
pub struct ExplainedPresign {
    /// The presigned URL (a bearer secret until it expires).
    pub url: String,
    /// The method it is valid for.
    pub method: String,
    /// `v4` or `v1`.
    pub signature_version: String,
    /// The signing time.
    pub signed_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// Headers the request must carry exactly.
    pub headers: BTreeMap<String, String>,
    /// The V4 canonical request (empty for V1).
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
}

impl fmt::Debug for ExplainedPresign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.url.split('?').next().unwrap_or_default();
        f.debug_struct("ExplainedPresign")
            .field("url", &format_args!("{shown}?<signed>"))
            .field("method", &self.method)
            .field("signature_version", &self.signature_version)
            .field("signed_at", &self.signed_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The implementation of [`OssWorkflows::presign_explained`](super::OssWorkflows::presign_explained).
pub(crate) async fn presign_explained(
    oss: &OssStorage,
    request: &SignUrlRequest,
    at: Option<DateTime<Utc>>,
) -> Result<ExplainedPresign, WorkflowError> {
    // A header V1 cannot sign is refused by the client's presign, for every caller alike.
    let mut options = presign_options(request)?;
    options.at = at.map_or(SigningTime::Now, SigningTime::At);
    let presigned = oss.presign(&request.key, options).await?;
    let headers = presigned
        .signed_headers
        .iter()
        .filter(|(n, _)| *n != http::header::HOST)
        .filter_map(|(n, v)| {
            v.to_str()
                .ok()
                .map(|v| (n.as_str().to_owned(), v.to_owned()))
        })
        .collect();
    Ok(ExplainedPresign {
        url: presigned.url.into(),
        method: presigned.method.as_str().to_owned(),
        signature_version: presigned.signature_version.to_string(),
        signed_at: super::whole_seconds(presigned.signed_at),
        expires_at: super::whole_seconds(presigned.expires_at),
        headers,
        canonical_request: presigned.canonical_request,
        string_to_sign: presigned.string_to_sign,
    })
}
