//! The plugin side: implement [`PluginStorage`] (with a [`PluginReader`] and a
//! [`PluginWriter`] per transfer) and expose it as a
//! [`PluginType`](jitstore_plugin_abi::PluginType) whose instance is a [`StorageInstance`].

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use jitstore_plugin_abi::{PluginFailure, PluginInstance};
use serde::Serialize;

use crate::protocol::{
    decode_request, CapabilitiesResponse, HandleRequest, KeyRequest, ListRequest, ObjectMeta,
    PutRequest, PutResponse, ReadOpened, ReadRequest, WriteOpened, MAX_CHUNK_SIZE,
    MAX_OPEN_TRANSFERS, OP_CAPABILITIES, OP_DELETE, OP_HEAD, OP_LIST, OP_READ, OP_READ_CLOSE,
    OP_READ_OPEN, OP_WRITE, OP_WRITE_ABORT, OP_WRITE_FINISH, OP_WRITE_OPEN,
    STATUS_INVALID_ARGUMENT, STATUS_INVALID_KEY, STATUS_NOT_FOUND, STATUS_TOO_MANY_TRANSFERS,
    STATUS_UNKNOWN_HANDLE, STATUS_UNSUPPORTED,
};

/// Why a plugin storage operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginStorageError {
    /// The object does not exist.
    NotFound,
    /// The key cannot be used.
    InvalidKey(String),
    /// Another argument is not acceptable.
    InvalidArgument(String),
    /// The storage cannot do this.
    Unsupported(String),
    /// Anything else.
    Other(String),
}

impl From<PluginStorageError> for PluginFailure {
    fn from(error: PluginStorageError) -> PluginFailure {
        match error {
            PluginStorageError::NotFound => {
                PluginFailure::with_status(STATUS_NOT_FOUND, "object not found")
            }
            PluginStorageError::InvalidKey(m) => PluginFailure::with_status(STATUS_INVALID_KEY, m),
            PluginStorageError::InvalidArgument(m) => {
                PluginFailure::with_status(STATUS_INVALID_ARGUMENT, m)
            }
            PluginStorageError::Unsupported(m) => PluginFailure::with_status(STATUS_UNSUPPORTED, m),
            PluginStorageError::Other(m) => PluginFailure::error(m),
        }
    }
}

/// Reads one opened object version, a chunk at a time, at the offsets the host asks for.
pub trait PluginReader: Send + 'static {
    /// Fills `buf` with the object's bytes from `offset`; returns how many it filled (0 only
    /// at or past the end of the object).
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, PluginStorageError>;
}

/// Writes one object, a chunk at a time. Dropping it without [`finish`](Self::finish) must
/// leave nothing behind (as [`abort`](Self::abort) does).
pub trait PluginWriter: Send + 'static {
    /// Appends `data` to the object.
    fn write(&mut self, data: &[u8]) -> Result<(), PluginStorageError>;

    /// Completes the object: it appears, replacing any previous object under its key.
    fn finish(self: Box<Self>) -> Result<PutResponse, PluginStorageError>;

    /// Abandons the object; the default drops the writer.
    fn abort(self: Box<Self>) -> Result<(), PluginStorageError> {
        Ok(())
    }
}

/// What [`PluginStorage::open_write`] is told about the object to write.
#[derive(Debug, Clone, Copy)]
pub struct WriteRequest<'a> {
    /// The object key.
    pub key: &'a str,
    /// The content type, when the caller gave one.
    pub content_type: Option<&'a str>,
    /// User metadata (empty unless the storage declares `user-metadata`).
    pub user_metadata: &'a BTreeMap<String, String>,
}

