//! Markdown in long text fields (Kurzfassung, Begründung, Beschlussvorschlag, financial
//! effects) turned into a small tree of blocks and inlines: the one reading of paper Markdown
//! that the PDF (templates), the web pages (`server::html`) and the search index
//! ([`plain_text`]) share. Text stays text: nothing a clerk writes is ever read as Typst code
//! or HTML, raw HTML is printed as it was typed, only `http`, `https` and `mailto` targets
//! become links, and images are never loaded (their description and address are text).

use pulldown_cmark::{Event, HeadingLevel, LinkType, Parser, Tag, TagEnd};
use serde::Serialize;

/// Most containers (quotes, lists, emphasis, links) one inside another. Real papers nest
/// three or four (a list in a list, bold inside); the templates are tested at this depth.
/// Validation refuses deeper text, and [`parse`] flattens anything deeper, so no tree is ever
/// deeper than this (its layout, serialisation and HTML recurse).
pub const MAX_NESTING: usize = 8;

/// A block of rich text.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "t", rename_all = "lowercase")]
pub enum Block {
    /// A paragraph.
    Par { inl: Vec<Inline> },
    /// A sub-heading; level 1 is the largest.
    Heading { level: u8, inl: Vec<Inline> },
    /// A bullet (`ordered = false`) or numbered list; each item is a list of blocks.
    List {
        ordered: bool,
        start: u64,
        items: Vec<Vec<Block>>,
    },
    /// A quotation.
    Quote { blocks: Vec<Block> },
    /// Preformatted text, printed as it is.
    Code { text: String },
    /// A horizontal rule.
    Rule,
}

/// A piece of text inside a block.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "t", rename_all = "lowercase")]
pub enum Inline {
    Text {
        s: String,
    },
    Strong {
        inl: Vec<Inline>,
    },
    Emph {
        inl: Vec<Inline>,
    },
    /// A link whose target is an `http`, `https` or `mailto` address ([`is_link_target`]);
    /// when its text is not the address, a text " (address)" follows it. Any other target
    /// stays text.
    Link {
        url: String,
        inl: Vec<Inline>,
    },
    /// A hard line break.
    Br,
}

