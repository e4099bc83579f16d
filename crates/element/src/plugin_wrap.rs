//! Wrapping Types: a custom Type implementation that builds on another implementation instead
//! of replacing it (a key prefix and an audit log around `storages.DiskType` or
//! `storages.OssType`, say).
//!
//! Two shapes, both asking the registry from inside a factory through the [`BuildContext`]:
//!
//! * [`BuildContext::build_parent`]: the app declares a Type element whose `type` is the Type to
//!   wrap (`storages/AuditedDisk/e.json` with `"type": "storages.DiskType"`) and the host
//!   registers an implementation for the new Type; it builds its parent's implementation and
//!   wraps the result.
//! * [`BuildContext::build_overridden`]: the host registers an implementation for an official
//!   Type itself (e.g. `storages.OssType`); being non-built-in it wins over the built-in one,
//!   which it can still build and wrap.

use crate::catalog::{declared_types, Element};
use crate::context::BuildContext;
use crate::error::{ChainNames, ElementError};
use crate::registry::{ElementObject, Implementation};

impl BuildContext<'_> {
    /// Builds this element with the implementation of the nearest Type *above* the one being
    /// built (its parent's implementation), giving it `config` as business config (usually
    /// [`config`](Self::config) without the wrapper's own fields). Returns the parent Type's
    /// fullName and the object it built.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use jitstore_element::{BoxError, BuildContext, ElementObject};
    ///
    /// /// `demo.LoudType` (declared by the app with `"type": "demo.EchoType"`) upper-cases
    /// /// whatever its parent builds.
    /// fn build_loud(ctx: &BuildContext<'_>) -> Result<ElementObject, BoxError> {
    ///     let (_parent, inner) = ctx.build_parent(ctx.config().clone())?;
    ///     let text = inner.downcast_ref::<String>().ok_or("parent did not build a String")?;
    ///     Ok(Arc::new(text.to_uppercase()))
    /// }
    /// jitstore_element::register_type!("demo.LoudType", build_loud);
    /// ```
    pub fn build_parent(
        &self,
        config: serde_json::Value,
    ) -> Result<(String, ElementObject), ElementError> {
        let position = self
            .chain
            .iter()
            .position(|e| e.full_name() == self.implementing_type)
            .unwrap_or(0);
        let mut above: Vec<&Element> = vec![self.chain[0]];
        above.extend(self.chain.iter().skip(position + 1).copied());
        if above.len() == 1 {
            return Err(ElementError::NoImplementation {
                full_name: self.full_name().to_owned(),
                chain: ChainNames(vec![format!(
                    "nothing above {} to wrap",
                    self.implementing_type
                )]),
            });
        }
        let (type_name, implementation) = self.app.implementation_for(&above)?;
        self.build_with(&type_name, &implementation, config)
    }

    /// Builds this element with the *built-in* implementation of the Type being built, which
    /// the running (overriding) implementation replaced; `config` is its business config.
    pub fn build_overridden(
        &self,
        config: serde_json::Value,
    ) -> Result<ElementObject, ElementError> {
        let Some(implementation) = self.app.builtin_implementation(self.implementing_type) else {
            return Err(ElementError::NoImplementation {
                full_name: self.full_name().to_owned(),
                chain: ChainNames(vec![format!(
                    "no built-in implementation of {} to wrap",
                    self.implementing_type
                )]),
            });
        };
        let type_name = self.implementing_type.to_owned();
        self.build_with(&type_name, &implementation, config)
            .map(|(_, object)| object)
    }

    fn build_with(
        &self,
        type_name: &str,
        implementation: &Implementation,
        config: serde_json::Value,
    ) -> Result<(String, ElementObject), ElementError> {
        let declared = declared_types(self.chain, type_name);
        let mut resolved = self.config.clone();
        resolved.merged = config;
        resolved.type_name.clone_from(&declared);
        let inner = BuildContext {
            element: self.element,
            chain: self.chain,
            implementing_type: type_name,
            config: &resolved,
            app_root: self.app_root,
            env: self.env,
            app: self.app,
        };
        let object = implementation.factory.build(&inner).map_err(|source| {
            match source.downcast::<ElementError>() {
                Ok(error) => *error,
                Err(source) => ElementError::Build {
                    full_name: self.full_name().to_owned(),
                    type_name: declared,
                    source,
                },
            }
        })?;
        Ok((type_name.to_owned(), object))
    }
}
