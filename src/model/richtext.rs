//! Markdown in long text fields (Kurzfassung, Begründung, Beschlussvorschlag) turned into a
//! small tree of blocks and inlines that the templates lay out. Text stays text: nothing a
//! clerk writes is ever read as Typst code, and raw HTML is printed as it was typed.

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
use serde::Serialize;

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
    /// A hard line break.
    Br,
}

/// Parses Markdown (CommonMark with strikethrough off, no tables, no math).
pub fn parse(markdown: &str) -> Vec<Block> {
    let mut builder = Builder::default();
    for event in Parser::new(markdown) {
        builder.event(event);
    }
    builder.finish()
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
    /// A link or image: its text is kept, the target is printed after it.
    Link(String, Vec<Inline>),
}

struct Builder {
    stack: Vec<Frame>,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            stack: vec![Frame::Blocks(Vec::new())],
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
        if !matches!(
            tag,
            Tag::Emphasis | Tag::Strong | Tag::Link { .. } | Tag::Image { .. }
        ) {
            self.close_loose_paragraph();
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
            Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. } => {
                Frame::Link(dest_url.to_string(), Vec::new())
            }
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
            Frame::Link(url, inl) => {
                let shows_url = matches!(inl.as_slice(), [Inline::Text { s }] if *s == url);
                for i in inl {
                    self.inline(i);
                }
                if !shows_url && !url.is_empty() {
                    self.text(&format!(" ({url})"));
                }
            }
            Frame::Blocks(blocks) => match (tag, self.stack.last_mut()) {
                (TagEnd::Item, Some(Frame::List { items, .. })) => items.push(blocks),
                (TagEnd::BlockQuote(_), _) => self.block(Block::Quote { blocks }),
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
                | Frame::Link(_, v),
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
        let blocks = parse("[Ratsinfo](https://example.org) und <https://x.de>");
        assert_eq!(
            blocks[0],
            Block::Par {
                inl: vec![text("Ratsinfo (https://example.org) und https://x.de")]
            }
        );
    }
}
