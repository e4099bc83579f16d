//! Metadata-only updates (object ACL, tags): a new version of the object with the same data and
//! new metadata is staged and committed like any write, so data and metadata still change
//! together in one `rename` and a crash leaves either version whole.
//!
//! A version stored whole is copied into the new version's file. A version stored by reference
//! (a completed multipart upload, see `segments`) keeps its data where it is: its part files are
//! hard-linked into a new version directory and a new manifest naming them is committed, exactly
//! as CompleteMultipartUpload does, so nothing is copied and a crash leaves either manifest whole
//! (an unreferenced version directory is swept at the next start).

use futures::StreamExt;

use super::segments::{part_file_name, Segments, StoredMeta};
use super::{
    io_at, sync_dir, Bucket, ConflictReason, ObjectMeta, OpenObject, StagingFile, StoreError,
};

/// How often an update is retried when another writer replaced the object meanwhile.
const ATTEMPTS: usize = 8;

/// What one attempt came to.
enum Attempt {
    /// Committed: the new metadata.
    Done(Box<ObjectMeta>),
    /// Another writer replaced the version meanwhile: read it again.
    Retry,
}

impl Bucket {
    /// Applies `change` to the metadata of `key`'s current version, keeping its data.
    ///
    /// Returns the new metadata, or `None` when the key does not exist. `change` may refuse the
    /// update (its error is returned, nothing is written). If a concurrent write replaces the
    /// object between read and commit, the update is redone on the new version; after repeated
    /// interference it fails with [`ConflictReason::ChangedConcurrently`]. Copied data is
    /// checked against the version's CRC-64 before it is committed.
    pub async fn update_meta(
        &self,
        key: &str,
        mut change: impl FnMut(&mut ObjectMeta) -> Result<(), StoreError>,
    ) -> Result<Option<ObjectMeta>, StoreError> {
        for round in 0..ATTEMPTS {
            let Some(object) = self.open(key).await? else {
                return Ok(None);
            };
            let before = object.meta.clone();
            let mut after = before.clone();
            change(&mut after)?;
            let attempt = match object.segments.clone().filter(Segments::is_valid) {
                Some(segments) => self.relink(key, &before, after, segments).await?,
                None => self.rewrite(key, object, &before, after).await?,
            };
            match attempt {
                Attempt::Done(meta) => return Ok(Some(*meta)),
                // Back off a little (1, 2, 4 .. ms, jittered) so a burst of overwrites
                // does not exhaust the attempts in a few microseconds.
                Attempt::Retry => {
                    let ceiling = 1u64 << round.min(6);
                    let pause = rand::random::<u64>() % (ceiling * 1000) + 1;
                    tokio::time::sleep(std::time::Duration::from_micros(pause)).await;
                }
            }
        }
        Err(changed_concurrently(key))
    }

    /// A new version holding a copy of `object`'s data and `after` as metadata.
    async fn rewrite(
        &self,
        key: &str,
        object: OpenObject,
        before: &ObjectMeta,
        after: ObjectMeta,
    ) -> Result<Attempt, StoreError> {
        let mut staging = self.stage().await?;
        let path = staging.path().to_path_buf();
        copy_data(&object, &mut staging)
            .await
            .map_err(io_at(&path))?;
        let digest = staging.digest();
        if digest.size != before.size || digest.crc64 != before.crc64 {
            return Err(io_at(&path)(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "object data does not match its recorded size and CRC-64",
            )));
        }
        staging.seal(&after).await.map_err(io_at(&path))?;
        self.commit_unchanged(key, &mut staging, before, after)
    }

    /// A new manifest with `after` as metadata, referencing hard links to the same part files
    /// in a new version directory (the old directory goes when the old manifest is replaced).
    async fn relink(
        &self,
        key: &str,
        before: &ObjectMeta,
        after: ObjectMeta,
        old: Segments,
    ) -> Result<Attempt, StoreError> {
        let from = self.segments_dir(key, &old.version);
        let segments = Segments {
            version: format!("{:032x}", rand::random::<u128>()),
            parts: old.parts,
        };
        let dir = self.segments_dir(key, &segments.version);
        let result = self
            .link_manifest(key, &from, &dir, segments, before, after)
            .await;
        if !matches!(result, Ok(Attempt::Done(_))) {
            // Not committed: the new version directory is nobody's.
            let _ = std::fs::remove_dir_all(&dir);
        }
        result
    }

    async fn link_manifest(
        &self,
        key: &str,
        from: &std::path::Path,
        dir: &std::path::Path,
        segments: Segments,
        before: &ObjectMeta,
        after: ObjectMeta,
    ) -> Result<Attempt, StoreError> {
        // Staging first: it fails once the bucket is removed and, while it lives, counts as
        // content, so DeleteBucket cannot remove the bucket under the new version directory.
        let mut staging = self.stage().await?;
        std::fs::create_dir_all(dir).map_err(io_at(dir))?;
        for part in &segments.parts {
            let name = part_file_name(part.number);
            let source = from.join(&name);
            match std::fs::hard_link(&source, dir.join(&name)) {
                Ok(()) => {}
                // The version was replaced (its directory removed) since it was opened.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Attempt::Retry),
                Err(e) => return Err(io_at(&source)(e)),
            }
        }
        // The links must be durable before the manifest that names them.
        sync_dir(dir);
        if let Some(parent) = dir.parent() {
            sync_dir(parent);
        }
        let stored = StoredMeta {
            meta: after,
            segments: Some(segments),
        };
        let tmp = self.tmp_dir();
        staging.seal(&stored).await.map_err(io_at(&tmp))?;
        self.commit_unchanged(key, &mut staging, before, stored.meta)
    }

    /// Commits `staging` as `after` if `key` still is at version `before`.
    fn commit_unchanged(
        &self,
        key: &str,
        staging: &mut StagingFile,
        before: &ObjectMeta,
        after: ObjectMeta,
    ) -> Result<Attempt, StoreError> {
        let unchanged = |current: Option<&ObjectMeta>| {
            if current == Some(before) {
                Ok(())
            } else {
                Err(changed_concurrently(key))
            }
        };
        match self.commit(staging, after, false, unchanged) {
            Ok(meta) => Ok(Attempt::Done(Box::new(meta))),
            Err(StoreError::Conflict {
                reason: ConflictReason::ChangedConcurrently,
                ..
            }) => Ok(Attempt::Retry),
            Err(e) => Err(e),
        }
    }
}

fn changed_concurrently(key: &str) -> StoreError {
    StoreError::Conflict {
        key: key.to_string(),
        reason: ConflictReason::ChangedConcurrently,
    }
}

/// Streams the data of an opened version into `staging`.
async fn copy_data(object: &OpenObject, staging: &mut StagingFile) -> std::io::Result<()> {
    if let Some(data) = &object.data {
        return staging.write(data).await;
    }
    let mut reader = object.range_reader(0, object.meta.size)?;
    while let Some(chunk) = reader.next().await {
        staging.write(&chunk?).await?;
    }
    Ok(())
}
