//! OssType's native core: a ranged, conditional GetObject streamed as it arrives; a writer that
//! turns into a parallel multipart upload once a part's worth of data arrived (a single
//! PutObject otherwise) and aborts the upload when dropped unfinished; ListObjectsV2 with
//! start-after and with the `/` delimiter.

use std::ops::Range;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures::stream::{StreamExt, TryStreamExt};
use jitstore_oss::client::{
    Body, ByteRange as OssRange, Client, CompleteMultipartOptions, GetObjectOptions,
    ListObjectsV2Options, PutObjectOptions, UploadPartOutput, WriteOptions,
};
use jitstore_oss::error::OssError;
use jitstore_oss::xml::CompletedPart;
use tokio::task::JoinSet;

use super::errors::map;
use super::{info_from_meta, strip_quotes, OssStorage};
use crate::error::StorageError;
use crate::list::{ListOptions, ListResult, ObjectStream, DELIMITER};
use crate::read::{ByteRange, ReadOptions, ReadResult};
use crate::types::{ObjectInfo, UploadResult};
use crate::write::{writer_closed, ObjectWriter};

/// The most parts an OSS multipart upload may have.
const MAX_PARTS: u32 = 10_000;

fn oss_range(range: &ByteRange) -> OssRange {
    match range {
        ByteRange::Bounded(r) => OssRange::Inclusive(r.start, r.end.saturating_sub(1)),
        ByteRange::From(start) => OssRange::From(*start),
        ByteRange::Last(n) => OssRange::Suffix(*n),
    }
}

/// An ETag as OSS compares it: quoted (`*` stays bare).
fn quoted(etag: &str) -> String {
    let bare = etag.trim().trim_matches('"');
    if bare == "*" {
        bare.to_owned()
    } else {
        format!("\"{bare}\"")
    }
}

impl OssStorage {
    pub(crate) async fn read_native(
        &self,
        name: &str,
        options: &ReadOptions,
    ) -> Result<ReadResult, StorageError> {
        super::errors::check_key(name)?;
        if let Some(range) = &options.range {
            range.validate()?;
        }
        let get = GetObjectOptions {
            range: options.range.as_ref().map(oss_range),
            if_match: options.if_match.as_deref().map(quoted),
            if_none_match: options.if_none_match.as_deref().map(quoted),
            ..GetObjectOptions::default()
        };
        let out = self.client.get_object(name, get).await.map_err(map)?;
        let length = out.meta.content_length.unwrap_or(0);
        let (range, size): (Range<u64>, u64) = match &out.content_range {
            Some(cr) => (
                cr.first..cr.last.saturating_add(1),
                cr.total.unwrap_or(cr.last.saturating_add(1)),
            ),
            None => (0..length, length),
        };
        let info = {
            let mut info = info_from_meta(name, out.meta);
            info.size = size;
            info
        };
        Ok(ReadResult::new(info, range, out.body.map_err(map).boxed()))
    }

    pub(crate) fn list_native(&self, options: &ListOptions) -> ObjectStream {
        if let Some(after) = options.start_after.as_deref() {
            if after.is_empty() {
                let all = ListOptions::prefix(options.prefix.clone());
                return self.list_native(&all);
            }
        }
        let list = ListObjectsV2Options {
            prefix: (!options.prefix.is_empty()).then(|| options.prefix.clone()),
            start_after: options.start_after.clone(),
            max_keys: Some(1000),
            ..ListObjectsV2Options::default()
        };
        self.client
            .list_objects_v2(list)
            .map_err(map)
            .map_ok(|page| {
                futures::stream::iter(page.contents.into_iter().map(|o| {
                    let mut info = ObjectInfo::new(o.key, o.size);
                    info.etag = Some(strip_quotes(&o.etag));
                    info.last_modified = o.last_modified;
                    info.storage_class = o.storage_class;
                    Ok(info)
                }))
            })
            .try_flatten()
            .boxed()
    }