/// Whether `url` may be a link on a page or in a PDF: `http:`, `https:` or `mailto:`, in
/// any case. Everything else (`javascript:`, `data:`, `vbscript:`, relative paths, …) is
/// shown as text.
pub fn is_link_target(url: &str) -> bool {
    ["http://", "https://", "mailto:"].iter().any(|scheme| {
        url.get(..scheme.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
    })
}

/// Parses Markdown (CommonMark, no tables, footnotes, strikethrough or math). Never fails;
/// containers nested deeper than [`MAX_NESTING`] are dropped, their text kept.
pub fn parse(markdown: &str) -> Vec<Block> {
    let mut builder = Builder::default();
    for event in Parser::new(markdown) {
        builder.event(event);
    }
    builder.finish()
}

/// How deep the containers of `markdown` nest (quotes, lists, emphasis, links, images):
/// what validation compares with [`MAX_NESTING`]. Walks the parser's events, no tree.
pub fn nesting(markdown: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for event in Parser::new(markdown) {
        match event {
            Event::Start(tag) if nests(&tag) => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            Event::End(tag) if nests_end(tag) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// The containers that count towards [`MAX_NESTING`].
fn nests(tag: &Tag<'_>) -> bool {
    matches!(
        tag,
        Tag::BlockQuote(_)
            | Tag::List(_)
            | Tag::Emphasis
            | Tag::Strong
            | Tag::Link { .. }
            | Tag::Image { .. }
    )
}

fn nests_end(tag: TagEnd) -> bool {
    matches!(
        tag,
        TagEnd::BlockQuote(_)
            | TagEnd::List(_)
            | TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Link
            | TagEnd::Image
    )
}

/// The words of rich text without markup, one line per block: what the search index reads.
pub fn plain_text(blocks: &[Block]) -> String {
    let mut out = String::new();
    write_blocks(blocks, &mut out);
    out.trim().to_string()
}

fn write_blocks(blocks: &[Block], out: &mut String) {
    for block in blocks {
        match block {
            Block::Par { inl } | Block::Heading { inl, .. } => write_inlines(inl, out),
            Block::List { items, .. } => items.iter().for_each(|item| write_blocks(item, out)),
            Block::Quote { blocks } => write_blocks(blocks, out),
            Block::Code { text } => out.push_str(text),
            Block::Rule => {}
        }
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
    }
}

fn write_inlines(inlines: &[Inline], out: &mut String) {
    for inline in inlines {
        match inline {
            Inline::Text { s } => out.push_str(s),
            Inline::Strong { inl } | Inline::Emph { inl } | Inline::Link { inl, .. } => {
                write_inlines(inl, out)
            }
            Inline::Br => out.push(' '),
        }
    }
}

/// An open container while walking the events.
enum Frame {
    Blocks(Vec<Block>),
    Par(Vec<Inline>),
    /// Text of a tight list item, which Markdown gives without a paragraph around it.
    LoosePar(Vec<Inline>),
    Heading(u8, Vec<Inline>),
    List {
        ordered: bool,
        start: u64,
        items: Vec<Vec<Block>>,
    },
    Strong(Vec<Inline>),
    Emph(Vec<Inline>),
    Code(String),
    /// A link or image: its text, then (unless it is the address itself) the address.
    Link {
        url: String,
        /// A link to an allowed address ([`is_link_target`]), not an image.
        live: bool,
        /// The address as the link text shows it (without `mailto:` for e-mail autolinks).
        shown: String,
        inl: Vec<Inline>,
    },
    /// An inline container nested too deep: its content goes to the one around it.
    Flat(Vec<Inline>),
}

struct Builder {
    stack: Vec<Frame>,
    /// Open containers that count towards [`MAX_NESTING`], kept or flattened.
    depth: usize,
    /// For each open counted container: whether it was flattened.
    flattened: Vec<bool>,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            stack: vec![Frame::Blocks(Vec::new())],
            depth: 0,
            flattened: Vec::new(),
        }
    }
}

impl Builder {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(s) => self.text(&s),
            Event::Code(s) => self.text(&s),
            Event::Html(s) | Event::InlineHtml(s) => self.text(&s),
            Event::InlineMath(s) | Event::DisplayMath(s) => self.text(&s),
            Event::FootnoteReference(s) => self.text(&s),
            Event::SoftBreak => self.text(" "),
            Event::HardBreak => self.inline(Inline::Br),
            Event::Rule => self.block(Block::Rule),
            Event::TaskListMarker(done) => self.text(if done { "☒ " } else { "☐ " }),
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        let inline = matches!(
            tag,
            Tag::Emphasis | Tag::Strong | Tag::Link { .. } | Tag::Image { .. }
        );
        if !inline {
            self.close_loose_paragraph();
        }
        if nests(&tag) {
            self.depth += 1;
            let flatten = self.depth > MAX_NESTING;
            self.flattened.push(flatten);
            if flatten {
                // Too deep: a block container's content joins the blocks around it, an inline
                // container's the inlines around it.
                self.stack.push(if inline {
                    Frame::Flat(Vec::new())
                } else {
                    Frame::Blocks(Vec::new())
                });
                return;
            }
        }
        let frame = match tag {
            Tag::Paragraph => Frame::Par(Vec::new()),
            Tag::Heading { level, .. } => Frame::Heading(heading_level(level), Vec::new()),
            Tag::List(start) => Frame::List {
                ordered: start.is_some(),
                start: start.unwrap_or(1),
                items: Vec::new(),
            },
            Tag::Item | Tag::BlockQuote(_) => Frame::Blocks(Vec::new()),
            Tag::CodeBlock(_) => Frame::Code(String::new()),
            Tag::Emphasis => Frame::Emph(Vec::new()),
            Tag::Strong => Frame::Strong(Vec::new()),
            Tag::Link {
                link_type,
                dest_url,
                ..
            } => {
                let shown = dest_url.to_string();
                let url = if link_type == LinkType::Email {
                    format!("mailto:{dest_url}")
                } else {
                    shown.clone()
                };
                Frame::Link {
                    live: is_link_target(&url),
                    url,
                    shown,
                    inl: Vec::new(),
                }
            }
            Tag::Image { dest_url, .. } => Frame::Link {
                url: dest_url.to_string(),
                shown: dest_url.to_string(),
                live: false,
                inl: Vec::new(),
            },
            // Everything else (tables, footnote definitions, metadata) is off in the parser
            // options or kept as plain blocks.
            _ => Frame::Blocks(Vec::new()),
        };
        self.stack.push(frame);
    }

    fn end(&mut self, tag: TagEnd) {
        if !matches!(
            tag,
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Link | TagEnd::Image
        ) {
            self.close_loose_paragraph();
        }
        let flattened = nests_end(tag) && {
            self.depth -= 1;
            self.flattened.pop().unwrap_or(false)
        };
        let frame = self.stack.pop().expect("start before end");
        match frame {
            Frame::Par(inl) | Frame::LoosePar(inl) => self.block(Block::Par { inl }),
            Frame::Heading(level, inl) => self.block(Block::Heading { level, inl }),
            Frame::List {
                ordered,
                start,
                items,
            } => self.block(Block::List {
                ordered,
                start,
                items,
            }),
            Frame::Code(text) => self.block(Block::Code {
                text: text.trim_end_matches('\n').to_string(),
            }),
            Frame::Strong(inl) => self.inline(Inline::Strong { inl }),
            Frame::Emph(inl) => self.inline(Inline::Emph { inl }),
            Frame::Flat(inl) => inl.into_iter().for_each(|i| self.inline(i)),
            Frame::Link {
                url,
                live,
                shown,
                inl,
            } => {
                let shows_url = matches!(inl.as_slice(), [Inline::Text { s }] if *s == shown);
                if live {
                    self.inline(Inline::Link { url, inl });
                } else {
                    inl.into_iter().for_each(|i| self.inline(i));
                }
                if !shows_url && !shown.is_empty() {
                    self.text(&format!(" ({shown})"));
                }
            }
            Frame::Blocks(blocks) => match (tag, self.stack.last_mut()) {
                (TagEnd::Item, Some(Frame::List { items, .. })) => items.push(blocks),
                (TagEnd::BlockQuote(_), _) if !flattened => self.block(Block::Quote { blocks }),
                _ => blocks.into_iter().for_each(|b| self.block(b)),
            },
        }
    }

    fn text(&mut self, s: &str) {
        if let Some(Frame::Code(text)) = self.stack.last_mut() {
            text.push_str(s);
            return;
        }
        self.inline(Inline::Text { s: s.to_string() });
    }

    fn inline(&mut self, inline: Inline) {
        let target = match self.stack.last_mut() {
            Some(
                Frame::Par(v)
                | Frame::LoosePar(v)
                | Frame::Heading(_, v)
                | Frame::Strong(v)
                | Frame::Emph(v)
                | Frame::Flat(v)
                | Frame::Link { inl: v, .. },
            ) => v,
            // Tight list items carry their text without a paragraph: open one.
            _ => {
                self.stack.push(Frame::LoosePar(Vec::new()));
                let Some(Frame::LoosePar(v)) = self.stack.last_mut() else {
                    unreachable!()
                };
                v
            }
        };
        // Merge neighbouring text so the template gets whole runs.
        if let (Inline::Text { s }, Some(Inline::Text { s: last })) = (&inline, target.last_mut()) {
            last.push_str(s);
        } else {
            target.push(inline);
        }
    }

    fn block(&mut self, block: Block) {
        self.close_loose_paragraph();
        match self.stack.last_mut() {
            Some(Frame::Blocks(blocks)) => blocks.push(block),
            // Not produced by pulldown-cmark's events (items open `Blocks`); kept so that no
            // sequence of events can panic here.
            Some(Frame::List { items, .. }) => items.push(vec![block]),
            _ => unreachable!("blocks only close into block containers"),
        }
    }

    fn close_loose_paragraph(&mut self) {
        if let Some(Frame::LoosePar(_)) = self.stack.last() {
            let Some(Frame::LoosePar(inl)) = self.stack.pop() else {
                unreachable!()
            };
            self.block(Block::Par { inl });
        }
    }

    fn finish(mut self) -> Vec<Block> {
        self.close_loose_paragraph();
        match self.stack.pop() {
            Some(Frame::Blocks(blocks)) if self.stack.is_empty() => blocks,
            _ => unreachable!("the parser closes every tag it opens"),
        }
    }
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Inline {
        Inline::Text { s: s.into() }
    }

    #[test]
    fn paragraphs_emphasis_and_breaks() {
        let blocks = parse("Ein **fetter** und *kursiver*\nText.  \nNeue Zeile\n\nZweiter Absatz");
        assert_eq!(
            blocks,
            vec![
                Block::Par {
                    inl: vec![
                        text("Ein "),
                        Inline::Strong {
                            inl: vec![text("fetter")]
                        },
                        text(" und "),
                        Inline::Emph {
                            inl: vec![text("kursiver")]
                        },
                        text(" Text."),
                        Inline::Br,
                        text("Neue Zeile"),
                    ]
                },
                Block::Par {
                    inl: vec![text("Zweiter Absatz")]
                },
            ]
        );
    }

    #[test]
    fn headings_and_lists() {
        let blocks = parse("## Problemstellung\n\n- eins\n- zwei\n\n3. drei\n4. vier\n");
        assert_eq!(
            blocks[0],
            Block::Heading {
                level: 2,
                inl: vec![text("Problemstellung")]
            }
        );
        assert_eq!(
            blocks[1],
            Block::List {
                ordered: false,
                start: 1,
                items: vec![
                    vec![Block::Par {
                        inl: vec![text("eins")]
                    }],
                    vec![Block::Par {
                        inl: vec![text("zwei")]
                    }]
                ],
            }
        );
        assert!(
            matches!(&blocks[2], Block::List { ordered: true, start: 3, items } if items.len() == 2)
        );
    }

    #[test]
    fn nested_list_in_item() {
        let blocks = parse("1. oben\n   - innen\n2. unten\n");
        let Block::List { items, .. } = &blocks[0] else {
            panic!("{blocks:?}")
        };
        assert_eq!(items[0].len(), 2, "{items:?}");
        assert!(matches!(items[0][1], Block::List { ordered: false, .. }));
    }

    #[test]
    fn markup_of_other_languages_stays_literal() {
        let hostile = r#"#read("/etc/passwd") #import "x.typ" $x^2$ ] \ <l> @ref #{while true {}}"#;
        let blocks = parse(hostile);
        let Block::Par { inl } = &blocks[0] else {
            panic!("{blocks:?}")
        };
        assert_eq!(inl, &vec![text(hostile)]);
    }

    #[test]
    fn links_keep_their_target() {
        let blocks = parse("[Ratsinfo](https://example.org) und <https://x.de> und <rat@x.de>");
        assert_eq!(
            blocks[0],
            Block::Par {
                inl: vec![
                    Inline::Link {
                        url: "https://example.org".into(),
                        inl: vec![text("Ratsinfo")]
                    },
                    text(" (https://example.org) und "),
                    Inline::Link {
                        url: "https://x.de".into(),
                        inl: vec![text("https://x.de")]
                    },
                    text(" und "),
                    Inline::Link {
                        url: "mailto:rat@x.de".into(),
                        inl: vec![text("rat@x.de")]
                    },
                ]
            }
        );
    }

    #[test]
    fn only_web_and_mail_addresses_become_links() {
        for (markdown, shown) in [
            (
                "[klick](javascript:alert(1))",
                "klick (javascript:alert(1))",
            ),
            ("[x](JaVaScRiPt:alert(1))", "x (JaVaScRiPt:alert(1))"),
            ("[x](&#106;avascript:alert(1))", "x (javascript:alert(1))"),
            ("[x](data:text/html,a)", "x (data:text/html,a)"),
            ("[r]\n\n[r]: vbscript:x", "r (vbscript:x)"),
            ("<javascript:alert(1)>", "javascript:alert(1)"),
            ("[rel](/etc/passwd)", "rel (/etc/passwd)"),
            ("![Plan](https://host/p.png)", "Plan (https://host/p.png)"),
            ("![](http://host/p.gif)", " (http://host/p.gif)"),
        ] {
            assert_eq!(
                parse(markdown),
                vec![Block::Par {
                    inl: vec![text(shown)]
                }],
                "{markdown}"
            );
        }
        assert!(is_link_target("HTTPS://x") && is_link_target("mailto:a@b"));
        assert!(!is_link_target(" https://x") && !is_link_target("http:x") && !is_link_target(""));
        // An image inside a live link: the link stays, the image is its text.
        let blocks = parse("[![Bild](http://h/i.gif)](https://h/)");
        let Block::Par { inl } = &blocks[0] else {
            panic!("{blocks:?}")
        };
        assert_eq!(
            inl[0],
            Inline::Link {
                url: "https://h/".into(),
                inl: vec![text("Bild (http://h/i.gif)")]
            }
        );
    }

    /// The depth of a tree: containers inside containers.
    fn depth(blocks: &[Block]) -> usize {
        fn inl(xs: &[Inline]) -> usize {
            xs.iter()
                .map(|x| match x {
                    Inline::Strong { inl: i }
                    | Inline::Emph { inl: i }
                    | Inline::Link { inl: i, .. } => 1 + inl(i),
                    _ => 0,
                })
                .max()
                .unwrap_or(0)
        }
        blocks
            .iter()
            .map(|b| match b {
                Block::Par { inl: i } | Block::Heading { inl: i, .. } => inl(i),
                Block::List { items, .. } => 1 + items.iter().map(|i| depth(i)).max().unwrap_or(0),
                Block::Quote { blocks } => 1 + depth(blocks),
                _ => 0,
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn nesting_is_measured_and_flattened_beyond_the_limit() {
        for (markdown, deep) in [
            (">".repeat(20_000) + " tief", 20_000),
            ("- ".repeat(3_000) + "x", 3_000),
            ("*".repeat(10_000) + "x" + &"*".repeat(10_000), 5_000),
            ("[".repeat(2_000) + "x" + &"](https://a)".repeat(2_000), 1),
            ("- > ".repeat(1_000) + "x", 2_000),
            ("> - **[a *b*](https://x)**".into(), 5),
        ] {
            let found = nesting(&markdown);
            if deep > 1 {
                assert_eq!(found, deep, "{}", &markdown[..20.min(markdown.len())]);
            }
            let tree = parse(&markdown);
            assert!(
                depth(&tree) <= MAX_NESTING,
                "{}",
                &markdown[..20.min(markdown.len())]
            );
            assert!(
                plain_text(&tree).contains('x')
                    || plain_text(&tree).contains("tief")
                    || plain_text(&tree).contains('b')
            );
        }
        // Up to the limit nothing is lost.
        let eight = ">".repeat(MAX_NESTING) + " tief";
        assert_eq!(nesting(&eight), MAX_NESTING);
        assert_eq!(depth(&parse(&eight)), MAX_NESTING);
    }

    #[test]
    fn plain_text_is_the_words_one_line_per_block() {
        let t = plain_text(&parse(
            "### Sachverhalt:\n\nDas **neue** Konzept\nwird *vorgestellt*.\n\n- eins\n- zwei\n\n[Info](https://x.de)",
        ));
        assert_eq!(
            t,
            "Sachverhalt:\nDas neue Konzept wird vorgestellt.\neins\nzwei\nInfo (https://x.de)"
        );
    }
}
