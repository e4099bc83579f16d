//! PostObject (browser form upload) policies: building and signing them for a client (V4 and
//! V1 form fields), and decoding and checking them for a server.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use jitstore_oss::credentials::Credentials;
//! use jitstore_oss::post_policy::PostPolicy;
//!
//! let now = Utc.timestamp_opt(1701605532, 0).unwrap();
//! let form = PostPolicy::new(now + chrono::Duration::hours(1))
//!     .bucket("examplebucket")
//!     .starts_with("key", "user/eric/")
//!     .content_length_range(1, 10 * 1024 * 1024)
//!     .sign_v4(&Credentials::new("ak", "sk"), "cn-hangzhou", now)
//!     .unwrap();
//! assert_eq!(form.get("x-oss-signature-version"), Some("OSS4-HMAC-SHA256"));
//! assert_eq!(form.get("x-oss-credential"), Some("ak/20231203/cn-hangzhou/oss/aliyun_v4_request"));
//! assert_eq!(form.get("x-oss-signature").map(str::len), Some(64));
//! ```

use std::fmt;

use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use subtle::ConstantTimeEq;

use crate::credentials::{Credentials, Secret};
use crate::sign::time::{iso8601_basic, parse_iso8601_basic};
use crate::sign::v1::signature_v1;
use crate::sign::v4::{
    scope, validate_region, SigningKey, ALGORITHM_V4, PRODUCT, SCOPE_TERMINATOR,
};
use crate::sign::{SignError, SignatureVersion, Verified, VerifyPolicy};

/// Longest time a V4 POST signature stays valid after its `x-oss-date` (7 days).
pub const MAX_POST_V4_VALIDITY: chrono::Duration = chrono::Duration::days(7);

/// One condition of a POST policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// `{"field": "value"}`: the field equals the value.
    Exact {
        /// Form field name (without `$`), compared case-insensitively.
        field: String,
        /// Required value (case-sensitive).
        value: String,
    },
    /// `["eq", "$field", "value"]`.
    Eq {
        /// Form field name (without `$`).
        field: String,
        /// Required value.
        value: String,
    },
    /// `["starts-with", "$field", "prefix"]`.
    StartsWith {
        /// Form field name (without `$`).
        field: String,
        /// Required prefix (empty allows anything).
        prefix: String,
    },
    /// `["content-length-range", min, max]`: the file size in bytes.
    ContentLengthRange {
        /// Smallest accepted size.
        min: u64,
        /// Largest accepted size.
        max: u64,
    },
    /// `["in", "$field", ["a", "b"]]`.
    In {
        /// Form field name (without `$`).
        field: String,
        /// Accepted values.
        values: Vec<String>,
    },
    /// `["not-in", "$field", ["a", "b"]]`.
    NotIn {
        /// Form field name (without `$`).
        field: String,
        /// Refused values.
        values: Vec<String>,
    },
}

impl Condition {
    fn to_json(&self) -> Value {
        let dollar = |f: &str| format!("${f}");
        match self {
            Condition::Exact { field, value } => json!({ field.as_str(): value }),
            Condition::Eq { field, value } => json!(["eq", dollar(field), value]),
            Condition::StartsWith { field, prefix } => {
                json!(["starts-with", dollar(field), prefix])
            }
            Condition::ContentLengthRange { min, max } => json!(["content-length-range", min, max]),
            Condition::In { field, values } => json!(["in", dollar(field), values]),
            Condition::NotIn { field, values } => json!(["not-in", dollar(field), values]),
        }
    }
}

/// A PostObject policy: an expiration and the conditions the form must meet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostPolicy {
    /// When the policy stops being accepted.
    pub expiration: DateTime<Utc>,
    /// The conditions, in order.
    pub conditions: Vec<Condition>,
}

impl PostPolicy {
    /// An empty policy expiring at `expiration`.
    pub fn new(expiration: DateTime<Utc>) -> Self {
        PostPolicy {
            expiration,
            conditions: Vec::new(),
        }
    }

    /// Adds `{"bucket": name}`.
    pub fn bucket(self, name: &str) -> Self {
        self.exact("bucket", name)
    }

    /// Adds `{"field": value}`.
    pub fn exact(mut self, field: &str, value: &str) -> Self {
        self.conditions.push(Condition::Exact {
            field: field.to_owned(),
            value: value.to_owned(),
        });
        self
    }

