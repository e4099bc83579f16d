//! JSON helpers that turn serde errors into "file, field, line, column" diagnostics.
//!
//! `serde_json` reports *where* a value failed (line and column) but not *which field* it
//! belonged to. [`JsonLocator`] scans a (syntactically valid) JSON text once and records the
//! span of every member, so a position can be mapped back to a dotted field path and a field
//! path can be mapped to a position.

use std::fmt;

/// One step of a path into a JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSegment {
    /// A member of an object.
    Key(String),
    /// An element of an array.
    Index(usize),
}

/// A path into a JSON document, displayed as `a.b[2].c` (empty for the root).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPath(pub Vec<PathSegment>);

impl FieldPath {
    /// True for the document root.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// This path with one more key appended.
    pub fn child(&self, key: &str) -> FieldPath {
        let mut segments = self.0.clone();
        segments.push(PathSegment::Key(key.to_owned()));
        FieldPath(segments)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for segment in &self.0 {
            match segment {
                PathSegment::Key(key) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    f.write_str(key)?;
                }
                PathSegment::Index(index) => write!(f, "[{index}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

/// A 1-based line and column in a text file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {} column {}", self.line, self.column)
    }
}

/// Converts a byte offset into a 1-based line/column position.
pub fn position_of(text: &str, offset: usize) -> Position {
    let offset = offset.min(text.len());
    let mut line = 1;
    let mut line_start = 0;
    for (index, byte) in text.as_bytes()[..offset].iter().enumerate() {
        if *byte == b'\n' {
            line += 1;
            line_start = index + 1;
        }
    }
    let column = text
        .get(line_start..offset)
        .map(|s| s.chars().count())
        .unwrap_or(offset - line_start)
        + 1;
    Position { line, column }
}

/// Converts a 1-based line/column (as reported by `serde_json`) into a byte offset.
pub fn offset_of(text: &str, position: Position) -> usize {
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        if index + 1 == position.line {
            let column_bytes: usize = line
                .chars()
                .take(position.column.saturating_sub(1))
                .map(char::len_utf8)
                .sum();
            return offset + column_bytes;
        }
        offset += line.len();
    }
    text.len()
}

/// The spans of every member of a JSON document: maps positions to field paths and back.
#[derive(Debug)]
pub struct JsonLocator {
    /// (path, start of the member's key (or value for array items), end of its value)
    spans: Vec<(FieldPath, usize, usize)>,
}

impl JsonLocator {
    /// Scans `text`. Malformed input yields a partial locator (never a panic).
    pub fn new(text: &str) -> JsonLocator {
        let mut scanner = Scanner {
            bytes: text.as_bytes(),
            pos: 0,
            spans: Vec::new(),
        };
        scanner.skip_ws();
        let start = scanner.pos;
        scanner.value(&FieldPath::default(), 0);
        scanner
            .spans
            .push((FieldPath::default(), start, scanner.pos));
        JsonLocator {
            spans: scanner.spans,
        }
    }

    /// The deepest field whose span contains `offset` (the root when none does).
    pub fn path_at(&self, offset: usize) -> FieldPath {
        self.spans
            .iter()
            .filter(|(_, start, end)| *start <= offset && offset <= *end)
            .max_by_key(|(path, _, _)| path.0.len())
            .map(|(path, _, _)| path.clone())
            .unwrap_or_default()
    }

    /// The deepest field whose span contains `offset` with `offset` before its end: the
    /// object or array that `offset` lies *inside*. serde reports a missing field at the
    /// object's closing brace, which is also where the span of its last member ends; this
    /// names the object rather than that member.
    pub fn container_at(&self, offset: usize) -> FieldPath {
        self.spans
            .iter()
            .filter(|(_, start, end)| *start <= offset && offset < *end)
            .max_by_key(|(path, _, _)| path.0.len())
            .map(|(path, _, _)| path.clone())
            .unwrap_or_default()
    }

