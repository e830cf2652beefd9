//! What the incremental updates after a signature changed, judged against the signed revision.
//!
//! The signed revision (`then`, the bytes the signature covers) and the whole file (`now`) are
//! compared by what a reader sees, not object by object alone: the catalog, the document
//! information and the XMP metadata are compared wherever the trailer and the catalog point
//! (a forger may write them as new objects), pages by their content, boxes and rotation,
//! annotations by the pages' `/Annots`, form fields by the form's field tree.
//!
//! Three outcomes:
//! - forbidden (the signature becomes invalid): page content and resources, the number of
//!   pages, the catalog except `/AcroForm`, `/DSS`, `/Extensions`, `/Version` (and `/Metadata`,
//!   judged by content), the Info dictionary except `/ModDate` and `/Producer`, the XMP except
//!   its modify and metadata date, producer and instance id, fonts, images, any other object of
//!   the signed revision, removing or changing a signed annotation or form field other than
//!   filling it in;
//! - annotations added later (allowed, as PAdES allows them, but reported);
//! - form fields added or filled in later (allowed: our signatures set no DocMDP, and DocMDP
//!   P=2 would allow fill-in; reported).
//!
//! Signature fields added later (another signature, a document timestamp) are neither: each
//! is listed as a signature of its own. Only a visible one is reported, as an annotation.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::xmp;

/// The later revisions' changes, by what they mean for the signature.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    /// Changes a signature must not allow: each makes it invalid.
    pub forbidden: Vec<String>,
    /// Annotations added later (allowed, reported).
    pub annotations: Vec<String>,
    /// Form fields added or filled in later (allowed, reported).
    pub form: Vec<String>,
}

/// Info entries a later update may change (signing tools set them).
const INFO_MAY_CHANGE: &[&[u8]] = &[b"ModDate", b"Producer"];
/// Top-level XMP properties a later update may change.
const XMP_MAY_CHANGE: &[&str] = &[
    "xmp:ModifyDate",
    "xmp:MetadataDate",
    "pdf:Producer",
    "xmpMM:InstanceID",
];
/// Catalog entries a later signature may change (`/Metadata` is judged by its content, the
/// form by its fields).
const CATALOG_MAY_CHANGE: &[&[u8]] = &[b"AcroForm", b"DSS", b"Extensions", b"Version", b"Metadata"];
/// Entries of the form dictionary a later update may change.
const FORM_MAY_CHANGE: &[&[u8]] = &[b"Fields", b"SigFlags", b"DR", b"DA", b"NeedAppearances"];
/// Entries of a field or widget that filling in a form changes.
const FILL_IN: &[&[u8]] = &[b"V", b"AP", b"AS"];
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
/// XMP larger than this (decompressed) is not read.
const MAX_XMP: usize = 16 << 20;
/// Longer chains (field parents, page tree) are broken.
const MAX_DEPTH: usize = 64;
/// At most this many differences are listed in one problem line.
const MAX_LISTED: usize = 5;

/// Compares the signed revision `then` with the whole file `now`.
pub(crate) fn compare(then: &Document, now: &Document) -> Changes {
    let mut c = Comparison {
        then,
        now,
        changes: Changes::default(),
        judged: HashSet::new(),
        reported_fields: HashSet::new(),
    };
    c.catalog();
    c.info();
    c.xmp();
    c.pages();
    c.annotations();
    c.form();
    c.objects();
    for list in [
        &mut c.changes.forbidden,
        &mut c.changes.annotations,
        &mut c.changes.form,
    ] {
        let mut seen = HashSet::new();
        list.retain(|s| seen.insert(s.clone()));
    }
    c.changes
}

struct Comparison<'a> {
    then: &'a Document,
    now: &'a Document,
    changes: Changes,
    /// Objects of the signed revision that a dedicated check has judged (or that may change).
    judged: HashSet<ObjectId>,
    /// Fields already reported as added with their widget.
    reported_fields: HashSet<ObjectId>,
}

