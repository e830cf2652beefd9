//! [`SearchIndex`]: the tantivy index under `<archive>/index/`: opening (and rebuilding an
//! outdated one), indexing, and searching with facets, snippets and suggestions.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use levenshtein_automata::{Distance, LevenshteinAutomatonBuilder};
use serde::Serialize;
use tantivy::collector::{Collector, Count, FacetCollector, FacetCounts, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, InvertedIndexRangeQuery, Occur,
    PhraseQuery, RangeQuery, RegexQuery, TermQuery,
};
use tantivy::schema::{Facet, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Searcher, TantivyDocument,
    Term,
};

use super::SearchError;
use super::analyzer::{self, tokens};
use super::document::{IndexDoc, Status};
use super::query::{Clause, Filters, Item, Query, Sort, parse};
use super::schema::{
    self, Fields, Level, SCHEMA_VERSION, TextField, looks_like_reference, normalize_reference,
};
use crate::model::{Date, Kind};

type BoxQuery = Box<dyn tantivy::query::Query>;

/// Name of the file that marks a complete index of our schema version.
const MARKER: &str = "drucksache-index";
/// Largest page.
pub const MAX_LIMIT: usize = 100;
/// Snippet length in characters.
const SNIPPET_CHARS: usize = 200;
/// Weight of BM25 against the fixed level × field weights: small enough never to lift a
/// paper over one that matched at a better level (BM25 ≤ ~25 even for a word in one paper of
/// 100,000; × 0.05 ≈ 1.2, the smallest level step in the subject is 4).
const TIE_BREAK: f32 = 0.05;
/// Indexing memory of a rebuild: per writer, split over its threads.
const WRITER_MEMORY: usize = 200_000_000;
/// Indexing memory for adding a few papers: tantivy sizes (and zeroes) each new segment's
/// term table by the budget, so a rebuild-sized writer made every small commit pay for
/// tens of megabytes.
const SMALL_WRITER_MEMORY: usize = 15_000_000; // tantivy's minimum per thread

/// The public search index. Share one per process (it is `Send + Sync`); searching reuses
/// its reader, indexing takes its writer lock (one writer per index across processes).
pub struct SearchIndex {
    dir: PathBuf,
    index: Index,
    fields: Fields,
    reader: IndexReader,
    writer: Mutex<Option<IndexWriter>>,
    complete: bool,
    today: Date,
}

/// Most words of one query that "Meinten Sie" tries to correct.
const MAX_CORRECTIONS: usize = 5;

/// How far the index has followed the archive, recorded with every commit: every change of
/// the archive's history up to event `events` (creations, imports, withdrawals) is in it, and
/// which papers are published was decided on `day`. Keeping the index in step means indexing
/// the papers of later events and those whose publication day came since `day`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncMark {
    pub events: i64,
    pub day: Date,
}

impl SyncMark {
    fn payload(&self) -> String {
        format!("drucksache-sync events={} day={}", self.events, self.day)
    }

    fn parse(text: &str) -> Option<SyncMark> {
        let rest = text.strip_prefix("drucksache-sync events=")?;
        let (events, day) = rest.split_once(" day=")?;
        Some(SyncMark {
            events: events.parse().ok()?,
            day: Date::parse_iso(day)?,
        })
    }
}

/// One paper as the index holds it (see [`SearchIndex::entries`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    pub reference: String,
    pub fingerprint: String,
    pub withdrawn: bool,
}

/// What [`SearchIndex::add`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    Indexed,
    /// Not public (or blocked): not indexed, and removed if it was.
    NotPublic,
}

/// What [`SearchIndex::rebuild`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RebuildStats {
    pub indexed: u64,
    pub not_public: u64,
}

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
    pub status: Status,
    #[serde(rename = "relevanz")]
    pub score: f32,
    #[serde(rename = "ausschnitt", skip_serializing_if = "Option::is_none")]
    pub snippet: Option<Snippet>,
}

/// A piece of the text that matched, with the matching words marked.
#[derive(Debug, Clone, Serialize)]
pub struct Snippet {
    /// Record key of the field (`betreff`, `begruendung`, …).
    #[serde(rename = "feld")]
    pub field: &'static str,
    pub text: String,
    /// Byte ranges of `text` to highlight.
    #[serde(rename = "markierungen")]
    pub highlights: Vec<(usize, usize)>,
}

impl Snippet {
    /// The text with each highlight wrapped in `open` … `close`.
    pub fn marked(&self, open: &str, close: &str) -> String {
        let mut out = String::new();
        let mut at = 0;
        for &(start, end) in &self.highlights {
            out.push_str(&self.text[at..start]);
            out.push_str(open);
            out.push_str(&self.text[start..end]);
            out.push_str(close);
            at = end;
        }
        out.push_str(&self.text[at..]);
        out
    }
}

