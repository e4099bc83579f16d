//! Parsing the `Authorization` header in every spelling the official SDKs send.
//!
//! * V1: `OSS <AccessKeyId>:<Signature>`.
//! * V4: `OSS4-HMAC-SHA256 Credential=...,AdditionalHeaders=...,Signature=...` with `,` or `, `
//!   separators and the fields in any order (`AdditionalHeaders` optional).

use super::v4::ALGORITHM_V4;

/// A parsed V4 Authorization header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V4Authorization<'a> {
    /// `AK/yyyymmdd/region/oss/aliyun_v4_request`.
    pub credential: &'a str,
    /// The `;`-joined AdditionalHeaders list, if given.
    pub additional_headers: Option<&'a str>,
    /// The hex signature.
    pub signature: &'a str,
}

/// A parsed Authorization header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authorization<'a> {
    /// `OSS ak:signature`.
    V1 {
        /// The AccessKeyId.
        access_key_id: &'a str,
        /// The base64 signature.
        signature: &'a str,
    },
    /// `OSS4-HMAC-SHA256 ...`.
    V4(V4Authorization<'a>),
}

/// Why an Authorization header could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed Authorization header: {reason}")]
pub struct MalformedAuthorization {
    /// What is wrong.
    pub reason: String,
}

fn malformed(reason: impl Into<String>) -> MalformedAuthorization {
    MalformedAuthorization {
        reason: reason.into(),
    }
}

/// Parses an Authorization header value.
///
/// ```
/// use jitstore_oss::sign::{parse_authorization, Authorization};
/// let a = parse_authorization(
///     "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request, Signature=abc, AdditionalHeaders=host",
/// ).unwrap();
/// match a {
///     Authorization::V4(v4) => assert_eq!(v4.additional_headers, Some("host")),
///     _ => unreachable!(),
/// }
/// ```
pub fn parse_authorization(value: &str) -> Result<Authorization<'_>, MalformedAuthorization> {
    let value = value.trim();
    let (scheme, rest) = value
        .split_once(' ')
        .ok_or_else(|| malformed("expected '<algorithm> <credentials>'"))?;
    let rest = rest.trim_start();
    match scheme {
        "OSS" => {
            let (ak, sig) = rest
                .split_once(':')
                .ok_or_else(|| malformed("V1 form is 'OSS <AccessKeyId>:<Signature>'"))?;
            if ak.is_empty() || sig.is_empty() {
                return Err(malformed("V1 AccessKeyId or Signature is empty"));
            }
            Ok(Authorization::V1 {
                access_key_id: ak,
                signature: sig,
            })
        }
        s if s == ALGORITHM_V4 => {
            let mut credential = None;
            let mut additional = None;
            let mut signature = None;
            for field in rest.split(',') {
                let field = field.trim();
                if field.is_empty() {
                    continue;
                }
                let (k, v) = field
                    .split_once('=')
                    .ok_or_else(|| malformed(format!("field {field:?} is not 'Name=value'")))?;
                let slot = match k.trim() {
                    "Credential" => &mut credential,
                    "AdditionalHeaders" => &mut additional,
                    "Signature" => &mut signature,
                    other => return Err(malformed(format!("unknown field {other:?}"))),
                };
                if slot.replace(v.trim()).is_some() {
                    return Err(malformed(format!("field {} appears twice", k.trim())));
                }
            }
            let credential = credential
                .filter(|c| !c.is_empty())
                .ok_or_else(|| malformed("the Credential field is missing"))?;
            let signature = signature
                .filter(|s| !s.is_empty())
                .ok_or_else(|| malformed("the Signature field is missing"))?;
            Ok(Authorization::V4(V4Authorization {
                credential,
                additional_headers: additional,
                signature,
            }))
        }
        other => Err(malformed(format!(
            "unsupported signature algorithm {other:?}; expected OSS4-HMAC-SHA256 or OSS"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sdk_spelling_parses() {
        let cred = "ak/20231216/cn-hangzhou/oss/aliyun_v4_request";
        for s in [
            format!("OSS4-HMAC-SHA256 Credential={cred},AdditionalHeaders=abc;zabc,Signature=4a41"),
            format!(
                "OSS4-HMAC-SHA256 Credential={cred}, AdditionalHeaders=abc;zabc, Signature=4a41"
            ),
            format!(
                "OSS4-HMAC-SHA256 Credential={cred}, Signature=4a41, AdditionalHeaders=abc;zabc"
            ),
        ] {
            assert_eq!(
                parse_authorization(&s).unwrap(),
                Authorization::V4(V4Authorization {
                    credential: cred,
                    additional_headers: Some("abc;zabc"),
                    signature: "4a41"
                })
            );
        }
        assert_eq!(
            parse_authorization("OSS ak:kSHKmLxlyEAKtZPkJhG9bZb5k7M=").unwrap(),
            Authorization::V1 {
                access_key_id: "ak",
                signature: "kSHKmLxlyEAKtZPkJhG9bZb5k7M="
            }
        );
    }

    #[test]
    fn malformed_headers_are_rejected() {
        for bad in [
            "",
            "OSS",
            "OSS ak",
            "OSS :sig",
            "AWS ak:sig",
            "OSS4-HMAC-SHA256 Signature=abc",
            "OSS4-HMAC-SHA256 Credential=a/b/c/d/e",
            "OSS4-HMAC-SHA256 Credential=x,Signature=a,Signature=b",
            "OSS4-HMAC-SHA256 Credential=x,Bogus=1,Signature=a",
            "OSS4-HMAC-SHA256 Credential=x Signature=a",
        ] {
            assert!(
                parse_authorization(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }
}
