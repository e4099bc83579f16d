//! Request classification: which OSS API a request calls, decided from its method, its target
//! (service, bucket or object) and the complete set of OSS sub-resources in its query, before
//! any handler runs.
//!
//! The sub-resource names are the union list the V1 signer uses
//! ([`jitstore_oss::sign::canonical::V1_SUB_RESOURCES`]), the few more `oss2` signs, and every
//! `x-oss-*` query parameter that is not part of a presigned URL's authentication. A request
//! whose sub-resources do not match an implemented API exactly is refused (`501
//! NotImplemented`), never served as another API: `DELETE /bucket?lifecycle` is not
//! DeleteBucket, `PUT /key?tagging` is not PutObject. Because OSS keeps adding sub-resources,
//! the calls that write or delete without taking parameters (Put/DeleteBucket, Put/Copy/Delete/
//! PostObject) also refuse any parameter that is not authentication; reads ignore unknown ones.
//!
//! ```
//! use http::{HeaderMap, Method};
//! use jitstore_oss_server::api::request::Query;
//! use jitstore_oss_server::api::route::{classify, Operation, Target};
//!
//! let headers = HeaderMap::new();
//! let op = classify(&Method::PUT, Target::Object, &Query::parse("tagging"), &headers);
//! assert_eq!(op.unwrap(), Operation::PutObjectTagging);
//! let refused = classify(&Method::DELETE, Target::Bucket, &Query::parse("lifecycle"), &headers);
//! assert_eq!(refused.unwrap_err().code, "NotImplemented");
//! ```

use http::{HeaderMap, Method};
use jitstore_oss::sign::canonical::v1_is_sub_resource;

use super::error::ApiError;
use super::request::Query;

/// What a request addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// No bucket (`GET /`).
    Service,
    /// A bucket, no key.
    Bucket,
    /// An object key in a bucket.
    Object,
}

/// Every API the server implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `GET /`.
    ListBuckets,
    /// `PUT /bucket`.
    PutBucket,
    /// `DELETE /bucket`.
    DeleteBucket,
    /// `HEAD /bucket`.
    HeadBucket,
    /// `GET /bucket?bucketInfo`.
    GetBucketInfo,
    /// `GET /bucket?location`.
    GetBucketLocation,
    /// `GET /bucket?acl`.
    GetBucketAcl,
    /// `PUT /bucket?acl`.
    PutBucketAcl,
    /// `GET /bucket` (without `list-type=2`).
    ListObjects,
    /// `GET /bucket?list-type=2`.
    ListObjectsV2,
    /// `GET /bucket?uploads`.
    ListMultipartUploads,
    /// `POST /bucket?delete`.
    DeleteMultipleObjects,
    /// `POST /bucket` with a `multipart/form-data` body.
    PostObject,
    /// `PUT /key`.
    PutObject,
    /// `PUT /key` with `x-oss-copy-source`.
    CopyObject,
    /// `GET /key`.
    GetObject,
    /// `HEAD /key`.
    HeadObject,
    /// `HEAD /key?objectMeta`.
    GetObjectMeta,
    /// `DELETE /key`.
    DeleteObject,
    /// `POST /key?append&position=N`.
    AppendObject,
    /// `POST /key?uploads`.
    InitiateMultipartUpload,
    /// `PUT /key?partNumber=N&uploadId=ID`.
    UploadPart,
    /// `PUT /key?partNumber=N&uploadId=ID` with `x-oss-copy-source`.
    UploadPartCopy,
    /// `POST /key?uploadId=ID`.
    CompleteMultipartUpload,
    /// `DELETE /key?uploadId=ID`.
    AbortMultipartUpload,
    /// `GET /key?uploadId=ID`.
    ListParts,
    /// `PUT /key?acl`.
    PutObjectAcl,
    /// `GET /key?acl`.
    GetObjectAcl,
    /// `PUT /key?tagging`.
    PutObjectTagging,
    /// `GET /key?tagging`.
    GetObjectTagging,
    /// `DELETE /key?tagging`.
    DeleteObjectTagging,
    /// `PUT /key?symlink`.
    PutSymlink,
    /// `GET /key?symlink`.
    GetSymlink,
}