/// Counts per value over all matching papers (not only the page).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facets {
    pub jahr: Vec<FacetCount>,
    pub amt: Vec<FacetCount>,
    pub gremium: Vec<FacetCount>,
    pub art: Vec<FacetCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetCount {
    #[serde(rename = "wert")]
    pub value: String,
    #[serde(rename = "anzahl")]
    pub count: u64,
}

fn tantivy_error(dir: &Path) -> impl Fn(tantivy::TantivyError) -> SearchError + '_ {
    move |source| SearchError::Tantivy {
        path: dir.to_path_buf(),
        source,
    }
}

fn io_error(dir: &Path) -> impl Fn(std::io::Error) -> SearchError + '_ {
    move |source| SearchError::Io {
        path: dir.to_path_buf(),
        source,
    }
}

impl SearchIndex {
    /// Whether `dir` holds a complete index of this program's version, judged by its files
    /// alone (cheap; nothing is opened or created). [`SearchIndex::open_or_create`] still
    /// checks the schema.
    pub fn looks_complete(dir: &Path) -> bool {
        std::fs::read_to_string(dir.join(MARKER)).ok().as_deref() == Some(marker_text().as_str())
            && dir.join("meta.json").is_file()
    }

    /// Opens the index in `dir`, creating it when missing. An index of another schema
    /// version (or an interrupted rebuild) is deleted and created anew, empty: then
    /// [`SearchIndex::is_complete`] is false and the caller must [`SearchIndex::rebuild`].
    /// Papers blocked until a date count as published from the day after, by today's date.
    pub fn open_or_create(dir: &Path) -> Result<SearchIndex, SearchError> {
        SearchIndex::open_or_create_on(dir, Date::today())
    }

    /// [`SearchIndex::open_or_create`] with `today` given (for tests and replays).
    pub fn open_or_create_on(dir: &Path, today: Date) -> Result<SearchIndex, SearchError> {
        let (schema, fields) = schema::build();
        let marker = dir.join(MARKER);
        let meta = dir.join("meta.json");
        let mut complete = false;
        let index = if dir.is_dir() {
            let ours = marker.exists() || meta.is_file();
            if SearchIndex::looks_complete(dir) {
                let index = Index::open_in_dir(dir).map_err(tantivy_error(dir))?;
                if index.schema() == schema {
                    complete = true;
                    Some(index)
                } else {
                    None
                }
            } else if !ours
                && std::fs::read_dir(dir)
                    .map_err(io_error(dir))?
                    .next()
                    .is_some()
            {
                return Err(SearchError::NotAnIndex {
                    path: dir.to_path_buf(),
                });
            } else {
                None
            }
        } else {
            None
        };
        let index = match index {
            Some(index) => index,
            None => {
                if dir.exists() {
                    std::fs::remove_dir_all(dir).map_err(io_error(dir))?;
                }
                std::fs::create_dir_all(dir).map_err(io_error(dir))?;
                Index::create_in_dir(dir, schema).map_err(tantivy_error(dir))?
            }
        };
        analyzer::register(index.tokenizers());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()
            .map_err(tantivy_error(dir))?;
        Ok(SearchIndex {
            dir: dir.to_path_buf(),
            index,
            fields,
            reader,
            writer: Mutex::new(None),
            complete,
            today,
        })
    }

    /// Whether the index holds the whole archive (a rebuild finished since it was created).
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// The day this handle decides publication by (papers blocked until a date).
    pub fn today(&self) -> Date {
        self.today
    }

