//! Helpers shared by the fuzz targets: measures of what the library returns, written
//! independently of the code they check.

use drucksache::model::richtext::{Block, Inline};

/// How deep the counted containers (quotes, lists, emphasis, links) nest in a rich-text tree:
/// the measure that `richtext::nesting` and validation compare with `MAX_NESTING`.
pub fn blocks_depth(blocks: &[Block]) -> usize {
    blocks.iter().map(block_depth).max().unwrap_or(0)
}

fn block_depth(block: &Block) -> usize {
    match block {
        Block::Par { inl } | Block::Heading { inl, .. } => inlines_depth(inl),
        Block::List { items, .. } => 1 + items.iter().map(|i| blocks_depth(i)).max().unwrap_or(0),
        Block::Quote { blocks } => 1 + blocks_depth(blocks),
        Block::Code { .. } | Block::Rule => 0,
    }
}

fn inlines_depth(inlines: &[Inline]) -> usize {
    inlines
        .iter()
        .map(|inline| match inline {
            Inline::Strong { inl } | Inline::Emph { inl } | Inline::Link { inl, .. } => {
                1 + inlines_depth(inl)
            }
            Inline::Text { .. } | Inline::Br => 0,
        })
        .max()
        .unwrap_or(0)
}
