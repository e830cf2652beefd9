//! Which characters a paper may contain: those the embedded fonts print (Latin with every
//! European and Vietnamese letter, Greek, Cyrillic, Hebrew, Arabic, Thai, the Chinese,
//! Japanese and Korean characters of GB 2312, JIS X 0208 and KS X 1001, and the usual
//! symbols), without control, format, private-use and noncharacters. The table is
//! `data/printable.txt`, generated from the fonts by `data/make-printable.py`; the renderer's
//! tests check that every character in it is in a font and renders into a PDF/A.

use std::fmt;
use std::sync::LazyLock;

/// The table, embedded.
const TABLE: &str = include_str!("../../data/printable.txt");

/// Sorted, disjoint, inclusive ranges of printable code points.
static RANGES: LazyLock<Vec<(u32, u32)>> = LazyLock::new(|| {
    TABLE
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (a, b) = line.split_once('-').unwrap_or((line, line));
            let hex = |s: &str| u32::from_str_radix(s.trim(), 16).expect("data/printable.txt");
            (hex(a), hex(b))
        })
        .collect()
});

/// Whether a paper may contain `c`.
pub fn is_printable(c: char) -> bool {
    let c = c as u32;
    if (0x20..0x7F).contains(&c) {
        return true;
    }
    let ranges = &*RANGES;
    let i = ranges.partition_point(|&(_, end)| end < c);
    ranges.get(i).is_some_and(|&(start, _)| start <= c)
}

/// Every printable character (for the tests that render them all).
pub fn printable() -> impl Iterator<Item = char> {
    RANGES
        .iter()
        .flat_map(|&(a, b)| (a..=b).filter_map(char::from_u32))
}

/// The first character of a text that no paper may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unprintable {
    /// Its position in the text, counted in characters from 1.
    pub position: usize,
    pub character: char,
}

/// The first character of `text` that a paper may not contain.
pub fn first_unprintable(text: &str) -> Option<Unprintable> {
    if text
        .bytes()
        .all(|b| (0x20..0x7F).contains(&b) || b == b'\n')
    {
        return None;
    }
    text.chars()
        .enumerate()
        .find(|(_, c)| !is_printable(*c))
        .map(|(i, character)| Unprintable {
            position: i + 1,
            character,
        })
}

impl fmt::Display for Unprintable {
    /// `character 13 is U+0000, a control character; remove it`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.character;
        let n = c as u32;
        write!(f, "character {} is U+{n:04X}", self.position)?;
        let what = if c.is_control() {
            ", a control character; remove it".to_string()
        } else if (0xE000..=0xF8FF).contains(&n) || n >= 0xF0000 {
            ", a private-use character with no agreed meaning; write the character itself"
                .to_string()
        } else if (0xFDD0..=0xFDEF).contains(&n) || n & 0xFFFE == 0xFFFE {
            ", which is not a character (a Unicode noncharacter); remove it".to_string()
        } else if matches!(n, 0x200E..=0x200F | 0x202A..=0x202E | 0x2061..=0x206F | 0xFEFF | 0x2028 | 0x2029)
        {
            ", an invisible formatting character; remove it".to_string()
        } else {
            format!(
                " ({c}), which the paper's fonts cannot print; drucksache prints Latin, Greek, \
                 Cyrillic, Hebrew, Arabic and Thai letters and the common Chinese, Japanese and \
                 Korean characters"
            )
        };
        f.write_str(&what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_a_municipality_prints() {
        for text in [
            "Gülşen Yıldırım İzmir",
            "Łódź Gdańsk",
            "Timișoara Ştefan",
            "Nguyễn Thị Minh Khai Đà Nẵng",
            "Θεσσαλονίκη",
            "Київ Москва",
            "תל אביב",
            "الرباط",
            "中山 東京 とカナ 서울",
            "กรุงเทพ",
            "§ € „“ – … ☒ ☐\t\r\n",
        ] {
            assert_eq!(first_unprintable(text), None, "{text}");
        }
    }

    #[test]
    fn what_no_paper_contains() {
        for (c, words) in [
            ('\u{0}', "a control character"),
            ('\u{7F}', "a control character"),
            ('\u{85}', "a control character"),
            ('\u{E000}', "private-use"),
            ('\u{10FFFD}', "private-use"),
            ('\u{FFFE}', "noncharacter"),
            ('\u{FDD0}', "noncharacter"),
            ('\u{202E}', "invisible formatting"),
            ('\u{FEFF}', "invisible formatting"),
            ('\u{1D11E}', "cannot print"),
        ] {
            let found = first_unprintable(&format!("ab{c}c")).unwrap();
            assert_eq!(found.position, 3);
            let message = found.to_string();
            assert!(
                message.starts_with(&format!("character 3 is U+{:04X}", c as u32)),
                "{message}"
            );
            assert!(message.contains(words), "{message}");
        }
    }

    #[test]
    fn the_table_is_sorted_and_disjoint() {
        let ranges = &*RANGES;
        assert!(ranges.len() > 1000);
        for pair in ranges.windows(2) {
            assert!(
                pair[0].0 <= pair[0].1 && pair[0].1 + 1 < pair[1].0,
                "{pair:?}"
            );
        }
        assert!(printable().count() > 15_000);
    }
}
