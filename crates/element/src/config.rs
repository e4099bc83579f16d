//! Business config: `<Name>.json` of the instance merged over its Types' `<TypeName>.json`
//! defaults, with `{{VAR}}` placeholders filled, then parsed into a Type's typed config with
//! errors that name the file, the field and the position.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::catalog::{Element, ElementKind};
use crate::define::VariableDecl;
use crate::env::{placeholders_as_text, substitute, Env, Substituted};
use crate::error::{ConfigIssue, ElementError, Location};
use crate::json::{diagnose, offset_of, position_of, FieldPath, JsonLocator};

/// One config file of the chain.
#[derive(Debug, Clone)]
pub(crate) struct ConfigFile {
    pub path: PathBuf,
    pub original: String,
    pub substituted: Substituted,
}

impl ConfigFile {
    fn position(&self, substituted_offset: usize) -> crate::json::Position {
        position_of(
            &self.original,
            self.substituted.original_offset(substituted_offset),
        )
    }
}

/// The merged config of one element.
#[derive(Debug, Clone)]
pub(crate) struct ResolvedConfig {
    /// Nearest first: the instance's own file, then its Types' defaults.
    pub files: Vec<ConfigFile>,
    /// Defaults overlaid by nearer files (objects merged key by key, other values replaced).
    pub merged: Value,
    pub full_name: String,
    pub type_name: String,
    /// The instance's own config file (reported when a field is in no file).
    pub own_file: PathBuf,
}

/// The path of an element's config file: `<dir>/<Name>.json`.
pub fn config_file_of(element: &Element) -> Option<PathBuf> {
    element
        .dir()
        .map(|dir| dir.join(format!("{}.json", element.name())))
}

/// Overlays `over` on `base`: objects merged key by key, other values replaced. Recursive over
/// nesting, which is bounded: every value comes from `serde_json`, whose parser refuses
/// documents nested deeper than 128 levels.
fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(base), Value::Object(over)) => {
            for (key, value) in over {
                match base.get_mut(&key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, over) => *base = over,
    }
}

/// The config files of `chain` that exist, nearest first: the element's own, then its Types'
/// defaults (Metas carry none).
fn config_files_of<'a>(chain: &'a [&'a Element]) -> impl Iterator<Item = (usize, PathBuf)> + 'a {
    chain
        .iter()
        .enumerate()
        .filter(|(index, element)| *index == 0 || element.kind() != ElementKind::Meta)
        .filter_map(|(index, element)| config_file_of(element).map(|path| (index, path)))
}

/// The config `chain[0]` would be built with, for display: its own `<Name>.json` merged over
/// its Types' defaults, with every `{{VAR}}` placeholder kept as written (never its value).
/// `None` when no file of the chain holds a config.
pub(crate) fn display_config(chain: &[&Element]) -> Result<Option<Value>, ElementError> {
    let element = chain[0];
    let type_name = chain
        .get(1)
        .map(|t| t.full_name().to_owned())
        .unwrap_or_default();
    let mut texts = Vec::new();
    for (_, path) in config_files_of(chain) {
        match std::fs::read_to_string(&path) {
            Ok(text) => texts.push((path, placeholders_as_text(&text).text)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => return Err(ElementError::io(&path, Some(element.full_name()), error)),
        }
    }
    if texts.is_empty() {
        return Ok(None);
    }
    let mut merged = Value::Object(Map::new());
    for (path, text) in texts.iter().rev() {
        let value: Value = serde_json::from_str(text).map_err(|error| {
            let diagnostic = diagnose(text, &error);
            ElementError::Config(Box::new(ConfigIssue {
                full_name: element.full_name().to_owned(),
                type_name: type_name.clone(),
                location: Location::at(path, diagnostic.position),
                field: None,
                message: format!("malformed JSON: {}", diagnostic.message),
            }))
        })?;
        merge(&mut merged, value);
    }
    Ok(Some(merged))
}

/// Reads, substitutes and merges the config files of `chain` (`chain[0]` is the instance).
/// `type_name` is what errors call the element's Type (its declared Types up to the
/// implementing one).
pub(crate) fn load_config(
    chain: &[&Element],
    type_name: &str,
    env: &Env,
) -> Result<ResolvedConfig, ElementError> {
    let instance = chain[0];
    let full_name = instance.full_name().to_owned();
    let missing_variable = |variable: &str, file: Option<&Path>| ElementError::MissingVariable {
        full_name: full_name.clone(),
        type_name: type_name.to_owned(),
        variable: variable.to_owned(),
        file: file.map(Path::to_path_buf),
    };

    // Variable declarations, nearest first.
    let mut declared: HashMap<&str, &VariableDecl> = HashMap::new();
    for element in chain {
        for decl in &element.define().variables {
            declared.entry(decl.name.as_str()).or_insert(decl);
        }
    }
    let value_of = |name: &str| -> Option<String> {
        env.get(name)
            .or_else(|| declared.get(name).and_then(|d| d.value.clone()))
    };
    let mut required: Vec<&&VariableDecl> = declared.values().filter(|d| d.required).collect();
    required.sort_by(|a, b| a.name.cmp(&b.name));
    for decl in required {
        if value_of(&decl.name).is_none() {
            return Err(missing_variable(&decl.name, None));
        }
    }

    let own_file = config_file_of(instance).unwrap_or_default();
    let mut files = Vec::new();
    for (index, path) in config_files_of(chain) {
        let original = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                if index == 0 {
                    return Err(ElementError::MissingConfig {
                        full_name: full_name.clone(),
                        type_name: type_name.to_owned(),
                        file: path,
                    });
                }
                continue; // Type defaults are optional
            }
            Err(error) => return Err(ElementError::io(&path, Some(&full_name), error)),
        };
        let substituted = substitute(&original, |name| {
            value_of(name).ok_or_else(|| missing_variable(name, Some(&path)))
        })?;
        files.push(ConfigFile {
            path,
            original,
            substituted,
        });
    }

    let mut merged = Value::Object(Map::new());
    for file in files.iter().rev() {
        let value: Value = serde_json::from_str(&file.substituted.text).map_err(|error| {
            let diagnostic = diagnose(&file.substituted.text, &error);
            ElementError::Config(Box::new(ConfigIssue {
                full_name: full_name.clone(),
                type_name: type_name.to_owned(),
                location: Location::at(
                    &file.path,
                    diagnostic
                        .position
                        .map(|p| file.position(offset_of(&file.substituted.text, p))),
                ),
                field: None,
                message: format!(
                    "malformed JSON: {}",
                    file.substituted.redact(&diagnostic.message)
                ),
            }))
        })?;
        if !value.is_object() {
            return Err(ElementError::Config(Box::new(ConfigIssue {
                full_name: full_name.clone(),
                type_name: type_name.to_owned(),
                location: Location::file(&file.path),
                field: None,
                message: "the config must be a JSON object".to_owned(),
            })));
        }
        merge(&mut merged, value);
    }

    Ok(ResolvedConfig {
        files,
        merged,
        full_name,
        type_name: type_name.to_owned(),
        own_file,
    })
}