    pub(crate) async fn list_level(&self, prefix: &str) -> Result<ListResult, StorageError> {
        let list = ListObjectsV2Options {
            prefix: (!prefix.is_empty()).then(|| prefix.to_owned()),
            delimiter: Some(DELIMITER.to_string()),
            max_keys: Some(1000),
            ..ListObjectsV2Options::default()
        };
        let mut pages = self.client.list_objects_v2(list).boxed();
        let mut level = ListResult::default();
        while let Some(page) = pages.next().await {
            let page = page.map_err(map)?;
            for o in page.contents {
                let mut info = ObjectInfo::new(o.key, o.size);
                info.etag = Some(strip_quotes(&o.etag));
                info.last_modified = o.last_modified;
                info.storage_class = o.storage_class;
                level.objects.push(info);
            }
            level.common_prefixes.extend(page.common_prefixes);
        }
        level.common_prefixes.sort();
        level.common_prefixes.dedup();
        Ok(level)
    }

    pub(crate) fn writer(&self, name: &str, write: WriteOptions) -> OssWriter {
        OssWriter {
            storage: self.clone(),
            key: name.to_owned(),
            write,
            part_size: usize::try_from(self.transfer.part_size).unwrap_or(usize::MAX),
            concurrency: self.transfer.concurrency.max(1),
            buffer: BytesMut::new(),
            upload_id: None,
            next_part: 1,
            uploading: JoinSet::new(),
            parts: Vec::new(),
            size: 0,
            closed: false,
        }
    }
}

/// The writer of OssType (see the module docs).
pub(crate) struct OssWriter {
    storage: OssStorage,
    key: String,
    write: WriteOptions,
    part_size: usize,
    concurrency: usize,
    buffer: BytesMut,
    upload_id: Option<String>,
    next_part: u32,
    uploading: JoinSet<Result<UploadPartOutput, OssError>>,
    parts: Vec<UploadPartOutput>,
    size: u64,
    closed: bool,
}

impl OssWriter {
    fn client(&self) -> &Client {
        &self.storage.client
    }

    async fn upload_id(&mut self) -> Result<String, StorageError> {
        if let Some(id) = &self.upload_id {
            return Ok(id.clone());
        }
        let started = self
            .client()
            .initiate_multipart_upload(&self.key, self.write.clone())
            .await
            .map_err(map)?;
        self.upload_id = Some(started.upload_id.clone());
        Ok(started.upload_id)
    }

    /// Waits for one part in flight.
    async fn collect_one(&mut self) -> Result<(), StorageError> {
        if let Some(joined) = self.uploading.join_next().await {
            let part = joined.map_err(StorageError::unexpected)?.map_err(map)?;
            self.parts.push(part);
        }
        Ok(())
    }

    /// Starts uploading `body` as the next part, keeping at most `concurrency` in flight.
    async fn send_part(&mut self, body: Bytes) -> Result<(), StorageError> {
        if self.next_part > MAX_PARTS {
            return Err(StorageError::invalid_argument(format!(
                "the object needs more than {MAX_PARTS} parts of {} bytes; configure a larger partSize",
                self.part_size
            )));
        }
        let upload_id = self.upload_id().await?;
        while self.uploading.len() >= self.concurrency {
            self.collect_one().await?;
        }
        let client = self.client().clone();
        let key = self.key.clone();
        let number = self.next_part;
        self.next_part += 1;
        self.uploading.spawn(async move {
            client
                .upload_part(
                    &key,
                    &upload_id,
                    number,
                    Body::from_bytes(body),
                    Default::default(),
                )
                .await
        });
        Ok(())
    }

    async fn finish_single(&mut self) -> Result<UploadResult, StorageError> {
        let data = self.buffer.split().freeze();
        let out = self
            .client()
            .put_object(
                &self.key,
                Body::from_bytes(data),
                PutObjectOptions {
                    write: self.write.clone(),
                    ..PutObjectOptions::default()
                },
            )
            .await
            .map_err(map)?;
        self.result(out.etag.as_deref().unwrap_or_default(), out.crc64)
            .await
    }

