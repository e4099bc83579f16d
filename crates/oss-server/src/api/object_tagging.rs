//! Object tagging: Put/Get/DeleteObjectTagging (`?tagging` on a key), the `x-oss-tagging`
//! header of the calls that create objects, and OSS's limits on tags.

use axum::body::Body;
use axum::response::Response;
use http::StatusCode;
use serde::Deserialize;

use super::bucket::bucket_of;
use super::error::ApiError;
use super::request::{read_small, BodyStream, RequestCtx};
use super::xml::XmlWriter;
use super::AppState;

/// Most tags one object may carry.
pub const MAX_TAGS: usize = 10;
/// Longest tag key, in characters.
pub const MAX_TAG_KEY_CHARS: usize = 128;
/// Longest tag value, in characters.
pub const MAX_TAG_VALUE_CHARS: usize = 256;
/// Largest PutObjectTagging body accepted.
const MAX_TAGGING_BODY: usize = 64 * 1024;

fn invalid_tag(message: String, ec: &'static str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "InvalidTag", message).ec(ec)
}

/// Whether a character may appear in a tag key or value: letters, digits, space and
/// `+ - = . _ : / @`.
fn allowed_tag_char(c: char) -> bool {
    c.is_alphanumeric() || " +-=._:/@".contains(c)
}

/// Checks a tag set against OSS's rules: at most 10 tags, unique non-empty keys of at most 128
/// characters, values of at most 256 characters, allowed characters only.
///
/// ```
/// use jitstore_oss_server::api::object_tagging::validate_tags;
/// assert!(validate_tags(&[("project".into(), "blue sky".into())]).is_ok());
/// let long = "k".repeat(129);
/// assert_eq!(validate_tags(&[(long, String::new())]).unwrap_err().code, "InvalidTag");
/// ```
pub fn validate_tags(tags: &[(String, String)]) -> Result<(), ApiError> {
    if tags.len() > MAX_TAGS {
        return Err(invalid_tag(
            format!(
                "An object can have at most {MAX_TAGS} tags; {} were given.",
                tags.len()
            ),
            "0010-00000217",
        ));
    }
    for (i, (key, value)) in tags.iter().enumerate() {
        if key.is_empty() {
            return Err(invalid_tag(
                "A tag key must not be empty.".into(),
                "0010-00000217",
            ));
        }
        if key.chars().count() > MAX_TAG_KEY_CHARS {
            return Err(invalid_tag(
                format!("Tag key {key:?} is longer than {MAX_TAG_KEY_CHARS} characters."),
                "0010-00000209",
            ));
        }
        if value.chars().count() > MAX_TAG_VALUE_CHARS {
            return Err(invalid_tag(
                format!(
                    "The value of tag {key:?} is longer than {MAX_TAG_VALUE_CHARS} characters."
                ),
                "0010-00000214",
            ));
        }
        if let Some(c) = key
            .chars()
            .chain(value.chars())
            .find(|c| !allowed_tag_char(*c))
        {
            return Err(invalid_tag(
                format!(
                    "Tag {key:?} contains {c:?}: tags allow letters, digits, space and + - = . _ : / @."
                ),
                "0010-00000217",
            ));
        }
        if tags[..i].iter().any(|(k, _)| k == key) {
            return Err(invalid_tag(
                format!("Tag key {key:?} is given twice."),
                "0010-00000217",
            ));
        }
    }
    Ok(())
}

/// Parses and validates an `x-oss-tagging` header: `k1=v1&k2=v2`, keys and values URL-encoded,
/// a bare `k` meaning an empty value.
///
/// ```
/// use jitstore_oss_server::api::object_tagging::parse_tagging_header;
/// let tags = parse_tagging_header("a=1&b%20c=x%2Fy&d").unwrap();
/// assert_eq!(tags, vec![("a".into(), "1".into()), ("b c".into(), "x/y".into()), ("d".into(), "".into())]);
/// assert_eq!(parse_tagging_header("aa=bb=cc").unwrap_err().code, "InvalidArgument");
/// ```
pub fn parse_tagging_header(value: &str) -> Result<Vec<(String, String)>, ApiError> {
    let malformed = |why: String| {
        ApiError::invalid_argument(format!(
            "x-oss-tagging must be key1=value1&key2=value2 (URL-encoded): {why}"
        ))
        .ec("0010-00000219")
        .extra("ArgumentName", "x-oss-tagging")
    };
    let mut tags = Vec::new();
    for item in value.trim().split('&').filter(|s| !s.is_empty()) {
        let (k, v) = item.split_once('=').unwrap_or((item, ""));
        if v.contains('=') {
            return Err(malformed(format!("{item:?} has more than one '='")));
        }
        let decode = |s: &str| {
            jitstore_oss::encoding::decode(s).map_err(|e| malformed(format!("{item:?}: {e}")))
        };
        tags.push((decode(k)?, decode(v)?));
    }
    validate_tags(&tags)?;
    Ok(tags)
}

