//! The host side: [`PluginStorageAdapter`] implements [`Storage`] over a plugin object that
//! speaks `storages.Meta/2`, and registers itself as that interface's adapter so that
//! `get_element` returns a storage for plugin storage Types. Bodies stream: reads and writes
//! cross the boundary in chunks of at most [`CHUNK_SIZE`] bytes, so memory stays bounded
//! whatever the object's size. Libraries declaring a retired interface version are refused.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{self, StreamExt};
use jitstore_element::{BoxError, ElementObject, PluginCallError, PluginInterface, PluginObject};
use jitstore_storages::{
    into_element_object, Capabilities, Capability, ErrorKind, Limits, ListOptions, ObjectInfo,
    ObjectStream, ObjectWriter, Operation, ReadOptions, ReadResult, Storage, StorageError,
    UploadOptions, UploadResult,
};

use crate::protocol::{
    decode_response, encode_request, CapabilitiesResponse, HandleRequest, KeyRequest, ListRequest,
    ObjectMeta, PutRequest, PutResponse, ReadOpened, ReadRequest, WriteOpened, CHUNK_SIZE,
    OP_CAPABILITIES, OP_DELETE, OP_HEAD, OP_LIST, OP_READ, OP_READ_CLOSE, OP_READ_OPEN, OP_WRITE,
    OP_WRITE_ABORT, OP_WRITE_FINISH, OP_WRITE_OPEN, RETIRED_STORAGE_INTERFACES,
    STATUS_INVALID_ARGUMENT, STATUS_INVALID_KEY, STATUS_NOT_FOUND, STATUS_UNSUPPORTED,
    STORAGE_INTERFACE,
};

/// The capabilities a plugin may declare.
const DECLARABLE_CAPABILITIES: [Capability; 6] = [
    Capability::Read,
    Capability::Write,
    Capability::Delete,
    Capability::List,
    Capability::ContentType,
    Capability::UserMetadata,
];

/// What the protocol gives every plugin that reads: ranges read only their own bytes (the
/// host asks for chunks at the range's offsets), conditions are checked against the version
/// the reader pinned, and `start_after` is applied by the host.
const PROTOCOL_READ_CAPABILITIES: [Capability; 2] =
    [Capability::RangeRead, Capability::ConditionalRead];

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
        let mut capabilities = DECLARABLE_CAPABILITIES
            .into_iter()
            .filter(|c| declared.capabilities.iter().any(|name| name == c.as_str()))
            .fold(Capabilities::default(), Capabilities::with);
        if capabilities.contains(Capability::Read) {
            capabilities = PROTOCOL_READ_CAPABILITIES
                .into_iter()
                .fold(capabilities, Capabilities::with);
        }
        if capabilities.contains(Capability::List) {
            capabilities = capabilities.with(Capability::ListStartAfter);
        }
        let mut limits = Limits::default();
        limits.max_object_size = declared.max_object_size;
        Ok(PluginStorageAdapter {
            object,
            capabilities: capabilities.with_limits(limits),
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
        call_plugin(self.object.clone(), operation, name, input).await
    }

    fn url_of(&self, key: &str) -> String {
        format!("jitstore-plugin://{}/{key}", self.object.element())
    }
}

