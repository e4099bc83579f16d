//! Strict RFC 3986 percent-encoding as OSS signs it, and validation of bucket names and object
//! keys.
//!
//! OSS canonicalises paths and query strings with one rule: every byte of the UTF-8 text that is
//! not unreserved (`A-Z a-z 0-9 - _ . ~`) becomes `%XX` with upper-case hex. Paths keep `/`;
//! query names and values encode it (`%2F`). The client sends exactly these forms on the wire so
//! that the wire form and the canonical form coincide.
//!
//! ```
//! use jitstore_oss::encoding::{encode_strict, encode_path, object_path};
//!
//! assert_eq!(encode_strict("a b+c/d"), "a%20b%2Bc%2Fd");
//! assert_eq!(encode_path("1234+-/123/1.txt"), "1234%2B-/123/1.txt");
//! assert_eq!(object_path("photos/猫.jpg").unwrap(), "/photos/%E7%8C%AB.jpg");
//! ```

/// Upper-case hexadecimal digits used by every encoder in this module.
const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Longest object key OSS accepts, in bytes of UTF-8.
pub const MAX_OBJECT_KEY_BYTES: usize = 1023;

/// Whether `b` is an RFC 3986 unreserved byte (`A-Z a-z 0-9 - _ . ~`).
#[inline]
pub fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// Builds a 256-entry table saying which bytes are copied verbatim (unreserved, plus `/` when
/// `keep_slash`), so the encoder tests each byte with one load instead of a chain of ranges.
const fn verbatim_table(keep_slash: bool) -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        table[i] = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/');
        i += 1;
    }
    table
}

/// Bytes a query name or value keeps as they are.
const VERBATIM_QUERY: [bool; 256] = verbatim_table(false);
/// Bytes a path keeps as they are (the query set plus `/`).
const VERBATIM_PATH: [bool; 256] = verbatim_table(true);

/// Appends the strict percent-encoding of `input` to `out`; `/` is kept when `keep_slash`.
///
/// Runs of bytes that need no escaping are copied with one `push_str` each; the signer calls
/// this for every path and query part, so it avoids per-byte branching on the character class.
pub fn encode_into(out: &mut String, input: &str, keep_slash: bool) {
    let verbatim = if keep_slash {
        &VERBATIM_PATH
    } else {
        &VERBATIM_QUERY
    };
    let bytes = input.as_bytes();
    out.reserve(bytes.len());
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if verbatim[usize::from(b)] {
            continue;
        }
        if start < i {
            // The run [start, i) holds ASCII bytes only, so it is valid UTF-8 on its own (an
            // empty slice could start inside a character, hence the guard).
            out.push_str(&input[start..i]);
        }
        out.push('%');
        out.push(char::from(HEX_UPPER[usize::from(b >> 4)]));
        out.push(char::from(HEX_UPPER[usize::from(b & 0x0f)]));
        start = i + 1;
    }
    if start < bytes.len() {
        out.push_str(&input[start..]);
    }
}

/// Strict percent-encoding with `/` encoded too: the form of query names and values.
pub fn encode_strict(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + input.len() / 2);
    encode_into(&mut out, input, false);
    out
}

/// Strict percent-encoding that keeps `/`: the form of paths.
pub fn encode_path(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + input.len() / 2);
    encode_into(&mut out, input, true);
    out
}

/// A percent-encoded text that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A `%` was not followed by two hexadecimal digits.
    #[error("invalid percent-escape at byte {position} of {input:?}: '%' must be followed by two hex digits")]
    InvalidEscape {
        /// The text being decoded.
        input: String,
        /// Byte offset of the offending `%`.
        position: usize,
    },
    /// The decoded bytes are not valid UTF-8.
    #[error("percent-decoded bytes of {input:?} are not valid UTF-8")]
    InvalidUtf8 {
        /// The text being decoded.
        input: String,
    },
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes `input` into bytes. `+` stays a literal plus (OSS never treats it as a space).
pub fn decode_bytes(input: &str) -> Result<Vec<u8>, DecodeError> {
    decode_escapes(input, true)
}

/// The one percent-decoder: `%XX` becomes the byte `0xXX`, every other byte is copied. A `%`
/// not followed by two hex digits is an error when `strict`, else copied as it is.
fn decode_escapes(input: &str, strict: bool) -> Result<Vec<u8>, DecodeError> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex_value);
            let lo = bytes.get(i + 2).copied().and_then(hex_value);
            match (hi, lo) {
                (Some(hi), Some(lo)) => {
                    out.push((hi << 4) | lo);
                    i += 3;
                    continue;
                }
                _ if strict => {
                    return Err(DecodeError::InvalidEscape {
                        input: input.to_owned(),
                        position: i,
                    })
                }
                _ => {}
            }
        }
        out.push(b);
        i += 1;
    }
    Ok(out)
}