/// A storage implemented inside a plugin library: synchronous calls, bodies streamed in chunks
/// through a [`PluginReader`] or [`PluginWriter`] per transfer.
pub trait PluginStorage: Send + Sync + 'static {
    /// Capability names (`read`, `write`, `delete`, `list`, `content-type`, `user-metadata`).
    fn capabilities(&self) -> Vec<String> {
        ["read", "write", "delete", "list"]
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    /// The largest object the storage keeps, when it has a limit (reported to the host's
    /// capability limits).
    fn max_object_size(&self) -> Option<u64> {
        None
    }

    /// Opens the current version of `key` for reading: its metadata and a reader of exactly
    /// that version (a later write does not change what the reader returns).
    fn open_read(
        &self,
        key: &str,
    ) -> Result<(ObjectMeta, Box<dyn PluginReader>), PluginStorageError>;

    /// Starts writing an object.
    fn open_write(
        &self,
        request: &WriteRequest<'_>,
    ) -> Result<Box<dyn PluginWriter>, PluginStorageError>;

    /// The object's metadata.
    fn head(&self, key: &str) -> Result<ObjectMeta, PluginStorageError>;

    /// Deletes the object; a missing object is not an error.
    fn delete(&self, key: &str) -> Result<(), PluginStorageError>;

    /// Objects whose key starts with `prefix`, in key order.
    fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, PluginStorageError>;

    /// Operations of the storage's own, beyond the protocol (diagnostics, say): called for
    /// any operation name the protocol does not define. The default knows none.
    fn extension(
        &self,
        operation: &str,
        input: &[u8],
        output: &mut Vec<u8>,
    ) -> Result<(), PluginFailure> {
        let _ = (input, output);
        Err(PluginFailure::unknown_operation(operation))
    }
}

/// An open transfer. A call on it holds its own clone, so closing it during a call (a host
/// giving up on a read in flight) releases it when that call ends instead of leaking it.
type Open<T> = Arc<Mutex<Box<T>>>;

/// The open transfers of one instance, by handle.
#[derive(Default)]
struct Transfers {
    next: u64,
    readers: HashMap<u64, Open<dyn PluginReader>>,
    writers: HashMap<u64, Open<dyn PluginWriter>>,
}

impl Transfers {
    fn open_slot(&mut self) -> Result<u64, PluginFailure> {
        if self.readers.len() + self.writers.len() >= MAX_OPEN_TRANSFERS {
            return Err(PluginFailure::with_status(
                STATUS_TOO_MANY_TRANSFERS,
                format!("{MAX_OPEN_TRANSFERS} transfers are already open"),
            ));
        }
        self.next += 1;
        Ok(self.next)
    }
}

use jitstore_util::lock::lock;

fn open<T: ?Sized>(transfer: Box<T>) -> Open<T> {
    Arc::new(Mutex::new(transfer))
}

fn unknown_handle(handle: u64) -> PluginFailure {
    PluginFailure::with_status(
        STATUS_UNKNOWN_HANDLE,
        format!(
            "no open transfer with handle {handle} (never opened, or closed, finished or aborted)"
        ),
    )
}

/// Serves the `storages.Meta/2` operations of a [`PluginStorage`], keeping its open
/// transfers (dropped, so aborted, with the instance).
pub struct StorageInstance<S> {
    storage: S,
    transfers: Mutex<Transfers>,
}

impl<S: std::fmt::Debug> std::fmt::Debug for StorageInstance<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StorageInstance")
            .field("storage", &self.storage)
            .finish_non_exhaustive()
    }
}

impl<S: PluginStorage> StorageInstance<S> {
    /// Serves `storage`.
    pub fn new(storage: S) -> StorageInstance<S> {
        StorageInstance {
            storage,
            transfers: Mutex::new(Transfers::default()),
        }
    }

    /// The storage served.
    pub fn storage(&self) -> &S {
        &self.storage
    }

