//! The signature widget in a tagged PDF's structure tree, as PDF/UA-1 (ISO 14289-1 §7.18.4)
//! asks of every widget: a `Form` structure element that refers to it (`OBJR`) with a
//! replacement text, reached back from the widget through `/StructParent` and the parent
//! tree. The widget cannot be hidden instead: PDF/A forbids hidden annotations.
//!
//! Only the first signature of a PDF is tagged: a later signature that changed the structure
//! tree would change objects an earlier signature covers, which verification rightly counts
//! as tampering (`changes/objects.rs`).

use hayro_syntax::object::{Array, Dict, ObjectIdentifier};
use hayro_syntax::xref::XRef;
use lopdf::{Dictionary, Object, ObjectId};

use super::SignError;
use super::pdf::{lopdf_array, lopdf_dict, object_id};

/// What assistive technology reads for the (invisible) signature field.
pub(super) const WIDGET_TEXT: &str = "Elektronische Signatur";

/// The objects that tag a widget: its `/StructParent` key, and the new and changed objects of
/// the structure tree (the `Form` element, its parent, the parent tree, the tree's root).
pub(super) struct WidgetTag {
    pub key: i64,
    pub objects: Vec<(ObjectId, Object)>,
}

/// Tags the widget `widget` on `page`, with new objects numbered from `next_id` on. `None`
/// for a PDF without a structure tree (nothing to join) or with a direct one (rewriting the
/// catalog's structure tree in place is not supported; such PDFs keep an untagged widget).
pub(super) fn tag_widget(
    xref: &XRef,
    catalog: &Dict<'_>,
    widget: ObjectId,
    page: ObjectId,
    next_id: &mut u32,
) -> Result<Option<WidgetTag>, SignError> {
    let broken = |what: &str| SignError::UnreadablePdf(format!("its structure tree: {what}"));
    let Some(root_id) = catalog
        .get_ref(b"StructTreeRoot")
        .and_then(|r| object_id(r.into()))
    else {
        return Ok(None);
    };
    let root_dict = get_dict(xref, root_id).ok_or_else(|| broken("/StructTreeRoot is missing"))?;
    let mut root = lopdf_dict(&root_dict, 0)?;

    // The Form element hangs under the document element (the root's only kid), else under
    // the root itself.
    let form_id = (*next_id, 0);
    *next_id += 1;
    let mut objects = Vec::new();
    let document = root_dict
        .get_ref(b"K")
        .and_then(|r| object_id(r.into()))
        .and_then(|id| get_dict(xref, id).map(|d| (id, d)));
    let parent = match &document {
        Some((id, d)) => {
            let mut element = lopdf_dict(d, 0)?;
            append_kid(&mut element, form_id);
            objects.push((*id, Object::Dictionary(element)));
            Object::Reference(*id)
        }
        None => {
            append_kid(&mut root, form_id);
            Object::Reference(root_id)
        }
    };

    // The parent tree: a new key after every key it has, mapped to the Form element.
    let tree_id = root_dict
        .get_ref(b"ParentTree")
        .and_then(|r| object_id(r.into()));
    let tree_dict = root_dict.get::<Dict<'_>>(b"ParentTree");
    let mut tree = tree_dict
        .as_ref()
        .map(|d| lopdf_dict(d, 0))
        .transpose()?
        .unwrap_or_default();
    let highest = tree_dict
        .as_ref()
        .map(highest_key)
        .transpose()
        .map_err(broken)?
        .flatten();
    let next_key = root_dict.get::<i64>(b"ParentTreeNextKey").unwrap_or(0);
    let key = highest.map_or(0, |h| h + 1).max(next_key);
    let pair = [Object::Integer(key), Object::Reference(form_id)];
    match tree.get_mut(b"Kids") {
        Ok(Object::Array(kids)) => {
            let leaf_id = (*next_id, 0);
            *next_id += 1;
            kids.push(Object::Reference(leaf_id));
            let mut leaf = Dictionary::new();
            leaf.set("Limits", vec![Object::Integer(key), Object::Integer(key)]);
            leaf.set("Nums", pair.to_vec());
            objects.push((leaf_id, Object::Dictionary(leaf)));
        }
        _ => match tree.get_mut(b"Nums") {
            Ok(Object::Array(nums)) => nums.extend(pair),
            _ => tree.set("Nums", pair.to_vec()),
        },
    }
    match tree_id {
        Some(id) => objects.push((id, Object::Dictionary(tree))),
        None => root.set("ParentTree", Object::Dictionary(tree)),
    }
    root.set("ParentTreeNextKey", Object::Integer(key + 1));
    objects.push((root_id, Object::Dictionary(root)));

    let mut reference = Dictionary::new();
    reference.set("Type", Object::Name(b"OBJR".to_vec()));
    reference.set("Obj", Object::Reference(widget));
    reference.set("Pg", Object::Reference(page));
    let mut form = Dictionary::new();
    form.set("Type", Object::Name(b"StructElem".to_vec()));
    form.set("S", Object::Name(b"Form".to_vec()));
    form.set("P", parent);
    form.set("Pg", Object::Reference(page));
    form.set("K", Object::Dictionary(reference));
    form.set("Alt", Object::string_literal(WIDGET_TEXT));
    objects.push((form_id, Object::Dictionary(form)));
    Ok(Some(WidgetTag { key, objects }))
}

fn get_dict<'a>(xref: &'a XRef, (number, generation): ObjectId) -> Option<Dict<'a>> {
    xref.get::<Dict<'_>>(ObjectIdentifier::new(
        i32::try_from(number).ok()?,
        i32::from(generation),
    ))
}

/// Adds `kid` to a structure element's `/K` (absent, one kid, or an array of them).
fn append_kid(element: &mut Dictionary, kid: ObjectId) {
    let mut kids = match element.get(b"K") {
        Err(_) => Vec::new(),
        Ok(Object::Array(kids)) => kids.clone(),
        Ok(one) => vec![one.clone()],
    };
    kids.push(Object::Reference(kid));
    element.set("K", Object::Array(kids));
}

/// The highest key of a number tree: the last key of its `/Nums`, or the upper limit of its
/// last kid. `None` for an empty tree.
fn highest_key(tree: &Dict<'_>) -> Result<Option<i64>, &'static str> {
    if let Some(nums) = tree.get::<Array<'_>>(b"Nums") {
        let keys = lopdf_array(&nums, 0).map_err(|_| "/Nums cannot be read")?;
        return Ok(keys.iter().step_by(2).filter_map(|k| k.as_i64().ok()).max());
    }
    if let Some(kids) = tree.get::<Array<'_>>(b"Kids") {
        let mut highest = None;
        for kid in kids.iter::<Dict<'_>>() {
            let limits = kid
                .get::<Array<'_>>(b"Limits")
                .ok_or("a kid of /ParentTree has no /Limits")?;
            let upper = limits
                .iter::<i64>()
                .last()
                .ok_or("a kid of /ParentTree has empty /Limits")?;
            highest = highest.max(Some(upper));
        }
        return Ok(highest);
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kid_is_appended_whatever_k_held() {
        let mut none = Dictionary::new();
        append_kid(&mut none, (9, 0));
        assert_eq!(
            none.get(b"K").unwrap(),
            &Object::Array(vec![Object::Reference((9, 0))])
        );
        let mut one = Dictionary::new();
        one.set("K", Object::Integer(3));
        append_kid(&mut one, (9, 0));
        assert_eq!(
            one.get(b"K").unwrap(),
            &Object::Array(vec![Object::Integer(3), Object::Reference((9, 0))])
        );
    }
}
