//! Parsing a raw query string as received on the wire into decoded pairs.

use std::borrow::Cow;

use crate::encoding::{decode_cow, DecodeError};

/// A decoded `(name, value)` query pair that borrows from the raw query where it can.
pub type BorrowedPair<'q> = (Cow<'q, str>, Cow<'q, str>);

/// Splits a raw query string (without the leading `?`) into percent-decoded `(name, value)`
/// pairs, in wire order.
///
/// `+` stays a literal plus (OSS never reads it as a space), `name` and `name=` both give an
/// empty value, and empty segments (`a&&b`) are skipped.
///
/// ```
/// use jitstore_oss::sign::parse_query;
/// let pairs = parse_query("uploads&prefix=a%2Fb+c&x=").unwrap();
/// assert_eq!(pairs, vec![
///     ("uploads".to_string(), String::new()),
///     ("prefix".to_string(), "a/b+c".to_string()),
///     ("x".to_string(), String::new()),
/// ]);
/// ```
pub fn parse_query(raw: &str) -> Result<Vec<(String, String)>, DecodeError> {
    Ok(parse_query_borrowed(raw)?
        .into_iter()
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect())
}

/// [`parse_query`] that borrows every name and value holding no escape from `raw`; the
/// verifier uses it so that a typical query costs one allocation (the pair list).
pub fn parse_query_borrowed(raw: &str) -> Result<Vec<BorrowedPair<'_>>, DecodeError> {
    let raw = raw.strip_prefix('?').unwrap_or(raw);
    // One allocation for the pair list: a pair per `&`-separated segment at most.
    let mut out = Vec::with_capacity(raw.bytes().filter(|&b| b == b'&').count() + 1);
    for segment in raw.split('&') {
        if segment.is_empty() {
            continue;
        }
        let (name, value) = segment.split_once('=').unwrap_or((segment, ""));
        out.push((decode_cow(name)?, decode_cow(value)?));
    }
    Ok(out)
}

/// The value of the first pair named `name`.
pub fn first_value<'q, Q: AsRef<str>>(pairs: &'q [(Q, Q)], name: &str) -> Option<&'q str> {
    pairs
        .iter()
        .find(|(n, _)| n.as_ref() == name)
        .map(|(_, v)| v.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flags_plus_and_escapes() {
        let p = parse_query("%2Bparam1=value3&%7Cparam2=&acl&&a=b=c").unwrap();
        assert_eq!(
            p,
            vec![
                ("+param1".into(), "value3".into()),
                ("|param2".into(), String::new()),
                ("acl".into(), String::new()),
                ("a".into(), "b=c".into()),
            ]
        );
        assert_eq!(parse_query("").unwrap(), vec![]);
        assert!(parse_query("a=%zz").is_err());
        assert_eq!(first_value(&p, "a"), Some("b=c"));
        let borrowed = parse_query_borrowed("a=1&%2Bb=x%20y").unwrap();
        assert!(matches!(borrowed[0].0, Cow::Borrowed("a")));
        assert!(matches!(borrowed[1].1, Cow::Owned(ref v) if v == "x y"));
        assert_eq!(first_value(&borrowed, "+b"), Some("x y"));
    }
}
