//! The rendered and signed paper as assistive technology reads it (PDF/A-2a, PDF/UA-1): the
//! identification in the XMP, the displayed title, and the structure tree walked with lopdf —
//! headings without skipped levels, the letterhead, header block and Beratungsfolge as tables
//! with row headers, replacement text on the checkboxes, the signature widget in a `Form`
//! element — and the Drucksachennummer and date among the words that are not artifacts.

mod common;

use common::*;
use lopdf::{Dictionary, Document, Object, ObjectId};

/// A structure element as the test sees it: its type, replacement text and kids.
#[derive(Debug)]
struct Element {
    kind: String,
    alt: Option<String>,
    kids: Vec<Element>,
    /// `OBJR` kids: the objects (annotations) it refers to.
    objects: Vec<ObjectId>,
}

impl Element {
    /// This element and all below it, in document order.
    fn all(&self) -> Vec<&Element> {
        let mut out = vec![self];
        for kid in &self.kids {
            out.extend(kid.all());
        }
        out
    }

    fn has(&self, kind: &str) -> bool {
        self.all().iter().any(|e| e.kind == kind)
    }
}

fn dict<'a>(doc: &'a Document, object: &'a Object) -> Option<&'a Dictionary> {
    match object {
        Object::Reference(id) => doc.get_dictionary(*id).ok(),
        Object::Dictionary(d) => Some(d),
        _ => None,
    }
}

fn text(object: &Object) -> Option<String> {
    lopdf::decode_text_string(object).ok()
}

/// The element `d`, its kind mapped through the role map to a standard type.
fn element(doc: &Document, d: &Dictionary, roles: Option<&Dictionary>, depth: usize) -> Element {
    assert!(depth < 100, "the structure tree is too deep");
    let mut kind = d
        .get(b"S")
        .and_then(Object::as_name)
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .unwrap_or_default();
    if let Some(mapped) = roles.and_then(|r| r.get(kind.as_bytes()).ok()) {
        kind = String::from_utf8_lossy(mapped.as_name().unwrap()).into_owned();
    }
    let mut out = Element {
        kind,
        alt: d.get(b"Alt").ok().and_then(text),
        kids: Vec::new(),
        objects: Vec::new(),
    };
    let kids = match d.get(b"K") {
        Ok(Object::Array(kids)) => kids.clone(),
        Ok(one) => vec![one.clone()],
        Err(_) => Vec::new(),
    };
    for kid in &kids {
        let Some(kd) = dict(doc, kid) else { continue };
        match kd.get(b"Type").and_then(Object::as_name) {
            Ok(b"OBJR") => out
                .objects
                .push(kd.get(b"Obj").unwrap().as_reference().unwrap()),
            Ok(b"MCR") => {}
            _ => out.kids.push(element(doc, kd, roles, depth + 1)),
        }
    }
    out
}

/// The structure tree below the root, as one element of kind `StructTreeRoot`.
fn structure(doc: &Document) -> Element {
    let catalog = doc.catalog().unwrap();
    let root = dict(doc, catalog.get(b"StructTreeRoot").expect("tagged")).unwrap();
    let roles = root.get(b"RoleMap").ok().and_then(|r| dict(doc, r));
    let mut tree = element(doc, root, roles, 0);
    tree.kind = "StructTreeRoot".into();
    tree
}

struct Paper {
    _dir: tempfile::TempDir,
    signed: Vec<u8>,
}

fn signed_seed() -> Paper {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("vorlage.pdf");
    render(&seed(), &pdf, &[]);
    let key = keygen(&dir.path().join("schluessel"), "ecdsa");
    let signed = dir.path().join("signiert.pdf");
    let r = sign(&pdf, &signed, &key);
    assert_eq!(r.code, 0, "{}", r.stderr);
    Paper {
        signed: std::fs::read(&signed).unwrap(),
        _dir: dir,
    }
}

