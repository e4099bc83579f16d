//! `object_store` errors as [`StorageError`]s, plus the response trace that recovers what
//! `object_store` 0.12 does not expose.
//!
//! The kind comes from the `object_store::Error` variant (`NotFound`, `Precondition`,
//! `NotModified`, `PermissionDenied`, ...), then from the HTTP status and the transport error
//! kind ([`object_store::client::HttpError`]) — never from message text. `object_store` keeps
//! the status and the service's body in a crate-private `RetryError`, so every call runs inside
//! [`traced`]: the HTTP client wrapper ([`TracingConnector`]) notes the status and
//! `x-amz-request-id` of the last response of the calling task, which the mapping attaches as
//! [`ServiceDetails`]. What is lost: the S3 error `Code` (`NoSuchKey`, `NoSuchBucket`, ...),
//! which only `object_store`'s message text carries, and the trace of parts uploaded on
//! `object_store`'s own spawned tasks during a multipart write.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use jitstore_storages::{ErrorKind, ServiceDetails, StorageError};
use object_store::client::{
    HttpClient, HttpConnector, HttpError, HttpErrorKind, HttpRequest, HttpResponse, HttpService,
    ReqwestConnector,
};
use object_store::ClientOptions;

/// What the last HTTP response of a call said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ResponseTrace {
    status: Option<u16>,
    request_id: Option<String>,
}

tokio::task_local! {
    static TRACE: Arc<Mutex<ResponseTrace>>;
}

/// Runs `call`, noting the last response its task received.
pub(crate) async fn traced<T, F>(call: F) -> (Result<T, object_store::Error>, ResponseTrace)
where
    F: Future<Output = Result<T, object_store::Error>>,
{
    let cell = Arc::new(Mutex::new(ResponseTrace::default()));
    let outcome = TRACE.scope(cell.clone(), call).await;
    let trace = cell.lock().unwrap_or_else(PoisonError::into_inner).clone();
    (outcome, trace)
}

/// Runs `call` and maps its error (with the response trace).
pub(crate) async fn run<T, F>(call: F) -> Result<T, StorageError>
where
    F: Future<Output = Result<T, object_store::Error>>,
{
    let (outcome, trace) = traced(call).await;
    outcome.map_err(|e| map(e, &trace))
}

/// The HTTP client of `object_store`'s default connector, wrapped to note each response's
/// status and request id for the calling task.
#[derive(Debug, Default)]
pub(crate) struct TracingConnector;

impl HttpConnector for TracingConnector {
    fn connect(&self, options: &ClientOptions) -> object_store::Result<HttpClient> {
        let inner = ReqwestConnector::default().connect(options)?;
        Ok(HttpClient::new(TracingService { inner }))
    }
}

#[derive(Debug)]
struct TracingService {
    inner: HttpClient,
}

#[async_trait]
impl HttpService for TracingService {
    async fn call(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let response = self.inner.execute(request).await?;
        let request_id = ["x-amz-request-id", "x-amzn-requestid"]
            .iter()
            .find_map(|name| response.headers().get(*name))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let status = response.status().as_u16();
        // Outside a traced call (object_store's spawned part uploads) there is no cell.
        let _ = TRACE.try_with(|cell| {
            *cell.lock().unwrap_or_else(PoisonError::into_inner) = ResponseTrace {
                status: Some(status),
                request_id,
            };
        });
        Ok(response)
    }
}

