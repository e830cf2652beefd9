//! The content-stream walk behind [`super::pdf_words`]: fonts (encoding and glyph widths),
//! the graphics and text state, marked content, form XObjects — just enough of a viewer to know
//! which text is shown where, and which of it is an artifact.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use lopdf::{DecompressError, Dictionary, Document, Encoding, Object, ObjectId};

use super::lexer::Operations;
use super::{MAX_CONTENT, Words, WordsError};

/// Form XObjects drawn inside form XObjects: deeper nesting is refused.
const MAX_FORM_DEPTH: usize = 8;
/// Nesting of `q` and of marked content: deeper nesting is refused.
const MAX_NESTING: usize = 256;
/// A `TJ` adjustment below this (thousandths of an em) is a gap between words.
const TJ_WORD_GAP: f32 = -250.0;
/// A run continues the word when it starts this close (in em) to where the last one ended…
const RUN_GAP_EM: f32 = 0.15;
/// … on the same baseline (up to this much, in em).
const BASELINE_EM: f32 = 0.25;

/// The number of pages of `doc` and the words on them.
pub(super) fn walk(doc: &Document) -> Result<(usize, Words), WordsError> {
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(WordsError::Unreadable("it has no pages".into()));
    }
    let mut walker = Walker {
        doc,
        fonts: HashMap::new(),
        budget: MAX_CONTENT,
        page: 0,
        marked: Vec::new(),
        last_end: None,
        words: Words::default(),
    };
    for (index, &page_id) in pages.values().enumerate() {
        walker.page = index + 1;
        walker.words.boundary();
        walker.last_end = None;
        walker.marked.clear();
        let content = walker.page_content(page_id)?;
        let resources = page_resources(doc, page_id);
        walker.run(&content, &resources, State::default(), 0)?;
    }
    Ok((pages.len(), walker.words))
}

/// The resource dictionaries in effect, nearest first.
#[derive(Clone)]
struct Resources<'a>(Vec<&'a Dictionary>);

impl<'a> Resources<'a> {
    /// The entry `name` of the category `kind` (`Font`, `XObject`, `Properties`).
    fn get(&self, doc: &'a Document, kind: &[u8], name: &[u8]) -> Option<&'a Object> {
        self.0.iter().find_map(|resources| {
            let category = resolve(doc, resources.get(kind).ok()?)?;
            resolve(doc, category.as_dict().ok()?.get(name).ok()?)
        })
    }
}

fn page_resources(doc: &Document, page_id: ObjectId) -> Resources<'_> {
    let (direct, ids) = doc
        .get_page_resources(page_id)
        .unwrap_or((None, Vec::new()));
    let referenced = ids.into_iter().filter_map(|id| doc.get_dictionary(id).ok());
    Resources(direct.into_iter().chain(referenced).collect())
}

/// What the walk needs of a font: its encoding and its glyph widths.
struct Font<'a> {
    encoding: Option<Encoding<'a>>,
    /// Codes are two bytes long (a Type0 font; Typst uses Identity-H).
    two_byte: bool,
    /// Width of code `first + i`, in text space units per unit of font size.
    widths: Vec<f32>,
    first: u32,
    default_width: f32,
    /// The text of each two-byte code met so far (lopdf's CMap lookup is slow).
    texts: RefCell<HashMap<u16, Box<str>>>,
}

