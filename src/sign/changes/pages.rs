//! Pages by number (content, resources, boxes, rotation) and the annotations on them.

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::form::{field_kind, field_of, field_type, field_value, full_name, is_signed};
use super::values::{
    dict, differing_keys, list, name_of, r, resolve, same, same_entry, same_value, value_text,
};
use super::{Comparison, MAX_DEPTH};
use crate::sign::xmp;

/// Page entries compared on their own (or allowed to change: `/Annots`).
const PAGE_OWN: &[&[u8]] = &[
    b"Annots",
    b"Parent",
    b"Contents",
    b"Resources",
    b"MediaBox",
    b"CropBox",
    b"Rotate",
];
/// Page entries a page inherits from the page tree.
const PAGE_INHERITED: &[&[u8]] = &[b"MediaBox", b"CropBox", b"Rotate"];

impl Comparison<'_> {
    /// Pages by number: content, resources, boxes, rotation and every other entry except
    /// `/Annots`.
    pub(super) fn pages(&mut self) {
        let (then, now) = (self.then, self.now);
        let old_pages = then.get_pages();
        let new_pages = now.get_pages();
        if old_pages.len() != new_pages.len() {
            self.forbid(format!(
                "changes the number of pages from {} to {}",
                old_pages.len(),
                new_pages.len()
            ));
        }
        for (number, old_id) in &old_pages {
            self.judged.insert(*old_id);
            self.judged.extend(then.get_page_contents(*old_id));
            let Some(new_id) = new_pages.get(number) else {
                continue;
            };
            let content_changed = then.get_page_content(*old_id) != now.get_page_content(*new_id);
            let resources = |doc: &Document, id| {
                doc.get_page_resources(id)
                    .ok()
                    .map(|(dict, ids)| (dict.cloned(), ids))
            };
            if content_changed || resources(then, *old_id) != resources(now, *new_id) {
                self.forbid(format!("changes the content of page {number}"));
            }
            let (Ok(old), Ok(new)) = (then.get_dictionary(*old_id), now.get_dictionary(*new_id))
            else {
                continue;
            };
            let mut keys = differing_keys(then, old, now, new, PAGE_OWN);
            for key in PAGE_INHERITED {
                let a = inherited(then, old, key);
                let b = inherited(now, new, key);
                let equal = match (a, b) {
                    (Some(a), Some(b)) => same_value(then, a, now, b),
                    (None, None) => true,
                    _ => false,
                };
                if !equal {
                    keys.push(format!("/{}", String::from_utf8_lossy(key)));
                }
            }
            if !keys.is_empty() {
                keys.sort();
                self.forbid(format!("changes page {number} in {}", list(&keys)));
            }
        }
    }

    /// The pages' annotations: new ones are reported (widgets of new fields as form changes,
    /// invisible signatures not at all), removed or changed signed ones are forbidden.
    pub(super) fn annotations(&mut self) {
        let (then, now) = (self.then, self.now);
        let new_pages = now.get_pages();
        for (number, old_page) in then.get_pages() {
            let Some(&new_page) = new_pages.get(&number) else {
                continue;
            };
            let (old_array, old) = annots(then, old_page);
            let (_, new) = annots(now, new_page);
            self.judged.extend(old_array);
            let added: Vec<&Object> = new
                .iter()
                .filter(|n| !old.iter().any(|o| same_entry(o, n)))
                .collect();
            let added_ids: Vec<ObjectId> =
                added.iter().filter_map(|o| o.as_reference().ok()).collect();
            for entry in &added {
                self.added_annotation(number, entry, &added_ids);
            }
            for entry in &old {
                let id = entry.as_reference().ok();
                let Some(old_annot) = dict(then, entry) else {
                    continue;
                };
                let kind = annotation_kind(then, old_annot);
                if is_widget(old_annot) {
                    // Judged with the form; a widget taken off the page is a removal.
                    if !new.iter().any(|n| same_entry(entry, n)) {
                        let what = match id {
                            Some(id) => format!(" ({})", r(id)),
                            None => String::new(),
                        };
                        self.forbid(format!("removes {kind}{what} from page {number}"));
                    }
                    continue;
                }
                let Some(id) = id else {
                    if !new.iter().any(|n| same_entry(entry, n)) {
                        self.forbid(format!("removes {kind} from page {number}"));
                    }
                    continue;
                };
                self.judged.insert(id);
                if !new.iter().any(|n| same_entry(entry, n)) {
                    self.forbid(format!("removes {kind} ({}) from page {number}", r(id)));
                } else if let (Some(old_annot), Some(new_annot)) =
                    (then.objects.get(&id), now.objects.get(&id))
                    && !same(old_annot, new_annot)
                {
                    self.forbid(format!("changes {kind} ({}) on page {number}", r(id)));
                }
            }
        }
    }

    fn added_annotation(&mut self, page: u32, entry: &Object, added: &[ObjectId]) {
        let now = self.now;
        let Some(annot) = dict(now, entry) else {
            return;
        };
        if is_widget(annot) {
            let field = field_of(now, entry);
            let (field_id, field_dict) = match field {
                Some((id, d)) => (id, d),
                None => (entry.as_reference().ok(), annot),
            };
            let name = full_name(now, field_dict);
            match field_type(now, field_dict).as_deref() {
                Some("Sig") => {
                    self.reported_fields.extend(field_id);
                    let signed = is_signed(now, field_dict);
                    if !signed {
                        self.changes.form.push(format!(
                            "adds the empty signature field \"{name}\" on page {page}"
                        ));
                    } else if is_visible(annot) {
                        self.changes.annotations.push(format!(
                            "adds the visible signature field \"{name}\" on page {page}"
                        ));
                    }
                }
                _ => {
                    let existed = field_id.is_some_and(|id| self.then.objects.contains_key(&id));
                    if existed {
                        self.changes.form.push(format!(
                            "adds a widget of the form field \"{name}\" on page {page}"
                        ));
                    } else {
                        let kind = field_kind(now, field_dict);
                        let value = match field_value(now, field_dict) {
                            Some(v) if v != "\"\"" => format!(" with the value {v}"),
                            _ => String::new(),
                        };
                        self.changes
                            .form
                            .push(format!("adds the {kind} \"{name}\" on page {page}{value}"));
                        self.reported_fields.extend(field_id);
                    }
                }
            }
            return;
        }
        let subtype = name_of(annot, b"Subtype").unwrap_or_default();
        if subtype == "Popup"
            && annot
                .get(b"Parent")
                .and_then(Object::as_reference)
                .is_ok_and(|p| added.contains(&p))
        {
            return;
        }
        let text = match subtype.as_str() {
            "Link" => annot
                .get(b"A")
                .ok()
                .and_then(|a| dict(now, a))
                .and_then(|a| a.get(b"URI").ok())
                .map(|u| value_text(now, resolve(now, u))),
            _ => annot
                .get(b"Contents")
                .ok()
                .map(|c| resolve(now, c))
                .and_then(|c| lopdf::decode_text_string(c).ok())
                .filter(|t| !t.trim().is_empty())
                .map(|t| xmp::quoted(&t)),
        };
        let kind = annotation_kind(now, annot);
        self.changes.annotations.push(match text {
            Some(text) => format!("adds {kind} on page {page}: {text}"),
            None => format!("adds {kind} on page {page}"),
        });
    }
}

