//! `jitstore elements`: every element with its Type chain and whether it builds (config
//! validated), secrets masked. Exits non-zero when any element fails.

use std::path::Path;

use jitstore::element::{config_file_of, App, Element, ElementKind};
use serde_json::Value;

use super::CliResult;

/// Arguments of `elements`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Also print each instance's config file (secret values masked).
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

fn is_placeholder(value: &str) -> bool {
    value.starts_with("{{") && value.ends_with("}}") && !value[2..value.len() - 2].contains("{{")
}

/// Masks the values of secret-looking keys, keeping `{{VAR}}` placeholders (which hold no
/// secret) visible.
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

fn masked_config(element: &Element) -> Option<String> {
    let file = config_file_of(element)?;
    let text = std::fs::read_to_string(&file).ok()?;
    let shown = match serde_json::from_str::<Value>(&text) {
        Ok(mut value) => {
            mask(&mut value);
            value.to_string()
        }
        Err(_) => "(not valid JSON)".to_owned(),
    };
    Some(format!("{}: {shown}", file.display()))
}

fn kind_name(kind: ElementKind) -> &'static str {
    match kind {
        ElementKind::Meta => "meta",
        ElementKind::Type => "type",
        ElementKind::Instance => "instance",
    }
}

/// Resolves (and for instances builds) one element: `Ok(chain)` or the error text.
fn check(registry: &App, element: &Element) -> Result<String, String> {
    let chain = registry
        .chain(element.full_name())
        .map_err(|e| e.to_string())?;
    let names: Vec<&str> = chain.iter().map(|e| e.full_name()).collect();
    if element.kind() == ElementKind::Instance {
        registry
            .get_element(element.full_name())
            .map_err(|e| e.to_string())?;
    }
    Ok(names.join(" -> "))
}

pub(crate) async fn run(app: &Path, args: Args) -> CliResult {
    let app = super::open_app(app)?;
    let registry = app.registry();
    let elements = registry.elements();
    let width = elements
        .iter()
        .map(|e| e.full_name().len())
        .max()
        .unwrap_or(0);
    let mut failures = 0;
    let json = super::output::json();
    let mut rows = Vec::new();
    for element in &elements {
        let kind = kind_name(element.kind());
        let checked = check(registry, element);
        let config = (args.config && element.kind() == ElementKind::Instance)
            .then(|| masked_config(element))
            .flatten();
        if checked.is_err() {
            failures += 1;
        }
        if json {
            let (chain, error) = match checked {
                Ok(chain) => (Some(chain), None),
                Err(error) => (None, Some(error)),
            };
            rows.push(serde_json::json!({
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
        super::print_json(&rows)?;
    }
    if failures > 0 {
        return Err(format!(
            "{failures} of {} elements failed to validate",
            elements.len()
        )
        .into());
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
            "nested": {"password": 1234},
            "endPoint": "oss-cn-hangzhou.aliyuncs.com"
        });
        mask(&mut value);
        assert_eq!(value["accessKeyId"], "LTAI-visible");
        assert_eq!(value["accessKeySecret"], "***");
        assert_eq!(value["securityToken"], "{{OSS_STS_TOKEN}}");
        assert_eq!(value["nested"]["password"], "***");
        assert_eq!(value["endPoint"], "oss-cn-hangzhou.aliyuncs.com");
    }
}
