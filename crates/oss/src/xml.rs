//! OSS XML bodies: the request documents the client sends (`Delete`,
//! `CompleteMultipartUpload`) and typed parsers for the answers it reads.
//!
//! Listings and multipart answers are requested with `encoding-type=url`, so keys, prefixes,
//! markers and delimiters arrive percent-encoded; they are decoded here with plain
//! percent-decoding (`+` stays `+`, as the Python SDKs do), which is right as long as the server
//! encodes space as `%20` (OSS and the local server do).

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Deserialize;

mod exact;
pub use exact::from_xml_exact;

/// A response body that could not be read as the expected XML document.
#[derive(Debug, thiserror::Error)]
#[error("malformed {document} XML: {reason}")]
pub struct XmlError {
    /// The expected root element, e.g. `ListBucketResult`.
    pub document: &'static str,
    /// What was wrong.
    pub reason: String,
}

impl XmlError {
    fn new(document: &'static str, reason: impl Into<String>) -> Self {
        XmlError {
            document,
            reason: reason.into(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Request bodies

/// One object to delete in a `DeleteMultipleObjects` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteEntry {
    /// The object key (raw, not encoded).
    pub key: String,
    /// A specific version to delete, on versioned buckets.
    pub version_id: Option<String>,
}

impl<S: Into<String>> From<S> for DeleteEntry {
    fn from(key: S) -> Self {
        DeleteEntry {
            key: key.into(),
            version_id: None,
        }
    }
}

/// A part to list in `CompleteMultipartUpload`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedPart {
    /// Part number, 1..=10000.
    pub part_number: u32,
    /// The ETag UploadPart returned (with or without its quotes).
    pub etag: String,
}

/// The `<Delete>` body of DeleteMultipleObjects.
pub fn delete_body(entries: &[DeleteEntry], quiet: bool) -> Result<String, XmlError> {
    #[derive(serde::Serialize)]
    #[serde(rename = "Delete")]
    struct Delete<'a> {
        #[serde(rename = "Quiet")]
        quiet: bool,
        #[serde(rename = "Object")]
        objects: Vec<Object<'a>>,
    }
    #[derive(serde::Serialize)]
    struct Object<'a> {
        #[serde(rename = "Key")]
        key: &'a str,
        #[serde(rename = "VersionId", skip_serializing_if = "Option::is_none")]
        version_id: Option<&'a str>,
    }
    let objects = entries
        .iter()
        .map(|e| Object {
            key: &e.key,
            version_id: e.version_id.as_deref(),
        })
        .collect();
    request_document("Delete", &Delete { quiet, objects })
}

/// The `<CompleteMultipartUpload>` body; parts are emitted in ascending part-number order and
/// ETags carry their quotes, as OSS expects.
pub fn complete_multipart_body(parts: &[CompletedPart]) -> Result<String, XmlError> {
    #[derive(serde::Serialize)]
    #[serde(rename = "CompleteMultipartUpload")]
    struct Complete {
        #[serde(rename = "Part")]
        parts: Vec<Part>,
    }
    #[derive(serde::Serialize)]
    struct Part {
        #[serde(rename = "PartNumber")]
        part_number: u32,
        #[serde(rename = "ETag")]
        etag: String,
    }
    let mut parts: Vec<Part> = parts
        .iter()
        .map(|p| Part {
            part_number: p.part_number,
            etag: format!("\"{}\"", p.etag.trim().trim_matches('"')),
        })
        .collect();
    parts.sort_by_key(|p| p.part_number);
    request_document("CompleteMultipartUpload", &Complete { parts })
}

