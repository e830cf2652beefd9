//! Tidy tests over the source of `src/`: each layer uses only the modules it may, and no
//! source file grows past 700 lines.
//!
//! The files are read as text (no parser): comments and string literals are blanked out,
//! then every `crate::m` path counts as a use of `m`, in `use` lines (grouped ones too:
//! `use crate::{m, n::x}`, over several lines) and inline (`crate::m::f(…)`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What a layer must not use.
enum Forbidden {
    /// These modules of the crate.
    These(&'static [&'static str]),
    /// Everything under `crate::` except the layer itself (items of the crate root such as
    /// `crate::VERSION` too).
    AllButItself,
}

/// The layers: a folder `src/<layer>/` (or a file `src/<layer>.rs`) → the `crate::` modules
/// its files must not use. (One line per layer, so that ARCHITECTURE.md can quote the table
/// as it stands.)
#[rustfmt::skip]
const LAYERS: &[(&str, Forbidden)] = &[
    ("model",   Forbidden::AllButItself),
    ("legacy",  Forbidden::These(&["archive", "search", "render", "sign", "config", "server", "commands", "publish", "error", "demo"])),
    ("harvest", Forbidden::These(&["archive", "search", "render", "sign", "config", "server", "commands", "publish", "error", "demo"])),
    ("archive", Forbidden::These(&["render", "sign", "search", "config", "server", "commands", "publish", "error"])),
    ("search",  Forbidden::These(&["archive", "server", "commands", "publish", "config", "error"])),
    ("render",  Forbidden::These(&["archive", "server", "commands", "publish", "config", "error"])),
    ("sign",    Forbidden::These(&["archive", "search", "render", "server", "commands", "publish", "config", "error"])),
    ("config",  Forbidden::These(&["archive", "search", "server", "commands", "publish", "error"])),
    ("publish", Forbidden::These(&["server", "commands", "error"])),
    ("error",   Forbidden::These(&["server", "commands"])),
    ("server",  Forbidden::These(&["commands"])),
];

/// No source file may have more lines than this.
const MAX_LINES: usize = 700;

/// Files allowed to be longer (generated or data files), with the reason. Paths relative to
/// the crate root, e.g. `("src/x/table.rs", "generated from …")`.
const LONG_FILE_EXEMPTIONS: &[(&str, &str)] = &[];