    /// Adds `["eq", "$field", value]`.
    pub fn eq(mut self, field: &str, value: &str) -> Self {
        self.conditions.push(Condition::Eq {
            field: field.to_owned(),
            value: value.to_owned(),
        });
        self
    }

    /// Adds `["starts-with", "$field", prefix]`.
    pub fn starts_with(mut self, field: &str, prefix: &str) -> Self {
        self.conditions.push(Condition::StartsWith {
            field: field.to_owned(),
            prefix: prefix.to_owned(),
        });
        self
    }

    /// Adds `["content-length-range", min, max]`.
    pub fn content_length_range(mut self, min: u64, max: u64) -> Self {
        self.conditions
            .push(Condition::ContentLengthRange { min, max });
        self
    }

    /// Adds `["in", "$field", values]`.
    pub fn one_of<S: AsRef<str>>(mut self, field: &str, values: &[S]) -> Self {
        self.conditions.push(Condition::In {
            field: field.to_owned(),
            values: values.iter().map(|v| v.as_ref().to_owned()).collect(),
        });
        self
    }

    /// Adds `["not-in", "$field", values]`.
    pub fn none_of<S: AsRef<str>>(mut self, field: &str, values: &[S]) -> Self {
        self.conditions.push(Condition::NotIn {
            field: field.to_owned(),
            values: values.iter().map(|v| v.as_ref().to_owned()).collect(),
        });
        self
    }

    /// The policy document as JSON text.
    pub fn to_json(&self) -> String {
        let doc = json!({
            "expiration": self.expiration.to_rfc3339_opts(SecondsFormat::Millis, true),
            "conditions": self.conditions.iter().map(Condition::to_json).collect::<Vec<_>>(),
        });
        doc.to_string()
    }

    /// The `policy` form field: base64 of the JSON document.
    pub fn encode(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.to_json())
    }

    /// Signs the policy with `version` at `now` (`region` is a V4 input; V1 ignores it and
    /// `now`): [`sign_v4`](Self::sign_v4) or [`sign_v1`](Self::sign_v1).
    pub fn sign(
        &self,
        version: SignatureVersion,
        creds: &Credentials,
        region: &str,
        now: DateTime<Utc>,
    ) -> Result<PostFormFields, SignError> {
        match version {
            SignatureVersion::V4 => self.sign_v4(creds, region, now),
            SignatureVersion::V1 => Ok(self.sign_v1(creds)),
        }
    }

    /// Signs the policy with V4 and returns the form fields to send (`policy`,
    /// `x-oss-signature-version`, `x-oss-credential`, `x-oss-date`, `x-oss-signature`, and
    /// `x-oss-security-token` for STS credentials). The matching conditions are added to the
    /// policy, as OSS requires.
    pub fn sign_v4(
        &self,
        creds: &Credentials,
        region: &str,
        now: DateTime<Utc>,
    ) -> Result<PostFormFields, SignError> {
        validate_region(region)?;
        let datetime = iso8601_basic(now);
        let date = &datetime[..8];
        let credential = format!("{}/{}", creds.access_key_id, scope(date, region));
        let mut policy = self.clone();
        policy = policy
            .exact("x-oss-signature-version", ALGORITHM_V4)
            .exact("x-oss-credential", &credential)
            .exact("x-oss-date", &datetime);
        if let Some(token) = &creds.security_token {
            policy = policy.exact("x-oss-security-token", token.expose());
        }
        let encoded = policy.encode();
        let key = SigningKey::derive_cached(creds.access_key_secret.expose(), date, region);
        let signature = key.sign_hex(&encoded);
        let mut fields = vec![
            ("policy".to_owned(), encoded),
            (
                "x-oss-signature-version".to_owned(),
                ALGORITHM_V4.to_owned(),
            ),
            ("x-oss-credential".to_owned(), credential),
            ("x-oss-date".to_owned(), datetime.clone()),
        ];
        if let Some(token) = &creds.security_token {
            fields.push(("x-oss-security-token".to_owned(), token.expose().to_owned()));
        }
        fields.push(("x-oss-signature".to_owned(), signature));
        Ok(PostFormFields { fields })
    }

    /// Signs the policy with V1 and returns the form fields to send (`OSSAccessKeyId`,
    /// `policy`, `Signature`, and `x-oss-security-token` for STS credentials).
    pub fn sign_v1(&self, creds: &Credentials) -> PostFormFields {
        let encoded = self.encode();
        let signature = signature_v1(creds.access_key_secret.expose(), &encoded);
        let mut fields = vec![
            ("OSSAccessKeyId".to_owned(), creds.access_key_id.clone()),
            ("policy".to_owned(), encoded),
            ("Signature".to_owned(), signature),
        ];
        if let Some(token) = &creds.security_token {
            fields.push(("x-oss-security-token".to_owned(), token.expose().to_owned()));
        }
        PostFormFields { fields }
    }

    /// Decodes a `policy` form field (base64 JSON).
    pub fn decode(encoded: &str) -> Result<PostPolicy, PostPolicyError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|e| bad_document(format!("the policy is not valid base64: {e}")))?;
        let doc: Value = serde_json::from_slice(&bytes)
            .map_err(|e| bad_document(format!("the policy is not valid JSON: {e}")))?;
        Self::from_json(&doc)
    }

    fn from_json(doc: &Value) -> Result<PostPolicy, PostPolicyError> {
        let expiration_text = doc
            .get("expiration")
            .and_then(Value::as_str)
            .ok_or_else(|| bad_document("the policy has no \"expiration\" string"))?;
        let expiration = DateTime::parse_from_rfc3339(expiration_text)
            .map_err(|_| {
                bad_document(format!(
                    "expiration {expiration_text:?} is not an ISO 8601 time such as 2023-12-03T13:00:00.000Z"
                ))
            })?
            .with_timezone(&Utc);
        let list = doc
            .get("conditions")
            .and_then(Value::as_array)
            .ok_or_else(|| bad_document("the policy has no \"conditions\" array"))?;
        if list.is_empty() {
            return Err(bad_document("the policy's conditions must not be empty"));
        }
        let mut conditions = Vec::with_capacity(list.len());
        for (i, c) in list.iter().enumerate() {
            parse_condition(c, i, &mut conditions)?;
        }
        Ok(PostPolicy {
            expiration,
            conditions,
        })
    }
}