    fn transfers(&self) -> MutexGuard<'_, Transfers> {
        lock(&self.transfers)
    }

    fn read_open(&self, input: &[u8], output: &mut Vec<u8>) -> Result<(), PluginFailure> {
        let (request, _): (KeyRequest, _) = decode_request(input).map_err(bad_request)?;
        let handle = self.transfers().open_slot()?;
        let (meta, reader) = self.storage.open_read(&request.key)?;
        self.transfers().readers.insert(handle, open(reader));
        json(&ReadOpened { handle, meta }, output)
    }

    /// Reads one chunk, holding only this transfer's lock (slow reads of one transfer do not
    /// hold up the others).
    fn read(&self, input: &[u8], output: &mut Vec<u8>) -> Result<(), PluginFailure> {
        let (request, _): (ReadRequest, _) = decode_request(input).map_err(bad_request)?;
        let Some(reader) = self.transfers().readers.get(&request.handle).cloned() else {
            return Err(unknown_handle(request.handle));
        };
        let mut reader = lock(&reader);
        let max = usize::try_from(request.max.min(MAX_CHUNK_SIZE)).unwrap_or(usize::MAX);
        let start = output.len();
        output.resize(start + max, 0);
        let mut filled = 0;
        let mut outcome = Ok(());
        while filled < max {
            match reader.read_at(
                request.offset.saturating_add(filled as u64),
                &mut output[start + filled..],
            ) {
                Ok(0) => break,
                Ok(n) => filled += n.min(max - filled),
                Err(error) => {
                    outcome = Err(error.into());
                    break;
                }
            }
        }
        output.truncate(start + filled);
        outcome
    }

    fn read_close(&self, input: &[u8], output: &mut Vec<u8>) -> Result<(), PluginFailure> {
        let (request, _): (HandleRequest, _) = decode_request(input).map_err(bad_request)?;
        let reader = self.transfers().readers.remove(&request.handle);
        drop(reader.ok_or_else(|| unknown_handle(request.handle))?);
        output.extend_from_slice(b"{}");
        Ok(())
    }

    fn write_open(&self, input: &[u8], output: &mut Vec<u8>) -> Result<(), PluginFailure> {
        let (request, _): (PutRequest, _) = decode_request(input).map_err(bad_request)?;
        let handle = self.transfers().open_slot()?;
        let writer = self.storage.open_write(&WriteRequest {
            key: &request.key,
            content_type: request.content_type.as_deref(),
            user_metadata: &request.user_metadata,
        })?;
        self.transfers().writers.insert(handle, open(writer));
        json(&WriteOpened { handle }, output)
    }

    fn write(&self, input: &[u8], output: &mut Vec<u8>) -> Result<(), PluginFailure> {
        let (request, body): (HandleRequest, _) = decode_request(input).map_err(bad_request)?;
        let Some(writer) = self.transfers().writers.get(&request.handle).cloned() else {
            return Err(unknown_handle(request.handle));
        };
        lock(&writer).write(body)?;
        output.extend_from_slice(b"{}");
        Ok(())
    }

    fn write_finish(&self, input: &[u8], output: &mut Vec<u8>) -> Result<(), PluginFailure> {
        let (request, _): (HandleRequest, _) = decode_request(input).map_err(bad_request)?;
        let Some(writer) = self.transfers().writers.remove(&request.handle) else {
            return Err(unknown_handle(request.handle));
        };
        match Arc::try_unwrap(writer) {
            Ok(writer) => json(&lock_into_inner(writer).finish()?, output),
            Err(writer) => {
                self.transfers().writers.insert(request.handle, writer);
                Err(PluginFailure::with_status(
                    STATUS_INVALID_ARGUMENT,
                    format!("transfer {}: a write is still running", request.handle),
                ))
            }
        }
    }

    fn write_abort(&self, input: &[u8], output: &mut Vec<u8>) -> Result<(), PluginFailure> {
        let (request, _): (HandleRequest, _) = decode_request(input).map_err(bad_request)?;
        let Some(writer) = self.transfers().writers.remove(&request.handle) else {
            return Err(unknown_handle(request.handle));
        };
        // With a write still running, the writer is dropped (so aborted) when it ends.
        if let Ok(writer) = Arc::try_unwrap(writer) {
            lock_into_inner(writer).abort()?;
        }
        output.extend_from_slice(b"{}");
        Ok(())
    }
}

