//! Metadata-only updates (object ACL, tags): the object file is rewritten with the same data
//! and a new metadata trailer, then renamed over the old one, so data and metadata still change
//! together in one `rename` and a crash leaves either version whole.

use std::io::{Seek, SeekFrom, Write};

use super::meta::encode_trailer;
use super::{io_at, Bucket, ConflictReason, ObjectMeta, StoreError};

/// How often an update is retried when another writer replaced the object meanwhile.
const ATTEMPTS: usize = 8;

impl Bucket {
    /// Applies `change` to the metadata of `key`'s current version, keeping its data.
    ///
    /// Returns the new metadata, or `None` when the key does not exist. `change` may refuse the
    /// update (its error is returned, nothing is written). If a concurrent write replaces the
    /// object between read and commit, the update is redone on the new version; after repeated
    /// interference it fails with [`ConflictReason::ChangedConcurrently`].
    pub async fn update_meta(
        &self,
        key: &str,
        mut change: impl FnMut(&mut ObjectMeta) -> Result<(), StoreError>,
    ) -> Result<Option<ObjectMeta>, StoreError> {
        for _ in 0..ATTEMPTS {
            let Some(object) = self.open(key).await? else {
                return Ok(None);
            };
            let before = object.meta.clone();
            let mut after = before.clone();
            change(&mut after)?;
            let mut staging = self.stage().await?;
            let path = staging.path().to_path_buf();
            let trailer =
                encode_trailer(&after).map_err(|e| io_at(&path)(std::io::Error::other(e)))?;
            let source = object.file.into_std().await;
            let size = before.size;
            let target = path.clone();
            tokio::task::spawn_blocking(move || rewrite(source, size, &target, &trailer))
                .await
                .map_err(|e| io_at(&path)(std::io::Error::other(e)))?
                .map_err(io_at(&path))?;
            let unchanged = |current: Option<&ObjectMeta>| {
                if current == Some(&before) {
                    Ok(())
                } else {
                    Err(StoreError::Conflict {
                        key: key.to_string(),
                        reason: ConflictReason::ChangedConcurrently,
                    })
                }
            };
            match self.commit(&mut staging, after, false, unchanged) {
                Ok(meta) => return Ok(Some(meta)),
                Err(StoreError::Conflict {
                    reason: ConflictReason::ChangedConcurrently,
                    ..
                }) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Conflict {
            key: key.to_string(),
            reason: ConflictReason::ChangedConcurrently,
        })
    }
}

/// Writes `size` data bytes of `source` and then `trailer` into a new file at `target`, fsynced.
fn rewrite(
    mut source: std::fs::File,
    size: u64,
    target: &std::path::Path,
    trailer: &[u8],
) -> std::io::Result<()> {
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(target)?;
    source.seek(SeekFrom::Start(0))?;
    let copied = std::io::copy(&mut std::io::Read::take(&mut source, size), &mut out)?;
    if copied != size {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("object data ended after {copied} of {size} bytes"),
        ));
    }
    out.write_all(trailer)?;
    out.sync_all()
}