/// Serialises a request document with `quick_xml::se` (the way the server writes its answers),
/// behind the XML declaration. Text escapes all five of `&<>"'`; control characters (which
/// quick-xml writes raw, and which a parser would drop or turn `\r` into `\n`) become numeric
/// references, so keys with newlines or tabs survive the round trip.
fn request_document<T: serde::Serialize>(
    document: &'static str,
    value: &T,
) -> Result<String, XmlError> {
    let mut xml = String::new();
    let mut serializer = quick_xml::se::Serializer::new(&mut xml);
    serializer.set_quote_level(quick_xml::se::QuoteLevel::Full);
    value
        .serialize(serializer)
        .map_err(|e| XmlError::new(document, format!("cannot serialise the request: {e}")))?;
    let mut out = String::with_capacity(xml.len() + 40);
    out.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    // Element names are fixed ASCII words: a control character can only be in text content.
    for c in xml.chars() {
        if (c as u32) < 0x20 || c as u32 == 0x7f {
            out.push_str(&format!("&#x{:X};", c as u32));
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Response documents (public, decoded)

/// One object in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectSummary {
    /// The object key, decoded.
    pub key: String,
    /// Last modification time.
    pub last_modified: Option<DateTime<Utc>>,
    /// The ETag, with its quotes.
    pub etag: String,
    /// `Normal`, `Multipart`, `Appendable` or `Symlink`.
    pub object_type: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// Storage class, e.g. `Standard`.
    pub storage_class: Option<String>,
}

/// One page of ListObjectsV2.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListObjectsV2Page {
    /// Bucket name.
    pub name: String,
    /// The prefix echoed back, decoded.
    pub prefix: Option<String>,
    /// The delimiter echoed back, decoded.
    pub delimiter: Option<String>,
    /// The start-after echoed back, decoded.
    pub start_after: Option<String>,
    /// Max keys of this page.
    pub max_keys: Option<u32>,
    /// Whether more pages follow.
    pub is_truncated: bool,
    /// The token for the next page (when truncated), decoded.
    pub next_continuation_token: Option<String>,
    /// Objects of this page.
    pub contents: Vec<ObjectSummary>,
    /// "Directories" rolled up by the delimiter, decoded.
    pub common_prefixes: Vec<String>,
}

/// Answer of InitiateMultipartUpload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitiateMultipartUploadResult {
    /// Bucket name.
    pub bucket: String,
    /// Object key, decoded.
    pub key: String,
    /// The new upload id.
    pub upload_id: String,
}

/// Answer body of CompleteMultipartUpload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompleteMultipartUploadResult {
    /// Object URL as OSS reports it.
    pub location: Option<String>,
    /// Bucket name.
    pub bucket: String,
    /// Object key, decoded.
    pub key: String,
    /// The final ETag (not an MD5 of the content).
    pub etag: String,
}

/// One uploaded part in ListParts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartSummary {
    /// Part number.
    pub part_number: u32,
    /// Upload time.
    pub last_modified: Option<DateTime<Utc>>,
    /// The part ETag, with its quotes.
    pub etag: String,
    /// Size in bytes.
    pub size: u64,
    /// CRC-64 of the part, when the server reports it.
    pub crc64: Option<u64>,
}

/// One page of ListParts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPartsPage {
    /// Bucket name.
    pub bucket: String,
    /// Object key, decoded.
    pub key: String,
    /// Upload id.
    pub upload_id: String,
    /// The marker this page started after.
    pub part_number_marker: u32,
    /// The marker for the next page (when truncated).
    pub next_part_number_marker: Option<u32>,
    /// Max parts of this page.
    pub max_parts: Option<u32>,
    /// Whether more pages follow.
    pub is_truncated: bool,
    /// The parts, ascending.
    pub parts: Vec<PartSummary>,
}

/// One in-progress upload in ListMultipartUploads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadSummary {
    /// Object key, decoded.
    pub key: String,
    /// Upload id.
    pub upload_id: String,
    /// When the upload was initiated.
    pub initiated: Option<DateTime<Utc>>,
}

/// One page of ListMultipartUploads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListMultipartUploadsPage {
    /// Bucket name.
    pub bucket: String,
    /// Whether more pages follow.
    pub is_truncated: bool,
    /// Key marker for the next page, decoded.
    pub next_key_marker: Option<String>,
    /// Upload-id marker for the next page.
    pub next_upload_id_marker: Option<String>,
    /// The uploads of this page.
    pub uploads: Vec<UploadSummary>,
    /// Prefixes rolled up by the delimiter, decoded.
    pub common_prefixes: Vec<String>,
}

/// Answer body of CopyObject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyObjectResult {
    /// ETag of the new object, with quotes.
    pub etag: String,
    /// Last modification time of the new object.
    pub last_modified: Option<DateTime<Utc>>,
}

/// One reported deletion in DeleteMultipleObjects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedObject {
    /// Object key, decoded.
    pub key: String,
    /// Whether a delete marker was created (versioned buckets).
    pub delete_marker: bool,
    /// Version id of the delete marker.
    pub delete_marker_version_id: Option<String>,
    /// Version deleted.
    pub version_id: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Raw serde shapes

