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

/// The keys an `app.json` may hold: the ones this registry reads (`extends`, `settings`) and
/// JitAI's informational ones. Any other key is reported (a typo such as `extend` would
/// otherwise silently drop the parent apps).
pub const APP_JSON_KEYS: &[&str] = &[
    "appId",
    "name",
    "title",
    "version",
    "orgId",
    "icon",
    "theme",
    "encrypted",
    "description",
    "extends",
    "settings",
];

/// The number of single-character edits between `a` and `b` (Levenshtein distance).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// The known `app.json` key closest to `key`, when it is a likely typo of one.
pub(crate) fn suggest_app_json_key(key: &str) -> Option<&'static str> {
    APP_JSON_KEYS
        .iter()
        .map(|known| {
            (
                edit_distance(&key.to_ascii_lowercase(), &known.to_ascii_lowercase()),
                *known,
            )
        })
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, known)| known)
}

impl AppManifest {
    /// The keys of this app.json that are not in [`APP_JSON_KEYS`], sorted.
    pub fn unknown_keys(&self) -> impl Iterator<Item = &str> {
        self.other
            .keys()
            .map(String::as_str)
            .filter(|key| !APP_JSON_KEYS.contains(key))
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_key_a_typo_most_likely_means() {
        assert_eq!(suggest_app_json_key("extend"), Some("extends"));
        assert_eq!(suggest_app_json_key("Settings"), Some("settings"));
        assert_eq!(suggest_app_json_key("appid"), Some("appId"));
        assert_eq!(suggest_app_json_key("dependencies"), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn jitai_keys_are_not_unknown() {
        let manifest: AppManifest =
            serde_json::from_str(r#"{"orgId": "o", "version": "1", "extend": [], "zz": 1}"#)
                .expect("parses");
        assert_eq!(
            manifest.unknown_keys().collect::<Vec<_>>(),
            ["extend", "zz"]
        );
    }
}
