//! Serde deserialisation of XML that keeps element text exactly as sent.
//!
//! quick-xml's serde deserializer trims whitespace at both ends of every text node and (in
//! 0.37) has no switch to turn that off. OSS keys, tag keys and tag values may start or end
//! with spaces, tabs or line breaks, so a trimmed `<Key> a </Key>` would name another object.
//! The trimming looks at the raw text before character references are resolved, so
//! [`from_xml_exact`] first rewrites the leading and trailing whitespace of every leaf
//! element's text as character references (`&#32;`), which the deserializer then resolves back
//! to the very same characters.

use serde::de::DeserializeOwned;

use super::XmlError;

/// Deserialises the XML document `body` into `T`, keeping the text of every leaf element
/// (`<Key> a </Key>` gives `" a "`) exactly, whitespace at both ends included.
///
/// `document` names the expected document (e.g. `Delete`) in the error.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Object {
///     #[serde(rename = "Key")]
///     key: String,
/// }
/// let object: Object =
///     jitstore_oss::xml::from_xml_exact("Object", b"<Object><Key>\t a </Key></Object>").unwrap();
/// assert_eq!(object.key, "\t a ");
/// ```
pub fn from_xml_exact<T: DeserializeOwned>(
    document: &'static str,
    body: &[u8],
) -> Result<T, XmlError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| XmlError::new(document, format!("body is not UTF-8: {e}")))?;
    let protected = protect_leaf_whitespace(text)
        .map_err(|e| XmlError::new(document, format!("not well-formed XML: {e}")))?;
    quick_xml::de::from_str(&protected).map_err(|e| XmlError::new(document, e.to_string()))
}

/// Rewrites the whitespace at both ends of each leaf element's text (text that is the only
/// content between a start and its end tag) as character references; everything else is
/// copied unchanged. Whitespace between elements (indentation) is left alone.
fn protect_leaf_whitespace(text: &str) -> Result<String, quick_xml::Error> {
    use quick_xml::events::Event;

    let mut reader = quick_xml::Reader::from_str(text);
    let mut out = String::with_capacity(text.len() + 16);
    let mut copied = 0usize;
    let mut after_start = false;
    let mut leaf_text: Option<(usize, usize)> = None;
    loop {
        let before = position(&reader, text);
        let event = reader.read_event()?;
        let after = position(&reader, text);
        match event {
            Event::Eof => break,
            Event::Text(_) => {
                leaf_text = after_start.then_some((before, after));
                after_start = false;
            }
            Event::End(_) => {
                if let Some((start, end)) = leaf_text.take() {
                    out.push_str(&text[copied..start]);
                    push_protected(&mut out, &text[start..end]);
                    copied = end;
                }
                after_start = false;
            }
            Event::Start(_) => {
                leaf_text = None;
                after_start = true;
            }
            _ => {
                leaf_text = None;
                after_start = false;
            }
        }
    }
    out.push_str(&text[copied..]);
    Ok(out)
}

/// The reader's byte offset into `text`, clamped to its length.
fn position(reader: &quick_xml::Reader<&[u8]>, text: &str) -> usize {
    usize::try_from(reader.buffer_position()).map_or(text.len(), |p| p.min(text.len()))
}

/// Whitespace an XML parser or the deserializer would trim or normalise.
fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Appends `raw` (escaped element text) with its leading and trailing whitespace written as
/// character references.
fn push_protected(out: &mut String, raw: &str) {
    let body = raw.trim_matches(is_xml_space);
    if body.is_empty() {
        raw.chars().for_each(|c| push_reference(out, c));
        return;
    }
    let lead = raw.len() - raw.trim_start_matches(is_xml_space).len();
    let tail = raw.trim_end_matches(is_xml_space).len();
    raw[..lead].chars().for_each(|c| push_reference(out, c));
    out.push_str(body);
    raw[tail..].chars().for_each(|c| push_reference(out, c));
}

fn push_reference(out: &mut String, c: char) {
    out.push_str("&#");
    out.push_str(&u32::from(c).to_string());
    out.push(';');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Delete {
        #[serde(rename = "Object", default)]
        objects: Vec<Object>,
    }

    #[derive(Debug, serde::Deserialize)]
    struct Object {
        #[serde(rename = "Key")]
        key: String,
    }

    #[test]
    fn leaf_text_keeps_whitespace_at_both_ends() {
        let xml = "<?xml version=\"1.0\"?>\n<Delete>\n  <Object><Key> a </Key></Object>\n  \
                   <Object><Key>\ta\n</Key></Object>\n  <Object><Key>  </Key></Object>\n  \
                   <Object><Key>&amp; x\r</Key></Object>\n  <Object><Key>plain</Key></Object>\n\
                   </Delete>";
        let doc: Delete = from_xml_exact("Delete", xml.as_bytes()).unwrap();
        let keys: Vec<&str> = doc.objects.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(keys, [" a ", "\ta\n", "  ", "& x\r", "plain"]);
    }

    #[test]
    fn plain_quick_xml_would_trim_the_same_document() {
        // The reason this module exists: if quick-xml stops trimming, this can go.
        let doc: Delete =
            quick_xml::de::from_str("<Delete><Object><Key> a </Key></Object></Delete>").unwrap();
        assert_eq!(doc.objects[0].key, "a");
    }

    #[test]
    fn malformed_documents_are_errors_naming_the_document() {
        let err = from_xml_exact::<Delete>("Delete", b"<Delete><Object></Delete>").unwrap_err();
        assert_eq!(err.document, "Delete");
        let err = from_xml_exact::<Delete>("Delete", b"\xff<Delete/>").unwrap_err();
        assert!(err.reason.contains("UTF-8"), "{err}");
    }
}
