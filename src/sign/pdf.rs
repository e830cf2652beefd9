//! The PDF side of a signature: an incremental update appended to the unchanged original with
//! the signature dictionary (`/ByteRange`, `/Contents` placeholder), an invisible signature
//! field with its widget on page 1 (in a tagged PDF also in the structure tree: `tagging.rs`),
//! the updated page and catalog (`/AcroForm` with `/SigFlags 3`) and a new cross-reference
//! section in the original's style (table or stream).
//! The original is read lazily with hayro-syntax (the last trailer, the catalog, page 1 and
//! the form); the objects written are lopdf's.

use std::io::Write;

use hayro_syntax::object::{Array, Dict, MaybeRef, Object as PdfObject, ObjectIdentifier};
use hayro_syntax::reader::{Reader, ReaderExt};
use hayro_syntax::{LoadPdfError, Pdf};
use lopdf::{Dictionary, Object, ObjectId, Writer};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::{SignError, tagging};

/// Width reserved for the three numbers of `/ByteRange` after the leading 0.
const BYTE_RANGE_SLOT: usize = 36;

/// A PDF with a signature placeholder: the `/ByteRange` is final, `/Contents` is zeros.
pub(crate) struct Prepared {
    bytes: Vec<u8>,
    /// Offset of the `<` that opens the `/Contents` hex string.
    contents_start: usize,
    /// Offset just after the closing `>`.
    contents_end: usize,
}

impl Prepared {
    /// SHA-256 over the two signed ranges: everything except the `/Contents` hex string.
    pub(crate) fn digest(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(&self.bytes[..self.contents_start]);
        hasher.update(&self.bytes[self.contents_end..]);
        hasher.finalize().into()
    }

