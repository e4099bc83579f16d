//! Multipart calls: Initiate, UploadPart(Copy), Complete, Abort, ListParts, ListMultipartUploads.

use axum::body::Body;
use axum::response::Response;
use http::StatusCode;
use md5::{Digest, Md5};
use serde::Deserialize;

use super::bucket::{bucket_of, page_size};
use super::error::{ApiError, ResponseBuilderExt};
use super::object::{
    check_content_md5, content_headers_from, copy_range, evaluate_range, open_copy_source,
    RangeOutcome,
};
use super::request::{check_declared_length, read_small, stream_into, BodyStream, RequestCtx};
use super::xml::{is_xml_text, iso8601, XmlWriter};
use super::AppState;
use crate::storage::multipart::{PartMeta, UploadInfo};
use crate::storage::{now_ms, Bucket, ObjectMeta, ObjectType, StoreError};

/// Smallest part allowed anywhere but last (100 KiB).
pub const MIN_PART_SIZE: u64 = 100 * 1024;
/// Largest part: 5 GiB.
pub const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;

fn xml_ok(body: String) -> Result<Response, ApiError> {
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/xml")
        .finish(Body::from(body))
}

fn encoding_url(ctx: &RequestCtx) -> bool {
    ctx.query.get("encoding-type") == Some("url")
}

/// InitiateMultipartUpload (`POST /key?uploads`).
pub fn initiate(state: &AppState, ctx: &RequestCtx) -> Result<Response, ApiError> {
    let bucket = bucket_of(state, ctx)?;
    let key = ctx.key_name()?;
    let forbid = ctx.forbid_overwrite();
    if forbid && bucket.lookup(key).is_some() {
        return Err(StoreError::FileAlreadyExists(key.to_string()).into());
    }
    let mut headers = content_headers_from(ctx);
    super::object_attrs::apply_write_attrs(ctx, &mut headers)?;
    super::request::validate_content_headers(&headers)?;
    let info = bucket.initiate_upload(key, headers, forbid)?;
    let encode = encoding_url(ctx) || !is_xml_text(key);
    let mut w = XmlWriter::new();
    w.open("InitiateMultipartUploadResult");
    w.elem("Bucket", &bucket.name());
    w.elem_enc("Key", key, encode);
    w.elem("UploadId", &info.upload_id);
    if encode {
        w.elem("EncodingType", "url");
    }
    w.close("InitiateMultipartUploadResult");
    xml_ok(w.finish())
}

fn upload_for(bucket: &Bucket, ctx: &RequestCtx) -> Result<UploadInfo, ApiError> {
    let id = ctx.query.get("uploadId").unwrap_or("");
    match bucket.upload(id)? {
        Some(info) if Some(info.key.as_str()) == ctx.key.as_deref() => Ok(info),
        _ => Err(ApiError::no_such_upload(id)),
    }
}

fn part_number(ctx: &RequestCtx) -> Result<u32, ApiError> {
    ctx.query
        .get("partNumber")
        .and_then(|p| p.trim().parse::<u32>().ok())
        .filter(|n| (1..=10000).contains(n))
        .ok_or_else(|| {
            ApiError::invalid_argument(
                "Part number must be an integer between 1 and 10000, inclusive.",
            )
            .extra("ArgumentName", "partNumber")
            .extra("ArgumentValue", ctx.query.get("partNumber").unwrap_or(""))
        })
}