fn string_of(v: &Value, i: usize, what: &str) -> Result<String, PostPolicyError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(bad_document(format!(
            "condition {i}: {what} must be a string"
        ))),
    }
}

fn field_of(v: &Value, i: usize) -> Result<String, PostPolicyError> {
    let s = string_of(v, i, "the field")?;
    s.strip_prefix('$')
        .map(str::to_owned)
        .ok_or_else(|| bad_document(format!("condition {i}: field {s:?} must start with '$'")))
}

fn parse_condition(c: &Value, i: usize, out: &mut Vec<Condition>) -> Result<(), PostPolicyError> {
    match c {
        Value::Object(map) => {
            if map.is_empty() {
                return Err(bad_document(format!("condition {i} is an empty object")));
            }
            for (field, value) in map {
                out.push(Condition::Exact {
                    field: field.clone(),
                    value: string_of(value, i, "the value")?,
                });
            }
            Ok(())
        }
        Value::Array(items) => {
            let op = items
                .first()
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    bad_document(format!(
                        "condition {i}: the first element must name the operator"
                    ))
                })?
                .to_ascii_lowercase();
            if items.len() != 3 {
                return Err(bad_document(format!(
                    "condition {i} ({op}) must have exactly 3 elements, found {}",
                    items.len()
                )));
            }
            let list_of = |v: &Value| -> Result<Vec<String>, PostPolicyError> {
                v.as_array()
                    .ok_or_else(|| {
                        bad_document(format!("condition {i} ({op}): the values must be an array"))
                    })?
                    .iter()
                    .map(|x| string_of(x, i, "each value"))
                    .collect()
            };
            let cond = match op.as_str() {
                "eq" => Condition::Eq {
                    field: field_of(&items[1], i)?,
                    value: string_of(&items[2], i, "the value")?,
                },
                "starts-with" => Condition::StartsWith {
                    field: field_of(&items[1], i)?,
                    prefix: string_of(&items[2], i, "the prefix")?,
                },
                "content-length-range" => {
                    let n = |v: &Value| {
                        v.as_u64()
                            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                            .ok_or_else(|| {
                                bad_document(format!(
                                    "condition {i}: content-length-range bounds must be non-negative integers"
                                ))
                            })
                    };
                    let (min, max) = (n(&items[1])?, n(&items[2])?);
                    if min > max {
                        return Err(bad_document(format!(
                            "condition {i}: content-length-range minimum {min} exceeds maximum {max}"
                        )));
                    }
                    Condition::ContentLengthRange { min, max }
                }
                "in" => Condition::In {
                    field: field_of(&items[1], i)?,
                    values: list_of(&items[2])?,
                },
                "not-in" => Condition::NotIn {
                    field: field_of(&items[1], i)?,
                    values: list_of(&items[2])?,
                },
                other => {
                    return Err(bad_document(format!(
                        "condition {i}: unknown operator {other:?}"
                    )))
                }
            };
            out.push(cond);
            Ok(())
        }
        _ => Err(bad_document(format!(
            "condition {i} must be an object or an array"
        ))),
    }
}

