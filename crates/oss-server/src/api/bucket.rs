//! Service and bucket calls: ListBuckets, Put/DeleteBucket, GetBucketInfo/Location/Acl,
//! ListObjects (V1 and V2), DeleteMultipleObjects.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use base64::Engine;
use http::StatusCode;
use md5::{Digest, Md5};
use serde::Deserialize;

use super::error::{ApiError, ResponseBuilderExt};
use super::request::{read_small, BodyStream, RequestCtx};
use super::xml::{iso8601, XmlWriter};
use super::AppState;
use crate::storage::{now_ms, Bucket, BucketInfo, ObjectMeta};

const OWNER_ID: &str = "jitstore";

fn xml_response(status: StatusCode, body: String) -> Result<Response, ApiError> {
    Response::builder()
        .status(status)
        .header("content-type", "application/xml")
        .finish(Body::from(body))
}

fn empty(status: StatusCode) -> Result<Response, ApiError> {
    Response::builder().status(status).finish(Body::empty())
}

pub(crate) fn bucket_of(state: &AppState, ctx: &RequestCtx) -> Result<Arc<Bucket>, ApiError> {
    let name = ctx.bucket_name()?;
    state
        .store
        .bucket(name)
        .ok_or_else(|| ApiError::no_such_bucket(name))
}

fn location(region: &str) -> String {
    format!("oss-{region}")
}

pub(crate) fn owner(w: &mut XmlWriter) {
    w.open("Owner");
    w.elem("ID", OWNER_ID);
    w.elem("DisplayName", OWNER_ID);
    w.close("Owner");
}

