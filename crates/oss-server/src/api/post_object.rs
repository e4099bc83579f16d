//! PostObject: browser form uploads (`POST /` on a bucket, `multipart/form-data`).
//!
//! The form is parsed as a stream: the small fields before `file` are kept in memory (bounded),
//! the file content goes straight to a staging file. The policy and its V1/V4 signature are
//! checked with `jitstore_oss::post_policy::verify_post` once the file size is known; the object
//! becomes visible only if that check passes.

use axum::body::Body;
use axum::response::Response;
use bytes::{Buf, BytesMut};
use futures::StreamExt;
use http::{Method, StatusCode};
use jitstore_oss::post_policy::{verify_post, PostPolicyError, ReceivedPost};
use jitstore_oss::sign::{Verified, VerifyPolicy};

use super::auth::configured_credentials;
use super::bucket::bucket_of;
use super::error::ApiError;
use super::object::{seal_and_commit, MAX_OBJECT_SIZE};
use super::request::{BodyStream, RequestCtx};
use super::xml::XmlWriter;
use super::AppState;
use crate::storage::{ContentHeaders, ObjectMeta, StagingFile, StoreError};

/// Largest part header block.
const MAX_PART_HEADERS: usize = 16 * 1024;
/// Largest total size of the non-file fields.
const MAX_FIELDS_BYTES: usize = 1024 * 1024;

/// Whether the request is a PostObject form upload.
pub fn is_post_object(ctx: &RequestCtx) -> bool {
    ctx.method == Method::POST
        && ctx.bucket.is_some()
        && ctx.key.is_none()
        && ctx.raw_query.is_empty()
        && ctx.header("content-type").is_some_and(|t| {
            t.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

fn malformed(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "MalformedPOSTRequest", message)
}

fn boundary_of(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_string())
    })
}

/// A streaming `multipart/form-data` reader.
struct FormReader<'a> {
    body: &'a mut BodyStream,
    buf: BytesMut,
    /// `\r\n--boundary`.
    delimiter: Vec<u8>,
    eof: bool,
}

/// One part's headers.
struct PartHeaders {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
}

impl<'a> FormReader<'a> {
    fn new(body: &'a mut BodyStream, boundary: &str) -> Self {
        // The first delimiter has no CRLF before it: pretend it has.
        let mut buf = BytesMut::with_capacity(64 * 1024);
        buf.extend_from_slice(b"\r\n");
        FormReader {
            body,
            buf,
            delimiter: format!("\r\n--{boundary}").into_bytes(),
            eof: false,
        }
    }

