//! Mapping OSS client errors to [`StorageError`], keeping the OSS code, message and request id.

use jitstore_oss::error::OssError;

use crate::error::StorageError;

/// Converts an OSS error; `NoSuchKey` (and any 404 on an object) becomes
/// [`StorageError::NotFound`] so `exists` and callers can test for it.
pub(crate) fn map(error: OssError) -> StorageError {
    match error {
        OssError::Service(service) => {
            if service.status == 404 && (service.code == "NoSuchKey" || service.code.is_empty()) {
                return StorageError::NotFound;
            }
            StorageError::Service {
                status: Some(service.status),
                code: if service.code.is_empty() {
                    format!("HTTP{}", service.status)
                } else {
                    service.code.clone()
                },
                message: service.message.clone(),
                request_id: service.request_id.clone(),
            }
        }
        OssError::CrcMismatch { .. } => StorageError::Integrity {
            message: error.to_string(),
        },
        OssError::InvalidInput { what, reason } if what.contains("key") => {
            StorageError::InvalidKey {
                reason: format!("{what}: {reason}"),
            }
        }
        OssError::InvalidInput { what, reason } => StorageError::InvalidArgument {
            message: format!("{what}: {reason}"),
        },
        OssError::Io { path, source } => StorageError::Io {
            path: Some(path),
            source,
        },
        other => StorageError::Other(Box::new(other)),
    }
}
