//! The content-stream walk behind [`super::pdf_words`]: fonts (their text and glyph widths),
//! the graphics and text state, marked content, form XObjects — just enough of a viewer to know
//! which text is shown where, and which of it is an artifact. The PDF is read lazily with
//! hayro-syntax: only the pages, their resources, fonts and content streams are parsed.

use std::collections::HashMap;
use std::rc::Rc;

use hayro_syntax::Pdf;
use hayro_syntax::object::{Dict, Name, Object as PdfObject, Stream};
use hayro_syntax::page::Resources;
use lopdf::Object;

use super::font::Font;
use super::lexer::Operations;
use super::unpack::{UnpackError, unpack};
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

/// Which artifacts (`/Artifact` marked content) are left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Skip {
    /// From page 2 on: the content check's rule (see [`Walker::in_artifact`]).
    LaterArtifacts,
    /// Every artifact: the text assistive technology reads out of a tagged PDF.
    AllArtifacts,
}

/// The number of pages of `pdf` and the words on them.
pub(super) fn walk(pdf: &Pdf, skip: Skip) -> Result<(usize, Words), WordsError> {
    let pages = pdf.pages();
    if pages.is_empty() {
        return Err(WordsError::Unreadable("it has no pages".into()));
    }
    let mut walker = Walker {
        fonts: HashMap::new(),
        budget: MAX_CONTENT,
        skip,
        page: 0,
        marked: Vec::new(),
        last_end: None,
        words: Words::default(),
    };
    for (index, page) in pages.iter().enumerate() {
        walker.page = index + 1;
        walker.words.boundary();
        walker.last_end = None;
        walker.marked.clear();
        let content = walker.page_content(page.raw())?;
        walker.run(&content, page.resources(), State::default(), 0)?;
    }
    Ok((pages.len(), walker.words))
}

/// A resource name as the content stream gives it (the lexer has undone `#xx` escapes).
fn name(bytes: &[u8]) -> Name<'_> {
    Name::new_unescaped(bytes)
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
struct State {
    ctm: Matrix,
    font: Option<Rc<Font>>,
    size: f32,
    char_spacing: f32,
    word_spacing: f32,
    horizontal_scale: f32,
    leading: f32,
}

impl Default for State {
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
struct Walker {
    /// By the address of the font dictionary's bytes (the PDF does not move).
    fonts: HashMap<(usize, usize), Rc<Font>>,
    /// Content bytes that may still be unpacked.
    budget: usize,
    skip: Skip,
    page: usize,
    marked: Vec<Marked>,
    /// Where the last text outside artifacts ended, in user space.
    last_end: Option<[f32; 2]>,
    words: Words,
}

impl Walker {
    fn damaged(&self, reason: impl Into<String>) -> WordsError {
        WordsError::Page {
            page: self.page,
            reason: reason.into(),
        }
    }

    /// A stream's bytes, within the budget (a page's, a form's or a font's).
    fn unpack(&mut self, stream: &Stream<'_>, what: &str) -> Result<Vec<u8>, WordsError> {
        unpack(stream, &mut self.budget).map_err(|e| self.unpack_error(what, e))
    }

    fn unpack_error(&self, what: &str, error: UnpackError) -> WordsError {
        match error {
            UnpackError::TooLarge => WordsError::TooLarge,
            UnpackError::Damaged(reason) => {
                self.damaged(format!("{what} cannot be unpacked: {reason}"))
            }
        }
    }

    fn page_content(&mut self, page: &Dict<'_>) -> Result<Vec<u8>, WordsError> {
        let streams: Vec<Stream<'_>> = match page.get::<PdfObject<'_>>(b"Contents") {
            Some(PdfObject::Stream(stream)) => vec![stream],
            Some(PdfObject::Array(array)) => {
                let streams: Vec<Stream<'_>> = array.iter::<Stream<'_>>().collect();
                if streams.len() != array.raw_iter().count() {
                    return Err(self.damaged("a part of its content is missing"));
                }
                streams
            }
            None => Vec::new(),
            Some(_) => return Err(self.damaged("its /Contents is not a content stream")),
        };
        let mut content = Vec::new();
        for stream in streams {
            content.extend(self.unpack(&stream, "its content stream")?);
            content.push(b'\n');
        }
        Ok(content)
    }

