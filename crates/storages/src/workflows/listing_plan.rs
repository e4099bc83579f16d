//! Directory downloads: which object of a listing lands at which local path. A listing comes
//! from a server and is not trusted: a key outside the requested prefix, or one that would
//! leave the target directory, is refused and reported, never written, and nothing here
//! panics whatever the keys are (see the property test below).

use std::path::{Path, PathBuf};

use super::names::{contained_target, local_relative_path};
use super::report::{FileOutcome, FileStatus};

/// The files a directory download will write, and the objects it refused.
#[derive(Debug, Default)]
pub(crate) struct DownloadPlan {
    /// `(key, local path, size)` per object to download.
    pub jobs: Vec<(String, PathBuf, u64)>,
    /// Objects refused (outside the prefix, hostile names), one outcome each.
    pub refused: Vec<FileOutcome>,
}

/// Maps each listed `(key, size)` under `prefix` to `local_path/<key minus prefix>`.
/// Zero-byte keys ending in `/` are folder markers: nothing is written for them, but a hostile
/// marker name is still reported.
pub(crate) fn plan_directory_download(
    prefix: &str,
    listed: impl IntoIterator<Item = (String, u64)>,
    local_path: &Path,
) -> DownloadPlan {
    let mut plan = DownloadPlan::default();
    for (key, size) in listed {
        let Some(relative) = key.strip_prefix(prefix) else {
            let reason = format!(
                "the listing returned the key {key:?}, which is outside the requested prefix {prefix:?}"
            );
            plan.refused
                .push(FileOutcome::failed(key, None, FileStatus::Refused, reason));
            continue;
        };
        if relative.ends_with('/') && size == 0 {
            if let Err(reason) = local_relative_path(relative.trim_end_matches('/')) {
                plan.refused
                    .push(FileOutcome::failed(key, None, FileStatus::Refused, reason));
            }
            continue;
        }
        match local_relative_path(relative).and_then(|rel| contained_target(local_path, &rel)) {
            Ok(path) => plan.jobs.push((key, path, size)),
            Err(reason) => {
                plan.refused
                    .push(FileOutcome::failed(key, None, FileStatus::Refused, reason))
            }
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_key_outside_the_prefix_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let plan = plan_directory_download(
            "photos/",
            [("other/secret.txt".to_owned(), 5), ("p".to_owned(), 1)],
            dir.path(),
        );
        assert!(plan.jobs.is_empty());
        assert_eq!(plan.refused.len(), 2);
        let reason = plan.refused[0].error.clone().unwrap_or_default();
        assert!(reason.contains("\"other/secret.txt\""), "{reason}");
        assert!(reason.contains("outside the requested prefix"), "{reason}");
    }

    #[test]
    fn a_multi_byte_prefix_is_never_cut_inside_a_character() {
        let dir = tempfile::tempdir().unwrap();
        // "é" is two bytes: a byte slice at the prefix's length would fall inside "日".
        let plan = plan_directory_download(
            "é/",
            [("日本/a.txt".to_owned(), 3), ("é/b.txt".to_owned(), 4)],
            dir.path(),
        );
        assert_eq!(plan.refused.len(), 1);
        assert_eq!(plan.refused[0].key, "日本/a.txt");
        assert_eq!(plan.jobs.len(), 1);
        assert_eq!(plan.jobs[0].1, dir.path().join("b.txt"));
    }

    fn key_text() -> impl Strategy<Value = String> {
        // Slashes, dots, backslashes, NULs and multi-byte characters are what breaks paths.
        proptest::string::string_regex("[a/.\\\\\u{0}é日\u{1F600}]{0,12}").unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn arbitrary_listings_never_panic_and_never_leave_the_directory(
            prefix in key_text(),
            keys in proptest::collection::vec((key_text(), 0u64..4), 0..8),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let count = keys.len();
            let plan = plan_directory_download(&prefix, keys.clone(), dir.path());
            let markers = keys
                .iter()
                .filter(|(k, s)| *s == 0 && k.starts_with(&prefix) && k[prefix.len()..].ends_with('/'))
                .count();
            prop_assert!(plan.jobs.len() + plan.refused.len() + markers >= count);
            for (key, path, _) in &plan.jobs {
                prop_assert!(key.starts_with(&prefix));
                prop_assert!(path.starts_with(dir.path()), "{} escapes", path.display());
            }
            for refused in &plan.refused {
                prop_assert_eq!(refused.status, FileStatus::Refused);
                if !refused.key.starts_with(&prefix) {
                    let reason = refused.error.clone().unwrap_or_default();
                    let named = format!("{:?}", refused.key);
                    prop_assert!(reason.contains(&named), "{}", reason);
                }
            }
        }
    }
}