/// Runs one plugin call on the blocking pool (a plugin may block).
async fn call_plugin(
    object: Arc<PluginObject>,
    operation: Operation,
    name: &'static str,
    input: Vec<u8>,
) -> Result<Vec<u8>, StorageError> {
    let result = tokio::task::spawn_blocking(move || object.call(name, &input))
        .await
        .map_err(StorageError::unexpected)?;
    result.map_err(|error| storage_error(operation, error))
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

/// An open transfer in the plugin: closed with `close_operation` when dropped while still
/// open (a read stream dropped early, a writer dropped unfinished), so the plugin releases
/// it and an unfinished object never appears.
struct Transfer {
    object: Arc<PluginObject>,
    handle: u64,
    close_operation: &'static str,
    open: bool,
}

impl Transfer {
    fn header(&self) -> HandleRequest {
        HandleRequest {
            handle: self.handle,
        }
    }

    /// Runs the transfer's final operation (`read_close`, `write_finish`, `write_abort`);
    /// the transfer counts as closed whatever the plugin answers.
    async fn close_with(
        &mut self,
        operation: Operation,
        name: &'static str,
    ) -> Result<Vec<u8>, StorageError> {
        if !self.open {
            return Err(StorageError::new(
                ErrorKind::InvalidArgument,
                "the transfer is already finished, closed or aborted",
            ));
        }
        self.open = false;
        let input = request(&self.header(), &[])?;
        call_plugin(self.object.clone(), operation, name, input).await
    }
}

impl Drop for Transfer {
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        let Ok(input) = encode_request(&self.header(), &[]) else {
            return;
        };
        let object = self.object.clone();
        let operation = self.close_operation;
        let close = move || {
            // Nothing to report to: the caller gave the transfer up.
            let _ = object.call(operation, &input);
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn_blocking(close)),
            Err(_) => close(),
        }
    }
}

/// Where a read stream is: the open reader and the bytes still to fetch.
struct ReadCursor {
    transfer: Transfer,
    next: u64,
    end: u64,
}

impl ReadCursor {
    /// The next chunk, or `None` once the range is complete (the reader is then closed).
    async fn next_chunk(mut self) -> Result<Option<(Bytes, ReadCursor)>, StorageError> {
        if self.next >= self.end {
            self.transfer
                .close_with(Operation::Read, OP_READ_CLOSE)
                .await?;
            return Ok(None);
        }
        let max = (self.end - self.next).min(CHUNK_SIZE as u64);
        let header = ReadRequest {
            handle: self.transfer.handle,
            offset: self.next,
            max,
        };
        let input = request(&header, &[])?;
        let chunk = call_plugin(
            self.transfer.object.clone(),
            Operation::Read,
            OP_READ,
            input,
        )
        .await?;
        if chunk.is_empty() {
            return Err(StorageError::integrity(format!(
                "the plugin ended the object at byte {} of {}",
                self.next, self.end
            )));
        }
        if chunk.len() as u64 > max {
            return Err(protocol_error(format!(
                "asked for at most {max} bytes, the plugin returned {}",
                chunk.len()
            )));
        }
        self.next += chunk.len() as u64;
        Ok(Some((Bytes::from(chunk), self)))
    }
}

/// The writer of one object in the plugin: each `write` crosses in chunks of at most
/// [`CHUNK_SIZE`]; `finish` makes the object appear; dropping it unfinished aborts it.
struct PluginObjectWriter {
    adapter: PluginStorageAdapter,
    key: String,
    transfer: Transfer,
}

#[async_trait]
impl ObjectWriter for PluginObjectWriter {
    async fn write(&mut self, data: Bytes) -> Result<(), StorageError> {
        if !self.transfer.open {
            return Err(StorageError::new(
                ErrorKind::InvalidArgument,
                "the writer is already finished or aborted",
            ));
        }
        let header = self.transfer.header();
        let mut rest = data;
        while !rest.is_empty() {
            let chunk = rest.split_to(rest.len().min(CHUNK_SIZE));
            let input = request(&header, &chunk)?;
            drop(chunk);
            self.adapter.call(Operation::Write, OP_WRITE, input).await?;
        }
        Ok(())
    }

    async fn finish(&mut self) -> Result<UploadResult, StorageError> {
        let output = self
            .transfer
            .close_with(Operation::Write, OP_WRITE_FINISH)
            .await?;
        let response: PutResponse = decode_response(&output).map_err(protocol_error)?;
        let mut result = UploadResult::new(
            response
                .url
                .unwrap_or_else(|| self.adapter.url_of(&self.key)),
            &self.key,
            response.size,
            bare_etag(&response.etag),
        );
        result.content_type = response.content_type;
        Ok(result)
    }