    async fn finish_multipart(&mut self) -> Result<UploadResult, StorageError> {
        if !self.buffer.is_empty() {
            let last = self.buffer.split().freeze();
            self.send_part(last).await?;
        }
        while !self.uploading.is_empty() {
            self.collect_one().await?;
        }
        self.parts.sort_by_key(|p| p.part_number);
        let expected_crc64 = if self.storage.transfer.verify_crc {
            self.parts
                .iter()
                .map(|p| p.crc64.map(|crc| (crc, p.size)))
                .collect::<Option<Vec<_>>>()
                .map(jitstore_oss::crc64::combine_all)
        } else {
            None
        };
        let completed: Vec<CompletedPart> = self
            .parts
            .iter()
            .map(|p| CompletedPart {
                part_number: p.part_number,
                etag: p.etag.clone(),
            })
            .collect();
        let upload_id = self.upload_id().await?;
        let options = CompleteMultipartOptions {
            forbid_overwrite: self.write.forbid_overwrite,
            expected_crc64,
            ..CompleteMultipartOptions::default()
        };
        let out = self
            .client()
            .complete_multipart_upload(&self.key, &upload_id, &completed, options)
            .await
            .map_err(map)?;
        self.upload_id = None;
        self.result(&out.etag, out.crc64).await
    }

    async fn result(&self, etag: &str, crc64: Option<u64>) -> Result<UploadResult, StorageError> {
        let mut result = UploadResult::new(
            self.storage.url_for(&self.key).await?,
            &self.key,
            self.size,
            strip_quotes(etag),
        );
        result.crc64 = crc64;
        result.content_type = self.write.content_type.clone();
        Ok(result)
    }

    async fn abort_upload(&mut self) -> Result<(), StorageError> {
        self.uploading.abort_all();
        while self.uploading.join_next().await.is_some() {}
        if let Some(id) = self.upload_id.take() {
            self.client()
                .abort_multipart_upload(&self.key, &id)
                .await
                .map_err(map)?;
        }
        Ok(())
    }
}

#[async_trait]
impl ObjectWriter for OssWriter {
    async fn write(&mut self, data: Bytes) -> Result<(), StorageError> {
        if self.closed {
            return Err(writer_closed());
        }
        self.size += data.len() as u64;
        self.buffer.extend_from_slice(&data);
        while self.buffer.len() >= self.part_size {
            let part = self.buffer.split_to(self.part_size).freeze();
            self.send_part(part).await?;
        }
        Ok(())
    }

    async fn finish(&mut self) -> Result<UploadResult, StorageError> {
        if self.closed {
            return Err(writer_closed());
        }
        self.closed = true;
        let outcome = if self.upload_id.is_none() && self.uploading.is_empty() {
            self.finish_single().await
        } else {
            self.finish_multipart().await
        };
        if outcome.is_err() {
            let _ = self.abort_upload().await;
        }
        outcome
    }

    async fn abort(&mut self) -> Result<(), StorageError> {
        self.closed = true;
        self.buffer = BytesMut::new();
        self.abort_upload().await
    }
}

impl Drop for OssWriter {
    /// An unfinished multipart upload is aborted in the background (parts would otherwise be
    /// billed until a lifecycle rule removes them).
    fn drop(&mut self) {
        self.uploading.abort_all();
        let Some(upload_id) = self.upload_id.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(key = %self.key, "multipart upload left unfinished: no runtime to abort it");
            return;
        };
        let client = self.storage.client.clone();
        let key = std::mem::take(&mut self.key);
        runtime.spawn(async move {
            if let Err(error) = client.abort_multipart_upload(&key, &upload_id).await {
                tracing::warn!(%key, %error, "aborting an unfinished multipart upload failed");
            }
        });
    }
}