    /// The directory of the index.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs `f` with the index writer, made on first use: a big one for a rebuild (`bulk`),
    /// a small one-thread writer for adding and removing papers.
    fn with_writer<T>(
        &self,
        bulk: bool,
        f: impl FnOnce(&mut IndexWriter) -> tantivy::Result<T>,
    ) -> Result<T, SearchError> {
        let mut guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            let (threads, memory) = if bulk {
                let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
                (threads, WRITER_MEMORY)
            } else {
                (1, SMALL_WRITER_MEMORY)
            };
            *guard = Some(
                self.index
                    .writer_with_num_threads(threads, memory)
                    .map_err(tantivy_error(&self.dir))?,
            );
        }
        let result = f(guard.as_mut().expect("writer was just created"));
        result.map_err(tantivy_error(&self.dir))
    }

    /// Replaces the whole index by `docs` (non-public ones are left out), calling `progress`
    /// with the number of documents seen so far. Marks the index complete.
    /// `mark` says how far into the archive's history `docs` reach (see [`SyncMark`]).
    pub fn rebuild(
        &mut self,
        docs: impl Iterator<Item = IndexDoc>,
        mark: Option<SyncMark>,
        mut progress: impl FnMut(u64),
    ) -> Result<RebuildStats, SearchError> {
        let marker = self.dir.join(MARKER);
        if marker.exists() {
            std::fs::remove_file(&marker).map_err(io_error(&self.dir))?;
        }
        let mut stats = RebuildStats::default();
        let today = self.today;
        let fields = self.fields.clone();
        // A small writer left from `add` is replaced by a big one.
        drop(self.writer.lock().unwrap_or_else(|e| e.into_inner()).take());
        self.with_writer(true, |writer| {
            writer.delete_all_documents()?;
            for (seen, doc) in docs.enumerate() {
                if doc.is_publishable(today) {
                    writer.add_document(to_document(&fields, &doc))?;
                    stats.indexed += 1;
                } else {
                    stats.not_public += 1;
                }
                progress(seen as u64 + 1);
            }
            commit(writer, mark)
        })?;
        std::fs::write(&marker, marker_text()).map_err(io_error(&self.dir))?;
        // Let go of the writer (and its lock on the index): a long-lived handle that was
        // rebuilt once, like the service's, must not keep other writers out.
        drop(self.writer.lock().unwrap_or_else(|e| e.into_inner()).take());
        self.reader.reload().map_err(tantivy_error(&self.dir))?;
        self.complete = true;
        Ok(stats)
    }

    /// Indexes one paper (replacing an earlier version with the same Drucksachennummer) and
    /// commits: it is searchable when this returns. A paper that is not public is not
    /// indexed, and an earlier public version of it is removed.
    pub fn add(&self, doc: &IndexDoc) -> Result<Added, SearchError> {
        Ok(self.add_all(std::slice::from_ref(doc), None)?[0])
    }

    /// [`SearchIndex::add`] for several papers with one commit, which records `mark` (see
    /// [`SyncMark`]; `None` forgets the mark, so the next sync looks at every paper).
    pub fn add_all(
        &self,
        docs: &[IndexDoc],
        mark: Option<SyncMark>,
    ) -> Result<Vec<Added>, SearchError> {
        let today = self.today;
        let added = self.with_writer(false, |writer| {
            let mut added = Vec::with_capacity(docs.len());
            for doc in docs {
                let key =
                    Term::from_field_text(self.fields.number, &normalize_reference(&doc.reference));
                writer.delete_term(key);
                if doc.is_publishable(today) {
                    writer.add_document(to_document(&self.fields, doc))?;
                    added.push(Added::Indexed);
                } else {
                    added.push(Added::NotPublic);
                }
            }
            commit(writer, mark)?;
            Ok(added)
        })?;
        self.reader.reload().map_err(tantivy_error(&self.dir))?;
        Ok(added)
    }

    /// Lets go of the writer after letting it finish its segment merges. Dropping a writer
    /// cancels them: a process that opens the index for each batch and drops it leaves one
    /// more segment every time, and searching slows down with each.
    pub fn finish_writes(&self) -> Result<(), SearchError> {
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(writer) = writer {
            writer
                .wait_merging_threads()
                .map_err(tantivy_error(&self.dir))?;
        }
        Ok(())
    }

    /// Makes what other writers (other processes, other handles) committed visible to
    /// searches now instead of after the reader's polling delay.
    pub fn reload(&self) -> Result<(), SearchError> {
        self.reader.reload().map_err(tantivy_error(&self.dir))
    }

    /// The mark of the last commit: how far the index has followed the archive.
    pub fn mark(&self) -> Option<SyncMark> {
        let meta = self.index.load_metas().ok()?;
        SyncMark::parse(meta.payload.as_deref()?)
    }

    /// What the index holds of every paper: reference, record fingerprint, withdrawn (for
    /// `drucksache check`).
    pub fn entries(&self) -> Result<Vec<IndexEntry>, SearchError> {
        let searcher = self.reader.searcher();
        let mut entries = Vec::new();
        for segment in searcher.segment_readers() {
            let store = segment.get_store_reader(64).map_err(io_error(&self.dir))?;
            let alive = segment.alive_bitset();
            for doc_id in 0..segment.max_doc() {
                if alive.is_some_and(|a| !a.is_alive(doc_id)) {
                    continue;
                }
                let doc: TantivyDocument = store.get(doc_id).map_err(tantivy_error(&self.dir))?;
                let text = |field| {
                    doc.get_first(field)
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string()
                };
                entries.push(IndexEntry {
                    reference: text(self.fields.reference),
                    fingerprint: text(self.fields.fingerprint),
                    withdrawn: doc
                        .get_first(self.fields.withdrawn)
                        .and_then(|v| v.as_u64())
                        == Some(1),
                });
            }
        }
        Ok(entries)
    }

    /// Number of papers in the index.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

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
            Sort::Relevanz => collect(
                &searcher,
                tantivy_query.as_ref(),
                TopDocs::with_limit(limit)
                    .and_offset(offset)
                    .order_by_score(),
            ),
            Sort::Datum => collect(
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
            kind: kind_of(&kind_key).map_or(kind_key, |k| k.label().to_string()),
            department: text(f.stored(TextField::Department)),
            status: if doc.get_first(f.withdrawn).and_then(|v| v.as_u64()) == Some(1) {
                Status::Zurueckgezogen
            } else {
                Status::Aktiv
            },
            score,
            snippet: highlighter.snippet(|field| text(f.stored(field))),
        }
    }

    /// "Meinten Sie …": each word of the query that is in no paper is replaced by the
    /// closest word of the index (edit distance 1, or 2 for words of 6 letters or more) that
    /// is in a paper now; offered only when the corrected query finds papers.
    fn suggest(
        &self,
        searcher: &Searcher,
        text: &str,
        clauses: &[Clause],
        filters: &Filters,
    ) -> tantivy::Result<Option<String>> {
        let mut exact = analyzer::exact();
        let mut corrected = text.to_string();
        let mut changed = false;
        // Each correction walks the term dictionary: a few per query.
        let mut tried = 0;
        for clause in clauses {
            let Clause::Any(items) = clause else { continue };
            let [Item::Word(word)] = items.as_slice() else {
                continue;
            };
            if looks_like_reference(word) {
                continue;
            }
            let folded = tokens(&mut exact, word);
            let [token] = folded.as_slice() else { continue };
            if self.live_count(searcher, token)? > 0 {
                continue;
            }
            tried += 1;
            if tried > MAX_CORRECTIONS {
                break;
            }
            if let Some(better) = self.closest_word(searcher, token)? {
                corrected = corrected.replacen(word.as_str(), &better, 1);
                changed = true;
            }
        }
        if !changed {
            return Ok(None);
        }
        let parsed = parse(&corrected);
        let mut all = filters.clone();
        all.merge(parsed.filters);
        let query = QueryBuilder::new(&self.fields).build(&parsed.clauses, &all);
        let found = searcher.search(query.as_ref(), &Count)?;
        Ok((found > 0).then_some(corrected))
    }

    /// Papers (not deleted ones) that have `token` in any exact field.
    fn live_count(&self, searcher: &Searcher, token: &str) -> tantivy::Result<usize> {
        let mut should: Vec<(Occur, BoxQuery)> = Vec::new();
        for field in TextField::ALL {
            let term = Term::from_field_text(self.fields.indexed(field, Level::Exact), token);
            should.push((
                Occur::Should,
                Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
            ));
        }
        searcher.search(&BooleanQuery::new(should), &Count)
    }

    fn closest_word(&self, searcher: &Searcher, token: &str) -> tantivy::Result<Option<String>> {
        let chars = token.chars().count();
        if chars < 3 {
            return Ok(None);
        }
        let distance = if chars >= 6 { 2 } else { 1 };
        let dfa = LevenshteinAutomatonBuilder::new(distance, true).build_dfa(token);
        // candidate → (distance, document frequency)
        let mut candidates: HashMap<String, (u8, u64)> = HashMap::new();
        for segment in searcher.segment_readers() {
            for field in TextField::ALL {
                let inverted = segment.inverted_index(self.fields.indexed(field, Level::Exact))?;
                let mut stream = inverted.terms().search(Near(&dfa)).into_stream()?;
                while stream.advance() {
                    let key = stream.key();
                    if let Distance::Exact(d) = dfa.eval(key)
                        && d > 0
                        && let Ok(word) = std::str::from_utf8(key)
                    {
                        let entry = candidates.entry(word.to_string()).or_insert((d, 0));
                        entry.1 += u64::from(stream.value().doc_freq);
                    }
                }
            }
        }
        let mut ranked: Vec<(String, (u8, u64))> = candidates.into_iter().collect();
        ranked.sort_by(|a, b| {
            a.1.0
                .cmp(&b.1.0)
                .then(b.1.1.cmp(&a.1.1))
                .then(a.0.cmp(&b.0))
        });
        for (word, _) in ranked.into_iter().take(10) {
            // Only words of papers in the index now (not of deleted ones).
            if self.live_count(searcher, &word)? > 0 {
                return Ok(Some(word));
            }
        }
        Ok(None)
    }
}