/// UploadPart (`PUT /key?partNumber=N&uploadId=ID`), or UploadPartCopy with `x-oss-copy-source`.
pub async fn upload_part(
    state: &AppState,
    ctx: &RequestCtx,
    body: &mut BodyStream,
) -> Result<Response, ApiError> {
    let bucket = bucket_of(state, ctx)?;
    let number = part_number(ctx)?;
    let info = upload_for(&bucket, ctx)?;
    let limit = state.limits.max_object_size.min(MAX_PART_SIZE);
    check_declared_length(ctx, limit)?;
    let mut staging = bucket.stage().await?;
    let copy_source = ctx.header("x-oss-copy-source").map(str::to_string);
    if let Some(source) = &copy_source {
        let src = open_copy_source(state, ctx, source).await?;
        let (start, len) =
            match evaluate_range(ctx.header("x-oss-copy-source-range"), src.meta.size, true) {
                RangeOutcome::Whole => (0, src.meta.size),
                RangeOutcome::Partial(s, e) => (s, e - s + 1),
                RangeOutcome::Unsatisfiable => {
                    return Err(ApiError::new(
                        StatusCode::RANGE_NOT_SATISFIABLE,
                        "InvalidRange",
                        "The requested range cannot be satisfied",
                    ))
                }
            };
        copy_range(&src, start, len, &mut staging).await?;
    } else {
        stream_into(&mut staging, body, limit).await?;
    }
    let digest = staging.digest();
    if copy_source.is_none() {
        check_content_md5(ctx, &digest.md5)?;
    }
    let part = PartMeta {
        part_number: number,
        etag: digest.md5_hex(),
        crc64: digest.crc64,
        size: digest.size,
        last_modified_ms: now_ms(),
    };
    staging
        .seal(&part)
        .await
        .map_err(|e| ApiError::internal(format!("sealing the part failed: {e}")))?;
    if !bucket.commit_part(&info.upload_id, number, &mut staging)? {
        return Err(ApiError::no_such_upload(&info.upload_id));
    }
    let etag = format!("\"{}\"", part.etag);
    if copy_source.is_some() {
        let mut w = XmlWriter::new();
        w.open("CopyPartResult");
        w.elem("LastModified", &iso8601(part.last_modified_ms));
        w.elem("ETag", &etag);
        w.close("CopyPartResult");
        return xml_ok(w.finish());
    }
    Response::builder()
        .status(StatusCode::OK)
        .header("etag", etag)
        .header("content-md5", digest.md5_base64())
        .header("x-oss-hash-crc64ecma", part.crc64.to_string())
        .finish(Body::empty())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CompleteRequest {
    #[serde(default, rename = "Part")]
    parts: Vec<CompletePart>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CompletePart {
    part_number: String,
    #[serde(rename = "ETag")]
    etag: String,
}

fn invalid_part(message: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "InvalidPart", message).ec("0042-00000203")
}

/// CompleteMultipartUpload (`POST /key?uploadId=ID`).
pub async fn complete(
    state: &AppState,
    ctx: &RequestCtx,
    body: &mut BodyStream,
) -> Result<Response, ApiError> {
    let bucket = bucket_of(state, ctx)?;
    let info = upload_for(&bucket, ctx)?;
    let xml = read_small(body, 4 * 1024 * 1024).await?;
    let stored = bucket.parts(&info.upload_id).await?;
    let complete_all = ctx
        .header("x-oss-complete-all")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("yes"));
    let chosen: Vec<PartMeta> = if complete_all {
        if !xml.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::invalid_argument(
                "The body must be empty when x-oss-complete-all is yes.",
            ));
        }
        stored.clone()
    } else {
        let request: CompleteRequest =
            jitstore_oss::xml::from_xml_exact("CompleteMultipartUpload", &xml)
                .map_err(|e| ApiError::malformed_xml(e.to_string()))?;
        if request.parts.is_empty() {
            return Err(ApiError::malformed_xml(
                "CompleteMultipartUpload must list at least one part.",
            ));
        }
        let mut chosen = Vec::with_capacity(request.parts.len());
        let mut previous = 0u32;
        for p in &request.parts {
            let number: u32 = p
                .part_number
                .trim()
                .parse()
                .map_err(|_| invalid_part("A part number is not an integer."))?;
            if number <= previous {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "InvalidPartOrder",
                    "The list of parts was not in ascending order. The parts list must be specified in order by part number.",
                )
                .ec("0042-00000204"));
            }
            previous = number;
            let want = p.etag.trim().trim_matches('"');
            match stored.iter().find(|s| s.part_number == number) {
                Some(s) if s.etag.eq_ignore_ascii_case(want) => chosen.push(s.clone()),
                _ => {
                    return Err(invalid_part(
                        "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.",
                    )
                    .extra("PartNumber", number.to_string()))
                }
            }
        }
        chosen
    };
    if chosen.is_empty() {
        return Err(invalid_part("The upload has no parts."));
    }
    if let Some(small) = chosen[..chosen.len() - 1]
        .iter()
        .find(|p| p.size < MIN_PART_SIZE)
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "EntityTooSmall",
            "Your proposed upload is smaller than the minimum allowed size.",
        )
        .ec("0042-00000213")
        .extra("PartNumber", small.part_number.to_string())
        .extra("MinSizeAllowed", MIN_PART_SIZE.to_string())
        .extra("ProposedSize", small.size.to_string()));
    }
    let forbid = info.forbid_overwrite || ctx.forbid_overwrite();
    if forbid && bucket.lookup(&info.key).is_some() {
        return Err(StoreError::FileAlreadyExists(info.key.clone()).into());
    }
    // The object is the parts themselves: its ETag and CRC-64 come from theirs, nothing is
    // copied or hashed again.
    let mut etag_md5 = Md5::new();
    for part in &chosen {
        let raw = hex::decode(&part.etag)
            .map_err(|_| ApiError::internal("stored part ETag is not hex"))?;
        etag_md5.update(&raw);
    }
    let meta = ObjectMeta {
        key: info.key.clone(),
        size: chosen.iter().map(|p| p.size).sum(),
        etag: format!(
            "{}-{}",
            hex::encode_upper(etag_md5.finalize()),
            chosen.len()
        ),
        crc64: jitstore_oss::crc64::combine_all(chosen.iter().map(|p| (p.crc64, p.size))),
        content_md5: None,
        last_modified_ms: now_ms(),
        object_type: ObjectType::Multipart,
        headers: info.headers.clone(),
        symlink_target: None,
    };
    let completed = bucket
        .complete_upload(&info.upload_id, &chosen, meta, forbid)
        .await
        .map_err(|e| {
            let e = ApiError::from(e);
            if e.code == "FileAlreadyExists" {
                e.ec("0042-00000214")
            } else {
                e
            }
        })?;
    let Some(meta) = completed else {
        return Err(invalid_part(
            "A part disappeared while completing the upload.",
        ));
    };
    bucket.remove_upload(&info.upload_id)?;
    let encode = encoding_url(ctx) || !is_xml_text(&meta.key);
    let mut w = XmlWriter::new();
    w.open("CompleteMultipartUploadResult");
    if encode {
        w.elem("EncodingType", "url");
    }
    w.elem(
        "Location",
        &format!(
            "http://{}/{}/{}",
            ctx.host,
            bucket.name(),
            super::xml::url_encode(&meta.key)
        ),
    );
    w.elem("Bucket", &bucket.name());
    w.elem_enc("Key", &meta.key, encode);
    w.elem("ETag", &meta.quoted_etag());
    w.close("CompleteMultipartUploadResult");
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/xml")
        .header("etag", meta.quoted_etag())
        .header("x-oss-hash-crc64ecma", meta.crc64.to_string())
        .finish(Body::from(w.finish()))
}

