//! The start-up sweep: removes what a killed upload leaves behind in DiskType's directory —
//! temporary files and sidecars whose object is gone — once older than a grace period (so an
//! upload still running in another process keeps its files).

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use rustix::fs::FileType;

use super::beneath::Folder;
use super::key::{is_reserved, META_PREFIX, TEMP_PREFIX};
use super::meta::sidecar_name;
use super::walk::each_folder;
use crate::error::StorageError;

/// How old a leftover must be before the sweep removes it. A running upload rewrites its
/// temporary file's modification time with every write, so only stalled or dead ones age.
pub(crate) const LEFTOVER_GRACE: Duration = Duration::from_secs(60 * 60);

/// Removes leftovers older than `grace` beneath `root`; returns how many were removed.
pub(crate) fn sweep_leftovers(root: Folder, grace: Duration) -> Result<usize, StorageError> {
    let cutoff = SystemTime::now()
        .checked_sub(grace)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let mut removed = 0;
    each_folder(
        root,
        String::new(),
        |_| true,
        |folder, _prefix, entries| {
            let owned_sidecars: HashSet<String> = entries
                .iter()
                .filter(|e| e.facts.kind == FileType::RegularFile && !is_reserved(&e.name))
                .map(|e| sidecar_name(&e.name))
                .collect();
            for entry in entries {
                let leftover = entry.facts.kind == FileType::RegularFile
                    && (entry.name.starts_with(TEMP_PREFIX)
                        || (entry.name.starts_with(META_PREFIX)
                            && !owned_sidecars.contains(&entry.name)));
                if leftover && entry.facts.modified() < cutoff {
                    folder.remove_file(&entry.name)?;
                    removed += 1;
                }
            }
            Ok(())
        },
    )?;
    Ok(removed)
}
