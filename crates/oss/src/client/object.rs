//! Single-object calls: PutObject, GetObject, HeadObject, GetObjectMeta, DeleteObject,
//! DeleteMultipleObjects, CopyObject, AppendObject.

use base64::Engine as _;
use http::{HeaderName, HeaderValue, Method};
use md5::{Digest as _, Md5};

use super::body::Body;
use super::download::{GetObjectOutput, ObjectBody};
use super::transport::OssRequest;
use super::types::*;
use super::Client;
use crate::error::OssError;
use crate::xml::{self, DeleteEntry};

/// Most keys one DeleteMultipleObjects request may carry.
pub const MAX_DELETE_KEYS: usize = 1000;

impl<'a> OssRequest<'a> {
    /// Sets a header whose name is built at run time (user metadata).
    pub(crate) fn header_named(mut self, name: &str, value: &str) -> Result<Self, OssError> {
        let n = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            OssError::invalid(
                "header name",
                format!("{name:?} is not a valid header name"),
            )
        })?;
        let v = HeaderValue::from_bytes(value.as_bytes()).map_err(|_| {
            OssError::invalid(
                "header value",
                format!("{name}: {value:?} is not a valid header value"),
            )
        })?;
        self.headers.insert(n, v);
        Ok(self)
    }

    /// Applies object-creation headers.
    pub(crate) fn write_options(
        self,
        w: &WriteOptions,
        default_type: bool,
    ) -> Result<Self, OssError> {
        let content_type = match (&w.content_type, default_type) {
            (Some(t), _) => Some(t.as_str()),
            (None, true) => Some("application/octet-stream"),
            (None, false) => None,
        };
        let mut req = self
            .header_opt("content-type", content_type)?
            .header_opt("cache-control", w.cache_control.as_deref())?
            .header_opt("content-disposition", w.content_disposition.as_deref())?
            .header_opt("content-encoding", w.content_encoding.as_deref())?
            .header_opt(
                "x-oss-storage-class",
                w.storage_class.as_ref().map(StorageClass::as_str),
            )?
            .header_opt("x-oss-object-acl", w.object_acl.as_deref())?
            .header_opt("x-oss-tagging", w.tagging.as_deref())?;
        if w.forbid_overwrite {
            req = req.header("x-oss-forbid-overwrite", "true")?;
        }
        for (name, value) in &w.metadata {
            if name.is_empty() {
                return Err(OssError::invalid(
                    "user metadata",
                    "a metadata name is empty",
                ));
            }
            req = req.header_named(&format!("x-oss-meta-{}", name.to_ascii_lowercase()), value)?;
        }
        Ok(req)
    }

    /// Applies a Content-MD5 choice.
    pub(crate) async fn content_md5(self, md5: &ContentMd5) -> Result<Self, OssError> {
        match md5 {
            ContentMd5::None => Ok(self),
            ContentMd5::Value(v) => self.header("content-md5", v),
            ContentMd5::Compute => {
                let v = self.body.content_md5().await?;
                self.header("content-md5", &v)
            }
        }
    }
}

pub(crate) fn http_date(t: chrono::DateTime<chrono::Utc>) -> String {
    crate::sign::time::http_date(t)
}

impl Client {
    /// PutObject: uploads `body` as `key` (at most 5 GB). The CRC-64 of what was sent is
    /// compared with the server's; bytes and file bodies are retried on transient failures.
    pub async fn put_object(
        &self,
        key: &str,
        body: Body,
        options: PutObjectOptions,
    ) -> Result<PutObjectOutput, OssError> {
        let req = OssRequest::new("PutObject", Method::PUT, Some(key), &body)
            .write_options(&options.write, true)?
            .content_md5(&options.content_md5)
            .await?;
        let req = OssRequest {
            check_upload_crc: true,
            ..req
        };
        let resp = self.execute(req).await?;
        Ok(PutObjectOutput {
            etag: resp.header("etag"),
            crc64: resp.crc64()?,
            version_id: resp.header("x-oss-version-id"),
            request_id: resp.request_id.clone(),
        })
    }