#[derive(Deserialize)]
struct RawListBucketResult {
    #[serde(rename = "Name", default)]
    name: String,
    #[serde(rename = "Prefix", default)]
    prefix: Option<String>,
    #[serde(rename = "Delimiter", default)]
    delimiter: Option<String>,
    #[serde(rename = "StartAfter", default)]
    start_after: Option<String>,
    #[serde(rename = "MaxKeys", default)]
    max_keys: Option<u32>,
    #[serde(rename = "EncodingType", default)]
    encoding_type: Option<String>,
    #[serde(rename = "IsTruncated", default)]
    is_truncated: bool,
    #[serde(rename = "NextContinuationToken", default)]
    next_continuation_token: Option<String>,
    #[serde(rename = "Contents", default)]
    contents: Vec<RawContents>,
    #[serde(rename = "CommonPrefixes", default)]
    common_prefixes: Vec<RawPrefix>,
}

#[derive(Deserialize)]
struct RawContents {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "LastModified", default)]
    last_modified: Option<String>,
    #[serde(rename = "ETag", default)]
    etag: String,
    #[serde(rename = "Type", default)]
    object_type: Option<String>,
    #[serde(rename = "Size", default)]
    size: u64,
    #[serde(rename = "StorageClass", default)]
    storage_class: Option<String>,
}

#[derive(Deserialize)]
struct RawPrefix {
    #[serde(rename = "Prefix", default)]
    prefix: String,
}

#[derive(Deserialize)]
struct RawInitiate {
    #[serde(rename = "Bucket", default)]
    bucket: String,
    #[serde(rename = "Key", default)]
    key: String,
    #[serde(rename = "UploadId")]
    upload_id: String,
    #[serde(rename = "EncodingType", default)]
    encoding_type: Option<String>,
}

#[derive(Deserialize)]
struct RawComplete {
    #[serde(rename = "EncodingType", default)]
    encoding_type: Option<String>,
    #[serde(rename = "Location", default)]
    location: Option<String>,
    #[serde(rename = "Bucket", default)]
    bucket: String,
    #[serde(rename = "Key", default)]
    key: String,
    #[serde(rename = "ETag", default)]
    etag: String,
}

#[derive(Deserialize)]
struct RawListParts {
    #[serde(rename = "Bucket", default)]
    bucket: String,
    #[serde(rename = "Key", default)]
    key: String,
    #[serde(rename = "UploadId", default)]
    upload_id: String,
    #[serde(rename = "EncodingType", default)]
    encoding_type: Option<String>,
    #[serde(rename = "PartNumberMarker", default)]
    part_number_marker: Option<String>,
    #[serde(rename = "NextPartNumberMarker", default)]
    next_part_number_marker: Option<String>,
    #[serde(rename = "MaxParts", default)]
    max_parts: Option<u32>,
    #[serde(rename = "IsTruncated", default)]
    is_truncated: bool,
    #[serde(rename = "Part", default)]
    parts: Vec<RawPart>,
}

#[derive(Deserialize)]
struct RawPart {
    #[serde(rename = "PartNumber")]
    part_number: u32,
    #[serde(rename = "LastModified", default)]
    last_modified: Option<String>,
    #[serde(rename = "ETag", default)]
    etag: String,
    #[serde(rename = "HashCrc64ecma", default)]
    crc64: Option<String>,
    #[serde(rename = "Size", default)]
    size: u64,
}

#[derive(Deserialize)]
struct RawListUploads {
    #[serde(rename = "Bucket", default)]
    bucket: String,
    #[serde(rename = "EncodingType", default)]
    encoding_type: Option<String>,
    #[serde(rename = "IsTruncated", default)]
    is_truncated: bool,
    #[serde(rename = "NextKeyMarker", default)]
    next_key_marker: Option<String>,
    #[serde(rename = "NextUploadIdMarker", default)]
    next_upload_id_marker: Option<String>,
    #[serde(rename = "Upload", default)]
    uploads: Vec<RawUpload>,
    #[serde(rename = "CommonPrefixes", default)]
    common_prefixes: Vec<RawPrefix>,
}

#[derive(Deserialize)]
struct RawUpload {
    #[serde(rename = "Key", default)]
    key: String,
    #[serde(rename = "UploadId", default)]
    upload_id: String,
    #[serde(rename = "Initiated", default)]
    initiated: Option<String>,
}

#[derive(Deserialize)]
struct RawCopy {
    #[serde(rename = "ETag", default)]
    etag: String,
    #[serde(rename = "LastModified", default)]
    last_modified: Option<String>,
}