/// Signed form fields to send with a PostObject upload (before the `file` field).
#[derive(Clone)]
pub struct PostFormFields {
    /// Field names and values, in a sensible sending order.
    pub fields: Vec<(String, String)>,
}

impl PostFormFields {
    /// The value of field `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Debug for PostFormFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: Vec<(&str, &str)> = self
            .fields
            .iter()
            .map(|(n, v)| {
                let secret = ["signature", "x-oss-signature", "x-oss-security-token"]
                    .iter()
                    .any(|s| n.eq_ignore_ascii_case(s));
                (n.as_str(), if secret { "******" } else { v.as_str() })
            })
            .collect();
        f.debug_struct("PostFormFields")
            .field("fields", &shown)
            .finish()
    }
}

/// Why a PostObject form was refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PostPolicyError {
    /// The policy cannot be decoded or is malformed.
    #[error("invalid policy document: {reason}")]
    InvalidPolicyDocument {
        /// What is wrong.
        reason: String,
    },
    /// A required signature field is missing or malformed.
    #[error("{reason}")]
    InvalidArgument {
        /// What is wrong.
        reason: String,
    },
    /// The AccessKeyId is unknown.
    #[error("the OSS access key id {access_key_id:?} you provided does not exist in our records")]
    InvalidAccessKeyId {
        /// The AccessKeyId given.
        access_key_id: String,
    },
    /// The STS token does not belong to the credentials.
    #[error("the security token you provided for access key id {access_key_id:?} is invalid")]
    InvalidSecurityToken {
        /// The AccessKeyId given.
        access_key_id: String,
    },
    /// The signature over the policy does not match.
    #[error("the {version} signature of the POST policy for access key id {access_key_id:?} does not match the one calculated; string to sign is the policy field")]
    SignatureDoesNotMatch {
        /// The AccessKeyId given.
        access_key_id: String,
        /// Signature version used.
        version: SignatureVersion,
        /// The policy (base64) that was signed: the string to sign.
        string_to_sign: String,
        /// The signature the form carried.
        signature_provided: Secret,
    },
    /// The policy or the V4 signature time has expired, or the signature time is in the future.
    #[error("Invalid according to Policy: {reason}")]
    Expired {
        /// What expired and when.
        reason: String,
    },
    /// A condition was not met.
    #[error("Invalid according to Policy: Policy Condition failed: {condition}")]
    ConditionFailed {
        /// The condition, as JSON.
        condition: String,
    },
    /// The file is larger than content-length-range allows.
    #[error(
        "Your proposed upload of {size} bytes exceeds the maximum of {max} allowed by the policy"
    )]
    EntityTooLarge {
        /// File size.
        size: u64,
        /// Allowed maximum.
        max: u64,
    },
    /// The file is smaller than content-length-range allows.
    #[error("Your proposed upload of {size} bytes is smaller than the minimum of {min} allowed by the policy")]
    EntityTooSmall {
        /// File size.
        size: u64,
        /// Allowed minimum.
        min: u64,
    },
}

