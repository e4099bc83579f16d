//! The host side: [`PluginStorageAdapter`] implements [`Storage`] over a plugin object that
//! speaks `storages.Meta/1`, and registers itself as that interface's adapter so that
//! `get_element` returns a storage for plugin storage Types.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{self, StreamExt};
use jitstore_element::{BoxError, ElementObject, PluginCallError, PluginInterface, PluginObject};
use jitstore_storages::{
    into_element_object, Capabilities, Capability, ErrorKind, Limits, ListOptions, ObjectInfo,
    ObjectStream, ObjectWriter, Operation, ReadOptions, ReadResult, SpooledWriter, Storage,
    StorageError, UploadOptions, UploadResult,
};

use crate::protocol::{
    decode_response, encode_request, CapabilitiesResponse, KeyRequest, ListRequest, ObjectMeta,
    PutRequest, PutResponse, MAX_OBJECT_SIZE, OP_CAPABILITIES, OP_DELETE, OP_GET, OP_HEAD, OP_LIST,
    OP_PUT, STATUS_INVALID_ARGUMENT, STATUS_INVALID_KEY, STATUS_NOT_FOUND, STATUS_UNSUPPORTED,
    STORAGE_INTERFACE,
};

/// The capabilities a `storages.Meta/1` plugin may declare.
const PROTOCOL_CAPABILITIES: [Capability; 5] = [
    Capability::Read,
    Capability::Write,
    Capability::Delete,
    Capability::List,
    Capability::ContentType,
];

/// A storage served by a plugin library.
#[derive(Debug, Clone)]
pub struct PluginStorageAdapter {
    object: Arc<PluginObject>,
    capabilities: Capabilities,
}

impl PluginStorageAdapter {
    /// Wraps a plugin object speaking [`STORAGE_INTERFACE`], asking it for its capabilities.
    pub fn new(object: Arc<PluginObject>) -> Result<PluginStorageAdapter, BoxError> {
        if object.interface() != STORAGE_INTERFACE {
            return Err(format!(
                "the plugin object speaks {}, not {STORAGE_INTERFACE}",
                object.interface()
            )
            .into());
        }
        let output = object.call(OP_CAPABILITIES, &[])?;
        let declared: CapabilitiesResponse = decode_response(&output)?;
        let capabilities = PROTOCOL_CAPABILITIES
            .into_iter()
            .filter(|c| declared.capabilities.iter().any(|name| name == c.as_str()))
            .fold(Capabilities::default(), Capabilities::with)
            .with_limits(protocol_limits());
        Ok(PluginStorageAdapter {
            object,
            capabilities,
        })
    }

    /// The plugin object.
    pub fn object(&self) -> &Arc<PluginObject> {
        &self.object
    }

    async fn call(
        &self,
        operation: Operation,
        name: &'static str,
        input: Vec<u8>,
    ) -> Result<Vec<u8>, StorageError> {
        let object = self.object.clone();
        let result = tokio::task::spawn_blocking(move || object.call(name, &input))
            .await
            .map_err(StorageError::unexpected)?;
        result.map_err(|error| storage_error(operation, error))
    }

    fn url_of(&self, key: &str) -> String {
        format!("jitstore-plugin://{}/{key}", self.object.element())
    }
}

/// What `storages.Meta/1` can move through the ABI: whole objects up to its size limit.
fn protocol_limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_object_size = Some(MAX_OBJECT_SIZE);
    limits.max_single_write_size = Some(MAX_OBJECT_SIZE);
    limits
}

/// The plugin's status code decides the kind; the plugin's error stays the source.
fn storage_error(operation: Operation, error: PluginCallError) -> StorageError {
    let kind = match error.status {
        STATUS_NOT_FOUND => ErrorKind::NotFound,
        STATUS_INVALID_KEY => ErrorKind::InvalidKey,
        STATUS_INVALID_ARGUMENT => ErrorKind::InvalidArgument,
        STATUS_UNSUPPORTED => return StorageError::unsupported(operation).with_source(error),
        _ => ErrorKind::Unexpected,
    };
    StorageError::new(kind, "").with_source(error)
}

