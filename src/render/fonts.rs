//! The fonts compiled into the binary. No system font is ever read, so a paper looks and
//! measures the same on every machine.

use typst::foundations::Bytes;
use typst::text::Font;

/// Liberation Sans (metric-compatible with Arial, the face of most German municipal papers:
/// Latin with Vietnamese, Greek, Cyrillic, Hebrew), DejaVu Sans for the symbols and the Arabic
/// Liberation lacks (☒ ☐), Noto Sans Thai, Droid Sans Fallback cut to the characters of
/// GB 2312, JIS X 0208 and KS X 1001 (Chinese, Japanese), and the Hangul of NanumGothic
/// ("Drucksache Hangul", Korean; see templates/fonts/make-cjk-subsets.sh). Licences beside the files;
/// `data/printable.txt` lists what they print together (what a paper may contain).
const FONT_FILES: [&[u8]; 8] = [
    include_bytes!("../../templates/fonts/LiberationSans-Regular.ttf"),
    include_bytes!("../../templates/fonts/LiberationSans-Bold.ttf"),
    include_bytes!("../../templates/fonts/LiberationSans-Italic.ttf"),
    include_bytes!("../../templates/fonts/LiberationSans-BoldItalic.ttf"),
    include_bytes!("../../templates/fonts/DejaVuSans.ttf"),
    include_bytes!("../../templates/fonts/NotoSansThai-Regular.ttf"),
    include_bytes!("../../templates/fonts/DroidSansFallback-CJK.ttf"),
    include_bytes!("../../templates/fonts/DrucksacheHangul-Regular.ttf"),
];

/// Every face in the embedded font files.
pub fn embedded() -> Vec<Font> {
    FONT_FILES
        .iter()
        .flat_map(|data| Font::iter(Bytes::new(*data)))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn all_faces_load() {
        let fonts = super::embedded();
        assert_eq!(fonts.len(), 8);
        let families: Vec<_> = fonts.iter().map(|f| f.info().family.clone()).collect();
        assert!(
            families.iter().filter(|f| *f == "Liberation Sans").count() == 4,
            "{families:?}"
        );
    }

    /// Every character validation lets through has a glyph in one of the fonts (the render
    /// tests then render them all).
    #[test]
    fn every_printable_character_is_in_a_font() {
        let fonts = super::embedded();
        let missing: Vec<String> = crate::model::printable()
            .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
            .filter(|c| fonts.iter().all(|f| !f.info().coverage.contains(*c as u32)))
            .map(|c| format!("U+{:04X}", c as u32))
            .collect();
        assert!(missing.is_empty(), "no glyph for {missing:?}");
    }
}