/// ListBuckets (`GET /`).
pub fn list_buckets(state: &AppState, ctx: &RequestCtx) -> Result<Response, ApiError> {
    let prefix = ctx.query.get("prefix").unwrap_or("");
    let mut w = XmlWriter::new();
    w.open("ListAllMyBucketsResult");
    owner(&mut w);
    w.open("Buckets");
    for b in state.store.list_buckets() {
        if !b.name.starts_with(prefix) {
            continue;
        }
        w.open("Bucket");
        w.elem("CreationDate", &iso8601(b.created_ms));
        w.elem("ExtranetEndpoint", &ctx.host);
        w.elem("IntranetEndpoint", &ctx.host);
        w.elem("Location", &location(&b.region));
        w.elem("Name", &b.name);
        w.elem("Region", &b.region);
        w.elem("StorageClass", &b.storage_class);
        w.close("Bucket");
    }
    w.close("Buckets");
    w.close("ListAllMyBucketsResult");
    xml_response(StatusCode::OK, w.finish())
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct CreateBucketConfiguration {
    storage_class: Option<String>,
}

/// PutBucket.
pub async fn put_bucket(
    state: &AppState,
    ctx: &RequestCtx,
    body: &mut BodyStream,
) -> Result<Response, ApiError> {
    let name = ctx.bucket_name()?;
    jitstore_oss::encoding::validate_bucket_name(name)
        .map_err(|_| ApiError::invalid_bucket_name(name))?;
    let xml = read_small(body, 64 * 1024).await?;
    let config: CreateBucketConfiguration = if xml.iter().all(u8::is_ascii_whitespace) {
        CreateBucketConfiguration::default()
    } else {
        quick_xml::de::from_reader(xml.as_slice())
            .map_err(|e| ApiError::malformed_xml(format!("CreateBucketConfiguration: {e}")))?
    };
    let acl = ctx.header("x-oss-acl").unwrap_or("private").to_string();
    state.store.create_bucket(BucketInfo {
        name: name.to_string(),
        created_ms: now_ms(),
        region: state.region.clone(),
        acl,
        storage_class: config
            .storage_class
            .unwrap_or_else(|| "Standard".to_string()),
    })?;
    Response::builder()
        .status(StatusCode::OK)
        .header("location", format!("/{name}"))
        .finish(Body::empty())
}

/// DeleteBucket.
pub fn delete_bucket(state: &AppState, ctx: &RequestCtx) -> Result<Response, ApiError> {
    state.store.delete_bucket(ctx.bucket_name()?)?;
    empty(StatusCode::NO_CONTENT)
}

/// GetBucketInfo (`GET /?bucketInfo`).
pub fn get_bucket_info(state: &AppState, ctx: &RequestCtx) -> Result<Response, ApiError> {
    let info = bucket_of(state, ctx)?.info();
    let mut w = XmlWriter::new();
    w.open("BucketInfo");
    w.open("Bucket");
    w.elem("AccessMonitor", "Disabled");
    w.elem("CreationDate", &iso8601(info.created_ms));
    w.elem("ExtranetEndpoint", &ctx.host);
    w.elem("IntranetEndpoint", &ctx.host);
    w.elem("Location", &location(&info.region));
    w.elem("StorageClass", &info.storage_class);
    w.elem("TransferAcceleration", "Disabled");
    w.elem("CrossRegionReplication", "Disabled");
    w.elem("Name", &info.name);
    w.elem("Region", &info.region);
    w.elem("DataRedundancyType", "LRS");
    owner(&mut w);
    w.open("AccessControlList");
    w.elem("Grant", &info.acl);
    w.close("AccessControlList");
    w.open("ServerSideEncryptionRule");
    w.elem("SSEAlgorithm", "None");
    w.close("ServerSideEncryptionRule");
    w.open("BucketPolicy");
    w.elem("LogBucket", "");
    w.elem("LogPrefix", "");
    w.close("BucketPolicy");
    w.close("Bucket");
    w.close("BucketInfo");
    xml_response(StatusCode::OK, w.finish())
}

/// GetBucketLocation (`GET /?location`).
pub fn get_bucket_location(state: &AppState, ctx: &RequestCtx) -> Result<Response, ApiError> {
    let info = bucket_of(state, ctx)?.info();
    let mut w = XmlWriter::new();
    w.elem("LocationConstraint", &location(&info.region));
    xml_response(StatusCode::OK, w.finish())
}

/// GetBucketAcl (`GET /?acl`).
pub fn get_bucket_acl(state: &AppState, ctx: &RequestCtx) -> Result<Response, ApiError> {
    let info = bucket_of(state, ctx)?.info();
    let mut w = XmlWriter::new();
    w.open("AccessControlPolicy");
    owner(&mut w);
    w.open("AccessControlList");
    w.elem("Grant", &info.acl);
    w.close("AccessControlList");
    w.close("AccessControlPolicy");
    xml_response(StatusCode::OK, w.finish())
}

/// The page size a listing asks for in query parameter `name` (`max-keys`, `max-parts`,
/// `max-uploads`): 1 to 1000, `default` when absent or empty.
pub(crate) fn page_size(ctx: &RequestCtx, name: &str, default: usize) -> Result<usize, ApiError> {
    match ctx.query.get(name) {
        None | Some("") => Ok(default),
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => Ok(n),
            _ => Err(ApiError::invalid_argument(format!(
                "Argument {name} must be an integer between 1 and 1000."
            ))
            .extra("ArgumentName", name)
            .extra("ArgumentValue", v)),
        },
    }
}

fn encoding_url(ctx: &RequestCtx) -> Result<bool, ApiError> {
    match ctx.query.get("encoding-type") {
        None | Some("") => Ok(false),
        Some("url") => Ok(true),
        Some(other) => Err(ApiError::invalid_argument(format!(
            "Invalid encoding-type {other:?}: only url is supported."
        ))),
    }
}

/// One page of a listing.
pub struct ListPage {
    /// Objects on this page.
    pub contents: Vec<ObjectMeta>,
    /// Common prefixes on this page.
    pub prefixes: Vec<String>,
    /// Whether more entries follow.
    pub truncated: bool,
    /// The last key or prefix returned (the next marker).
    pub last: Option<String>,
}