impl ResolvedConfig {
    fn redact(&self, message: &str) -> String {
        self.files
            .iter()
            .fold(message.to_owned(), |m, f| f.substituted.redact(&m))
    }

    fn error(
        &self,
        location: Location,
        field: Option<&FieldPath>,
        message: String,
    ) -> ElementError {
        ElementError::Config(Box::new(ConfigIssue {
            full_name: self.full_name.clone(),
            type_name: self.type_name.clone(),
            location,
            field: field.map(ToString::to_string),
            message: self.redact(&message),
        }))
    }

    /// Where `field` is written, nearest file first.
    pub fn locate(&self, field: &FieldPath) -> Location {
        for file in &self.files {
            if let Some(offset) = JsonLocator::new(&file.substituted.text).start_of(field) {
                return Location::at(&file.path, Some(file.position(offset)));
            }
        }
        Location::file(&self.own_file)
    }

    /// A config error about `field` (e.g. a value that parses but is not acceptable).
    pub fn field_error(&self, field: Option<&str>, message: String) -> ElementError {
        let path = field.map(|f| {
            FieldPath(
                f.split('.')
                    .map(|s| crate::json::PathSegment::Key(s.to_owned()))
                    .collect(),
            )
        });
        let location = match &path {
            Some(path) => self.locate(path),
            None => Location::file(&self.own_file),
        };
        self.error(location, path.as_ref(), message)
    }

    /// Parses the merged config into `T`.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ElementError> {
        if let [file] = self.files.as_slice() {
            let text = &file.substituted.text;
            return serde_json::from_str(text).map_err(|error| {
                let diagnostic = diagnose(text, &error);
                let position = diagnostic
                    .position
                    .map(|p| file.position(offset_of(text, p)));
                self.error(
                    Location::at(&file.path, position),
                    diagnostic.field.as_ref(),
                    diagnostic.message,
                )
            });
        }
        let text = serde_json::to_string_pretty(&self.merged).unwrap_or_else(|_| "{}".to_owned());
        serde_json::from_str(&text).map_err(|error| {
            let diagnostic = diagnose(&text, &error);
            let location = match &diagnostic.field {
                Some(field) => self.locate(field),
                None => Location::file(&self.own_file),
            };
            self.error(location, diagnostic.field.as_ref(), diagnostic.message)
        })
    }
}