/// Lenient percent-decoding, as a server reads a request's query string: a `%` not followed by
/// two hex digits stays as it is, and bytes that are not UTF-8 become U+FFFD. Never fails.
///
/// ```
/// use jitstore_oss::encoding::decode_lossy;
///
/// assert_eq!(decode_lossy("a%20b+c"), "a b+c");
/// assert_eq!(decode_lossy("100%"), "100%");
/// assert_eq!(decode_lossy("%FF"), "\u{FFFD}");
/// ```
pub fn decode_lossy(input: &str) -> String {
    if !input.as_bytes().contains(&b'%') {
        return input.to_owned();
    }
    match decode_escapes(input, false) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        // Unreachable: only strict decoding fails; keep the text as it came.
        Err(_) => input.to_owned(),
    }
}

/// Percent-decodes `input` into UTF-8 text. `+` stays a literal plus.
pub fn decode(input: &str) -> Result<String, DecodeError> {
    decode_cow(input).map(std::borrow::Cow::into_owned)
}

/// [`decode`] that borrows `input` when it holds no escape (the common case for query names
/// and values), so nothing is allocated for it.
pub fn decode_cow(input: &str) -> Result<std::borrow::Cow<'_, str>, DecodeError> {
    if !input.as_bytes().contains(&b'%') {
        return Ok(std::borrow::Cow::Borrowed(input));
    }
    let bytes = decode_bytes(input)?;
    String::from_utf8(bytes)
        .map(std::borrow::Cow::Owned)
        .map_err(|_| DecodeError::InvalidUtf8 {
            input: input.to_owned(),
        })
}

/// Why an object key is not acceptable to OSS (`InvalidObjectName`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectKeyError {
    /// The key is the empty string.
    #[error("object key is empty; it must be 1 to 1023 bytes of UTF-8")]
    Empty,
    /// The key is longer than 1023 bytes.
    #[error("object key is {len} bytes long; OSS allows at most 1023 bytes of UTF-8")]
    TooLong {
        /// Length of the key in bytes.
        len: usize,
    },
    /// The key starts with `/` or `\`.
    #[error("object key {key:?} starts with {first:?}; keys must not start with '/' or '\\'")]
    BadFirstCharacter {
        /// The offending key.
        key: String,
        /// The first character.
        first: char,
    },
}

impl ObjectKeyError {
    /// The OSS error code this condition maps to.
    pub fn code(&self) -> &'static str {
        "InvalidObjectName"
    }
}

/// Checks the OSS object key rules: 1..=1023 bytes of UTF-8, not starting with `/` or `\`.
///
/// ```
/// use jitstore_oss::encoding::validate_object_key;
/// assert!(validate_object_key("a/b c+d").is_ok());
/// assert!(validate_object_key("/abs").is_err());
/// assert!(validate_object_key("").is_err());
/// ```
pub fn validate_object_key(key: &str) -> Result<(), ObjectKeyError> {
    if key.is_empty() {
        return Err(ObjectKeyError::Empty);
    }
    if key.len() > MAX_OBJECT_KEY_BYTES {
        return Err(ObjectKeyError::TooLong { len: key.len() });
    }
    match key.chars().next() {
        Some(first @ ('/' | '\\')) => Err(ObjectKeyError::BadFirstCharacter {
            key: key.to_owned(),
            first,
        }),
        _ => Ok(()),
    }
}

/// Why a bucket name is not acceptable to OSS (`InvalidBucketName`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BucketNameError {
    /// Length outside 3..=63.
    #[error("bucket name {name:?} is {len} characters long; it must be 3 to 63")]
    BadLength {
        /// The offending name.
        name: String,
        /// Its length in bytes.
        len: usize,
    },
    /// A character outside `[a-z0-9-]`.
    #[error("bucket name {name:?} contains {found:?}; only lower-case letters, digits and '-' are allowed")]
    BadCharacter {
        /// The offending name.
        name: String,
        /// The first character that is not allowed.
        found: char,
    },
    /// Starts or ends with `-`.
    #[error("bucket name {name:?} starts or ends with '-'")]
    HyphenAtEdge {
        /// The offending name.
        name: String,
    },
}

impl BucketNameError {
    /// The OSS error code this condition maps to.
    pub fn code(&self) -> &'static str {
        "InvalidBucketName"
    }
}

