//! Finding element folders in an app folder and naming them.
//!
//! Every folder below the app root that holds an `e.json` is an element. Its fullName is its
//! path relative to the app root with `/` replaced by `.`; `frontend/` and `backend/` folders add
//! no segment. Hidden folders, build and data folders (`target`, `appData`, `dist`,
//! `node_modules`, `__pycache__`) and nested app folders (holding their own `app.json`) are not
//! searched.

use std::path::{Path, PathBuf};

use crate::error::ElementError;

/// An element folder found on disk.
#[derive(Debug, Clone)]
pub struct FoundElement {
    /// The derived fullName.
    pub full_name: String,
    /// The element folder (the one holding `e.json`).
    pub dir: PathBuf,
    /// The `e.json` file.
    pub define_file: PathBuf,
}

/// The name of the element declaration file.
pub const DEFINE_FILE: &str = "e.json";
/// The name of the app manifest file.
pub const APP_FILE: &str = "app.json";

const SKIPPED: &[&str] = &["target", "appData", "dist", "node_modules", "__pycache__"];
const TRANSPARENT: &[&str] = &["frontend", "backend"];

/// Derives a fullName from a folder path relative to the app root.
///
/// Returns `Ok(None)` for the app root itself.
pub fn full_name_of(relative: &Path, dir: &Path) -> Result<Option<String>, ElementError> {
    let mut segments = Vec::new();
    for component in relative.components() {
        let name = component.as_os_str();
        let Some(name) = name.to_str() else {
            return Err(ElementError::InvalidFolderName {
                dir: dir.to_path_buf(),
                name: name.to_string_lossy().into_owned(),
                reason: "it is not valid UTF-8",
            });
        };
        if TRANSPARENT.contains(&name) {
            continue;
        }
        if name.contains('.') {
            return Err(ElementError::InvalidFolderName {
                dir: dir.to_path_buf(),
                name: name.to_owned(),
                reason: "it contains '.', the fullName separator",
            });
        }
        segments.push(name);
    }
    Ok((!segments.is_empty()).then(|| segments.join(".")))
}

/// Walks `root` and returns every element folder, sorted by path.
pub fn discover(root: &Path) -> Result<Vec<FoundElement>, ElementError> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| ElementError::io(&dir, None, e))?;
        let mut has_define = false;
        for entry in entries {
            let entry = entry.map_err(|e| ElementError::io(&dir, None, e))?;
            let file_type = entry
                .file_type()
                .map_err(|e| ElementError::io(&entry.path(), None, e))?;
            let name = entry.file_name();
            if file_type.is_dir() {
                let Some(name) = name.to_str() else {
                    // Non-UTF-8 folders cannot hold elements reachable by fullName; an e.json
                    // inside one is reported when found below.
                    pending.push(entry.path());
                    continue;
                };
                if name.starts_with('.') || SKIPPED.contains(&name) {
                    continue;
                }
                let path = entry.path();
                if path.join(APP_FILE).is_file() {
                    continue; // a nested app is an app of its own
                }
                pending.push(path);
            } else if name == DEFINE_FILE {
                has_define = true;
            }
        }
        if has_define {
            let relative = dir.strip_prefix(root).unwrap_or(Path::new(""));
            if let Some(full_name) = full_name_of(relative, &dir)? {
                found.push(FoundElement {
                    full_name,
                    define_file: dir.join(DEFINE_FILE),
                    dir,
                });
            }
        }
    }
    found.sort_by(|a, b| a.dir.cmp(&b.dir));
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_folders_and_skip_frontend_backend() {
        let dir = Path::new("/app");
        let name = |p: &str| full_name_of(Path::new(p), dir).expect("valid");
        assert_eq!(name("storages/MyOss").as_deref(), Some("storages.MyOss"));
        assert_eq!(name("a/b/c").as_deref(), Some("a.b.c"));
        assert_eq!(name("x/y/backend").as_deref(), Some("x.y"));
        assert_eq!(name("x/y/frontend").as_deref(), Some("x.y"));
        assert_eq!(name(""), None);
    }

    #[test]
    fn refuses_dots_in_folder_names() {
        let error = full_name_of(
            Path::new("storages/My.Oss"),
            Path::new("/app/storages/My.Oss"),
        )
        .expect_err("dot refused");
        assert!(error.to_string().contains("My.Oss"), "{error}");
    }
}
