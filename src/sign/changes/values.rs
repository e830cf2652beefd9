//! PDF values for the comparison: following references, equality as a reader sees it, the
//! keys in which two dictionaries differ, and values and object numbers written for people.

use lopdf::{Dictionary, Document, Object, ObjectId};

use crate::sign::xmp;

/// At most this many differences are listed in one problem line.
const MAX_LISTED: usize = 5;

/// `object 12 0 R`.
pub(super) fn r((number, generation): ObjectId) -> String {
    format!("object {number} {generation} R")
}

pub(super) fn list(keys: &[String]) -> String {
    keys.join(", ")
}

/// The first few entries, then how many more.
pub(super) fn limited(entries: &[String]) -> String {
    if entries.len() <= MAX_LISTED {
        return entries.join("; ");
    }
    format!(
        "{}; and {} more",
        entries[..MAX_LISTED].join("; "),
        entries.len() - MAX_LISTED
    )
}

pub(super) fn trailer_ref(doc: &Document, key: &[u8]) -> Option<ObjectId> {
    doc.trailer.get(key).and_then(Object::as_reference).ok()
}

/// `object` with a reference followed (a missing object is null).
pub(super) fn resolve<'a>(doc: &'a Document, object: &'a Object) -> &'a Object {
    static NULL: Object = Object::Null;
    doc.dereference(object).map(|(_, o)| o).unwrap_or(&NULL)
}

pub(super) fn dict<'a>(doc: &'a Document, object: &'a Object) -> Option<&'a Dictionary> {
    match resolve(doc, object) {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    }
}

pub(super) fn name_of(d: &Dictionary, key: &[u8]) -> Option<String> {
    d.get(key)
        .and_then(Object::as_name)
        .ok()
        .map(|n| String::from_utf8_lossy(n).into_owned())
}

/// Equal as PDF values: strings by their bytes (literal or hex alike), numbers by value,
/// streams by dictionary and data (not by where they are in the file).
pub(super) fn same(a: &Object, b: &Object) -> bool {
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
pub(super) fn same_value(a_doc: &Document, a: &Object, b_doc: &Document, b: &Object) -> bool {
    let (a, b) = (resolve(a_doc, a), resolve(b_doc, b));
    if let (Ok(x), Ok(y)) = (lopdf::decode_text_string(a), lopdf::decode_text_string(b)) {
        return x == y;
    }
    same(a, b)
}

/// Whether `key` is alike in both dictionaries (or missing from both).
pub(super) fn same_entry_of(
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

pub(super) fn same_dict(
    a_doc: &Document,
    a: &Dictionary,
    b_doc: &Document,
    b: &Dictionary,
    skip: &[&[u8]],
) -> bool {
    differing_keys(a_doc, a, b_doc, b, skip).is_empty()
}

/// The keys (`/Name`) whose values differ, except those in `skip`.
pub(super) fn differing_keys(
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
pub(super) fn value_text(doc: &Document, object: &Object) -> String {
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

/// Two `/Annots` entries are the same annotation: the same reference, or equal direct ones.
pub(super) fn same_entry(a: &Object, b: &Object) -> bool {
    match (a, b) {
        (Object::Reference(x), Object::Reference(y)) => x == y,
        (Object::Reference(_), _) | (_, Object::Reference(_)) => false,
        _ => same(a, b),
    }
}
