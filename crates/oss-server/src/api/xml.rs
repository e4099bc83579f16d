//! A tiny XML writer for OSS response bodies, and percent-encoding for `encoding-type=url`.

/// Percent-encodes a value the way OSS does for `encoding-type=url` (space `%20`, `+` `%2B`):
/// the client's strict RFC 3986 encoder, so what the server writes the client decodes exactly.
pub use jitstore_oss::encoding::encode_strict as url_encode;

/// Whether XML 1.0 can carry `c` (tab, line feed, carriage return and everything from U+0020
/// except surrogates, U+FFFE and U+FFFF).
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r')
        || ('\u{20}'..='\u{D7FF}').contains(&c)
        || ('\u{E000}'..='\u{FFFD}').contains(&c)
        || c >= '\u{10000}'
}

/// Whether `value` can be written into an XML 1.0 document exactly as it is (a carriage return
/// survives only as a character reference, which [`XmlWriter::elem`] writes).
pub fn is_xml_text(value: &str) -> bool {
    value.chars().all(is_xml_char)
}

/// Builds an XML document with escaped text content.
pub struct XmlWriter {
    out: String,
}

impl Default for XmlWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl XmlWriter {
    /// Starts a document with the XML declaration.
    pub fn new() -> Self {
        XmlWriter {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
        }
    }

    /// `<name>`.
    pub fn open(&mut self, name: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
    }

    /// `</name>`.
    pub fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// `<name>escaped value</name>`.
    ///
    /// The document stays well-formed whatever the value holds: a carriage return is written as
    /// `&#13;` (a parser would turn a raw one into a line feed), and a character XML 1.0 cannot
    /// carry at all (other control characters) becomes U+FFFD. Listings avoid that loss by
    /// switching to `encoding-type=url` (see [`is_xml_text`]).
    pub fn elem(&mut self, name: &str, value: &str) {
        self.open(name);
        let escaped = quick_xml::escape::escape(value);
        if escaped.chars().all(|c| c != '\r' && is_xml_char(c)) {
            self.out.push_str(&escaped);
        } else {
            for c in escaped.chars() {
                match c {
                    '\r' => self.out.push_str("&#13;"),
                    c if is_xml_char(c) => self.out.push(c),
                    _ => self.out.push(char::REPLACEMENT_CHARACTER),
                }
            }
        }
        self.close(name);
    }

    /// Element whose text is URL-encoded when `encode` is set.
    pub fn elem_enc(&mut self, name: &str, value: &str, encode: bool) {
        if encode {
            self.elem(name, &url_encode(value));
        } else {
            self.elem(name, value);
        }
    }

    /// The finished document.
    pub fn finish(self) -> String {
        self.out
    }
}

/// ISO 8601 with a `.000` millisecond field, as OSS writes times inside XML (oss2 only
/// accepts `.000`).
pub fn iso8601(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S.000Z")
        .to_string()
}

/// RFC 1123 GMT, as OSS writes times in headers.
pub fn http_date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_stay_well_formed_for_control_characters() {
        let mut w = XmlWriter::new();
        w.elem("Key", "a\u{1}b\rc\td<");
        let out = w.finish();
        assert!(out.ends_with("<Key>a\u{FFFD}b&#13;c\td&lt;</Key>"), "{out}");
        assert!(is_xml_text("tab\tand\nnewline"));
        assert!(!is_xml_text("bell\u{7}"));
    }
}