/// Checks the OSS bucket name rules: 3..=63 characters of `[a-z0-9-]`, no leading or trailing `-`.
///
/// ```
/// use jitstore_oss::encoding::validate_bucket_name;
/// assert!(validate_bucket_name("my-bucket-01").is_ok());
/// assert!(validate_bucket_name("My_Bucket").is_err());
/// ```
pub fn validate_bucket_name(name: &str) -> Result<(), BucketNameError> {
    if let Some(found) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(BucketNameError::BadCharacter {
            name: name.to_owned(),
            found,
        });
    }
    if !(3..=63).contains(&name.len()) {
        return Err(BucketNameError::BadLength {
            name: name.to_owned(),
            len: name.len(),
        });
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err(BucketNameError::HyphenAtEdge {
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// Renders the wire path of an object: `/` + strict-encoded key with `/` kept.
///
/// The key is validated first, so a path is never built for a key OSS would reject.
pub fn object_path(key: &str) -> Result<String, ObjectKeyError> {
    validate_object_key(key)?;
    let mut out = String::with_capacity(key.len() + key.len() / 2 + 1);
    out.push('/');
    encode_into(&mut out, key, true);
    Ok(out)
}

/// The `Content-MD5` header value of a body: base64 of the raw 16-byte MD5 digest
/// (not of its hex form, a classic mistake).
///
/// ```
/// assert_eq!(jitstore_oss::encoding::content_md5(b"0123456789"), "eB5eJF1ptWaXm4bijSPyxw==");
/// ```
pub fn content_md5(body: &[u8]) -> String {
    use base64::Engine as _;
    use md5::Digest as _;
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_encoding_matches_rfc3986_unreserved_set() {
        assert_eq!(encode_strict("AZaz09-_.~"), "AZaz09-_.~");
        assert_eq!(
            encode_strict(" !'()*+/;=&?#%"),
            "%20%21%27%28%29%2A%2B%2F%3B%3D%26%3F%23%25"
        );
        assert_eq!(encode_strict("中"), "%E4%B8%AD");
        assert_eq!(encode_strict("😀"), "%F0%9F%98%80");
        assert_eq!(encode_path("a/b c/"), "a/b%20c/");
    }

    #[test]
    fn verbatim_tables_match_the_unreserved_set() {
        for b in 0..=255u8 {
            assert_eq!(VERBATIM_QUERY[usize::from(b)], is_unreserved(b), "byte {b}");
            assert_eq!(
                VERBATIM_PATH[usize::from(b)],
                is_unreserved(b) || b == b'/',
                "byte {b}"
            );
        }
    }

    #[test]
    fn decode_round_trips_and_keeps_plus() {
        for s in ["a b+c/d?e#f%g&h=i", "中文/😀", "", "plain"] {
            assert_eq!(decode(&encode_strict(s)).unwrap(), s);
            assert_eq!(decode(&encode_path(s)).unwrap(), s);
        }
        assert_eq!(decode("a+b").unwrap(), "a+b");
        assert_eq!(decode("%2f%2F").unwrap(), "//");
    }

    #[test]
    fn decode_rejects_bad_escapes_and_utf8() {
        assert!(matches!(
            decode("%G0"),
            Err(DecodeError::InvalidEscape { position: 0, .. })
        ));
        assert!(matches!(
            decode("ab%4"),
            Err(DecodeError::InvalidEscape { position: 2, .. })
        ));
        assert!(matches!(
            decode("%FF"),
            Err(DecodeError::InvalidUtf8 { .. })
        ));
    }

    #[test]
    fn lossy_decoding_keeps_bad_escapes_and_replaces_bad_utf8() {
        assert_eq!(decode_lossy("a%2Fb%20c"), "a/b c");
        assert_eq!(decode_lossy("a+b"), "a+b");
        assert_eq!(decode_lossy("50%"), "50%");
        assert_eq!(decode_lossy("%zz%4"), "%zz%4");
        assert_eq!(decode_lossy("%e7%8c%ab"), "猫");
        assert_eq!(decode_lossy("x%FFy"), "x\u{FFFD}y");
        // Whatever the lenient decoder accepts, the strict one agrees on where both succeed.
        for s in ["plain", "a%20b", "%E7%8C%AB.jpg", "a%2Bb"] {
            assert_eq!(decode_lossy(s), decode(s).unwrap());
        }
    }

    #[test]
    fn object_key_rules() {
        assert!(validate_object_key("a").is_ok());
        assert!(validate_object_key(&"x".repeat(1023)).is_ok());
        assert_eq!(
            validate_object_key(&"x".repeat(1024)),
            Err(ObjectKeyError::TooLong { len: 1024 })
        );
        assert_eq!(validate_object_key(""), Err(ObjectKeyError::Empty));
        assert!(validate_object_key("\\a").is_err());
        assert!(validate_object_key("a/").is_ok());
        assert_eq!(object_path("a b/+").unwrap(), "/a%20b/%2B");
    }

    #[test]
    fn bucket_name_rules() {
        assert!(validate_bucket_name("abc").is_ok());
        assert!(validate_bucket_name(&"a".repeat(63)).is_ok());
        assert!(matches!(
            validate_bucket_name("ab"),
            Err(BucketNameError::BadLength { .. })
        ));
        assert!(matches!(
            validate_bucket_name(&"a".repeat(64)),
            Err(BucketNameError::BadLength { .. })
        ));
        assert!(matches!(
            validate_bucket_name("-abc"),
            Err(BucketNameError::HyphenAtEdge { .. })
        ));
        assert!(matches!(
            validate_bucket_name("abc-"),
            Err(BucketNameError::HyphenAtEdge { .. })
        ));
        assert!(matches!(
            validate_bucket_name("a.bc"),
            Err(BucketNameError::BadCharacter { found: '.', .. })
        ));
    }
}