impl PostPolicyError {
    /// The OSS error code to answer with.
    pub fn code(&self) -> &'static str {
        match self {
            PostPolicyError::InvalidPolicyDocument { .. } => "InvalidPolicyDocument",
            PostPolicyError::InvalidArgument { .. } => "InvalidArgument",
            PostPolicyError::InvalidAccessKeyId { .. }
            | PostPolicyError::InvalidSecurityToken { .. } => "InvalidAccessKeyId",
            PostPolicyError::SignatureDoesNotMatch { .. } => "SignatureDoesNotMatch",
            PostPolicyError::Expired { .. } | PostPolicyError::ConditionFailed { .. } => {
                "AccessDenied"
            }
            PostPolicyError::EntityTooLarge { .. } => "EntityTooLarge",
            PostPolicyError::EntityTooSmall { .. } => "EntityTooSmall",
        }
    }

    /// The HTTP status to answer with.
    pub fn status(&self) -> u16 {
        match self {
            PostPolicyError::InvalidAccessKeyId { .. }
            | PostPolicyError::InvalidSecurityToken { .. }
            | PostPolicyError::SignatureDoesNotMatch { .. }
            | PostPolicyError::Expired { .. }
            | PostPolicyError::ConditionFailed { .. } => 403,
            _ => 400,
        }
    }
}

fn bad_document(reason: impl Into<String>) -> PostPolicyError {
    PostPolicyError::InvalidPolicyDocument {
        reason: reason.into(),
    }
}

fn invalid(reason: impl Into<String>) -> PostPolicyError {
    PostPolicyError::InvalidArgument {
        reason: reason.into(),
    }
}

/// A received PostObject form, as a server sees it.
#[derive(Debug, Clone, Copy)]
pub struct ReceivedPost<'a> {
    /// The bucket the form was posted to.
    pub bucket: &'a str,
    /// All form fields except `file`, as submitted (names compared case-insensitively).
    pub fields: &'a [(String, String)],
    /// Size of the uploaded file in bytes.
    pub file_size: u64,
}

impl ReceivedPost<'_> {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Checks a PostObject form: its signature (V4 or V1), the policy's expiry and every condition.
///
/// A form without `policy` and without signature fields is [`Verified::Anonymous`] (allowed only
/// on public-read-write buckets; that is the caller's decision).
pub fn verify_post(
    post: &ReceivedPost<'_>,
    policy: &VerifyPolicy,
    lookup: &dyn Fn(&str) -> Option<Credentials>,
) -> Result<Verified, PostPolicyError> {
    let encoded = match post.field("policy") {
        Some(p) => p,
        None => {
            if post.field("Signature").is_some()
                || post.field("x-oss-signature").is_some()
                || post.field("OSSAccessKeyId").is_some()
            {
                return Err(invalid("the form carries a signature but no policy field"));
            }
            return Ok(Verified::Anonymous);
        }
    };
    let verified = if let Some(version) = post.field("x-oss-signature-version") {
        if version != ALGORITHM_V4 {
            return Err(invalid(format!(
                "x-oss-signature-version {version:?} is not supported; expected {ALGORITHM_V4:?}"
            )));
        }
        verify_post_v4(post, encoded, policy, lookup)?
    } else if post.field("OSSAccessKeyId").is_some() {
        verify_post_v1(post, encoded, lookup)?
    } else {
        return Err(invalid(
            "the form has a policy but neither OSSAccessKeyId (V1) nor x-oss-signature-version (V4)",
        ));
    };
    let decoded = PostPolicy::decode(encoded)?;
    if policy.now > decoded.expiration {
        return Err(PostPolicyError::Expired {
            reason: format!(
                "Policy expired at {}, the server time is {}",
                decoded.expiration, policy.now
            ),
        });
    }
    for condition in &decoded.conditions {
        check_condition(condition, post)?;
    }
    Ok(verified)
}

