//! The S3 family of jitstore's storage Types: `storages.AwsS3Type`, `storages.MinioType`,
//! `storages.CloudflareR2Type`, `storages.EosType` (China Mobile EOS) and `storages.QiniuType`,
//! declared in the framework layer with JitAI's config fields ([`S3Config`]) and implemented by
//! one [`S3Storage`] on Apache Arrow's `object_store`. Our own code is the JitAI mapping
//! (config, defaults, Qiniu's upload hosts), the endpoints, error kinds, and what the library
//! lacks: SigV4 presigning at a given instant with its canonical texts ([`presign`]).
//!
//! ```
//! use jitstore_storages_s3::{Flavor, S3Storage};
//!
//! let config = jitstore_storages_s3::parse_config(r#"{"accessKeyId": "AK",
//!     "accessKeySecret": "SK", "endPoint": "127.0.0.1:9000", "bucketName": "media"}"#)?;
//! let storage = S3Storage::from_config(&config, Flavor::Minio)?;
//! assert_eq!(storage.public_url("a b.txt"), "http://127.0.0.1:9000/media/a%20b.txt");
//! # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
//! ```
//!
//! ## Why `object_store` (evaluated against OpenDAL's S3 service and `aws-sdk-s3`)
//!
//! | | `object_store` 0.12 (`aws`) | OpenDAL S3 service | `aws-sdk-s3` |
//! |---|---|---|---|
//! | new crates on this workspace | few: shares reqwest 0.12, ring, hyper, rustls | opendal-core + reqsign + service crate | ~40 `aws-*`/smithy crates |
//! | compile cost (2 cores) | small (pure Rust, ring already built) | medium | large; default TLS is aws-lc-rs (C build) |
//! | streaming get / ranged / conditional | yes / yes / If-Match, If-None-Match | yes | yes |
//! | multipart put | `WriteMultipart`, bounded concurrency | yes | manual (or transfer manager) |
//! | presign at a given instant | no (from now only) | no (from now only) | yes (`start_time`) |
//! | service request id in errors | no (crate-private retry error) | partial (in context) | yes |
//! | maintenance | Apache Arrow, active | Apache, active | AWS, active |
//!
//! `object_store` is the default of the architecture (reqwest-based like the rest of jitstore,
//! streaming, multipart) and has no blocker: fixed-time presigning is a small pure function
//! here, and the request id is recovered by wrapping its HTTP client (see `errors`). 0.12 is
//! used rather than 0.13+, which moves to reqwest 0.13 with aws-lc-rs (a C build and a second
//! reqwest in the tree); upgrading is one line once the workspace moves to reqwest 0.13.
//!
//! ## Not supported on these Types
//!
//! OSS PostObject form policies, DingTalk upload tickets, appends, CRC-64 checks and resumable
//! uploads are OssType features: they fail with the "not supported by this storage Type"
//! error. The S3 error code (`NoSuchKey`, ...) is not exposed (only the HTTP status and request
//! id), keys that `object_store` would rewrite (leading/trailing `/`, empty, `.` or `..`
//! segments, control characters) are refused as invalid keys, and listings fail on objects
//! written by other tools under such keys.

mod config;
mod endpoint;
mod errors;
pub mod presign;
mod storage;
mod writer;

use std::sync::Arc;

use jitstore_element::{
    inventory, register_type, BoxError, BuildContext, ElementObject, FrameworkElement,
};
use jitstore_storages::{into_element_object, Storage};

/// The credentials type (with its redacting `Secret`), shared with OssType.
pub use jitstore_oss::credentials::{Credentials, Secret};

pub use config::{
    AddressingStyle, Flavor, S3Config, SchemeConfig, Settings, TransferSettings,
    DEFAULT_CONCURRENCY, DEFAULT_MULTIPART_THRESHOLD, DEFAULT_PART_SIZE, DEFAULT_REGION,
    MAX_PART_SIZE, MIN_PART_SIZE, QINIU_DEFAULT_END_POINT,
};
pub use endpoint::{qiniu_s3_endpoint, Endpoint, ObjectUrl, ParsedEndpoint, QiniuEndpoint, Scheme};
pub use storage::S3Storage;

/// Amazon S3.
pub const AWS_S3_TYPE: &str = "storages.AwsS3Type";
/// A MinIO server.
pub const MINIO_TYPE: &str = "storages.MinioType";
/// Cloudflare R2.
pub const CLOUDFLARE_R2_TYPE: &str = "storages.CloudflareR2Type";
/// China Mobile EOS (through its S3-compatible endpoint).
pub const EOS_TYPE: &str = "storages.EosType";
/// Qiniu Kodo (through its S3-compatible endpoint).
pub const QINIU_TYPE: &str = "storages.QiniuType";

/// Parses a business config text (already `{{VAR}}`-substituted), refusing unknown fields.
pub fn parse_config(text: &str) -> Result<S3Config, BoxError> {
    Ok(serde_json::from_str(text)?)
}

fn build(ctx: &BuildContext<'_>, flavor: Flavor) -> Result<ElementObject, BoxError> {
    let config: S3Config = ctx.parse_config()?;
    let storage = S3Storage::from_config(&config, flavor)
        .map_err(|p| ctx.config_error(p.field, p.message))?;
    let storage: Arc<dyn Storage> = Arc::new(storage);
    Ok(into_element_object(storage))
}

fn build_aws_s3(ctx: &BuildContext<'_>) -> Result<ElementObject, BoxError> {
    build(ctx, Flavor::AwsS3)
}
fn build_minio(ctx: &BuildContext<'_>) -> Result<ElementObject, BoxError> {
    build(ctx, Flavor::Minio)
}
fn build_cloudflare_r2(ctx: &BuildContext<'_>) -> Result<ElementObject, BoxError> {
    build(ctx, Flavor::CloudflareR2)
}
fn build_eos(ctx: &BuildContext<'_>) -> Result<ElementObject, BoxError> {
    build(ctx, Flavor::Eos)
}
fn build_qiniu(ctx: &BuildContext<'_>) -> Result<ElementObject, BoxError> {
    build(ctx, Flavor::Qiniu)
}

register_type!(builtin AWS_S3_TYPE, build_aws_s3);
register_type!(builtin MINIO_TYPE, build_minio);
register_type!(builtin CLOUDFLARE_R2_TYPE, build_cloudflare_r2);
register_type!(builtin EOS_TYPE, build_eos);
register_type!(builtin QINIU_TYPE, build_qiniu);

inventory::submit! {
    FrameworkElement::new(
        AWS_S3_TYPE,
        r#"{"title": "AWS S3", "type": "storages.Meta", "backendBundleEntry": "."}"#,
        module_path!(),
    )
}
inventory::submit! {
    FrameworkElement::new(
        MINIO_TYPE,
        r#"{"title": "MinIO", "type": "storages.Meta", "backendBundleEntry": "."}"#,
        module_path!(),
    )
}
inventory::submit! {
    FrameworkElement::new(
        CLOUDFLARE_R2_TYPE,
        r#"{"title": "Cloudflare R2", "type": "storages.Meta", "backendBundleEntry": "."}"#,
        module_path!(),
    )
}
inventory::submit! {
    FrameworkElement::new(
        EOS_TYPE,
        r#"{"title": "China Mobile EOS", "type": "storages.Meta", "backendBundleEntry": "."}"#,
        module_path!(),
    )
}
inventory::submit! {
    FrameworkElement::new(
        QINIU_TYPE,
        r#"{"title": "Qiniu", "type": "storages.Meta", "backendBundleEntry": "."}"#,
        module_path!(),
    )
}
