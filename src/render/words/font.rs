//! What the words walk needs of a font: the text of its codes (`/ToUnicode`, else the
//! encoding) and its glyph widths (to know where a run of text ends).

use std::cell::RefCell;
use std::collections::HashMap;

use hayro_cmap::{BfString, CMap};
use hayro_syntax::object::{Array, Dict, Name, Object as PdfObject, Stream};

use super::unpack::{UnpackError, unpack};

/// What the walk needs of a font: the text of its codes and its glyph widths.
pub(super) struct Font {
    /// `/ToUnicode`, when the font has one (Typst writes one for every font).
    to_unicode: Option<CMap>,
    /// A simple font without `/ToUnicode` whose `/Encoding` is `/WinAnsiEncoding`; other simple
    /// fonts without it are read as Latin-1.
    win_ansi: bool,
    /// Codes are two bytes long (a Type0 font; Typst uses Identity-H).
    pub(super) two_byte: bool,
    /// Width of code `first + i`, in text space units per unit of font size.
    widths: Vec<f32>,
    first: u32,
    default_width: f32,
    /// The text of each code met so far.
    texts: RefCell<HashMap<u16, Box<str>>>,
}

impl Font {
    /// Reads the font `dict`; its `/ToUnicode` is unpacked within `budget`.
    pub(super) fn read(dict: &Dict<'_>, budget: &mut usize) -> Result<Font, UnpackError> {
        let to_unicode = match dict.get::<Stream<'_>>(b"ToUnicode") {
            Some(stream) => {
                let data = unpack(&stream, budget)?;
                CMap::parse(&data, |_| None)
            }
            None => None,
        };
        let numbers = |array: Option<Array<'_>>| -> Vec<f32> {
            array.map_or_else(Vec::new, |a| a.iter::<f32>().collect())
        };
        let subtype = dict.get::<Name<'_>>(b"Subtype");
        let mut font = Font {
            win_ansi: dict
                .get::<Name<'_>>(b"Encoding")
                .is_some_and(|n| n.as_ref() == b"WinAnsiEncoding"),
            to_unicode,
            two_byte: false,
            widths: Vec::new(),
            first: 0,
            default_width: 0.0,
            texts: RefCell::default(),
        };
        if subtype.as_deref() == Some(b"Type0") {
            font.two_byte = true;
            let descendant = dict
                .get::<Array<'_>>(b"DescendantFonts")
                .and_then(|a| a.iter::<Dict<'_>>().next());
            let Some(cid_font) = descendant else {
                return Ok(font);
            };
            font.default_width = cid_font.get::<f32>(b"DW").unwrap_or(1000.0) / 1000.0;
            let w = cid_font.get::<Array<'_>>(b"W");
            font.widths = cid_widths(w, font.default_width);
        } else {
            // Type3 glyph widths are in glyph space, mapped to text space by /FontMatrix.
            let scale = match subtype.as_deref() {
                Some(b"Type3") => numbers(dict.get::<Array<'_>>(b"FontMatrix"))
                    .first()
                    .copied()
                    .unwrap_or(0.001),
                _ => 0.001,
            };
            font.first = dict.get::<f32>(b"FirstChar").unwrap_or(0.0) as u32;
            font.widths = numbers(dict.get::<Array<'_>>(b"Widths"))
                .into_iter()
                .map(|w| w * scale)
                .collect();
            font.default_width = dict
                .get::<Dict<'_>>(b"FontDescriptor")
                .and_then(|d| d.get::<f32>(b"MissingWidth"))
                .unwrap_or(0.0)
                * scale;
        }
        Ok(font)
    }

    pub(super) fn width(&self, code: u32) -> f32 {
        code.checked_sub(self.first)
            .and_then(|i| self.widths.get(i as usize))
            .copied()
            .unwrap_or(self.default_width)
    }

    pub(super) fn decode(&self, bytes: &[u8], out: &mut String) {
        let mut texts = self.texts.borrow_mut();
        let size = if self.two_byte { 2 } else { 1 };
        for code in bytes.chunks(size) {
            let code = code.iter().fold(0u16, |a, &b| a << 8 | u16::from(b));
            let text = texts.entry(code).or_insert_with(|| self.text(code).into());
            out.push_str(text);
        }
    }

    /// The text of one code: `/ToUnicode`, else the code as a character of the encoding
    /// (a two-byte code without a mapping: U+FFFD).
    fn text(&self, code: u16) -> String {
        if let Some(cmap) = &self.to_unicode {
            match cmap.lookup_bf_string(u32::from(code)) {
                Some(BfString::Char(c)) => return c.to_string(),
                Some(BfString::String(s)) => return s,
                None => {}
            }
        }
        let c = match code {
            _ if self.two_byte => char::REPLACEMENT_CHARACTER,
            0x80..=0x9F if self.win_ansi => WIN_ANSI_80[usize::from(code - 0x80)],
            _ => char::from_u32(u32::from(code)).unwrap_or(char::REPLACEMENT_CHARACTER),
        };
        c.to_string()
    }
}

/// WinAnsiEncoding's codes 0x80–0x9F (elsewhere it is Latin-1); unused codes give U+FFFD.
const WIN_ANSI_80: [char; 32] = [
    '€', '\u{FFFD}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{FFFD}', 'Ž',
    '\u{FFFD}', '\u{FFFD}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{FFFD}',
    'ž', 'Ÿ',
];

/// `/W` of a CIDFont: `c [w1 w2 …]` or `c_first c_last w`, widths in 1/1000 em.
fn cid_widths(w: Option<Array<'_>>, default: f32) -> Vec<f32> {
    const MAX_CID: usize = 0xFFFF;
    let mut widths = Vec::new();
    let Some(w) = w else {
        return widths;
    };
    let items: Vec<PdfObject<'_>> = w.iter::<PdfObject<'_>>().collect();
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
    let number = |o: Option<&PdfObject<'_>>| match o {
        Some(PdfObject::Number(n)) => Some(n.as_f32()),
        _ => None,
    };
    let mut i = 0;
    while let Some(first) = number(items.get(i)).filter(|f| (0.0..=MAX_CID as f32).contains(f)) {
        let first = first as usize;
        let more = match items.get(i + 1) {
            Some(PdfObject::Array(list)) => {
                i += 2;
                let list = list.iter::<f32>();
                list.enumerate().all(|(k, width)| set(first + k, width))
            }
            Some(last) => {
                i += 3;
                let last = number(Some(last)).unwrap_or(-1.0).min(MAX_CID as f32);
                let width = number(items.get(i - 1));
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
