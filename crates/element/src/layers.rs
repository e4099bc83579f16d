//! Loading the app layers: the app itself, then the apps it `extends` (in order, recursively,
//! each app before the apps it extends), each with its parsed element declarations.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};

use serde::de::DeserializeOwned;

use crate::define::ElementDefine;
use crate::discovery::{scan_dir, FoundElement, APP_FILE};
use crate::error::{ElementError, Location};
use crate::json::{diagnose, position_of, FieldPath, JsonLocator, PathSegment};
use crate::manifest::{suggest_app_json_key, AppManifest, APP_JSON_KEYS};

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
        Ok(text) => {
            let manifest: AppManifest = parse_json_file(&file, &text, None)?;
            refuse_unknown_keys(&file, &text, &manifest)?;
            Ok((Some(file.clone()), manifest))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            Ok((None, AppManifest::default()))
        }
        Err(error) => Err(ElementError::io(&file, None, error)),
    }
}

/// An app.json key the registry does not know is an error at its position, with the known key
/// it most likely misspells.
fn refuse_unknown_keys(
    file: &Path,
    text: &str,
    manifest: &AppManifest,
) -> Result<(), ElementError> {
    let Some(key) = manifest.unknown_keys().next() else {
        return Ok(());
    };
    let path = FieldPath(vec![PathSegment::Key(key.to_owned())]);
    let position = JsonLocator::new(text)
        .start_of(&path)
        .map(|offset| position_of(text, offset));
    let hint = match suggest_app_json_key(key) {
        Some(known) => format!(" (did you mean `{known}`?)"),
        None => String::new(),
    };
    Err(ElementError::InvalidField {
        location: Location::at(file, position),
        element: None,
        field: key.to_owned(),
        message: format!(
            "unknown key `{key}`{hint}; app.json keys are {}",
            APP_JSON_KEYS.join(", ")
        ),
    })
}

fn canonical(path: &Path) -> Result<PathBuf, ElementError> {
    std::fs::canonicalize(path).map_err(|e| ElementError::io(path, None, e))
}

/// An app being visited: its manifest and the `extends` entries not yet followed (the last
/// entry is followed first).
struct Visit {
    root: PathBuf,
    manifest_file: Option<PathBuf>,
    manifest: AppManifest,
    pending: Vec<String>,
}

/// Orders the app and its ancestors so that every app comes before the apps it extends and
/// siblings keep their `extends` order (reverse post-order, visiting parents last-first).
///
/// The walk keeps its own stack instead of recursing, so an `extends` chain of any length is
/// resolved without exhausting the thread's stack.
struct Linearizer {
    stack: Vec<Visit>,
    on_stack: HashSet<PathBuf>,
    done: HashSet<PathBuf>,
    post_order: Vec<AppLayer>,
}

impl Linearizer {
    /// Starts visiting `root` unless it is done; an app already on the stack is a cycle.
    fn enter(&mut self, root: PathBuf) -> Result<(), ElementError> {
        if self.on_stack.contains(&root) {
            let index = self
                .stack
                .iter()
                .position(|visit| visit.root == root)
                .unwrap_or(0);
            let mut chain: Vec<PathBuf> = self.stack[index..]
                .iter()
                .map(|visit| visit.root.clone())
                .collect();
            chain.push(root);
            return Err(ElementError::ExtendsCycle { chain });
        }
        if self.done.contains(&root) {
            return Ok(());
        }
        let (manifest_file, manifest) = read_manifest(&root)?;
        self.on_stack.insert(root.clone());
        self.stack.push(Visit {
            pending: manifest.extends.clone(),
            root,
            manifest_file,
            manifest,
        });
        Ok(())
    }

    fn run(&mut self, root: PathBuf) -> Result<(), ElementError> {
        self.enter(root)?;
        while let Some(visit) = self.stack.last_mut() {
            if let Some(entry) = visit.pending.pop() {
                let resolved = visit.root.join(&entry);
                if !resolved.is_dir() {
                    return Err(ElementError::ExtendsNotFound {
                        app_json: visit
                            .manifest_file
                            .clone()
                            .unwrap_or_else(|| visit.root.join(APP_FILE)),
                        path: entry,
                        resolved,
                    });
                }
                self.enter(canonical(&resolved)?)?;
                continue;
            }
            let Some(visit) = self.stack.pop() else {
                break;
            };
            self.on_stack.remove(&visit.root);
            self.done.insert(visit.root.clone());
            self.post_order.push(AppLayer {
                root: visit.root,
                manifest_file: visit.manifest_file,
                manifest: visit.manifest,
            });
        }
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
        on_stack: HashSet::new(),
        done: HashSet::new(),
        post_order: Vec::new(),
    };
    linearizer.run(canonical(root)?)?;
    let mut layers = linearizer.post_order;
    layers.reverse();
    Ok(layers)
}