/// The Levenshtein automaton as an FST automaton: the term dictionary is walked only where
/// a word within the distance can still follow, not term by term.
struct Near<'a>(&'a levenshtein_automata::DFA);

impl tantivy_fst::Automaton for Near<'_> {
    type State = u32;

    fn start(&self) -> u32 {
        self.0.initial_state()
    }

    fn is_match(&self, state: &u32) -> bool {
        matches!(self.0.distance(*state), Distance::Exact(_))
    }

    fn can_match(&self, state: &u32) -> bool {
        *state != levenshtein_automata::SINK_STATE
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        self.0.transition(*state, byte)
    }
}

fn marker_text() -> String {
    format!("drucksache search index, schema version {SCHEMA_VERSION}\n")
}

fn kind_of(key: &str) -> Option<Kind> {
    [
        Kind::Beschlussvorlage,
        Kind::Mitteilungsvorlage,
        Kind::Ergaenzungsvorlage,
    ]
    .into_iter()
    .find(|k| k.key() == key)
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
            jahr: year_counts,
            amt: ranked(facet_counts(&departments)),
            gremium: ranked(facet_counts(&bodies)),
            art: ranked(facet_counts(&kinds)),
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

/// Commits, recording `mark` in the commit's payload.
fn commit(writer: &mut IndexWriter, mark: Option<SyncMark>) -> tantivy::Result<()> {
    let mut prepared = writer.prepare_commit()?;
    if let Some(mark) = mark {
        prepared.set_payload(&mark.payload());
    }
    prepared.commit()?;
    Ok(())
}

/// The tantivy document of a paper.
fn to_document(f: &Fields, doc: &IndexDoc) -> TantivyDocument {
    let mut d = TantivyDocument::default();
    d.add_text(f.number, normalize_reference(&doc.reference));
    d.add_text(f.reference, &doc.reference);
    let department = format!("{} {}", doc.department_number, doc.department);
    let texts: [(TextField, String); 10] = [
        (TextField::Subject, doc.subject.clone()),
        (TextField::Summary, doc.summary.clone()),
        (TextField::Resolution, doc.resolution.clone()),
        (TextField::Reasoning, doc.reasoning.clone()),
        (TextField::Department, department.clone()),
        (TextField::Involved, doc.involved.join("\n")),
        (TextField::Bodies, doc.bodies.join("\n")),
        (TextField::Signatories, doc.signatories.join("\n")),
        (TextField::Kind, doc.kind.label().to_string()),
        (TextField::Text, doc.text.clone().unwrap_or_default()),
    ];
    for (field, text) in &texts {
        if text.is_empty() {
            continue;
        }
        d.add_text(f.stored(*field), text);
        for level in Level::ALL {
            d.add_text(f.indexed(*field, level), text);
        }
    }
    d.add_text(f.department_number, &doc.department_number);
    d.add_text(f.kind, doc.kind.key());
    let date = doc.date;
    d.add_u64(f.date, date_number(date));
    d.add_u64(f.year, date.year() as u64);
    d.add_u64(f.withdrawn, u64::from(doc.status == Status::Zurueckgezogen));
    d.add_text(f.fingerprint, &doc.fingerprint);
    d.add_facet(f.facet_year, Facet::from_path([date.year().to_string()]));
    d.add_facet(f.facet_department, Facet::from_path([department]));
    for body in &doc.bodies {
        d.add_facet(f.facet_body, Facet::from_path([body.as_str()]));
    }
    d.add_facet(f.facet_kind, Facet::from_path([doc.kind.label()]));
    d
}

fn date_number(date: Date) -> u64 {
    date.year() as u64 * 10000 + u64::from(date.month()) * 100 + u64::from(date.day())
}

/// Turns parsed clauses and filters into one tantivy query, and remembers the terms to
/// highlight.
struct QueryBuilder<'a> {
    fields: &'a Fields,
    exact: TextAnalyzer,
    stem: TextAnalyzer,
    /// Stemmed forms of the positive words: what snippets highlight.
    highlight_terms: Vec<String>,
}

