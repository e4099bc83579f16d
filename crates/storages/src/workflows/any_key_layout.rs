//! The Dify plugin's key-layout uploads ([`key_layout`](super::key_layout)) on a storage
//! element of any Type (the S3 family, DiskType, plugins), through its [`StorageHandle`]: the
//! same keys (directory and filename modes, checked names, one instant per batch), the same
//! collision refusals and the same [`DifyUploadResult`] / [`MultiUploadReport`] as the
//! OssType methods, written with the Type's own streaming `upload_path` (memory bounded) and
//! progress reported per finished file.
//!
//! The result's URL is the one the Type's upload returns ([`UploadResult::url`]) for
//! [`UrlChoice::Element`] and [`UrlChoice::Public`], and the Type's presigned GET URL for
//! [`UrlChoice::Signed`] (refused before anything is written when the Type cannot sign).
//! An OssType handle goes the OssType way unchanged.
//!
//! [`UploadResult::url`]: crate::UploadResult::url

use super::error::WorkflowError;
use super::key_layout::{
    content_type_of, key_of, multi_upload_to, regular_file_size, DifyFile, DifyUploadOptions,
    DifyUploadResult, KeyLayoutTarget, MultiUploadReport, UrlChoice,
};
use crate::capability::Capability;
use crate::handle::StorageHandle;
use crate::oss::OssStorage;

/// Uploads one file to the key `options` lays out for it on `store`.
///
/// ```no_run
/// # async fn demo(store: jitstore_storages::StorageHandle) -> Result<(), Box<dyn std::error::Error>> {
/// use jitstore_storages::workflows::any_key_layout::upload_file;
/// use jitstore_storages::workflows::{DifyFile, DifyUploadOptions, DirectoryMode};
///
/// let options = DifyUploadOptions::new("inbox").directory_mode(DirectoryMode::YyyyMmDdCombined);
/// let result = upload_file(&store, &DifyFile::new("report.pdf"), &options).await?;
/// println!("{} ({} bytes) {}", result.object_key, result.size, result.url);
/// # Ok(()) }
/// ```
pub async fn upload_file(
    store: &StorageHandle,
    file: &DifyFile,
    options: &DifyUploadOptions,
) -> Result<DifyUploadResult, WorkflowError> {
    if let Some(oss) = OssStorage::from_handle(store) {
        return super::key_layout::upload_file(oss, file, options).await;
    }
    let key = key_of(file, options, None)?;
    upload_to(store, file, key, options).await
}

/// Uploads `files` concurrently, one outcome per file in input order; keys that several
/// files map to are refused for all of them.
///
/// ```no_run
/// # async fn demo(store: jitstore_storages::StorageHandle) {
/// use jitstore_storages::workflows::any_key_layout::multi_upload_files;
/// use jitstore_storages::workflows::{DifyFile, DifyUploadOptions};
///
/// let files = [DifyFile::new("a.txt"), DifyFile::new("b.png")];
/// let report = multi_upload_files(&store, &files, &DifyUploadOptions::new("inbox")).await;
/// println!("{} uploaded, {} failed", report.success_count, report.error_count);
/// # }
/// ```
pub async fn multi_upload_files(
    store: &StorageHandle,
    files: &[DifyFile],
    options: &DifyUploadOptions,
) -> MultiUploadReport {
    let target = match OssStorage::from_handle(store) {
        Some(oss) => KeyLayoutTarget::Oss(oss),
        None => KeyLayoutTarget::Any(store),
    };
    multi_upload_to(target, files, options).await
}

/// Writes `file` to `key` with the handle's streaming upload and builds the result.
pub(crate) async fn upload_to(
    store: &StorageHandle,
    file: &DifyFile,
    key: String,
    options: &DifyUploadOptions,
) -> Result<DifyUploadResult, WorkflowError> {
    if matches!(options.url, UrlChoice::Signed(_))
        && !store.capabilities().contains(Capability::SignUrl)
    {
        return Err(WorkflowError::invalid(
            "url",
            format!(
                "{} ({}) cannot presign URLs; drop the signed-URL option",
                store.element(),
                store.type_name()
            ),
        ));
    }
    regular_file_size(file).await?;
    let content_type = content_type_of(file, &key);
    let up = store
        .upload_path(&key, &file.path, Some(&content_type))
        .await?;
    if let Some(progress) = &options.progress {
        progress(up.size, Some(up.size));
    }
    let (url, url_signed) = match options.url {
        UrlChoice::Element | UrlChoice::Public => (up.url, false),
        UrlChoice::Signed(expires) => (store.get_sign_url(&key, None, Some(expires)).await?, true),
    };
    Ok(DifyUploadResult {
        object_key: key,
        source_filename: file.source_name(),
        size: up.size,
        content_type: up.content_type.unwrap_or(content_type),
        etag: up.etag,
        crc64: up.crc64,
        url,
        url_signed,
    })
}
