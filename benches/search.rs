//! `cargo bench --bench search`: indexing speed, index size, query latency and the time from
//! `add` to searchable, over generated papers (100,000 by default;
//! `DRUCKSACHE_BENCH_PAPERS=10000` for a quick run).

use std::time::{Duration, Instant};

use drucksache::demo::Generator;
use drucksache::model::Date;
use drucksache::search::{Filters, IndexDoc, Query, SearchIndex, Sort};

/// A fixed mix of 60 queries as citizens type them, with filters, facets and sorting.
fn queries() -> Vec<Query> {
    let words = [
        "Sporthalle",
        "Halle",
        "Sanierung Grundschule",
        "Klimaschutzkonzept",
        "Konzept",
        "Haushaltsplan",
        "Bebauungsplan Haspe",
        "Kindertageseinrichtung",
        "Kita",
        "Feuerwache",
        "Radverkehrskonzept",
        "\"Vergabe der Planungsleistungen\"",
        "Lärmaktionsplan",
        "Schule OR Kindertageseinrichtung",
        "Sanierung -Sporthalle",
        "Sport*",
        "Haushalt*",
        "Bahnhofstrasse",
        "Mueller",
        "Energetische Modernisierung",
        "Stadtbibliothek Eilpe",
        "Spielplatz Emst",
        "Brandschutz",
        "Fördermittel Land",
        "Barrierefreiheit",
        "0042/2012",
        "310/2019",
        "Hallenbad Öffnungszeiten",
        "Friedhofskapelle",
        "Wohnraumversorgungskonzept",
        "Nahverkehrsplan Fortschreibung",
        "Busbahnhof",
        "Seniorenbegegnungsstätte",
        "Parkhaus Kosten",
        "Regenrückhaltebecken",
        "Einzelhandelskonzept",
        "Schulentwicklungsplan",
        "Jugendzentrum",
        "Gesamtschule Erweiterung",
        "Sporthale",
    ];
    let mut out: Vec<Query> = words.iter().map(|w| Query::new(*w)).collect();
    let filtered = [
        ("Sanierung", Some((2012, 2014)), None, None),
        ("Konzept", None, Some("66"), None),
        ("", Some((2010, 2010)), None, None),
        ("Sporthalle", None, None, Some("Sport")),
        ("Haushaltsplan", Some((2020, 2024)), Some("20"), None),
        ("Grundschule", None, Some("Bildung"), None),
        ("", None, Some("55"), Some("Jugendhilfeausschuss")),
        ("Bebauungsplan", Some((2005, 2009)), None, None),
        ("Feuerwache", None, None, Some("Haupt- und Finanzausschuss")),
        ("Spielplatz", Some((2015, 2024)), Some("67"), None),
    ];
    for (text, years, department, body) in filtered {
        let mut q = Query::new(text);
        q.filters = Filters {
            years,
            department: department.map(String::from),
            body: body.map(String::from),
            ..Filters::default()
        };
        out.push(q);
    }
    for text in [
        "Sanierung jahr:2016",
        "art:mitteilung Sachstand",
        "datum:2019-01-01..2019-06-30",
        "gremium:Umweltausschuss Konzept",
        "amt:Tiefbauamt Busbahnhof",
    ] {
        out.push(Query::new(text));
    }
    for text in ["Sanierung", "Konzept", "Haushalt", "Grundschule", "Halle"] {
        let mut q = Query::new(text);
        q.sort = Sort::Date;
        q.offset = 20;
        out.push(q);
    }
    out
}

fn dir_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                dir_size(&e.path())
            } else {
                e.metadata().unwrap().len()
            }
        })
        .sum()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    let count: usize = std::env::var("DRUCKSACHE_BENCH_PAPERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let today = Date::parse_iso("2026-01-01").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let index_dir = dir.path().join("index");

    // Papers are generated before the clock starts: the figure is indexing, not generating.
    let docs: Vec<IndexDoc> = Generator::new(1, count)
        .map(|p| {
            let reference = p.reference.clone().unwrap();
            IndexDoc::from_paper(&p, &reference)
        })
        .collect();
    let public = docs
        .iter()
        .filter(|d| d.release != drucksache::model::Release::Never)
        .count();

    let mut index = SearchIndex::open_or_create_on(&index_dir, today).unwrap();
    let start = Instant::now();
    let stats = index.rebuild(docs.into_iter(), None, |_| {}).unwrap();
    let took = start.elapsed();
    println!(
        "indexing: {count} papers ({} public, {} left out) in {:.1} s = {:.0} papers/s",
        stats.indexed,
        stats.not_public,
        took.as_secs_f64(),
        count as f64 / took.as_secs_f64()
    );
    assert_eq!(stats.indexed as usize, public);
    println!(
        "index size on disk: {:.1} MB",
        dir_size(&index_dir) as f64 / 1e6
    );

    let mix = queries();
    // warm up the reader and the OS cache once
    for q in &mix {
        index.search(q).unwrap();
    }
    let mut times = Vec::new();
    let mut total_hits = 0;
    for _ in 0..5 {
        for q in &mix {
            let t = Instant::now();
            let r = index.search(q).unwrap();
            times.push(t.elapsed());
            total_hits += r.total;
        }
    }
    times.sort();
    println!(
        "query latency over {} queries × 5 (facets, snippets, filters): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} hits in all)",
        mix.len(),
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times.last().unwrap().as_secs_f64() * 1e3,
        total_hits
    );

    // From add to searchable: add() commits and reloads; measure until a query finds it.
    let mut worst = Duration::ZERO;
    for i in 0..5 {
        let mut p = Generator::new(99, 1).next().unwrap();
        p.public = true;
        p.reference = Some(format!("{:04}/2030", 9000 + i));
        p.subject = format!("Benchmarkvorlage Zaunkoenigweg{i}");
        let doc = IndexDoc::from_paper(&p, p.reference.as_deref().unwrap());
        let t = Instant::now();
        index.add(&doc).unwrap();
        loop {
            if index
                .search(&Query::new(format!("Zaunkoenigweg{i}")))
                .unwrap()
                .total
                == 1
            {
                break;
            }
            assert!(
                t.elapsed() < Duration::from_secs(5),
                "not searchable after 5 s"
            );
        }
        worst = worst.max(t.elapsed());
    }
    println!(
        "add → searchable: at most {:.0} ms over 5 papers",
        worst.as_secs_f64() * 1e3
    );
}
