//! The streaming writer of the S3 family: the written chunks are held (not copied) up to the
//! multipart threshold; a writer that finishes below it stores the object with one PUT, a
//! larger one becomes a multipart upload of `partSize` parts with at most `concurrency` in
//! flight (memory stays near `partSize × (concurrency + 1)`; a streamed object can have 10,000
//! parts, so `partSize` bounds its size). Dropped unfinished, a started multipart upload is
//! aborted in the background; nothing becomes visible.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use jitstore_storages::{ErrorKind, ObjectWriter, StorageError, UploadResult};
use object_store::aws::AmazonS3;
use object_store::path::Path;
use object_store::{
    Attributes, ObjectStore, PutMultipartOptions, PutOptions, PutPayload, WriteMultipart,
};

use crate::errors::run;
use crate::storage::strip_quotes;

/// What a writer needs from its storage.
pub(crate) struct WriterTarget {
    pub(crate) store: Arc<AmazonS3>,
    pub(crate) path: Path,
    pub(crate) key: String,
    pub(crate) url: String,
    pub(crate) attributes: Attributes,
    pub(crate) content_type: String,
    pub(crate) part_size: usize,
    pub(crate) threshold: usize,
    pub(crate) concurrency: usize,
}

enum State {
    /// The chunks written so far and their total size, below the threshold.
    Buffering(Vec<Bytes>, usize),
    Multipart(WriteMultipart),
    Closed,
}

/// The writer of one object on an S3-family storage.
pub(crate) struct S3Writer {
    target: WriterTarget,
    state: State,
    size: u64,
}

impl S3Writer {
    pub(crate) fn new(target: WriterTarget) -> S3Writer {
        S3Writer {
            target,
            state: State::Buffering(Vec::new(), 0),
            size: 0,
        }
    }

    fn closed() -> StorageError {
        StorageError::new(
            ErrorKind::InvalidArgument,
            "the writer is already finished or aborted",
        )
    }

    async fn start_multipart(&mut self, buffered: Vec<Bytes>) -> Result<(), StorageError> {
        let options = PutMultipartOptions {
            attributes: self.target.attributes.clone(),
            ..PutMultipartOptions::default()
        };
        let upload = run(self
            .target
            .store
            .put_multipart_opts(&self.target.path, options))
        .await?;
        let mut multipart = WriteMultipart::new_with_chunk_size(upload, self.target.part_size);
        let capacity = self.in_flight_before_write();
        for chunk in buffered {
            if let Err(e) = run(multipart.wait_for_capacity(capacity)).await {
                let _ = multipart.abort().await;
                return Err(e);
            }
            multipart.write(&chunk);
        }
        self.state = State::Multipart(multipart);
        Ok(())
    }

    /// Parts allowed in flight before a write (which may start one more).
    fn in_flight_before_write(&self) -> usize {
        self.target.concurrency.saturating_sub(1)
    }

    fn result(&self, etag: Option<String>) -> UploadResult {
        let mut result = UploadResult::new(
            self.target.url.clone(),
            self.target.key.clone(),
            self.size,
            strip_quotes(etag.as_deref().unwrap_or_default()),
        );
        result.content_type = Some(self.target.content_type.clone());
        result
    }
}

#[async_trait]
impl ObjectWriter for S3Writer {
    async fn write(&mut self, data: Bytes) -> Result<(), StorageError> {
        match &mut self.state {
            State::Closed => return Err(Self::closed()),
            State::Buffering(chunks, buffered) => {
                *buffered += data.len();
                self.size += data.len() as u64;
                chunks.push(data);
                if *buffered >= self.target.threshold {
                    let chunks = std::mem::take(chunks);
                    if let Err(e) = self.start_multipart(chunks).await {
                        self.state = State::Closed;
                        return Err(e);
                    }
                }
            }
            State::Multipart(multipart) => {
                // As `in_flight_before_write` (not callable while `multipart` borrows self).
                let capacity = self.target.concurrency.saturating_sub(1);
                if let Err(e) = run(multipart.wait_for_capacity(capacity)).await {
                    if let State::Multipart(multipart) =
                        std::mem::replace(&mut self.state, State::Closed)
                    {
                        let _ = multipart.abort().await;
                    }
                    return Err(e);
                }
                multipart.write(&data);
                self.size += data.len() as u64;
            }
        }
        Ok(())
    }

    async fn finish(&mut self) -> Result<UploadResult, StorageError> {
        match std::mem::replace(&mut self.state, State::Closed) {
            State::Closed => Err(Self::closed()),
            State::Buffering(chunks, _) => {
                let options = PutOptions {
                    attributes: self.target.attributes.clone(),
                    ..PutOptions::default()
                };
                let payload: PutPayload = chunks.into_iter().collect();
                let put = run(self
                    .target
                    .store
                    .put_opts(&self.target.path, payload, options))
                .await?;
                Ok(self.result(put.e_tag))
            }
            State::Multipart(multipart) => {
                // `finish` aborts the upload itself when a part failed.
                let put = run(multipart.finish()).await?;
                Ok(self.result(put.e_tag))
            }
        }
    }

    async fn abort(&mut self) -> Result<(), StorageError> {
        match std::mem::replace(&mut self.state, State::Closed) {
            State::Multipart(multipart) => run(multipart.abort()).await,
            State::Buffering(..) | State::Closed => Ok(()),
        }
    }
}

impl Drop for S3Writer {
    fn drop(&mut self) {
        if let State::Multipart(multipart) = std::mem::replace(&mut self.state, State::Closed) {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    let _ = multipart.abort().await;
                });
            }
        }
    }
}
