//! OSS error responses: XML body (or base64 `x-oss-err` header for HEAD), `x-oss-ec`.

use axum::body::Body;
use axum::response::Response;
use base64::Engine;
use http::{HeaderValue, Method, StatusCode};

use super::xml::XmlWriter;
use crate::storage::{ConflictReason, StoreError};

/// An error answer in OSS's format.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// OSS error code (`NoSuchKey`, ...).
    pub code: &'static str,
    /// Human-readable message.
    pub message: String,
    /// New-style error code (`0026-00000001`), sent in `<EC>` and `x-oss-ec`.
    pub ec: Option<&'static str>,
    /// Extra XML elements (`BucketName`, `StringToSign`, ...), in order.
    pub extras: Vec<(&'static str, String)>,
    /// Extra response headers.
    pub headers: Vec<(&'static str, String)>,
}

impl ApiError {
    /// A new error with no extras.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            ec: None,
            extras: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// Sets the EC code.
    pub fn ec(mut self, ec: &'static str) -> Self {
        self.ec = Some(ec);
        self
    }

    /// Adds an extra XML element.
    pub fn extra(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.extras.push((name, value.into()));
        self
    }

    /// Adds a response header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// `404 NoSuchBucket`.
    pub fn no_such_bucket(bucket: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NoSuchBucket",
            "The specified bucket does not exist.",
        )
        .ec("0015-00000101")
        .extra("BucketName", bucket)
    }

    /// `404 NoSuchKey`.
    pub fn no_such_key(key: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        )
        .ec("0026-00000001")
        .extra("Key", key)
    }

    /// `404 NoSuchUpload`.
    pub fn no_such_upload(upload_id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NoSuchUpload",
            "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
        )
        .ec("0042-00000002")
        .extra("UploadId", upload_id)
    }

    /// `400 InvalidArgument`.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidArgument", message)
    }

    /// `403 AccessDenied`.
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "AccessDenied", message)
    }

    /// `400 MalformedXML`.
    pub fn malformed_xml(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "MalformedXML", message)
    }

    /// `400 InvalidObjectName`.
    pub fn invalid_object_name(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidObjectName", message).ec("0016-00000005")
    }

    /// `400 InvalidBucketName`.
    pub fn invalid_bucket_name(bucket: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "InvalidBucketName",
            "The specified bucket is not valid.",
        )
        .extra("BucketName", bucket)
    }

    /// `405 MethodNotAllowed`.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        )
    }

    /// `501 NotImplemented`: the request names an API this server does not implement.
    pub fn not_implemented(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_IMPLEMENTED, "NotImplemented", message)
    }

    /// `500 InternalError`.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", message)
    }

    /// Renders the error; HEAD and 304-like answers carry it in `x-oss-err` instead of a body.
    pub fn into_response(self, method: &Method, request_id: &str, host_id: &str) -> Response {
        let mut w = XmlWriter::new();
        w.open("Error");
        w.elem("Code", self.code);
        w.elem("Message", &self.message);
        w.elem("RequestId", request_id);
        w.elem("HostId", host_id);
        for (name, value) in &self.extras {
            w.elem(name, value);
        }
        if let Some(ec) = self.ec {
            w.elem("EC", ec);
            w.elem(
                "RecommendDoc",
                &format!("https://api.aliyun.com/troubleshoot?q={ec}"),
            );
        }
        w.close("Error");
        let xml = w.finish();
        let head = method == Method::HEAD;
        let mut builder = Response::builder()
            .status(self.status)
            .header("content-type", "application/xml");
        if let Some(ec) = self.ec {
            builder = builder.header("x-oss-ec", ec);
        }
        if head {
            let encoded = base64::engine::general_purpose::STANDARD.encode(xml.as_bytes());
            builder = builder.header("x-oss-err", encoded);
        }
        let mut response = match builder.body(if head { Body::empty() } else { Body::from(xml) }) {
            Ok(r) => r,
            Err(e) => {
                // Every header above is static or base64: this cannot happen, but if it did the
                // answer must still be an error.
                tracing::error!(error = %e, "an error response could not be built");
                let mut r = Response::new(Body::empty());
                *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                return r;
            }
        };
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, v);
            }
        }
        response
    }
}

/// Finishing a response under construction: a builder that failed (a header value that cannot
/// be sent) becomes `500 InternalError`, never an empty success.
pub trait ResponseBuilderExt {
    /// Attaches the body and returns the response, or the error answer.
    fn finish(self, body: Body) -> Result<Response, ApiError>;
}

impl ResponseBuilderExt for http::response::Builder {
    fn finish(self, body: Body) -> Result<Response, ApiError> {
        self.body(body).map_err(|e| {
            tracing::error!(error = %e, "a response could not be built");
            ApiError::internal(format!("The response could not be built: {e}"))
        })
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NoSuchBucket(b) => ApiError::no_such_bucket(&b),
            StoreError::BucketAlreadyExists(b) => ApiError::new(
                StatusCode::CONFLICT,
                "BucketAlreadyExists",
                "The requested bucket name is not available.",
            )
            .extra("BucketName", b),
            StoreError::BucketNotEmpty(b) => ApiError::new(
                StatusCode::CONFLICT,
                "BucketNotEmpty",
                "The bucket you tried to delete is not empty.",
            )
            .extra("BucketName", b),
            StoreError::FileAlreadyExists(_) => ApiError::new(
                StatusCode::CONFLICT,
                "FileAlreadyExists",
                "The object you specified already exists and can not be overwritten.",
            )
            .ec("0026-00000002"),
            StoreError::Conflict { reason, .. } => match reason {
                ConflictReason::PositionNotEqualToLength(len) => ApiError::new(
                    StatusCode::CONFLICT,
                    "PositionNotEqualToLength",
                    "Position is not equal to file length",
                )
                .ec("0026-00000016")
                .header("x-oss-next-append-position", len.to_string()),
                ConflictReason::ObjectNotAppendable => ApiError::new(
                    StatusCode::CONFLICT,
                    "ObjectNotAppendable",
                    "The object is not appendable",
                )
                .ec("0026-00000015"),
                ConflictReason::ChangedConcurrently => ApiError::new(
                    StatusCode::CONFLICT,
                    "OperationAborted",
                    "A conflicting operation is currently in progress against this object. Please try again.",
                ),
            },
            StoreError::Io { .. } => {
                tracing::error!(error = %e, "storage failure");
                ApiError::internal("We encountered an internal error. Please try again.")
            }
        }
    }
}