/// Lists `bucket` from after `marker`, grouping by `delimiter`, at most `max` entries.
pub fn list_page(
    bucket: &Bucket,
    prefix: &str,
    delimiter: &str,
    marker: Option<&str>,
    max: usize,
) -> ListPage {
    let mut page = ListPage {
        contents: Vec::new(),
        prefixes: Vec::new(),
        truncated: false,
        last: None,
    };
    let marker_str = marker.unwrap_or("");
    bucket.scan(prefix, marker.filter(|m| !m.is_empty()), |meta| {
        let rest = &meta.key[prefix.len()..];
        let common = (!delimiter.is_empty())
            .then(|| rest.find(delimiter))
            .flatten()
            .map(|i| format!("{prefix}{}", &rest[..i + delimiter.len()]));
        if let Some(cp) = common {
            if cp.as_str() <= marker_str || page.prefixes.last() == Some(&cp) {
                return true;
            }
            if page.contents.len() + page.prefixes.len() >= max {
                page.truncated = true;
                return false;
            }
            page.last = Some(cp.clone());
            page.prefixes.push(cp);
        } else {
            if page.contents.len() + page.prefixes.len() >= max {
                page.truncated = true;
                return false;
            }
            page.last = Some(meta.key.clone());
            page.contents.push(meta.clone());
        }
        true
    });
    page
}

/// Whether a listing must be URL-encoded: the client asked for `encoding-type=url`, or a value
/// on the page holds a character XML 1.0 cannot carry (OSS's documentation leaves such keys to
/// `encoding-type=url`; answering with it, and saying so in `EncodingType`, keeps the document
/// well-formed and lets the SDKs decode the exact keys).
fn must_encode(asked: bool, page: &ListPage, values: &[&str]) -> bool {
    asked
        || !values.iter().all(|v| super::xml::is_xml_text(v))
        || !page
            .contents
            .iter()
            .all(|m| super::xml::is_xml_text(&m.key))
        || !page.prefixes.iter().all(|p| super::xml::is_xml_text(p))
}

fn write_contents(w: &mut XmlWriter, page: &ListPage, encode: bool, with_owner: bool) {
    for meta in &page.contents {
        w.open("Contents");
        w.elem_enc("Key", &meta.key, encode);
        w.elem("LastModified", &iso8601(meta.last_modified_ms));
        w.elem("ETag", &meta.quoted_etag());
        w.elem("Type", meta.object_type.as_str());
        w.elem("Size", &meta.size.to_string());
        w.elem("StorageClass", meta.storage_class());
        if with_owner {
            owner(w);
        }
        w.close("Contents");
    }
    for p in &page.prefixes {
        w.open("CommonPrefixes");
        w.elem_enc("Prefix", p, encode);
        w.close("CommonPrefixes");
    }
}

/// ListObjects (V1).
pub fn list_objects_v1(state: &AppState, ctx: &RequestCtx) -> Result<Response, ApiError> {
    let bucket = bucket_of(state, ctx)?;
    let prefix = ctx.query.get("prefix").unwrap_or("");
    let delimiter = ctx.query.get("delimiter").unwrap_or("");
    let marker = ctx.query.get("marker").unwrap_or("");
    let max = page_size(ctx, "max-keys", 100)?;
    let asked = encoding_url(ctx)?;
    let page = list_page(&bucket, prefix, delimiter, Some(marker), max);
    let encode = must_encode(asked, &page, &[prefix, delimiter, marker]);
    let mut w = XmlWriter::new();
    w.open("ListBucketResult");
    w.elem("Name", &bucket.name());
    w.elem_enc("Prefix", prefix, encode);
    w.elem_enc("Marker", marker, encode);
    w.elem("MaxKeys", &max.to_string());
    w.elem_enc("Delimiter", delimiter, encode);
    if encode {
        w.elem("EncodingType", "url");
    }
    w.elem("IsTruncated", if page.truncated { "true" } else { "false" });
    if page.truncated {
        if let Some(last) = &page.last {
            w.elem_enc("NextMarker", last, encode);
        }
    }
    write_contents(&mut w, &page, encode, true);
    w.close("ListBucketResult");
    xml_response(StatusCode::OK, w.finish())
}

fn encode_token(last: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(last.as_bytes())
}

fn decode_token(token: &str) -> Result<String, ApiError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            ApiError::invalid_argument("The continuation token provided is incorrect.")
                .extra("ArgumentName", "continuation-token")
        })
}

