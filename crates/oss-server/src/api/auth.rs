//! Request authentication with the same signature code the client signs with
//! (`jitstore_oss::sign::verify`), plus OSS's anonymous-access rule.

use http::StatusCode;
use jitstore_oss::credentials::Credentials;
use jitstore_oss::sign::{verify, ReceivedRequest, Verified, VerifyError, VerifyPolicy};

use super::error::ApiError;
use super::object_acl::{allows_public_read, effective_acl};
use super::request::RequestCtx;
use super::route::Operation;
use super::AppState;

/// Who is making the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The server runs without credentials: everything is allowed.
    Open,
    /// No signature.
    Anonymous,
    /// A verified access key.
    Key(String),
}

/// Verifies the request signature; anonymous requests are returned as such (the caller applies
/// the public-read rule once it knows the bucket).
pub fn authenticate(state: &AppState, ctx: &RequestCtx) -> Result<Principal, ApiError> {
    if state.credentials.is_empty() {
        return Ok(Principal::Open);
    }
    let received = ReceivedRequest {
        method: ctx.method.as_str(),
        bucket: ctx.bucket.as_deref(),
        key: ctx.key.as_deref(),
        raw_query: &ctx.raw_query,
        headers: &ctx.headers,
    };
    let mut policy = VerifyPolicy::new(state.region.clone(), chrono::Utc::now());
    policy.max_skew = state.max_skew;
    let lookup = |ak: &str| configured_credentials(state, ak);
    match verify(&received, &policy, &lookup) {
        Ok(Verified::Anonymous) => Ok(Principal::Anonymous),
        Ok(Verified::Authenticated { access_key_id, .. }) => Ok(Principal::Key(access_key_id)),
        Err(e) => Err(verify_error(e)),
    }
}

/// The credentials the server is configured with for `access_key_id` (secret and STS token),
/// the lookup both request signatures and PostObject policies are verified with.
pub(crate) fn configured_credentials(state: &AppState, access_key_id: &str) -> Option<Credentials> {
    state
        .credentials
        .iter()
        .find(|c| c.access_key_id == access_key_id)
        .map(|c| {
            let creds = Credentials::new(c.access_key_id.clone(), c.access_key_secret.clone());
            match &c.security_token {
                Some(t) => creds.with_security_token(t.clone()),
                None => creds,
            }
        })
}

/// What an anonymous request may do, by operation and ACL (credentials are configured and the
/// request carries no signature):
///
/// * read an object (GetObject, HeadObject, GetObjectMeta, GetSymlink) whose effective ACL
///   (its own, or the bucket's when `default`) is public-read or public-read-write; through a
///   symlink the target must be readable too;
/// * list a public-read or public-read-write bucket (ListObjects, ListObjectsV2);
/// * write an object (PutObject, AppendObject, DeleteObject) whose effective ACL is
///   public-read-write, without setting its ACL or tags;
/// * run a multipart upload (Initiate, UploadPart, Complete, Abort) in a public-read-write
///   bucket.
///
/// Everything else is owner-only: ListBuckets, creating a bucket, bucket ACL, info, location and
/// HEAD, ListMultipartUploads, ListParts, object ACL and tagging calls, symlink creation, copies.
pub fn authorize_anonymous(
    state: &AppState,
    ctx: &RequestCtx,
    op: Operation,
) -> Result<(), ApiError> {
    let denied = || {
        ApiError::access_denied(format!(
            "You have no right to access this resource because of its acl: {op:?} needs a signature here."
        ))
        .ec("0003-00000001")
    };
    // No bucket (ListBuckets) or a missing one (PutBucket would create it): owner-only.
    let bucket = ctx.bucket.as_deref().and_then(|b| state.store.bucket(b));
    let Some(bucket) = bucket else {
        return Err(denied());
    };
    let info = bucket.info();
    let meta = ctx.key.as_deref().and_then(|k| bucket.lookup(k));
    let object_acl = effective_acl(&info, meta.as_ref());
    let sets_attrs =
        ctx.headers.contains_key("x-oss-object-acl") || ctx.headers.contains_key("x-oss-tagging");
    let allowed = match op {
        Operation::GetObject
        | Operation::HeadObject
        | Operation::GetObjectMeta
        | Operation::GetSymlink => {
            let target = match (op, meta.as_ref().and_then(|m| m.symlink_target.as_deref())) {
                (Operation::GetSymlink, _) | (_, None) => None,
                (_, Some(t)) => Some(bucket.lookup(t)),
            };
            allows_public_read(object_acl)
                && target.is_none_or(|t| allows_public_read(effective_acl(&info, t.as_ref())))
        }
        Operation::ListObjects | Operation::ListObjectsV2 => allows_public_read(&info.acl),
        Operation::PutObject | Operation::AppendObject | Operation::DeleteObject => {
            object_acl == "public-read-write" && !sets_attrs
        }
        Operation::InitiateMultipartUpload
        | Operation::UploadPart
        | Operation::CompleteMultipartUpload
        | Operation::AbortMultipartUpload => info.acl == "public-read-write" && !sets_attrs,
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(denied())
    }
}

/// Maps a verification failure to OSS's error answer.
///
/// `SignatureDoesNotMatch` echoes the string to sign (and V4 canonical request) the server
/// computed, as OSS does, so a client can diff it with its own; the provided signature is not
/// echoed (house rule: signatures never appear in errors).
pub fn verify_error(e: VerifyError) -> ApiError {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::FORBIDDEN);
    let message = e.to_string();
    let mut err = ApiError::new(status, e.code(), message);
    match &e {
        VerifyError::SignatureDoesNotMatch(m) => {
            err = err
                .ec("0002-00000040")
                .extra("OSSAccessKeyId", m.access_key_id.clone())
                .extra("StringToSign", m.string_to_sign.clone())
                .extra("StringToSignBytes", hex_bytes(&m.string_to_sign));
            if !m.canonical_request.is_empty() {
                err = err.extra("CanonicalRequest", m.canonical_request.clone());
            }
        }
        VerifyError::RequestTimeTooSkewed {
            request_time,
            server_time,
            max_skew_secs,
            ..
        } => {
            err = err
                .ec("0002-00000504")
                .extra("RequestTime", request_time.to_rfc3339())
                .extra("ServerTime", server_time.to_rfc3339())
                .extra(
                    "MaxAllowedSkewMilliseconds",
                    (max_skew_secs * 1000).to_string(),
                );
        }
        VerifyError::Expired { expired_at, now } => {
            err = err
                .ec("0002-00000069")
                .extra("Expires", expired_at.to_rfc3339())
                .extra("ServerTime", now.to_rfc3339());
        }
        VerifyError::InvalidAccessKeyId { access_key_id } => {
            err = err
                .ec("0002-00000002")
                .extra("OSSAccessKeyId", access_key_id.clone());
        }
        VerifyError::WrongRegion { .. } => {
            err = err.ec("0002-00000228");
        }
        _ => {}
    }
    err
}

fn hex_bytes(s: &str) -> String {
    s.bytes()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}
