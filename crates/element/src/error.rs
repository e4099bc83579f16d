//! The registry's error type: every variant names the element (and its Type once known), and
//! the file, field and position where they apply.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::json::Position;

/// A boxed error returned by Type factories.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A file, optionally with a line and column, displayed as `path:line:column`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file.
    pub file: PathBuf,
    /// Where in the file, when known.
    pub position: Option<Position>,
}

impl Location {
    /// A location with no position.
    pub fn file(file: impl Into<PathBuf>) -> Location {
        Location {
            file: file.into(),
            position: None,
        }
    }

    /// A location at a line and column.
    pub fn at(file: impl Into<PathBuf>, position: Option<Position>) -> Location {
        Location {
            file: file.into(),
            position,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(p) = self.position {
            write!(f, ":{}:{}", p.line, p.column)?;
        }
        Ok(())
    }
}

/// A resolution chain such as `storages.MyOss -> storages.OssType -> storages.Meta`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChainNames(pub Vec<String>);

impl fmt::Display for ChainNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" -> "))
    }
}

fn field_suffix(field: &Option<String>) -> String {
    match field {
        Some(field) => format!(" field `{field}`"),
        None => String::new(),
    }
}

fn element_suffix(element: &Option<String>) -> String {
    match element {
        Some(element) => format!(" (element {element})"),
        None => String::new(),
    }
}

fn paths(chain: &[PathBuf]) -> String {
    chain
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" -> ")
}

fn hint_suffix(hint: &Option<String>) -> String {
    match hint {
        Some(hint) => format!(" ({hint})"),
        None => String::new(),
    }
}

