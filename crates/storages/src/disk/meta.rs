//! Metadata sidecars: the content type and user metadata of a DiskType object, kept in a small
//! JSON file beside it (`.jitstore-meta-<sha256 of the file name>`).
//!
//! Crash consistency: a sidecar carries a stamp of the data file it describes (inode, size,
//! modification time, all kept by the rename that commits the data). It is used only while
//! the stamp matches, so a crash or a concurrent writer between the two renames (data first,
//! then sidecar) can leave an object with *default* metadata (content type guessed from the
//! key's extension, no user metadata), never with the metadata of other content. Leftover
//! sidecars whose object is gone are removed by the start-up sweep.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::beneath::{FileFacts, Folder};
use super::key::META_PREFIX;
use crate::error::StorageError;

/// The largest sidecar read; anything bigger is not one of ours and is ignored.
const MAX_SIDECAR_BYTES: u64 = 1024 * 1024;

/// The version written into sidecars.
const SIDECAR_VERSION: u32 = 1;

/// What is stored beside an object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StoredMeta {
    /// The content type given at upload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// User metadata, keys lower-case as on OSS.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub user_metadata: BTreeMap<String, String>,
}

/// Which data file a sidecar describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stamp {
    inode: u64,
    size: u64,
    modified_nanos: i128,
}

impl Stamp {
    fn of(facts: &FileFacts) -> Stamp {
        Stamp {
            inode: facts.inode,
            size: facts.size,
            modified_nanos: facts.modified_nanos,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Sidecar {
    version: u32,
    /// The file name it belongs to (for people looking at the folder).
    name: String,
    stamp: Stamp,
    #[serde(flatten)]
    meta: StoredMeta,
}

/// The sidecar file name of the object file `name`.
pub(crate) fn sidecar_name(name: &str) -> String {
    let digest = Sha256::digest(name.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{META_PREFIX}{hex}")
}

/// The stored metadata of the object `name` in `folder` whose data has `facts`; `None` when
/// there is no sidecar, or it is unreadable, or it describes another version of the data.
pub(crate) fn read(folder: &Folder, name: &str, facts: &FileFacts) -> Option<StoredMeta> {
    let (file, sidecar_facts) = folder.open_file(&sidecar_name(name)).ok()?;
    if sidecar_facts.size > MAX_SIDECAR_BYTES {
        return None;
    }
    let mut text = Vec::new();
    file.take(MAX_SIDECAR_BYTES).read_to_end(&mut text).ok()?;
    let sidecar: Sidecar = serde_json::from_slice(&text).ok()?;
    (sidecar.version == SIDECAR_VERSION
        && sidecar.name == name
        && sidecar.stamp == Stamp::of(facts))
    .then_some(sidecar.meta)
}

/// Writes (atomically) the sidecar of the object `name` whose committed data has `facts`;
/// with nothing to store, removes any sidecar instead.
pub(crate) fn write(
    folder: &Folder,
    name: &str,
    facts: &FileFacts,
    meta: &StoredMeta,
) -> Result<(), StorageError> {
    let sidecar_file = sidecar_name(name);
    if *meta == StoredMeta::default() {
        return folder.remove_file(&sidecar_file);
    }
    let sidecar = Sidecar {
        version: SIDECAR_VERSION,
        name: name.to_owned(),
        stamp: Stamp::of(facts),
        meta: meta.clone(),
    };
    let text = serde_json::to_vec(&sidecar).map_err(StorageError::unexpected)?;
    let mut temp = folder.create_temp()?;
    temp.file_mut()
        .write_all(&text)
        .map_err(|e| StorageError::io(folder.path().join(&sidecar_file), e))?;
    temp.finish()?;
    temp.commit(&sidecar_file)
}

/// Removes the sidecar of the object `name` (missing is fine).
pub(crate) fn remove(folder: &Folder, name: &str) -> Result<(), StorageError> {
    folder.remove_file(sidecar_name(name))
}

/// User metadata as OSS keeps it: names lower-case, and names and values that fit in an HTTP
/// header (`x-oss-meta-<name>: <value>`), so what DiskType accepts OssType accepts too.
pub(crate) fn normalise_user_metadata(
    metadata: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, StorageError> {
    let mut out = BTreeMap::new();
    for (name, value) in metadata {
        let lower = name.trim().to_ascii_lowercase();
        let header = format!("x-oss-meta-{lower}");
        if lower.is_empty() || http::HeaderName::from_bytes(header.as_bytes()).is_err() {
            return Err(StorageError::invalid_argument(format!(
                "user metadata name {name:?} is not a valid header name"
            )));
        }
        if http::HeaderValue::from_str(value).is_err() {
            return Err(StorageError::invalid_argument(format!(
                "the value of user metadata {name:?} is not a valid header value"
            )));
        }
        out.insert(lower, value.clone());
    }
    Ok(out)
}
