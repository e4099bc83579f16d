//! Helpers shared by the OSS workflow verbs: reaching the OssType behind an element, progress
//! bars on stderr, JSON or text output.

use std::path::Path;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};
use jitstore::storages::OssStorage;
use jitstore_oss::transfer::ProgressFn;

use super::{element_name, open_app};

/// The `storages.OssType` storage of `element` in the app at `app`.
pub(crate) fn oss_storage(
    app: &Path,
    element: &str,
) -> Result<OssStorage, Box<dyn std::error::Error + Send + Sync>> {
    let name = element_name(element);
    let handle = open_app(app)?.storage(&name)?;
    match OssStorage::from_handle(&handle) {
        Some(oss) => Ok(oss.clone()),
        None => Err(format!(
            "element {name} is a {}, but this command needs a storages.OssType element",
            handle.type_name()
        )
        .into()),
    }
}

/// A byte progress bar on stderr (hidden when stderr is not a terminal) and the callback that
/// drives it.
pub(crate) fn progress_bar(label: &str) -> (ProgressBar, ProgressFn) {
    let bar = ProgressBar::new(0);
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(label.to_owned());
    let driven = bar.clone();
    let callback: ProgressFn = Arc::new(move |done, total| {
        if let Some(t) = total {
            if driven.length() != Some(t) {
                driven.set_length(t);
            }
        }
        driven.set_position(done);
    });
    (bar, callback)
}

/// Prints `value` as pretty JSON on stdout.
pub(crate) fn print_json<T: serde::Serialize>(
    value: &T,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Parses `NAME:VALUE`.
pub(crate) fn parse_header(text: &str) -> Result<(String, String), String> {
    match text.split_once(':') {
        Some((n, v)) if !n.trim().is_empty() => Ok((n.trim().to_owned(), v.trim().to_owned())),
        _ => Err(format!("{text:?} is not NAME:VALUE")),
    }
}
