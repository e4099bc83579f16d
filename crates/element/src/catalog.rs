//! The merged element table of an app: every layer's elements, nearer layers overriding
//! farther ones by fullName, with `accessModifier` applied, and Type-chain resolution.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::define::{AccessModifier, DeclaredKind, ElementDefine};
use crate::error::{ChainNames, ElementError};
use crate::framework::FrameworkElement;
use crate::layers::{parse_json_file, AppLayer, LoadedLayer};
use crate::plugin::is_library_entry;

/// The role of an element in its family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElementKind {
    /// `type` is `""`: the root of a family (e.g. `storages.Meta`).
    Meta,
    /// `type` names a Meta, or other elements name this element as their `type`.
    Type,
    /// Anything else: a configured element that is built by its Type's implementation.
    Instance,
}

/// Where an element's declaration comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElementOrigin {
    /// An element folder of an app layer.
    Folder {
        /// The element folder.
        dir: PathBuf,
        /// Its e.json.
        define_file: PathBuf,
        /// The app folder it belongs to.
        app_root: PathBuf,
    },
    /// The built-in framework layer (`module_path!()` of the declaring module).
    Framework(&'static str),
}

/// One element as the app sees it: its declaration and where it comes from.
#[derive(Debug, Clone)]
pub struct Element {
    full_name: String,
    define: ElementDefine,
    origin: ElementOrigin,
    layer: usize,
    kind: ElementKind,
}

impl Element {
    /// The fullName (e.g. `storages.MyOss`).
    pub fn full_name(&self) -> &str {
        &self.full_name
    }

    /// The last segment of the fullName (e.g. `MyOss`), which also names its config file.
    pub fn name(&self) -> &str {
        self.full_name
            .rsplit('.')
            .next()
            .unwrap_or(self.full_name.as_str())
    }

    /// The `title` of its e.json.
    pub fn title(&self) -> &str {
        &self.define.title
    }

    /// The parsed e.json.
    pub fn define(&self) -> &ElementDefine {
        &self.define
    }

    /// The `type` field (`""` for a Meta, `None` when missing).
    pub fn type_name(&self) -> Option<&str> {
        self.define.type_name.as_deref()
    }

    /// Where the declaration comes from.
    pub fn origin(&self) -> &ElementOrigin {
        &self.origin
    }

    /// The element folder, for elements declared by a folder.
    pub fn dir(&self) -> Option<&Path> {
        match &self.origin {
            ElementOrigin::Folder { dir, .. } => Some(dir),
            ElementOrigin::Framework(_) => None,
        }
    }

    /// The e.json file, for elements declared by a folder.
    pub fn define_file(&self) -> Option<&Path> {
        match &self.origin {
            ElementOrigin::Folder { define_file, .. } => Some(define_file),
            ElementOrigin::Framework(_) => None,
        }
    }

    /// The index of the layer that declares it: 0 is the app itself, then its ancestors; the
    /// framework layer is last.
    pub fn layer(&self) -> usize {
        self.layer
    }

    /// Meta, Type or Instance.
    pub fn kind(&self) -> ElementKind {
        self.kind
    }

    /// A short description of where it is declared, for messages.
    pub fn describe_origin(&self) -> String {
        match &self.origin {
            ElementOrigin::Folder { define_file, .. } => define_file.display().to_string(),
            ElementOrigin::Framework(module) => format!("built-in ({module})"),
        }
    }
}

/// The role of `element`:
/// - a Meta has `"type": ""`;
/// - `"elementKind"` in e.json decides when given;
/// - a Type is named as `type` by another element, or brings an implementation (registered
///   under its fullName, or a plugin library in `backendBundleEntry` next to a Meta), or is
///   declared by the framework layer next to a Meta;
/// - anything else is an instance, including one whose `type` names a Meta directly (an
///   error when it is built, as for any instance).
fn classify(
    element: &Element,
    referenced: &HashSet<String>,
    metas: &HashSet<String>,
    has_implementation: &dyn Fn(&str) -> bool,
) -> ElementKind {
    if element.define.is_meta() {
        return ElementKind::Meta;
    }
    match element.define.element_kind {
        Some(DeclaredKind::Type) => return ElementKind::Type,
        Some(DeclaredKind::Instance) => return ElementKind::Instance,
        None => {}
    }
    let names_a_meta = element.type_name().is_some_and(|t| metas.contains(t));
    let plugin_library = names_a_meta
        && element
            .define
            .backend_bundle_entry
            .as_deref()
            .is_some_and(is_library_entry);
    // The framework layer declares its Types next to their Meta; a framework element naming a
    // Type (an embedded default instance, say) stays an instance.
    let framework_type = names_a_meta && matches!(element.origin, ElementOrigin::Framework(_));
    if referenced.contains(&element.full_name)
        || has_implementation(&element.full_name)
        || plugin_library
        || framework_type
    {
        ElementKind::Type
    } else {
        ElementKind::Instance
    }
}

