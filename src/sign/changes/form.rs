//! The form: its dictionary, the fields of the signed revision (filling in is reported, any
//! other change is forbidden), widgets and their appearance streams, fields added later.

use std::collections::{BTreeMap, BTreeSet};

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::pages::{is_visible, is_widget};
use super::values::{
    dict, differing_keys, list, name_of, r, resolve, same, same_dict, same_entry, same_entry_of,
    value_text,
};
use super::{Comparison, MAX_DEPTH};

/// Entries of the form dictionary a later update may change.
const FORM_MAY_CHANGE: &[&[u8]] = &[b"Fields", b"SigFlags", b"DR", b"DA", b"NeedAppearances"];
/// Entries of a field or widget that filling in a form changes.
const FILL_IN: &[&[u8]] = &[b"V", b"AP", b"AS"];

impl Comparison<'_> {
    /// The form: its dictionary, every field of the signed revision (fill-in is reported,
    /// anything else is forbidden), widgets and their appearances, fields added later.
    pub(super) fn form(&mut self) {
        let (then, now) = (self.then, self.now);
        let acro_form = |doc: &'_ Document| {
            doc.catalog()
                .ok()
                .and_then(|c| c.get(b"AcroForm").ok())
                .cloned()
        };
        let old_form_obj = acro_form(then);
        let new_form_obj = acro_form(now);
        if let Some(Object::Reference(id)) = &old_form_obj {
            self.judged.insert(*id);
        }
        let empty = Dictionary::new();
        let old_form = old_form_obj.as_ref().and_then(|o| dict(then, o));
        let new_form = new_form_obj.as_ref().and_then(|o| dict(now, o));
        let keys = differing_keys(
            then,
            old_form.unwrap_or(&empty),
            now,
            new_form.unwrap_or(&empty),
            FORM_MAY_CHANGE,
        );
        if !keys.is_empty() {
            let at = match &new_form_obj {
                Some(Object::Reference(id)) => format!(" ({})", r(*id)),
                _ => String::new(),
            };
            self.forbid(format!(
                "changes the form dictionary{at} in {}",
                list(&keys)
            ));
        }
        let old_fields = field_tree(then, old_form);
        let new_fields = field_tree(now, new_form);

        // Fields of the signed revision.
        for &id in &old_fields {
            self.judged.insert(id);
            let Ok(old) = then.get_dictionary(id) else {
                continue;
            };
            let name = full_name(then, old);
            let new = match now.get_dictionary(id) {
                Ok(new) if new_fields.contains(&id) => new,
                _ => {
                    self.forbid(format!("removes the form field \"{name}\" ({})", r(id)));
                    continue;
                }
            };
            if same_dict(then, old, now, new, &[]) {
                continue;
            }
            let mut other: Vec<String> = differing_keys(then, old, now, new, FILL_IN)
                .into_iter()
                .filter(|k| k != "/Kids" || !kids_only_added(then, old, now, new))
                .collect();
            let value_changed = !same_entry_of(then, old, now, new, b"V");
            let appearance_changed = !same_entry_of(then, old, now, new, b"AP")
                || !same_entry_of(then, old, now, new, b"AS");
            if field_type(then, old).as_deref() == Some("Sig") {
                if value_changed && old.get(b"V").is_ok() {
                    self.forbid(format!(
                        "replaces the signature in the field \"{name}\" ({})",
                        r(id)
                    ));
                } else if (value_changed || appearance_changed) && is_visible(new) {
                    self.changes
                        .annotations
                        .push(format!("signs the visible signature field \"{name}\""));
                }
            } else if value_changed {
                let a = field_value(then, old).unwrap_or_else(|| "(no value)".into());
                let b = field_value(now, new).unwrap_or_else(|| "(no value)".into());
                self.changes.form.push(format!(
                    "changes the value of the form field \"{name}\" ({}): {a} → {b}",
                    r(id)
                ));
            } else if appearance_changed {
                self.changes.form.push(format!(
                    "changes the appearance of the form field \"{name}\" ({})",
                    r(id)
                ));
            }
            if !other.is_empty() {
                other.sort();
                self.forbid(format!(
                    "changes the form field \"{name}\" ({}) in {}",
                    r(id),
                    list(&other)
                ));
            }
        }

        // Widgets of signed fields that are objects of their own, and the appearance streams
        // of every signed widget.
        let mut appearances: BTreeMap<ObjectId, String> = BTreeMap::new();
        for (&id, object) in &then.objects {
            let Object::Dictionary(old) = object else {
                continue;
            };
            if !is_widget(old) {
                continue;
            }
            let name = match field_of(then, &Object::Reference(id)) {
                Some((_, field)) => full_name(then, field),
                None => full_name(then, old),
            };
            for stream in appearance_streams(then, old) {
                appearances.entry(stream).or_insert_with(|| name.clone());
            }
            if old.has(b"FT") || old_fields.contains(&id) {
                continue;
            }
            self.judged.insert(id);
            let Ok(new) = now.get_dictionary(id) else {
                continue;
            };
            let mut other = differing_keys(then, old, now, new, FILL_IN);
            if !same_dict(then, old, now, new, &[]) && other.is_empty() {
                self.changes.form.push(format!(
                    "changes the appearance of the form field \"{name}\" ({})",
                    r(id)
                ));
            }
            if !other.is_empty() {
                other.sort();
                self.forbid(format!(
                    "changes the widget of the form field \"{name}\" ({}) in {}",
                    r(id),
                    list(&other)
                ));
            }
        }
        for (id, name) in appearances {
            self.judged.insert(id);
            let (Some(old), Some(new)) = (then.objects.get(&id), now.objects.get(&id)) else {
                continue;
            };
            if !same(old, new) {
                self.changes.form.push(format!(
                    "changes the appearance of the form field \"{name}\" ({})",
                    r(id)
                ));
            }
        }

        // Fields added later without a widget on a page.
        for &id in &new_fields {
            if old_fields.contains(&id) || self.reported_fields.contains(&id) {
                continue;
            }
            let Ok(field) = now.get_dictionary(id) else {
                continue;
            };
            if !field.has(b"T") && !field.has(b"FT") {
                // A widget of its parent field.
                continue;
            }
            let name = full_name(now, field);
            match field_type(now, field).as_deref() {
                Some("Sig") if is_signed(now, field) => {}
                Some("Sig") => self
                    .changes
                    .form
                    .push(format!("adds the empty signature field \"{name}\"")),
                _ => {
                    let kind = field_kind(now, field);
                    self.changes
                        .form
                        .push(format!("adds the {kind} \"{name}\""));
                }
            }
        }
    }
}

