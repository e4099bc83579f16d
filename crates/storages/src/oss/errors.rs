//! Mapping OSS client errors to [`StorageError`]: the kind from the typed fields (HTTP status,
//! OSS error code, error variant), the temporary flag from the client's retry classification,
//! the status/code/request id as [`ServiceDetails`], and the [`OssError`] itself kept as the
//! source (so its `EC` code and `StringToSign` stay reachable by downcasting).

use jitstore_oss::error::{OssError, ServiceError};

use crate::error::{ErrorKind, ServiceDetails, StorageError};

/// Converts an OSS error, keeping it as the source.
pub(crate) fn map(error: OssError) -> StorageError {
    let kind = kind_of(&error);
    let service = error.service().map(|s| ServiceDetails {
        status: Some(s.status),
        code: (!s.code.is_empty()).then(|| s.code.clone()),
        request_id: s.request_id.clone(),
    });
    let temporary = error.is_retryable() || kind.is_temporary_by_default();
    // The OSS error's text says the rest; a failed check is named as such.
    let message = match kind {
        ErrorKind::Integrity => "integrity check failed",
        _ => "",
    };
    let mapped = StorageError::new(kind, message)
        .with_temporary(temporary)
        .with_source(error);
    match service {
        Some(details) => mapped.with_service(details),
        None => mapped,
    }
}

fn kind_of(error: &OssError) -> ErrorKind {
    match error {
        OssError::Service(service) => service_kind(service),
        OssError::Network { .. } => ErrorKind::Network,
        OssError::Timeout { .. } => ErrorKind::Timeout,
        OssError::CrcMismatch { .. } => ErrorKind::Integrity,
        OssError::InvalidInput { .. } => ErrorKind::InvalidArgument,
        OssError::Credentials(_) => ErrorKind::PermissionDenied,
        OssError::Io { source, .. } => crate::error::io_kind(source.kind()),
        _ => ErrorKind::Unexpected,
    }
}

/// The kind of an OSS error answer, from its status and code.
fn service_kind(service: &ServiceError) -> ErrorKind {
    match (service.status, service.code.as_str()) {
        (_, "NoSuchBucket") => ErrorKind::InvalidConfig,
        (404, _) => ErrorKind::NotFound,
        (304, _) => ErrorKind::NotModified,
        (412, _) => ErrorKind::ConditionNotMatch,
        (416, _) | (_, "InvalidRange") => ErrorKind::RangeNotSatisfiable,
        (429, _) | (_, "QpsLimitExceeded") | (_, "TooManyRequests") => ErrorKind::RateLimited,
        (_, "FileAlreadyExists") => ErrorKind::AlreadyExists,
        (_, "PositionNotEqualToLength") | (_, "ObjectNotAppendable") => ErrorKind::Conflict,
        (_, "InvalidObjectName") | (_, "KeyTooLong") => ErrorKind::InvalidKey,
        (_, "InvalidDigest") | (_, "BadDigest") | (_, "InvalidCRC64") => ErrorKind::Integrity,
        (_, "RequestTimeTooSkewed") => ErrorKind::Unexpected,
        (401 | 403, _) => ErrorKind::PermissionDenied,
        (408, _) => ErrorKind::Timeout,
        (501, _) => ErrorKind::Unsupported,
        (400, _) => ErrorKind::InvalidArgument,
        _ => ErrorKind::Unexpected,
    }
}

/// The error of a key OSS cannot carry, with the OSS validation error as source.
pub(crate) fn check_key(name: &str) -> Result<(), StorageError> {
    jitstore_oss::endpoint::encode_key_for_path(name)
        .map(|_| ())
        .map_err(|e| StorageError::invalid_key(format!("{name:?}")).with_source(e))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn service(status: u16, code: &str) -> OssError {
        OssError::from(ServiceError {
            status,
            code: code.into(),
            message: "m".into(),
            request_id: Some("REQ1".into()),
            host_id: None,
            ec: Some("0026-00000001".into()),
            server_date: None,
            next_append_position: None,
            extras: BTreeMap::new(),
        })
    }

    #[test]
    fn kinds_and_temporary_from_typed_fields() {
        let cases = [
            (404, "NoSuchKey", ErrorKind::NotFound, false),
            (404, "NoSuchBucket", ErrorKind::InvalidConfig, false),
            (403, "AccessDenied", ErrorKind::PermissionDenied, false),
            (409, "FileAlreadyExists", ErrorKind::AlreadyExists, false),
            (
                412,
                "PreconditionFailed",
                ErrorKind::ConditionNotMatch,
                false,
            ),
            (304, "", ErrorKind::NotModified, false),
            (416, "InvalidRange", ErrorKind::RangeNotSatisfiable, false),
            (429, "", ErrorKind::RateLimited, true),
            (503, "ServiceUnavailable", ErrorKind::Unexpected, true),
            (403, "RequestTimeTooSkewed", ErrorKind::Unexpected, true),
        ];
        for (status, code, kind, temporary) in cases {
            let error = map(service(status, code));
            assert_eq!(error.kind(), kind, "{status} {code}");
            assert_eq!(error.is_temporary(), temporary, "{status} {code}");
            let details = error.service().expect("service details");
            assert_eq!(details.request_id.as_deref(), Some("REQ1"));
            let source = error.find_source::<OssError>().expect("the OSS error");
            assert_eq!(
                source.service().and_then(|s| s.ec.as_deref()),
                Some("0026-00000001")
            );
        }
    }

    #[test]
    fn transport_errors_are_temporary() {
        let timeout = map(OssError::Timeout {
            operation: "GetObject",
            after: std::time::Duration::from_secs(1),
        });
        assert_eq!(timeout.kind(), ErrorKind::Timeout);
        assert!(timeout.is_temporary());
    }

    #[test]
    fn bad_keys_are_invalid_key() {
        assert_eq!(
            check_key("").map_err(|e| e.kind()),
            Err(ErrorKind::InvalidKey)
        );
        assert!(check_key("docs/a b.txt").is_ok());
    }
}