/// ListObjectsV2 (`GET /?list-type=2`).
pub fn list_objects_v2(state: &AppState, ctx: &RequestCtx) -> Result<Response, ApiError> {
    let bucket = bucket_of(state, ctx)?;
    let prefix = ctx.query.get("prefix").unwrap_or("");
    let delimiter = ctx.query.get("delimiter").unwrap_or("");
    let start_after = ctx.query.get("start-after").unwrap_or("");
    let token = ctx
        .query
        .get("continuation-token")
        .filter(|t| !t.is_empty());
    let max = page_size(ctx, "max-keys", 100)?;
    let asked = encoding_url(ctx)?;
    let fetch_owner = ctx.query.get("fetch-owner") == Some("true");
    let after = match token {
        Some(t) => decode_token(t)?,
        None => start_after.to_string(),
    };
    let page = list_page(&bucket, prefix, delimiter, Some(&after), max);
    let encode = must_encode(asked, &page, &[prefix, delimiter, start_after]);
    let mut w = XmlWriter::new();
    w.open("ListBucketResult");
    w.elem("Name", &bucket.name());
    w.elem_enc("Prefix", prefix, encode);
    if !start_after.is_empty() {
        w.elem_enc("StartAfter", start_after, encode);
    }
    if let Some(t) = token {
        w.elem("ContinuationToken", t);
    }
    w.elem("MaxKeys", &max.to_string());
    w.elem_enc("Delimiter", delimiter, encode);
    if encode {
        w.elem("EncodingType", "url");
    }
    w.elem("IsTruncated", if page.truncated { "true" } else { "false" });
    if page.truncated {
        if let Some(last) = &page.last {
            w.elem("NextContinuationToken", &encode_token(last));
        }
    }
    w.elem(
        "KeyCount",
        &(page.contents.len() + page.prefixes.len()).to_string(),
    );
    write_contents(&mut w, &page, encode, fetch_owner);
    w.close("ListBucketResult");
    xml_response(StatusCode::OK, w.finish())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteRequest {
    #[serde(default)]
    quiet: Option<String>,
    #[serde(default, rename = "Object")]
    objects: Vec<DeleteEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteEntry {
    key: String,
}

/// DeleteMultipleObjects (`POST /?delete`); Content-MD5 is required.
pub async fn delete_multiple(
    state: &AppState,
    ctx: &RequestCtx,
    body: &mut BodyStream,
) -> Result<Response, ApiError> {
    let bucket = bucket_of(state, ctx)?;
    let encode = encoding_url(ctx)?;
    let xml = read_small(body, 2 * 1024 * 1024).await?;
    let Some(sent_md5) = ctx.header("content-md5") else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "InvalidDigest",
            "Missing required header for this request: Content-MD5.",
        ));
    };
    let digest: [u8; 16] = Md5::digest(&xml).into();
    if base64::engine::general_purpose::STANDARD.encode(digest) != sent_md5.trim() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "InvalidDigest",
            "The Content-MD5 you specified did not match what we received.",
        ));
    }
    let request: DeleteRequest = jitstore_oss::xml::from_xml_exact("Delete", &xml)
        .map_err(|e| ApiError::malformed_xml(e.to_string()))?;
    if request.objects.is_empty() || request.objects.len() > 1000 {
        return Err(ApiError::malformed_xml(
            "The Delete request must name between 1 and 1000 objects.",
        ));
    }
    let quiet = request
        .quiet
        .as_deref()
        .is_some_and(|q| q.trim().eq_ignore_ascii_case("true"));
    let mut w = XmlWriter::new();
    w.open("DeleteResult");
    if encode {
        w.elem("EncodingType", "url");
    }
    // Every key is checked before the first deletion: a refused request deletes nothing.
    if let Some(bad) = request
        .objects
        .iter()
        .find(|e| jitstore_oss::encoding::validate_object_key(&e.key).is_err())
    {
        return Err(ApiError::invalid_object_name(format!(
            "Invalid object key in Delete request: {:?}",
            bad.key
        )));
    }
    for entry in &request.objects {
        bucket.delete(&entry.key)?;
        if !quiet {
            w.open("Deleted");
            w.elem_enc("Key", &entry.key, encode);
            w.close("Deleted");
        }
    }
    w.close("DeleteResult");
    xml_response(StatusCode::OK, w.finish())
}
