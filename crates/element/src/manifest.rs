//! The optional `app.json` of an app folder.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `settings.defaultElement`: the app's default element per kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DefaultElements {
    /// The default storage (e.g. `storages.Default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_storage: Option<String>,
    /// Other kinds (`defaultCache`, `defaultDatabase`, ...), kept as written.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `settings` of app.json.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppSettings {
    /// Default elements per kind.
    #[serde(default)]
    pub default_element: DefaultElements,
    /// Other settings, kept as written.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// The parsed `app.json`. Every field is optional; an app folder without app.json is valid.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppManifest {
    /// App id (`org.name`), informational.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// Display title, informational.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Parent app folders, relative to this app's folder, nearest first.
    #[serde(default)]
    pub extends: Vec<String>,
    /// Settings.
    #[serde(default)]
    pub settings: AppSettings,
    /// Every other key, kept as written.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl AppManifest {
    /// `settings.defaultElement.<key>` as a fullName (e.g. `default_element("defaultStorage")`).
    pub fn default_element(&self, key: &str) -> Option<&str> {
        if key == "defaultStorage" {
            return self.settings.default_element.default_storage.as_deref();
        }
        self.settings
            .default_element
            .other
            .get(key)
            .and_then(Value::as_str)
    }
}