fn check_token(post: &ReceivedPost<'_>, creds: &Credentials) -> Result<(), PostPolicyError> {
    let provided = post.field("x-oss-security-token");
    let ok = match (&creds.security_token, provided) {
        (None, None) => true,
        (Some(expected), Some(given)) => {
            expected.expose().as_bytes().ct_eq(given.as_bytes()).into()
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(PostPolicyError::InvalidSecurityToken {
            access_key_id: creds.access_key_id.clone(),
        })
    }
}

fn verify_post_v4(
    post: &ReceivedPost<'_>,
    encoded: &str,
    policy: &VerifyPolicy,
    lookup: &dyn Fn(&str) -> Option<Credentials>,
) -> Result<Verified, PostPolicyError> {
    let need = |name: &str| {
        post.field(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| invalid(format!("the form lacks the {name} field")))
    };
    let credential = need("x-oss-credential")?;
    let datetime = need("x-oss-date")?;
    let signature = need("x-oss-signature")?;
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, product, terminator] = parts.as_slice() else {
        return Err(invalid(format!(
            "x-oss-credential {credential:?} must be AccessKeyId/yyyymmdd/region/oss/aliyun_v4_request"
        )));
    };
    if *product != PRODUCT || *terminator != SCOPE_TERMINATOR {
        return Err(invalid(format!(
            "x-oss-credential {credential:?} has a bad scope"
        )));
    }
    if *region != policy.region {
        return Err(invalid(format!(
            "invalid signing region {region:?} in x-oss-credential; this server expects {:?}",
            policy.region
        )));
    }
    let signed_at = parse_iso8601_basic(datetime)
        .ok_or_else(|| invalid(format!("x-oss-date {datetime:?} is not yyyymmddTHHMMSSZ")))?;
    if datetime.get(..8) != Some(*date) {
        return Err(invalid(format!(
            "the credential date {date:?} is not the day of x-oss-date {datetime:?}"
        )));
    }
    let skew = chrono::Duration::from_std(policy.max_skew).unwrap_or(chrono::Duration::minutes(15));
    if policy.now
        < signed_at
            .checked_sub_signed(skew)
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    {
        return Err(PostPolicyError::Expired {
            reason: format!(
                "x-oss-date {signed_at} is more than {} s ahead of the server time {}",
                skew.num_seconds(),
                policy.now
            ),
        });
    }
    if policy.now
        > signed_at
            .checked_add_signed(MAX_POST_V4_VALIDITY)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    {
        return Err(PostPolicyError::Expired {
            reason: format!(
                "the signature from {signed_at} is older than 7 days (server time {})",
                policy.now
            ),
        });
    }
    let creds = lookup(access_key_id).ok_or_else(|| PostPolicyError::InvalidAccessKeyId {
        access_key_id: (*access_key_id).to_owned(),
    })?;
    check_token(post, &creds)?;
    let key = SigningKey::derive_cached(creds.access_key_secret.expose(), date, region);
    let expected = key.sign_hex(encoded);
    let provided = signature.to_ascii_lowercase();
    if !bool::from(expected.as_bytes().ct_eq(provided.as_bytes())) {
        return Err(PostPolicyError::SignatureDoesNotMatch {
            access_key_id: (*access_key_id).to_owned(),
            version: SignatureVersion::V4,
            string_to_sign: encoded.to_owned(),
            signature_provided: Secret::new(signature),
        });
    }
    Ok(Verified::Authenticated {
        access_key_id: (*access_key_id).to_owned(),
        version: SignatureVersion::V4,
        presigned: false,
    })
}

fn verify_post_v1(
    post: &ReceivedPost<'_>,
    encoded: &str,
    lookup: &dyn Fn(&str) -> Option<Credentials>,
) -> Result<Verified, PostPolicyError> {
    let access_key_id = post.field("OSSAccessKeyId").unwrap_or("");
    let signature = post
        .field("Signature")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid("the form lacks the Signature field"))?;
    let creds = lookup(access_key_id).ok_or_else(|| PostPolicyError::InvalidAccessKeyId {
        access_key_id: access_key_id.to_owned(),
    })?;
    check_token(post, &creds)?;
    let expected = signature_v1(creds.access_key_secret.expose(), encoded);
    if !bool::from(expected.as_bytes().ct_eq(signature.as_bytes())) {
        return Err(PostPolicyError::SignatureDoesNotMatch {
            access_key_id: access_key_id.to_owned(),
            version: SignatureVersion::V1,
            string_to_sign: encoded.to_owned(),
            signature_provided: Secret::new(signature),
        });
    }
    Ok(Verified::Authenticated {
        access_key_id: access_key_id.to_owned(),
        version: SignatureVersion::V1,
        presigned: false,
    })
}

fn check_condition(c: &Condition, post: &ReceivedPost<'_>) -> Result<(), PostPolicyError> {
    // The bucket is not a form field: it is where the form was posted.
    let value_of = |field: &str| -> String {
        if field.eq_ignore_ascii_case("bucket") {
            post.bucket.to_owned()
        } else {
            post.field(field).unwrap_or("").to_owned()
        }
    };
    let ok = match c {
        Condition::Exact { field, value } | Condition::Eq { field, value } => {
            value_of(field) == *value
        }
        Condition::StartsWith { field, prefix } => value_of(field).starts_with(prefix.as_str()),
        Condition::ContentLengthRange { min, max } => {
            if post.file_size > *max {
                return Err(PostPolicyError::EntityTooLarge {
                    size: post.file_size,
                    max: *max,
                });
            }
            if post.file_size < *min {
                return Err(PostPolicyError::EntityTooSmall {
                    size: post.file_size,
                    min: *min,
                });
            }
            true
        }
        Condition::In { field, values } => values.contains(&value_of(field)),
        Condition::NotIn { field, values } => !values.contains(&value_of(field)),
    };
    if ok {
        Ok(())
    } else {
        Err(PostPolicyError::ConditionFailed {
            condition: redact_condition(c),
        })
    }
}

