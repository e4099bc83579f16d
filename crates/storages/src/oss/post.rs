//! PostObject policies: signed form fields for browser uploads straight to the bucket.

use std::time::Duration;

use jitstore_oss::client::SigningTime;
use jitstore_oss::post_policy::PostPolicy;

use super::errors::map;
use super::OssStorage;
use crate::error::StorageError;

/// What a browser form upload may do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PostPolicyRequest {
    /// Keys must start with this (the form's `key` field is `<prefix>${filename}`).
    pub key_prefix: String,
    /// How long the policy is accepted (V4: at most 7 days).
    pub expires: Duration,
    /// Smallest and largest accepted file, bytes.
    pub content_length_range: Option<(u64, u64)>,
    /// The exact `Content-Type` the form must send, when restricted.
    pub content_type: Option<String>,
}

impl PostPolicyRequest {
    /// A policy for keys under `key_prefix`, valid for 300 s, files up to 5 GiB.
    pub fn new(key_prefix: impl Into<String>) -> PostPolicyRequest {
        PostPolicyRequest {
            key_prefix: key_prefix.into(),
            expires: Duration::from_secs(300),
            content_length_range: Some((0, 5 * 1024 * 1024 * 1024)),
            content_type: None,
        }
    }
}

/// A signed HTML form: POST `multipart/form-data` to `url` with `fields` (in order) and then
/// the `file` field.
#[derive(Clone)]
pub struct PostForm {
    /// The bucket URL to post to.
    pub url: String,
    /// Form fields, signature included (treat as a bearer secret until it expires).
    pub fields: Vec<(String, String)>,
    /// When the policy stops being accepted.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

impl std::fmt::Debug for PostForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostForm")
            .field("url", &self.url)
            .field(
                "fields",
                &self.fields.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl OssStorage {
    /// Signs a PostObject policy for browser form uploads under `request.key_prefix`, with the
    /// element's signature version.
    pub async fn post_policy(&self, request: &PostPolicyRequest) -> Result<PostForm, StorageError> {
        let secs = i64::try_from(request.expires.as_secs()).unwrap_or(i64::MAX);
        if secs == 0 || secs > 7 * 24 * 3600 {
            return Err(StorageError::invalid_argument(format!(
                "a post policy must be valid for 1 s to 7 days, got {secs} s"
            )));
        }
        let now = self.client.signing_time(SigningTime::Now);
        let expires_at = now + chrono::Duration::seconds(secs);
        let mut policy = PostPolicy::new(expires_at)
            .bucket(self.client.bucket())
            .starts_with("key", &request.key_prefix);
        if let Some((min, max)) = request.content_length_range {
            policy = policy.content_length_range(min, max);
        }
        if let Some(ct) = &request.content_type {
            policy = policy.eq("Content-Type", ct);
        }
        let signed = self
            .client
            .sign_post_policy(&policy, SigningTime::At(now))
            .await
            .map_err(map)?;
        let url = self
            .presigner
            .endpoint()
            .bucket_url(self.presigner.bucket())
            .map_err(map)?;
        let mut fields = vec![(
            "key".to_owned(),
            format!("{}${{filename}}", request.key_prefix),
        )];
        if let Some(ct) = &request.content_type {
            fields.push(("Content-Type".to_owned(), ct.clone()));
        }
        fields.extend(signed.fields.fields);
        Ok(PostForm {
            url: url.into(),
            fields,
            expires_at,
        })
    }
}
