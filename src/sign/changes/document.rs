//! The document-level checks: the catalog, the document information and the XMP metadata,
//! wherever the trailer and the catalog point.

use std::collections::HashSet;

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::Comparison;
use super::values::{
    dict, differing_keys, limited, list, r, resolve, same_value, trailer_ref, value_text,
};
use crate::sign::xmp;

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
/// XMP larger than this (decompressed) is not read.
const MAX_XMP: usize = 16 << 20;

impl Comparison<'_> {
    /// The catalog, wherever the trailers' `/Root` point, apart from what a signature may
    /// change; the document security store of the signed revision may grow.
    pub(super) fn catalog(&mut self) {
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
    pub(super) fn info(&mut self) {
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
    pub(super) fn xmp(&mut self) {
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

#[cfg(test)]
mod tests {
    use lopdf::{Stream, dictionary};

    use super::super::compare;
    use super::super::tests::signed;
    use super::*;

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
}