impl<'a> Font<'a> {
    fn read(doc: &'a Document, dict: &'a Dictionary, limit: usize) -> Result<Font<'a>, WordsError> {
        let encoding = match dict.get_font_encoding_with_limit(doc, limit) {
            Ok(encoding) => Some(encoding),
            Err(lopdf::Error::Decompress(DecompressError::MemoryLimitExceeded { .. })) => {
                return Err(WordsError::TooLarge);
            }
            Err(_) => None,
        };
        let deref = |dict: &'a Dictionary, key: &[u8]| dict.get_deref(key, doc).ok();
        let number = |object: &Object| object.as_float().ok();
        let numbers = |object: Option<&'a Object>| -> Vec<f32> {
            let array = object
                .and_then(|o| o.as_array().ok())
                .map_or(&[][..], Vec::as_slice);
            array
                .iter()
                .filter_map(|o| resolve(doc, o).and_then(number))
                .collect()
        };
        let mut font = Font {
            encoding,
            two_byte: false,
            widths: Vec::new(),
            first: 0,
            default_width: 0.0,
            texts: RefCell::default(),
        };
        let subtype = dict.get(b"Subtype").and_then(Object::as_name).ok();
        if subtype == Some(b"Type0") {
            font.two_byte = true;
            let descendant = deref(dict, b"DescendantFonts")
                .and_then(|o| o.as_array().ok())
                .and_then(|a| a.first())
                .and_then(|o| resolve(doc, o)?.as_dict().ok());
            let Some(cid_font) = descendant else {
                return Ok(font);
            };
            font.default_width = deref(cid_font, b"DW").and_then(number).unwrap_or(1000.0) / 1000.0;
            let w = deref(cid_font, b"W").and_then(|o| o.as_array().ok());
            font.widths = cid_widths(doc, w.map_or(&[][..], Vec::as_slice), font.default_width);
        } else {
            // Type3 glyph widths are in glyph space, mapped to text space by /FontMatrix.
            let scale = match subtype {
                Some(b"Type3") => numbers(deref(dict, b"FontMatrix"))
                    .first()
                    .copied()
                    .unwrap_or(0.001),
                _ => 0.001,
            };
            font.first = deref(dict, b"FirstChar").and_then(number).unwrap_or(0.0) as u32;
            font.widths = numbers(deref(dict, b"Widths"))
                .into_iter()
                .map(|w| w * scale)
                .collect();
            font.default_width = deref(dict, b"FontDescriptor")
                .and_then(|o| o.as_dict().ok())
                .and_then(|d| deref(d, b"MissingWidth"))
                .and_then(number)
                .unwrap_or(0.0)
                * scale;
        }
        Ok(font)
    }

    fn width(&self, code: u32) -> f32 {
        code.checked_sub(self.first)
            .and_then(|i| self.widths.get(i as usize))
            .copied()
            .unwrap_or(self.default_width)
    }

    fn decode(&self, bytes: &[u8], out: &mut String) {
        if !self.two_byte {
            return self.decode_raw(bytes, out);
        }
        let mut texts = self.texts.borrow_mut();
        for code in bytes.chunks(2) {
            let &[high, low] = code else {
                return self.decode_raw(code, out);
            };
            let text = texts
                .entry(u16::from_be_bytes([high, low]))
                .or_insert_with(|| {
                    let mut text = String::new();
                    self.decode_raw(code, &mut text);
                    text.into()
                });
            out.push_str(text);
        }
    }

    fn decode_raw(&self, bytes: &[u8], out: &mut String) {
        let decoded = self
            .encoding
            .as_ref()
            .map(|e| e.write_to_string(bytes, out));
        if !matches!(decoded, Some(Ok(()))) {
            out.extend(bytes.iter().map(|&b| b as char));
        }
    }
}

/// `/W` of a CIDFont: `c [w1 w2 …]` or `c_first c_last w`, widths in 1/1000 em.
fn cid_widths(doc: &Document, w: &[Object], default: f32) -> Vec<f32> {
    const MAX_CID: usize = 0xFFFF;
    let mut widths = Vec::new();
    // Bounds the work of hostile overlapping ranges; a real /W sets each CID once.
    let mut left = 4 * (MAX_CID + 1);
    let mut set = |cid: usize, width: f32| {
        left = left.saturating_sub(1);
        if cid <= MAX_CID {
            if widths.len() <= cid {
                widths.resize(cid + 1, default);
            }
            widths[cid] = width / 1000.0;
        }
        left > 0
    };
    let value = |o| resolve(doc, o);
    let number = |o: Option<&Object>| resolve(doc, o?)?.as_float().ok();
    let mut i = 0;
    while let Some(first) = number(w.get(i)).filter(|f| (0.0..=MAX_CID as f32).contains(f)) {
        let first = first as usize;
        let more = match w.get(i + 1).and_then(value) {
            Some(Object::Array(list)) => {
                i += 2;
                let list = list.iter().filter_map(|o| value(o)?.as_float().ok());
                list.enumerate().all(|(k, width)| set(first + k, width))
            }
            Some(last) => {
                i += 3;
                let last = last.as_float().unwrap_or(-1.0).min(MAX_CID as f32);
                let width = number(w.get(i - 1));
                width.is_some_and(|width| {
                    (first..=last.max(0.0) as usize).all(|cid| set(cid, width))
                })
            }
            None => false,
        };
        if !more {
            break;
        }
    }
    widths
}

