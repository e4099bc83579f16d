//! Loading the app layers: the app itself, then the apps it `extends` (in order, recursively,
//! each app before the apps it extends), each with its parsed element declarations.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::define::ElementDefine;
use crate::discovery::{discover, FoundElement, APP_FILE};
use crate::error::{ElementError, Location};
use crate::json::diagnose;
use crate::manifest::AppManifest;

/// One app folder of the layer stack.
#[derive(Debug, Clone)]
pub struct AppLayer {
    /// The app folder (canonical path).
    pub root: PathBuf,
    /// Its app.json, when it has one.
    pub manifest_file: Option<PathBuf>,
    /// The parsed app.json (default when absent).
    pub manifest: AppManifest,
}

/// An app layer with its element declarations.
pub(crate) struct LoadedLayer {
    pub layer: AppLayer,
    pub elements: Vec<(FoundElement, ElementDefine)>,
}

/// Parses a JSON file's text, reporting malformed JSON and wrong field shapes with position.
pub(crate) fn parse_json_file<T: DeserializeOwned>(
    file: &Path,
    text: &str,
    element: Option<&str>,
) -> Result<T, ElementError> {
    serde_json::from_str(text).map_err(|error| {
        let diagnostic = diagnose(text, &error);
        let location = Location::at(file, diagnostic.position);
        match (diagnostic.syntax, diagnostic.field) {
            (false, Some(field)) => ElementError::InvalidField {
                location,
                element: element.map(str::to_owned),
                field: field.to_string(),
                message: diagnostic.message,
            },
            _ => ElementError::MalformedJson {
                location,
                element: element.map(str::to_owned),
                message: diagnostic.message,
            },
        }
    })
}

fn read_manifest(root: &Path) -> Result<(Option<PathBuf>, AppManifest), ElementError> {
    let file = root.join(APP_FILE);
    match std::fs::read_to_string(&file) {
        Ok(text) => Ok((Some(file.clone()), parse_json_file(&file, &text, None)?)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            Ok((None, AppManifest::default()))
        }
        Err(error) => Err(ElementError::io(&file, None, error)),
    }
}

fn canonical(path: &Path) -> Result<PathBuf, ElementError> {
    std::fs::canonicalize(path).map_err(|e| ElementError::io(path, None, e))
}

/// Orders the app and its ancestors so that every app comes before the apps it extends and
/// siblings keep their `extends` order (reverse post-order, visiting parents last-first).
struct Linearizer {
    stack: Vec<PathBuf>,
    done: HashSet<PathBuf>,
    post_order: Vec<AppLayer>,
}

impl Linearizer {
    fn visit(&mut self, root: PathBuf) -> Result<(), ElementError> {
        if let Some(index) = self.stack.iter().position(|p| *p == root) {
            let mut chain = self.stack[index..].to_vec();
            chain.push(root);
            return Err(ElementError::ExtendsCycle { chain });
        }
        if self.done.contains(&root) {
            return Ok(());
        }
        let (manifest_file, manifest) = read_manifest(&root)?;
        self.stack.push(root.clone());
        for entry in manifest.extends.iter().rev() {
            let resolved = root.join(entry);
            if !resolved.is_dir() {
                return Err(ElementError::ExtendsNotFound {
                    app_json: manifest_file.clone().unwrap_or_else(|| root.join(APP_FILE)),
                    path: entry.clone(),
                    resolved,
                });
            }
            self.visit(canonical(&resolved)?)?;
        }
        self.stack.pop();
        self.done.insert(root.clone());
        self.post_order.push(AppLayer {
            root,
            manifest_file,
            manifest,
        });
        Ok(())
    }
}

/// The app folder and its ancestors, nearest first.
pub(crate) fn app_layers(root: &Path) -> Result<Vec<AppLayer>, ElementError> {
    if !root.is_dir() {
        return Err(ElementError::io(
            root,
            None,
            std::io::Error::new(std::io::ErrorKind::NotFound, "app folder does not exist"),
        ));
    }
    let mut linearizer = Linearizer {
        stack: Vec::new(),
        done: HashSet::new(),
        post_order: Vec::new(),
    };
    linearizer.visit(canonical(root)?)?;
    let mut layers = linearizer.post_order;
    layers.reverse();
    Ok(layers)
}

fn parse_define(found: &FoundElement) -> Result<ElementDefine, ElementError> {
    let text = std::fs::read_to_string(&found.define_file)
        .map_err(|e| ElementError::io(&found.define_file, Some(&found.full_name), e))?;
    parse_json_file(&found.define_file, &text, Some(&found.full_name))
}

/// Parses every e.json, spreading the work over the available cores for large apps.
fn parse_all(found: Vec<FoundElement>) -> Result<Vec<(FoundElement, ElementDefine)>, ElementError> {
    const PER_THREAD_MIN: usize = 512;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(found.len() / PER_THREAD_MIN)
        .max(1);
    if threads == 1 {
        return found
            .into_iter()
            .map(|f| parse_define(&f).map(|d| (f, d)))
            .collect();
    }
    let chunk = found.len().div_ceil(threads);
    let results: Vec<Result<Vec<ElementDefine>, ElementError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = found
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(parse_define).collect()))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(ElementError::io(
                        Path::new("e.json"),
                        None,
                        std::io::Error::other("e.json parser thread panicked"),
                    ))
                })
            })
            .collect()
    });
    let mut defines = Vec::with_capacity(found.len());
    for part in results {
        defines.extend(part?);
    }
    Ok(found.into_iter().zip(defines).collect())
}

/// Loads every layer's element declarations, nearest layer first.
pub(crate) fn load_layers(root: &Path) -> Result<Vec<LoadedLayer>, ElementError> {
    app_layers(root)?
        .into_iter()
        .map(|layer| {
            let found = discover(&layer.root)?;
            let elements = parse_all(found)?;
            Ok(LoadedLayer { layer, elements })
        })
        .collect()
}