/// A condition as JSON, with an STS token value masked.
fn redact_condition(c: &Condition) -> String {
    match c {
        Condition::Exact { field, .. } if field.eq_ignore_ascii_case("x-oss-security-token") => {
            json!({ field.as_str(): "******" }).to_string()
        }
        other => other.to_json().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.timestamp_opt(1701605532, 0).unwrap()
    }

    #[test]
    fn json_round_trips_every_condition() {
        let p = PostPolicy::new(Utc.timestamp_opt(1701608400, 0).unwrap())
            .bucket("examplebucket")
            .content_length_range(1, 1024)
            .eq("success_action_status", "201")
            .starts_with("key", "user/eric/")
            .one_of("content-type", &["image/jpg", "image/png"])
            .none_of("cache-control", &["no-cache"]);
        let json = p.to_json();
        assert!(json.starts_with(
            "{\"conditions\":[{\"bucket\":\"examplebucket\"},[\"content-length-range\",1,1024]"
        ));
        assert!(json.contains("\"expiration\":\"2023-12-03T13:00:00.000Z\""));
        assert_eq!(PostPolicy::decode(&p.encode()).unwrap(), p);
    }

    #[test]
    fn malformed_documents_are_rejected() {
        let enc = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        for bad in [
            "not json",
            r#"{"conditions":[{"a":"b"}]}"#,
            r#"{"expiration":"2023-12-03T13:00:00.000Z","conditions":[]}"#,
            r#"{"expiration":"2023-12-03T13:00:00.000Z","conditions":[["eq","$a"]]}"#,
            r#"{"expiration":"2023-12-03T13:00:00.000Z","conditions":[["eq","a","b"]]}"#,
            r#"{"expiration":"2023-12-03T13:00:00.000Z","conditions":[["bogus","$a","b"]]}"#,
            r#"{"expiration":"2023-12-03T13:00:00.000Z","conditions":[["content-length-range",5,1]]}"#,
            r#"{"expiration":"yesterday","conditions":[{"a":"b"}]}"#,
        ] {
            let err = PostPolicy::decode(&enc(bad)).unwrap_err();
            assert_eq!(err.code(), "InvalidPolicyDocument", "{bad}");
        }
        assert!(PostPolicy::decode("%%%").is_err());
    }

    #[test]
    fn sign_v1_fields() {
        let creds = Credentials::new("ak", "sk").with_security_token("tok");
        let p = PostPolicy::new(now()).bucket("b");
        let form = p.sign_v1(&creds);
        assert_eq!(form.get("OSSAccessKeyId"), Some("ak"));
        assert_eq!(
            form.get("Signature"),
            Some(signature_v1("sk", &p.encode()).as_str())
        );
        assert_eq!(form.get("x-oss-security-token"), Some("tok"));
        let dbg = format!("{form:?}");
        assert!(!dbg.contains("tok\"") && !dbg.contains(&signature_v1("sk", &p.encode())));
    }

    #[test]
    fn v4_policy_carries_signing_conditions() {
        let creds = Credentials::new("ak", "sk");
        let form = PostPolicy::new(now() + chrono::Duration::hours(1))
            .bucket("b")
            .sign_v4(&creds, "cn-hangzhou", now())
            .unwrap();
        let decoded = PostPolicy::decode(form.get("policy").unwrap()).unwrap();
        assert!(decoded.conditions.contains(&Condition::Exact {
            field: "x-oss-date".into(),
            value: "20231203T121212Z".into()
        }));
        assert!(decoded.conditions.contains(&Condition::Exact {
            field: "x-oss-credential".into(),
            value: "ak/20231203/cn-hangzhou/oss/aliyun_v4_request".into()
        }));
        assert!(PostPolicy::new(now())
            .sign_v4(&creds, "oss-cn-hangzhou", now())
            .is_err());
    }
}
