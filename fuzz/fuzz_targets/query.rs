//! Fuzzes what users type into the search: `search::query::parse` (and the filter value
//! parsers) never panic, and `SearchIndex::search` of the text over a tiny index of three
//! demo papers, by relevance and by date, returns Ok or an error, never a panic.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use drucksache::demo::Generator;
use drucksache::model::Date;
use drucksache::search::query::{parse, parse_date, parse_dates, parse_years};
use drucksache::search::{IndexDoc, Query, SearchIndex, Sort};
use libfuzzer_sys::fuzz_target;

/// Longer texts add time per run, not new paths: the parser is one pass over characters.
const MAX_LEN: usize = 4096;

fn index() -> &'static SearchIndex {
    static INDEX: OnceLock<SearchIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let dir = index_dir();
        let today = Date::parse_iso("2030-01-01").unwrap();
        let docs: Vec<IndexDoc> = Generator::new(7, 40)
            .map(|p| IndexDoc::from_paper(&p, p.reference.as_deref().unwrap()))
            .filter(|d| d.is_publishable(today))
            .take(3)
            .collect();
        assert_eq!(docs.len(), 3);
        let index = SearchIndex::open_or_create_on(&dir, today).unwrap();
        index.add_all(&docs, None).unwrap();
        assert_eq!(index.len(), 3);
        index
    })
}

/// A folder of this process under the system's temporary folder; those of processes that
/// have ended are removed (libFuzzer ends with `exit`, which runs no destructor).
fn index_dir() -> PathBuf {
    let tmp = std::env::temp_dir();
    let prefix = "drucksache-fuzz-query-";
    for entry in std::fs::read_dir(&tmp).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix(prefix)
            && !Path::new("/proc").join(pid).exists()
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    let dir = tmp.join(format!("{prefix}{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fuzz_target!(
    // Built before the first input, so that its allocations are not taken for a leak of one.
    init: {
        index();
    },
    |data: &[u8]| {
        if data.len() > MAX_LEN {
            return;
        }
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let parsed = parse(text);
        let _ = format!("{parsed:?}");
        let _ = parse_years(text);
        let _ = parse_dates(text);
        let _ = parse_date(text);

        let index = index();
        for sort in [Sort::Relevance, Sort::Date] {
            let mut query = Query::new(text);
            query.sort = sort;
            if let Ok(results) = index.search(&query) {
                assert!(results.hits.len() <= results.total.min(query.limit));
            }
        }
    }
);
