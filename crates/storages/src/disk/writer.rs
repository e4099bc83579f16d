//! DiskType's streaming writer: bytes go to the temporary file of a [`PendingObject`] on
//! tokio's blocking pool; `finish` commits it (rename + metadata sidecar); dropping or
//! aborting it removes the temporary file.

use std::collections::BTreeMap;
use std::io::Write;

use async_trait::async_trait;
use bytes::Bytes;

use super::blocking;
use super::objects::PendingObject;
use crate::error::StorageError;
use crate::types::UploadResult;
use crate::write::{writer_closed, ObjectWriter};

/// The writer of one DiskType object.
pub(crate) struct DiskWriter {
    pending: Option<PendingObject>,
    content_type: String,
    user_metadata: BTreeMap<String, String>,
}

impl DiskWriter {
    pub(crate) fn new(
        pending: PendingObject,
        content_type: String,
        user_metadata: BTreeMap<String, String>,
    ) -> DiskWriter {
        DiskWriter {
            pending: Some(pending),
            content_type,
            user_metadata,
        }
    }
}

#[async_trait]
impl ObjectWriter for DiskWriter {
    async fn write(&mut self, data: Bytes) -> Result<(), StorageError> {
        let mut pending = self.pending.take().ok_or_else(writer_closed)?;
        let (pending, outcome) = tokio::task::spawn_blocking(move || {
            let path = pending.path();
            let outcome = pending
                .file_mut()
                .write_all(&data)
                .map_err(|e| StorageError::io(path, e));
            (pending, outcome)
        })
        .await
        .map_err(StorageError::unexpected)?;
        self.pending = Some(pending);
        outcome
    }

    async fn finish(&mut self) -> Result<UploadResult, StorageError> {
        let pending = self.pending.take().ok_or_else(writer_closed)?;
        let content_type = std::mem::take(&mut self.content_type);
        let user_metadata = std::mem::take(&mut self.user_metadata);
        blocking(move || pending.commit(content_type, user_metadata)).await
    }

    async fn abort(&mut self) -> Result<(), StorageError> {
        self.pending = None;
        Ok(())
    }
}