/// Everything that can go wrong while opening an app or building one of its elements.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ElementError {
    /// A file or folder could not be read.
    #[error("cannot read {}{}: {source}", .path.display(), element_suffix(.element))]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The element it belongs to, when known.
        element: Option<String>,
        /// The OS error.
        source: std::io::Error,
    },

    /// A JSON file (e.json, app.json) is not valid JSON.
    #[error("{location}: malformed JSON{}: {message}", element_suffix(.element))]
    MalformedJson {
        /// File, line and column.
        location: Location,
        /// The element whose e.json it is, when it is one.
        element: Option<String>,
        /// What the parser expected.
        message: String,
    },

    /// A field of e.json or app.json has the wrong shape.
    #[error("{location}:{} {message}{}", field_suffix(&Some(.field.clone())), element_suffix(.element))]
    InvalidField {
        /// File, line and column.
        location: Location,
        /// The element whose e.json it is, when it is one.
        element: Option<String>,
        /// The field, e.g. `accessModifier` or `extends[0]`.
        field: String,
        /// What was wrong.
        message: String,
    },

    /// An element folder's name cannot form a fullName.
    #[error("{}: folder name `{name}` cannot be part of an element fullName: {reason}", .dir.display())]
    InvalidFolderName {
        /// The element folder.
        dir: PathBuf,
        /// The offending folder name.
        name: String,
        /// Why it is refused.
        reason: &'static str,
    },

    /// `app.json` `extends` names a folder that does not exist.
    #[error("{}: extends `{path}` does not exist (looked for {})", .app_json.display(), .resolved.display())]
    ExtendsNotFound {
        /// The app.json holding the entry.
        app_json: PathBuf,
        /// The entry as written.
        path: String,
        /// Where it was looked for.
        resolved: PathBuf,
    },

    /// Apps extend each other in a cycle.
    #[error("app extends cycle: {}", paths(.chain))]
    ExtendsCycle {
        /// The app folders, first repeated at the end.
        chain: Vec<PathBuf>,
    },

    /// Two folders of one app give the same fullName.
    #[error("element {full_name} is defined twice in one app: {} and {}", .first.display(), .second.display())]
    DuplicateElement {
        /// The fullName.
        full_name: String,
        /// The first e.json.
        first: PathBuf,
        /// The second e.json.
        second: PathBuf,
    },

    /// A child app redefines an element that a parent app declared `protected`.
    #[error("element {full_name} is protected in {} and cannot be overridden by {}", .protected_in.display(), .overridden_in.display())]
    ProtectedOverride {
        /// The fullName.
        full_name: String,
        /// The parent's e.json.
        protected_in: PathBuf,
        /// The overriding e.json.
        overridden_in: PathBuf,
    },

    /// No visible element has this fullName.
    #[error("element {full_name} not found{}", hint_suffix(.hint))]
    NotFound {
        /// The fullName asked for.
        full_name: String,
        /// Why, when there is more to say (e.g. private in a parent app).
        hint: Option<String>,
    },

    /// An e.json has no `type` field.
    #[error("{}: element {full_name} has no `type` field (use \"\" for a Meta)", .file.display())]
    MissingType {
        /// The element.
        full_name: String,
        /// Its e.json.
        file: PathBuf,
    },

    /// A `type` names no element.
    #[error("element {full_name}: type {missing} is not defined (chain {chain})")]
    UnknownType {
        /// The element being resolved.
        full_name: String,
        /// The chain walked so far.
        chain: ChainNames,
        /// The undefined fullName.
        missing: String,
    },

    /// Following `type` loops back.
    #[error("element {full_name}: type cycle {chain}")]
    TypeCycle {
        /// The element being resolved.
        full_name: String,
        /// The chain, with the repeated element at the end.
        chain: ChainNames,
    },

    /// An instance's `type` names a Meta instead of a Type.
    #[error("element {full_name}: its type {meta} is a Meta; an instance's type must name a Type (chain {chain})")]
    MetaAsInstanceType {
        /// The element.
        full_name: String,
        /// The Meta it names.
        meta: String,
        /// The chain.
        chain: ChainNames,
    },

    /// An instance's `type` (or a Type further up its chain) is private to another app.
    #[error("element {full_name}: its type {type_name} is private in {declared_in} and cannot be used from another app (chain {chain})")]
    PrivateType {
        /// The element being resolved.
        full_name: String,
        /// The chain walked so far.
        chain: ChainNames,
        /// The private Type.
        type_name: String,
        /// Where the private Type is declared.
        declared_in: String,
    },

    /// An instance's `type` (or a Type further up its chain) has a broken declaration that
    /// was left out (see [`App::broken_elements`](crate::App::broken_elements)).
    #[error("element {full_name}: its type {type_name} is left out because its declaration is broken (chain {chain})")]
    BrokenType {
        /// The element being resolved.
        full_name: String,
        /// The chain walked so far.
        chain: ChainNames,
        /// The Type whose declaration is broken.
        type_name: String,
    },

    /// A Type was asked for as an instance.
    #[error("element {full_name} is a Type (chain {chain}), not an instance: build an instance that names it as its \"type\"")]
    TypeNotInstance {
        /// The Type's fullName.
        full_name: String,
        /// Its chain up to the Meta.
        chain: ChainNames,
    },

    /// A Meta was asked for as an instance.
    #[error("element {full_name} is a Meta (type \"\"), not an instance")]
    NotAnInstance {
        /// The Meta's fullName.
        full_name: String,
    },

    /// No Type in the chain has a registered implementation.
    #[error("element {full_name}: no implementation registered for any Type in chain {chain}")]
    NoImplementation {
        /// The element.
        full_name: String,
        /// The chain searched.
        chain: ChainNames,
    },

    /// Two non-built-in implementations claim one Type.
    #[error("Type {type_name} has two implementations: {first} and {second}")]
    ConflictingImplementations {
        /// The Type fullName.
        type_name: String,
        /// Where the first comes from.
        first: String,
        /// Where the second comes from.
        second: String,
    },

    /// The element's business config `<Name>.json` is missing.
    #[error("element {full_name} (type {type_name}): missing config file {}", .file.display())]
    MissingConfig {
        /// The element.
        full_name: String,
        /// Its declared Types up to the implementing one (see [`ConfigIssue::type_name`]).
        type_name: String,
        /// The file expected.
        file: PathBuf,
    },

    /// A `{{VAR}}` placeholder or a required declared variable has no value.
    #[error("element {full_name} (type {type_name}): variable {variable} is not set{}", .file.as_ref().map(|f| format!(" (used in {})", f.display())).unwrap_or_default())]
    MissingVariable {
        /// The element.
        full_name: String,
        /// Its declared Types up to the implementing one (see [`ConfigIssue::type_name`]).
        type_name: String,
        /// The variable name.
        variable: String,
        /// The config file that references it, if a placeholder.
        file: Option<PathBuf>,
    },

    /// The business config is malformed or does not match the Type's config.
    #[error("{0}")]
    Config(Box<ConfigIssue>),

    /// A Type factory failed.
    #[error("element {full_name} (type {type_name}): {source}")]
    Build {
        /// The element.
        full_name: String,
        /// Its declared Types up to the implementing one (see [`ConfigIssue::type_name`]).
        type_name: String,
        /// The factory's error.
        source: BoxError,
    },

    /// The built object is not of the type the caller asked for.
    #[error("element {full_name} (type {type_name}) is not a {expected}")]
    WrongObjectType {
        /// The element.
        full_name: String,
        /// Its declared Types up to the implementing one (see [`ConfigIssue::type_name`]).
        type_name: String,
        /// What the caller expected.
        expected: &'static str,
    },

    /// A plugin library (named by a Type element's `backendBundleEntry`) could not be used.
    #[error("{0}")]
    Plugin(Box<crate::plugin::PluginError>),

    /// A runtime registration clashes with an existing element.
    #[error("cannot register element {full_name}: {reason}")]
    AlreadyRegistered {
        /// The fullName.
        full_name: String,
        /// Why.
        reason: String,
    },
}

