//! The e.json model: what an element declares about itself while it is not running.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// Who may use or override an element from a child app (`accessModifier`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessModifier {
    /// Usable and overridable by child apps (the default).
    #[default]
    Public,
    /// Usable by child apps, but not overridable.
    Protected,
    /// Invisible to child apps.
    Private,
}

/// The role an element declares for itself with `elementKind` in e.json, for the cases its
/// chain cannot tell: a Type with config defaults that no instance names yet is otherwise
/// taken for an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeclaredKind {
    /// `"elementKind": "Type"`: a Type (never built as an instance).
    #[serde(alias = "type")]
    Type,
    /// `"elementKind": "Instance"`: an instance.
    #[serde(alias = "instance")]
    Instance,
}

/// One declared environment variable (`variables[]` in e.json).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VariableDecl {
    /// The variable name, as used in `{{NAME}}`.
    pub name: String,
    /// Display title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Default value used when the environment has none.
    #[serde(
        default,
        deserialize_with = "scalar_as_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub value: Option<String>,
    /// Whether a value must exist (JitAI writes `1`/`0`; booleans are accepted too).
    #[serde(default, deserialize_with = "flag")]
    pub required: bool,
    /// Any other keys (e.g. `endpoint`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The parsed `e.json` of an element.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ElementDefine {
    /// Display name.
    #[serde(default)]
    pub title: String,
    /// The fullName of this element's Type or Meta; `""` for a Meta. `None` when absent (an
    /// error when the element is resolved).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_name: Option<String>,
    /// Backend entry relative to the element folder (`"."` for template-mode instances; a
    /// dynamic library path for plugin Types).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend_bundle_entry: Option<String>,
    /// Frontend entry relative to the element folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub front_bundle_entry: Option<String>,
    /// Declared environment variables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<VariableDecl>,
    /// Visibility to child apps.
    #[serde(default)]
    pub access_modifier: AccessModifier,
    /// Cache scope: 0 process-wide (the only one implemented), 1 per request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_level: Option<u8>,
    /// The role declared with `elementKind` (`"Type"` or `"Instance"`), when the element says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub element_kind: Option<DeclaredKind>,
    /// Every other key, kept for Types that want them.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ElementDefine {
    /// A definition with a title and a type, everything else defaulted.
    pub fn new(title: impl Into<String>, type_name: impl Into<String>) -> ElementDefine {
        ElementDefine {
            title: title.into(),
            type_name: Some(type_name.into()),
            backend_bundle_entry: None,
            front_bundle_entry: None,
            variables: Vec::new(),
            access_modifier: AccessModifier::Public,
            cache_level: None,
            element_kind: None,
            extra: Map::new(),
        }
    }

    /// True for a Meta (`"type": ""`).
    pub fn is_meta(&self) -> bool {
        self.type_name.as_deref() == Some("")
    }
}

fn scalar_as_string<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(deserializer)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(other) => Err(serde::de::Error::custom(format!(
            "expected a string, number or boolean, found {other}"
        ))),
    }
}

fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(b),
        Value::Number(n) if n.as_u64() == Some(0) => Ok(false),
        Value::Number(n) if n.as_u64() == Some(1) => Ok(true),
        other => Err(serde::de::Error::custom(format!(
            "expected 0, 1, true or false, found {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_jitai_define_and_keeps_unknown_fields() {
        let text = r#"{"title": "My OSS", "type": "storages.OssType", "backendBundleEntry": ".",
            "variables": [{"name": "OSS_SK", "required": 1, "value": 5, "endpoint": "backend"}],
            "accessModifier": "protected", "cacheLevel": 0, "icon": "oss.svg"}"#;
        let define: ElementDefine = serde_json::from_str(text).expect("valid");
        assert_eq!(define.type_name.as_deref(), Some("storages.OssType"));
        assert_eq!(define.access_modifier, AccessModifier::Protected);
        assert!(define.variables[0].required);
        assert_eq!(define.variables[0].value.as_deref(), Some("5"));
        assert_eq!(define.variables[0].extra["endpoint"], "backend");
        assert_eq!(define.extra["icon"], "oss.svg");
        assert_eq!(define.cache_level, Some(0));
    }

    #[test]
    fn rejects_unknown_access_modifier() {
        let error =
            serde_json::from_str::<ElementDefine>(r#"{"type": "x", "accessModifier": "secret"}"#)
                .expect_err("bad modifier");
        assert!(error.to_string().contains("secret"), "{error}");
    }
}