fn protocol_error(message: String) -> StorageError {
    StorageError::new(ErrorKind::Unexpected, "plugin protocol").with_source(message)
}

fn request(header: &impl serde::Serialize, body: &[u8]) -> Result<Vec<u8>, StorageError> {
    encode_request(header, body).map_err(protocol_error)
}

fn too_large(size: u64) -> StorageError {
    StorageError::invalid_argument(format!(
        "{size} bytes: plugin storages (storages.Meta/1) transfer whole objects of at most {MAX_OBJECT_SIZE} bytes"
    ))
}

/// ETags are reported bare by every Type (plugins may quote theirs, as HTTP does).
fn bare_etag(etag: &str) -> String {
    etag.trim().trim_matches('"').to_owned()
}

fn object_info(meta: ObjectMeta) -> ObjectInfo {
    let mut info = ObjectInfo::new(meta.key, meta.size);
    info.etag = meta.etag.as_deref().map(bare_etag);
    info.content_type = meta.content_type;
    info.last_modified = meta
        .last_modified_ms
        .and_then(chrono::DateTime::from_timestamp_millis);
    info.user_metadata = meta.user_metadata;
    info
}

#[async_trait]
impl Storage for PluginStorageAdapter {
    fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    async fn stat(&self, name: &str) -> Result<ObjectInfo, StorageError> {
        let header = KeyRequest {
            key: name.to_owned(),
        };
        let output = self
            .call(Operation::Stat, OP_HEAD, request(&header, &[])?)
            .await?;
        let meta: ObjectMeta = decode_response(&output).map_err(protocol_error)?;
        Ok(object_info(meta))
    }

    /// `storages.Meta/1` moves whole objects: the metadata (HEAD), then the object (GET),
    /// sliced to the range.
    async fn read(&self, name: &str, options: &ReadOptions) -> Result<ReadResult, StorageError> {
        if let Some(range) = &options.range {
            range.validate()?;
        }
        let info = self.stat(name).await?;
        options.check_conditions(info.etag.as_deref())?;
        let data = self.download(name).await?;
        let mut info = info;
        info.size = data.len() as u64;
        let range = match &options.range {
            Some(range) => range.resolve(info.size)?,
            None => 0..info.size,
        };
        let (start, end) = (
            usize::try_from(range.start).unwrap_or(usize::MAX),
            usize::try_from(range.end).unwrap_or(usize::MAX),
        );
        let body = data.slice(start.min(data.len())..end.min(data.len()));
        let stream = stream::iter([Ok(body)]).boxed();
        Ok(ReadResult::new(info, range, stream))
    }

    /// Spools to a temporary file, then one `put` of at most the protocol's object size.
    async fn write(
        &self,
        name: &str,
        options: &UploadOptions,
    ) -> Result<Box<dyn ObjectWriter>, StorageError> {
        if !options.user_metadata.is_empty() {
            return Err(StorageError::unsupported(Operation::UploadWith));
        }
        let adapter = self.clone();
        let key = name.to_owned();
        let content_type = options.content_type.clone();
        let writer = SpooledWriter::new(
            None,
            Box::new(move |spool, size| {
                Box::pin(async move {
                    if size > MAX_OBJECT_SIZE {
                        return Err(too_large(size));
                    }
                    let data = tokio::fs::read(&spool)
                        .await
                        .map_err(|e| StorageError::io(&spool, e))?;
                    adapter
                        .upload_by_file(&key, Bytes::from(data), content_type.as_deref())
                        .await
                })
            }),
        )?;
        Ok(Box::new(writer))
    }

    async fn upload_by_file(
        &self,
        name: &str,
        data: Bytes,
        content_type: Option<&str>,
    ) -> Result<UploadResult, StorageError> {
        if data.len() as u64 > MAX_OBJECT_SIZE {
            return Err(too_large(data.len() as u64));
        }
        let header = PutRequest {
            key: name.to_owned(),
            content_type: content_type.map(str::to_owned),
        };
        let output = self
            .call(Operation::UploadByFile, OP_PUT, request(&header, &data)?)
            .await?;
        let response: PutResponse = decode_response(&output).map_err(protocol_error)?;
        let mut result = UploadResult::new(
            response.url.unwrap_or_else(|| self.url_of(name)),
            name,
            response.size,
            bare_etag(&response.etag),
        );
        result.content_type = response.content_type;
        Ok(result)
    }