impl ElementError {
    pub(crate) fn io(path: &Path, element: Option<&str>, source: std::io::Error) -> ElementError {
        ElementError::Io {
            path: path.to_path_buf(),
            element: element.map(str::to_owned),
            source,
        }
    }

    /// The element fullName this error is about, when there is one.
    pub fn element(&self) -> Option<&str> {
        match self {
            ElementError::Io { element, .. }
            | ElementError::MalformedJson { element, .. }
            | ElementError::InvalidField { element, .. } => element.as_deref(),
            ElementError::DuplicateElement { full_name, .. }
            | ElementError::ProtectedOverride { full_name, .. }
            | ElementError::NotFound { full_name, .. }
            | ElementError::MissingType { full_name, .. }
            | ElementError::UnknownType { full_name, .. }
            | ElementError::TypeCycle { full_name, .. }
            | ElementError::MetaAsInstanceType { full_name, .. }
            | ElementError::NotAnInstance { full_name }
            | ElementError::PrivateType { full_name, .. }
            | ElementError::BrokenType { full_name, .. }
            | ElementError::TypeNotInstance { full_name, .. }
            | ElementError::NoImplementation { full_name, .. }
            | ElementError::MissingConfig { full_name, .. }
            | ElementError::MissingVariable { full_name, .. }
            | ElementError::Build { full_name, .. }
            | ElementError::WrongObjectType { full_name, .. }
            | ElementError::AlreadyRegistered { full_name, .. } => Some(full_name),
            ElementError::Config(issue) => Some(&issue.full_name),
            ElementError::Plugin(error) => Some(&error.element),
            _ => None,
        }
    }
}

/// A business config problem: which element, which Type, where, which field, and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("element {full_name} (type {type_name}): {location}:{} {message}", field_suffix(.field))]
pub struct ConfigIssue {
    /// The element.
    pub full_name: String,
    /// The Types the element declares, from its own `type` up to the Type whose
    /// implementation builds it: `storages.CompanyOss -> storages.OssType` for an instance of
    /// `storages.CompanyOss`, just `storages.OssType` for a direct instance.
    pub type_name: String,
    /// File, line and column.
    pub location: Location,
    /// The field (dotted path), when the failure belongs to one.
    pub field: Option<String>,
    /// What was wrong (substituted variable values redacted).
    pub message: String,
}