/// The field a widget belongs to: itself when it has a name or type, else its parent.
pub(super) fn field_of<'a>(
    doc: &'a Document,
    widget: &'a Object,
) -> Option<(Option<ObjectId>, &'a Dictionary)> {
    let id = widget.as_reference().ok();
    let d = dict(doc, widget)?;
    if d.has(b"T") || d.has(b"FT") || !d.has(b"Parent") {
        return Some((id, d));
    }
    let parent = d.get(b"Parent").ok()?;
    Some((parent.as_reference().ok(), dict(doc, parent)?))
}

/// The fully qualified field name (`parent.child`).
pub(super) fn full_name(doc: &Document, field: &Dictionary) -> String {
    let mut parts = Vec::new();
    let mut node = Some(field);
    for _ in 0..MAX_DEPTH {
        let Some(d) = node else { break };
        if let Ok(t) = d.get(b"T") {
            let t = resolve(doc, t);
            parts.push(
                lopdf::decode_text_string(t)
                    .unwrap_or_else(|_| String::from_utf8_lossy(t.as_str().unwrap_or(b"")).into()),
            );
        }
        node = d.get(b"Parent").ok().and_then(|p| dict(doc, p));
    }
    parts.reverse();
    if parts.is_empty() {
        "(unnamed)".into()
    } else {
        parts.join(".")
    }
}

/// `/FT`, inherited from the parents.
pub(super) fn field_type(doc: &Document, field: &Dictionary) -> Option<String> {
    let mut node = field;
    for _ in 0..MAX_DEPTH {
        if let Some(ft) = name_of(node, b"FT") {
            return Some(ft);
        }
        node = node.get(b"Parent").ok().and_then(|p| dict(doc, p))?;
    }
    None
}