/// `response-*` parameters: GetObject/HeadObject response header overrides.
const RESPONSE_OVERRIDES: &[&str] = &[
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
];

/// Query parameters that authenticate a request (V1 and V4 presigned URLs, STS tokens): they are
/// allowed on every API and never select one.
const AUTH_PARAMETERS: &[&str] = &[
    "security-token",
    "x-oss-additional-headers",
    "x-oss-credential",
    "x-oss-date",
    "x-oss-expires",
    "x-oss-security-token",
    "x-oss-signature",
    "x-oss-signature-version",
];

/// Sub-resources `oss2` signs that the signer's union list does not carry yet: known to be
/// OSS APIs, so never read as another call.
const MORE_SUB_RESOURCES: &[&str] = &[
    "accessPointPolicy",
    "bucketArchiveDirectRead",
    "qosRequester",
    "redundancyTransition",
    "requesterQosInfo",
    "resourcePool",
    "resourcePoolBuckets",
    "resourcePoolInfo",
];

/// Query parameters of V1 presigned URLs (not sub-resources, not selecting an API).
const V1_PRESIGN_PARAMETERS: &[&str] = &["Expires", "OSSAccessKeyId", "Signature"];

/// APIs that create, replace or delete a bucket or an object and take no query parameter of
/// their own: any parameter besides authentication may be a sub-resource this server does not
/// know (OSS adds new ones), so it is refused rather than risk writing or deleting.
const BARE_WRITES: &[Operation] = &[
    Operation::PutBucket,
    Operation::DeleteBucket,
    Operation::PutObject,
    Operation::CopyObject,
    Operation::DeleteObject,
    Operation::PostObject,
];

/// One implemented API: the sub-resources it requires and those it accepts besides.
struct Route {
    method: Method,
    target: Target,
    required: &'static [&'static str],
    optional: &'static [&'static str],
    operation: Operation,
}

fn route(
    method: Method,
    target: Target,
    required: &'static [&'static str],
    optional: &'static [&'static str],
    operation: Operation,
) -> Route {
    Route {
        method,
        target,
        required,
        optional,
        operation,
    }
}

/// The table of implemented APIs. `UploadPart` and `AppendObject` take `partNumber` and
/// `position` as optional so that their handlers can name a missing one precisely.
fn routes() -> [Route; 30] {
    use Operation as O;
    use Target::{Bucket as B, Object as K, Service as S};
    [
        route(Method::GET, S, &[], &[], O::ListBuckets),
        route(Method::PUT, B, &[], &[], O::PutBucket),
        route(Method::DELETE, B, &[], &[], O::DeleteBucket),
        route(Method::HEAD, B, &[], &[], O::HeadBucket),
        route(Method::GET, B, &["bucketInfo"], &[], O::GetBucketInfo),
        route(Method::GET, B, &["location"], &[], O::GetBucketLocation),
        route(Method::GET, B, &["acl"], &[], O::GetBucketAcl),
        route(Method::PUT, B, &["acl"], &[], O::PutBucketAcl),
        route(Method::GET, B, &[], &["continuation-token"], O::ListObjects),
        route(Method::GET, B, &["uploads"], &[], O::ListMultipartUploads),
        route(Method::POST, B, &["delete"], &[], O::DeleteMultipleObjects),
        route(Method::POST, B, &[], &[], O::PostObject),
        route(Method::PUT, K, &[], &[], O::PutObject),
        route(Method::GET, K, &[], RESPONSE_OVERRIDES, O::GetObject),
        route(Method::HEAD, K, &[], RESPONSE_OVERRIDES, O::HeadObject),
        route(Method::HEAD, K, &["objectMeta"], &[], O::GetObjectMeta),
        route(Method::DELETE, K, &[], &[], O::DeleteObject),
        route(Method::POST, K, &["append"], &["position"], O::AppendObject),
        route(
            Method::POST,
            K,
            &["uploads"],
            &[],
            O::InitiateMultipartUpload,
        ),
        route(
            Method::PUT,
            K,
            &["uploadId"],
            &["partNumber"],
            O::UploadPart,
        ),
        route(
            Method::POST,
            K,
            &["uploadId"],
            &[],
            O::CompleteMultipartUpload,
        ),
        route(
            Method::DELETE,
            K,
            &["uploadId"],
            &[],
            O::AbortMultipartUpload,
        ),
        route(Method::GET, K, &["uploadId"], &[], O::ListParts),
        route(Method::PUT, K, &["acl"], &[], O::PutObjectAcl),
        route(Method::GET, K, &["acl"], &[], O::GetObjectAcl),
        route(Method::PUT, K, &["tagging"], &[], O::PutObjectTagging),
        route(Method::GET, K, &["tagging"], &[], O::GetObjectTagging),
        route(Method::DELETE, K, &["tagging"], &[], O::DeleteObjectTagging),
        route(Method::PUT, K, &["symlink"], &[], O::PutSymlink),
        route(Method::GET, K, &["symlink"], &[], O::GetSymlink),
    ]
}