    /// GetObject: the object's metadata and a streaming body. Conditional headers that match
    /// yield [`OssError::is_not_modified`] (304) or [`OssError::is_precondition_failed`] (412).
    pub async fn get_object(
        &self,
        key: &str,
        options: GetObjectOptions,
    ) -> Result<GetObjectOutput, OssError> {
        let body = Body::empty();
        let mut req = conditional(
            OssRequest::new("GetObject", Method::GET, Some(key), &body),
            &options,
        )?
        .query_opt("versionId", options.version_id.clone());
        for (name, value) in &options.response_overrides {
            if !name.starts_with("response-") {
                return Err(OssError::invalid(
                    "response override",
                    format!("{name:?} is not a response-* parameter"),
                ));
            }
            req = req.query(name, value.clone());
        }
        if let Some(range) = options.range {
            req = req
                .header("range", &range.header_value())?
                .header("x-oss-range-behavior", "standard")?;
        }
        let resp = self.execute(req).await?;
        let meta = ObjectMeta::from_headers("GetObject", &resp.headers)?;
        let content_range = resp
            .header("content-range")
            .and_then(|v| ContentRange::parse(&v));
        let full_read = resp.status == http::StatusCode::OK && options.range.is_none();
        let expected_crc = if full_read && self.inner.crc_check {
            meta.crc64
        } else {
            None
        };
        let body = ObjectBody::new(resp.response, key, expected_crc, self.inner.timeouts.read);
        Ok(GetObjectOutput {
            meta,
            content_range,
            body,
        })
    }

    /// HeadObject: all metadata of an object (user metadata included), no content. The
    /// conditional fields and `version_id` of `options` apply; its range is ignored. Errors
    /// are read from `x-oss-err`/`x-oss-ec` since HEAD answers have no body.
    pub async fn head_object(
        &self,
        key: &str,
        options: GetObjectOptions,
    ) -> Result<ObjectMeta, OssError> {
        let body = Body::empty();
        let req = conditional(
            OssRequest::new("HeadObject", Method::HEAD, Some(key), &body),
            &options,
        )?
        .query_opt("versionId", options.version_id.clone());
        let resp = self.execute(req).await?;
        ObjectMeta::from_headers("HeadObject", &resp.headers)
    }

