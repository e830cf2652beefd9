//! Every other object of the signed revision, compared by content and named as a clerk knows
//! it: "the embedded font file of LiberationSans (object 218 0 R, used on pages 1–4)".

use std::collections::{BTreeSet, HashMap};

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::Comparison;
use super::values::{dict, name_of, r, resolve, same};

impl Comparison<'_> {
    /// Every other object of the signed revision must be unchanged.
    pub(super) fn objects(&mut self) {
        let (then, now) = (self.then, self.now);
        let described = describe(then);
        let mut ids: Vec<&ObjectId> = then.objects.keys().collect();
        ids.sort();
        for id in ids {
            if self.judged.contains(id) {
                continue;
            }
            let what = || match described.get(id) {
                Some(d) => d.format(*id),
                None => r(*id),
            };
            match now.objects.get(id) {
                None => self.forbid(format!("removes {}", what())),
                Some(new) if !same(&then.objects[id], new) => {
                    self.forbid(format!("changes {}", what()))
                }
                Some(_) => {}
            }
        }
    }
}

/// What an object of the signed revision is, for the problem line.
struct Described {
    what: String,
    pages: BTreeSet<u32>,
}

impl Described {
    fn format(&self, id: ObjectId) -> String {
        let pages: Vec<u32> = self.pages.iter().copied().collect();
        let used = match pages.len() {
            0 => String::new(),
            1 => format!(", used on page {}", pages[0]),
            _ => format!(", used on pages {}", page_ranges(&pages)),
        };
        format!("{} ({}{used})", self.what, r(id))
    }
}

/// `1–4, 6`.
fn page_ranges(pages: &[u32]) -> String {
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for &p in pages {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == p => *end = p,
            _ => runs.push((p, p)),
        }
    }
    runs.iter()
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}–{b}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Names for the objects of `doc` a clerk can act on: fonts and their parts, images, form
/// XObjects (with the pages that use them), content streams, the page and structure trees.
fn describe(doc: &Document) -> HashMap<ObjectId, Described> {
    let mut out: HashMap<ObjectId, Described> = HashMap::new();
    let mut note = |id: ObjectId, what: String, pages: &BTreeSet<u32>| {
        let entry = out.entry(id).or_insert_with(|| Described {
            what,
            pages: BTreeSet::new(),
        });
        entry.pages.extend(pages);
    };
    // Which pages use which fonts and XObjects (directly from their resources).
    let mut used: HashMap<ObjectId, BTreeSet<u32>> = HashMap::new();
    for (number, page) in doc.get_pages() {
        for id in doc.get_page_contents(page) {
            note(
                id,
                format!("the content stream of page {number}"),
                &BTreeSet::new(),
            );
        }
        let Ok((direct, ids)) = doc.get_page_resources(page) else {
            continue;
        };
        let dicts = direct
            .into_iter()
            .chain(ids.iter().filter_map(|id| doc.get_dictionary(*id).ok()));
        for resources in dicts {
            for kind in [&b"Font"[..], b"XObject"] {
                let Some(entries) = resources.get(kind).ok().and_then(|d| dict(doc, d)) else {
                    continue;
                };
                for (_, value) in entries.iter() {
                    if let Ok(id) = value.as_reference() {
                        used.entry(id).or_default().insert(number);
                    }
                }
            }
        }
    }
    let none = BTreeSet::new();
    for (&id, object) in &doc.objects {
        let d = match object {
            Object::Dictionary(d) => d,
            Object::Stream(s) => &s.dict,
            _ => continue,
        };
        let pages = used.get(&id).unwrap_or(&none);
        let kind = name_of(d, b"Type");
        let subtype = name_of(d, b"Subtype");
        match (kind.as_deref(), subtype.as_deref()) {
            (Some("Font"), _) => {
                let name = font_name(d);
                note(id, format!("the font {name}"), pages);
                let mut parts: Vec<(ObjectId, String)> = Vec::new();
                if let Ok(Object::Array(descendants)) =
                    d.get(b"DescendantFonts").map(|o| resolve(doc, o))
                {
                    for descendant in descendants {
                        let Ok(did) = descendant.as_reference() else {
                            continue;
                        };
                        parts.push((did, format!("the font {name}")));
                        if let Ok(dd) = doc.get_dictionary(did) {
                            font_parts(doc, dd, &name, &mut parts);
                        }
                    }
                }
                font_parts(doc, d, &name, &mut parts);
                for (part, what) in parts {
                    note(part, what, pages);
                }
            }
            (Some("Pages"), _) => note(id, "the page tree".into(), pages),
            (Some("StructTreeRoot" | "StructElem"), _) => {
                note(id, "the structure tree (tagging)".into(), pages)
            }
            (Some("Outlines"), _) => note(id, "the bookmarks".into(), pages),
            (Some("OutputIntent"), _) => note(id, "the output intent (PDF/A)".into(), pages),
            (Some("Annot"), Some(subtype)) => note(id, format!("the {subtype} annotation"), pages),
            (_, Some("Image")) => note(id, "an image".into(), pages),
            (_, Some("Form")) if matches!(object, Object::Stream(_)) => {
                note(id, "a form XObject (drawn content)".into(), pages)
            }
            _ => {}
        }
    }
    out
}

/// `LiberationSans` for `ABCDEF+LiberationSans`.
fn font_name(font: &Dictionary) -> String {
    let name = name_of(font, b"BaseFont").unwrap_or_else(|| "(unnamed)".into());
    match name.split_once('+') {
        Some((tag, rest)) if tag.len() == 6 && tag.chars().all(|c| c.is_ascii_uppercase()) => {
            rest.to_string()
        }
        _ => name,
    }
}

/// A font's descriptor, embedded file and text mapping.
fn font_parts(doc: &Document, font: &Dictionary, name: &str, parts: &mut Vec<(ObjectId, String)>) {
    if let Ok(id) = font.get(b"ToUnicode").and_then(Object::as_reference) {
        parts.push((
            id,
            format!("the text mapping (ToUnicode) of the font {name}"),
        ));
    }
    let Ok(descriptor) = font.get(b"FontDescriptor").and_then(Object::as_reference) else {
        return;
    };
    parts.push((descriptor, format!("the font descriptor of {name}")));
    if let Ok(d) = doc.get_dictionary(descriptor) {
        for key in [&b"FontFile"[..], b"FontFile2", b"FontFile3"] {
            if let Ok(id) = d.get(key).and_then(Object::as_reference) {
                parts.push((id, format!("the embedded font file of {name}")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_lists_are_compact() {
        assert_eq!(page_ranges(&[1, 2, 3, 4, 6, 8, 9]), "1–4, 6, 8–9");
    }
}