/// The Types `chain` declares from the element's own `type` up to `implementing` (inclusive),
/// joined with ` -> `: `storages.CompanyOss -> storages.OssType`, or just the implementing
/// Type when the element names it directly. Used wherever an error names "the Type".
pub(crate) fn declared_types(chain: &[&Element], implementing: &str) -> String {
    let declared: Vec<&str> = chain.iter().skip(1).map(|e| e.full_name()).collect();
    match declared.iter().position(|name| *name == implementing) {
        Some(index) => declared[..=index].join(" -> "),
        None => implementing.to_owned(),
    }
}

/// The merged element table.
#[derive(Debug)]
pub(crate) struct Catalog {
    pub layers: Vec<AppLayer>,
    pub elements: HashMap<String, Element>,
    /// Element declarations left out because they are broken (only when opened with
    /// `keep_broken`; otherwise the first one fails the open).
    pub broken: Vec<ElementError>,
}

fn framework_elements(layer: usize) -> Result<Vec<Element>, ElementError> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for declared in inventory::iter::<FrameworkElement> {
        if !seen.insert(declared.full_name) {
            continue; // the same declaration linked twice is harmless
        }
        let file = PathBuf::from(format!("<built-in {}>", declared.origin));
        let define: ElementDefine =
            parse_json_file(&file, declared.define_json, Some(declared.full_name))?;
        out.push(Element {
            full_name: declared.full_name.to_owned(),
            define,
            origin: ElementOrigin::Framework(declared.origin),
            layer,
            kind: ElementKind::Instance,
        });
    }
    Ok(out)
}

impl Catalog {
    /// Merges loaded layers (nearest first) and the framework layer.
    ///
    /// `has_implementation` says whether an implementation is registered under a fullName
    /// (an element that brings its own implementation is a Type).
    ///
    /// `broken` holds the declarations that could not be parsed. When it is `Some`, elements
    /// defined twice in one layer or overriding a protected one are added to it and left out;
    /// when it is `None`, they fail the build.
    pub fn build(
        loaded: Vec<LoadedLayer>,
        has_implementation: &dyn Fn(&str) -> bool,
        mut broken: Option<Vec<ElementError>>,
    ) -> Result<Catalog, ElementError> {
        let framework_layer = loaded.len();
        let mut elements: HashMap<String, Element> = HashMap::new();
        let mut layers = Vec::with_capacity(loaded.len());
        let mut per_layer: Vec<Vec<Element>> = Vec::with_capacity(loaded.len() + 1);
        for (index, loaded_layer) in loaded.into_iter().enumerate() {
            let app_root = loaded_layer.layer.root.clone();
            per_layer.push(
                loaded_layer
                    .elements
                    .into_iter()
                    .map(|(found, define)| Element {
                        full_name: found.full_name,
                        define,
                        origin: ElementOrigin::Folder {
                            dir: found.dir,
                            define_file: found.define_file,
                            app_root: app_root.clone(),
                        },
                        layer: index,
                        kind: ElementKind::Instance,
                    })
                    .collect(),
            );
            layers.push(loaded_layer.layer);
        }
        per_layer.push(framework_elements(framework_layer)?);

        let mut refused: HashSet<String> = HashSet::new();
        for layer_elements in per_layer {
            let mut in_this_layer: HashMap<String, PathBuf> = HashMap::new();
            for element in layer_elements {
                if refused.contains(&element.full_name) {
                    continue;
                }
                let file = element
                    .define_file()
                    .map(Path::to_path_buf)
                    .unwrap_or_default();
                let problem = if let Some(first) =
                    in_this_layer.insert(element.full_name.clone(), file.clone())
                {
                    Some(ElementError::DuplicateElement {
                        full_name: element.full_name.clone(),
                        first,
                        second: file,
                    })
                } else {
                    match elements.get(&element.full_name) {
                        None => {
                            elements.insert(element.full_name.clone(), element);
                            continue;
                        }
                        // `element` is farther away: it is overridden, unless it forbids it.
                        Some(nearer)
                            if element.define.access_modifier == AccessModifier::Protected =>
                        {
                            Some(ElementError::ProtectedOverride {
                                full_name: element.full_name.clone(),
                                protected_in: PathBuf::from(element.describe_origin()),
                                overridden_in: PathBuf::from(nearer.describe_origin()),
                            })
                        }
                        Some(_) => None,
                    }
                };
                if let Some(problem) = problem {
                    let Some(broken) = broken.as_mut() else {
                        return Err(problem);
                    };
                    broken.push(problem);
                    elements.remove(&element.full_name);
                    refused.insert(element.full_name);
                }
            }
        }

        let referenced: HashSet<String> = elements
            .values()
            .filter_map(|e| e.type_name())
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        let metas: HashSet<String> = elements
            .values()
            .filter(|e| e.define.is_meta())
            .map(|e| e.full_name.clone())
            .collect();
        for element in elements.values_mut() {
            element.kind = classify(element, &referenced, &metas, has_implementation);
        }
        Ok(Catalog {
            layers,
            elements,
            broken: broken.unwrap_or_default(),
        })
    }

