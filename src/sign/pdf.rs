//! The PDF side of a signature: an incremental update appended to the unchanged original with
//! the signature dictionary (`/ByteRange`, `/Contents` placeholder), an invisible signature
//! field with its widget on page 1, the updated page and catalog (`/AcroForm` with
//! `/SigFlags 3`) and a new cross-reference section in the original's style (table or stream).

use std::io::Write;

use lopdf::{Dictionary, Document, Object, ObjectId, Writer};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::SignError;

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

/// Loads a PDF for updating: refuses what is not a PDF, cannot be read or is encrypted.
pub fn load(pdf: &[u8]) -> Result<Document, SignError> {
    if !pdf.starts_with(b"%PDF-") {
        return Err(SignError::NotPdf);
    }
    let doc = match Document::load_mem(pdf) {
        Ok(doc) => doc,
        Err(e) => {
            if contains(pdf, b"/Encrypt") {
                return Err(SignError::Encrypted);
            }
            return Err(SignError::UnreadablePdf(e.to_string()));
        }
    };
    if doc.is_encrypted() || doc.was_encrypted() || doc.trailer.has(b"Encrypt") {
        return Err(SignError::Encrypted);
    }
    Ok(doc)
}

/// Appends the signature's incremental update to `pdf` (read by [`load`] as `doc`) with room
/// for `cms_len` bytes of CMS.
pub(crate) fn prepare(
    pdf: &[u8],
    doc: &Document,
    cms_len: usize,
    time: OffsetDateTime,
) -> Result<Prepared, SignError> {
    let broken = |what: &str| SignError::UnreadablePdf(what.to_string());
    let catalog_id = doc
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|_| broken("the trailer has no /Root"))?;
    let mut catalog = doc
        .get_dictionary(catalog_id)
        .map_err(|_| broken("the catalog is missing"))?
        .clone();
    let page_id = *doc
        .get_pages()
        .get(&1)
        .ok_or_else(|| broken("the PDF has no pages"))?;
    let mut page = doc
        .get_dictionary(page_id)
        .map_err(|_| broken("page 1 is missing"))?
        .clone();

    let mut next_id = next_free_id(doc);
    let sig_id = next_id;
    let widget_id = next_id + 1;
    let appearance_id = next_id + 2;
    next_id += 3;

    // The form: existing fields stay, the new field is added.
    let (acro_form_id, mut acro_form) = match catalog.get(b"AcroForm") {
        Ok(Object::Reference(id)) => (
            Some(*id),
            doc.get_dictionary(*id)
                .map_err(|_| broken("the /AcroForm is missing"))?
                .clone(),
        ),
        Ok(Object::Dictionary(d)) => (None, d.clone()),
        _ => (None, Dictionary::new()),
    };
    let mut fields = match acro_form.get(b"Fields") {
        Ok(obj) => match doc.dereference(obj) {
            Ok((_, Object::Array(a))) => a.clone(),
            _ => Vec::new(),
        },
        Err(_) => Vec::new(),
    };
    let field_name = free_field_name(doc, &fields);
    fields.push(Object::Reference((widget_id, 0)));
    acro_form.set("Fields", Object::Array(fields));
    acro_form.set("SigFlags", Object::Integer(3));

    // Page 1 gets the widget in /Annots (a referenced array is rewritten as a new version).
    let mut annots_array: Option<(ObjectId, Vec<Object>)> = None;
    match page.get(b"Annots") {
        Ok(Object::Reference(id)) => {
            let mut a = match doc.get_object(*id) {
                Ok(Object::Array(a)) => a.clone(),
                _ => Vec::new(),
            };
            a.push(Object::Reference((widget_id, 0)));
            annots_array = Some((*id, a));
        }
        Ok(Object::Array(a)) => {
            let mut a = a.clone();
            a.push(Object::Reference((widget_id, 0)));
            page.set("Annots", Object::Array(a));
        }
        _ => page.set(
            "Annots",
            Object::Array(vec![Object::Reference((widget_id, 0))]),
        ),
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
    let mut next_id = next_free_id(&doc);
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
    fn finish(mut self, doc: &Document, size: u32) -> Result<Vec<u8>, SignError> {
        let mut trailer = Dictionary::new();
        for key in [&b"Root"[..], b"Info", b"ID"] {
            if let Ok(value) = doc.trailer.get(key) {
                trailer.set(key, value.clone());
            }
        }
        trailer.set("Prev", Object::Integer(doc.xref_start as i64));
        let stream = matches!(
            doc.reference_table.cross_reference_type,
            lopdf::xref::XrefType::CrossReferenceStream
        );
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

/// The first object number not used by any revision.
fn next_free_id(doc: &Document) -> u32 {
    let size = doc
        .trailer
        .get(b"Size")
        .and_then(Object::as_i64)
        .unwrap_or(0);
    let size = u32::try_from(size).unwrap_or(0);
    size.max(doc.max_id + 1).max(doc.reference_table.size)
}

/// `Signatur1`, `Signatur2`, …: the first name no existing field has.
fn free_field_name(doc: &Document, fields: &[Object]) -> String {
    let names: Vec<Vec<u8>> = fields
        .iter()
        .filter_map(|f| doc.dereference(f).ok())
        .filter_map(|(_, f)| f.as_dict().ok())
        .filter_map(|d| d.get(b"T").and_then(Object::as_str).ok())
        .map(<[u8]>::to_vec)
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

pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
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
    fn not_a_pdf_is_refused() {
        assert!(matches!(load(b"hello"), Err(SignError::NotPdf)));
        assert!(matches!(
            load(b"%PDF-1.7\nrubbish"),
            Err(SignError::UnreadablePdf(_))
        ));
    }
}
