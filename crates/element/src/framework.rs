//! The built-in framework layer: element declarations compiled into the binary.
//!
//! The registry itself declares nothing; crates that own an element family declare their Meta
//! and official Types here (e.g. `jitstore-storages` declares `storages.Meta`,
//! `storages.OssType` and `storages.DiskType`). The framework layer is the farthest layer:
//! any app may override its public elements by fullName.

/// A compiled-in element declaration, collected with `inventory`.
///
/// ```
/// jitstore_element::inventory::submit! {
///     jitstore_element::FrameworkElement::new(
///         "greeters.Meta",
///         r#"{"title": "Greeters", "type": ""}"#,
///         module_path!(),
///     )
/// }
/// ```
#[derive(Debug)]
pub struct FrameworkElement {
    /// The fullName.
    pub full_name: &'static str,
    /// The e.json text.
    pub define_json: &'static str,
    /// Where it is declared (`module_path!()`), shown in errors.
    pub origin: &'static str,
}

impl FrameworkElement {
    /// A framework declaration.
    pub const fn new(
        full_name: &'static str,
        define_json: &'static str,
        origin: &'static str,
    ) -> FrameworkElement {
        FrameworkElement {
            full_name,
            define_json,
            origin,
        }
    }
}

inventory::collect!(FrameworkElement);