    async fn abort(&mut self) -> Result<(), StorageError> {
        if !self.transfer.open {
            return Ok(());
        }
        self.transfer
            .close_with(Operation::Write, OP_WRITE_ABORT)
            .await
            .map(drop)
    }
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

    /// Opens the object in the plugin (which pins its version and reports its metadata),
    /// checks the conditions and resolves the range against that version, then streams the
    /// range in chunks of at most [`CHUNK_SIZE`], asked for at the range's own offsets.
    async fn read(&self, name: &str, options: &ReadOptions) -> Result<ReadResult, StorageError> {
        if let Some(range) = &options.range {
            range.validate()?;
        }
        let header = KeyRequest {
            key: name.to_owned(),
        };
        let output = self
            .call(Operation::Read, OP_READ_OPEN, request(&header, &[])?)
            .await?;
        let opened: ReadOpened = decode_response(&output).map_err(protocol_error)?;
        let transfer = Transfer {
            object: self.object.clone(),
            handle: opened.handle,
            close_operation: OP_READ_CLOSE,
            open: true,
        };
        let info = object_info(opened.meta);
        options.check_conditions(info.etag.as_deref())?;
        let range = match &options.range {
            Some(range) => range.resolve(info.size)?,
            None => 0..info.size,
        };
        let cursor = ReadCursor {
            transfer,
            next: range.start,
            end: range.end,
        };
        let stream = stream::try_unfold(cursor, ReadCursor::next_chunk).boxed();
        Ok(ReadResult::new(info, range, stream))
    }

    /// Opens the object in the plugin; the writer sends it in chunks.
    async fn write(
        &self,
        name: &str,
        options: &UploadOptions,
    ) -> Result<Box<dyn ObjectWriter>, StorageError> {
        if !options.user_metadata.is_empty()
            && !self.capabilities.contains(Capability::UserMetadata)
        {
            return Err(StorageError::unsupported(Operation::UploadWith));
        }
        let header = PutRequest {
            key: name.to_owned(),
            content_type: options.content_type.clone(),
            user_metadata: options.user_metadata.clone(),
        };
        let output = self
            .call(Operation::Write, OP_WRITE_OPEN, request(&header, &[])?)
            .await?;
        let opened: WriteOpened = decode_response(&output).map_err(protocol_error)?;
        Ok(Box::new(PluginObjectWriter {
            adapter: self.clone(),
            key: name.to_owned(),
            transfer: Transfer {
                object: self.object.clone(),
                handle: opened.handle,
                close_operation: OP_WRITE_ABORT,
                open: true,
            },
        }))
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

/// The `storages.Meta/2` adapter: plugin object -> `Arc<dyn Storage>`.
pub fn adapt(object: Arc<PluginObject>) -> Result<ElementObject, BoxError> {
    let storage: Arc<dyn Storage> = Arc::new(PluginStorageAdapter::new(object)?);
    Ok(into_element_object(storage))
}

/// The answer to a library built for a retired version of the interface: refused, naming
/// both versions (the loader's error adds the element, the Type and the library path).
fn refuse_retired(object: Arc<PluginObject>) -> Result<ElementObject, BoxError> {
    Err(format!(
        "the library speaks {} (whole objects in one call, at most 256 MiB), built against an \
         older jitstore-storages-plugin; this host speaks {STORAGE_INTERFACE} (bodies streamed \
         in chunks): rebuild the plugin against this jitstore",
        object.interface()
    )
    .into())
}

jitstore_element::inventory::submit! {
    PluginInterface::new(STORAGE_INTERFACE, adapt, module_path!())
}

jitstore_element::inventory::submit! {
    PluginInterface::new(RETIRED_STORAGE_INTERFACES[0], refuse_retired, module_path!())
}

/// True when this crate's adapter is registered in the running binary (call it once from a
/// host to make sure the crate is linked, so `inventory` sees the registration).
pub fn adapter_installed() -> bool {
    jitstore_element::inventory::iter::<PluginInterface>
        .into_iter()
        .any(|i| i.interface == STORAGE_INTERFACE && i.origin == module_path!())
}