#[derive(Deserialize)]
struct RawDeleteResult {
    #[serde(rename = "EncodingType", default)]
    encoding_type: Option<String>,
    #[serde(rename = "Deleted", default)]
    deleted: Vec<RawDeleted>,
}

#[derive(Deserialize)]
struct RawDeleted {
    #[serde(rename = "Key", default)]
    key: String,
    #[serde(rename = "DeleteMarker", default)]
    delete_marker: Option<bool>,
    #[serde(rename = "DeleteMarkerVersionId", default)]
    delete_marker_version_id: Option<String>,
    #[serde(rename = "VersionId", default)]
    version_id: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Parsers

fn parse_doc<T: DeserializeOwned>(document: &'static str, body: &[u8]) -> Result<T, XmlError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| XmlError::new(document, format!("body is not UTF-8: {e}")))?;
    let root = root_element(text).ok_or_else(|| XmlError::new(document, "no root element"))?;
    if root != document {
        return Err(XmlError::new(
            document,
            format!("root element is <{root}>, expected <{document}>"),
        ));
    }
    from_xml_exact(document, body)
}

fn root_element(text: &str) -> Option<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) => {
                return Some(String::from_utf8_lossy(e.local_name().as_ref()).into_owned())
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

struct Decoder {
    document: &'static str,
    url: bool,
}

impl Decoder {
    fn new(document: &'static str, encoding_type: Option<&str>) -> Self {
        Decoder {
            document,
            url: encoding_type.is_some_and(|t| t.trim().eq_ignore_ascii_case("url")),
        }
    }

    fn text(&self, field: &str, value: String) -> Result<String, XmlError> {
        if !self.url {
            return Ok(value);
        }
        url_decode(&value).map_err(|reason| {
            XmlError::new(self.document, format!("field {field} {value:?}: {reason}"))
        })
    }

    fn opt(&self, field: &str, value: Option<String>) -> Result<Option<String>, XmlError> {
        value.map(|v| self.text(field, v)).transpose()
    }
}

/// Plain percent-decoding of an `encoding-type=url` value: `%XX` → byte, `+` stays `+`; the
/// result must be UTF-8.
pub fn url_decode(value: &str) -> Result<String, String> {
    crate::encoding::decode(value).map_err(|e| e.to_string())
}

fn date(document: &'static str, value: Option<String>) -> Result<Option<DateTime<Utc>>, XmlError> {
    match value {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => DateTime::parse_from_rfc3339(v.trim())
            .map(|d| Some(d.with_timezone(&Utc)))
            .map_err(|e| XmlError::new(document, format!("bad timestamp {v:?}: {e}"))),
    }
}

fn empty_to_none(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.is_empty())
}

/// Parses a `ListBucketResult` (ListObjectsV2) page.
pub fn parse_list_objects_v2(body: &[u8]) -> Result<ListObjectsV2Page, XmlError> {
    const DOC: &str = "ListBucketResult";
    let raw: RawListBucketResult = parse_doc(DOC, body)?;
    let d = Decoder::new(DOC, raw.encoding_type.as_deref());
    let contents = raw
        .contents
        .into_iter()
        .map(|c| {
            Ok(ObjectSummary {
                key: d.text("Key", c.key)?,
                last_modified: date(DOC, c.last_modified)?,
                etag: c.etag,
                object_type: c.object_type,
                size: c.size,
                storage_class: c.storage_class,
            })
        })
        .collect::<Result<Vec<_>, XmlError>>()?;
    let common_prefixes = raw
        .common_prefixes
        .into_iter()
        .map(|p| d.text("CommonPrefixes/Prefix", p.prefix))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ListObjectsV2Page {
        name: raw.name,
        prefix: d.opt("Prefix", empty_to_none(raw.prefix))?,
        delimiter: d.opt("Delimiter", empty_to_none(raw.delimiter))?,
        start_after: d.opt("StartAfter", empty_to_none(raw.start_after))?,
        max_keys: raw.max_keys,
        is_truncated: raw.is_truncated,
        next_continuation_token: d.opt(
            "NextContinuationToken",
            empty_to_none(raw.next_continuation_token),
        )?,
        contents,
        common_prefixes,
    })
}

