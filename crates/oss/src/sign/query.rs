//! Parsing a raw query string as received on the wire into decoded pairs.

use crate::encoding::{decode, DecodeError};

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
    let raw = raw.strip_prefix('?').unwrap_or(raw);
    // One allocation for the pair list: a pair per `&`-separated segment at most.
    let mut out = Vec::with_capacity(raw.bytes().filter(|&b| b == b'&').count() + 1);
    for segment in raw.split('&') {
        if segment.is_empty() {
            continue;
        }
        let (name, value) = segment.split_once('=').unwrap_or((segment, ""));
        out.push((decode(name)?, decode(value)?));
    }
    Ok(out)
}

/// The value of the first pair named `name`.
pub fn first_value<'q>(pairs: &'q [(String, String)], name: &str) -> Option<&'q str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
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
    }
}
