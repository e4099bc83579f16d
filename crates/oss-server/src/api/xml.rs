//! A tiny XML writer for OSS response bodies, and percent-encoding for `encoding-type=url`.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// RFC 3986 unreserved characters stay; everything else (incl. `/`, space, `+`) is encoded.
const STRICT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes a value the way OSS does for `encoding-type=url` (space `%20`, `+` `%2B`).
pub fn url_encode(value: &str) -> String {
    utf8_percent_encode(value, STRICT).to_string()
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
    pub fn elem(&mut self, name: &str, value: &str) {
        self.open(name);
        self.out.push_str(&quick_xml::escape::escape(value));
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
