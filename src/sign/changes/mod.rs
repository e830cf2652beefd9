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
//!
//! The checks live by what they compare: `document.rs` (catalog, document information, XMP),
//! `pages.rs` (pages and their annotations), `form.rs` (the form and its fields), `objects.rs`
//! (every other object, named as a clerk knows it); `values.rs` compares and shows PDF values.

mod document;
mod form;
mod objects;
mod pages;
mod values;

use std::collections::HashSet;

use lopdf::{Document, ObjectId};

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

/// Longer chains (field parents, page tree) are broken.
const MAX_DEPTH: usize = 64;

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
}

#[cfg(test)]
mod tests {
    use lopdf::{Dictionary, Object, Stream, dictionary};

    use super::values::trailer_ref;
    use super::*;

    /// A one-page document with Info, XMP, a form with one signed signature field and a Link
    /// annotation, as a signed revision.
    pub(super) fn signed() -> Document {
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

    pub(super) fn root(doc: &Document) -> ObjectId {
        trailer_ref(doc, b"Root").unwrap()
    }

    pub(super) fn page(doc: &Document) -> ObjectId {
        doc.get_pages()[&1]
    }

    pub(super) fn dict_mut(doc: &mut Document, id: ObjectId) -> &mut Dictionary {
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
}