/// Converts an `object_store` error, keeping it as the source.
pub(crate) fn map(error: object_store::Error, trace: &ResponseTrace) -> StorageError {
    use object_store::Error as E;
    let failed_status = trace.status.filter(|s| *s >= 300);
    let transport = transport_kind(&error);
    let kind = match &error {
        E::NotFound { .. } => ErrorKind::NotFound,
        E::Precondition { .. } => ErrorKind::ConditionNotMatch,
        E::NotModified { .. } => ErrorKind::NotModified,
        E::PermissionDenied { .. } | E::Unauthenticated { .. } => ErrorKind::PermissionDenied,
        E::AlreadyExists { .. } => ErrorKind::AlreadyExists,
        E::InvalidPath { .. } => ErrorKind::InvalidKey,
        E::NotSupported { .. } | E::NotImplemented => ErrorKind::Unsupported,
        E::UnknownConfigurationKey { .. } => ErrorKind::InvalidConfig,
        _ => match (transport, failed_status) {
            (Some(kind), _) => kind,
            (None, Some(status)) => status_kind(status),
            (None, None) => ErrorKind::Unexpected,
        },
    };
    let temporary =
        kind.is_temporary_by_default() || failed_status.is_some_and(|s| s >= 500 || s == 429);
    let mapped = StorageError::new(kind, "")
        .with_temporary(temporary)
        .with_source(error);
    match failed_status {
        Some(status) => mapped.with_service(service_details(status, trace)),
        None => mapped,
    }
}

fn service_details(status: u16, trace: &ResponseTrace) -> ServiceDetails {
    let mut details = ServiceDetails::default();
    details.status = Some(status);
    details.request_id = trace.request_id.clone();
    details
}

/// The kind of a transport failure found in the error's source chain.
fn transport_kind(error: &object_store::Error) -> Option<ErrorKind> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = next {
        if let Some(http) = e.downcast_ref::<HttpError>() {
            return Some(match http.kind() {
                HttpErrorKind::Timeout => ErrorKind::Timeout,
                HttpErrorKind::Connect
                | HttpErrorKind::Request
                | HttpErrorKind::Interrupted
                | HttpErrorKind::Decode => ErrorKind::Network,
                _ => ErrorKind::Unexpected,
            });
        }
        next = e.source();
    }
    None
}

fn status_kind(status: u16) -> ErrorKind {
    match status {
        304 => ErrorKind::NotModified,
        400 => ErrorKind::InvalidArgument,
        401 | 403 => ErrorKind::PermissionDenied,
        404 => ErrorKind::NotFound,
        408 => ErrorKind::Timeout,
        409 => ErrorKind::Conflict,
        412 => ErrorKind::ConditionNotMatch,
        416 => ErrorKind::RangeNotSatisfiable,
        429 | 503 => ErrorKind::RateLimited,
        501 => ErrorKind::Unsupported,
        _ => ErrorKind::Unexpected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generic() -> object_store::Error {
        object_store::Error::Generic {
            store: "S3",
            source: "boom".into(),
        }
    }

    #[test]
    fn variants_map_to_kinds() {
        let none = ResponseTrace::default();
        let not_found = object_store::Error::NotFound {
            path: "k".into(),
            source: "404".into(),
        };
        let error = map(not_found, &none);
        assert_eq!(error.kind(), ErrorKind::NotFound);
        assert!(!error.is_temporary());
        assert!(error.find_source::<object_store::Error>().is_some());
        let precondition = object_store::Error::Precondition {
            path: "k".into(),
            source: "412".into(),
        };
        assert_eq!(
            map(precondition, &none).kind(),
            ErrorKind::ConditionNotMatch
        );
        assert_eq!(map(generic(), &none).kind(), ErrorKind::Unexpected);
    }

    #[test]
    fn the_trace_gives_status_request_id_and_kind() {
        let trace = ResponseTrace {
            status: Some(503),
            request_id: Some("REQ1".into()),
        };
        let error = map(generic(), &trace);
        assert_eq!(error.kind(), ErrorKind::RateLimited);
        assert!(error.is_temporary());
        let service = error.service().expect("service details");
        assert_eq!(service.status, Some(503));
        assert_eq!(service.request_id.as_deref(), Some("REQ1"));
        let trace = ResponseTrace {
            status: Some(416),
            request_id: None,
        };
        assert_eq!(
            map(generic(), &trace).kind(),
            ErrorKind::RangeNotSatisfiable
        );
        let ok = ResponseTrace {
            status: Some(200),
            request_id: Some("R".into()),
        };
        assert!(map(generic(), &ok).service().is_none());
    }
}
