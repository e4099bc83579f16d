//! Custom storage Types compiled into the host: a new Type that wraps its parent, and an
//! override of the official `storages.OssType`.
//!
//! ```text
//! cargo run --example custom_types
//! ```
//!
//! * `storages.AuditedType` is a new Type. The app declares it with `"type":
//!   "storages.DiskType"` (or `"storages.OssType"`: the code is the same); its implementation
//!   asks the registry for the parent's implementation ([`BuildContext::build_parent`]), then
//!   puts every key under a prefix and appends one line per write or delete to an audit log.
//! * `storages.OssType` is overridden by a host registration: with `JITSTORE_OFFLINE=1` in the
//!   app's environment every OSS element is served from a local folder (offline development);
//!   otherwise it builds the built-in OssType ([`BuildContext::build_overridden`]).
//!
//! Both register with the same `register_type!` (an `inventory` registration) the built-in
//! Types use; a non-built-in registration wins over a built-in one for the same Type, and two
//! non-built-in registrations for one Type are an error naming both.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::StreamExt;
use jitstore_element::{register_type, BoxError, BuildContext, ElementObject};
use jitstore_storages::{
    into_element_object, Capabilities, DiskStorage, ListOptions, ObjectInfo, ObjectStream,
    ObjectWriter, ReadOptions, ReadResult, SignUrlRequest, SignedUrl, Storage, StorageError,
    UploadOptions, UploadResult, OSS_TYPE,
};
use serde_json::{Map, Value};

/// The new wrapping Type.
pub const AUDITED_TYPE: &str = "storages.AuditedType";

/// Removes a required string field of the wrapper's own config, so that the rest can go to the
/// parent Type (whose config rejects unknown fields).
fn take_string(
    ctx: &BuildContext<'_>,
    config: &mut Map<String, Value>,
    field: &str,
) -> Result<String, BoxError> {
    match config.remove(field) {
        Some(Value::String(value)) if !value.is_empty() => Ok(value),
        Some(_) => Err(ctx
            .config_error(Some(field), "must be a non-empty string")
            .into()),
        None => Err(ctx.config_error(Some(field), "is required").into()),
    }
}

fn build_audited(ctx: &BuildContext<'_>) -> Result<ElementObject, BoxError> {
    let mut config = ctx.config().clone();
    let Some(fields) = config.as_object_mut() else {
        return Err(ctx.config_error(None, "must be a JSON object").into());
    };
    let prefix = take_string(ctx, fields, "keyPrefix")?;
    if !prefix.ends_with('/') || prefix.starts_with('/') || prefix.split('/').any(|s| s == "..") {
        return Err(ctx
            .config_error(
                Some("keyPrefix"),
                "must be a relative folder ending in `/`, without `..`",
            )
            .into());
    }
    let audit_log = ctx.app_root().join(take_string(ctx, fields, "auditLog")?);
    let (parent, inner) = ctx.build_parent(config)?;
    let inner = inner
        .downcast_ref::<Arc<dyn Storage>>()
        .cloned()
        .ok_or_else(|| format!("the parent Type {parent} did not build a storage"))?;
    let log = AuditLog::new(ctx.full_name(), audit_log);
    let storage: Arc<dyn Storage> = Arc::new(AuditedStorage::new(inner, prefix, log));
    Ok(into_element_object(storage))
}

register_type!(AUDITED_TYPE, build_audited);

/// Appends `element operation key` lines to a file.
#[derive(Debug)]
struct AuditLog {
    element: String,
    path: PathBuf,
    lock: Mutex<()>,
}

impl AuditLog {
    fn new(element: &str, path: PathBuf) -> AuditLog {
        AuditLog {
            element: element.to_owned(),
            path,
            lock: Mutex::new(()),
        }
    }

    fn record(&self, operation: &str, key: &str) -> Result<(), StorageError> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(parent) = self.path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| StorageError::io(parent, e))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| StorageError::io(&self.path, e))?;
        writeln!(file, "{} {operation} {key}", self.element)
            .map_err(|e| StorageError::io(&self.path, e))
    }
}

/// A storage whose keys live under `prefix` of `inner`, with writes and deletes audited.
struct AuditedStorage {
    inner: Arc<dyn Storage>,
    prefix: String,
    log: Arc<AuditLog>,
}