    /// Writes the CMS into the placeholder as hex (the rest stays `0`).
    pub(crate) fn fill(&mut self, cms: &[u8]) -> Result<(), SignError> {
        let room = (self.contents_end - self.contents_start - 2) / 2;
        if cms.len() > room {
            return Err(SignError::Cms(format!(
                "the signature needs {} bytes but only {room} were reserved",
                cms.len()
            )));
        }
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let start = self.contents_start + 1;
        let hex = &mut self.bytes[start..start + 2 * cms.len()];
        for (pair, byte) in hex.chunks_exact_mut(2).zip(cms) {
            pair[0] = HEX[usize::from(byte >> 4)];
            pair[1] = HEX[usize::from(byte & 0x0f)];
        }
        Ok(())
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// A PDF read for an incremental update: hayro-syntax's lazy reader, and the last
/// cross-reference section with its trailer, read here because the update continues them.
pub struct Loaded {
    pdf: Pdf,
    /// Where the last cross-reference section starts (`startxref`): the update's `/Prev`.
    xref_start: usize,
    /// The last section is a cross-reference stream (else a table).
    xref_stream: bool,
    /// The trailer's `/Root`, `/Info` and `/ID` (the update's trailer repeats them).
    root: ObjectId,
    info: Option<Object>,
    id: Option<Object>,
    /// The trailer's `/Size`: the first object number the update may use.
    size: u32,
}

impl Loaded {
    /// The PDF, for reading anything else (re-rendering reads the words of the new PDF).
    pub fn pdf(&self) -> &Pdf {
        &self.pdf
    }
}

/// Loads a PDF for updating: refuses what is not a PDF, cannot be read or is encrypted.
pub fn load(pdf: &[u8]) -> Result<Loaded, SignError> {
    if !pdf.starts_with(b"%PDF-") {
        return Err(SignError::NotPdf);
    }
    let broken = |what: &str| SignError::UnreadablePdf(what.to_string());
    let xref_start = start_xref(pdf).ok_or_else(|| {
        broken("it has no startxref at its end (the file is truncated or damaged)")
    })?;
    let (xref_stream, trailer) = last_trailer(pdf, xref_start).ok_or_else(|| {
        SignError::UnreadablePdf(format!(
            "startxref names byte {xref_start}, where no cross-reference section with a trailer begins: the file is damaged"
        ))
    })?;
    if trailer.contains_key(b"Encrypt") {
        return Err(SignError::Encrypted);
    }
    let root = trailer
        .get_ref(b"Root")
        .and_then(|r| object_id(r.into()))
        .ok_or_else(|| broken("the trailer has no /Root"))?;
    let size = trailer
        .get::<i32>(b"Size")
        .and_then(|s| u32::try_from(s).ok())
        .ok_or_else(|| broken("the trailer has no /Size"))?;
    let info = trailer
        .get_raw::<PdfObject<'_>>(b"Info")
        .map(|o| lopdf_object(o, 0))
        .transpose()?;
    let id = trailer
        .get_raw::<PdfObject<'_>>(b"ID")
        .map(|o| lopdf_object(o, 0))
        .transpose()?;
    let pdf = match Pdf::new(pdf.to_vec()) {
        Ok(pdf) => pdf,
        Err(LoadPdfError::Decryption(_)) => return Err(SignError::Encrypted),
        Err(LoadPdfError::Invalid) => {
            return Err(broken("it has no readable catalog or page tree"));
        }
    };
    Ok(Loaded {
        pdf,
        xref_start,
        xref_stream,
        root,
        info,
        id,
        size,
    })
}

/// The offset after the last `startxref`.
fn start_xref(pdf: &[u8]) -> Option<usize> {
    const KEYWORD: &[u8] = b"startxref";
    let tail = pdf.len().saturating_sub(1024);
    let at = tail
        + pdf[tail..]
            .windows(KEYWORD.len())
            .rposition(|w| w == KEYWORD)?;
    let mut r = Reader::new(&pdf[at + KEYWORD.len()..]);
    r.skip_white_spaces_and_comments();
    usize::try_from(r.read_without_context::<i32>()?).ok()
}

/// The cross-reference section at `offset`: whether it is a stream, and its trailer (the
/// stream's dictionary). `None` if none starts there.
fn last_trailer(pdf: &[u8], offset: usize) -> Option<(bool, Dict<'_>)> {
    let mut r = Reader::new(pdf.get(offset..)?);
    r.skip_white_spaces_and_comments();
    if r.peek_tag(b"xref").is_some() {
        const KEYWORD: &[u8] = b"trailer";
        let rest = &pdf[offset..];
        let at = rest.windows(KEYWORD.len()).position(|w| w == KEYWORD)?;
        let mut r = Reader::new(&rest[at + KEYWORD.len()..]);
        r.skip_white_spaces_and_comments();
        return Some((false, r.read_without_context::<Dict<'_>>()?));
    }
    r.read_without_context::<ObjectIdentifier>()?;
    r.skip_white_spaces_and_comments();
    let dict = r.read_without_context::<Dict<'_>>()?;
    let is_xref = dict
        .get::<hayro_syntax::object::Name<'_>>(b"Type")
        .is_some_and(|t| t.as_ref() == b"XRef");
    is_xref.then_some((true, dict))
}

pub(super) fn object_id(id: ObjectIdentifier) -> Option<ObjectId> {
    Some((
        u32::try_from(id.obj_number).ok()?,
        u16::try_from(id.gen_number).ok()?,
    ))
}

/// Objects nested deeper than this in the catalog, page 1 or the form are refused.
const MAX_DEPTH: usize = 32;

/// `object` as lopdf writes it; references stay references (nothing is resolved).
fn lopdf_object(object: MaybeRef<PdfObject<'_>>, depth: usize) -> Result<Object, SignError> {
    let broken = |what: &str| SignError::UnreadablePdf(what.to_string());
    if depth > MAX_DEPTH {
        return Err(broken("its catalog or page 1 is nested too deeply"));
    }
    let object = match object {
        MaybeRef::Ref(r) => {
            return object_id(r.into())
                .map(Object::Reference)
                .ok_or_else(|| broken("it refers to a negative object number"));
        }
        MaybeRef::NotRef(object) => object,
    };
    Ok(match object {
        PdfObject::Null(_) => Object::Null,
        PdfObject::Boolean(b) => Object::Boolean(b),
        PdfObject::Number(n) => {
            let value = n.as_f64();
            if value.fract() == 0.0 && value.abs() < 1e15 {
                Object::Integer(value as i64)
            } else {
                Object::Real(n.as_f32())
            }
        }
        PdfObject::String(s) => {
            // Bytes a literal string would not keep as they are (line ends) are written as hex.
            let format = if s.iter().all(|b| (0x20..0x7f).contains(b)) {
                lopdf::StringFormat::Literal
            } else {
                lopdf::StringFormat::Hexadecimal
            };
            Object::String(s.to_vec(), format)
        }
        PdfObject::Name(n) => Object::Name(n.to_vec()),
        PdfObject::Dict(d) => Object::Dictionary(lopdf_dict(&d, depth + 1)?),
        PdfObject::Array(a) => Object::Array(lopdf_array(&a, depth + 1)?),
        PdfObject::Stream(_) => return Err(broken("a stream stands where only an object may")),
    })
}

pub(super) fn lopdf_dict(dict: &Dict<'_>, depth: usize) -> Result<Dictionary, SignError> {
    let mut out = Dictionary::new();
    for (key, value) in dict.entries() {
        out.set(key.to_vec(), lopdf_object(value, depth)?);
    }
    Ok(out)
}

pub(super) fn lopdf_array(array: &Array<'_>, depth: usize) -> Result<Vec<Object>, SignError> {
    array.raw_iter().map(|o| lopdf_object(o, depth)).collect()
}

/// Appends the signature's incremental update to `pdf` (read by [`load`] as `doc`) with room
/// for `cms_len` bytes of CMS.
pub(crate) fn prepare(
    pdf: &[u8],
    doc: &Loaded,
    cms_len: usize,
    time: OffsetDateTime,
) -> Result<Prepared, SignError> {
    let broken = |what: &str| SignError::UnreadablePdf(what.to_string());
    let xref = doc.pdf.xref();
    let catalog_id = doc.root;
    let catalog_dict = xref
        .get::<Dict<'_>>(ObjectIdentifier::new(
            catalog_id.0 as i32,
            i32::from(catalog_id.1),
        ))
        .ok_or_else(|| broken("the catalog is missing"))?;
    let mut catalog = lopdf_dict(&catalog_dict, 0)?;
    let first_page = doc
        .pdf
        .pages()
        .first()
        .ok_or_else(|| broken("the PDF has no pages"))?
        .raw()
        .clone();
    let page_id = first_page
        .obj_id()
        .and_then(object_id)
        .ok_or_else(|| broken("page 1 is missing"))?;
    let mut page = lopdf_dict(&first_page, 0)?;

    let mut next_id = doc.size;
    let sig_id = next_id;
    let widget_id = next_id + 1;
    let appearance_id = next_id + 2;
    next_id += 3;

    // The form: existing fields stay, the new field is added.
    let (acro_form_id, acro_form_dict) = match catalog_dict.get_ref(b"AcroForm") {
        Some(r) => (
            Some(object_id(r.into()).ok_or_else(|| broken("the /AcroForm is missing"))?),
            catalog_dict.get::<Dict<'_>>(b"AcroForm"),
        ),
        None => (None, catalog_dict.get::<Dict<'_>>(b"AcroForm")),
    };
    if acro_form_id.is_some() && acro_form_dict.is_none() {
        return Err(broken("the /AcroForm is missing"));
    }
    let mut acro_form = acro_form_dict
        .as_ref()
        .map(|d| lopdf_dict(d, 0))
        .transpose()?
        .unwrap_or_default();
    let field_array = acro_form_dict
        .as_ref()
        .and_then(|d| d.get::<Array<'_>>(b"Fields"));
    let mut fields = field_array
        .as_ref()
        .map(|a| lopdf_array(a, 0))
        .transpose()?
        .unwrap_or_default();
    let field_name = free_field_name(field_array.as_ref());
    // A tagged PDF's first signature joins its structure tree (PDF/UA); see tagging.rs.
    let tag = if has_signature(field_array.as_ref()) {
        None
    } else {
        tagging::tag_widget(xref, &catalog_dict, (widget_id, 0), page_id, &mut next_id)?
    };
    fields.push(Object::Reference((widget_id, 0)));
    acro_form.set("Fields", Object::Array(fields));
    acro_form.set("SigFlags", Object::Integer(3));

    // Page 1 gets the widget in /Annots (a referenced array is rewritten as a new version).
    let mut annots_array: Option<(ObjectId, Vec<Object>)> = None;
    let annots = first_page.get::<Array<'_>>(b"Annots");
    let mut annots = annots
        .as_ref()
        .map(|a| lopdf_array(a, 0))
        .transpose()?
        .unwrap_or_default();
    annots.push(Object::Reference((widget_id, 0)));
    match first_page
        .get_ref(b"Annots")
        .and_then(|r| object_id(r.into()))
    {
        Some(id) => annots_array = Some((id, annots)),
        None => page.set("Annots", Object::Array(annots)),
    }

    let mut w = UpdateWriter::new(pdf);
    // The signature dictionary, written by hand: the offsets of /ByteRange and /Contents matter.
    w.begin(sig_id);
    w.out.extend_from_slice(
        b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange [0 ",
    );
    let byte_range_at = w.out.len();
    w.out.extend(std::iter::repeat_n(b' ', BYTE_RANGE_SLOT));
    w.out.extend_from_slice(b"] /Contents ");
    let contents_start = w.out.len();
    w.out.push(b'<');
    w.out.extend(std::iter::repeat_n(b'0', cms_len * 2));
    w.out.push(b'>');
    let contents_end = w.out.len();
    write!(w.out, " /M ({}) >>", pdf_date(time)).expect("writing to a Vec");
    w.end();

    let mut widget = Dictionary::new();
    widget.set("Type", Object::Name(b"Annot".to_vec()));
    widget.set("Subtype", Object::Name(b"Widget".to_vec()));
    widget.set("FT", Object::Name(b"Sig".to_vec()));
    widget.set("T", Object::string_literal(field_name));
    widget.set("TU", Object::string_literal(tagging::WIDGET_TEXT));
    if let Some(tag) = &tag {
        widget.set("StructParent", Object::Integer(tag.key));
        // PDF/UA: a page with annotations orders them by its structure.
        page.set("Tabs", Object::Name(b"S".to_vec()));
    }
    widget.set("V", Object::Reference((sig_id, 0)));
    // Print + Locked: PDF/A wants printable annotations; an invisible signature has no area.
    widget.set("F", Object::Integer(132));
    widget.set(
        "Rect",
        Object::Array(vec![0.into(), 0.into(), 0.into(), 0.into()]),
    );
    widget.set("P", Object::Reference(page_id));
    // An empty appearance: PDF/A wants one for every widget, even an invisible one.
    let mut appearance = Dictionary::new();
    appearance.set("N", Object::Reference((appearance_id, 0)));
    widget.set("AP", Object::Dictionary(appearance));
    w.object((widget_id, 0), &Object::Dictionary(widget));
    let mut form = Dictionary::new();
    form.set("Type", Object::Name(b"XObject".to_vec()));
    form.set("Subtype", Object::Name(b"Form".to_vec()));
    form.set(
        "BBox",
        Object::Array(vec![0.into(), 0.into(), 0.into(), 0.into()]),
    );
    w.object(
        (appearance_id, 0),
        &Object::Stream(lopdf::Stream::new(form, Vec::new())),
    );
    w.object(page_id, &Object::Dictionary(page));
    for (id, object) in tag.iter().flat_map(|t| &t.objects) {
        w.object(*id, object);
    }
    if let Some((id, array)) = annots_array {
        w.object(id, &Object::Array(array));
    }
    match acro_form_id {
        Some(id) => w.object(id, &Object::Dictionary(acro_form)),
        None => {
            catalog.set("AcroForm", Object::Dictionary(acro_form));
            w.object(catalog_id, &Object::Dictionary(catalog));
        }
    }
    let mut bytes = w.finish(doc, next_id)?;

    let range = format!(
        "{} {} {}",
        contents_start,
        contents_end,
        bytes.len() - contents_end
    );
    bytes[byte_range_at..byte_range_at + range.len()].copy_from_slice(range.as_bytes());
    Ok(Prepared {
        bytes,
        contents_start,
        contents_end,
    })
}

/// Appends `objects` (new versions of existing objects or new ones) to `pdf` as an
/// incremental update. Signing uses the same writer; this entry point exists for tools and
/// tests that need a later revision (e.g. to show that verification detects it).
pub fn append_update(pdf: &[u8], objects: &[(ObjectId, Object)]) -> Result<Vec<u8>, SignError> {
    let doc = load(pdf)?;
    let mut w = UpdateWriter::new(pdf);
    let mut next_id = doc.size;
    for ((id, _), object) in objects {
        w.object((*id, 0), object);
        next_id = next_id.max(id + 1);
    }
    w.finish(&doc, next_id)
}

/// Writes new object versions after the original bytes and then a cross-reference section.
struct UpdateWriter {
    out: Vec<u8>,
    /// Object number and offset of every object written.
    offsets: Vec<(u32, usize)>,
}

impl UpdateWriter {
    fn new(pdf: &[u8]) -> UpdateWriter {
        let mut out = Vec::with_capacity(pdf.len() + 32 * 1024);
        out.extend_from_slice(pdf);
        if !matches!(out.last(), Some(b'\n' | b'\r')) {
            out.push(b'\n');
        }
        UpdateWriter {
            out,
            offsets: Vec::new(),
        }
    }

    fn begin(&mut self, id: u32) {
        self.offsets.push((id, self.out.len()));
        writeln!(self.out, "{id} 0 obj").expect("writing to a Vec");
    }

    fn end(&mut self) {
        self.out.extend_from_slice(b"\nendobj\n");
    }

    fn object(&mut self, (id, _): ObjectId, object: &Object) {
        self.begin(id);
        Writer::write_object(&mut self.out, object).expect("writing to a Vec");
        self.end();
    }

    /// The cross-reference section and trailer, in the style of the original: a
    /// cross-reference stream after a stream, a table after a table.
    fn finish(mut self, doc: &Loaded, size: u32) -> Result<Vec<u8>, SignError> {
        let mut trailer = Dictionary::new();
        trailer.set("Root", Object::Reference(doc.root));
        if let Some(info) = &doc.info {
            trailer.set("Info", info.clone());
        }
        if let Some(id) = &doc.id {
            trailer.set("ID", id.clone());
        }
        trailer.set("Prev", Object::Integer(doc.xref_start as i64));
        let stream = doc.xref_stream;
        let xref_at = self.out.len();
        if stream {
            let xref_id = size;
            self.offsets.push((xref_id, xref_at));
            self.offsets.sort();
            let mut data = Vec::new();
            let mut index = Vec::new();
            for (id, offset) in &self.offsets {
                let offset = u32::try_from(*offset).map_err(|_| {
                    SignError::UnreadablePdf("PDFs over 4 GiB cannot be signed".into())
                })?;
                data.push(1u8);
                data.extend_from_slice(&offset.to_be_bytes());
                data.extend_from_slice(&[0, 0]);
                index.push(Object::Integer(i64::from(*id)));
                index.push(Object::Integer(1));
            }
            trailer.set("Type", Object::Name(b"XRef".to_vec()));
            trailer.set("Size", Object::Integer(i64::from(size) + 1));
            trailer.set("W", Object::Array(vec![1.into(), 4.into(), 2.into()]));
            trailer.set("Index", Object::Array(index));
            let stream = lopdf::Stream::new(trailer, data);
            writeln!(self.out, "{xref_id} 0 obj").expect("writing to a Vec");
            Writer::write_object(&mut self.out, &Object::Stream(stream)).expect("writing to a Vec");
            self.out.extend_from_slice(b"\nendobj\n");
        } else {
            self.offsets.sort();
            self.out.extend_from_slice(b"xref\n");
            for (id, offset) in &self.offsets {
                write!(self.out, "{id} 1\n{offset:010} 00000 n\r\n").expect("writing to a Vec");
            }
            trailer.set("Size", Object::Integer(i64::from(size)));
            self.out.extend_from_slice(b"trailer\n");
            Writer::write_object(&mut self.out, &Object::Dictionary(trailer))
                .expect("writing to a Vec");
            self.out.push(b'\n');
        }
        write!(self.out, "startxref\n{xref_at}\n%%EOF\n").expect("writing to a Vec");
        Ok(self.out)
    }
}

/// Some field of the form is a signature field.
fn has_signature(fields: Option<&Array<'_>>) -> bool {
    fields
        .map(|a| a.iter::<Dict<'_>>().collect::<Vec<_>>())
        .unwrap_or_default()
        .iter()
        .any(|f| {
            f.get::<hayro_syntax::object::Name<'_>>(b"FT")
                .is_some_and(|t| &*t == b"Sig")
        })
}

/// `Signatur1`, `Signatur2`, …: the first name no existing field has.
fn free_field_name(fields: Option<&Array<'_>>) -> String {
    let names: Vec<Vec<u8>> = fields
        .map(|a| a.iter::<Dict<'_>>().collect::<Vec<_>>())
        .unwrap_or_default()
        .iter()
        .filter_map(|f| f.get::<hayro_syntax::object::String<'_>>(b"T"))
        .map(|t| t.to_vec())
        .collect();
    (1..)
        .map(|n| format!("Signatur{n}"))
        .find(|name| !names.iter().any(|n| n == name.as_bytes()))
        .expect("some number is free")
}

/// A PDF date string in UTC: `D:20260124093000Z`.
fn pdf_date(time: OffsetDateTime) -> String {
    let t = time.to_offset(time::UtcOffset::UTC);
    format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_dates_are_utc() {
        let t = time::macros::datetime!(2026-01-24 10:30:05 +01:00);
        assert_eq!(pdf_date(t), "D:20260124093005Z");
    }

    #[test]
    fn objects_are_copied_with_their_references_and_bytes() {
        use hayro_syntax::object::FromBytes;
        let dict = Dict::from_bytes(
            b"<< /ID [<0d0a41> (abc)] /Annots 12 0 R /N 1.5 /I 2 /Kids [3 0 R << /A true >>] >>",
        )
        .unwrap();
        let copy = lopdf_dict(&dict, 0).unwrap();
        let id = copy.get(b"ID").unwrap().as_array().unwrap();
        assert_eq!(
            id[0],
            Object::String(b"\r\nA".to_vec(), lopdf::StringFormat::Hexadecimal)
        );
        assert_eq!(
            id[1],
            Object::String(b"abc".to_vec(), lopdf::StringFormat::Literal)
        );
        assert_eq!(copy.get(b"Annots").unwrap(), &Object::Reference((12, 0)));
        assert_eq!(copy.get(b"N").unwrap(), &Object::Real(1.5));
        assert_eq!(copy.get(b"I").unwrap(), &Object::Integer(2));
        let kids = copy.get(b"Kids").unwrap().as_array().unwrap();
        assert_eq!(kids[0], Object::Reference((3, 0)));
        assert_eq!(
            kids[1].as_dict().unwrap().get(b"A").unwrap(),
            &Object::Boolean(true)
        );
        let deep = format!("<< /A {}1{} >>", "[".repeat(40), "]".repeat(40));
        let deep = Dict::from_bytes(deep.as_bytes());
        assert!(deep.is_none_or(|d| lopdf_dict(&d, 0).is_err()));
    }

    #[test]
    fn a_startxref_that_names_no_cross_reference_section_is_refused() {
        let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\nxref\n0 2\n0000000000 65535 f\r\n0000000009 00000 n\r\ntrailer << /Size 2 /Root 1 0 R >>\nstartxref\n9\n%%EOF\n";
        match load(pdf) {
            Err(SignError::UnreadablePdf(m)) => {
                assert!(m.contains("startxref names byte 9"), "{m}")
            }
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("loaded"),
        }
        match load(b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF") {
            Err(SignError::UnreadablePdf(m)) => assert!(m.contains("no startxref"), "{m}"),
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("loaded"),
        }
    }

    #[test]
    fn not_a_pdf_is_refused() {
        assert!(matches!(load(b"hello"), Err(SignError::NotPdf)));
        assert!(matches!(
            load(b"%PDF-1.7\nrubbish"),
            Err(SignError::UnreadablePdf(_))
        ));
    }
}