fn resolve<'b>(doc: &'b Document, object: &'b Object) -> Option<&'b Object> {
    doc.dereference(object).ok().map(|(_, o)| o)
}

type Matrix = [f32; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `m` × `n` (PDF matrices, row vectors).
fn mul(m: &Matrix, n: &Matrix) -> Matrix {
    [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]
}

fn matrix(operands: &[Object]) -> Matrix {
    let mut m = IDENTITY;
    if operands.len() >= 6 {
        for (slot, operand) in m.iter_mut().zip(operands) {
            *slot = operand.as_float().unwrap_or(0.0);
        }
    }
    m
}

/// The graphics state, as far as text positions need it (the text state is part of it).
#[derive(Clone)]
struct State<'a> {
    ctm: Matrix,
    font: Option<Rc<Font<'a>>>,
    size: f32,
    char_spacing: f32,
    word_spacing: f32,
    horizontal_scale: f32,
    leading: f32,
}

impl Default for State<'_> {
    fn default() -> Self {
        State {
            ctm: IDENTITY,
            font: None,
            size: 0.0,
            char_spacing: 0.0,
            word_spacing: 0.0,
            horizontal_scale: 1.0,
            leading: 0.0,
        }
    }
}

/// An open marked-content sequence.
enum Marked {
    Plain,
    Artifact,
    /// `/ActualText`: shown once, in place of the glyphs inside.
    Actual {
        text: String,
        shown: bool,
    },
}

/// Walks the pages in order and collects the words shown outside artifacts.
struct Walker<'a> {
    doc: &'a Document,
    /// By the address of the font dictionary (the document does not move).
    fonts: HashMap<*const Dictionary, Rc<Font<'a>>>,
    /// Content bytes that may still be unpacked.
    budget: usize,
    page: usize,
    marked: Vec<Marked>,
    /// Where the last text outside artifacts ended, in user space.
    last_end: Option<[f32; 2]>,
    words: Words,
}

impl<'a> Walker<'a> {
    fn damaged(&self, reason: impl Into<String>) -> WordsError {
        WordsError::Page {
            page: self.page,
            reason: reason.into(),
        }
    }

    fn unpack(&mut self, stream: &lopdf::Stream) -> Result<Vec<u8>, WordsError> {
        match stream.get_plain_content_with_limit(self.budget) {
            Ok(data) => {
                self.budget = self.budget.saturating_sub(data.len());
                Ok(data)
            }
            Err(lopdf::Error::Decompress(DecompressError::MemoryLimitExceeded { .. })) => {
                Err(WordsError::TooLarge)
            }
            Err(e) => Err(self.damaged(format!("a content stream cannot be unpacked ({e})"))),
        }
    }

    fn page_content(&mut self, page_id: ObjectId) -> Result<Vec<u8>, WordsError> {
        if let Err(e) = self.doc.get_dictionary(page_id) {
            return Err(self.damaged(format!("the page is missing ({e})")));
        }
        let mut content = Vec::new();
        for id in self.doc.get_page_contents(page_id) {
            let stream = self.doc.get_object(id).and_then(Object::as_stream);
            let stream =
                stream.map_err(|e| self.damaged(format!("its content is missing ({e})")))?;
            content.extend(self.unpack(stream)?);
            content.push(b'\n');
        }
        Ok(content)
    }

