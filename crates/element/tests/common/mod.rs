//! Shared test fixtures: a test element family (`tests.*`) and temporary app folders (the
//! test kit's `AppDir`, opened with an empty environment).
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jitstore_element::{
    inventory, register_type, App, BoxError, BuildContext, ElementObject, FrameworkElement,
};

pub use jitstore_testkit::AppDir;

/// Opens the app in `app` with an empty environment (no process variables leak into a test).
pub fn open(app: &AppDir) -> App {
    app.open()
}

inventory::submit! { FrameworkElement::new("tests.Meta", r#"{"title": "Test family", "type": ""}"#, module_path!()) }
inventory::submit! { FrameworkElement::new("tests.EchoType", r#"{"title": "Echo", "type": "tests.Meta"}"#, module_path!()) }
inventory::submit! { FrameworkElement::new("tests.SlowType", r#"{"title": "Slow", "type": "tests.Meta"}"#, module_path!()) }
inventory::submit! { FrameworkElement::new("tests.NoImplType", r#"{"title": "Unimplemented", "type": "tests.Meta"}"#, module_path!()) }

/// The typed config of `tests.EchoType`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EchoConfig {
    pub greeting: String,
    #[serde(default)]
    pub port: u16,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub limits: Option<Limits>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub max: u32,
}

/// What `tests.EchoType` builds.
#[derive(Debug, Clone)]
pub struct Echo {
    pub full_name: String,
    pub implementing_type: String,
    pub chain: Vec<String>,
    pub config: EchoConfig,
}

fn build_echo(ctx: &BuildContext<'_>) -> Result<ElementObject, BoxError> {
    let config: EchoConfig = ctx.parse_config()?;
    Ok(Arc::new(Echo {
        full_name: ctx.full_name().to_owned(),
        implementing_type: ctx.implementing_type().to_owned(),
        chain: ctx
            .chain()
            .iter()
            .map(|e| e.full_name().to_owned())
            .collect(),
        config,
    }))
}
register_type!(builtin "tests.EchoType", build_echo);

static BUILDS: Mutex<Option<HashMap<PathBuf, usize>>> = Mutex::new(None);

/// How many times `tests.SlowType` built the element in `dir`.
pub fn builds_of(dir: &Path) -> usize {
    BUILDS
        .lock()
        .map(|b| b.as_ref().and_then(|m| m.get(dir).copied()).unwrap_or(0))
        .unwrap_or(0)
}

fn build_slow(ctx: &BuildContext<'_>) -> Result<ElementObject, BoxError> {
    std::thread::sleep(Duration::from_millis(50));
    let dir = ctx.element_dir().ok_or("no folder")?.to_path_buf();
    if let Ok(mut builds) = BUILDS.lock() {
        *builds
            .get_or_insert_with(HashMap::new)
            .entry(dir)
            .or_default() += 1;
    }
    Ok(Arc::new(ctx.full_name().to_owned()))
}
register_type!(builtin "tests.SlowType", build_slow);

/// Writes instances of the test family into an [`AppDir`].
pub trait EchoApp {
    /// An instance of `tests.EchoType` with a greeting.
    fn echo(&self, rel: &str, greeting: &str) -> &Self;
}

impl EchoApp for AppDir {
    fn echo(&self, rel: &str, greeting: &str) -> &Self {
        self.element(
            rel,
            r#"{"title": "echo", "type": "tests.EchoType", "backendBundleEntry": "."}"#,
            Some(&format!(r#"{{"greeting": "{greeting}"}}"#)),
        )
    }
}

/// The error text of a result that must fail.
pub fn error_text<T: std::fmt::Debug, E: std::fmt::Display>(result: Result<T, E>) -> String {
    match result {
        Ok(value) => panic!("expected an error, got {value:?}"),
        Err(error) => error.to_string(),
    }
}
