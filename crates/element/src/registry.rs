//! Type implementations: how a Type fullName becomes a factory that builds element objects.
//!
//! Implementations come from three places, all ending in one [`ImplRegistry`] per app:
//!
//! 1. compiled-in registrations collected by `inventory` ([`TypeRegistration`], usually via
//!    [`register_type!`](crate::register_type));
//! 2. registrations added at run time ([`AppBuilder::implementation`](crate::AppBuilder::implementation),
//!    [`App::register_implementation`](crate::App::register_implementation));
//! 3. [`ImplementationSource`]s (e.g. a plugin loader) asked lazily, once per Type element, the
//!    first time an element whose chain contains that Type is built.
//!
//! Selection for one Type fullName: a single non-built-in implementation wins over the
//! built-in one (an app or host override); two non-built-in implementations are an error
//! naming both.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::catalog::Element;
use crate::context::BuildContext;
use crate::error::{BoxError, ElementError};

/// The type-erased object a Type factory builds (e.g. an `Arc<dyn Storage>` boxed once more).
pub type ElementObject = Arc<dyn Any + Send + Sync>;

/// The signature of a compiled-in factory.
pub type FactoryFn = fn(&BuildContext<'_>) -> Result<ElementObject, BoxError>;

/// A compiled-in Type implementation, collected with `inventory`.
///
/// Prefer the [`register_type!`](crate::register_type) macro; the equivalent long form is:
///
/// ```
/// use jitstore_element::{BoxError, BuildContext, ElementObject, TypeRegistration};
///
/// fn build_greeter(ctx: &BuildContext<'_>) -> Result<ElementObject, BoxError> {
///     Ok(std::sync::Arc::new(format!("hello from {}", ctx.full_name())))
/// }
///
/// jitstore_element::inventory::submit! {
///     TypeRegistration::new("greeters.HelloType", build_greeter, module_path!())
/// }
/// ```
#[derive(Debug)]
pub struct TypeRegistration {
    /// The Type fullName this implements (e.g. `storages.DiskType`).
    pub type_name: &'static str,
    /// Builds an object for an element whose chain reaches this Type.
    pub factory: FactoryFn,
    /// Where the registration comes from (`module_path!()`), shown in conflict errors.
    pub origin: &'static str,
    /// True for the framework's own implementations, which app/host registrations override.
    pub builtin: bool,
}

impl TypeRegistration {
    /// A host registration (overrides a built-in one for the same Type).
    pub const fn new(type_name: &'static str, factory: FactoryFn, origin: &'static str) -> Self {
        TypeRegistration {
            type_name,
            factory,
            origin,
            builtin: false,
        }
    }

    /// A framework (built-in) registration.
    pub const fn builtin(
        type_name: &'static str,
        factory: FactoryFn,
        origin: &'static str,
    ) -> Self {
        TypeRegistration {
            type_name,
            factory,
            origin,
            builtin: true,
        }
    }
}

inventory::collect!(TypeRegistration);

/// Registers a compiled-in Type implementation.
///
/// ```
/// use jitstore_element::{register_type, BoxError, BuildContext, ElementObject};
///
/// fn build(ctx: &BuildContext<'_>) -> Result<ElementObject, BoxError> {
///     Ok(std::sync::Arc::new(ctx.full_name().to_owned()))
/// }
/// register_type!("demo.EchoType", build);
/// ```
///
/// `register_type!(builtin "storages.DiskType", build)` marks a framework implementation.
#[macro_export]
macro_rules! register_type {
    (builtin $type_name:expr, $factory:expr) => {
        $crate::inventory::submit! {
            $crate::TypeRegistration::builtin($type_name, $factory, module_path!())
        }
    };
    ($type_name:expr, $factory:expr) => {
        $crate::inventory::submit! {
            $crate::TypeRegistration::new($type_name, $factory, module_path!())
        }
    };
}

/// A run-time factory (closures and plugin adapters).
pub trait TypeFactory: Send + Sync {
    /// Builds the object for the element described by `ctx`.
    fn build(&self, ctx: &BuildContext<'_>) -> Result<ElementObject, BoxError>;
}

impl<F> TypeFactory for F
where
    F: Fn(&BuildContext<'_>) -> Result<ElementObject, BoxError> + Send + Sync,
{
    fn build(&self, ctx: &BuildContext<'_>) -> Result<ElementObject, BoxError> {
        self(ctx)
    }
}

/// Where an implementation comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImplementationOrigin {
    /// A framework registration (`module_path!()` of the registering module).
    BuiltIn(String),
    /// A compiled-in host registration (`module_path!()`).
    Host(String),
    /// A dynamic library.
    Plugin(PathBuf),
    /// Added at run time; the text says by whom.
    Runtime(String),
}

impl ImplementationOrigin {
    /// True for framework registrations.
    pub fn is_builtin(&self) -> bool {
        matches!(self, ImplementationOrigin::BuiltIn(_))
    }
}

impl fmt::Display for ImplementationOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImplementationOrigin::BuiltIn(module) => write!(f, "built-in {module}"),
            ImplementationOrigin::Host(module) => write!(f, "host registration in {module}"),
            ImplementationOrigin::Plugin(path) => write!(f, "plugin {}", path.display()),
            ImplementationOrigin::Runtime(who) => write!(f, "run-time registration by {who}"),
        }
    }
}

