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

/// What one folder holds: its sub-folders to search and, if it is an element, the element
/// with the text of its `e.json`.
#[derive(Debug, Default)]
pub struct ScannedDir {
    /// Sub-folders to search next.
    pub subdirs: Vec<PathBuf>,
    /// The element this folder declares, if it holds an `e.json`, and that file's text.
    pub element: Option<(FoundElement, String)>,
}

/// Reads a small file with as few system calls as possible (no size query).
fn read_small(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::with_capacity(512);
    std::fs::File::open(path)?.read_to_string(&mut text)?;
    Ok(text)
}

/// True when `dir` certainly has no sub-folders: on Unix file systems that count links, a
/// folder's link count is 2 plus its number of sub-folders (file systems that do not count
/// report 1, and get a full listing).
fn certainly_leaf(dir: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(dir).is_ok_and(|m| m.nlink() == 2)
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        false
    }
}

fn element_in(
    dir: &Path,
    root: &Path,
    define_text: String,
) -> Result<Option<(FoundElement, String)>, ElementError> {
    let relative = dir.strip_prefix(root).unwrap_or(Path::new(""));
    Ok(full_name_of(relative, dir)?.map(|full_name| {
        (
            FoundElement {
                full_name,
                define_file: dir.join(DEFINE_FILE),
                dir: dir.to_path_buf(),
            },
            define_text,
        )
    }))
}

fn read_define(dir: &Path) -> Result<String, ElementError> {
    let file = dir.join(DEFINE_FILE);
    read_small(&file).map_err(|e| ElementError::io(&file, None, e))
}

/// Reads one folder of the app rooted at `root`. A folder other than the root that holds an
/// `app.json` is a nested app: nothing in it is returned. Leaf folders (the usual element
/// folder) cost a link-count query and the read of their `e.json`, not a listing.
pub fn scan_dir(dir: &Path, root: &Path) -> Result<ScannedDir, ElementError> {
    if dir != root && certainly_leaf(dir) {
        let file = dir.join(DEFINE_FILE);
        return match read_small(&file) {
            Ok(_) if dir.join(APP_FILE).exists() => Ok(ScannedDir::default()),
            Ok(text) => Ok(ScannedDir {
                subdirs: Vec::new(),
                element: element_in(dir, root, text)?,
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(ScannedDir::default()),
            Err(error) => Err(ElementError::io(&file, None, error)),
        };
    }
    let entries = std::fs::read_dir(dir).map_err(|e| ElementError::io(dir, None, e))?;
    let mut scanned = ScannedDir::default();
    let mut has_define = false;
    for entry in entries {
        let entry = entry.map_err(|e| ElementError::io(dir, None, e))?;
        let file_type = entry
            .file_type()
            .map_err(|e| ElementError::io(&entry.path(), None, e))?;
        let name = entry.file_name();
        if file_type.is_dir() {
            // Non-UTF-8 folders are searched: an e.json inside one is reported when found.
            let skipped = name
                .to_str()
                .is_some_and(|n| n.starts_with('.') || SKIPPED.contains(&n));
            if !skipped {
                scanned.subdirs.push(entry.path());
            }
        } else if name == DEFINE_FILE {
            has_define = true;
        } else if name == APP_FILE && dir != root {
            return Ok(ScannedDir::default()); // a nested app is an app of its own
        }
    }
    if has_define {
        scanned.element = element_in(dir, root, read_define(dir)?)?;
    }
    Ok(scanned)
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