impl AuditedStorage {
    fn new(inner: Arc<dyn Storage>, prefix: String, log: AuditLog) -> AuditedStorage {
        AuditedStorage {
            inner,
            prefix,
            log: Arc::new(log),
        }
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn strip(&self, mut info: ObjectInfo) -> ObjectInfo {
        if let Some(key) = info.key.strip_prefix(&self.prefix) {
            info.key = key.to_owned();
        }
        info
    }

    fn unprefixed(&self, mut result: UploadResult, name: &str) -> UploadResult {
        name.clone_into(&mut result.key);
        result
    }
}

/// The inner Type's writer, audited when the object is finished.
struct AuditedWriter {
    inner: Box<dyn ObjectWriter>,
    log: Arc<AuditLog>,
    key: String,
    name: String,
}

#[async_trait]
impl ObjectWriter for AuditedWriter {
    async fn write(&mut self, data: Bytes) -> Result<(), StorageError> {
        self.inner.write(data).await
    }

    async fn finish(&mut self) -> Result<UploadResult, StorageError> {
        let mut result = self.inner.finish().await?;
        self.log.record("put", &self.key)?;
        self.name.clone_into(&mut result.key);
        Ok(result)
    }

    async fn abort(&mut self) -> Result<(), StorageError> {
        self.inner.abort().await
    }
}

#[async_trait]
impl Storage for AuditedStorage {
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    async fn stat(&self, name: &str) -> Result<ObjectInfo, StorageError> {
        let info = self.inner.stat(&self.key(name)).await?;
        Ok(self.strip(info))
    }

    async fn read(&self, name: &str, options: &ReadOptions) -> Result<ReadResult, StorageError> {
        let mut read = self.inner.read(&self.key(name), options).await?;
        read.info = self.strip(read.info);
        Ok(read)
    }

    async fn write(
        &self,
        name: &str,
        options: &UploadOptions,
    ) -> Result<Box<dyn ObjectWriter>, StorageError> {
        let key = self.key(name);
        Ok(Box::new(AuditedWriter {
            inner: self.inner.write(&key, options).await?,
            log: self.log.clone(),
            key,
            name: name.to_owned(),
        }))
    }

    async fn upload_by_file(
        &self,
        name: &str,
        data: Bytes,
        content_type: Option<&str>,
    ) -> Result<UploadResult, StorageError> {
        let result = self
            .inner
            .upload_by_file(&self.key(name), data, content_type)
            .await?;
        self.log.record("put", &self.key(name))?;
        Ok(self.unprefixed(result, name))
    }

    async fn upload_with(
        &self,
        name: &str,
        data: Bytes,
        options: &UploadOptions,
    ) -> Result<UploadResult, StorageError> {
        let result = self
            .inner
            .upload_with(&self.key(name), data, options)
            .await?;
        self.log.record("put", &self.key(name))?;
        Ok(self.unprefixed(result, name))
    }

    async fn upload_path(
        &self,
        name: &str,
        path: &Path,
        content_type: Option<&str>,
    ) -> Result<UploadResult, StorageError> {
        let result = self
            .inner
            .upload_path(&self.key(name), path, content_type)
            .await?;
        self.log.record("put", &self.key(name))?;
        Ok(self.unprefixed(result, name))
    }

    async fn get_sign_url(
        &self,
        file: &str,
        content_type: Option<&str>,
        expires: Duration,
    ) -> Result<String, StorageError> {
        self.inner
            .get_sign_url(&self.key(file), content_type, expires)
            .await
    }

    async fn sign_url(&self, request: &SignUrlRequest) -> Result<SignedUrl, StorageError> {
        let mut request = request.clone();
        request.key = self.key(&request.key);
        self.inner.sign_url(&request).await
    }

    async fn download(&self, name: &str) -> Result<Bytes, StorageError> {
        self.inner.download(&self.key(name)).await
    }

    async fn download_to(&self, name: &str, path: &Path) -> Result<u64, StorageError> {
        self.inner.download_to(&self.key(name), path).await
    }

    async fn exists(&self, name: &str) -> Result<bool, StorageError> {
        self.inner.exists(&self.key(name)).await
    }

    async fn delete(&self, name: &str) -> Result<(), StorageError> {
        self.inner.delete(&self.key(name)).await?;
        self.log.record("delete", &self.key(name))
    }

