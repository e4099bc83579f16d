//! Shared set-up of the DiskType tests: an app folder (the test kit's `AppDir`) with
//! `storages.Files` on DiskType.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use jitstore_storages::StorageHandle;
use jitstore_testkit::AppDir;

/// A temporary app with one DiskType element, `storages.Files`.
pub struct TestApp {
    /// The app folder.
    pub dir: AppDir,
}

impl TestApp {
    /// The app, with `config` as `Files.json`.
    pub fn new(config: &str) -> TestApp {
        let dir = AppDir::new();
        dir.disk_element("Files", config);
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

    /// Opens the app (empty environment) and builds the element (a fresh DiskStorage every
    /// call).
    pub fn store(&self) -> StorageHandle {
        self.dir.storage("storages.Files")
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