/// The OSS sub-resources named by a query, sorted and without duplicates; authentication
/// parameters are left out.
pub fn sub_resources(query: &Query) -> Vec<&str> {
    let mut names: Vec<&str> = query
        .pairs()
        .iter()
        .map(|(name, _)| name.as_str())
        .filter(|name| {
            (v1_is_sub_resource(name) || MORE_SUB_RESOURCES.contains(name))
                && !AUTH_PARAMETERS.contains(name)
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Classifies a request. `headers` decide between PutObject and CopyObject (and UploadPart and
/// UploadPartCopy) by `x-oss-copy-source`, and PostObject by its `multipart/form-data` type.
///
/// Errors: `501 NotImplemented` when the query names sub-resources no implemented API takes
/// with this method on this target; `405 MethodNotAllowed` when there is no sub-resource and
/// the method does not apply to the target.
pub fn classify(
    method: &Method,
    target: Target,
    query: &Query,
    headers: &HeaderMap,
) -> Result<Operation, ApiError> {
    let subs = sub_resources(query);
    let found = routes().into_iter().find(|r| {
        r.method == *method
            && r.target == target
            && r.required.iter().all(|name| subs.contains(name))
            && subs
                .iter()
                .all(|name| r.required.contains(name) || r.optional.contains(name))
    });
    let Some(found) = found else {
        if subs.is_empty() {
            return Err(ApiError::method_not_allowed());
        }
        return Err(not_implemented(method, target, &subs));
    };
    let copy = headers.contains_key("x-oss-copy-source");
    let operation = match found.operation {
        Operation::PutObject if copy => Operation::CopyObject,
        Operation::UploadPart if copy => Operation::UploadPartCopy,
        Operation::ListObjects if query.get("list-type") == Some("2") => Operation::ListObjectsV2,
        Operation::PostObject if !is_form_upload(headers) => {
            return Err(ApiError::method_not_allowed())
        }
        other => other,
    };
    if BARE_WRITES.contains(&operation) {
        let unknown = query
            .pairs()
            .iter()
            .map(|(n, _)| n.as_str())
            .find(|n| !AUTH_PARAMETERS.contains(n) && !V1_PRESIGN_PARAMETERS.contains(n));
        if let Some(name) = unknown {
            return Err(ApiError::not_implemented(format!(
                "{operation:?} takes no query parameter, and ?{name} is not one this server \
                 implements; refused so that nothing is written or deleted by mistake."
            ))
            .extra("Method", method.as_str())
            .extra("SubResource", name));
        }
    }
    Ok(operation)
}

fn is_form_upload(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            t.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

fn not_implemented(method: &Method, target: Target, subs: &[&str]) -> ApiError {
    let on = match target {
        Target::Service => "the service",
        Target::Bucket => "a bucket",
        Target::Object => "an object",
    };
    let list = subs
        .iter()
        .map(|s| format!("?{s}"))
        .collect::<Vec<_>>()
        .join(", ");
    ApiError::not_implemented(format!(
        "{method} on {on} with sub-resource {list} is not implemented by this server; \
         nothing was changed."
    ))
    .extra("Method", method.as_str())
    .extra("SubResource", subs.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(method: Method, target: Target, query: &str) -> Result<Operation, &'static str> {
        classify(&method, target, &Query::parse(query), &HeaderMap::new()).map_err(|e| e.code)
    }

    #[test]
    fn implemented_apis_are_recognised() {
        use Operation as O;
        use Target::*;
        assert_eq!(op(Method::GET, Service, ""), Ok(O::ListBuckets));
        assert_eq!(
            op(
                Method::GET,
                Bucket,
                "list-type=2&prefix=a&continuation-token=x"
            ),
            Ok(O::ListObjectsV2)
        );
        assert_eq!(
            op(Method::GET, Bucket, "prefix=a&max-keys=3"),
            Ok(O::ListObjects)
        );
        assert_eq!(
            op(Method::PUT, Object, "partNumber=1&uploadId=X"),
            Ok(O::UploadPart)
        );
        assert_eq!(
            op(Method::POST, Object, "append&position=0"),
            Ok(O::AppendObject)
        );
        assert_eq!(
            op(Method::GET, Object, "response-content-type=a%2Fb"),
            Ok(O::GetObject)
        );
        // Authentication parameters never select or block an API.
        assert_eq!(
            op(
                Method::GET,
                Object,
                "x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential=a&x-oss-date=b&x-oss-expires=60&x-oss-signature=c&security-token=t"
            ),
            Ok(O::GetObject)
        );
        let mut copy = HeaderMap::new();
        copy.insert("x-oss-copy-source", "/b/k".parse().unwrap());
        assert_eq!(
            classify(&Method::PUT, Object, &Query::parse(""), &copy).map_err(|e| e.code),
            Ok(O::CopyObject)
        );
    }

    #[test]
    fn unimplemented_sub_resources_are_refused_not_misread() {
        use Target::*;
        for (method, target, query) in [
            (Method::DELETE, Bucket, "lifecycle"),
            (Method::DELETE, Bucket, "cors"),
            (Method::PUT, Bucket, "tagging"),
            (Method::PUT, Object, "acl&tagging"),
            (Method::DELETE, Object, "acl"),
            (Method::GET, Object, "x-oss-process=image/resize,w_10"),
            (Method::GET, Object, "versionId=abc"),
            (Method::POST, Object, "restore"),
            (Method::PUT, Object, "x-oss-traffic-limit=100"),
            (Method::GET, Service, "regionList"),
            (Method::POST, Object, "position=0"),
        ] {
            assert_eq!(
                op(method.clone(), target, query),
                Err("NotImplemented"),
                "{method} {target:?} ?{query}"
            );
        }
        // Unknown parameters never turn into a write or a delete ...
        for (method, target) in [
            (Method::DELETE, Bucket),
            (Method::PUT, Bucket),
            (Method::DELETE, Object),
            (Method::PUT, Object),
        ] {
            assert_eq!(
                op(method.clone(), target, "resourcePool=x"),
                Err("NotImplemented")
            );
            assert_eq!(
                op(method.clone(), target, "someFutureApi"),
                Err("NotImplemented"),
                "{method} {target:?}"
            );
        }
        // ... while presigned writes and reads with extra parameters still work.
        assert_eq!(
            op(
                Method::PUT,
                Object,
                "OSSAccessKeyId=a&Expires=1&Signature=s&security-token=t"
            ),
            Ok(Operation::PutObject)
        );
        assert_eq!(
            op(Method::GET, Object, "cachebust=1"),
            Ok(Operation::GetObject)
        );
        assert_eq!(op(Method::PATCH, Object, ""), Err("MethodNotAllowed"));
        assert_eq!(op(Method::POST, Bucket, ""), Err("MethodNotAllowed"));
    }
}
