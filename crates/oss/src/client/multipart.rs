//! Multipart calls: InitiateMultipartUpload, UploadPart, CompleteMultipartUpload,
//! AbortMultipartUpload, ListParts, ListMultipartUploads. Orchestration (part sizing,
//! parallelism, resume) is the transfer manager's job; these are the single requests.

use http::Method;

use super::body::Body;
use super::transport::OssRequest;
use super::types::*;
use super::Client;
use crate::error::OssError;
use crate::xml::{self, CompletedPart, ListMultipartUploadsPage, ListPartsPage};

/// Highest part number OSS accepts.
pub const MAX_PART_NUMBER: u32 = 10_000;

fn check_part_number(n: u32) -> Result<(), OssError> {
    if (1..=MAX_PART_NUMBER).contains(&n) {
        Ok(())
    } else {
        Err(OssError::invalid(
            "part number",
            format!("{n} is outside 1..={MAX_PART_NUMBER}"),
        ))
    }
}

fn check_upload_id(id: &str) -> Result<(), OssError> {
    if id.trim().is_empty() {
        Err(OssError::invalid("upload id", "the upload id is empty"))
    } else {
        Ok(())
    }
}

impl Client {
    /// InitiateMultipartUpload: starts an upload of `key` with the object headers of `write`.
    pub async fn initiate_multipart_upload(
        &self,
        key: &str,
        write: WriteOptions,
    ) -> Result<InitiateMultipartOutput, OssError> {
        let body = Body::empty();
        let req = OssRequest::new("InitiateMultipartUpload", Method::POST, Some(key), &body)
            .query("uploads", "")
            .query("encoding-type", "url")
            .write_options(&write, true)?;
        let resp = self.execute(req).await?;
        let request_id = resp.request_id.clone();
        let bytes = resp.bytes().await?;
        let parsed = xml::parse_initiate_multipart(&bytes)
            .map_err(|e| OssError::protocol("InitiateMultipartUpload", e.to_string()))?;
        Ok(InitiateMultipartOutput {
            upload_id: parsed.upload_id,
            request_id,
        })
    }

    /// UploadPart: uploads part `part_number` (1..=10000) of an upload. Parts other than the
    /// last must be at least 100 KiB (checked by the server at completion). The part's CRC-64
    /// is verified against the server's.
    pub async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        body: Body,
        content_md5: ContentMd5,
    ) -> Result<UploadPartOutput, OssError> {
        check_part_number(part_number)?;
        check_upload_id(upload_id)?;
        let req = OssRequest::new("UploadPart", Method::PUT, Some(key), &body)
            .query("partNumber", part_number.to_string())
            .query("uploadId", upload_id)
            .content_md5(&content_md5)
            .await?;
        let req = OssRequest {
            check_upload_crc: true,
            ..req
        };
        let resp = self.execute(req).await?;
        let etag = resp
            .header("etag")
            .ok_or_else(|| OssError::protocol("UploadPart", "answer has no ETag"))?;
        Ok(UploadPartOutput {
            part_number,
            etag,
            crc64: resp.crc64()?,
            size: resp.sent.1,
            request_id: resp.request_id.clone(),
        })
    }

    /// CompleteMultipartUpload: assembles the listed parts (sorted by number here) into the
    /// object. With `options.expected_crc64` the server's whole-object CRC-64 is verified.
    pub async fn complete_multipart_upload(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
        options: CompleteMultipartOptions,
    ) -> Result<CompleteMultipartOutput, OssError> {
        check_upload_id(upload_id)?;
        if parts.is_empty() {
            return Err(OssError::invalid(
                "part list",
                "CompleteMultipartUpload needs at least one part",
            ));
        }
        for p in parts {
            check_part_number(p.part_number)?;
        }
        let body = Body::from(
            xml::complete_multipart_body(parts)
                .map_err(|e| OssError::invalid("CompleteMultipartUpload body", e.to_string()))?,
        );
        let mut req = OssRequest::new("CompleteMultipartUpload", Method::POST, Some(key), &body)
            .query("uploadId", upload_id)
            .query("encoding-type", "url")
            .header("content-type", "application/xml")?
            .header_opt("x-oss-object-acl", options.object_acl.as_deref())?;
        if options.forbid_overwrite {
            req = req.header("x-oss-forbid-overwrite", "true")?;
        }
        let resp = self.execute(req).await?;
        let crc64 = resp.crc64()?;
        let version_id = resp.header("x-oss-version-id");
        let request_id = resp.request_id.clone();
        let bytes = resp.bytes().await?;
        let parsed = xml::parse_complete_multipart(&bytes)
            .map_err(|e| OssError::protocol("CompleteMultipartUpload", e.to_string()))?;
        if let (Some(expected), Some(server), true) =
            (options.expected_crc64, crc64, self.inner.crc_check)
        {
            if expected != server {
                return Err(OssError::CrcMismatch {
                    operation: "CompleteMultipartUpload",
                    key: key.to_owned(),
                    client: expected,
                    server,
                });
            }
        }
        Ok(CompleteMultipartOutput {
            etag: parsed.etag,
            location: parsed.location,
            crc64,
            version_id,
            request_id,
        })
    }

    /// AbortMultipartUpload: discards an upload and its parts (`404 NoSuchUpload` if unknown).
    pub async fn abort_multipart_upload(&self, key: &str, upload_id: &str) -> Result<(), OssError> {
        check_upload_id(upload_id)?;
        let body = Body::empty();
        let req = OssRequest::new("AbortMultipartUpload", Method::DELETE, Some(key), &body)
            .query("uploadId", upload_id);
        self.execute(req).await?;
        Ok(())
    }

    /// ListParts: one page of the parts uploaded so far (ascending), starting after
    /// `part_number_marker`; follow `next_part_number_marker` while `is_truncated`.
    pub async fn list_parts(
        &self,
        key: &str,
        upload_id: &str,
        max_parts: Option<u32>,
        part_number_marker: Option<u32>,
    ) -> Result<ListPartsPage, OssError> {
        check_upload_id(upload_id)?;
        let body = Body::empty();
        let req = OssRequest::new("ListParts", Method::GET, Some(key), &body)
            .query("uploadId", upload_id)
            .query("encoding-type", "url")
            .query_opt("max-parts", max_parts.map(|n| n.to_string()))
            .query_opt(
                "part-number-marker",
                part_number_marker.map(|n| n.to_string()),
            );
        let bytes = self.execute(req).await?.bytes().await?;
        xml::parse_list_parts(&bytes).map_err(|e| OssError::protocol("ListParts", e.to_string()))
    }

    /// ListMultipartUploads: one page of the bucket's unfinished uploads.
    pub async fn list_multipart_uploads(
        &self,
        options: ListMultipartUploadsOptions,
    ) -> Result<ListMultipartUploadsPage, OssError> {
        let body = Body::empty();
        let req = OssRequest::new("ListMultipartUploads", Method::GET, None, &body)
            .query("uploads", "")
            .query("encoding-type", "url")
            .query_opt("prefix", options.prefix)
            .query_opt("delimiter", options.delimiter)
            .query_opt("key-marker", options.key_marker)
            .query_opt("upload-id-marker", options.upload_id_marker)
            .query_opt("max-uploads", options.max_uploads.map(|n| n.to_string()));
        let bytes = self.execute(req).await?.bytes().await?;
        xml::parse_list_multipart_uploads(&bytes)
            .map_err(|e| OssError::protocol("ListMultipartUploads", e.to_string()))
    }
}
