//! `jitstore elements`: every element with its Type chain and whether it builds (config
//! validated), every broken declaration beside them, and with `--config` the effective config
//! (Type defaults merged, secrets masked). Exits non-zero when anything fails.

use std::path::Path;

use jitstore::element::{App, Element, ElementError, ElementKind};
use serde_json::Value;

use super::CliResult;

/// Arguments of `elements`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Also print each instance's and Type's effective config: its own `<Name>.json` merged
    /// over its Types' defaults, `{{VAR}}` placeholders as written, secret values masked.
    #[arg(long)]
    config: bool,
}

const SECRET_MARKERS: &[&str] = &[
    "secret",
    "password",
    "passwd",
    "token",
    "credential",
    "signature",
    "private",
];

fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_MARKERS.iter().any(|marker| key.contains(marker))
}

/// True for a value that is exactly one `{{VAR}}` placeholder (spaces inside allowed).
fn is_placeholder(value: &str) -> bool {
    value
        .strip_prefix("{{")
        .and_then(|rest| rest.strip_suffix("}}"))
        .map(str::trim)
        .is_some_and(|name| {
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
}

/// Masks the values of secret-looking keys, keeping `{{VAR}}` placeholders (which hold no
/// secret) visible. Recursive over nesting, which `serde_json` bounds at 128 levels.
fn mask(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                let keep = matches!(item, Value::String(s) if is_placeholder(s));
                if is_secret_key(key) && !keep && !item.is_object() {
                    *item = Value::String("***".to_owned());
                } else {
                    mask(item);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask),
        _ => {}
    }
}

/// The effective config of `element`, masked, as one line of JSON (or the reason it cannot be
/// shown); `None` when it has no config.
fn masked_config(registry: &App, element: &Element) -> Option<String> {
    match registry.effective_config(element.full_name()) {
        Ok(Some(mut value)) => {
            mask(&mut value);
            Some(value.to_string())
        }
        Ok(None) => None,
        Err(error) => Some(format!("(cannot be shown: {error})")),
    }
}

fn kind_name(kind: ElementKind) -> &'static str {
    match kind {
        ElementKind::Meta => "meta",
        ElementKind::Type => "type",
        ElementKind::Instance => "instance",
    }
}

/// Resolves (and for instances builds) one element: `Ok(chain)` or the error text. A Type's
/// own config defaults must at least be readable JSON.
fn check(registry: &App, element: &Element) -> Result<String, String> {
    let chain = registry
        .chain(element.full_name())
        .map_err(|e| e.to_string())?;
    let names: Vec<&str> = chain.iter().map(|e| e.full_name()).collect();
    match element.kind() {
        ElementKind::Instance => {
            registry
                .get_element(element.full_name())
                .map_err(|e| e.to_string())?;
        }
        ElementKind::Type => {
            registry
                .effective_config(element.full_name())
                .map_err(|e| e.to_string())?;
        }
        ElementKind::Meta => {}
    }
    Ok(names.join(" -> "))
}

/// The name a broken declaration is listed under: its fullName, else the file.
fn broken_name(error: &ElementError) -> String {
    if let Some(name) = error.element() {
        return name.to_owned();
    }
    match error {
        ElementError::Io { path, .. } => path.display().to_string(),
        ElementError::InvalidFolderName { dir, .. } => dir.display().to_string(),
        _ => "(unnamed)".to_owned(),
    }
}

/// One row of the listing.
enum Row<'a> {
    Element(&'a Element),
    Broken(String, &'a ElementError),
}

impl Row<'_> {
    fn name(&self) -> &str {
        match self {
            Row::Element(element) => element.full_name(),
            Row::Broken(name, _) => name,
        }
    }
}

pub(crate) async fn run(app: &Path, args: Args) -> CliResult {
    // Broken declarations are listed, not fatal: every problem is reported in one run.
    let app = jitstore::App::builder(app).keep_broken(true).open()?;
    let registry = app.registry();
    let mut rows: Vec<Row<'_>> = registry.elements().into_iter().map(Row::Element).collect();
    rows.extend(
        registry
            .broken_elements()
            .iter()
            .map(|error| Row::Broken(broken_name(error), error)),
    );
    rows.sort_by(|a, b| a.name().cmp(b.name()));
    let width = rows.iter().map(|r| r.name().len()).max().unwrap_or(0);
    let mut failures = 0;
    let json = super::output::json();
    let mut json_rows = Vec::new();
    for row in &rows {
        let element = match row {
            Row::Broken(name, error) => {
                failures += 1;
                if json {
                    json_rows.push(serde_json::json!({
                        "full_name": name, "kind": "unknown", "ok": false,
                        "chain": null, "error": error.to_string(), "config": null,
                    }));
                } else {
                    println!("{name:<width$}  {:<8}  ERROR  {error}", "unknown");
                }
                continue;
            }
            Row::Element(element) => element,
        };
        let kind = kind_name(element.kind());
        let checked = check(registry, element);
        if checked.is_err() {
            failures += 1;
        }
        let config = (args.config && element.kind() != ElementKind::Meta)
            .then(|| masked_config(registry, element))
            .flatten();
        if json {
            let (chain, error) = match checked {
                Ok(chain) => (Some(chain), None),
                Err(error) => (None, Some(error)),
            };
            json_rows.push(serde_json::json!({
                "full_name": element.full_name(), "kind": kind, "ok": error.is_none(),
                "chain": chain, "error": error, "config": config,
            }));
            continue;
        }
        match checked {
            Ok(chain) => println!("{:<width$}  {kind:<8}  ok     {chain}", element.full_name()),
            Err(error) => println!("{:<width$}  {kind:<8}  ERROR  {error}", element.full_name()),
        }
        if let Some(config) = config {
            println!("{:<width$}  config    {config}", "");
        }
    }
    if json {
        super::print_json(&json_rows)?;
    }
    if failures > 0 {
        return Err(format!("{failures} of {} elements failed to validate", rows.len()).into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_secret_values_but_keeps_placeholders() {
        let mut value = serde_json::json!({
            "accessKeyId": "LTAI-visible",
            "accessKeySecret": "literal-secret",
            "securityToken": "{{OSS_STS_TOKEN}}",
            "password": "{{ DB_PASSWORD }}",
            "privateKey": "{{not a placeholder}}",
            "nested": {"password": 1234},
            "endPoint": "oss-cn-hangzhou.aliyuncs.com"
        });
        mask(&mut value);
        assert_eq!(value["accessKeyId"], "LTAI-visible");
        assert_eq!(value["accessKeySecret"], "***");
        assert_eq!(value["securityToken"], "{{OSS_STS_TOKEN}}");
        assert_eq!(value["password"], "{{ DB_PASSWORD }}");
        assert_eq!(value["privateKey"], "***");
        assert_eq!(value["nested"]["password"], "***");
        assert_eq!(value["endPoint"], "oss-cn-hangzhou.aliyuncs.com");
    }
}
