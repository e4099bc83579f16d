//! Which object keys DiskType accepts: only keys that stay inside its directory.

use std::path::{Component, Path};

use crate::error::StorageError;

/// Prefix of every file DiskType keeps for itself (temporary files, metadata sidecars): key
/// segments starting with it are refused and listings skip such names.
pub(crate) const RESERVED_PREFIX: &str = ".jitstore-";

/// Prefix of DiskType's temporary files (a killed upload can leave one; see `sweep`).
pub(crate) const TEMP_PREFIX: &str = ".jitstore-tmp-";

/// Prefix of DiskType's metadata sidecars (see `meta`).
pub(crate) const META_PREFIX: &str = ".jitstore-meta-";

/// True for names DiskType keeps for itself.
pub(crate) fn is_reserved(name: &str) -> bool {
    name.starts_with(RESERVED_PREFIX)
}

fn check_segments(key: &str, allow_trailing_slash: bool) -> Result<(), StorageError> {
    if key.contains('\0') {
        return Err(StorageError::invalid_key("it contains a NUL byte"));
    }
    if key.contains('\\') {
        return Err(StorageError::invalid_key(
            "it contains a backslash (use `/` to separate folders)",
        ));
    }
    if key.starts_with('/') {
        return Err(StorageError::invalid_key(
            "it is an absolute path (keys are relative to the storage directory)",
        ));
    }
    let body = if allow_trailing_slash {
        key.strip_suffix('/').unwrap_or(key)
    } else {
        key
    };
    if body.is_empty() {
        return Ok(());
    }
    for segment in body.split('/') {
        match segment {
            "" => {
                return Err(StorageError::invalid_key(
                    "it has an empty path segment (`//` or a trailing `/`)",
                ))
            }
            "." | ".." => {
                return Err(StorageError::invalid_key(format!(
                    "it has a `{segment}` segment, which could escape the storage directory"
                )))
            }
            s if is_reserved(s) => {
                return Err(StorageError::invalid_key(format!(
                    "segments starting with `{RESERVED_PREFIX}` are reserved for DiskType's own \
                     files (temporary files, metadata sidecars)"
                )))
            }
            s if cfg!(windows) && s.contains(':') => {
                return Err(StorageError::invalid_key(
                    "it contains `:` (a drive or stream name on Windows)",
                ))
            }
            _ => {}
        }
    }
    if !Path::new(body)
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
    {
        return Err(StorageError::invalid_key("it is not a plain relative path"));
    }
    Ok(())
}

/// Validates an object key: non-empty, relative, `/`-separated, no `.`/`..`/empty segments,
/// no backslash, no NUL.
pub(crate) fn validate_key(key: &str) -> Result<(), StorageError> {
    if key.is_empty() {
        return Err(StorageError::invalid_key("it is empty"));
    }
    check_segments(key, false)
}

/// Validates a listing prefix: like a key, but may be empty or end with `/`.
pub(crate) fn validate_prefix(prefix: &str) -> Result<(), StorageError> {
    check_segments(prefix, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_keys() {
        for key in [
            "a.txt",
            "docs/a.txt",
            "中文/emoji 😀.txt",
            "a b/c+d#e?f%g",
            ".hidden",
            "a..b",
        ] {
            assert!(validate_key(key).is_ok(), "{key}");
        }
    }

    #[test]
    fn refuses_hostile_keys() {
        for (key, reason) in [
            ("", "empty"),
            ("../x", "`..`"),
            ("a/../../x", "`..`"),
            ("a/./b", "`.`"),
            ("/etc/passwd", "absolute"),
            ("a\\b", "backslash"),
            ("a\0b", "NUL"),
            ("a//b", "empty path segment"),
            ("a/", "empty path segment"),
            (".jitstore-tmp-x", "reserved"),
            ("a/.jitstore-meta-x", "reserved"),
            (".jitstore-other/b", "reserved"),
        ] {
            let error = validate_key(key).expect_err(key);
            assert!(error.to_string().contains(reason), "{key}: {error}");
        }
    }

    #[test]
    fn prefixes_may_be_empty_or_end_with_a_slash() {
        assert!(validate_prefix("").is_ok());
        assert!(validate_prefix("docs/").is_ok());
        assert!(validate_prefix("docs/a").is_ok());
        assert!(validate_prefix("../").is_err());
    }
}