fn parse_define(found: &FoundElement, text: &str) -> Result<ElementDefine, ElementError> {
    parse_json_file(&found.define_file, text, Some(&found.full_name))
}

type Declared = (FoundElement, ElementDefine);

/// Folders waiting to be scanned, shared by the walker threads.
struct WalkQueue {
    pending: Vec<PathBuf>,
    busy: usize,
    failed: Option<ElementError>,
    /// When set, a folder or e.json that cannot be read or parsed is recorded in `broken`
    /// and the walk goes on; otherwise the first one stops it (`failed`).
    keep_broken: bool,
    broken: Vec<ElementError>,
}

/// Scans folders and parses e.json files from a shared queue until no folder is pending and
/// no thread is busy (a busy thread may still add folders).
fn walk_worker(root: &Path, queue: &Mutex<WalkQueue>, wake: &Condvar) -> Vec<Declared> {
    let mut declared = Vec::new();
    let lock = || jitstore_util::lock::lock(queue);
    loop {
        let dir = {
            let mut state = lock();
            loop {
                if state.failed.is_some() {
                    return declared;
                }
                if let Some(dir) = state.pending.pop() {
                    state.busy += 1;
                    break dir;
                }
                if state.busy == 0 {
                    return declared;
                }
                state = wake
                    .wait(state)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
            }
        };
        let outcome = scan_dir(&dir, root).and_then(|scanned| {
            let element = match scanned.element {
                Some((found, text)) => Some((parse_define(&found, &text)?, found)),
                None => None,
            };
            Ok((scanned.subdirs, element))
        });
        let mut state = lock();
        state.busy -= 1;
        match outcome {
            Ok((subdirs, element)) => {
                state.pending.extend(subdirs);
                if let Some((define, found)) = element {
                    declared.push((found, define));
                }
            }
            Err(error) if state.keep_broken => state.broken.push(error),
            Err(error) => {
                if state.failed.is_none() {
                    state.failed = Some(error);
                }
            }
        }
        wake.notify_all();
    }
}

/// Finds and parses every element of the app at `root`, spreading the folder reads and JSON
/// parsing over the available cores. The result is sorted by folder. With `keep_broken`,
/// unreadable folders and e.json files are returned beside the elements instead of failing.
fn discover_and_parse(
    root: &Path,
    keep_broken: bool,
) -> Result<(Vec<Declared>, Vec<ElementError>), ElementError> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let queue = Mutex::new(WalkQueue {
        pending: vec![root.to_path_buf()],
        busy: 0,
        failed: None,
        keep_broken,
        broken: Vec::new(),
    });
    let wake = Condvar::new();
    let mut declared: Vec<Declared> = if threads == 1 {
        walk_worker(root, &queue, &wake)
    } else {
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| scope.spawn(|| walk_worker(root, &queue, &wake)))
                .collect();
            workers
                .into_iter()
                .flat_map(|worker| worker.join().unwrap_or_default())
                .collect()
        })
    };
    let state = jitstore_util::lock::into_inner(queue);
    if let Some(error) = state.failed {
        return Err(error);
    }
    if state.busy != 0 || !state.pending.is_empty() {
        return Err(ElementError::io(
            root,
            None,
            std::io::Error::other("an element discovery thread stopped unexpectedly"),
        ));
    }
    declared.sort_by(|a, b| a.0.dir.cmp(&b.0.dir));
    Ok((declared, state.broken))
}

/// Loads every layer's element declarations, nearest layer first. With `keep_broken`, the
/// element folders that cannot be read or parsed are returned beside the layers.
pub(crate) fn load_layers(
    root: &Path,
    keep_broken: bool,
) -> Result<(Vec<LoadedLayer>, Vec<ElementError>), ElementError> {
    let mut broken = Vec::new();
    let mut loaded = Vec::new();
    for layer in app_layers(root)? {
        let (elements, layer_broken) = discover_and_parse(&layer.root, keep_broken)?;
        broken.extend(layer_broken);
        loaded.push(LoadedLayer { layer, elements });
    }
    Ok((loaded, broken))
}
