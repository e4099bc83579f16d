//! Walking DiskType's folders without recursion and without following links: the traversal
//! shared by listing and the start-up sweep.

use rustix::fs::FileType;

use super::beneath::{FileFacts, Folder};
use crate::error::StorageError;

/// One entry of a folder, with its facts read without following a link.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The file name.
    pub name: String,
    /// Kind, size, time, inode.
    pub facts: FileFacts,
}

/// Visits `start` (whose keys begin with `start_prefix`, empty or ending in `/`) and every
/// folder beneath it for which `descend(folder_prefix)` is true. `visit` receives each folder,
/// its key prefix and its entries. Links are reported as entries but never entered; an
/// explicit stack (not recursion) keeps deep trees from exhausting the call stack.
pub(crate) fn each_folder(
    start: Folder,
    start_prefix: String,
    mut descend: impl FnMut(&str) -> bool,
    mut visit: impl FnMut(&Folder, &str, &[Entry]) -> Result<(), StorageError>,
) -> Result<(), StorageError> {
    let mut stack = vec![(start, start_prefix)];
    while let Some((folder, prefix)) = stack.pop() {
        let mut entries = Vec::new();
        for (name, _reported_kind) in folder.names()? {
            // Read the facts without following a link (the kind a folder reports may be
            // `Unknown`, and the size and time are needed anyway).
            if let Some(facts) = folder.entry(&name)? {
                entries.push(Entry { name, facts });
            }
        }
        visit(&folder, &prefix, &entries)?;
        for entry in &entries {
            if entry.facts.kind != FileType::Directory {
                continue;
            }
            let child_prefix = format!("{prefix}{}/", entry.name);
            if !descend(&child_prefix) {
                continue;
            }
            // Gone since it was read, or replaced by a link: nothing to walk into.
            if let Ok(Some(child)) = folder.child(&entry.name, false) {
                stack.push((child, child_prefix));
            }
        }
    }
    Ok(())
}
