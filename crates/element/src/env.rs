//! The app environment and `{{VAR}}` substitution in config text.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// Where `{{VAR}}` values come from: the process environment (default) or an explicit map.
#[derive(Clone, Default)]
pub enum Env {
    /// `std::env::var` at the time an element is built.
    #[default]
    Process,
    /// Only these variables.
    Map(Arc<HashMap<String, String>>),
}

impl Env {
    /// An environment holding exactly `vars`.
    pub fn from_map<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Env
    where
        K: Into<String>,
        V: Into<String>,
    {
        Env::Map(Arc::new(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        ))
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<String> {
        match self {
            Env::Process => std::env::var(name).ok(),
            Env::Map(map) => map.get(name).cloned(),
        }
    }
}

impl fmt::Debug for Env {
    /// Lists variable names only: values may be secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Env::Process => f.write_str("Env::Process"),
            Env::Map(map) => {
                let mut names: Vec<&String> = map.keys().collect();
                names.sort();
                f.debug_tuple("Env::Map").field(&names).finish()
            }
        }
    }
}

/// One replaced placeholder: where it was and where its value went.
#[derive(Debug, Clone)]
pub(crate) struct Replacement {
    pub original_start: usize,
    pub original_len: usize,
    pub new_start: usize,
    pub new_len: usize,
    /// The value as inserted (JSON-escaped inside strings).
    pub value: String,
}

/// Config text after substitution, with the map back to the original text.
#[derive(Debug, Clone)]
pub(crate) struct Substituted {
    pub text: String,
    pub replacements: Vec<Replacement>,
}

impl Substituted {
    /// Maps a byte offset in the substituted text to the original text (a position inside an
    /// inserted value maps to its placeholder).
    pub fn original_offset(&self, offset: usize) -> usize {
        let mut shift: isize = 0;
        for r in &self.replacements {
            if offset < r.new_start {
                break;
            }
            if offset < r.new_start + r.new_len {
                return r.original_start;
            }
            shift =
                (r.original_start + r.original_len) as isize - (r.new_start + r.new_len) as isize;
        }
        (offset as isize + shift).max(0) as usize
    }

    /// Replaces every inserted value quoted in `message` (`"value"` or `` `value` ``) by `***`,
    /// so parse errors never echo a secret.
    pub fn redact(&self, message: &str) -> String {
        let mut out = message.to_owned();
        for r in &self.replacements {
            if r.value.is_empty() {
                continue;
            }
            let unescaped =
                serde_json::from_str::<String>(&format!("\"{}\"", r.value)).unwrap_or_default();
            for value in [r.value.as_str(), unescaped.as_str()] {
                if value.is_empty() {
                    continue;
                }
                out = out
                    .replace(&format!("{value:?}"), "\"***\"")
                    .replace(&format!("\"{value}\""), "\"***\"")
                    .replace(&format!("`{value}`"), "`***`");
            }
        }
        out
    }
}

/// Replaces every `{{NAME}}` (NAME: ASCII letters, digits, `_`; spaces or tabs around it are
/// trimmed, so `{{ NAME }}` is the same placeholder) in JSON text. Inside JSON
/// strings the value is JSON-escaped, so quotes and backslashes in secrets cannot break or
/// inject structure; outside strings it is inserted as written (e.g. a number).
///
/// `lookup` returns the value or an error (typically "variable not set").
pub(crate) fn substitute<E>(
    text: &str,
    mut lookup: impl FnMut(&str) -> Result<String, E>,
) -> Result<Substituted, E> {
    substitute_in_context(text, |name, _in_string| lookup(name))
}

/// The config text with every placeholder kept as written instead of its value, still valid
/// JSON: `"{{NAME}}"` inside a string stays, a bare `{{NAME}}` (e.g. a number) becomes the
/// string `"{{NAME}}"`. For showing a config without revealing what the variables hold.
pub(crate) fn placeholders_as_text(text: &str) -> Substituted {
    let kept = substitute_in_context(text, |name, in_string| {
        Ok::<String, std::convert::Infallible>(if in_string {
            format!("{{{{{name}}}}}")
        } else {
            format!("\"{{{{{name}}}}}\"")
        })
    });
    match kept {
        Ok(substituted) => substituted,
        Err(never) => match never {},
    }
}

