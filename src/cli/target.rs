//! Which app and which storage element a verb works on: `--app DIR` (after the verb, or before
//! it for compatibility; else `JITSTORE_APP`; else `.`), and the element argument — a fullName,
//! a name below `storages.` without that prefix (`Default`, `Team.Reports`), or `@default` /
//! nothing for the app's default storage (`settings.defaultElement.defaultStorage`, else
//! `storages.Default`, which is the embedded DiskType default when the app declares none).

use std::path::PathBuf;
use std::sync::OnceLock;

use jitstore::{App, StorageHandle};

/// The element argument naming the app's default storage.
pub(crate) const DEFAULT_ELEMENT: &str = "@default";

/// `--app DIR` of a verb that reads an app.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct AppArg {
    /// The app folder (holding app.json and element folders) [env: JITSTORE_APP] [default: .]
    #[arg(long = "app", value_name = "DIR")]
    app: Option<PathBuf>,
}

static APP_BEFORE_VERB: OnceLock<Option<PathBuf>> = OnceLock::new();

/// Records `--app` given before the verb (`jitstore --app DIR put ...`).
pub(crate) fn set_app_before_verb(app: Option<PathBuf>) {
    let _ = APP_BEFORE_VERB.set(app);
}

impl AppArg {
    /// The app folder: this verb's `--app`, else the one before the verb, else
    /// `JITSTORE_APP`, else the current folder.
    pub(crate) fn dir(&self) -> PathBuf {
        self.app
            .clone()
            .or_else(|| APP_BEFORE_VERB.get().cloned().flatten())
            .or_else(|| std::env::var_os("JITSTORE_APP").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// Opens the app.
    pub(crate) fn open(&self) -> Result<App, jitstore::Error> {
        App::open(self.dir())
    }
}

/// The fullName the element argument `name` stands for in `app` (see the module docs).
pub(crate) fn element_name(app: &App, name: Option<&str>) -> String {
    let name = name.map(str::trim).unwrap_or(DEFAULT_ELEMENT);
    if name.is_empty() || name == DEFAULT_ELEMENT {
        return app.default_storage_name().to_owned();
    }
    if name.starts_with("storages.") || app.registry().element(name).is_ok() {
        return name.to_owned();
    }
    format!("storages.{name}")
}

/// The storage the element argument names.
pub(crate) fn storage(app: &AppArg, name: Option<&str>) -> Result<StorageHandle, jitstore::Error> {
    let app = app.open()?;
    let full_name = element_name(&app, name);
    app.storage(&full_name)
}

/// Splits a verb's positional words into the optional ELEMENT and the `rest` words after it:
/// with `rest + 1` words the first is the element, with `rest` words the default storage is
/// meant.
pub(crate) fn split_element(words: &[String], rest: usize) -> (Option<&str>, &[String]) {
    if words.len() > rest {
        (Some(words[0].as_str()), &words[1..])
    } else {
        (None, words)
    }
}

/// A storage error with the element, Type, operation and key, as the handle would report it.
pub(crate) fn storage_error(
    store: &StorageHandle,
    operation: jitstore::Operation,
    key: &str,
    error: jitstore::StorageError,
) -> super::CliError {
    Box::new(jitstore::storages::Error::new(
        store.element().into(),
        store.type_name().into(),
        operation,
        Some(key.to_owned()),
        error,
    ))
}
