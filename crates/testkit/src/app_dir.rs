//! Temporary app folders: element folders (`e.json` plus the business config) written the way
//! an app on disk holds them.

use std::path::{Path, PathBuf};

/// The `e.json` of an OssType instance written by [`AppDir::oss_element`].
const OSS_DEFINITION: &str = r#"{"title": "Test OSS", "type": "storages.OssType", "backendBundleEntry": ".", "variables": []}"#;

/// The `e.json` of a DiskType instance written by [`AppDir::disk_element`].
const DISK_DEFINITION: &str =
    r#"{"title": "Files", "type": "storages.DiskType", "backendBundleEntry": "."}"#;

/// Writes `content` to `dir/rel`, creating the folders on the way, and returns the path.
///
/// Panics (it is test set-up) with the path when the file cannot be written.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = jitstore_testkit::write_file(dir.path(), "a/b.txt", b"hi");
/// assert_eq!(std::fs::read(path).unwrap(), b"hi");
/// ```
pub fn write_file(dir: &Path, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .unwrap_or_else(|e| panic!("create folder {}: {e}", parent.display()));
    }
    std::fs::write(&path, content).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path
}

/// A temporary app folder, removed when dropped.
///
/// ```
/// let app = jitstore_testkit::AppDir::new();
/// app.element(
///     "storages/Notes",
///     r#"{"title": "Notes", "type": "storages.DiskType"}"#,
///     Some("{}"),
/// );
/// assert!(app.path().join("storages/Notes/Notes.json").is_file());
/// ```
#[derive(Debug)]
pub struct AppDir {
    /// The folder; public so a test can keep or inspect it like any `TempDir`.
    pub dir: tempfile::TempDir,
}

impl Default for AppDir {
    fn default() -> Self {
        AppDir::new()
    }
}

impl AppDir {
    /// A new, empty app folder in the system's temporary directory.
    pub fn new() -> AppDir {
        AppDir {
            dir: tempfile::tempdir().unwrap_or_else(|e| panic!("create a temp app folder: {e}")),
        }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes the text file `rel` under the folder (creating folders on the way).
    pub fn file(&self, rel: &str, text: &str) -> &Self {
        write_file(self.path(), rel, text);
        self
    }

    /// Writes an element folder: `rel/e.json` from `definition` and, when given,
    /// `rel/<Name>.json` from `config` (`<Name>` is the last segment of `rel`).
    pub fn element(&self, rel: &str, definition: &str, config: Option<&str>) -> &Self {
        self.file(&format!("{rel}/e.json"), definition);
        if let Some(config) = config {
            let name = rel.rsplit('/').next().unwrap_or(rel);
            self.file(&format!("{rel}/{name}.json"), config);
        }
        self
    }

    /// Writes `storages.<name>`, a DiskType instance with `config` as its business config.
    pub fn disk_element(&self, name: &str, config: &str) -> &Self {
        self.element(&format!("storages/{name}"), DISK_DEFINITION, Some(config))
    }

    /// Writes `storages.<name>`, an OssType instance with `config` (pretty-printed) as its
    /// business config, and returns the element folder. See `Peer::oss_element_config` (feature
    /// `server`) for a config pointing at a local server.
    pub fn oss_element(&self, name: &str, config: &serde_json::Value) -> PathBuf {
        let text = serde_json::to_string_pretty(config)
            .unwrap_or_else(|e| panic!("serialise the config of {name}: {e}"));
        self.element(&format!("storages/{name}"), OSS_DEFINITION, Some(&text));
        self.path().join("storages").join(name)
    }

    /// Opens the folder as an app with an empty environment, so no variable of the test
    /// process leaks into it.
    #[cfg(feature = "element")]
    pub fn open(&self) -> jitstore_element::App {
        jitstore_element::App::builder(self.path())
            .with_env(jitstore_element::Env::from_map::<String, String>([]))
            .open()
            .unwrap_or_else(|e| panic!("open the app {}: {e}", self.path().display()))
    }

    /// Opens the folder (see [`AppDir::open`]) and builds the storage element `full_name`,
    /// e.g. `storages.Files`. A fresh app, so a fresh storage, on every call.
    #[cfg(feature = "storages")]
    pub fn storage(&self, full_name: &str) -> jitstore_storages::StorageHandle {
        let loaded = self
            .open()
            .get_element(full_name)
            .unwrap_or_else(|e| panic!("build {full_name}: {e}"));
        jitstore_storages::StorageHandle::from_loaded(&loaded)
            .unwrap_or_else(|| panic!("{full_name} is not a storage element"))
    }
}