    fn font(&mut self, dict: &'a Dictionary) -> Result<Rc<Font<'a>>, WordsError> {
        let key = dict as *const Dictionary;
        if let Some(font) = self.fonts.get(&key) {
            return Ok(font.clone());
        }
        let font = Rc::new(Font::read(self.doc, dict, self.budget)?);
        self.fonts.insert(key, font.clone());
        Ok(font)
    }

    /// Walks one content stream (a page's or a form's).
    fn run(
        &mut self,
        content: &[u8],
        resources: &Resources<'a>,
        mut state: State<'a>,
        depth: usize,
    ) -> Result<(), WordsError> {
        let mut saved: Vec<State<'a>> = Vec::new();
        let (mut tm, mut tlm) = (IDENTITY, IDENTITY);
        // Like viewers, the walk stops quietly where the operations stop parsing.
        let mut operations = Operations::new(content);
        while let Some(operator) = operations
            .next_operation()
            .map_err(|e| self.damaged(format!("its content stream is damaged ({e})")))?
        {
            let operands = operations.operands();
            let number = |i: usize| {
                operands
                    .get(i)
                    .and_then(|o| o.as_float().ok())
                    .unwrap_or(0.0)
            };
            let mut next_line = |state: &State, tm: &mut Matrix| {
                tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -state.leading], &tlm);
                *tm = tlm;
            };
            match operator {
                b"q" if saved.len() >= MAX_NESTING => {
                    return Err(self.damaged("graphics states are nested too deeply"));
                }
                b"q" => saved.push(state.clone()),
                b"Q" => state = saved.pop().unwrap_or(state),
                b"cm" => state.ctm = mul(&matrix(operands), &state.ctm),
                b"BT" => (tm, tlm) = (IDENTITY, IDENTITY),
                b"Tf" => {
                    let name = operands
                        .first()
                        .and_then(|o| o.as_name().ok())
                        .unwrap_or(b"");
                    let dict = resources
                        .get(self.doc, b"Font", name)
                        .and_then(|o| o.as_dict().ok());
                    state.font = dict.map(|d| self.font(d)).transpose()?;
                    state.size = number(1);
                }
                b"Tc" => state.char_spacing = number(0),
                b"Tw" => state.word_spacing = number(0),
                b"Tz" => state.horizontal_scale = number(0) / 100.0,
                b"TL" => state.leading = number(0),
                b"Td" | b"TD" => {
                    if operator == b"TD" {
                        state.leading = -number(1);
                    }
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, number(0), number(1)], &tlm);
                    tm = tlm;
                }
                b"Tm" => (tm, tlm) = (matrix(operands), matrix(operands)),
                b"T*" => next_line(&state, &mut tm),
                b"Tj" => self.show(&state, &mut tm, operands.get(..1).unwrap_or(&[]))?,
                b"TJ" => {
                    let parts = operands.first().and_then(|o| o.as_array().ok());
                    self.show(&state, &mut tm, parts.map_or(&[][..], Vec::as_slice))?;
                }
                b"'" => {
                    next_line(&state, &mut tm);
                    self.show(&state, &mut tm, operands.get(..1).unwrap_or(&[]))?;
                }
                b"\"" => {
                    (state.word_spacing, state.char_spacing) = (number(0), number(1));
                    next_line(&state, &mut tm);
                    self.show(&state, &mut tm, operands.get(2..3).unwrap_or(&[]))?;
                }
                b"BMC" | b"BDC" => self.begin_marked(operands, resources)?,
                b"EMC" => self.end_marked(),
                b"Do" => self.form(operands, resources, &state, depth)?,
                _ => {}
            }
        }
        Ok(())
    }

    fn begin_marked(
        &mut self,
        operands: &[Object],
        resources: &Resources<'a>,
    ) -> Result<(), WordsError> {
        if self.marked.len() >= MAX_NESTING {
            return Err(self.damaged("marked content is nested too deeply"));
        }
        let tag = operands.first().and_then(|o| o.as_name().ok());
        let properties = match operands.get(1) {
            Some(Object::Dictionary(d)) => Some(d),
            Some(Object::Name(name)) => resources
                .get(self.doc, b"Properties", name)
                .and_then(|o| o.as_dict().ok()),
            _ => None,
        };
        let actual = properties
            .and_then(|p| p.get(b"ActualText").ok())
            .and_then(|t| lopdf::decode_text_string(t).ok());
        self.marked.push(match (tag, actual) {
            (Some(b"Artifact"), _) => Marked::Artifact,
            (_, Some(text)) => Marked::Actual { text, shown: false },
            _ => Marked::Plain,
        });
        Ok(())
    }

    fn end_marked(&mut self) {
        if let Some(Marked::Actual { text, shown: false }) = self.marked.pop()
            && !self.in_artifact()
        {
            self.words.text(&text);
        }
    }

    /// Artifacts count on page 1 only: its header names the Drucksachennummer and the date,
    /// which must not change; the same header repeated on later pages is layout.
    fn in_artifact(&self) -> bool {
        self.page > 1 && self.marked.iter().any(|m| matches!(m, Marked::Artifact))
    }

    /// `Do`: draws a form XObject with its own resources (images and others are skipped).
    fn form(
        &mut self,
        operands: &[Object],
        resources: &Resources<'a>,
        state: &State<'a>,
        depth: usize,
    ) -> Result<(), WordsError> {
        let name = operands
            .first()
            .and_then(|o| o.as_name().ok())
            .unwrap_or(b"");
        let Some(Ok(stream)) = resources
            .get(self.doc, b"XObject", name)
            .map(Object::as_stream)
        else {
            return Ok(());
        };
        if stream.dict.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"Form") {
            return Ok(());
        }
        if depth >= MAX_FORM_DEPTH {
            return Err(self.damaged("forms are nested more than 8 deep"));
        }
        let content = self.unpack(stream)?;
        let mut inner = state.clone();
        let form_matrix = stream
            .dict
            .get_deref(b"Matrix", self.doc)
            .and_then(Object::as_array);
        inner.ctm = mul(&form_matrix.map_or(IDENTITY, |m| matrix(m)), &state.ctm);
        let own = stream
            .dict
            .get_deref(b"Resources", self.doc)
            .and_then(Object::as_dict);
        let form_resources = own.map_or_else(|_| resources.clone(), |d| Resources(vec![d]));
        let open = self.marked.len();
        self.run(&content, &form_resources, inner, depth + 1)?;
        self.marked.truncate(open);
        Ok(())
    }

    /// A text-showing operator: strings (and, for `TJ`, adjustments) in `parts`.
    fn show(
        &mut self,
        state: &State<'a>,
        tm: &mut Matrix,
        parts: &[Object],
    ) -> Result<(), WordsError> {
        let Some(font) = state.font.clone() else {
            return Err(self.damaged("it shows text in a font that it does not define"));
        };
        let hidden = self.in_artifact();
        let mut replaced = false;
        if !hidden {
            let start = mul(tm, &state.ctm);
            let em = state.size * (start[0] * start[3] - start[1] * start[2]).abs().sqrt();
            if !self.last_end.is_some_and(|end| continues(end, &start, em)) {
                self.words.boundary();
            }
            let actual = self.marked.iter_mut().find_map(|m| match m {
                Marked::Actual { text, shown } => Some((text, shown)),
                _ => None,
            });
            if let Some((text, shown)) = actual {
                replaced = true;
                if !*shown {
                    *shown = true;
                    let text = std::mem::take(text);
                    self.words.text(&text);
                }
            }
        }
        let (size, scale) = (state.size, state.horizontal_scale);
        let mut text = String::new();
        for part in parts {
            let advance = match part {
                Object::String(bytes, _) => {
                    if !hidden && !replaced {
                        text.clear();
                        font.decode(bytes, &mut text);
                        self.words.text(&text);
                    }
                    let glyph = |code: u32| {
                        let word = if !font.two_byte && code == 32 {
                            state.word_spacing
                        } else {
                            0.0
                        };
                        font.width(code) * size + state.char_spacing + word
                    };
                    if font.two_byte {
                        bytes
                            .chunks(2)
                            .map(|c| glyph(c.iter().fold(0, |a, &b| a << 8 | u32::from(b))))
                            .sum::<f32>()
                    } else {
                        bytes.iter().map(|&b| glyph(u32::from(b))).sum()
                    }
                }
                Object::Integer(_) | Object::Real(_) => {
                    let n = part.as_float().unwrap_or(0.0);
                    if n < TJ_WORD_GAP && !hidden {
                        self.words.boundary();
                    }
                    -n / 1000.0 * size
                }
                _ => 0.0,
            };
            tm[4] += advance * scale * tm[0];
            tm[5] += advance * scale * tm[1];
        }
        if !hidden {
            let end = mul(tm, &state.ctm);
            self.last_end = Some([end[4], end[5]]);
        }
        Ok(())
    }
}

/// Whether a run starting at `start` (the text rendering matrix) continues the text that
/// ended at `end`: the same baseline, and no gap (or overlap) beyond a fraction of an em.
fn continues(end: [f32; 2], start: &Matrix, em: f32) -> bool {
    let length = start[0].hypot(start[1]);
    if !(length > 0.0 && em > 0.0) {
        return false;
    }
    let (ux, uy) = (start[0] / length, start[1] / length);
    let (dx, dy) = (start[4] - end[0], start[5] - end[1]);
    let along = dx * ux + dy * uy;
    let across = dx * uy - dy * ux;
    along.abs() < RUN_GAP_EM * em && across.abs() < BASELINE_EM * em
}