/// AbortMultipartUpload (`DELETE /key?uploadId=ID`).
pub fn abort(state: &AppState, ctx: &RequestCtx) -> Result<Response, ApiError> {
    let bucket = bucket_of(state, ctx)?;
    let info = upload_for(&bucket, ctx)?;
    if !bucket.remove_upload(&info.upload_id)? {
        return Err(ApiError::no_such_upload(&info.upload_id));
    }
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .finish(Body::empty())
}

/// ListParts (`GET /key?uploadId=ID`).
pub async fn list_parts(state: &AppState, ctx: &RequestCtx) -> Result<Response, ApiError> {
    let bucket = bucket_of(state, ctx)?;
    let info = upload_for(&bucket, ctx)?;
    let max = page_size(ctx, "max-parts", 1000)?;
    let marker: u32 = match ctx.query.get("part-number-marker") {
        None | Some("") => 0,
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| ApiError::invalid_argument("part-number-marker must be an integer."))?,
    };
    let parts: Vec<PartMeta> = bucket
        .parts(&info.upload_id)
        .await?
        .into_iter()
        .filter(|p| p.part_number > marker)
        .collect();
    let truncated = parts.len() > max;
    let page = &parts[..parts.len().min(max)];
    let encode = encoding_url(ctx) || !is_xml_text(&info.key);
    let mut w = XmlWriter::new();
    w.open("ListPartsResult");
    if encode {
        w.elem("EncodingType", "url");
    }
    w.elem("Bucket", &bucket.name());
    w.elem_enc("Key", &info.key, encode);
    w.elem("UploadId", &info.upload_id);
    w.elem("PartNumberMarker", &marker.to_string());
    w.elem(
        "NextPartNumberMarker",
        &page.last().map(|p| p.part_number).unwrap_or(0).to_string(),
    );
    w.elem("MaxParts", &max.to_string());
    w.elem("IsTruncated", if truncated { "true" } else { "false" });
    for p in page {
        w.open("Part");
        w.elem("PartNumber", &p.part_number.to_string());
        w.elem("LastModified", &iso8601(p.last_modified_ms));
        w.elem("ETag", &format!("\"{}\"", p.etag));
        w.elem("HashCrc64ecma", &p.crc64.to_string());
        w.elem("Size", &p.size.to_string());
        w.close("Part");
    }
    w.close("ListPartsResult");
    xml_ok(w.finish())
}

