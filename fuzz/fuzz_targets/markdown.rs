//! Fuzzes paper Markdown: `richtext::nesting`, `richtext::parse` and `plain_text` never
//! panic, the tree is at most `richtext::MAX_NESTING` deep, and the HTML of
//! `server::markdown_html` has only the tags it is meant to have (no `<img`, `<script`,
//! `<iframe`, no `on…=` event attribute), every `href` to an `http://`, `https://` or
//! `mailto:` address.
#![no_main]

use drucksache::model::richtext::{self, MAX_NESTING};
use drucksache::server::markdown_html;
use drucksache_fuzz::blocks_depth;
use libfuzzer_sys::fuzz_target;

/// The tags `server::html` writes; anything else came from user text.
const TAGS: &[&str] = &[
    "p",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "blockquote",
    "pre",
    "hr",
    "br",
    "strong",
    "em",
    "a",
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = richtext::nesting(text);
    let tree = richtext::parse(text);
    let depth = blocks_depth(&tree);
    assert!(depth <= MAX_NESTING, "tree {depth} deep");
    let _ = richtext::plain_text(&tree);

    let html = markdown_html(text);
    check_html(&html);
});

fn check_html(html: &str) {
    let lower = html.to_ascii_lowercase();
    for bad in ["<img", "<script", "<iframe"] {
        assert!(!lower.contains(bad), "{bad} in {html}");
    }
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let close = after
            .find('>')
            .unwrap_or_else(|| panic!("unclosed tag in {html}"));
        let tag = &after[..close];
        check_tag(tag, html);
        rest = &after[close + 1..];
    }
    assert!(!rest.contains('>'), "stray > in {html}");
}

/// One tag's inside (between `<` and `>`).
fn check_tag(tag: &str, html: &str) {
    let name_end = tag.find(' ').unwrap_or(tag.len());
    let name = tag[..name_end].trim_start_matches('/');
    assert!(TAGS.contains(&name), "tag <{tag}> in {html}");
    assert!(!tag.contains('<'), "< inside the tag <{tag}> in {html}");
    // Attributes: name="value" pairs; no event handler, links only to allowed addresses.
    let mut attrs = &tag[name_end..];
    loop {
        attrs = attrs.trim_start();
        if attrs.is_empty() {
            break;
        }
        let eq = attrs
            .find("=\"")
            .unwrap_or_else(|| panic!("attribute without a quoted value in <{tag}>: {html}"));
        let attr = &attrs[..eq];
        let value_start = eq + 2;
        let value_len = attrs[value_start..]
            .find('"')
            .unwrap_or_else(|| panic!("unclosed attribute in <{tag}>: {html}"));
        let value = &attrs[value_start..value_start + value_len];
        let lower = attr.to_ascii_lowercase();
        assert!(
            !lower.starts_with("on") && !lower.contains(' '),
            "attribute {attr} in <{tag}>: {html}"
        );
        match lower.as_str() {
            "href" => {
                let url = unescape(value);
                assert!(
                    ["http://", "https://", "mailto:"].iter().any(|scheme| {
                        url.get(..scheme.len())
                            .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
                    }),
                    "href {url:?} in {html}"
                );
            }
            "rel" | "start" => {}
            other => panic!("attribute {other} in <{tag}>: {html}"),
        }
        attrs = &attrs[value_start + value_len + 1..];
    }
    // No event attribute anywhere in the tag, however it is written.
    let lower = tag.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    for (i, _) in lower.match_indices(" on") {
        let rest = &bytes[i + 3..];
        let letters = rest.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        assert!(
            letters == 0 || rest.get(letters) != Some(&b'='),
            "event attribute in <{tag}>: {html}"
        );
    }
}

/// askama's entities back to characters.
fn unescape(value: &str) -> String {
    value
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
}