/// One implementation of a Type.
#[derive(Clone)]
pub struct Implementation {
    /// The Type fullName it implements.
    pub type_name: String,
    /// Where it comes from.
    pub origin: ImplementationOrigin,
    /// The factory.
    pub factory: Arc<dyn TypeFactory>,
}

impl Implementation {
    /// An implementation from any factory.
    pub fn new(
        type_name: impl Into<String>,
        origin: ImplementationOrigin,
        factory: Arc<dyn TypeFactory>,
    ) -> Implementation {
        Implementation {
            type_name: type_name.into(),
            origin,
            factory,
        }
    }

    fn from_registration(registration: &'static TypeRegistration) -> Implementation {
        let origin = if registration.builtin {
            ImplementationOrigin::BuiltIn(registration.origin.to_owned())
        } else {
            ImplementationOrigin::Host(registration.origin.to_owned())
        };
        Implementation {
            type_name: registration.type_name.to_owned(),
            origin,
            factory: Arc::new(registration.factory),
        }
    }
}

impl fmt::Debug for Implementation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Implementation")
            .field("type_name", &self.type_name)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

/// Supplies implementations lazily from a Type element's declaration (e.g. a dynamic library
/// named by its `backendBundleEntry`).
pub trait ImplementationSource: Send + Sync {
    /// Returns the implementations this source provides for `type_element`, or none.
    ///
    /// Called at most once per Type fullName and app, the first time an element whose chain
    /// contains that Type is built. `app_root` is the root app folder.
    fn implementations_for(
        &self,
        type_element: &Element,
        app_root: &Path,
    ) -> Result<Vec<Implementation>, ElementError>;
}

/// The implementations known to one app, by Type fullName.
#[derive(Debug, Default)]
pub struct ImplRegistry {
    by_type: HashMap<String, Vec<Implementation>>,
}

impl ImplRegistry {
    /// A registry holding every `inventory` registration linked into the binary.
    pub fn from_inventory() -> ImplRegistry {
        let mut registry = ImplRegistry::default();
        for registration in inventory::iter::<TypeRegistration> {
            registry.add(Implementation::from_registration(registration));
        }
        registry
    }

    /// Adds an implementation (conflicts are reported when the Type is selected).
    pub fn add(&mut self, implementation: Implementation) {
        self.by_type
            .entry(implementation.type_name.clone())
            .or_default()
            .push(implementation);
    }

    /// Every implementation registered for `type_name`.
    pub fn all(&self, type_name: &str) -> &[Implementation] {
        self.by_type
            .get(type_name)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The implementation to use for `type_name`: the single non-built-in one, else the
    /// single built-in one; two of the winning kind is an error naming both.
    pub fn select(&self, type_name: &str) -> Result<Option<&Implementation>, ElementError> {
        let all = self.all(type_name);
        let overrides: Vec<&Implementation> =
            all.iter().filter(|i| !i.origin.is_builtin()).collect();
        let candidates = if overrides.is_empty() {
            all.iter().collect()
        } else {
            overrides
        };
        match candidates.as_slice() {
            [] => Ok(None),
            [only] => Ok(Some(only)),
            [first, second, ..] => Err(ElementError::ConflictingImplementations {
                type_name: type_name.to_owned(),
                first: first.origin.to_string(),
                second: second.origin.to_string(),
            }),
        }
    }
}