#[test]
fn layers_use_only_what_they_may() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut violations = String::new();
    for (layer, forbidden) in LAYERS {
        let mut files = rust_files(&root.join("src").join(layer));
        let single = root.join("src").join(format!("{layer}.rs"));
        if single.is_file() {
            files.push(single);
        }
        assert!(
            !files.is_empty(),
            "the layer {layer} has neither src/{layer}/ nor src/{layer}.rs: is the table out of date?"
        );
        for file in files {
            let text = std::fs::read_to_string(&file).expect("a source file is readable");
            for (line, module) in crate_uses(&text) {
                let refused = match forbidden {
                    Forbidden::These(modules) => modules.contains(&module.as_str()),
                    Forbidden::AllButItself => module != *layer,
                };
                if refused {
                    writeln!(
                        violations,
                        "{}:{line}: {layer} must not use crate::{module}",
                        relative(root, &file)
                    )
                    .unwrap();
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "layer violations:\n{violations}(the rules are the table LAYERS in tests/layers.rs)"
    );
}

#[test]
fn no_source_file_is_longer_than_700_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = rust_files(&root.join("src"));
    assert!(!files.is_empty(), "found no .rs files under src/");
    let mut long = String::new();
    for file in files {
        let name = relative(root, &file);
        if LONG_FILE_EXEMPTIONS.iter().any(|(path, _)| *path == name) {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("a source file is readable");
        let lines = text.lines().count();
        if lines > MAX_LINES {
            writeln!(long, "{name}: {lines} lines").unwrap();
        }
    }
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines (split them along their seams):\n{long}"
    );
}

#[test]
fn the_scanner_sees_grouped_and_inline_uses_but_not_comments_or_strings() {
    let source = r###"//! Mentions crate::doc_comment in a doc comment.
use std::fmt;
use crate::{
    grouped_one,
    grouped_two::{Thing, other},
};
/// Calls crate::doc_item.
fn f() {
    // crate::line_comment
    /* crate::block_comment /* nested crate::nested */ */
    let s = "crate::string";
    let r = r#"crate::raw_string " still raw"#;
    let c = '"';
    let t: &'static str = "x";
    crate::inline::call(s);
}
pub(crate) use crate::single as renamed;
"###;
    let found: Vec<(usize, String)> = crate_uses(source);
    let expected: Vec<(usize, String)> = [
        (4, "grouped_one"),
        (5, "grouped_two"),
        (15, "inline"),
        (17, "single"),
    ]
    .into_iter()
    .map(|(line, module)| (line, module.to_string()))
    .collect();
    assert_eq!(found, expected);
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("a directory entry is readable").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// `src/archive/mod.rs` for the file's path.
fn relative(root: &Path, file: &Path) -> String {
    let path = file.strip_prefix(root).unwrap_or(file);
    path.to_string_lossy().replace('\\', "/")
}

/// The modules of the crate that `source` uses, with the line of each use: `crate::m` and
/// each item of a group `crate::{m, n::x}` (the line is the one naming the module).
fn crate_uses(source: &str) -> Vec<(usize, String)> {
    let code: Vec<char> = code_only(source).chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(start) = find_word(&code, i, "crate") {
        i = start + "crate".len();
        let mut j = skip_space(&code, i);
        if !(code.get(j) == Some(&':') && code.get(j + 1) == Some(&':')) {
            continue;
        }
        j = skip_space(&code, j + 2);
        if code.get(j) == Some(&'{') {
            // A group: the first name of each item at the group's top level.
            let mut depth = 1;
            let mut item_start = true;
            j += 1;
            while j < code.len() && depth > 0 {
                let c = code[j];
                if c == '{' {
                    depth += 1;
                } else if c == '}' {
                    depth -= 1;
                } else if c == ',' && depth == 1 {
                    item_start = true;
                } else if item_start && is_ident_char(c) {
                    let name = ident_at(&code, j);
                    if name != "self" {
                        out.push((line_of(&code, j), name.clone()));
                    }
                    item_start = false;
                    j += name.chars().count();
                    continue;
                }
                j += 1;
            }
            i = j;
        } else if code.get(j).is_some_and(|c| is_ident_char(*c)) {
            let name = ident_at(&code, j);
            out.push((line_of(&code, j), name));
        }
    }
    out
}

/// The position of the next `word` at or after `from` that is not part of a longer name.
fn find_word(code: &[char], from: usize, word: &str) -> Option<usize> {
    let word: Vec<char> = word.chars().collect();
    let mut i = from;
    while i + word.len() <= code.len() {
        let before_ok = i == 0 || !is_ident_char(code[i - 1]);
        let after_ok = code.get(i + word.len()).is_none_or(|c| !is_ident_char(*c));
        if before_ok && after_ok && code[i..i + word.len()] == word[..] {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn skip_space(code: &[char], mut i: usize) -> usize {
    while code.get(i).is_some_and(|c| c.is_whitespace()) {
        i += 1;
    }
    i
}

fn ident_at(code: &[char], start: usize) -> String {
    code[start..]
        .iter()
        .take_while(|c| is_ident_char(**c))
        .collect()
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The 1-based line of position `i`.
fn line_of(code: &[char], i: usize) -> usize {
    1 + code[..i].iter().filter(|c| **c == '\n').count()
}

/// `source` with comments (line, doc and nested block comments), string literals (plain,
/// byte and raw) and character literals replaced by spaces; line breaks are kept, so lines
/// keep their numbers.
fn code_only(source: &str) -> String {
    let s: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    // Writes a blank for what is skipped, keeping line breaks.
    let blank = |out: &mut String, part: &[char]| {
        for c in part {
            out.push(if *c == '\n' { '\n' } else { ' ' });
        }
    };
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        let next = s.get(i + 1).copied();
        let starts_name = i == 0 || !is_ident_char(s[i - 1]);
        if c == '/' && next == Some('/') {
            let end = s[i..]
                .iter()
                .position(|c| *c == '\n')
                .map_or(s.len(), |n| i + n);
            blank(&mut out, &s[i..end]);
            i = end;
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            let mut j = i;
            while j < s.len() {
                if s[j] == '/' && s.get(j + 1) == Some(&'*') {
                    depth += 1;
                    j += 2;
                } else if s[j] == '*' && s.get(j + 1) == Some(&'/') {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            let end = j.min(s.len());
            blank(&mut out, &s[i..end]);
            i = end;
        } else if let Some(end) = raw_string_end(&s, i).filter(|_| starts_name) {
            blank(&mut out, &s[i..end]);
            i = end;
        } else if c == '"' {
            let mut j = i + 1;
            while j < s.len() && s[j] != '"' {
                j += if s[j] == '\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(s.len());
            blank(&mut out, &s[i..end]);
            i = end;
        } else if c == '\'' && next == Some('\\') {
            // An escaped character literal: '\'' '\n' '\u{..}'.
            let mut j = i + 2;
            while j < s.len() && s[j] != '\'' {
                j += 1;
            }
            let end = (j + 1).min(s.len());
            blank(&mut out, &s[i..end]);
            i = end;
        } else if c == '\'' && s.get(i + 2) == Some(&'\'') {
            // A character literal such as '"' (a lifetime has no closing quote).
            blank(&mut out, &s[i..i + 3]);
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Where the raw string literal starting at `i` (`r"…"`, `r#"…"#`, `br#"…"#`) ends, if one
/// starts there.
fn raw_string_end(s: &[char], i: usize) -> Option<usize> {
    let mut j = i;
    if s.get(j) == Some(&'b') || s.get(j) == Some(&'c') {
        j += 1;
    }
    if s.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = s[j..].iter().take_while(|c| **c == '#').count();
    j += hashes;
    if s.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    let closing: Vec<char> = std::iter::once('"')
        .chain(std::iter::repeat_n('#', hashes))
        .collect();
    while j < s.len() {
        if s[j..].starts_with(&closing) {
            return Some(j + closing.len());
        }
        j += 1;
    }
    Some(s.len())
}