/// A page's inherited entry (from the page itself or the nearest ancestor).
fn inherited<'a>(doc: &'a Document, page: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    let mut node = page;
    for _ in 0..MAX_DEPTH {
        if let Ok(value) = node.get(key) {
            return Some(resolve(doc, value));
        }
        node = node.get(b"Parent").ok().and_then(|p| dict(doc, p))?;
    }
    None
}

/// The page's `/Annots`: the array's object (when it is one) and its entries.
fn annots(doc: &Document, page: ObjectId) -> (Option<ObjectId>, Vec<Object>) {
    let Ok(page) = doc.get_dictionary(page) else {
        return (None, Vec::new());
    };
    match page.get(b"Annots") {
        Ok(Object::Reference(id)) => match doc.get_object(*id) {
            Ok(Object::Array(a)) => (Some(*id), a.clone()),
            _ => (Some(*id), Vec::new()),
        },
        Ok(Object::Array(a)) => (None, a.clone()),
        _ => (None, Vec::new()),
    }
}

pub(super) fn is_widget(d: &Dictionary) -> bool {
    name_of(d, b"Subtype").as_deref() == Some("Widget")
}

/// "a FreeText annotation", "an Ink annotation", "the widget of the form field "X"".
fn annotation_kind(doc: &Document, annot: &Dictionary) -> String {
    if is_widget(annot) {
        let name = match annot.get(b"Parent").ok().and_then(|p| dict(doc, p)) {
            Some(parent) if !annot.has(b"T") => full_name(doc, parent),
            _ => full_name(doc, annot),
        };
        return format!("the widget of the form field \"{name}\"");
    }
    let subtype = name_of(annot, b"Subtype").unwrap_or_else(|| "unknown".into());
    let article = if subtype.starts_with(['A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {subtype} annotation")
}

/// Visible: an area on the page, and neither hidden nor no-view.
pub(super) fn is_visible(annot: &Dictionary) -> bool {
    let flags = annot.get(b"F").and_then(Object::as_i64).unwrap_or(0);
    if flags & (2 | 32) != 0 {
        return false;
    }
    let Ok(Object::Array(rect)) = annot.get(b"Rect") else {
        return false;
    };
    let n: Vec<f64> = rect
        .iter()
        .filter_map(|o| match o {
            Object::Integer(i) => Some(*i as f64),
            Object::Real(f) => Some(f64::from(*f)),
            _ => None,
        })
        .collect();
    matches!(n[..], [x1, y1, x2, y2] if (x2 - x1).abs() > 0.0 && (y2 - y1).abs() > 0.0)
}

#[cfg(test)]
mod tests {
    use super::super::compare;
    use super::super::tests::{dict_mut, page, signed};
    use super::super::values::trailer_ref;
    use super::*;

    #[test]
    fn an_inherited_rotation_changes_the_page() {
        let then = signed();
        let mut now = then.clone();
        let pages = trailer_ref(&now, b"Root")
            .and_then(|c| {
                now.get_dictionary(c)
                    .ok()?
                    .get(b"Pages")
                    .ok()?
                    .as_reference()
                    .ok()
            })
            .unwrap();
        dict_mut(&mut now, pages).set("Rotate", 90);
        let changes = compare(&then, &now);
        assert!(
            changes
                .forbidden
                .contains(&"changes page 1 in /Rotate".to_string()),
            "{changes:#?}"
        );
        assert!(
            changes
                .forbidden
                .contains(&format!("changes the page tree ({})", r(pages))),
            "{changes:#?}"
        );
    }

    #[test]
    fn removing_or_changing_a_signed_annotation_is_forbidden() {
        let then = signed();
        let page = page(&then);
        let link = then
            .get_dictionary(page)
            .unwrap()
            .get(b"Annots")
            .unwrap()
            .as_array()
            .unwrap()[1]
            .as_reference()
            .unwrap();

        let mut removed = then.clone();
        let annots = dict_mut(&mut removed, page).get_mut(b"Annots").unwrap();
        annots.as_array_mut().unwrap().pop();
        assert_eq!(
            compare(&then, &removed).forbidden,
            [format!(
                "removes a Link annotation ({}) from page 1",
                r(link)
            )]
        );

        let mut changed = then.clone();
        dict_mut(&mut changed, link).set("Rect", vec![0.into(), 0.into(), 500.into(), 500.into()]);
        assert_eq!(
            compare(&then, &changed).forbidden,
            [format!("changes a Link annotation ({}) on page 1", r(link))]
        );
    }
}
