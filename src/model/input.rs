//! Reading a record: size limit, UTF-8 check, TOML or JSON parsed into one JSON tree that
//! remembers where in the file every value stood (for "line 14, column 9" in errors).

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::Path;

use serde_json::{Map, Number, Value};

use super::validate::InputError;

/// The largest record we read: 4 MiB. A paper with a hundred pages of reasoning is about
/// 300 KB; anything much larger is a mistake (a PDF or a log file passed by accident).
pub const MAX_INPUT_BYTES: u64 = 4 * 1024 * 1024;

/// How a record is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Json,
}

/// The text of one record, with the name used in messages.
#[derive(Debug, Clone)]
pub struct SourceText {
    /// File name as given (or `<stdin>`).
    pub name: String,
    pub format: Format,
    pub text: String,
}

/// Line and column (both from 1; the column counts characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

impl SourceText {
    /// Reads `path`; `-` reads JSON from standard input. The format follows the extension
    /// (`.toml`, `.json`).
    pub fn read(path: &Path) -> Result<SourceText, InputError> {
        let name = path.display().to_string();
        if path == Path::new("-") {
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .take(MAX_INPUT_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| InputError::Io {
                    name: "<stdin>".into(),
                    source: e,
                })?;
            return SourceText::from_bytes("<stdin>".into(), Format::Json, bytes);
        }
        let format = match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("toml") => Format::Toml,
            Some(ext) if ext.eq_ignore_ascii_case("json") => Format::Json,
            _ => return Err(InputError::UnknownFormat { name }),
        };
        let file = std::fs::File::open(path).map_err(|e| InputError::Io {
            name: name.clone(),
            source: e,
        })?;
        let size = file
            .metadata()
            .map_err(|e| InputError::Io {
                name: name.clone(),
                source: e,
            })?
            .len();
        if size > MAX_INPUT_BYTES {
            return Err(InputError::TooLarge { name, size });
        }
        let mut bytes = Vec::with_capacity(size as usize);
        file.take(MAX_INPUT_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| InputError::Io {
                name: name.clone(),
                source: e,
            })?;
        SourceText::from_bytes(name, format, bytes)
    }

    /// Checks size and encoding of bytes that are already in memory.
    pub fn from_bytes(
        name: String,
        format: Format,
        bytes: Vec<u8>,
    ) -> Result<SourceText, InputError> {
        if bytes.len() as u64 > MAX_INPUT_BYTES {
            return Err(InputError::TooLarge {
                name,
                size: bytes.len() as u64,
            });
        }
        match String::from_utf8(bytes) {
            Ok(text) => Ok(SourceText { name, format, text }),
            Err(err) => {
                let offset = err.utf8_error().valid_up_to();
                let bytes = err.into_bytes();
                let valid = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
                Err(InputError::NotUtf8 {
                    name,
                    offset,
                    byte: bytes[offset],
                    at: position_in(valid, offset),
                })
            }
        }
    }

    /// Line and column of a byte offset in this text.
    /// The record as a JSON tree, parsed but not validated: a reviewed draft that is not a
    /// valid record yet may still give what is known of a legacy paper.
    pub fn parse_value(&self) -> Result<Value, InputError> {
        Ok(Document::parse(self)?.value)
    }

    pub fn position(&self, offset: usize) -> Position {
        position_in(&self.text, offset)
    }
}

fn position_in(text: &str, offset: usize) -> Position {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary(offset)];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Position {
        line: before.matches('\n').count() + 1,
        column: before[line_start..].chars().count() + 1,
    }
}