#[test]
fn the_signed_paper_is_pdf_a_2a_and_pdf_ua_1() {
    let paper = signed_seed();
    let doc = Document::load_mem(&paper.signed).unwrap();
    let catalog = doc.catalog().unwrap();

    let metadata = catalog.get(b"Metadata").unwrap().as_reference().unwrap();
    let xmp = doc.get_object(metadata).unwrap().as_stream().unwrap();
    let xmp = String::from_utf8(xmp.decompressed_content().unwrap_or(xmp.content.clone())).unwrap();
    let squeezed: String = xmp.split_whitespace().collect();
    for wanted in [
        ["<pdfuaid:part>1</pdfuaid:part>", "pdfuaid:part=\"1\""],
        ["<pdfaid:part>2</pdfaid:part>", "pdfaid:part=\"2\""],
        [
            "<pdfaid:conformance>A</pdfaid:conformance>",
            "pdfaid:conformance=\"A\"",
        ],
    ] {
        assert!(
            wanted.iter().any(|w| squeezed.contains(w)),
            "{wanted:?} in {xmp}"
        );
    }
    let preferences = dict(&doc, catalog.get(b"ViewerPreferences").unwrap()).unwrap();
    assert_eq!(
        preferences.get(b"DisplayDocTitle").unwrap(),
        &Object::Boolean(true)
    );
    let mark_info = dict(&doc, catalog.get(b"MarkInfo").unwrap()).unwrap();
    assert_eq!(mark_info.get(b"Marked").unwrap(), &Object::Boolean(true));

    let tree = structure(&doc);
    let all = tree.all();

    // Headings: one H1 first, then no level deeper than one below the one before.
    let levels: Vec<u32> = all
        .iter()
        .filter_map(|e| e.kind.strip_prefix('H').and_then(|n| n.parse().ok()))
        .collect();
    assert_eq!(levels.first(), Some(&1), "{levels:?}");
    assert_eq!(levels.iter().filter(|&&l| l == 1).count(), 1, "{levels:?}");
    for pair in levels.windows(2) {
        assert!(
            pair[1] <= pair[0] + 1,
            "a heading level is skipped: {levels:?}"
        );
    }
    assert!(levels.len() >= 7, "{levels:?}");

    // Tables with header cells: the letterhead, the header block with the Beratungsfolge as
    // a table inside one of its cells, the copies of the resolution.
    let tables: Vec<&&Element> = all.iter().filter(|e| e.kind == "Table").collect();
    assert!(tables.len() >= 4, "{} tables", tables.len());
    for table in &tables {
        assert!(table.has("TH"), "a table without header cells: {table:#?}");
    }
    let nested = tables.iter().any(|t| {
        t.all()
            .iter()
            .filter(|e| e.kind == "TD")
            .any(|cell| cell.kids.iter().any(|k| k.kind == "Table" && k.has("TH")))
    });
    assert!(
        nested,
        "the Beratungsfolge is no table inside the header block"
    );

    // The checkboxes: two ticked, two not (Finanzen, Veröffentlichung).
    let alts: Vec<&str> = all
        .iter()
        .filter(|e| e.kind == "Figure")
        .filter_map(|e| e.alt.as_deref())
        .collect();
    assert_eq!(
        alts.iter().filter(|&&a| a == "angekreuzt").count(),
        2,
        "{alts:?}"
    );
    assert_eq!(
        alts.iter().filter(|&&a| a == "nicht angekreuzt").count(),
        2,
        "{alts:?}"
    );

    // The signature widget: in a Form element with a replacement text, found back from the
    // widget through the parent tree; page 1 orders its annotations by structure.
    let page = *doc.get_pages().get(&1).unwrap();
    let page_dict = doc.get_dictionary(page).unwrap();
    assert_eq!(page_dict.get(b"Tabs").unwrap().as_name().unwrap(), b"S");
    let widgets: Vec<ObjectId> = page_dict
        .get(b"Annots")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_reference().unwrap())
        .filter(|id| {
            doc.get_dictionary(*id)
                .unwrap()
                .get(b"Subtype")
                .is_ok_and(|s| s.as_name().unwrap() == b"Widget")
        })
        .collect();
    assert_eq!(widgets.len(), 1);
    let form = all
        .iter()
        .find(|e| e.kind == "Form")
        .expect("a Form element");
    assert_eq!(form.objects, widgets);
    assert_eq!(form.alt.as_deref(), Some("Elektronische Signatur"));
    let widget = doc.get_dictionary(widgets[0]).unwrap();
    let key = widget.get(b"StructParent").unwrap().as_i64().unwrap();
    let root = dict(&doc, catalog.get(b"StructTreeRoot").unwrap()).unwrap();
    let parent_tree = dict(&doc, root.get(b"ParentTree").unwrap()).unwrap();
    assert!(
        number_tree_has(&doc, parent_tree, key),
        "the parent tree has no key {key}"
    );
    assert!(root.get(b"ParentTreeNextKey").unwrap().as_i64().unwrap() > key);

    // The signature stays valid, and the number and date are content, not artifacts.
    assert!(drucksache::sign::verify(&paper.signed, &[]).valid);
    let words = drucksache::render::words::tagged_words(&paper.signed)
        .unwrap()
        .words;
    let first_page: Vec<&str> = words.iter().take(40).map(String::as_str).collect();
    for wanted in ["Drucksachennummer:", "0310/2012", "Datum:", "25.04.2012"] {
        assert!(first_page.contains(&wanted), "{wanted} in {first_page:?}");
    }
    assert!(
        !first_page.contains(&"Seite"),
        "the page number is an artifact"
    );
}