    async fn fill(&mut self) -> Result<bool, ApiError> {
        if self.eof {
            return Ok(false);
        }
        match self.body.next().await {
            Some(Ok(chunk)) => {
                self.buf.extend_from_slice(&chunk);
                Ok(true)
            }
            Some(Err(e)) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "IncompleteBody",
                format!("The form body could not be read: {e}"),
            )),
            None => {
                self.eof = true;
                Ok(false)
            }
        }
    }

    /// Skips to just after the first delimiter.
    async fn start(&mut self) -> Result<(), ApiError> {
        loop {
            if let Some(i) = find(&self.buf, &self.delimiter) {
                self.buf.advance(i + self.delimiter.len());
                return Ok(());
            }
            if self.buf.len() > MAX_PART_HEADERS {
                return Err(malformed("The form does not start with its boundary."));
            }
            if !self.fill().await? {
                return Err(malformed("The form has no boundary."));
            }
        }
    }

    /// After a delimiter: `--` ends the form, CRLF starts another part.
    async fn next_part(&mut self) -> Result<Option<PartHeaders>, ApiError> {
        while self.buf.len() < 2 {
            if !self.fill().await? {
                return Err(malformed("The form ends without its closing boundary."));
            }
        }
        if &self.buf[..2] == b"--" {
            return Ok(None);
        }
        let end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i;
            }
            if self.buf.len() > MAX_PART_HEADERS {
                return Err(malformed("A form part has too many headers."));
            }
            if !self.fill().await? {
                return Err(malformed("A form part ends inside its headers."));
            }
        };
        let text = String::from_utf8_lossy(&self.buf[..end]).into_owned();
        self.buf.advance(end + 4);
        let mut headers = PartHeaders {
            name: String::new(),
            filename: None,
            content_type: None,
        };
        for line in text.split("\r\n") {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            if name.trim().eq_ignore_ascii_case("content-disposition") {
                for param in value.split(';').skip(1) {
                    if let Some((k, v)) = param.split_once('=') {
                        let v = v.trim().trim_matches('"').to_string();
                        match k.trim().to_ascii_lowercase().as_str() {
                            "name" => headers.name = v,
                            "filename" => headers.filename = Some(v),
                            _ => {}
                        }
                    }
                }
            } else if name.trim().eq_ignore_ascii_case("content-type") {
                headers.content_type = Some(value.trim().to_string());
            }
        }
        if headers.name.is_empty() {
            return Err(malformed("A form part has no name."));
        }
        Ok(Some(headers))
    }

    /// Reads a small field value up to the next delimiter.
    async fn read_value(&mut self, budget: &mut usize) -> Result<Vec<u8>, ApiError> {
        loop {
            if let Some(i) = find(&self.buf, &self.delimiter) {
                if i > *budget {
                    return Err(malformed("The form fields are too large."));
                }
                *budget -= i;
                let value = self.buf[..i].to_vec();
                self.buf.advance(i + self.delimiter.len());
                return Ok(value);
            }
            if self.buf.len() > *budget + self.delimiter.len() {
                return Err(malformed("The form fields are too large."));
            }
            if !self.fill().await? {
                return Err(malformed("A form field is not terminated by the boundary."));
            }
        }
    }

    /// Streams the file content into `staging` up to the next delimiter.
    async fn read_file(&mut self, staging: &mut StagingFile) -> Result<(), ApiError> {
        let io =
            |e: std::io::Error| ApiError::internal(format!("writing the posted file failed: {e}"));
        loop {
            if let Some(i) = find(&self.buf, &self.delimiter) {
                staging.write(&self.buf[..i]).await.map_err(io)?;
                self.buf.advance(i + self.delimiter.len());
                return Ok(());
            }
            // Keep a tail that may hold the start of the delimiter.
            let keep = self.delimiter.len() - 1;
            if self.buf.len() > keep {
                let n = self.buf.len() - keep;
                staging.write(&self.buf[..n]).await.map_err(io)?;
                self.buf.advance(n);
            }
            if staging.size() > MAX_OBJECT_SIZE {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "EntityTooLarge",
                    "Your proposed upload exceeds the maximum allowed size.",
                ));
            }
            if !self.fill().await? {
                return Err(malformed("The file is not terminated by the boundary."));
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn field<'f>(fields: &'f [(String, String)], name: &str) -> Option<&'f str> {
    fields
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn policy_error(e: PostPolicyError) -> ApiError {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::FORBIDDEN);
    let mut err = ApiError::new(status, e.code(), e.to_string());
    if let PostPolicyError::SignatureDoesNotMatch {
        access_key_id,
        string_to_sign,
        ..
    } = &e
    {
        err = err
            .extra("OSSAccessKeyId", access_key_id.clone())
            .extra("StringToSign", string_to_sign.clone());
    }
    err
}