/// A parsed record: the JSON tree and the byte offset of every value, keyed by JSON pointer
/// (`/beratungsfolge/2/datum`).
/// The offset of the first `[` or `{` (outside strings and comments) that opens more than
/// [`super::limits::RECORD_NESTING`] levels. A scan of the bytes, without recursion.
fn too_deep(text: &str, format: Format) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'[' | b'{' => {
                depth += 1;
                if depth > super::limits::RECORD_NESTING {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'#' if format == Format::Toml => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            quote @ (b'"' | b'\'') if quote == b'"' || format == Format::Toml => {
                let triple = format == Format::Toml && bytes[i..].starts_with(&[quote; 3]);
                let escapes = quote == b'"';
                i += if triple { 3 } else { 1 };
                while i < bytes.len() {
                    if escapes && bytes[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if triple {
                        if bytes[i..].starts_with(&[quote; 3]) {
                            // A closing triple may be followed by one or two more quotes that
                            // belong to the string.
                            i += 3;
                            while i < bytes.len() && bytes[i] == quote {
                                i += 1;
                            }
                            break;
                        }
                    } else if bytes[i] == quote || bytes[i] == b'\n' {
                        break;
                    }
                    i += 1;
                }
                if !triple {
                    i += 1;
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[derive(Debug, Default)]
pub struct Document {
    pub value: Value,
    pub offsets: HashMap<String, usize>,
}

impl Document {
    /// Parses TOML or JSON. Syntax errors and duplicate keys are reported with their position.
    pub fn parse(source: &SourceText) -> Result<Document, InputError> {
        let mut doc = Document::default();
        let syntax = |offset: usize, message: String| InputError::Syntax {
            name: source.name.clone(),
            at: source.position(offset),
            message,
        };
        // The parsers and everything after them walk the tree recursively: refuse a record
        // nested deeper than any paper before it reaches them.
        if let Some(offset) = too_deep(&source.text, source.format) {
            return Err(syntax(
                offset,
                format!(
                    "lists and tables are nested more than {} deep here; a record nests at most four",
                    super::limits::RECORD_NESTING
                ),
            ));
        }
        match source.format {
            Format::Toml => {
                let table = toml::de::DeTable::parse(&source.text).map_err(|e| {
                    syntax(
                        e.span().map_or(0, |s| s.start),
                        e.message().trim().to_string(),
                    )
                })?;
                let span = table.span();
                doc.value = doc.convert_toml_table(String::new(), span.start, table.into_inner());
            }
            Format::Json => {
                let options = jsonc_parser::ParseOptions {
                    allow_comments: false,
                    allow_loose_object_property_names: false,
                    allow_trailing_commas: false,
                    allow_missing_commas: false,
                    allow_single_quoted_strings: false,
                    allow_hexadecimal_numbers: false,
                    allow_unary_plus_numbers: false,
                    allow_bare_decimal_point_numbers: false,
                    allow_non_finite_numbers: false,
                    allow_extended_string_escapes: false,
                };
                let parsed =
                    jsonc_parser::parse_to_ast(&source.text, &Default::default(), &options)
                        .map_err(|e| syntax(e.range().start, e.kind().to_string()))?;
                let Some(root) = parsed.value else {
                    return Err(syntax(0, "the file is empty".into()));
                };
                doc.value = doc
                    .convert_json(String::new(), root)
                    .map_err(|(offset, message)| syntax(offset, message))?;
            }
        }
        Ok(doc)
    }

    fn convert_toml_table(
        &mut self,
        pointer: String,
        offset: usize,
        table: toml::de::DeTable<'_>,
    ) -> Value {
        self.offsets.insert(pointer.clone(), offset);
        let mut map = Map::new();
        for (key, value) in table {
            let child = format!("{pointer}/{}", escape(key.get_ref()));
            map.insert(
                key.into_inner().into_owned(),
                self.convert_toml(child, value),
            );
        }
        Value::Object(map)
    }

    fn convert_toml(
        &mut self,
        pointer: String,
        value: toml::Spanned<toml::de::DeValue<'_>>,
    ) -> Value {
        use toml::de::DeValue;
        let offset = value.span().start;
        self.offsets.insert(pointer.clone(), offset);
        match value.into_inner() {
            DeValue::String(s) => Value::String(s.into_owned()),
            DeValue::Integer(i) => i64::from_str_radix(&i.as_str().replace('_', ""), i.radix())
                .map_or_else(
                    |_| Value::String(i.as_str().to_string()),
                    |n| Value::Number(n.into()),
                ),
            DeValue::Float(f) => f
                .as_str()
                .replace('_', "")
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map_or_else(|| Value::String(f.as_str().to_string()), Value::Number),
            DeValue::Boolean(b) => Value::Bool(b),
            // A TOML date (`datum = 2012-04-25`) is the same as the string "2012-04-25".
            DeValue::Datetime(d) => Value::String(d.to_string()),
            DeValue::Array(items) => Value::Array(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| self.convert_toml(format!("{pointer}/{i}"), item))
                    .collect(),
            ),
            DeValue::Table(table) => self.convert_toml_table(pointer, offset, table),
        }
    }

    fn convert_json(
        &mut self,
        pointer: String,
        value: jsonc_parser::ast::Value<'_>,
    ) -> Result<Value, (usize, String)> {
        use jsonc_parser::ast::Value as J;
        let offset = match &value {
            J::StringLit(v) => v.range.start,
            J::NumberLit(v) => v.range.start,
            J::BooleanLit(v) => v.range.start,
            J::Object(v) => v.range.start,
            J::Array(v) => v.range.start,
            J::NullKeyword(v) => v.range.start,
        };
        self.offsets.insert(pointer.clone(), offset);
        Ok(match value {
            J::StringLit(s) => Value::String(s.value.into_owned()),
            J::NumberLit(n) => serde_json::from_str::<Number>(n.value)
                .map(Value::Number)
                .map_err(|_| (offset, format!("{} is not a number", n.value)))?,
            J::BooleanLit(b) => Value::Bool(b.value),
            J::NullKeyword(_) => Value::Null,
            J::Array(a) => Value::Array(
                a.elements
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| self.convert_json(format!("{pointer}/{i}"), item))
                    .collect::<Result<_, _>>()?,
            ),
            J::Object(o) => {
                let mut map = Map::new();
                for prop in o.properties {
                    let key = prop.name.into_string();
                    if map.contains_key(&key) {
                        return Err((prop.range.start, format!("duplicate key \"{key}\"")));
                    }
                    let child = format!("{pointer}/{}", escape(&key));
                    let value = self.convert_json(child, prop.value)?;
                    map.insert(key, value);
                }
                Value::Object(map)
            }
        })
    }
}

/// Escapes a key for a JSON pointer (RFC 6901).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(format: Format, text: &str) -> SourceText {
        SourceText {
            name: "t".into(),
            format,
            text: text.into(),
        }
    }

    #[test]
    fn nesting_is_limited_before_parsing() {
        let deep =
            |open: &str, close: &str| format!("{}{}", open.repeat(100_000), close.repeat(100_000));
        for (format, text) in [
            (Format::Json, format!("{{\"betreff\": {}}}", deep("[", "]"))),
            (
                Format::Json,
                format!("{}1{}", "{\"a\":".repeat(50_000), "}".repeat(50_000)),
            ),
            (Format::Toml, format!("betreff = {}", deep("[", "]"))),
            (Format::Toml, format!("betreff = {}", deep("{a=", "}"))),
        ] {
            let e = Document::parse(&source(format, &text))
                .unwrap_err()
                .to_string();
            assert!(e.contains("nested more than 32 deep"), "{e}");
        }
        // Brackets in strings and comments do not count.
        let brackets = "[".repeat(100);
        let text = format!(
            "# {brackets}\na = \"{brackets}\"\nb = '{brackets}'\nc = \"\"\"\n{brackets}\"\"\"\"\nd = '''{brackets}'''\n"
        );
        assert_eq!(too_deep(&text, Format::Toml), None);
        let json = format!("{{\"a\": \"\\\"{brackets}\"}}");
        assert_eq!(too_deep(&json, Format::Json), None, "{json}");
        assert_eq!(too_deep(&"[".repeat(33), Format::Json), Some(32));
    }

    #[test]
    fn toml_values_keep_their_positions() {
        let src = source(
            Format::Toml,
            "betreff = \"Ä\"\n[[beratungsfolge]]\ndatum = 2012-05-08\n",
        );
        let doc = Document::parse(&src).unwrap();
        assert_eq!(doc.value["beratungsfolge"][0]["datum"], "2012-05-08");
        let at = src.position(doc.offsets["/beratungsfolge/0/datum"]);
        assert_eq!(at, Position { line: 3, column: 9 });
    }

    #[test]
    fn json_values_keep_their_positions_and_refuse_duplicates() {
        let src = source(
            Format::Json,
            "{\n  \"betreff\": \"x\",\n  \"a\": [1, true]\n}",
        );
        let doc = Document::parse(&src).unwrap();
        assert_eq!(
            src.position(doc.offsets["/a/1"]),
            Position {
                line: 3,
                column: 12
            }
        );
        let dup = source(Format::Json, "{\"a\": 1,\n \"a\": 2}");
        let err = Document::parse(&dup).unwrap_err().to_string();
        assert!(
            err.contains("duplicate key \"a\"") && err.contains("line 2"),
            "{err}"
        );
    }

    #[test]
    fn invalid_utf8_names_the_byte() {
        let err = SourceText::from_bytes(
            "x.toml".into(),
            Format::Toml,
            b"a = 1\nb = \"\xff\"".to_vec(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("0xFF") && err.contains("line 2, column 6"),
            "{err}"
        );
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = Document::parse(&source(Format::Toml, "a = 1\nb = \n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
        let err = Document::parse(&source(Format::Json, "{\"a\": 1,}"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 1"), "{err}");
    }
}