/// Parses an `InitiateMultipartUploadResult`.
pub fn parse_initiate_multipart(body: &[u8]) -> Result<InitiateMultipartUploadResult, XmlError> {
    const DOC: &str = "InitiateMultipartUploadResult";
    let raw: RawInitiate = parse_doc(DOC, body)?;
    let d = Decoder::new(DOC, raw.encoding_type.as_deref());
    if raw.upload_id.trim().is_empty() {
        return Err(XmlError::new(DOC, "empty UploadId"));
    }
    Ok(InitiateMultipartUploadResult {
        bucket: raw.bucket,
        key: d.text("Key", raw.key)?,
        upload_id: raw.upload_id,
    })
}

/// Parses a `CompleteMultipartUploadResult`.
pub fn parse_complete_multipart(body: &[u8]) -> Result<CompleteMultipartUploadResult, XmlError> {
    const DOC: &str = "CompleteMultipartUploadResult";
    let raw: RawComplete = parse_doc(DOC, body)?;
    let d = Decoder::new(DOC, raw.encoding_type.as_deref());
    Ok(CompleteMultipartUploadResult {
        location: empty_to_none(raw.location),
        bucket: raw.bucket,
        key: d.text("Key", raw.key)?,
        etag: raw.etag,
    })
}

/// Parses a `ListPartsResult` page.
pub fn parse_list_parts(body: &[u8]) -> Result<ListPartsPage, XmlError> {
    const DOC: &str = "ListPartsResult";
    let raw: RawListParts = parse_doc(DOC, body)?;
    let d = Decoder::new(DOC, raw.encoding_type.as_deref());
    let marker = |field: &str, v: Option<String>| -> Result<Option<u32>, XmlError> {
        match empty_to_none(v) {
            None => Ok(None),
            Some(s) => s
                .trim()
                .parse::<u32>()
                .map(Some)
                .map_err(|_| XmlError::new(DOC, format!("{field} {s:?} is not a part number"))),
        }
    };
    let parts = raw
        .parts
        .into_iter()
        .map(|p| {
            let crc64 = match empty_to_none(p.crc64) {
                None => None,
                Some(s) => Some(crate::crc64::parse_header(&s).ok_or_else(|| {
                    XmlError::new(DOC, format!("HashCrc64ecma {s:?} is not a u64"))
                })?),
            };
            Ok(PartSummary {
                part_number: p.part_number,
                last_modified: date(DOC, p.last_modified)?,
                etag: p.etag,
                size: p.size,
                crc64,
            })
        })
        .collect::<Result<Vec<_>, XmlError>>()?;
    Ok(ListPartsPage {
        bucket: raw.bucket,
        key: d.text("Key", raw.key)?,
        upload_id: raw.upload_id,
        part_number_marker: marker("PartNumberMarker", raw.part_number_marker)?.unwrap_or(0),
        next_part_number_marker: marker("NextPartNumberMarker", raw.next_part_number_marker)?,
        max_parts: raw.max_parts,
        is_truncated: raw.is_truncated,
        parts,
    })
}

/// Parses a `ListMultipartUploadsResult` page.
pub fn parse_list_multipart_uploads(body: &[u8]) -> Result<ListMultipartUploadsPage, XmlError> {
    const DOC: &str = "ListMultipartUploadsResult";
    let raw: RawListUploads = parse_doc(DOC, body)?;
    let d = Decoder::new(DOC, raw.encoding_type.as_deref());
    let uploads = raw
        .uploads
        .into_iter()
        .map(|u| {
            Ok(UploadSummary {
                key: d.text("Key", u.key)?,
                upload_id: u.upload_id,
                initiated: date(DOC, u.initiated)?,
            })
        })
        .collect::<Result<Vec<_>, XmlError>>()?;
    let common_prefixes = raw
        .common_prefixes
        .into_iter()
        .map(|p| d.text("CommonPrefixes/Prefix", p.prefix))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ListMultipartUploadsPage {
        bucket: raw.bucket,
        is_truncated: raw.is_truncated,
        next_key_marker: d.opt("NextKeyMarker", empty_to_none(raw.next_key_marker))?,
        next_upload_id_marker: empty_to_none(raw.next_upload_id_marker),
        uploads,
        common_prefixes,
    })
}

/// Parses a `CopyObjectResult`.
pub fn parse_copy_object(body: &[u8]) -> Result<CopyObjectResult, XmlError> {
    const DOC: &str = "CopyObjectResult";
    let raw: RawCopy = parse_doc(DOC, body)?;
    Ok(CopyObjectResult {
        etag: raw.etag,
        last_modified: date(DOC, raw.last_modified)?,
    })
}

