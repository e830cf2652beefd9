//! Rich text ([`crate::model::richtext`]) as HTML for the citizen pages: our own small writer
//! over the model's tree, so a page shows exactly what the PDF prints. Every text is escaped;
//! the only attributes written are a link's `href` (an `http`, `https` or `mailto` address,
//! checked by the model) and a list's `start`. No image, script or raw HTML can come out.

use crate::model::richtext::{self, Block, Inline};

/// Markdown of a paper as HTML (a heading `#` becomes `<h3>`: below the page's `h1` and
/// its sections' `h2`).
pub fn markdown(text: &str) -> String {
    markdown_headed(text, 3)
}

/// Markdown as HTML whose first heading level (`#`) is `<h{top}>` (deeper ones below it,
/// `<h6>` at most): the text of a legal page is the page's content under its `h1`.
pub fn markdown_headed(text: &str, top: usize) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    blocks(&richtext::parse(text), top, &mut out);
    out
}

fn blocks(blocks_: &[Block], top: usize, out: &mut String) {
    for block in blocks_ {
        match block {
            Block::Par { inl } => {
                out.push_str("<p>");
                inlines(inl, out);
                out.push_str("</p>\n");
            }
            Block::Heading { level, inl } => {
                // The page's own headings are h1 (subject) and h2 (sections): a heading in
                // the text starts below them, as in the PDF.
                let h = (usize::from(*level) + top - 1).min(6);
                out.push_str(&format!("<h{h}>"));
                inlines(inl, out);
                out.push_str(&format!("</h{h}>\n"));
            }
            Block::List {
                ordered,
                start,
                items,
            } => {
                match (ordered, start) {
                    (false, _) => out.push_str("<ul>\n"),
                    (true, 1) => out.push_str("<ol>\n"),
                    (true, n) => out.push_str(&format!("<ol start=\"{n}\">\n")),
                }
                for item in items {
                    out.push_str("<li>");
                    blocks(item, top, out);
                    out.push_str("</li>\n");
                }
                out.push_str(if *ordered { "</ol>\n" } else { "</ul>\n" });
            }
            Block::Quote { blocks: inner } => {
                out.push_str("<blockquote>\n");
                blocks(inner, top, out);
                out.push_str("</blockquote>\n");
            }
            Block::Code { text } => {
                out.push_str("<pre>");
                escape_into(text, out);
                out.push_str("</pre>\n");
            }
            Block::Rule => out.push_str("<hr>\n"),
        }
    }
}

fn inlines(inlines_: &[Inline], out: &mut String) {
    for inline in inlines_ {
        match inline {
            Inline::Text { s } => escape_into(s, out),
            Inline::Strong { inl } => {
                out.push_str("<strong>");
                inlines(inl, out);
                out.push_str("</strong>");
            }
            Inline::Emph { inl } => {
                out.push_str("<em>");
                inlines(inl, out);
                out.push_str("</em>");
            }
            Inline::Link { url, inl } => {
                // The model only makes links of allowed addresses; checked again here, where
                // the attribute is written, so a change there cannot open a hole here.
                if richtext::is_link_target(url) {
                    out.push_str("<a href=\"");
                    escape_into(url, out);
                    out.push_str("\" rel=\"nofollow noopener noreferrer\">");
                    inlines(inl, out);
                    out.push_str("</a>");
                } else {
                    inlines(inl, out);
                }
            }
            Inline::Br => out.push_str("<br>\n"),
        }
    }
}

/// Appends `text` escaped for HTML text and double-quoted attributes (askama's escaper, as in
/// the templates).
fn escape_into(text: &str, out: &mut String) {
    out.push_str(&super::pages::escape(text));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_never_becomes_markup() {
        let html = markdown("**fett** <script>alert(1)</script>\n\n<img src=x onerror=y>");
        assert!(html.contains("<strong>fett</strong>"), "{html}");
        assert!(
            !html.contains("<script") && !html.contains("<img"),
            "{html}"
        );
        assert!(html.contains("&#60;script&#62;"), "{html}");
    }

    #[test]
    fn the_tree_becomes_html() {
        let html = markdown(
            "# Sachverhalt\n\nText mit *Betonung* und  \nUmbruch.\n\n3. drei\n4. vier\n\n- a\n  - b\n\n> Zitat\n\n    code <x>\n\n---\n",
        );
        assert_eq!(
            html,
            "<h3>Sachverhalt</h3>\n<p>Text mit <em>Betonung</em> und<br>\nUmbruch.</p>\n\
             <ol start=\"3\">\n<li><p>drei</p>\n</li>\n<li><p>vier</p>\n</li>\n</ol>\n\
             <ul>\n<li><p>a</p>\n<ul>\n<li><p>b</p>\n</li>\n</ul>\n</li>\n</ul>\n\
             <blockquote>\n<p>Zitat</p>\n</blockquote>\n<pre>code &#60;x&#62;</pre>\n<hr>\n"
        );
    }

    #[test]
    fn links_only_to_web_and_mail_addresses() {
        let html = markdown(
            "[Info](https://x.de/?a=1&b=\"2\") [böse](javascript:alert(1)) ![](http://h/p.gif)",
        );
        assert_eq!(
            html,
            "<p><a href=\"https://x.de/?a=1&#38;b=&#34;2&#34;\" rel=\"nofollow noopener noreferrer\">Info</a> \
             (https://x.de/?a=1&#38;b=&#34;2&#34;) böse (javascript:alert(1))  (http://h/p.gif)</p>\n"
        );
    }
}
