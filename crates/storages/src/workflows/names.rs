//! Checks shared by the workflows: file names, directory prefixes and object keys that are
//! about to become local paths.

use std::path::{Component, Path, PathBuf};

/// Longest file name accepted (bytes), as on common file systems.
pub(crate) const MAX_NAME_BYTES: usize = 255;
/// Longest OSS object key (bytes).
pub(crate) const MAX_KEY_BYTES: usize = 1023;

/// Why `name` cannot be one path segment (a file or folder name), or `None` when it can.
pub(crate) fn segment_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("an empty path segment (two '/' in a row?)".into());
    }
    if name == "." || name == ".." {
        return Some(format!("{name:?} segments are not allowed"));
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Some(format!(
            "control character U+{:04X} is not allowed",
            c as u32
        ));
    }
    if name.len() > MAX_NAME_BYTES {
        return Some(format!(
            "a segment of {} bytes is longer than {MAX_NAME_BYTES}",
            name.len()
        ));
    }
    None
}

/// Why the object key suffix `relative` (below a download prefix) must not be written under a
/// local directory, or the relative local path it maps to.
pub(crate) fn local_relative_path(relative: &str) -> Result<PathBuf, String> {
    if relative.is_empty() {
        return Err("the key is the prefix itself".into());
    }
    if relative.contains('\0') {
        return Err("the key contains a NUL byte".into());
    }
    if relative.contains('\\') {
        return Err("the key contains a backslash, a path separator on Windows".into());
    }
    if relative.starts_with('/') {
        return Err("the key would be an absolute path".into());
    }
    let mut out = PathBuf::new();
    for segment in relative.split('/') {
        if let Some(problem) = segment_problem(segment) {
            return Err(problem);
        }
        if segment.contains(':') && cfg!(windows) {
            return Err("':' is not allowed in Windows file names".into());
        }
        out.push(segment);
    }
    // Belt and braces: the result must be made of plain names only.
    if out.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err("the key does not map to a plain relative path".into());
    }
    Ok(out)
}

/// `root/relative`, after checking that the (already created) parent directory really is
/// inside `root` once symbolic links are resolved.
pub(crate) fn contained_target(root: &Path, relative: &Path) -> Result<PathBuf, String> {
    let target = root.join(relative);
    let parent = target.parent().unwrap_or(root);
    std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    let real_root = root
        .canonicalize()
        .map_err(|e| format!("{}: {e}", root.display()))?;
    let real_parent = parent
        .canonicalize()
        .map_err(|e| format!("{}: {e}", parent.display()))?;
    if !real_parent.starts_with(&real_root) {
        return Err(format!(
            "{} resolves outside the target directory",
            parent.display()
        ));
    }
    if std::fs::symlink_metadata(&target).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(format!("{} is a symbolic link", target.display()));
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_relative_keys_are_refused() {
        for bad in [
            "../x",
            "a/../../x",
            "/etc/passwd",
            "a\\..\\b",
            "a\0b",
            "a//b",
            ".",
            "",
            "a/./b",
        ] {
            assert!(local_relative_path(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            local_relative_path("a/b/文件 1.txt").unwrap(),
            Path::new("a").join("b").join("文件 1.txt")
        );
    }
}