    /// True when `element` may be used from the app itself: private elements of parent apps
    /// are invisible to it.
    pub fn visible_from_app(element: &Element) -> bool {
        element.layer == 0 || element.define.access_modifier != AccessModifier::Private
    }

    /// A visible element by fullName.
    pub fn visible(&self, full_name: &str) -> Result<&Element, ElementError> {
        match self.elements.get(full_name) {
            Some(element) if Catalog::visible_from_app(element) => Ok(element),
            Some(element) => Err(ElementError::NotFound {
                full_name: full_name.to_owned(),
                hint: Some(format!(
                    "it is private in {} and invisible to child apps",
                    element.describe_origin()
                )),
            }),
            None => Err(ElementError::NotFound {
                full_name: full_name.to_owned(),
                hint: None,
            }),
        }
    }

    /// The chain `element -> its type -> ... -> Meta`.
    ///
    /// A private element is reachable only from elements of its own app layer.
    pub fn chain<'a>(&'a self, element: &'a Element) -> Result<Vec<&'a Element>, ElementError> {
        let mut chain = vec![element];
        let mut seen: HashSet<&str> = HashSet::from([element.full_name()]);
        let mut current = element;
        loop {
            let Some(type_name) = current.type_name() else {
                return Err(ElementError::MissingType {
                    full_name: current.full_name.clone(),
                    file: current
                        .define_file()
                        .map(Path::to_path_buf)
                        .unwrap_or_default(),
                });
            };
            if type_name.is_empty() {
                return Ok(chain);
            }
            let names = || ChainNames(chain.iter().map(|e| e.full_name.clone()).collect());
            let next = match self.elements.get(type_name) {
                Some(next)
                    if next.define.access_modifier != AccessModifier::Private
                        || next.layer == current.layer =>
                {
                    next
                }
                Some(private) => {
                    return Err(ElementError::PrivateType {
                        full_name: element.full_name.clone(),
                        chain: names(),
                        type_name: type_name.to_owned(),
                        declared_in: private.describe_origin(),
                    })
                }
                None if self
                    .broken
                    .iter()
                    .any(|error| error.element() == Some(type_name)) =>
                {
                    return Err(ElementError::BrokenType {
                        full_name: element.full_name.clone(),
                        chain: names(),
                        type_name: type_name.to_owned(),
                    })
                }
                None => {
                    return Err(ElementError::UnknownType {
                        full_name: element.full_name.clone(),
                        chain: names(),
                        missing: type_name.to_owned(),
                    })
                }
            };
            if !seen.insert(next.full_name()) {
                let mut cycle = names();
                cycle.0.push(next.full_name.clone());
                return Err(ElementError::TypeCycle {
                    full_name: element.full_name.clone(),
                    chain: cycle,
                });
            }
            chain.push(next);
            current = next;
        }
    }

    /// The chain of an element to be built as an instance: it must be neither a Meta nor a
    /// Type, and its `type` must name a Type rather than a Meta.
    pub fn instance_chain<'a>(
        &'a self,
        element: &'a Element,
    ) -> Result<Vec<&'a Element>, ElementError> {
        if element.define.is_meta() {
            return Err(ElementError::NotAnInstance {
                full_name: element.full_name.clone(),
            });
        }
        let chain = self.chain(element)?;
        if element.kind == ElementKind::Type {
            return Err(ElementError::TypeNotInstance {
                full_name: element.full_name.clone(),
                chain: ChainNames(chain.iter().map(|e| e.full_name.clone()).collect()),
            });
        }
        if chain.len() == 2 {
            return Err(ElementError::MetaAsInstanceType {
                full_name: element.full_name.clone(),
                meta: chain[1].full_name.clone(),
                chain: ChainNames(chain.iter().map(|e| e.full_name.clone()).collect()),
            });
        }
        Ok(chain)
    }

    /// Where `settings.defaultElement.<key>` is set, nearest app first.
    pub fn default_element(&self, key: &str) -> Option<&str> {
        self.layers
            .iter()
            .find_map(|layer| layer.manifest.default_element(key))
    }
}
