//! What a Type factory is given to build one element.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::catalog::Element;
use crate::config::ResolvedConfig;
use crate::define::ElementDefine;
use crate::env::Env;
use crate::error::ElementError;

/// Everything a factory needs to build one element: its declaration, its resolved Type chain,
/// its merged and substituted config, and the app folders.
pub struct BuildContext<'a> {
    pub(crate) element: &'a Element,
    pub(crate) chain: &'a [&'a Element],
    pub(crate) implementing_type: &'a str,
    pub(crate) config: &'a ResolvedConfig,
    pub(crate) app_root: &'a Path,
    pub(crate) env: &'a Env,
    pub(crate) app: &'a crate::app::App,
}

impl<'a> BuildContext<'a> {
    /// The element being built.
    pub fn element(&self) -> &'a Element {
        self.element
    }

    /// Its fullName (e.g. `storages.MyOss`).
    pub fn full_name(&self) -> &'a str {
        self.element.full_name()
    }

    /// The last segment of its fullName (e.g. `MyOss`).
    pub fn name(&self) -> &'a str {
        self.element.name()
    }

    /// Its parsed e.json.
    pub fn define(&self) -> &'a ElementDefine {
        self.element.define()
    }

    /// The chain `element -> Type -> ... -> Meta`.
    pub fn chain(&self) -> &'a [&'a Element] {
        self.chain
    }

    /// The Type whose implementation is building this element (the nearest one in the chain
    /// that has an implementation).
    pub fn implementing_type(&self) -> &'a str {
        self.implementing_type
    }

    /// The root app folder (relative config paths are resolved against it).
    pub fn app_root(&self) -> &'a Path {
        self.app_root
    }

    /// The element folder, when the element is declared by a folder.
    pub fn element_dir(&self) -> Option<&'a Path> {
        self.element.dir()
    }

    /// The merged config as JSON (Type defaults overlaid by the instance's `<Name>.json`),
    /// with `{{VAR}}` placeholders filled. Treat it as secret-bearing.
    pub fn config(&self) -> &'a Value {
        &self.config.merged
    }

    /// The merged config as JSON text.
    pub fn config_text(&self) -> String {
        self.config.merged.to_string()
    }

    /// Parses the merged config into the Type's typed config.
    ///
    /// Use `#[serde(deny_unknown_fields)]` on `T`: an unknown field, a field of the wrong JSON
    /// type or a missing required field becomes an [`ElementError::Config`] naming the element,
    /// the Type, the file, the field and its line/column. Substituted variable values are
    /// redacted from the message.
    pub fn parse_config<T: DeserializeOwned>(&self) -> Result<T, ElementError> {
        self.config.parse()
    }

    /// An [`ElementError::Config`] about `field` (dotted path, e.g. `endPoint`), located in the
    /// file that sets it; for values that parse but are not acceptable.
    pub fn config_error(&self, field: Option<&str>, message: impl Into<String>) -> ElementError {
        self.config.field_error(field, message.into())
    }

    /// A variable of the app environment (e.g. official credential variables used when the
    /// config leaves them out).
    pub fn env_var(&self, name: &str) -> Option<String> {
        self.env.get(name)
    }
}