use jitstore_util::lock::into_inner as lock_into_inner;

fn json(value: &impl Serialize, output: &mut Vec<u8>) -> Result<(), PluginFailure> {
    serde_json::to_writer(output, value)
        .map_err(|e| PluginFailure::error(format!("cannot encode response: {e}")))
}

fn bad_request(message: String) -> PluginFailure {
    PluginFailure::with_status(STATUS_INVALID_ARGUMENT, message)
}

impl<S: PluginStorage> PluginInstance for StorageInstance<S> {
    fn call(
        &self,
        operation: &str,
        input: &[u8],
        output: &mut Vec<u8>,
    ) -> Result<(), PluginFailure> {
        let storage = &self.storage;
        match operation {
            OP_CAPABILITIES => json(
                &CapabilitiesResponse {
                    capabilities: storage.capabilities(),
                    max_object_size: storage.max_object_size(),
                },
                output,
            ),
            OP_HEAD => {
                let (request, _): (KeyRequest, _) = decode_request(input).map_err(bad_request)?;
                json(&storage.head(&request.key)?, output)
            }
            OP_DELETE => {
                let (request, _): (KeyRequest, _) = decode_request(input).map_err(bad_request)?;
                storage.delete(&request.key)?;
                output.extend_from_slice(b"{}");
                Ok(())
            }
            OP_LIST => {
                let (request, _): (ListRequest, _) = decode_request(input).map_err(bad_request)?;
                json(&storage.list(&request.prefix)?, output)
            }
            OP_READ_OPEN => self.read_open(input, output),
            OP_READ => self.read(input, output),
            OP_READ_CLOSE => self.read_close(input, output),
            OP_WRITE_OPEN => self.write_open(input, output),
            OP_WRITE => self.write(input, output),
            OP_WRITE_FINISH => self.write_finish(input, output),
            OP_WRITE_ABORT => self.write_abort(input, output),
            other => storage.extension(other, input, output),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{encode_request, PutResponse};

    /// One object of `size` bytes (`byte i = i % 256`) under every key; writes are counted.
    struct Generated {
        size: u64,
    }

    struct GeneratedReader(u64);

    impl PluginReader for GeneratedReader {
        fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, PluginStorageError> {
            let n = buf.len().min(self.0.saturating_sub(offset) as usize);
            for (i, byte) in buf[..n].iter_mut().enumerate() {
                *byte = ((offset + i as u64) % 256) as u8;
            }
            Ok(n)
        }
    }

    struct CountingWriter(u64);

    impl PluginWriter for CountingWriter {
        fn write(&mut self, data: &[u8]) -> Result<(), PluginStorageError> {
            self.0 += data.len() as u64;
            Ok(())
        }

        fn finish(self: Box<Self>) -> Result<PutResponse, PluginStorageError> {
            Ok(PutResponse {
                size: self.0,
                etag: "e".to_owned(),
                url: None,
                content_type: None,
            })
        }
    }

    impl PluginStorage for Generated {
        fn open_read(
            &self,
            key: &str,
        ) -> Result<(ObjectMeta, Box<dyn PluginReader>), PluginStorageError> {
            let meta = ObjectMeta {
                key: key.to_owned(),
                size: self.size,
                ..ObjectMeta::default()
            };
            Ok((meta, Box::new(GeneratedReader(self.size))))
        }

        fn open_write(
            &self,
            _request: &WriteRequest<'_>,
        ) -> Result<Box<dyn PluginWriter>, PluginStorageError> {
            Ok(Box::new(CountingWriter(0)))
        }

        fn head(&self, _key: &str) -> Result<ObjectMeta, PluginStorageError> {
            Err(PluginStorageError::NotFound)
        }

        fn delete(&self, _key: &str) -> Result<(), PluginStorageError> {
            Ok(())
        }

        fn list(&self, _prefix: &str) -> Result<Vec<ObjectMeta>, PluginStorageError> {
            Ok(Vec::new())
        }
    }

    fn call(
        instance: &StorageInstance<Generated>,
        operation: &str,
        header: &impl Serialize,
        body: &[u8],
    ) -> Result<Vec<u8>, PluginFailure> {
        let mut output = Vec::new();
        let input = encode_request(header, body).expect("encodes");
        instance.call(operation, &input, &mut output)?;
        Ok(output)
    }

    fn open_reader(instance: &StorageInstance<Generated>) -> u64 {
        let key = KeyRequest { key: "k".into() };
        let opened: ReadOpened =
            serde_json::from_slice(&call(instance, OP_READ_OPEN, &key, &[]).expect("opens"))
                .expect("JSON");
        opened.handle
    }

    #[test]
    fn reads_serve_the_asked_offsets_capped_at_the_chunk_limit() {
        let instance = StorageInstance::new(Generated { size: 40 << 20 });
        let handle = open_reader(&instance);
        let read = |offset, max| {
            call(
                &instance,
                OP_READ,
                &ReadRequest {
                    handle,
                    offset,
                    max,
                },
                &[],
            )
            .expect("reads")
        };
        assert_eq!(read(300, 4), [44, 45, 46, 47]);
        assert_eq!(read(u64::MAX - 3, 10), Vec::<u8>::new(), "past the end");
        assert_eq!(read(0, u64::MAX).len() as u64, MAX_CHUNK_SIZE);
        call(&instance, OP_READ_CLOSE, &HandleRequest { handle }, &[]).expect("closes");
        let error = call(
            &instance,
            OP_READ,
            &ReadRequest {
                handle,
                offset: 0,
                max: 1,
            },
            &[],
        )
        .expect_err("closed");
        assert_eq!(error.status, STATUS_UNKNOWN_HANDLE);
        assert!(
            error.message.contains(&handle.to_string()),
            "{}",
            error.message
        );
    }

    #[test]
    fn writes_finish_once_and_handles_are_not_interchangeable() {
        let instance = StorageInstance::new(Generated { size: 1 });
        let put = PutRequest {
            key: "k".into(),
            content_type: None,
            user_metadata: BTreeMap::new(),
        };
        let opened: WriteOpened =
            serde_json::from_slice(&call(&instance, OP_WRITE_OPEN, &put, &[]).expect("opens"))
                .expect("JSON");
        let handle = HandleRequest {
            handle: opened.handle,
        };
        call(&instance, OP_WRITE, &handle, b"abc").expect("writes");
        call(&instance, OP_WRITE, &handle, b"de").expect("writes");
        let reader = open_reader(&instance);
        let error = call(&instance, OP_WRITE, &HandleRequest { handle: reader }, b"x")
            .expect_err("a reader's handle is not a writer's");
        assert_eq!(error.status, STATUS_UNKNOWN_HANDLE);
        let finished: PutResponse =
            serde_json::from_slice(&call(&instance, OP_WRITE_FINISH, &handle, &[]).expect("ok"))
                .expect("JSON");
        assert_eq!(finished.size, 5);
        let error = call(&instance, OP_WRITE_ABORT, &handle, &[]).expect_err("finished");
        assert_eq!(error.status, STATUS_UNKNOWN_HANDLE);
    }

    #[test]
    fn open_transfers_are_bounded() {
        let instance = StorageInstance::new(Generated { size: 1 });
        for _ in 0..MAX_OPEN_TRANSFERS {
            open_reader(&instance);
        }
        let key = KeyRequest { key: "k".into() };
        let error = call(&instance, OP_READ_OPEN, &key, &[]).expect_err("too many");
        assert_eq!(error.status, STATUS_TOO_MANY_TRANSFERS);
    }

    /// A reader that blocks its first read until released, and counts live readers.
    struct Gated {
        live: Arc<std::sync::atomic::AtomicUsize>,
        gate: Mutex<Option<std::sync::mpsc::Receiver<()>>>,
        started: Mutex<Option<std::sync::mpsc::Sender<()>>>,
    }

    struct GatedReader {
        live: Arc<std::sync::atomic::AtomicUsize>,
        gate: Option<std::sync::mpsc::Receiver<()>>,
        started: Option<std::sync::mpsc::Sender<()>>,
    }

    impl PluginReader for GatedReader {
        fn read_at(&mut self, _offset: u64, buf: &mut [u8]) -> Result<usize, PluginStorageError> {
            if let (Some(started), Some(gate)) = (self.started.take(), self.gate.take()) {
                let _ = started.send(());
                let _ = gate.recv();
            }
            buf.fill(1);
            Ok(buf.len())
        }
    }

    impl Drop for GatedReader {
        fn drop(&mut self) {
            self.live.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    impl PluginStorage for Gated {
        fn open_read(
            &self,
            key: &str,
        ) -> Result<(ObjectMeta, Box<dyn PluginReader>), PluginStorageError> {
            self.live.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let reader = GatedReader {
                live: self.live.clone(),
                gate: lock(&self.gate).take(),
                started: lock(&self.started).take(),
            };
            let meta = ObjectMeta {
                key: key.to_owned(),
                size: 100,
                ..ObjectMeta::default()
            };
            Ok((meta, Box::new(reader)))
        }

        fn open_write(
            &self,
            _request: &WriteRequest<'_>,
        ) -> Result<Box<dyn PluginWriter>, PluginStorageError> {
            Err(PluginStorageError::Unsupported("read-only".into()))
        }

        fn head(&self, _key: &str) -> Result<ObjectMeta, PluginStorageError> {
            Err(PluginStorageError::NotFound)
        }

        fn delete(&self, _key: &str) -> Result<(), PluginStorageError> {
            Ok(())
        }

        fn list(&self, _prefix: &str) -> Result<Vec<ObjectMeta>, PluginStorageError> {
            Ok(Vec::new())
        }
    }

    #[test]
    fn a_reader_closed_during_a_read_is_released_when_the_read_ends() {
        let (release, gate) = std::sync::mpsc::channel();
        let (started, has_started) = std::sync::mpsc::channel();
        let live = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let instance = StorageInstance::new(Gated {
            live: live.clone(),
            gate: Mutex::new(Some(gate)),
            started: Mutex::new(Some(started)),
        });
        let key = KeyRequest { key: "k".into() };
        let mut output = Vec::new();
        let input = encode_request(&key, &[]).expect("encodes");
        instance
            .call(OP_READ_OPEN, &input, &mut output)
            .expect("opens");
        let handle = serde_json::from_slice::<ReadOpened>(&output)
            .expect("JSON")
            .handle;
        std::thread::scope(|scope| {
            let reading = scope.spawn(|| {
                let mut output = Vec::new();
                let request = ReadRequest {
                    handle,
                    offset: 0,
                    max: 10,
                };
                let input = encode_request(&request, &[]).expect("encodes");
                instance.call(OP_READ, &input, &mut output).map(|()| output)
            });
            has_started.recv().expect("the read started");
            let mut output = Vec::new();
            let input = encode_request(&HandleRequest { handle }, &[]).expect("encodes");
            instance
                .call(OP_READ_CLOSE, &input, &mut output)
                .expect("closing during the read succeeds");
            assert_eq!(
                live.load(std::sync::atomic::Ordering::SeqCst),
                1,
                "still reading"
            );
            release.send(()).expect("releases the read");
            let chunk = reading
                .join()
                .expect("no panic")
                .expect("the read completes");
            assert_eq!(chunk, [1u8; 10]);
        });
        assert_eq!(
            live.load(std::sync::atomic::Ordering::SeqCst),
            0,
            "the reader is released, not leaked"
        );
    }
}