/// `key` maps to a structure element in the number tree `tree`.
fn number_tree_has(doc: &Document, tree: &Dictionary, key: i64) -> bool {
    if let Ok(Object::Array(nums)) = tree.get(b"Nums") {
        return nums.chunks(2).any(|pair| {
            pair[0].as_i64().ok() == Some(key)
                && dict(doc, &pair[1]).is_some_and(|d| d.get(b"S").is_ok())
        });
    }
    if let Ok(Object::Array(kids)) = tree.get(b"Kids") {
        return kids
            .iter()
            .filter_map(|k| dict(doc, k))
            .any(|k| number_tree_has(doc, k, key));
    }
    false
}

/// A second signature leaves the structure tree as the first one signed it: changing it
/// would invalidate the first signature.
#[test]
fn a_second_signature_leaves_the_structure_tree_alone() {
    let paper = signed_seed();
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("erste.pdf");
    std::fs::write(&first, &paper.signed).unwrap();
    let key = keygen(&dir.path().join("zweiter"), "ecdsa");
    let both = dir.path().join("beide.pdf");
    let r = sign(&first, &both, &key);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let bytes = std::fs::read(&both).unwrap();
    let report = drucksache::sign::verify(&bytes, &[]);
    assert!(report.valid, "{report:#?}");
    let doc = Document::load_mem(&bytes).unwrap();
    let forms = structure(&doc)
        .all()
        .iter()
        .filter(|e| e.kind == "Form")
        .count();
    assert_eq!(forms, 1);
}

/// A rendition made before PDF/UA (PDF/A-2b, page 1's letterhead a page header) says the same
/// words as today's rendering, whose page-1 letterhead is content: re-rendering an archive of
/// such renditions passes the content check.
#[test]
fn a_rendition_from_before_pdf_ua_says_the_same_words() {
    use drucksache::render::words::{first_difference, pdf_words};
    let old =
        std::fs::read(root().join("tests/fixtures/renditions/0310-2012-pdfa-2b.pdf")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("neu.pdf");
    render(&seed(), &pdf, &[]);
    let new = std::fs::read(&pdf).unwrap();
    assert_ne!(old, new);
    let (old, new) = (pdf_words(&old).unwrap(), pdf_words(&new).unwrap());
    assert_eq!(old.pages, new.pages);
    assert_eq!(first_difference(&old.words, &new.words), None);
}