    fn font(&mut self, dict: &Dict<'_>) -> Result<Rc<Font>, WordsError> {
        let key = (dict.data().as_ptr() as usize, dict.data().len());
        if let Some(font) = self.fonts.get(&key) {
            return Ok(font.clone());
        }
        let font = Font::read(dict, &mut self.budget)
            .map_err(|e| self.unpack_error("the /ToUnicode of a font", e))?;
        let font = Rc::new(font);
        self.fonts.insert(key, font.clone());
        Ok(font)
    }

    /// Walks one content stream (a page's or a form's).
    fn run(
        &mut self,
        content: &[u8],
        resources: &Resources<'_>,
        mut state: State,
        depth: usize,
    ) -> Result<(), WordsError> {
        let mut saved: Vec<State> = Vec::new();
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
                    let dict = resources.get_font(&self::name(name));
                    state.font = dict.map(|d| self.font(&d)).transpose()?;
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
        resources: &Resources<'_>,
    ) -> Result<(), WordsError> {
        if self.marked.len() >= MAX_NESTING {
            return Err(self.damaged("marked content is nested too deeply"));
        }
        let tag = operands.first().and_then(|o| o.as_name().ok());
        let actual = match operands.get(1) {
            Some(Object::Dictionary(d)) => d
                .get(b"ActualText")
                .ok()
                .and_then(|t| lopdf::decode_text_string(t).ok()),
            Some(Object::Name(name)) => properties(resources, name)
                .and_then(|p| p.get::<hayro_syntax::object::String<'_>>(b"ActualText"))
                .and_then(|t| {
                    let t = Object::String(t.to_vec(), lopdf::StringFormat::Literal);
                    lopdf::decode_text_string(&t).ok()
                }),
            _ => None,
        };
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

    /// For the content check, artifacts count on page 1 only: its header names the
    /// Drucksachennummer and the date (in renditions before PDF/UA as an artifact), which must
    /// not change; the same header repeated on later pages is layout.
    fn in_artifact(&self) -> bool {
        let skipped = match self.skip {
            Skip::LaterArtifacts => self.page > 1,
            Skip::AllArtifacts => true,
        };
        skipped && self.marked.iter().any(|m| matches!(m, Marked::Artifact))
    }

    /// `Do`: draws a form XObject with its own resources (images and others are skipped).
    fn form(
        &mut self,
        operands: &[Object],
        resources: &Resources<'_>,
        state: &State,
        depth: usize,
    ) -> Result<(), WordsError> {
        let name = operands
            .first()
            .and_then(|o| o.as_name().ok())
            .unwrap_or(b"");
        let Some(stream) = resources.get_x_object(&self::name(name)) else {
            return Ok(());
        };
        let dict = stream.dict();
        if dict.get::<Name<'_>>(b"Subtype").as_deref() != Some(b"Form") {
            return Ok(());
        }
        if depth >= MAX_FORM_DEPTH {
            return Err(self.damaged("forms are nested more than 8 deep"));
        }
        let content = self.unpack(&stream, "the content of a form")?;
        let mut inner = state.clone();
        let form_matrix = dict.get::<[f32; 6]>(b"Matrix").unwrap_or(IDENTITY);
        inner.ctm = mul(&form_matrix, &state.ctm);
        let form_resources = match dict.get::<Dict<'_>>(b"Resources") {
            Some(own) => Resources::from_parent(own, resources.clone()),
            None => resources.clone(),
        };
        let open = self.marked.len();
        self.run(&content, &form_resources, inner, depth + 1)?;
        self.marked.truncate(open);
        Ok(())
    }

    /// A text-showing operator: strings (and, for `TJ`, adjustments) in `parts`.
    fn show(&mut self, state: &State, tm: &mut Matrix, parts: &[Object]) -> Result<(), WordsError> {
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

/// The marked-content properties `name` of `resources` or the resources they inherit.
fn properties<'a>(resources: &Resources<'a>, name: &[u8]) -> Option<Dict<'a>> {
    std::iter::successors(Some(resources), |r| r.parent())
        .find_map(|r| r.properties.get::<Dict<'_>>(name))
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