    fn list_with(&self, options: &ListOptions) -> ObjectStream {
        let strip = self.prefix.clone();
        let mut inner_options = ListOptions::prefix(self.key(&options.prefix));
        if let Some(after) = &options.start_after {
            inner_options = inner_options.start_after(self.key(after));
        }
        self.inner
            .list_with(&inner_options)
            .map(move |item| {
                item.map(|mut info| {
                    if let Some(key) = info.key.strip_prefix(&strip) {
                        info.key = key.to_owned();
                    }
                    info
                })
            })
            .boxed()
    }
}

/// The host override of `storages.OssType`: offline, OSS elements live in
/// `appData/offline-oss/<bucketName>`; online, the built-in OssType is used unchanged.
fn build_oss(ctx: &BuildContext<'_>) -> Result<ElementObject, BoxError> {
    if ctx.env_var("JITSTORE_OFFLINE").as_deref() != Some("1") {
        return Ok(ctx.build_overridden(ctx.config().clone())?);
    }
    let bucket = match ctx.config().get("bucketName") {
        Some(Value::String(bucket)) if !bucket.is_empty() && !bucket.contains(['/', '\\']) => {
            bucket.clone()
        }
        _ => {
            return Err(ctx
                .config_error(Some("bucketName"), "must be a bucket name")
                .into())
        }
    };
    let directory = ctx.app_root().join("appData/offline-oss").join(bucket);
    let storage: Arc<dyn Storage> = Arc::new(DiskStorage::new(directory)?);
    Ok(into_element_object(storage))
}

register_type!(OSS_TYPE, build_oss);

/// Writes the demo app: a wrapping Type over DiskType with one instance, and one OSS element.
pub fn write_demo_app(root: &Path) -> std::io::Result<()> {
    let files = [
        (
            "storages/AuditedType/e.json",
            r#"{"title": "Audited storage", "type": "storages.DiskType", "backendBundleEntry": "."}"#,
        ),
        (
            "storages/AuditedType/AuditedType.json",
            r#"{"keyPrefix": "tenant-a/", "auditLog": "appData/audit.log"}"#,
        ),
        (
            "storages/Uploads/e.json",
            r#"{"title": "Uploads", "type": "storages.AuditedType", "backendBundleEntry": "."}"#,
        ),
        (
            "storages/Uploads/Uploads.json",
            r#"{"directory": "appData/uploads"}"#,
        ),
        (
            "storages/MyOss/e.json",
            r#"{"title": "My OSS", "type": "storages.OssType", "backendBundleEntry": "."}"#,
        ),
        (
            "storages/MyOss/MyOss.json",
            r#"{"accessKeyId": "{{OSS_AK}}", "accessKeySecret": "{{OSS_SK}}", "endPoint": "oss-cn-hangzhou.aliyuncs.com", "bucketName": "demo"}"#,
        ),
    ];
    for (path, text) in files {
        let path = root.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)?;
    }
    Ok(())
}

/// Opens the demo app at `root` offline and exercises both custom Types, printing each step.
pub async fn run(root: &Path) -> Result<(), Box<dyn std::error::Error>> {
    write_demo_app(root)?;
    let app = jitstore::App::builder(root)
        .env([
            ("JITSTORE_OFFLINE", "1"),
            ("OSS_AK", "offline"),
            ("OSS_SK", "offline"),
        ])
        .open()?;

    let uploads = app.get_element("storages.Uploads")?;
    println!("storages.Uploads is built by {}", uploads.type_name());
    let result = uploads
        .upload_by_file("report.txt", b"quarterly".to_vec(), Some("text/plain"))
        .await?;
    println!(
        "uploaded {} ({} bytes) to {}",
        result.key, result.size, result.url
    );
    let on_disk = root.join("appData/uploads/tenant-a/report.txt");
    println!("stored at {}", on_disk.display());
    let audit = std::fs::read_to_string(root.join("appData/audit.log"))?;
    print!("audit log:\n{audit}");

    let oss = app.get_element("storages.MyOss")?;
    oss.upload_by_file("hello.txt", b"offline".to_vec(), None)
        .await?;
    println!(
        "storages.MyOss ({}) wrote {}",
        oss.type_name(),
        root.join("appData/offline-oss/demo/hello.txt").display()
    );
    Ok(())
}

#[allow(dead_code)]
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    run(dir.path()).await
}