    /// The byte offset where `path` starts (its key for object members).
    pub fn start_of(&self, path: &FieldPath) -> Option<usize> {
        self.spans
            .iter()
            .find(|(candidate, _, _)| candidate == path)
            .map(|(_, start, _)| *start)
    }
}

const MAX_DEPTH: usize = 128;

struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    spans: Vec<(FieldPath, usize, usize)>,
}

impl Scanner<'_> {
    fn skip_ws(&mut self) {
        while let Some(b) = self.bytes.get(self.pos) {
            if b.is_ascii_whitespace() {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Skips a string starting at the opening quote and returns its raw (unescaped only for
    /// simple content) text.
    fn string(&mut self) -> String {
        let start = self.pos + 1;
        self.pos += 1;
        let mut escaped = false;
        while let Some(b) = self.peek() {
            self.pos += 1;
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                let raw = &self.bytes[start..self.pos - 1];
                let quoted = &self.bytes[start - 1..self.pos];
                return serde_json::from_slice::<String>(quoted)
                    .unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned());
            }
        }
        String::from_utf8_lossy(&self.bytes[start.min(self.bytes.len())..]).into_owned()
    }

    fn value(&mut self, path: &FieldPath, depth: usize) {
        if depth > MAX_DEPTH {
            self.pos = self.bytes.len();
            return;
        }
        self.skip_ws();
        match self.peek() {
            Some(b'{') => {
                self.pos += 1;
                loop {
                    self.skip_ws();
                    match self.peek() {
                        Some(b'"') => {
                            let key_start = self.pos;
                            let key = self.string();
                            self.skip_ws();
                            if self.peek() == Some(b':') {
                                self.pos += 1;
                            }
                            let child = path.child(&key);
                            self.value(&child, depth + 1);
                            self.spans.push((child, key_start, self.pos));
                            self.skip_ws();
                            if self.peek() == Some(b',') {
                                self.pos += 1;
                            }
                        }
                        Some(b'}') => {
                            self.pos += 1;
                            return;
                        }
                        _ => {
                            // Malformed: stop scanning this object.
                            self.pos = self.bytes.len();
                            return;
                        }
                    }
                }
            }
            Some(b'[') => {
                self.pos += 1;
                let mut index = 0;
                loop {
                    self.skip_ws();
                    match self.peek() {
                        Some(b']') => {
                            self.pos += 1;
                            return;
                        }
                        None => return,
                        _ => {
                            let mut segments = path.0.clone();
                            segments.push(PathSegment::Index(index));
                            let child = FieldPath(segments);
                            let start = self.pos;
                            self.value(&child, depth + 1);
                            if self.pos == start {
                                self.pos = self.bytes.len();
                                return;
                            }
                            self.spans.push((child, start, self.pos));
                            index += 1;
                            self.skip_ws();
                            if self.peek() == Some(b',') {
                                self.pos += 1;
                            }
                        }
                    }
                }
            }
            Some(b'"') => {
                self.string();
            }
            Some(_) => {
                while let Some(b) = self.peek() {
                    if b == b',' || b == b'}' || b == b']' || b.is_ascii_whitespace() {
                        break;
                    }
                    self.pos += 1;
                }
            }
            None => {}
        }
    }
}

/// A `serde_json` failure resolved to a field path and a position in the text.
#[derive(Debug, Clone)]
pub struct JsonDiagnostic {
    /// The field the failure belongs to (e.g. `endPoint`), `None` for syntax errors or the root.
    pub field: Option<FieldPath>,
    /// Where in the text.
    pub position: Option<Position>,
    /// serde's message without its trailing " at line L column C".
    pub message: String,
    /// True when the text is not valid JSON (as opposed to valid JSON of the wrong shape).
    pub syntax: bool,
}

/// Strips serde_json's " at line L column C" suffix.
pub fn bare_message(error: &serde_json::Error) -> String {
    let message = error.to_string();
    if error.line() == 0 {
        return message;
    }
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    message
        .strip_suffix(&suffix)
        .map(str::to_owned)
        .unwrap_or(message)
}

/// The backticked field name in serde messages such as "missing field `x`" / "unknown field `x`".
fn named_field(message: &str) -> Option<&str> {
    for marker in ["missing field `", "unknown field `", "duplicate field `"] {
        if let Some(rest) = message.split(marker).nth(1) {
            return rest.split('`').next();
        }
    }
    None
}

/// Explains a `serde_json` error raised while parsing `text`.
pub fn diagnose(text: &str, error: &serde_json::Error) -> JsonDiagnostic {
    let message = bare_message(error);
    let position = (error.line() > 0).then(|| Position {
        line: error.line(),
        column: error.column(),
    });
    let syntax = matches!(
        error.classify(),
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof
    );
    let field = if syntax {
        None
    } else {
        let missing = message.starts_with("missing field");
        let path = position
            .map(|p| {
                let locator = JsonLocator::new(text);
                let offset = offset_of(text, p);
                if missing {
                    locator.container_at(offset)
                } else {
                    locator.path_at(offset)
                }
            })
            .unwrap_or_default();
        match (named_field(&message), message.starts_with("unknown field")) {
            // serde reports an unknown field at its key: the located path *is* the field.
            (Some(name), true) if path.0.last() == Some(&PathSegment::Key(name.to_owned())) => {
                Some(path)
            }
            (Some(name), _) => Some(path.child(name)),
            (None, _) if path.is_root() => None,
            (None, _) => Some(path),
        }
    };
    JsonDiagnostic {
        field,
        position,
        message,
        syntax,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_nested_fields() {
        let text = "{\n  \"a\": {\"b\": [1, {\"c\": true}]},\n  \"d\": \"x\"\n}";
        let locator = JsonLocator::new(text);
        let c = FieldPath(vec![
            PathSegment::Key("a".into()),
            PathSegment::Key("b".into()),
            PathSegment::Index(1),
            PathSegment::Key("c".into()),
        ]);
        assert_eq!(c.to_string(), "a.b[1].c");
        let start = locator.start_of(&c).expect("c located");
        assert_eq!(&text[start..start + 3], "\"c\"");
        assert_eq!(locator.path_at(start + 6), c);
        assert_eq!(position_of(text, start).line, 2);
    }

    #[test]
    fn diagnoses_wrong_type_with_field() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Config {
            port: u16,
            host: String,
        }
        let text = "{\n  \"host\": \"h\",\n  \"port\": \"eighty\"\n}";
        let error = serde_json::from_str::<Config>(text).expect_err("wrong type");
        let diagnostic = diagnose(text, &error);
        assert_eq!(
            diagnostic.field.map(|f| f.to_string()).as_deref(),
            Some("port")
        );
        assert_eq!(diagnostic.position.map(|p| p.line), Some(3));
        assert!(!diagnostic.message.contains("at line"));
    }

    #[test]
    fn diagnoses_missing_and_unknown_fields() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Config {
            host: String,
        }
        let text = "{\"host\": \"h\", \"hots\": 1}";
        let error = serde_json::from_str::<Config>(text).expect_err("unknown");
        let field = diagnose(text, &error).field.map(|f| f.to_string());
        assert_eq!(field.as_deref(), Some("hots"));
        let text = "{}";
        let error = serde_json::from_str::<Config>(text).expect_err("missing");
        let field = diagnose(text, &error).field.map(|f| f.to_string());
        assert_eq!(field.as_deref(), Some("host"));
    }

    #[test]
    fn a_missing_field_belongs_to_the_object_not_its_last_member() {
        let text = r#"{"a": {"b": 1}, "c": "x"}"#;
        let locator = JsonLocator::new(text);
        let end = text.rfind('}').expect("end");
        assert_eq!(locator.path_at(end).to_string(), "c");
        assert!(locator.container_at(end).is_root());
        let inner = text.find('}').expect("inner end");
        assert_eq!(locator.container_at(inner).to_string(), "a");
    }

    #[test]
    fn offsets_round_trip() {
        let text = "ab\ncdé\nf";
        let p = position_of(text, text.find('f').expect("f"));
        assert_eq!(p, Position { line: 3, column: 1 });
        assert_eq!(offset_of(text, p), text.find('f').expect("f"));
    }
}
