//! Masking of secrets in text that is about to be printed: canonical requests, strings to
//! sign, URLs and header lines in errors, logs and `--explain` output.
//!
//! A secret is the value of a query parameter (`name=value`) or a header line (`name:value`)
//! whose name, compared case-insensitively, is a signature, a session token or an
//! `Authorization` header (see [`is_secret_name`]). The AccessKey ID (`OSSAccessKeyId`,
//! `x-oss-credential`, `X-Amz-Credential`) is not a secret and stays readable: it names the
//! key to use when debugging a `SignatureDoesNotMatch`.
//!
//! ```
//! use jitstore_oss::sign::redact::redact_secrets;
//!
//! let url = "https://b.example/k?OSSAccessKeyId=ak&Expires=9&Signature=c2ln&security-token=dG9r";
//! assert_eq!(
//!     redact_secrets(url),
//!     "https://b.example/k?OSSAccessKeyId=ak&Expires=9&Signature=******&security-token=******"
//! );
//! ```

/// What a masked value is replaced with.
const MASK: &str = "******";

/// Header and query parameter names whose values are secret (lower case; compared
/// case-insensitively).
const SECRET_NAMES: [&str; 7] = [
    "authorization",
    "security-token",
    "signature",
    "x-amz-security-token",
    "x-amz-signature",
    "x-oss-security-token",
    "x-oss-signature",
];

/// Whether the value of the header or query parameter `name` is secret and must be masked
/// when printed. Case-insensitive.
///
/// ```
/// use jitstore_oss::sign::redact::is_secret_name;
///
/// assert!(is_secret_name("X-Amz-Security-Token"));
/// assert!(is_secret_name("Signature"));
/// assert!(!is_secret_name("OSSAccessKeyId"));
/// assert!(!is_secret_name("x-oss-signature-version"));
/// ```
pub fn is_secret_name(name: &str) -> bool {
    SECRET_NAMES.iter().any(|s| s.eq_ignore_ascii_case(name))
}

/// Masks every secret value in `text` (see the [module documentation](self)), keeping
/// everything else as it was.
///
/// A name counts only as a whole word (`my-signature=` is kept); a `name=value` value ends at
/// the next `&` or line end, a `name:value` value at the line end, so a decoded token holding
/// spaces or `=` is masked whole.
pub fn redact_secrets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut copied = 0;
    let mut at = 0;
    while at < bytes.len() {
        if !is_name_byte(bytes[at]) {
            at += 1;
            continue;
        }
        let name_end = at + bytes[at..].iter().take_while(|b| is_name_byte(**b)).count();
        let separator = bytes.get(name_end).copied();
        if matches!(separator, Some(b'=' | b':')) && is_secret_name(&text[at..name_end]) {
            let value_start = name_end + 1;
            let value = &text[value_start..];
            let value_len = match separator {
                Some(b'=') => value.find(['&', '\n']),
                _ => value.find('\n'),
            }
            .unwrap_or(value.len());
            out.push_str(&text[copied..value_start]);
            out.push_str(MASK);
            copied = value_start + value_len;
            at = copied;
        } else {
            at = name_end;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// A byte of a header or query parameter name.
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_is_case_insensitive_and_covers_signatures_and_tokens() {
        let cases = [
            (
                "GET\n/b/k\nX-Amz-Date=1&X-Amz-Security-Token=SECRET%2Fx&X-Amz-SignedHeaders=host\nhost:h",
                "GET\n/b/k\nX-Amz-Date=1&X-Amz-Security-Token=******&X-Amz-SignedHeaders=host\nhost:h",
            ),
            ("a\nx-amz-security-token=SECRET\nb", "a\nx-amz-security-token=******\nb"),
            ("X-Oss-Security-Token:SECRET\n/b/k", "X-Oss-Security-Token:******\n/b/k"),
            (
                "http://h/b/k?Expires=9&OSSAccessKeyId=ak&Signature=SECRET%3D&Security-Token=SECRET2",
                "http://h/b/k?Expires=9&OSSAccessKeyId=ak&Signature=******&Security-Token=******",
            ),
            (
                "https://h/k?x-oss-credential=ak%2F20250101&x-oss-signature-version=OSS4-HMAC-SHA256&X-OSS-Signature=SECRET",
                "https://h/k?x-oss-credential=ak%2F20250101&x-oss-signature-version=OSS4-HMAC-SHA256&X-OSS-Signature=******",
            ),
            (
                "https://s3/k?X-Amz-Credential=AKIA%2Fx&X-Amz-Signature=SECRET",
                "https://s3/k?X-Amz-Credential=AKIA%2Fx&X-Amz-Signature=******",
            ),
            (
                "authorization: OSS4-HMAC-SHA256 Credential=ak/d/r/oss/aliyun_v4_request,Signature=SECRET\nnext",
                "authorization:******\nnext",
            ),
            (
                "/bucket/key?security-token=attachment; /file/name==SECRET++&versionId=v",
                "/bucket/key?security-token=******&versionId=v",
            ),
            (
                "SignatureDoesNotMatch: the signature-version and my-signature=kept stay",
                "SignatureDoesNotMatch: the signature-version and my-signature=kept stay",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(redact_secrets(text), expected, "{text}");
            assert!(!redact_secrets(text).contains("SECRET"), "{text}");
        }
    }

    #[test]
    fn redaction_masks_tokens_only() {
        let s = "GET\nx-oss-security-token:tok\n/b/k?security-token=tok&versionId=v";
        let r = redact_secrets(s);
        assert!(!r.contains("tok\n") && !r.contains("=tok"));
        assert!(r.contains("versionId=v"));
        let q = "a=1&x-oss-security-token=abc&z";
        assert_eq!(redact_secrets(q), "a=1&x-oss-security-token=******&z");
    }
}
