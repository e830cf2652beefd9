//! One page of results ([`SearchResults`]: hits, facet counts, a suggestion) and
//! [`SearchIndex::search`], which runs a query and collects them.

use serde::Serialize;
use tantivy::collector::{Collector, Count, FacetCollector, FacetCounts, TopDocs};
use tantivy::schema::Value;
use tantivy::{DocAddress, Order, Searcher, TantivyDocument};

use super::SearchError;
use super::compile::QueryBuilder;
use super::index::{SearchIndex, tantivy_error};
use super::query::{Query, Sort};
use super::schema::TextField;
use super::snippet::{Highlighter, Snippet};
use crate::model::{Kind, Status};

/// Largest page.
pub const MAX_LIMIT: usize = 100;

/// One page of results. Field names are German (this is what users and API clients see).
#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    /// Number of matching papers.
    #[serde(rename = "gesamt")]
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    #[serde(rename = "treffer")]
    pub hits: Vec<Hit>,
    #[serde(rename = "facetten")]
    pub facets: Facets,
    /// "Meinten Sie …": a corrected query that finds papers, when this one found none.
    #[serde(rename = "vorschlag", skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

/// One matching paper.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    #[serde(rename = "drucksachennummer")]
    pub reference: String,
    #[serde(rename = "betreff")]
    pub subject: String,
    /// `YYYY-MM-DD`.
    #[serde(rename = "datum")]
    pub date: String,
    /// Vorlagenart as printed.
    #[serde(rename = "art")]
    pub kind: String,
    /// Amt: number and name.
    #[serde(rename = "amt")]
    pub department: String,
    /// `aktiv` or `zurueckgezogen`: a withdrawn paper stays findable, marked in every hit,
    /// because citizens look for what happened to a paper they heard of.
    #[serde(serialize_with = "status_word")]
    pub status: Status,
    #[serde(rename = "relevanz")]
    pub score: f32,
    #[serde(rename = "ausschnitt", skip_serializing_if = "Option::is_none")]
    pub snippet: Option<Snippet>,
}

/// Counts per value over all matching papers (not only the page).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facets {
    /// Jahr, newest first.
    #[serde(rename = "jahr")]
    pub years: Vec<FacetCount>,
    /// Amt: number and name.
    #[serde(rename = "amt")]
    pub departments: Vec<FacetCount>,
    /// Gremium of the Beratungsfolge.
    #[serde(rename = "gremium")]
    pub bodies: Vec<FacetCount>,
    /// Vorlagenart as printed.
    #[serde(rename = "art")]
    pub kinds: Vec<FacetCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetCount {
    #[serde(rename = "wert")]
    pub value: String,
    #[serde(rename = "anzahl")]
    pub count: u64,
}

/// The status as the results name it (German, what users and API clients see).
fn status_word<S: serde::Serializer>(status: &Status, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(match status {
        Status::Active => "aktiv",
        Status::Withdrawn => "zurueckgezogen",
    })
}

impl SearchIndex {
    /// Runs a query. Never fails on what the user typed; errors are I/O or a broken index.
    pub fn search(&self, query: &Query) -> Result<SearchResults, SearchError> {
        let parsed = query.parse_bounded()?;
        let searcher = self.reader.searcher();
        let mut filters = query.filters.clone();
        filters.merge(parsed.filters.clone());
        let mut builder = QueryBuilder::new(&self.fields);
        let tantivy_query = builder.build(&parsed.clauses, &filters);
        let limit = query.limit.clamp(1, MAX_LIMIT);
        let offset = query.offset;
        let (total, page, facets) = match query.sort {
            Sort::Relevance => collect(
                &searcher,
                tantivy_query.as_ref(),
                TopDocs::with_limit(limit)
                    .and_offset(offset)
                    .order_by_score(),
            ),
            Sort::Date => collect(
                &searcher,
                tantivy_query.as_ref(),
                TopDocs::with_limit(limit)
                    .and_offset(offset)
                    .order_by_fast_field::<u64>("datum", Order::Desc),
            ),
        }
        .map_err(tantivy_error(&self.dir))?;
        let mut hits = Vec::with_capacity(page.len());
        let mut highlighter = Highlighter::new(&builder.highlight_terms);
        for (score, address) in page {
            let doc: TantivyDocument = searcher.doc(address).map_err(tantivy_error(&self.dir))?;
            hits.push(self.hit(&doc, score, &mut highlighter));
        }
        let suggestion = if total == 0 {
            self.suggest(&searcher, &query.text, &parsed.clauses, &filters)
                .map_err(tantivy_error(&self.dir))?
        } else {
            None
        };
        Ok(SearchResults {
            total,
            offset,
            limit,
            hits,
            facets,
            suggestion,
        })
    }