/// "text field", "check box", …
pub(super) fn field_kind(doc: &Document, field: &Dictionary) -> &'static str {
    let flags = field.get(b"Ff").and_then(Object::as_i64).unwrap_or(0);
    match field_type(doc, field).as_deref() {
        Some("Tx") => "text field",
        Some("Btn") if flags & (1 << 16) != 0 => "push button",
        Some("Btn") if flags & (1 << 15) != 0 => "radio button group",
        Some("Btn") => "check box",
        Some("Ch") => "choice field",
        Some("Sig") => "signature field",
        _ => "form field",
    }
}

/// The field's `/V` for people, if it has one.
pub(super) fn field_value(doc: &Document, field: &Dictionary) -> Option<String> {
    field.get(b"V").ok().map(|v| value_text(doc, v))
}

/// A signature field whose `/V` is a signature dictionary.
pub(super) fn is_signed(doc: &Document, field: &Dictionary) -> bool {
    field
        .get(b"V")
        .ok()
        .and_then(|v| dict(doc, v))
        .is_some_and(|sig| sig.has(b"ByteRange"))
}

/// Whether the new `/Kids` keeps every old kid (new fields or widgets are judged on their own).
fn kids_only_added(a_doc: &Document, a: &Dictionary, b_doc: &Document, b: &Dictionary) -> bool {
    let kids = |doc: &Document, d: &Dictionary| -> Vec<Object> {
        match d.get(b"Kids").map(|k| resolve(doc, k)) {
            Ok(Object::Array(k)) => k.clone(),
            _ => Vec::new(),
        }
    };
    let new = kids(b_doc, b);
    kids(a_doc, a)
        .iter()
        .all(|o| new.iter().any(|n| same_entry(o, n)))
}

/// The ids of every field and widget in the form's field tree.
fn field_tree(doc: &Document, form: Option<&Dictionary>) -> BTreeSet<ObjectId> {
    let mut out = BTreeSet::new();
    let Some(form) = form else {
        return out;
    };
    let mut stack: Vec<Object> = match form.get(b"Fields").map(|f| resolve(doc, f)) {
        Ok(Object::Array(fields)) => fields.clone(),
        _ => Vec::new(),
    };
    while let Some(entry) = stack.pop() {
        let Ok(id) = entry.as_reference() else {
            continue;
        };
        if out.len() > 100_000 || !out.insert(id) {
            continue;
        }
        if let Ok(field) = doc.get_dictionary(id)
            && let Ok(Object::Array(kids)) = field.get(b"Kids").map(|k| resolve(doc, k))
        {
            stack.extend(kids.iter().cloned());
        }
    }
    out
}

/// The streams a widget's `/AP` refers to (normal, down, rollover; each state).
fn appearance_streams(doc: &Document, widget: &Dictionary) -> Vec<ObjectId> {
    let mut out = Vec::new();
    let Some(ap) = widget.get(b"AP").ok().and_then(|a| dict(doc, a)) else {
        return out;
    };
    for (_, entry) in ap.iter() {
        match entry {
            Object::Reference(id) => match doc.get_object(*id) {
                Ok(Object::Stream(_)) => out.push(*id),
                Ok(Object::Dictionary(states)) => {
                    out.extend(states.iter().filter_map(|(_, s)| s.as_reference().ok()))
                }
                _ => {}
            },
            Object::Dictionary(states) => {
                out.extend(states.iter().filter_map(|(_, s)| s.as_reference().ok()))
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use lopdf::dictionary;

    use super::super::compare;
    use super::super::tests::{dict_mut, page, root, signed};
    use super::*;

    #[test]
    fn replacing_a_signature_or_adding_xfa_is_forbidden() {
        let then = signed();
        let widget = then
            .get_dictionary(page(&then))
            .unwrap()
            .get(b"Annots")
            .unwrap()
            .as_array()
            .unwrap()[0]
            .as_reference()
            .unwrap();
        let mut now = then.clone();
        let other = now.add_object(dictionary! { "Type" => "Sig", "ByteRange" => vec![] });
        dict_mut(&mut now, widget).set("V", other);
        let catalog = root(&now);
        let form = dict_mut(&mut now, catalog).get_mut(b"AcroForm").unwrap();
        form.as_dict_mut()
            .unwrap()
            .set("XFA", Object::string_literal("<xdp/>"));
        let changes = compare(&then, &now);
        assert_eq!(
            changes.forbidden,
            [
                "changes the form dictionary in /XFA".to_string(),
                format!(
                    "replaces the signature in the field \"Signatur1\" ({})",
                    r(widget)
                ),
            ]
        );
    }
}
