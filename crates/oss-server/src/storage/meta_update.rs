//! Metadata-only updates (object ACL, tags): a new version of the object with the same data and
//! new metadata is staged and committed like any write, so data and metadata still change
//! together in one `rename` and a crash leaves either version whole.

use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::{io_at, Bucket, ConflictReason, ObjectMeta, OpenObject, StagingFile, StoreError};

/// How often an update is retried when another writer replaced the object meanwhile.
const ATTEMPTS: usize = 8;

impl Bucket {
    /// Applies `change` to the metadata of `key`'s current version, keeping its data.
    ///
    /// Returns the new metadata, or `None` when the key does not exist. `change` may refuse the
    /// update (its error is returned, nothing is written). If a concurrent write replaces the
    /// object between read and commit, the update is redone on the new version; after repeated
    /// interference it fails with [`ConflictReason::ChangedConcurrently`]. The copied data is
    /// checked against the version's CRC-64 before it is committed.
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
            copy_data(object, &mut staging)
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

/// Streams the data of an opened version into `staging`: the one place here that knows how an
/// opened object exposes its bytes.
async fn copy_data(object: OpenObject, staging: &mut StagingFile) -> std::io::Result<()> {
    if let Some(data) = &object.data {
        return staging.write(data).await;
    }
    let mut file = object.file;
    file.seek(std::io::SeekFrom::Start(0)).await?;
    let mut reader = file.take(object.meta.size);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = reader.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        staging.write(&buf[..n]).await?;
    }
}