/// [`substitute`], with `lookup` also told whether the placeholder is inside a JSON string.
fn substitute_in_context<E>(
    text: &str,
    mut lookup: impl FnMut(&str, bool) -> Result<String, E>,
) -> Result<Substituted, E> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut replacements = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut copied_to = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string && escaped {
            escaped = false;
            i += 1;
            continue;
        }
        if b == b'{' && bytes.get(i + 1) == Some(&b'{') {
            let blanks = |from: usize| {
                bytes[from..]
                    .iter()
                    .take_while(|c| **c == b' ' || **c == b'\t')
                    .count()
            };
            let name_start = i + 2 + blanks(i + 2);
            let name_len = bytes[name_start..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count();
            let name_end = name_start + name_len;
            let close = name_end + blanks(name_end);
            if name_len > 0 && bytes.get(close..close + 2) == Some(b"}}") {
                let name = &text[name_start..name_end];
                let raw = lookup(name, in_string)?;
                let value = if in_string {
                    let quoted = serde_json::to_string(&raw).unwrap_or_default();
                    quoted[1..quoted.len().saturating_sub(1).max(1)].to_owned()
                } else {
                    raw
                };
                out.push_str(&text[copied_to..i]);
                replacements.push(Replacement {
                    original_start: i,
                    original_len: close + 2 - i,
                    new_start: out.len(),
                    new_len: value.len(),
                    value: value.clone(),
                });
                out.push_str(&value);
                i = close + 2;
                copied_to = i;
                continue;
            }
        }
        if in_string {
            match b {
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        }
        i += 1;
    }
    out.push_str(&text[copied_to..]);
    Ok(Substituted {
        text: out,
        replacements,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(name: &str) -> Result<String, String> {
        match name {
            "SK" => Ok("se\"cr\\et".to_owned()),
            "PORT" => Ok("8080".to_owned()),
            other => Err(other.to_owned()),
        }
    }

    #[test]
    fn escapes_inside_strings_and_inserts_raw_outside() {
        let s = substitute(r#"{"k": "a{{SK}}b", "p": {{PORT}}}"#, vars).expect("all set");
        let value: serde_json::Value = serde_json::from_str(&s.text).expect("valid JSON");
        assert_eq!(value["k"], "ase\"cr\\etb");
        assert_eq!(value["p"], 8080);
    }

    #[test]
    fn reports_the_missing_name_and_ignores_non_placeholders() {
        assert_eq!(
            substitute(r#"{"k": "{{NOPE}}"}"#, vars).expect_err("missing"),
            "NOPE"
        );
        let s = substitute(r#"{"k": "{{ not one }}", "j": "{{}}"}"#, vars).expect("none");
        assert!(s.replacements.is_empty());
    }

    #[test]
    fn trims_spaces_inside_placeholders() {
        let s = substitute(
            r#"{"k": "{{ SK }}", "j": "{{	SK}}", "n": "{{ S K }}"}"#,
            vars,
        )
        .expect("set");
        assert_eq!(s.replacements.len(), 2);
        assert!(s.text.contains("\"n\": \"{{ S K }}\""), "{}", s.text);
    }

    #[test]
    fn keeps_placeholders_as_text_for_display() {
        let s = placeholders_as_text(r#"{"k": "a{{ SK }}", "n": {{PORT}}}"#);
        let value: serde_json::Value = serde_json::from_str(&s.text).expect("valid JSON");
        assert_eq!(value["k"], "a{{SK}}");
        assert_eq!(value["n"], "{{PORT}}");
    }

    #[test]
    fn maps_offsets_back_and_redacts() {
        let original = r#"{"k": "{{SK}}", "x": 1}"#;
        let s = substitute(original, vars).expect("set");
        let x_new = s.text.find("\"x\"").expect("x");
        assert_eq!(s.original_offset(x_new), original.find("\"x\"").expect("x"));
        let message = "invalid type: string \"se\\\"cr\\\\et\", expected u64";
        assert!(!s.redact(message).contains("cr"), "{}", s.redact(message));
        let message = "invalid type: string \"se\"cr\\et\", expected u64";
        assert!(!s.redact(message).contains("cr"), "{}", s.redact(message));
    }
}