    fn hit(&self, doc: &TantivyDocument, score: f32, highlighter: &mut Highlighter) -> Hit {
        let f = &self.fields;
        let text = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let date = doc.get_first(f.date).and_then(|v| v.as_u64()).unwrap_or(0);
        let kind_key = text(f.kind);
        Hit {
            reference: text(f.reference),
            subject: text(f.stored(TextField::Subject)),
            date: format!(
                "{:04}-{:02}-{:02}",
                date / 10000,
                date / 100 % 100,
                date % 100
            ),
            // No kind: a legacy paper whose Vorlagenart is not known.
            kind: match kind_of(&kind_key) {
                Some(kind) => kind.label().to_string(),
                None if kind_key.is_empty() => crate::model::kind_label(None).to_string(),
                None => kind_key,
            },
            department: text(f.stored(TextField::Department)),
            status: if doc.get_first(f.withdrawn).and_then(|v| v.as_u64()) == Some(1) {
                Status::Withdrawn
            } else {
                Status::Active
            },
            score,
            snippet: highlighter.snippet(|field| text(f.stored(field))),
        }
    }
}

fn kind_of(key: &str) -> Option<Kind> {
    key.parse().ok()
}

type Page = Vec<(f32, DocAddress)>;

/// Runs `query` with a top-docs collector, a count and the four facet collectors.
fn collect<T: ScoreLike>(
    searcher: &Searcher,
    query: &dyn tantivy::query::Query,
    top: impl Collector<Fruit = Vec<(T, DocAddress)>>,
) -> tantivy::Result<(usize, Page, Facets)> {
    let facet = |name: &str| {
        let mut c = FacetCollector::for_field(name);
        c.add_facet("/");
        c
    };
    let (total, page, (years, departments), (bodies, kinds)) = searcher.search(
        query,
        &(
            Count,
            top,
            (facet("facette_jahr"), facet("facette_amt")),
            (facet("facette_gremium"), facet("facette_art")),
        ),
    )?;
    let mut year_counts = facet_counts(&years);
    year_counts.sort_by(|a, b| b.value.cmp(&a.value));
    Ok((
        total,
        page.into_iter().map(|(s, a)| (s.score(), a)).collect(),
        Facets {
            years: year_counts,
            departments: ranked(facet_counts(&departments)),
            bodies: ranked(facet_counts(&bodies)),
            kinds: ranked(facet_counts(&kinds)),
        },
    ))
}

/// What a top-docs collector sorts by, shown as a score.
trait ScoreLike {
    fn score(&self) -> f32;
}

impl ScoreLike for f32 {
    fn score(&self) -> f32 {
        *self
    }
}

impl ScoreLike for Option<u64> {
    fn score(&self) -> f32 {
        0.0
    }
}

fn facet_counts(counts: &FacetCounts) -> Vec<FacetCount> {
    counts
        .get("/")
        .map(|(facet, count)| FacetCount {
            value: facet
                .to_path()
                .last()
                .map(|s| s.to_string())
                .unwrap_or_default(),
            count,
        })
        .collect()
}

fn ranked(mut counts: Vec<FacetCount>) -> Vec<FacetCount> {
    counts.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON names are what API clients and `search --json` read: German.
    #[test]
    fn facets_keep_their_german_names() {
        let facets = Facets::default();
        let json = serde_json::to_string(&facets).unwrap();
        assert_eq!(json, r#"{"jahr":[],"amt":[],"gremium":[],"art":[]}"#);
        let count = FacetCount {
            value: "2012".into(),
            count: 3,
        };
        let json = serde_json::to_string(&count).unwrap();
        assert_eq!(json, r#"{"wert":"2012","anzahl":3}"#);
    }
}
