//! The fonts compiled into the binary. No system font is ever read, so a paper looks and
//! measures the same on every machine.

use typst::foundations::Bytes;
use typst::text::Font;

/// Liberation Sans (metric-compatible with Arial, the face of most German municipal papers)
/// and DejaVu Sans for the symbols Liberation lacks (☒ ☐). Licences beside the files.
const FONT_FILES: [&[u8]; 5] = [
    include_bytes!("../../templates/fonts/LiberationSans-Regular.ttf"),
    include_bytes!("../../templates/fonts/LiberationSans-Bold.ttf"),
    include_bytes!("../../templates/fonts/LiberationSans-Italic.ttf"),
    include_bytes!("../../templates/fonts/LiberationSans-BoldItalic.ttf"),
    include_bytes!("../../templates/fonts/DejaVuSans.ttf"),
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
        assert_eq!(fonts.len(), 5);
        let families: Vec<_> = fonts.iter().map(|f| f.info().family.clone()).collect();
        assert!(
            families.iter().filter(|f| *f == "Liberation Sans").count() == 4,
            "{families:?}"
        );
    }
}