/// The `x-oss-tagging` request header, parsed and validated (empty when absent).
pub fn tagging_header(ctx: &RequestCtx) -> Result<Vec<(String, String)>, ApiError> {
    match ctx.headers.get("x-oss-tagging") {
        None => Ok(Vec::new()),
        Some(v) => parse_tagging_header(v.to_str().map_err(|_| {
            ApiError::invalid_argument("x-oss-tagging is not visible ASCII: URL-encode it.")
                .ec("0010-00000219")
                .extra("ArgumentName", "x-oss-tagging")
        })?),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TaggingXml {
    tag_set: TagSetXml,
}

#[derive(Debug, Deserialize, Default)]
struct TagSetXml {
    #[serde(default, rename = "Tag")]
    tags: Vec<TagXml>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagXml {
    key: String,
    #[serde(default)]
    value: String,
}

/// Parses and validates a `<Tagging><TagSet><Tag><Key/><Value/></Tag>…` document.
pub fn parse_tagging_xml(xml: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    let doc: TaggingXml = jitstore_oss::xml::from_xml_exact("Tagging", xml)
        .map_err(|e| ApiError::malformed_xml(e.to_string()))?;
    let tags: Vec<(String, String)> = doc
        .tag_set
        .tags
        .into_iter()
        .map(|t| (t.key, t.value))
        .collect();
    validate_tags(&tags)?;
    Ok(tags)
}

/// PutObjectTagging (`PUT /key?tagging`): replaces the object's tags; data, ETag and
/// Last-Modified stay.
pub async fn put_object_tagging(
    state: &AppState,
    ctx: &RequestCtx,
    body: &mut BodyStream,
) -> Result<Response, ApiError> {
    let bucket = bucket_of(state, ctx)?;
    let key = ctx.key_name()?;
    let xml = read_small(body, MAX_TAGGING_BODY).await?;
    let tags = parse_tagging_xml(&xml)?;
    set_tags(&bucket, key, tags).await?;
    Ok(Response::builder()
        .status(StatusCode::OK)
        .body(Body::empty())
        .unwrap_or_default())
}

/// DeleteObjectTagging (`DELETE /key?tagging`): removes every tag, 204.
pub async fn delete_object_tagging(
    state: &AppState,
    ctx: &RequestCtx,
) -> Result<Response, ApiError> {
    let bucket = bucket_of(state, ctx)?;
    set_tags(&bucket, ctx.key_name()?, Vec::new()).await?;
    Ok(Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(Body::empty())
        .unwrap_or_default())
}

async fn set_tags(
    bucket: &crate::storage::Bucket,
    key: &str,
    tags: Vec<(String, String)>,
) -> Result<(), ApiError> {
    let updated = bucket
        .update_meta(key, |meta| {
            meta.headers.tags = tags.clone();
            Ok(())
        })
        .await?;
    match updated {
        Some(_) => Ok(()),
        None => Err(ApiError::no_such_key(key)),
    }
}

/// GetObjectTagging (`GET /key?tagging`): `<Tagging><TagSet>…`, empty when untagged.
pub async fn get_object_tagging(state: &AppState, ctx: &RequestCtx) -> Result<Response, ApiError> {
    let bucket = bucket_of(state, ctx)?;
    let key = ctx.key_name()?;
    let meta = bucket
        .lookup(key)
        .ok_or_else(|| ApiError::no_such_key(key))?;
    let mut w = XmlWriter::new();
    w.open("Tagging");
    w.open("TagSet");
    for (k, v) in &meta.headers.tags {
        w.open("Tag");
        w.elem("Key", k);
        w.elem("Value", v);
        w.close("Tag");
    }
    w.close("TagSet");
    w.close("Tagging");
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/xml")
        .body(Body::from(w.finish()))
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_enforced() {
        let tag = |k: &str, v: &str| (k.to_string(), v.to_string());
        let ten: Vec<_> = (0..10).map(|i| tag(&format!("k{i}"), "v")).collect();
        assert!(validate_tags(&ten).is_ok());
        let mut eleven = ten.clone();
        eleven.push(tag("k10", "v"));
        assert_eq!(validate_tags(&eleven).unwrap_err().code, "InvalidTag");
        assert!(validate_tags(&[tag(&"k".repeat(128), &"v".repeat(256))]).is_ok());
        assert!(validate_tags(&[tag(&"k".repeat(129), "v")]).is_err());
        assert!(validate_tags(&[tag("k", &"v".repeat(257))]).is_err());
        assert!(validate_tags(&[tag("a", "1"), tag("a", "2")]).is_err());
        assert!(validate_tags(&[tag("", "1")]).is_err());
        assert!(validate_tags(&[tag("a<b", "1")]).is_err());
        // Characters, not bytes, are counted.
        assert!(validate_tags(&[tag(&"é".repeat(128), "")]).is_ok());
    }

    #[test]
    fn tagging_xml_parses() {
        let tags = parse_tagging_xml(
            b"<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value></Value></Tag></TagSet></Tagging>",
        )
        .unwrap();
        assert_eq!(
            tags,
            vec![("a".into(), "1".into()), ("b".into(), String::new())]
        );
        assert!(parse_tagging_xml(b"<Tagging><TagSet></TagSet></Tagging>")
            .unwrap()
            .is_empty());
        assert_eq!(
            parse_tagging_xml(b"not xml").unwrap_err().code,
            "MalformedXML"
        );
    }
}
