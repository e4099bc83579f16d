//! Shared set-up of the DiskType tests: an app folder with `storages.Files` on DiskType.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use jitstore_element::App;
use jitstore_storages::StorageHandle;

/// A temporary app with one DiskType element, `storages.Files`.
pub struct TestApp {
    pub dir: tempfile::TempDir,
}

impl TestApp {
    /// The app, with `config` as `Files.json`.
    pub fn new(config: &str) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let element = dir.path().join("storages/Files");
        std::fs::create_dir_all(&element).expect("mkdir");
        std::fs::write(
            element.join("e.json"),
            r#"{"title": "Files", "type": "storages.DiskType", "backendBundleEntry": "."}"#,
        )
        .expect("e.json");
        std::fs::write(element.join("Files.json"), config).expect("config");
        TestApp { dir }
    }

    /// The app folder, canonical.
    pub fn root(&self) -> PathBuf {
        std::fs::canonicalize(self.dir.path()).expect("canonical")
    }

    /// The storage directory (default config), created.
    pub fn storage_dir(&self) -> PathBuf {
        let dir = self.root().join("appData/storages/Files");
        std::fs::create_dir_all(&dir).expect("storage dir");
        dir
    }

    /// Opens the app and builds the element (a fresh DiskStorage every call).
    pub fn store(&self) -> StorageHandle {
        let app = App::builder(self.dir.path())
            .env::<String, String>([])
            .open()
            .expect("opens");
        let loaded = app.get_element("storages.Files").expect("builds");
        StorageHandle::from_loaded(&loaded).expect("is a storage")
    }
}

/// Every file (not folder, not link) under `dir`, relative, sorted.
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .expect("under")
                .display()
                .to_string()
        })
        .collect();
    out.sort();
    out
}