impl<'a> QueryBuilder<'a> {
    fn new(fields: &'a Fields) -> QueryBuilder<'a> {
        QueryBuilder {
            fields,
            exact: analyzer::exact(),
            stem: analyzer::stem(),
            highlight_terms: Vec::new(),
        }
    }

    fn build(&mut self, clauses: &[Clause], filters: &Filters) -> BoxQuery {
        let mut parts: Vec<(Occur, BoxQuery)> = Vec::new();
        let mut positive = false;
        for clause in clauses {
            match clause {
                Clause::Any(items) => {
                    let alternatives: Vec<BoxQuery> =
                        items.iter().filter_map(|i| self.item(i, true)).collect();
                    match alternatives.len() {
                        0 => {}
                        1 => {
                            positive = true;
                            parts.push((Occur::Must, alternatives.into_iter().next().unwrap()));
                        }
                        _ => {
                            positive = true;
                            parts.push((Occur::Must, should(alternatives)));
                        }
                    }
                }
                Clause::Not(item) => {
                    if let Some(q) = self.item(item, false) {
                        parts.push((Occur::MustNot, q));
                    }
                }
            }
        }
        if let Some(reference) = &filters.reference {
            // `nummer:` also matches supplements; the paper itself comes first.
            let exact = term(self.fields.number, &normalize_reference(reference));
            parts.push((Occur::Should, boosted(exact, 50.0)));
        }
        for (filter, fallback) in self.filters(filters) {
            match filter {
                Some(q) => {
                    parts.push((Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0))));
                    positive = true;
                }
                None => {
                    // A filter value that matches nothing known searches as plain words.
                    if let Some(q) = self.item(&Item::Word(fallback), true) {
                        parts.push((Occur::Must, q));
                        positive = true;
                    }
                }
            }
        }
        if !positive {
            parts.push((Occur::Must, Box::new(AllQuery)));
        }
        Box::new(BooleanQuery::new(parts))
    }

    fn item(&mut self, item: &Item, highlight: bool) -> Option<BoxQuery> {
        match item {
            Item::Word(word) => self.word(word, highlight),
            Item::Phrase(phrase) => self.phrase(phrase, highlight),
            Item::Prefix(prefix) => self.prefix(prefix),
        }
    }

    /// A word: in any text field, exact (best), stemmed, or as a compound part. A word that
    /// looks like a Drucksachennummer also finds the paper with that number, first.
    fn word(&mut self, word: &str, highlight: bool) -> Option<BoxQuery> {
        let exact = tokens(&mut self.exact, word);
        let stems = tokens(&mut self.stem, word);
        if exact.is_empty() || exact.len() != stems.len() {
            return None;
        }
        if highlight {
            self.highlight_terms.extend(stems.iter().cloned());
        }
        let mut all: Vec<(Occur, BoxQuery)> = Vec::new();
        for (token, stemmed) in exact.iter().zip(&stems) {
            let mut any: Vec<BoxQuery> = Vec::new();
            for field in TextField::ALL {
                for level in Level::ALL {
                    let text = if level == Level::Exact {
                        token
                    } else {
                        stemmed
                    };
                    let indexed = self.fields.indexed(field, level);
                    // Which level and field matched decides the rank; BM25 (term frequency,
                    // rarity, field length) only orders papers that matched alike. With BM25
                    // alone a rare compound part would outrank a common exact word.
                    any.push(Box::new(ConstScoreQuery::new(
                        term(indexed, text),
                        field.boost() * level.boost(),
                    )));
                    if level == Level::Stem {
                        any.push(boosted(term(indexed, text), TIE_BREAK * field.boost()));
                    }
                }
            }
            all.push((Occur::Must, should(any)));
        }
        let words: BoxQuery = Box::new(BooleanQuery::new(all));
        if looks_like_reference(word) {
            let number = boosted(term(self.fields.number, &normalize_reference(word)), 50.0);
            return Some(should(vec![number, words]));
        }
        Some(words)
    }

    /// A phrase: these exact words in this order, in one field.
    fn phrase(&mut self, phrase: &str, highlight: bool) -> Option<BoxQuery> {
        let exact = tokens(&mut self.exact, phrase);
        if exact.is_empty() {
            return None;
        }
        if highlight {
            self.highlight_terms.extend(tokens(&mut self.stem, phrase));
        }
        let mut any: Vec<BoxQuery> = Vec::new();
        for field in TextField::ALL {
            let indexed = self.fields.indexed(field, Level::Exact);
            let q: BoxQuery = if exact.len() == 1 {
                term(indexed, &exact[0])
            } else {
                Box::new(PhraseQuery::new(
                    exact
                        .iter()
                        .map(|t| Term::from_field_text(indexed, t))
                        .collect(),
                ))
            };
            any.push(Box::new(ConstScoreQuery::new(
                q,
                field.boost() * Level::Exact.boost(),
            )));
        }
        Some(should(any))
    }

    /// `konz*`: words (or compound parts) that begin so.
    fn prefix(&mut self, prefix: &str) -> Option<BoxQuery> {
        let exact = tokens(&mut self.exact, prefix);
        let (last, rest) = exact.split_last()?;
        let mut all: Vec<(Occur, BoxQuery)> = Vec::new();
        for word in rest {
            all.push((Occur::Must, self.word(word, true)?));
        }
        let mut any: Vec<BoxQuery> = Vec::new();
        for field in TextField::ALL {
            for level in [Level::Exact, Level::Parts] {
                let q = prefix_query(self.fields.indexed(field, level), last);
                any.push(boosted(q, field.boost() * level.boost()));
            }
        }
        all.push((Occur::Must, should(any)));
        Some(Box::new(BooleanQuery::new(all)))
    }

    /// Each filter as a query, or `None` with the value to search as words instead.
    fn filters(&mut self, f: &Filters) -> Vec<(Option<BoxQuery>, String)> {
        let mut out = Vec::new();
        if let Some(reference) = &f.reference {
            let n = normalize_reference(reference);
            let exact = term(self.fields.number, &n);
            let q = match RegexQuery::from_pattern(
                &format!("{}[/-].*", regex_escape(&n)),
                self.fields.number,
            ) {
                Ok(prefix) => should(vec![exact, Box::new(prefix)]),
                Err(_) => exact,
            };
            out.push((Some(q), reference.clone()));
        }
        if let Some(department) = &f.department {
            let number = term(self.fields.department_number, department.trim());
            let q = match self.words_in(TextField::Department, department) {
                Some(words) => should(vec![number, words]),
                None => number,
            };
            out.push((Some(q), department.clone()));
        }
        if let Some(body) = &f.body {
            out.push((self.words_in(TextField::Bodies, body), body.clone()));
        }
        if let Some(kind) = &f.kind {
            let wanted = analyzer::fold(kind);
            let kinds: Vec<BoxQuery> = [
                Kind::Beschlussvorlage,
                Kind::Mitteilungsvorlage,
                Kind::Ergaenzungsvorlage,
            ]
            .into_iter()
            .filter(|k| !wanted.is_empty() && analyzer::fold(k.key()).starts_with(&wanted))
            .map(|k| term(self.fields.kind, k.key()))
            .collect();
            out.push(((!kinds.is_empty()).then(|| should(kinds)), kind.clone()));
        }
        if let Some((from, to)) = f.years {
            let q = RangeQuery::new(
                Bound::Included(Term::from_field_u64(self.fields.year, from.max(0) as u64)),
                Bound::Included(Term::from_field_u64(self.fields.year, to.max(0) as u64)),
            );
            out.push((Some(Box::new(q) as BoxQuery), String::new()));
        }
        if f.date_from.is_some() || f.date_to.is_some() {
            let bound = |d: Option<Date>| match d {
                Some(d) => Bound::Included(Term::from_field_u64(self.fields.date, date_number(d))),
                None => Bound::Unbounded,
            };
            let q = RangeQuery::new(bound(f.date_from), bound(f.date_to));
            out.push((Some(Box::new(q) as BoxQuery), String::new()));
        }
        out
    }

    /// All words of `value` in one text field (exact or stemmed; compound parts do not
    /// count, so `gremium:Rat` does not match "Integrationsrat").
    fn words_in(&mut self, field: TextField, value: &str) -> Option<BoxQuery> {
        let exact = tokens(&mut self.exact, value);
        let stems = tokens(&mut self.stem, value);
        if exact.is_empty() || exact.len() != stems.len() {
            return None;
        }
        let all: Vec<(Occur, BoxQuery)> = exact
            .iter()
            .zip(&stems)
            .map(|(e, s)| {
                (
                    Occur::Must,
                    should(vec![
                        term(self.fields.indexed(field, Level::Exact), e),
                        term(self.fields.indexed(field, Level::Stem), s),
                    ]),
                )
            })
            .collect();
        Some(Box::new(BooleanQuery::new(all)))
    }
}