/// ListMultipartUploads (`GET /?uploads`).
pub fn list_uploads(state: &AppState, ctx: &RequestCtx) -> Result<Response, ApiError> {
    let bucket = bucket_of(state, ctx)?;
    let prefix = ctx.query.get("prefix").unwrap_or("");
    let key_marker = ctx.query.get("key-marker").unwrap_or("");
    let id_marker = ctx.query.get("upload-id-marker").unwrap_or("");
    let max = page_size(ctx, "max-uploads", 1000)?;
    let uploads: Vec<UploadInfo> = bucket
        .uploads()?
        .into_iter()
        .filter(|u| u.key.starts_with(prefix))
        .filter(|u| {
            key_marker.is_empty()
                || u.key.as_str() > key_marker
                || (u.key == key_marker
                    && !id_marker.is_empty()
                    && u.upload_id.as_str() > id_marker)
        })
        .collect();
    let truncated = uploads.len() > max;
    let page = &uploads[..uploads.len().min(max)];
    // Keys XML 1.0 cannot carry switch the answer to url encoding (see ListObjects).
    let encode = encoding_url(ctx)
        || !page.iter().all(|u| is_xml_text(&u.key))
        || ![prefix, key_marker, ctx.query.get("delimiter").unwrap_or("")]
            .iter()
            .all(|v| is_xml_text(v));
    let mut w = XmlWriter::new();
    w.open("ListMultipartUploadsResult");
    if encode {
        w.elem("EncodingType", "url");
    }
    w.elem("Bucket", &bucket.name());
    w.elem_enc("KeyMarker", key_marker, encode);
    w.elem("UploadIdMarker", id_marker);
    let last = page.last();
    w.elem_enc(
        "NextKeyMarker",
        last.map(|u| u.key.as_str()).unwrap_or(""),
        encode,
    );
    w.elem(
        "NextUploadIdMarker",
        last.map(|u| u.upload_id.as_str()).unwrap_or(""),
    );
    w.elem_enc(
        "Delimiter",
        ctx.query.get("delimiter").unwrap_or(""),
        encode,
    );
    w.elem_enc("Prefix", prefix, encode);
    w.elem("MaxUploads", &max.to_string());
    w.elem("IsTruncated", if truncated { "true" } else { "false" });
    for u in page {
        w.open("Upload");
        w.elem_enc("Key", &u.key, encode);
        w.elem("UploadId", &u.upload_id);
        w.elem(
            "StorageClass",
            u.headers.storage_class.as_deref().unwrap_or("Standard"),
        );
        w.elem("Initiated", &iso8601(u.initiated_ms));
        w.close("Upload");
    }
    w.close("ListMultipartUploadsResult");
    xml_ok(w.finish())
}