/// PostObject.
pub async fn post_object(
    state: &AppState,
    ctx: &RequestCtx,
    body: &mut BodyStream,
) -> Result<Response, ApiError> {
    let bucket = bucket_of(state, ctx)?;
    let boundary = ctx
        .header("content-type")
        .and_then(boundary_of)
        .filter(|b| !b.is_empty() && b.len() <= 200)
        .ok_or_else(|| malformed("The multipart/form-data Content-Type has no boundary."))?;
    let mut reader = FormReader::new(body, &boundary);
    reader.start().await?;
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut budget = MAX_FIELDS_BYTES;
    let (file_headers, mut staging) = loop {
        let Some(part) = reader.next_part().await? else {
            return Err(malformed("The form has no file field."));
        };
        if part.name.eq_ignore_ascii_case("file") {
            let mut staging = bucket.stage().await?;
            reader.read_file(&mut staging).await?;
            break (part, staging);
        }
        let value = reader.read_value(&mut budget).await?;
        let value = String::from_utf8(value)
            .map_err(|_| malformed(format!("Form field {:?} is not UTF-8.", part.name)))?;
        fields.push((part.name, value));
    };
    // `${filename}` in the key is replaced by the uploaded file's name.
    let filename = file_headers.filename.clone().unwrap_or_default();
    let key = field(&fields, "key")
        .ok_or_else(|| {
            ApiError::invalid_argument("The form must contain a key field.")
                .extra("ArgumentName", "key")
        })?
        .replace("${filename}", &filename);
    jitstore_oss::encoding::validate_object_key(&key)
        .map_err(|e| ApiError::invalid_object_name(e.to_string()))?;
    for (name, value) in fields.iter_mut() {
        if name.eq_ignore_ascii_case("key") {
            *value = key.clone();
        }
    }
    if !state.credentials.is_empty() {
        let mut policy = VerifyPolicy::new(state.region.clone(), chrono::Utc::now());
        policy.max_skew = state.max_skew;
        let lookup = |ak: &str| configured_credentials(state, ak);
        let received = ReceivedPost {
            bucket: &bucket.name(),
            fields: &fields,
            file_size: staging.size(),
        };
        match verify_post(&received, &policy, &lookup).map_err(policy_error)? {
            Verified::Authenticated { .. } => {}
            Verified::Anonymous => {
                if bucket.info().acl != "public-read-write" {
                    return Err(ApiError::access_denied(
                        "Anonymous PostObject is only allowed on public-read-write buckets.",
                    ));
                }
            }
        }
    }
    let digest = staging.digest();
    let mut user_meta: Vec<(String, String)> = fields
        .iter()
        .filter_map(|(n, v)| {
            let lower = n.to_ascii_lowercase();
            lower
                .strip_prefix("x-oss-meta-")
                .map(|s| (s.to_string(), v.clone()))
        })
        .collect();
    user_meta.sort();
    let get = |n: &str| field(&fields, n).map(str::to_string);
    let headers = ContentHeaders {
        content_type: get("content-type").or(file_headers.content_type.clone()),
        cache_control: get("cache-control"),
        content_disposition: get("content-disposition"),
        content_encoding: get("content-encoding"),
        content_language: None,
        expires: get("expires"),
        user_meta,
        storage_class: get("x-oss-storage-class"),
        acl: match field(&fields, "x-oss-object-acl") {
            Some(v) => super::object_acl::parse_object_acl(v)?,
            None => None,
        },
        tags: Vec::new(),
    };
    let forbid =
        field(&fields, "x-oss-forbid-overwrite").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if forbid && bucket.lookup(&key).is_some() {
        return Err(StoreError::FileAlreadyExists(key).into());
    }
    let meta = ObjectMeta::normal(key.clone(), &digest, headers);
    let meta = seal_and_commit(&bucket, &mut staging, meta, forbid, |_| Ok(())).await?;
    let location = format!(
        "http://{}/{}/{}",
        ctx.host,
        bucket.name(),
        super::xml::url_encode(&key)
    );
    let common = |b: http::response::Builder| {
        b.header("etag", meta.quoted_etag())
            .header("x-oss-hash-crc64ecma", meta.crc64.to_string())
            .header("location", location.clone())
    };
    if let Some(redirect) = field(&fields, "success_action_redirect").filter(|r| !r.is_empty()) {
        let sep = if redirect.contains('?') { '&' } else { '?' };
        let target = format!(
            "{redirect}{sep}bucket={}&key={}&etag={}",
            super::xml::url_encode(&bucket.name()),
            super::xml::url_encode(&key),
            super::xml::url_encode(&meta.quoted_etag())
        );
        return Ok(common(Response::builder().status(StatusCode::SEE_OTHER))
            .header("location", target)
            .body(Body::empty())
            .unwrap_or_default());
    }
    let status = match field(&fields, "success_action_status").map(str::trim) {
        Some("200") => StatusCode::OK,
        Some("201") => StatusCode::CREATED,
        _ => StatusCode::NO_CONTENT,
    };
    if status == StatusCode::CREATED {
        let mut w = XmlWriter::new();
        w.open("PostResponse");
        w.elem("Bucket", &bucket.name());
        w.elem("Location", &location);
        w.elem("Key", &key);
        w.elem("ETag", &meta.quoted_etag());
        w.close("PostResponse");
        return Ok(common(Response::builder().status(status))
            .header("content-type", "application/xml")
            .body(Body::from(w.finish()))
            .unwrap_or_default());
    }
    Ok(common(Response::builder().status(status))
        .body(Body::empty())
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundary_is_found_quoted_or_not() {
        assert_eq!(
            boundary_of("multipart/form-data; boundary=abc").as_deref(),
            Some("abc")
        );
        assert_eq!(
            boundary_of("multipart/form-data; boundary=\"a b\"").as_deref(),
            Some("a b")
        );
        assert_eq!(boundary_of("multipart/form-data"), None);
    }
}