impl Comparison<'_> {
    fn forbid(&mut self, change: String) {
        self.changes.forbidden.push(change);
    }

    /// The catalog, wherever the trailers' `/Root` point, apart from what a signature may
    /// change; the document security store of the signed revision may grow.
    fn catalog(&mut self) {
        let (then, now) = (self.then, self.now);
        let old_id = trailer_ref(then, b"Root");
        let new_id = trailer_ref(now, b"Root");
        self.judged.extend(old_id);
        let (Ok(old), Ok(new)) = (then.catalog(), now.catalog()) else {
            if then.catalog().is_ok() {
                self.forbid("removes the document catalog".into());
            }
            return;
        };
        let keys = differing_keys(then, old, now, new, CATALOG_MAY_CHANGE);
        if !keys.is_empty() {
            let at = new_id.map(|id| format!(" ({})", r(id))).unwrap_or_default();
            self.forbid(format!(
                "changes the document catalog{at} in {}",
                list(&keys)
            ));
        }
        if let Ok(dss) = old.get(b"DSS") {
            let mut reachable = HashSet::new();
            collect_references(then, dss, 4, &mut reachable);
            self.judged.extend(reachable);
        }
    }

    /// The document information dictionary: only `/ModDate` and `/Producer` may change.
    fn info(&mut self) {
        let (then, now) = (self.then, self.now);
        let old_id = trailer_ref(then, b"Info");
        let new_id = trailer_ref(now, b"Info");
        self.judged.extend(old_id);
        let old = then.trailer.get(b"Info").ok().and_then(|o| dict(then, o));
        let new = now.trailer.get(b"Info").ok().and_then(|o| dict(now, o));
        let empty = Dictionary::new();
        let (old_d, new_d) = (old.unwrap_or(&empty), new.unwrap_or(&empty));
        let mut keys: Vec<&Vec<u8>> = old_d.iter().chain(new_d.iter()).map(|(k, _)| k).collect();
        keys.sort();
        keys.dedup();
        let mut entries = Vec::new();
        for key in keys {
            if INFO_MAY_CHANGE.contains(&key.as_slice()) {
                continue;
            }
            let a = old_d.get(key).ok().map(|o| resolve(then, o));
            let b = new_d.get(key).ok().map(|o| resolve(now, o));
            let name = String::from_utf8_lossy(key);
            match (a, b) {
                (Some(a), Some(b)) if same_value(then, a, now, b) => {}
                (Some(a), Some(b)) => entries.push(format!(
                    "{name}: {} → {}",
                    value_text(then, a),
                    value_text(now, b)
                )),
                (None, Some(b)) => entries.push(format!("{name}: added {}", value_text(now, b))),
                (Some(a), None) => {
                    entries.push(format!("{name}: removed, was {}", value_text(then, a)))
                }
                (None, None) => {}
            }
        }
        if entries.is_empty() {
            return;
        }
        let lead = match (old_id, new_id, old.is_some(), new.is_some()) {
            (_, _, true, false) => match old_id {
                Some(a) => format!("removes the document information ({})", r(a)),
                None => "removes the document information".into(),
            },
            (_, _, false, true) => match new_id {
                Some(b) => format!("adds document information in {}", r(b)),
                None => "adds document information".into(),
            },
            (Some(a), Some(b), _, _) if a != b => {
                format!("replaces the document information {} with {}", r(a), r(b))
            }
            (_, Some(b), _, _) => format!("changes the document information in {}", r(b)),
            _ => "changes the document information".into(),
        };
        self.forbid(format!("{lead} ({})", limited(&entries)));
    }

    /// The XMP metadata the catalog points to, by its properties: only the modify and metadata
    /// dates, the producer and the instance id may change.
    fn xmp(&mut self) {
        let (then, now) = (self.then, self.now);
        let meta_ref = |doc: &Document| {
            doc.catalog()
                .ok()
                .and_then(|c| c.get(b"Metadata").ok())
                .and_then(|m| m.as_reference().ok())
        };
        let (old_id, new_id) = (meta_ref(then), meta_ref(now));
        self.judged.extend(old_id);
        let lead = match (old_id, new_id) {
            (Some(a), Some(b)) if a == b => format!("changes the XMP metadata in {}", r(a)),
            (Some(a), Some(b)) => format!("replaces the XMP metadata {} with {}", r(a), r(b)),
            (None, Some(b)) => format!("adds XMP metadata in {}", r(b)),
            (Some(a), None) => return self.forbid(format!("removes the XMP metadata ({})", r(a))),
            (None, None) => return,
        };
        let old = old_id.map(|id| stream_bytes(then, id));
        let new = new_id
            .map(|id| stream_bytes(now, id))
            .expect("new_id is Some");
        if let Some(Ok(old)) = &old
            && let Ok(new) = &new
            && old == new
        {
            return;
        }
        let old = match old {
            None => Ok(xmp::Properties::new()),
            Some(bytes) => bytes.and_then(|b| xmp::properties(&b)),
        };
        let new = new.and_then(|b| xmp::properties(&b));
        match (old, new) {
            (Ok(old), Ok(new)) => {
                let differences = xmp::differences(&old, &new, XMP_MAY_CHANGE);
                if !differences.is_empty() {
                    self.forbid(format!("{lead} ({})", limited(&differences)));
                }
            }
            (Ok(_), Err(e)) => {
                self.forbid(format!("{lead} (it can no longer be read as XMP: {e})"))
            }
            (Err(e), _) => self.forbid(format!(
                "{lead} (the signed XMP cannot be read, so the change cannot be judged: {e})"
            )),
        }
    }

    /// Pages by number: content, resources, boxes, rotation and every other entry except
    /// `/Annots`.
    fn pages(&mut self) {
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
    fn annotations(&mut self) {
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

    /// The form: its dictionary, every field of the signed revision (fill-in is reported,
    /// anything else is forbidden), widgets and their appearances, fields added later.
    fn form(&mut self) {
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

    /// Every other object of the signed revision must be unchanged.
    fn objects(&mut self) {
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

/// `object 12 0 R`.
fn r((number, generation): ObjectId) -> String {
    format!("object {number} {generation} R")
}

fn list(keys: &[String]) -> String {
    keys.join(", ")
}

/// The first few entries, then how many more.
fn limited(entries: &[String]) -> String {
    if entries.len() <= MAX_LISTED {
        return entries.join("; ");
    }
    format!(
        "{}; and {} more",
        entries[..MAX_LISTED].join("; "),
        entries.len() - MAX_LISTED
    )
}

fn trailer_ref(doc: &Document, key: &[u8]) -> Option<ObjectId> {
    doc.trailer.get(key).and_then(Object::as_reference).ok()
}

/// `object` with a reference followed (a missing object is null).
fn resolve<'a>(doc: &'a Document, object: &'a Object) -> &'a Object {
    static NULL: Object = Object::Null;
    doc.dereference(object).map(|(_, o)| o).unwrap_or(&NULL)
}

fn dict<'a>(doc: &'a Document, object: &'a Object) -> Option<&'a Dictionary> {
    match resolve(doc, object) {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    }
}

fn name_of(d: &Dictionary, key: &[u8]) -> Option<String> {
    d.get(key)
        .and_then(Object::as_name)
        .ok()
        .map(|n| String::from_utf8_lossy(n).into_owned())
}

/// Equal as PDF values: strings by their bytes (literal or hex alike), numbers by value,
/// streams by dictionary and data (not by where they are in the file).
fn same(a: &Object, b: &Object) -> bool {
    match (a, b) {
        (Object::String(x, _), Object::String(y, _)) => x == y,
        (Object::Integer(i), Object::Real(f)) | (Object::Real(f), Object::Integer(i)) => {
            (*i as f64 - f64::from(*f)).abs() < 1e-6
        }
        (Object::Array(x), Object::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Object::Dictionary(x), Object::Dictionary(y)) => same_entries(x, y),
        (Object::Stream(x), Object::Stream(y)) => {
            same_entries(&x.dict, &y.dict) && x.content == y.content
        }
        _ => a == b,
    }
}

fn same_entries(x: &Dictionary, y: &Dictionary) -> bool {
    x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_ok_and(|w| same(v, w)))
}

/// Equal after following references in each document (text strings by their text).
fn same_value(a_doc: &Document, a: &Object, b_doc: &Document, b: &Object) -> bool {
    let (a, b) = (resolve(a_doc, a), resolve(b_doc, b));
    if let (Ok(x), Ok(y)) = (lopdf::decode_text_string(a), lopdf::decode_text_string(b)) {
        return x == y;
    }
    same(a, b)
}

/// Whether `key` is alike in both dictionaries (or missing from both).
fn same_entry_of(
    a_doc: &Document,
    a: &Dictionary,
    b_doc: &Document,
    b: &Dictionary,
    key: &[u8],
) -> bool {
    match (a.get(key), b.get(key)) {
        (Ok(x), Ok(y)) => same(x, y) || same_value(a_doc, x, b_doc, y),
        (Err(_), Err(_)) => true,
        _ => false,
    }
}

fn same_dict(
    a_doc: &Document,
    a: &Dictionary,
    b_doc: &Document,
    b: &Dictionary,
    skip: &[&[u8]],
) -> bool {
    differing_keys(a_doc, a, b_doc, b, skip).is_empty()
}

/// The keys (`/Name`) whose values differ, except those in `skip`.
fn differing_keys(
    a_doc: &Document,
    a: &Dictionary,
    b_doc: &Document,
    b: &Dictionary,
    skip: &[&[u8]],
) -> Vec<String> {
    let mut keys: Vec<&Vec<u8>> = a.iter().chain(b.iter()).map(|(k, _)| k).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| !skip.contains(&k.as_slice()))
        .filter(|k| !same_entry_of(a_doc, a, b_doc, b, k))
        .map(|k| format!("/{}", String::from_utf8_lossy(k)))
        .collect()
}

/// A value for people: text strings as text, names as `/Name`, numbers as numbers.
fn value_text(doc: &Document, object: &Object) -> String {
    match resolve(doc, object) {
        s @ Object::String(bytes, _) => match lopdf::decode_text_string(s) {
            Ok(text) => xmp::quoted(&text),
            Err(_) => xmp::quoted(&String::from_utf8_lossy(bytes)),
        },
        Object::Name(n) => format!("/{}", String::from_utf8_lossy(n)),
        Object::Integer(i) => i.to_string(),
        Object::Real(f) => f.to_string(),
        Object::Boolean(b) => b.to_string(),
        Object::Null => "null".into(),
        Object::Array(a) => format!(
            "[{}]",
            a.iter()
                .take(8)
                .map(|o| value_text(doc, o))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Object::Dictionary(_) => "a dictionary".into(),
        Object::Stream(_) => "a stream".into(),
        Object::Reference(_) => "a reference".into(),
    }
}

/// The decoded data of the stream `id` (at most [`MAX_XMP`] bytes).
fn stream_bytes(doc: &Document, id: ObjectId) -> Result<Vec<u8>, String> {
    match doc.get_object(id) {
        Ok(Object::Stream(s)) if s.dict.has(b"Filter") => s
            .decompressed_content_with_limit(MAX_XMP)
            .map_err(|e| format!("its stream cannot be decoded: {e}")),
        Ok(Object::Stream(s)) => Ok(s.content.clone()),
        Ok(_) => Err("it is not a stream".into()),
        Err(_) => Err("it is missing".into()),
    }
}

/// The references reachable from `object` within `depth` levels.
fn collect_references(doc: &Document, object: &Object, depth: usize, out: &mut HashSet<ObjectId>) {
    if depth == 0 || out.len() > 100_000 {
        return;
    }
    match object {
        Object::Reference(id) => {
            if out.insert(*id)
                && let Ok(o) = doc.get_object(*id)
            {
                collect_references(doc, o, depth - 1, out);
            }
        }
        Object::Array(a) => a
            .iter()
            .for_each(|o| collect_references(doc, o, depth, out)),
        Object::Dictionary(d) => d
            .iter()
            .for_each(|(_, o)| collect_references(doc, o, depth, out)),
        Object::Stream(s) => s
            .dict
            .iter()
            .for_each(|(_, o)| collect_references(doc, o, depth, out)),
        _ => {}
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

/// Two `/Annots` entries are the same annotation: the same reference, or equal direct ones.
fn same_entry(a: &Object, b: &Object) -> bool {
    match (a, b) {
        (Object::Reference(x), Object::Reference(y)) => x == y,
        (Object::Reference(_), _) | (_, Object::Reference(_)) => false,
        _ => same(a, b),
    }
}

fn is_widget(d: &Dictionary) -> bool {
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
fn is_visible(annot: &Dictionary) -> bool {
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

/// The field a widget belongs to: itself when it has a name or type, else its parent.
fn field_of<'a>(
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
fn full_name(doc: &Document, field: &Dictionary) -> String {
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
fn field_type(doc: &Document, field: &Dictionary) -> Option<String> {
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
fn field_kind(doc: &Document, field: &Dictionary) -> &'static str {
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
fn field_value(doc: &Document, field: &Dictionary) -> Option<String> {
    field.get(b"V").ok().map(|v| value_text(doc, v))
}

/// A signature field whose `/V` is a signature dictionary.
fn is_signed(doc: &Document, field: &Dictionary) -> bool {
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
    use lopdf::{Stream, dictionary};

    use super::*;

    /// A one-page document with Info, XMP, a form with one signed signature field and a Link
    /// annotation, as a signed revision.
    fn signed() -> Document {
        let mut doc = Document::with_version("1.7");
        let pages_id = doc.new_object_id();
        let content = doc.add_object(Stream::new(dictionary! {}, b"0 0 m 10 10 l S".to_vec()));
        let sig = doc.add_object(dictionary! {
            "Type" => "Sig",
            "ByteRange" => vec![0.into(), 10.into(), 20.into(), 30.into()],
            "Contents" => Object::string_literal("x"),
        });
        let widget = doc.add_object(dictionary! {
            "Type" => "Annot", "Subtype" => "Widget", "FT" => "Sig",
            "T" => Object::string_literal("Signatur1"), "V" => sig, "F" => 132,
            "Rect" => vec![0.into(), 0.into(), 0.into(), 0.into()],
        });
        let link = doc.add_object(dictionary! {
            "Type" => "Annot", "Subtype" => "Link",
            "Rect" => vec![0.into(), 0.into(), 50.into(), 50.into()],
        });
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content,
            "Annots" => vec![widget.into(), link.into()],
        });
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1,
                "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            }),
        );
        let xmp = doc.add_object(Stream::new(
            dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
            br#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title><rdf:Alt><rdf:li xml:lang="x-default">Vorlage</rdf:li></rdf:Alt></dc:title></rdf:Description></rdf:RDF></x:xmpmeta>"#.to_vec(),
        ));
        let catalog = doc.add_object(dictionary! {
            "Type" => "Catalog", "Pages" => pages_id, "Metadata" => xmp,
            "AcroForm" => dictionary! { "Fields" => vec![widget.into()], "SigFlags" => 3 },
        });
        let info = doc.add_object(dictionary! {
            "Title" => Object::string_literal("Vorlage"),
            "ModDate" => Object::string_literal("D:20260101000000Z"),
        });
        doc.trailer.set("Root", catalog);
        doc.trailer.set("Info", info);
        doc
    }

    fn root(doc: &Document) -> ObjectId {
        trailer_ref(doc, b"Root").unwrap()
    }

    fn page(doc: &Document) -> ObjectId {
        doc.get_pages()[&1]
    }

    fn dict_mut(doc: &mut Document, id: ObjectId) -> &mut Dictionary {
        doc.get_dictionary_mut(id).unwrap()
    }

    #[test]
    fn what_signing_tools_change_is_allowed_and_not_reported() {
        let then = signed();
        let mut now = then.clone();
        // Info: a new date and producer, as pyHanko sets them.
        let info = trailer_ref(&now, b"Info").unwrap();
        dict_mut(&mut now, info).set("ModDate", Object::string_literal("D:20260301000000Z"));
        dict_mut(&mut now, info).set("Producer", Object::string_literal("pyHanko 0.38.0"));
        // A second, invisible signature; a document security store; a new version.
        let sig = now.add_object(dictionary! {
            "Type" => "DocTimeStamp", "ByteRange" => vec![0.into(), 1.into(), 2.into(), 3.into()],
        });
        let widget = now.add_object(dictionary! {
            "Type" => "Annot", "Subtype" => "Widget", "FT" => "Sig",
            "T" => Object::string_literal("Zeitstempel"), "V" => sig,
            "Rect" => vec![0.into(), 0.into(), 0.into(), 0.into()],
        });
        let dss = now.add_object(dictionary! { "Certs" => vec![] });
        let (catalog, page) = (root(&now), page(&now));
        let form = dict_mut(&mut now, catalog).get_mut(b"AcroForm").unwrap();
        form.as_dict_mut()
            .unwrap()
            .get_mut(b"Fields")
            .unwrap()
            .as_array_mut()
            .unwrap()
            .push(widget.into());
        dict_mut(&mut now, catalog).set("DSS", dss);
        dict_mut(&mut now, catalog).set("Version", Object::Name(b"2.0".to_vec()));
        let annots = dict_mut(&mut now, page).get_mut(b"Annots").unwrap();
        annots.as_array_mut().unwrap().push(widget.into());
        let changes = compare(&then, &now);
        assert!(changes.forbidden.is_empty(), "{changes:#?}");
        assert!(changes.annotations.is_empty(), "{changes:#?}");
        assert!(changes.form.is_empty(), "{changes:#?}");
    }

    #[test]
    fn the_info_dictionary_is_compared_wherever_the_trailer_points() {
        let then = signed();
        let mut now = then.clone();
        let old = trailer_ref(&now, b"Info").unwrap();
        let forged = now.add_object(dictionary! {
            "Title" => lopdf::text_string("Abgelehnt"),
            "Author" => Object::string_literal("Jemand"),
        });
        now.trailer.set("Info", forged);
        let changes = compare(&then, &now);
        assert_eq!(
            changes.forbidden,
            [format!(
                "replaces the document information {} with {} (Author: added \"Jemand\"; Title: \"Vorlage\" → \"Abgelehnt\")",
                r(old),
                r(forged)
            )]
        );
    }

    #[test]
    fn a_new_catalog_is_compared_with_the_signed_one() {
        let then = signed();
        let mut now = then.clone();
        let mut catalog = now.catalog().unwrap().clone();
        catalog.set("OpenAction", dictionary! { "S" => "JavaScript" });
        let new = now.add_object(catalog);
        now.trailer.set("Root", new);
        let changes = compare(&then, &now);
        assert_eq!(
            changes.forbidden,
            [format!(
                "changes the document catalog ({}) in /OpenAction",
                r(new)
            )]
        );
    }

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

    #[test]
    fn unreadable_xmp_is_named() {
        let then = signed();
        let mut now = then.clone();
        let xmp = now
            .catalog()
            .unwrap()
            .get(b"Metadata")
            .unwrap()
            .as_reference()
            .unwrap();
        now.objects.insert(
            xmp,
            Object::Stream(Stream::new(dictionary! {}, b"<x:xmpmeta>".to_vec())),
        );
        let changes = compare(&then, &now);
        assert_eq!(changes.forbidden.len(), 1, "{changes:#?}");
        assert!(
            changes.forbidden[0].starts_with(&format!(
                "changes the XMP metadata in {} (it can no longer be read as XMP: ",
                r(xmp)
            )),
            "{changes:#?}"
        );
    }

    #[test]
    fn page_lists_are_compact() {
        assert_eq!(page_ranges(&[1, 2, 3, 4, 6, 8, 9]), "1–4, 6, 8–9");
    }
}