    async fn upload_path(
        &self,
        name: &str,
        path: &Path,
        content_type: Option<&str>,
    ) -> Result<UploadResult, StorageError> {
        let size = tokio::fs::metadata(path)
            .await
            .map_err(|e| StorageError::io(path, e))?
            .len();
        if size > MAX_OBJECT_SIZE {
            return Err(too_large(size));
        }
        let data = tokio::fs::read(path)
            .await
            .map_err(|e| StorageError::io(path, e))?;
        self.upload_by_file(name, Bytes::from(data), content_type)
            .await
    }

    async fn download(&self, name: &str) -> Result<Bytes, StorageError> {
        let header = KeyRequest {
            key: name.to_owned(),
        };
        let output = self
            .call(Operation::Download, OP_GET, request(&header, &[])?)
            .await?;
        Ok(Bytes::from(output))
    }

    async fn download_to(&self, name: &str, path: &Path) -> Result<u64, StorageError> {
        let data = self.download(name).await?;
        let target = path.to_path_buf();
        tokio::task::spawn_blocking(move || write_atomically(&target, &data))
            .await
            .map_err(StorageError::unexpected)?
    }

    async fn delete(&self, name: &str) -> Result<(), StorageError> {
        let header = KeyRequest {
            key: name.to_owned(),
        };
        self.call(Operation::Delete, OP_DELETE, request(&header, &[])?)
            .await?;
        Ok(())
    }

    fn list_with(&self, options: &ListOptions) -> ObjectStream {
        let adapter = self.clone();
        let header = ListRequest {
            prefix: options.prefix.clone(),
        };
        let options = options.clone();
        stream::once(async move {
            let output = adapter
                .call(Operation::List, OP_LIST, request(&header, &[])?)
                .await?;
            let entries: Vec<ObjectMeta> = decode_response(&output).map_err(protocol_error)?;
            Ok::<_, StorageError>(entries)
        })
        .flat_map(move |listed| match listed {
            Ok(entries) => stream::iter(
                entries
                    .into_iter()
                    .filter(|m| options.admits(&m.key))
                    .collect::<Vec<_>>()
                    .into_iter()
                    .map(|m| Ok(object_info(m))),
            )
            .left_stream(),
            Err(error) => stream::iter([Err(error)]).right_stream(),
        })
        .boxed()
    }
}

/// Writes `data` to `path` through a temporary file in the same folder, then renames it.
fn write_atomically(path: &Path, data: &[u8]) -> Result<u64, StorageError> {
    use std::io::Write;
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut file =
        tempfile::NamedTempFile::new_in(parent).map_err(|e| StorageError::io(parent, e))?;
    file.write_all(data)
        .map_err(|e| StorageError::io(path, e))?;
    file.as_file()
        .sync_all()
        .map_err(|e| StorageError::io(path, e))?;
    file.persist(path)
        .map_err(|e| StorageError::io(path, e.error))?;
    Ok(data.len() as u64)
}

/// The `storages.Meta/1` adapter: plugin object -> `Arc<dyn Storage>`.
pub fn adapt(object: Arc<PluginObject>) -> Result<ElementObject, BoxError> {
    let storage: Arc<dyn Storage> = Arc::new(PluginStorageAdapter::new(object)?);
    Ok(into_element_object(storage))
}

jitstore_element::inventory::submit! {
    PluginInterface::new(STORAGE_INTERFACE, adapt, module_path!())
}

/// True when this crate's adapter is registered in the running binary (call it once from a
/// host to make sure the crate is linked, so `inventory` sees the registration).
pub fn adapter_installed() -> bool {
    jitstore_element::inventory::iter::<PluginInterface>
        .into_iter()
        .any(|i| i.interface == STORAGE_INTERFACE && i.origin == module_path!())
}
