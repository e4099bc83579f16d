//! PostObject: browser form uploads (`POST /` on a bucket, `multipart/form-data`).
//!
//! The form is parsed as a stream: the small fields before `file` are kept in memory (bounded).
//! Everything that decides whether the upload is allowed comes from those fields and the file
//! part's headers, so it is checked before a byte of the file is read: the policy and its V1/V4
//! signature (`jitstore_oss::post_policy::verify_post`), its expiry and conditions, the bucket,
//! the anonymous-write rule, the key and the content headers. The file content then goes
//! straight to a staging file and reading stops the moment it passes the policy's
//! `content-length-range` maximum or the object size limit.

use axum::body::Body;
use axum::response::Response;
use bytes::{Buf, BytesMut};
use futures::StreamExt;
use http::{Method, StatusCode};
use jitstore_oss::post_policy::{
    verify_post, Condition, PostPolicy, PostPolicyError, ReceivedPost,
};
use jitstore_oss::sign::{Verified, VerifyPolicy};

use super::auth::configured_credentials;
use super::bucket::bucket_of;
use super::error::{ApiError, ResponseBuilderExt};
use super::object::{seal_and_commit, MAX_OBJECT_SIZE};
use super::request::{entity_too_large, validate_content_headers};
use super::request::{BodyStream, RequestCtx};
use super::xml::XmlWriter;
use super::AppState;
use crate::storage::{Bucket, ContentHeaders, ObjectMeta, StagingFile, StoreError};

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

    /// Streams the file content into `staging` up to the next delimiter; stops reading with
    /// `too_large(size seen)` the moment the file passes `limit` bytes.
    async fn read_file(
        &mut self,
        staging: &mut StagingFile,
        limit: u64,
        too_large: impl Fn(u64) -> ApiError,
    ) -> Result<(), ApiError> {
        let io =
            |e: std::io::Error| ApiError::internal(format!("writing the posted file failed: {e}"));
        loop {
            let (n, done) = match find(&self.buf, &self.delimiter) {
                Some(i) => (i, true),
                // Keep a tail that may hold the start of the delimiter.
                None => (
                    self.buf.len().saturating_sub(self.delimiter.len() - 1),
                    false,
                ),
            };
            let seen = staging.size().saturating_add(n as u64);
            if seen > limit {
                return Err(too_large(seen));
            }
            if n > 0 {
                staging.write(&self.buf[..n]).await.map_err(io)?;
                self.buf.advance(n);
            }
            if done {
                self.buf.advance(self.delimiter.len());
                return Ok(());
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

/// Authenticates and authorizes a form from its fields alone, before its file is read:
/// signature, expiry and every condition of the policy (content-length-range is checked with
/// the smallest size it allows; the caller enforces the range while reading), and the rule that
/// anonymous forms may only write to public-read-write buckets. Returns the policy's
/// content-length-range, if any.
fn authorize_form(
    state: &AppState,
    bucket: &Bucket,
    fields: &[(String, String)],
) -> Result<Option<(u64, u64)>, ApiError> {
    if state.credentials.is_empty() {
        return Ok(None);
    }
    let range = match field(fields, "policy") {
        Some(encoded) => PostPolicy::decode(encoded)
            .map_err(policy_error)?
            .conditions
            .iter()
            .find_map(|c| match c {
                Condition::ContentLengthRange { min, max } => Some((*min, *max)),
                _ => None,
            }),
        None => None,
    };
    let mut policy = VerifyPolicy::new(state.region.clone(), chrono::Utc::now());
    policy.max_skew = state.max_skew;
    let lookup = |ak: &str| configured_credentials(state, ak);
    let received = ReceivedPost {
        bucket: &bucket.name(),
        fields,
        file_size: range.map_or(0, |(min, _)| min),
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
    Ok(range)
}

/// The content headers and user metadata a form asks to store with the object.
///
/// Fails when `x-oss-object-acl` names no object ACL.
fn content_headers_of(
    fields: &[(String, String)],
    file: &PartHeaders,
) -> Result<ContentHeaders, ApiError> {
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
    let get = |n: &str| field(fields, n).map(str::to_string);
    let acl = match field(fields, "x-oss-object-acl") {
        Some(v) => super::object_acl::parse_object_acl(v)?,
        None => None,
    };
    Ok(ContentHeaders {
        content_type: get("content-type").or(file.content_type.clone()),
        cache_control: get("cache-control"),
        content_disposition: get("content-disposition"),
        content_encoding: get("content-encoding"),
        content_language: None,
        expires: get("expires"),
        user_meta,
        storage_class: get("x-oss-storage-class"),
        acl,
        tags: Vec::new(),
    })
}

/// PostObject.
///
/// A refused form closes the connection: the rest of its file (up to 5 GiB) is never read.
pub async fn post_object(
    state: &AppState,
    ctx: &RequestCtx,
    body: &mut BodyStream,
) -> Result<Response, ApiError> {
    receive_form(state, ctx, body)
        .await
        .map_err(|e| e.header("connection", "close"))
}

async fn receive_form(
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
    // Only the fields before the file count (as on OSS); the file's own bytes are not read yet.
    let file_headers = loop {
        let Some(part) = reader.next_part().await? else {
            return Err(malformed("The form has no file field."));
        };
        if part.name.eq_ignore_ascii_case("file") {
            break part;
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
    let range = authorize_form(state, &bucket, &fields)?;
    let headers = content_headers_of(&fields, &file_headers)?;
    validate_content_headers(&headers)?;
    let forbid =
        field(&fields, "x-oss-forbid-overwrite").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if forbid && bucket.lookup(&key).is_some() {
        return Err(StoreError::FileAlreadyExists(key).into());
    }
    let object_limit = state.limits.max_object_size.min(MAX_OBJECT_SIZE);
    let limit = range.map_or(object_limit, |(_, max)| max.min(object_limit));
    let mut staging = bucket.stage().await?;
    reader
        .read_file(&mut staging, limit, |size| match range {
            Some((_, max)) if max < object_limit => {
                policy_error(PostPolicyError::EntityTooLarge { size, max })
                    .header("connection", "close")
            }
            _ => entity_too_large(),
        })
        .await?;
    if let Some((min, _)) = range {
        if staging.size() < min {
            return Err(policy_error(PostPolicyError::EntityTooSmall {
                size: staging.size(),
                min,
            }));
        }
    }
    let digest = staging.digest();
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
        return common(Response::builder().status(StatusCode::SEE_OTHER))
            .header("location", target)
            .finish(Body::empty());
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
        return common(Response::builder().status(status))
            .header("content-type", "application/xml")
            .finish(Body::from(w.finish()));
    }
    common(Response::builder().status(status)).finish(Body::empty())
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