/// Parses a `DeleteResult`; an empty body (quiet mode with nothing to report) is an empty list.
pub fn parse_delete_result(body: &[u8]) -> Result<Vec<DeletedObject>, XmlError> {
    const DOC: &str = "DeleteResult";
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let raw: RawDeleteResult = parse_doc(DOC, body)?;
    let d = Decoder::new(DOC, raw.encoding_type.as_deref());
    raw.deleted
        .into_iter()
        .map(|x| {
            Ok(DeletedObject {
                key: d.text("Key", x.key)?,
                delete_marker: x.delete_marker.unwrap_or(false),
                delete_marker_version_id: empty_to_none(x.delete_marker_version_id),
                version_id: empty_to_none(x.version_id),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delete_body_escapes_keys() {
        let body = delete_body(
            &[
                DeleteEntry::from("a/b&c<d>.txt"),
                DeleteEntry {
                    key: "line\nbreak \"q\"".into(),
                    version_id: Some("v1".into()),
                },
            ],
            true,
        )
        .unwrap();
        assert_eq!(
            body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete><Quiet>true</Quiet>\
<Object><Key>a/b&amp;c&lt;d&gt;.txt</Key></Object>\
<Object><Key>line&#xA;break &quot;q&quot;</Key><VersionId>v1</VersionId></Object></Delete>"
        );
        // quick-xml reads it back to the same keys.
        #[derive(Deserialize)]
        struct D {
            #[serde(rename = "Object")]
            objects: Vec<O>,
        }
        #[derive(Deserialize)]
        struct O {
            #[serde(rename = "Key")]
            key: String,
        }
        let d: D = quick_xml::de::from_str(&body).unwrap();
        assert_eq!(d.objects[0].key, "a/b&c<d>.txt");
        assert_eq!(d.objects[1].key, "line\nbreak \"q\"");
    }

    #[test]
    fn request_bodies_read_back_to_the_same_keys_and_etags() {
        #[derive(Deserialize)]
        struct D {
            #[serde(rename = "Quiet")]
            quiet: bool,
            #[serde(rename = "Object")]
            objects: Vec<O>,
        }
        #[derive(Deserialize)]
        struct O {
            #[serde(rename = "Key")]
            key: String,
        }
        let keys = [
            "a&b<c>d",
            "tab\there",
            "cr\rand lf\n",
            "quote'\"mix",
            "]]>",
            "inner  spaces",
            " spaced ends ",
            " ",
            "日本語/ключ",
        ];
        let entries: Vec<DeleteEntry> = keys.iter().map(|k| DeleteEntry::from(*k)).collect();
        let body = delete_body(&entries, false).unwrap();
        assert!(body.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?><Delete>"#));
        assert!(body.contains("<Key>a&amp;b&lt;c&gt;d</Key>"), "{body}");
        assert!(body.contains("<Key>cr&#xD;and lf&#xA;</Key>"), "{body}");
        let d: D = from_xml_exact("Delete", body.as_bytes()).unwrap();
        assert!(!d.quiet);
        let read: Vec<&str> = d.objects.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(read, keys);

        #[derive(Deserialize)]
        struct C {
            #[serde(rename = "Part")]
            parts: Vec<P>,
        }
        #[derive(Deserialize)]
        struct P {
            #[serde(rename = "PartNumber")]
            number: u32,
            #[serde(rename = "ETag")]
            etag: String,
        }
        let body = complete_multipart_body(&[
            CompletedPart {
                part_number: 10,
                etag: "a&b".into(),
            },
            CompletedPart {
                part_number: 2,
                etag: " \"X\" ".into(),
            },
        ])
        .unwrap();
        let c: C = quick_xml::de::from_str(&body).unwrap();
        let read: Vec<(u32, &str)> = c
            .parts
            .iter()
            .map(|p| (p.number, p.etag.as_str()))
            .collect();
        assert_eq!(read, [(2, "\"X\""), (10, "\"a&b\"")]);
    }

    #[test]
    fn complete_body_sorts_and_quotes() {
        let body = complete_multipart_body(&[
            CompletedPart {
                part_number: 5,
                etag: "\"8EFDA8BE\"".into(),
            },
            CompletedPart {
                part_number: 1,
                etag: "3349DC70".into(),
            },
        ])
        .unwrap();
        assert_eq!(
            body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CompleteMultipartUpload>\
<Part><PartNumber>1</PartNumber><ETag>&quot;3349DC70&quot;</ETag></Part>\
<Part><PartNumber>5</PartNumber><ETag>&quot;8EFDA8BE&quot;</ETag></Part></CompleteMultipartUpload>"
        );
    }

    #[test]
    fn list_v2_url_decoding_keeps_plus() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult>
  <Name>examplebucket</Name>
  <Prefix>a%2F</Prefix>
  <MaxKeys>3</MaxKeys>
  <Delimiter>%2F</Delimiter>
  <EncodingType>url</EncodingType>
  <IsTruncated>true</IsTruncated>
  <NextContinuationToken>tok%2B1</NextContinuationToken>
  <KeyCount>3</KeyCount>
  <Contents>
    <Key>a%2Fb%20c+d%E4%B8%AD</Key>
    <LastModified>2020-05-18T05:45:47.000Z</LastModified>
    <ETag>"35A27C2B9EAEEB6F48FD7FB5861D****"</ETag>
    <Type>Normal</Type>
    <Size>25</Size>
    <StorageClass>Standard</StorageClass>
  </Contents>
  <CommonPrefixes><Prefix>a%2Fb%2F</Prefix></CommonPrefixes>
  <CommonPrefixes><Prefix>a%2Fz%2F</Prefix></CommonPrefixes>
</ListBucketResult>"#;
        let page = parse_list_objects_v2(xml.as_bytes()).unwrap();
        assert_eq!(page.name, "examplebucket");
        assert_eq!(page.prefix.as_deref(), Some("a/"));
        assert_eq!(page.delimiter.as_deref(), Some("/"));
        assert!(page.is_truncated);
        assert_eq!(page.next_continuation_token.as_deref(), Some("tok+1"));
        assert_eq!(page.contents.len(), 1);
        assert_eq!(page.contents[0].key, "a/b c+d中");
        assert_eq!(page.contents[0].size, 25);
        assert_eq!(
            page.contents[0].etag,
            "\"35A27C2B9EAEEB6F48FD7FB5861D****\""
        );
        assert_eq!(
            page.contents[0].last_modified.unwrap().to_rfc3339(),
            "2020-05-18T05:45:47+00:00"
        );
        assert_eq!(page.common_prefixes, vec!["a/b/", "a/z/"]);
    }

    #[test]
    fn list_v2_without_encoding_is_verbatim_and_empty_page_ok() {
        let xml = "<ListBucketResult><Name>b</Name><IsTruncated>false</IsTruncated>\
<Contents><Key>a%20b</Key><Size>1</Size><ETag>\"E\"</ETag></Contents></ListBucketResult>";
        let page = parse_list_objects_v2(xml.as_bytes()).unwrap();
        assert_eq!(page.contents[0].key, "a%20b");
        let empty =
            parse_list_objects_v2(b"<ListBucketResult><Name>b</Name></ListBucketResult>").unwrap();
        assert!(empty.contents.is_empty() && !empty.is_truncated);
    }

    #[test]
    fn whitespace_at_the_ends_of_keys_survives_parsing() {
        let keys = [" a", "a ", " a ", "\ta", "a\n", "\r\n", " "];
        let mut xml = String::from("<ListBucketResult><Name>b</Name><Prefix> </Prefix>");
        for k in keys {
            let escaped = k.replace('\r', "&#13;");
            xml.push_str(&format!(
                "\n  <Contents><Key>{escaped}</Key><Size>1</Size><ETag>\"E\"</ETag></Contents>"
            ));
        }
        xml.push_str("\n</ListBucketResult>");
        let page = parse_list_objects_v2(xml.as_bytes()).unwrap();
        let listed: Vec<&str> = page.contents.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(listed, keys);
        assert_eq!(page.prefix.as_deref(), Some(" "));

        let deleted = parse_delete_result(
            b"<DeleteResult>\n <Deleted><Key> a </Key></Deleted>\n <Deleted><Key>a</Key></Deleted>\n</DeleteResult>",
        )
        .unwrap();
        let keys: Vec<&str> = deleted.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(keys, [" a ", "a"]);
    }

    #[test]
    fn wrong_root_and_bad_input_are_errors() {
        let e = parse_list_objects_v2(b"<Error><Code>x</Code></Error>").unwrap_err();
        assert!(e.to_string().contains("<Error>"), "{e}");
        assert!(parse_list_objects_v2(b"not xml at all").is_err());
        assert!(parse_list_objects_v2(&[0xff, 0xfe]).is_err());
        let bad_utf8 = "<ListBucketResult><EncodingType>url</EncodingType>\
<Contents><Key>%FF</Key></Contents></ListBucketResult>";
        assert!(parse_list_objects_v2(bad_utf8.as_bytes()).is_err());
        let bad_date = "<CopyObjectResult><ETag>\"x\"</ETag><LastModified>yesterday</LastModified></CopyObjectResult>";
        assert!(parse_copy_object(bad_date.as_bytes()).is_err());
    }

    #[test]
    fn multipart_documents() {
        let init = parse_initiate_multipart(
            b"<InitiateMultipartUploadResult><Bucket>oss-example</Bucket><Key>dir%2Fmulti%2Bpart</Key>\
<UploadId>0004B9894A22E5B1888A1E29F823</UploadId><EncodingType>url</EncodingType></InitiateMultipartUploadResult>",
        )
        .unwrap();
        assert_eq!(init.key, "dir/multi+part");
        assert_eq!(init.upload_id, "0004B9894A22E5B1888A1E29F823");

        let done = parse_complete_multipart(
            b"<CompleteMultipartUploadResult><EncodingType>url</EncodingType>\
<Location>http://x/multipart.data</Location><Bucket>oss-example</Bucket>\
<Key>demo%2Fmultipart.data</Key><ETag>\"097DE458AD02B5F89F9D0530231876-2\"</ETag></CompleteMultipartUploadResult>",
        )
        .unwrap();
        assert_eq!(done.key, "demo/multipart.data");
        assert_eq!(done.etag, "\"097DE458AD02B5F89F9D0530231876-2\"");

        let parts = parse_list_parts(
            b"<ListPartsResult><Bucket>b</Bucket><Key>k</Key><UploadId>U</UploadId>\
<PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>5</NextPartNumberMarker>\
<MaxParts>1000</MaxParts><IsTruncated>true</IsTruncated>\
<Part><PartNumber>1</PartNumber><LastModified>2012-02-23T07:01:34.000Z</LastModified>\
<ETag>\"3349DC70\"</ETag><HashCrc64ecma>11051210869376104954</HashCrc64ecma><Size>6291456</Size></Part>\
<Part><PartNumber>5</PartNumber><ETag>\"AA\"</ETag><Size>3</Size></Part></ListPartsResult>",
        )
        .unwrap();
        assert_eq!(parts.next_part_number_marker, Some(5));
        assert!(parts.is_truncated);
        assert_eq!(parts.parts.len(), 2);
        assert_eq!(parts.parts[0].crc64, Some(11051210869376104954));
        assert_eq!(parts.parts[0].size, 6291456);
        assert_eq!(parts.parts[1].crc64, None);

        let uploads = parse_list_multipart_uploads(
            b"<ListMultipartUploadsResult><Bucket>b</Bucket><EncodingType>url</EncodingType>\
<IsTruncated>false</IsTruncated><NextKeyMarker>x%20y</NextKeyMarker>\
<Upload><Key>x%20y</Key><UploadId>U1</UploadId><Initiated>2012-02-23T04:18:23.000Z</Initiated></Upload>\
<Upload><Key>z</Key><UploadId>U2</UploadId></Upload></ListMultipartUploadsResult>",
        )
        .unwrap();
        assert_eq!(uploads.uploads.len(), 2);
        assert_eq!(uploads.uploads[0].key, "x y");
        assert_eq!(uploads.next_key_marker.as_deref(), Some("x y"));
    }

    #[test]
    fn delete_result_and_copy() {
        let res = parse_delete_result(
            b"<DeleteResult><EncodingType>url</EncodingType><Deleted><Key>a%2Fb.txt</Key></Deleted>\
<Deleted><Key>c.txt</Key><DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>V</DeleteMarkerVersionId></Deleted></DeleteResult>",
        )
        .unwrap();
        assert_eq!(res.len(), 2);
        assert_eq!(res[0].key, "a/b.txt");
        assert!(res[1].delete_marker);
        assert!(parse_delete_result(b"").unwrap().is_empty());
        assert!(parse_delete_result(b"<DeleteResult></DeleteResult>")
            .unwrap()
            .is_empty());
        let copy = parse_copy_object(
            b"<CopyObjectResult><ETag>\"F2064A16\"</ETag><LastModified>2023-02-24T09:41:56.000Z</LastModified></CopyObjectResult>",
        )
        .unwrap();
        assert_eq!(copy.etag, "\"F2064A16\"");
        assert!(copy.last_modified.is_some());
    }
}