/// Terms of `field` that begin with `prefix`: a range of the term dictionary (no automaton
/// to build per query).
fn prefix_query(field: tantivy::schema::Field, prefix: &str) -> BoxQuery {
    let lower = Term::from_field_text(field, prefix);
    // The first byte string after every string that begins with `prefix`.
    let mut upper = prefix.as_bytes().to_vec();
    while upper.last() == Some(&u8::MAX) {
        upper.pop();
    }
    let upper = match upper.last_mut() {
        Some(last) => {
            *last += 1;
            Bound::Excluded(Term::from_field_bytes(field, &upper))
        }
        None => Bound::Unbounded,
    };
    Box::new(InvertedIndexRangeQuery::new(Bound::Included(lower), upper))
}

fn term(field: tantivy::schema::Field, text: &str) -> BoxQuery {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

fn boosted(query: BoxQuery, boost: f32) -> BoxQuery {
    Box::new(BoostQuery::new(query, boost))
}

fn should(queries: Vec<BoxQuery>) -> BoxQuery {
    Box::new(BooleanQuery::new(
        queries.into_iter().map(|q| (Occur::Should, q)).collect(),
    ))
}

fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Makes snippets: the first text field (in order of importance) in which a searched word
/// occurs, in any of its forms, with those words marked; the fragment is taken from around
/// the first word that matches.
struct Highlighter {
    terms: BTreeMap<String, f32>,
    /// Every form of a word (whole-word stem and compound parts' stems): what is marked.
    forms: TextAnalyzer,
    /// Picks and marks the fragment, with `forms`.
    generator: SnippetGenerator,
    /// Folded words only: cheap, to find the words worth analysing fully.
    exact: TextAnalyzer,
}

/// Fields a snippet may come from, most useful first.
const SNIPPET_FIELDS: [TextField; 9] = [
    TextField::Subject,
    TextField::Summary,
    TextField::Resolution,
    TextField::Reasoning,
    TextField::Text,
    TextField::Bodies,
    TextField::Department,
    TextField::Involved,
    TextField::Signatories,
];

/// Context kept before the first matching word, in bytes.
const SNIPPET_LEAD: usize = 60;

impl Highlighter {
    fn new(terms: &[String]) -> Highlighter {
        let terms: BTreeMap<String, f32> = terms.iter().map(|t| (t.clone(), 1.0)).collect();
        let forms = analyzer::parts(true);
        let dummy = tantivy::schema::Field::from_field_id(0);
        Highlighter {
            generator: SnippetGenerator::new(terms.clone(), forms.clone(), dummy, SNIPPET_CHARS),
            terms,
            forms,
            exact: analyzer::exact(),
        }
    }

    fn snippet(&mut self, text_of: impl Fn(TextField) -> String) -> Option<Snippet> {
        if self.terms.is_empty() {
            return None;
        }
        for field in SNIPPET_FIELDS {
            let text = text_of(field);
            let Some(first) = self.first_match(&text) else {
                continue;
            };
            // Only the text from just before the first match is analysed for the fragment
            // (stemming and compound splitting a five-page reasoning per hit is what made
            // searches slow).
            let start = window_start(&text, first);
            let end = text.floor_char_boundary(first + 3 * SNIPPET_CHARS);
            let snippet = self.generator.snippet(&text[start..end]);
            if !snippet.highlighted().is_empty() {
                return Some(Snippet {
                    field: field.key(),
                    text: snippet.fragment().replace('\n', " "),
                    highlights: snippet
                        .highlighted()
                        .iter()
                        .map(|r| (r.start, r.end))
                        .collect(),
                });
            }
        }
        None
    }

    /// The byte offset of the first word of `text` that one of the terms marks. Every form
    /// the highlighter makes of a word (its stem, a compound part's stem) is a piece of the
    /// folded word, so only words whose folded form contains a term are analysed fully.
    fn first_match(&mut self, text: &str) -> Option<usize> {
        let mut words = self.exact.token_stream(text);
        while let Some(word) = words.next() {
            if !self.terms.keys().any(|t| word.text.contains(t.as_str())) {
                continue;
            }
            let mut forms = self
                .forms
                .token_stream(&text[word.offset_from..word.offset_to]);
            while let Some(form) = forms.next() {
                if self.terms.contains_key(&form.text) {
                    return Some(word.offset_from);
                }
            }
        }
        None
    }
}

/// Where a snippet's text begins: up to [`SNIPPET_LEAD`] bytes before `first`, at the start
/// of a word.
fn window_start(text: &str, first: usize) -> usize {
    let from = text.floor_char_boundary(first.saturating_sub(SNIPPET_LEAD));
    if from == 0 {
        return 0;
    }
    match text[from..first]
        .char_indices()
        .find(|(_, c)| c.is_whitespace())
    {
        Some((space, c)) => from + space + c.len_utf8(),
        None => first,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The snippet comes from around the first word that really matches, deep in a long
    /// text, past words that only contain the term's letters.
    #[test]
    fn snippet_around_the_first_real_match() {
        let filler = "Die Verwaltung berichtet über den Planeten und die Planung. ".repeat(40);
        let text = format!("{filler}Der Stellenplan für das Jahr wird angepasst. {filler}");
        let mut highlighter = Highlighter::new(&["plan".to_string()]);
        let snippet = highlighter
            .snippet(|field| match field {
                TextField::Reasoning => text.clone(),
                _ => String::new(),
            })
            .expect("a snippet");
        assert_eq!(snippet.field, TextField::Reasoning.key());
        let marked = snippet.marked("[", "]");
        assert!(marked.contains("[Stellenplan]"), "{marked}");
        assert!(!marked.contains("[Plan"), "{marked}");
        assert!(snippet.text.len() <= SNIPPET_CHARS + 20, "{marked}");
        // Words that only contain the letters give no snippet at all.
        let mut highlighter = Highlighter::new(&["plan".to_string()]);
        assert!(highlighter.snippet(|_| filler.clone()).is_none());
        // Non-ASCII text before the match: the window starts on a character boundary.
        let umlauts = format!(
            "{} Stellenplan",
            "Überörtliche Änderungsübersicht ".repeat(9)
        );
        let mut highlighter = Highlighter::new(&["plan".to_string()]);
        let snippet = highlighter.snippet(|_| umlauts.clone()).expect("a snippet");
        assert!(snippet.marked("[", "]").ends_with("[Stellenplan]"));
    }
}