    /// GetObjectMeta: the cheap metadata (size, ETag, Last-Modified, CRC-64, version).
    pub async fn get_object_meta(
        &self,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<ObjectMeta, OssError> {
        let body = Body::empty();
        let req = OssRequest::new("GetObjectMeta", Method::HEAD, Some(key), &body)
            .query("objectMeta", "")
            .query_opt("versionId", version_id);
        let resp = self.execute(req).await?;
        ObjectMeta::from_headers("GetObjectMeta", &resp.headers)
    }

    /// DeleteObject (succeeds for missing keys too).
    pub async fn delete_object(
        &self,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<DeleteObjectOutput, OssError> {
        let body = Body::empty();
        let req = OssRequest::new("DeleteObject", Method::DELETE, Some(key), &body)
            .query_opt("versionId", version_id);
        let resp = self.execute(req).await?;
        Ok(DeleteObjectOutput {
            delete_marker: resp
                .header("x-oss-delete-marker")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            version_id: resp.header("x-oss-version-id"),
            request_id: resp.request_id.clone(),
        })
    }

    /// DeleteMultipleObjects: deletes any number of keys, 1000 per request (each with its
    /// `Content-MD5`). In `quiet` mode the server reports nothing on success. Keys are
    /// validated before anything is sent.
    pub async fn delete_multiple_objects<I, E>(
        &self,
        entries: I,
        quiet: bool,
    ) -> Result<DeleteMultipleOutput, OssError>
    where
        I: IntoIterator<Item = E>,
        E: Into<DeleteEntry>,
    {
        let entries: Vec<DeleteEntry> = entries.into_iter().map(Into::into).collect();
        for e in &entries {
            crate::encoding::validate_object_key(&e.key)
                .map_err(|err| OssError::invalid("object key", err.to_string()))?;
        }
        let mut out = DeleteMultipleOutput::default();
        for chunk in entries.chunks(MAX_DELETE_KEYS) {
            let xml_body = xml::delete_body(chunk, quiet)
                .map_err(|e| OssError::invalid("DeleteMultipleObjects body", e.to_string()))?;
            let md5 =
                base64::engine::general_purpose::STANDARD.encode(Md5::digest(xml_body.as_bytes()));
            let body = Body::from(xml_body);
            let req = OssRequest::new("DeleteMultipleObjects", Method::POST, None, &body)
                .query("delete", "")
                .query("encoding-type", "url")
                .header("content-type", "application/xml")?
                .header("content-md5", &md5)?;
            let resp = self.execute(req).await?;
            if let Some(id) = resp.request_id.clone() {
                out.request_ids.push(id);
            }
            let bytes = resp.bytes().await?;
            let deleted = xml::parse_delete_result(&bytes)
                .map_err(|e| OssError::protocol("DeleteMultipleObjects", e.to_string()))?;
            out.deleted.extend(deleted);
        }
        Ok(out)
    }

    /// CopyObject: server-side copy of `source_key` (in this bucket or
    /// `options.source_bucket`) to `key`. Use it for objects under 1 GB.
    pub async fn copy_object(
        &self,
        key: &str,
        source_key: &str,
        options: CopyObjectOptions,
    ) -> Result<CopyObjectOutput, OssError> {
        let source_bucket = options
            .source_bucket
            .as_deref()
            .unwrap_or(&self.inner.bucket);
        crate::encoding::validate_bucket_name(source_bucket)
            .map_err(|e| OssError::invalid("source bucket name", e.to_string()))?;
        crate::encoding::validate_object_key(source_key)
            .map_err(|e| OssError::invalid("source object key", e.to_string()))?;
        let mut source = format!("/{source_bucket}/");
        crate::encoding::encode_into(&mut source, source_key, true);
        if let Some(v) = &options.source_version_id {
            source.push_str("?versionId=");
            crate::encoding::encode_into(&mut source, v, false);
        }
        let body = Body::empty();
        let replace = options.metadata_directive == MetadataDirective::Replace;
        let directive = if replace { "REPLACE" } else { "COPY" };
        let mut req = OssRequest::new("CopyObject", Method::PUT, Some(key), &body)
            .header("x-oss-copy-source", &source)?
            .header("x-oss-metadata-directive", directive)?
            .header_opt("x-oss-copy-source-if-match", options.if_match.as_deref())?
            .header_opt(
                "x-oss-copy-source-if-none-match",
                options.if_none_match.as_deref(),
            )?;
        if replace {
            req = req.write_options(&options.write, true)?;
        } else {
            let w = WriteOptions {
                content_type: None,
                metadata: Default::default(),
                ..options.write.clone()
            };
            req = req.write_options(&w, false)?;
        }
        let resp = self.execute(req).await?;
        let crc64 = resp.crc64()?;
        let version_id = resp.header("x-oss-version-id");
        let request_id = resp.request_id.clone();
        let bytes = resp.bytes().await?;
        let parsed = xml::parse_copy_object(&bytes)
            .map_err(|e| OssError::protocol("CopyObject", e.to_string()))?;
        Ok(CopyObjectOutput {
            etag: parsed.etag,
            last_modified: parsed.last_modified,
            crc64,
            version_id,
            request_id,
        })
    }

    /// AppendObject: appends `body` at `position` (0 creates an Appendable object; later
    /// appends must give the current length, else `409 PositionNotEqualToLength`). `write`
    /// applies on the first append only. When `previous_crc64` (the CRC of the first
    /// `position` bytes, 0 for position 0) is known, the server's CRC of the whole object is
    /// verified. Never retried: a lost answer would make a retry append twice.
    pub async fn append_object(
        &self,
        key: &str,
        position: u64,
        body: Body,
        write: WriteOptions,
        previous_crc64: Option<u64>,
    ) -> Result<AppendObjectOutput, OssError> {
        let req = OssRequest::new("AppendObject", Method::POST, Some(key), &body)
            .query("append", "")
            .query("position", position.to_string())
            .write_options(&write, position == 0)?;
        let req = OssRequest {
            retryable: false,
            ..req
        };
        let resp = self.execute(req).await?;
        let next = resp.header("x-oss-next-append-position").ok_or_else(|| {
            OssError::protocol("AppendObject", "missing x-oss-next-append-position")
        })?;
        let next_position = next.trim().parse::<u64>().map_err(|_| {
            OssError::protocol(
                "AppendObject",
                format!("bad x-oss-next-append-position {next:?}"),
            )
        })?;
        let crc64 = resp.crc64()?;
        let previous = if position == 0 {
            Some(0)
        } else {
            previous_crc64
        };
        if let (Some(server), Some(prev), true) = (crc64, previous, self.inner.crc_check) {
            let (sent_crc, sent_len) = resp.sent;
            let client = crate::crc64::combine(prev, sent_crc, sent_len);
            if client != server {
                return Err(OssError::CrcMismatch {
                    operation: "AppendObject",
                    key: key.to_owned(),
                    client,
                    server,
                });
            }
        }
        Ok(AppendObjectOutput {
            next_position,
            crc64,
            request_id: resp.request_id.clone(),
        })
    }
}

fn conditional<'a>(req: OssRequest<'a>, o: &GetObjectOptions) -> Result<OssRequest<'a>, OssError> {
    req.header_opt("if-match", o.if_match.as_deref())?
        .header_opt("if-none-match", o.if_none_match.as_deref())?
        .header_opt(
            "if-modified-since",
            o.if_modified_since.map(http_date).as_deref(),
        )?
        .header_opt(
            "if-unmodified-since",
            o.if_unmodified_since.map(http_date).as_deref(),
        )
}
