//! Search: every analyzer promise, query feature, filter, facet, snippets, suggestions,
//! reference look-up, the leak test for non-public papers, and a search-quality test of 40
//! queries over 200+ papers. Each test builds its own index in a temporary directory.

mod common;

use std::path::Path;

use common::*;
use drucksache::demo::Generator;
use drucksache::model::{
    Consultation, Date, Department, FinancialImpact, Kind, Paper, Routing, Signatory,
};
use drucksache::search::{
    Added, Filters, IndexDoc, Query, SearchError, SearchIndex, SearchResults, Sort, Status,
};

/// A fixed "today", so no test depends on the clock.
fn today() -> Date {
    Date::parse_iso("2026-01-15").unwrap()
}

fn date(s: &str) -> Date {
    Date::parse_iso(s).unwrap()
}

/// A small paper: reference, date, department number, subject, summary.
fn paper(reference: &str, day: &str, dept: &str, subject: &str, summary: &str) -> Paper {
    Paper {
        public: true,
        kind: Kind::Beschlussvorlage,
        reference: Some(reference.into()),
        date: date(day),
        department: Department {
            number: dept.into(),
            name: format!("Fachbereich {dept}"),
        },
        involved: Vec::new(),
        subject: subject.into(),
        consultations: vec![Consultation {
            date: date(day),
            body: "Rat der Stadt".into(),
            role: None,
        }],
        deciding_body: Some("Rat der Stadt".into()),
        resolution: vec!["Der Rat beschließt die Vorlage.".into()],
        summary: Some(summary.into()),
        reasoning: "Begründung folgt.".into(),
        financial_impact: FinancialImpact {
            none: true,
            text: None,
        },
        signatories: vec![Signatory {
            name: "Erika Mustermann".into(),
            function: "Bürgermeisterin".into(),
        }],
        routing: Routing::default(),
        attachments: Vec::new(),
        supplements: None,
    }
}

fn doc(p: &Paper) -> IndexDoc {
    IndexDoc::from_paper(p, p.reference.as_deref().unwrap())
}

/// The six records of the project's archive (one of them non-public), read, not written.
fn archive_docs() -> Vec<IndexDoc> {
    let files = drucksache::publish::record_files(&root().join("archive/papers")).unwrap();
    assert_eq!(files.len(), 6);
    files
        .iter()
        .map(|f| doc(&Paper::load(f).unwrap()))
        .collect()
}

fn index_of(dir: &Path, docs: Vec<IndexDoc>) -> SearchIndex {
    let mut index = SearchIndex::open_or_create_on(&dir.join("index"), today()).unwrap();
    index.rebuild(docs.into_iter(), None, |_| {}).unwrap();
    index
}

fn search(index: &SearchIndex, text: &str) -> SearchResults {
    index.search(&Query::new(text)).unwrap()
}

fn refs(results: &SearchResults) -> Vec<&str> {
    results.hits.iter().map(|h| h.reference.as_str()).collect()
}

fn found(index: &SearchIndex, text: &str) -> Vec<String> {
    refs(&search(index, text))
        .into_iter()
        .map(String::from)
        .collect()
}

/// An index of the archive's records (0310/2012 and its supplement among them) plus 120
/// generated papers, for the number look-ups.
fn numbered_index(dir: &Path) -> SearchIndex {
    let mut docs = archive_docs();
    docs.extend(Generator::new(3, 120).map(|p| doc(&p)));
    index_of(dir, docs)
}

/// An index of the archive's records plus papers made for the analyzer tests.
fn analyzer_index(dir: &Path) -> SearchIndex {
    let mut docs = archive_docs();
    for p in [
        paper(
            "0001/2020",
            "2020-01-10",
            "20",
            "Doppelhaushaltsplan 2021/2022",
            "Entwurf.",
        ),
        paper(
            "0002/2020",
            "2020-02-10",
            "66",
            "Ausbau der Müllerstraße",
            "Gehweg.",
        ),
        paper(
            "0003/2020",
            "2020-03-10",
            "66",
            "Sanierung der Mueller-Brücke",
            "Brücke.",
        ),
        paper(
            "0004/2020",
            "2020-04-10",
            "66",
            "Beleuchtung der Strasse Am Ring",
            "Lampen.",
        ),
        paper(
            "0005/2020",
            "2020-05-10",
            "65",
            "Neue Sporthalle Boele",
            "Halle.",
        ),
        paper(
            "0006/2020",
            "2020-06-10",
            "48",
            "Erweiterung der Schulen",
            "Raum.",
        ),
        paper(
            "0007/2020",
            "2020-07-10",
            "37",
            "Feuerwehrhaus Haspe",
            "Neue Feuerwache.",
        ),
    ] {
        docs.push(doc(&p));
    }
    index_of(dir, docs)
}

#[test]
fn stemming() {
    let dir = tempfile::tempdir().unwrap();
    let index = analyzer_index(dir.path());
    assert!(found(&index, "Integrationskonzepte").contains(&"0310/2012".into()));
    let schule = found(&index, "Schule");
    assert_eq!(schule[0], "0006/2020", "{schule:?}");
    assert!(found(&index, "Haushaltssatzungen").contains(&"0020/2013".into()));
}

#[test]
fn folding_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let index = analyzer_index(dir.path());
    for q in ["Müller", "Mueller", "Muller", "MÜLLER"] {
        let hits = found(&index, q);
        assert!(hits.contains(&"0003/2020".into()), "{q}: {hits:?}");
    }
    for q in ["Müllerstraße", "Muellerstrasse", "Mullerstrasse"] {
        assert_eq!(found(&index, q), ["0002/2020"], "{q}");
    }
    for q in ["Straße", "Strasse"] {
        let hits = found(&index, q);
        assert!(hits.contains(&"0004/2020".into()), "{q}: {hits:?}");
        assert!(
            hits.contains(&"0002/2020".into()),
            "{q} (compound part): {hits:?}"
        );
    }
    // "ue" in Feuer is no umlaut: Feuer does not become "Fuer" or match "für".
    assert!(found(&index, "Feuerwehrhaus").contains(&"0007/2020".into()));
    assert!(!found(&index, "fur").contains(&"0007/2020".into()));
}

#[test]
fn compound_parts() {
    let dir = tempfile::tempdir().unwrap();
    let index = analyzer_index(dir.path());
    assert!(found(&index, "Konzept").contains(&"0310/2012".into()));
    assert_eq!(found(&index, "Haushaltsplan")[..2].len(), 2);
    assert!(found(&index, "Haushaltsplan").contains(&"0001/2020".into()));
    assert!(found(&index, "Halle").contains(&"0005/2020".into()));
    assert!(
        found(&index, "Halle").contains(&"0101/2013".into()),
        "Dreifachsporthalle"
    );
    assert!(found(&index, "Sport").contains(&"0005/2020".into()));
}

#[test]
fn no_junk_fragments() {
    let dir = tempfile::tempdir().unwrap();
    let index = analyzer_index(dir.path());
    // ("hall" is not in this list: it is the Snowball stem of "Halle", so it finds halls
    // by stemming, as "Hallen" does. That the splitter never makes "hall" + "e" of
    // "sporthalle" is checked in src/search/compound.rs.)
    for junk in [
        "e",
        "port",
        "orthalle",
        "sporth",
        "porthalle",
        "konz",
        "ept",
        "rations",
    ] {
        let hits = found(&index, junk);
        assert!(!hits.contains(&"0005/2020".into()), "{junk}: {hits:?}");
        assert!(!hits.contains(&"0310/2012".into()), "{junk}: {hits:?}");
    }
}

#[test]
fn ranking_exact_above_stemmed_above_compound_part() {
    let dir = tempfile::tempdir().unwrap();
    let index = index_of(
        dir.path(),
        vec![
            doc(&paper(
                "0003/2021",
                "2021-01-01",
                "67",
                "Spielplatzkonzept für Kinder",
                "x",
            )),
            doc(&paper(
                "0002/2021",
                "2021-01-01",
                "67",
                "Konzepte für Kinder",
                "x",
            )),
            doc(&paper(
                "0001/2021",
                "2021-01-01",
                "67",
                "Konzept für Kinder",
                "x",
            )),
        ],
    );
    assert_eq!(
        found(&index, "Konzept"),
        ["0001/2021", "0002/2021", "0003/2021"]
    );
    let r = search(&index, "Konzept");
    assert!(r.hits[0].score > r.hits[1].score && r.hits[1].score > r.hits[2].score);
}

#[test]
fn reference_lookup_with_and_without_leading_zeros() {
    let dir = tempfile::tempdir().unwrap();
    let index = numbered_index(dir.path());
    for q in [
        "0310/2012",
        "310/2012",
        "nummer:310/2012",
        "nummer:0310/2012",
    ] {
        assert_eq!(refs(&search(&index, q))[0], "0310/2012", "{q}");
    }
    assert_eq!(found(&index, "0310/2012-1")[0], "0310/2012-1");
    // nummer: also finds the supplements of a number
    let n = found(&index, "nummer:0310/2012");
    assert_eq!(n, ["0310/2012", "0310/2012-1"]);
}

#[test]
fn a_bare_number_brings_its_supplements_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let index = numbered_index(dir.path());
    for q in ["0310/2012", "310/2012"] {
        let hits = found(&index, q);
        let want = ["0310/2012".to_string(), "0310/2012-1".to_string()];
        assert!(hits.starts_with(&want), "{q}: {hits:?}");
    }
    // a supplement's own number finds it first, not its parent
    assert_eq!(found(&index, "0310/2012-1")[0], "0310/2012-1");
}

#[test]
fn filler_words_before_a_number_are_optional() {
    let dir = tempfile::tempdir().unwrap();
    let index = numbered_index(dir.path());
    for q in [
        "Drucksache 0310/2012",
        "Vorlage Nr. 0310/2012",
        "Vorlage 310/2012",
        "DS 0310/2012",
        "Drucksachen-Nr. 0310/2012",
        "Nr. 0310/2012",
    ] {
        let hits = found(&index, q);
        assert_eq!(
            hits.first().map(String::as_str),
            Some("0310/2012"),
            "{q}: {hits:?}"
        );
    }
    // elsewhere such a word is a word like any other: all words are required (only the
    // supplement says "Drucksache")
    assert!(found(&index, "Integrationskonzept").contains(&"0310/2012".into()));
    assert_eq!(
        found(&index, "Drucksache Integrationskonzept"),
        ["0310/2012-1"]
    );
}

#[test]
fn all_words_required_phrase_negation_or_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let index = analyzer_index(dir.path());
    // all words required
    assert!(found(&index, "Integrationskonzept Hagen").contains(&"0310/2012".into()));
    assert!(found(&index, "Integrationskonzept Boele").is_empty());
    // phrase: words in this order
    assert!(found(&index, "\"Rat der Stadt Hagen\"").contains(&"0310/2012".into()));
    assert!(found(&index, "\"Hagen Stadt der Rat\"").is_empty());
    // -word
    let with = found(&index, "Integrationskonzept");
    assert!(with.contains(&"0310/2012-1".into()));
    assert!(with.contains(&"0310/2012".into()));
    let without = found(&index, "Integrationskonzept -Sprachförderung");
    assert!(!without.contains(&"0310/2012-1".into()), "{without:?}");
    assert!(without.contains(&"0310/2012".into()));
    // OR
    let or = found(&index, "Sporthalle OR Feuerwehrhaus");
    assert!(or.contains(&"0005/2020".into()) && or.contains(&"0007/2020".into()));
    // prefix
    let prefix = found(&index, "Integrationsk*");
    assert!(prefix.contains(&"0310/2012".into()));
    assert!(found(&index, "Doppelhaus*").contains(&"0001/2020".into()));
    // only negations: everything else
    let not = found(&index, "-Integrationskonzept");
    assert!(!not.contains(&"0310/2012".into()) && not.contains(&"0005/2020".into()));
}

#[test]
fn malformed_queries_degrade_to_words() {
    let dir = tempfile::tempdir().unwrap();
    let index = analyzer_index(dir.path());
    for q in [
        "\"Integrationskonzept",
        "Integrationskonzept)",
        "((Sporthalle",
        "jahr:abc Sporthalle",
        "datum:gestern",
        "-",
        "*",
        "OR",
        "\"\"",
        "nummer:",
        "amt:",
        "a:b:c",
        "Sport* OR",
        "^$.*+?[](){}|\\",
        "~Sporthalle~2",
        "gremium:\"",
        "\u{0}",
    ] {
        let r = index.search(&Query::new(q));
        assert!(r.is_ok(), "{q}: {r:?}");
    }
    assert!(found(&index, "\"Integrationskonzept").contains(&"0310/2012".into()));
    assert!(found(&index, "datum:gestern Sporthalle").is_empty());
    assert_eq!(found(&index, "jahr:abc Sporthalle"), Vec::<String>::new());
}

#[test]
fn filters_and_facets() {
    let dir = tempfile::tempdir().unwrap();
    let index = analyzer_index(dir.path());
    let all = search(&index, "");
    assert_eq!(all.total, 12, "5 public archive papers + 7");
    let f = |q: &str| found(&index, q);
    let mut y2013 = f("jahr:2013");
    y2013.sort();
    assert_eq!(y2013, ["0020/2013", "0101/2013"]);
    assert_eq!(search(&index, "jahr:2012..2013").total, 5);
    assert_eq!(f("amt:37"), ["0007/2020"]);
    let mut jugend = f("amt:Jugend");
    jugend.sort();
    assert_eq!(jugend, ["0310/2012", "0310/2012-1", "0355/2012"]);
    assert_eq!(f("gremium:Integrationsrat"), ["0310/2012"]);
    let mut sozial = f("gremium:Sozialausschuss");
    sozial.sort();
    assert_eq!(sozial, ["0310/2012", "0310/2012-1"]);
    // a body filter matches whole words, not compound parts: Rat ≠ Integrationsrat
    assert!(!f("gremium:Rat jahr:2012").contains(&"0355/2012".into()));
    assert_eq!(f("art:mitteilung"), ["0355/2012"]);
    assert_eq!(f("art:ergaenzungsvorlage"), ["0310/2012-1"]);
    assert_eq!(f("datum:2012-04-01..2012-04-30"), ["0310/2012"]);
    assert_eq!(f("datum:25.04.2012"), ["0310/2012"]);
    let mut since = f("datum:2020-06-01..");
    since.sort();
    assert_eq!(since, ["0006/2020", "0007/2020"]);
    // filters given separately (CLI flags, form fields) work the same
    let mut q = Query::new("");
    q.filters = Filters {
        years: Some((2020, 2020)),
        department: Some("66".into()),
        ..Filters::default()
    };
    assert_eq!(index.search(&q).unwrap().total, 3);
    // facets count all matches, per year, department, body and kind
    let r = search(&index, "jahr:2012..2013");
    let count = |list: &[drucksache::search::FacetCount], v: &str| {
        list.iter().find(|c| c.value == v).map(|c| c.count)
    };
    assert_eq!(count(&r.facets.years, "2012"), Some(3));
    assert_eq!(count(&r.facets.years, "2013"), Some(2));
    assert_eq!(r.facets.years[0].value, "2013", "newest year first");
    assert_eq!(
        count(&r.facets.departments, "55 Fachbereich Jugend und Soziales"),
        Some(3)
    );
    assert_eq!(count(&r.facets.bodies, "Integrationsrat"), Some(1));
    assert_eq!(count(&r.facets.bodies, "Rat der Stadt Hagen"), Some(4));
    assert_eq!(count(&r.facets.kinds, "Beschlussvorlage"), Some(3));
    assert_eq!(count(&r.facets.kinds, "Mitteilungsvorlage"), Some(1));
    assert_eq!(count(&r.facets.kinds, "Ergänzungsvorlage"), Some(1));
}

#[test]
fn sort_by_date_and_pagination() {
    let dir = tempfile::tempdir().unwrap();
    let index = analyzer_index(dir.path());
    let mut q = Query::new("");
    q.sort = Sort::Date;
    q.limit = 5;
    let first = index.search(&q).unwrap();
    assert_eq!(first.total, 12);
    assert_eq!(refs(&first)[0], "0007/2020");
    let dates: Vec<&str> = first.hits.iter().map(|h| h.date.as_str()).collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted);
    q.offset = 5;
    let second = index.search(&q).unwrap();
    q.offset = 10;
    let third = index.search(&q).unwrap();
    assert_eq!((second.hits.len(), third.hits.len()), (5, 2));
    let mut all: Vec<&str> = [refs(&first), refs(&second), refs(&third)].concat();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 12, "pages do not overlap");
}

#[test]
fn shortened_compounds_are_indexed_whole() {
    let dir = tempfile::tempdir().unwrap();
    let docs = [
        paper(
            "3001/2024",
            "2024-02-01",
            "51",
            "Bericht an den Sport- und Freizeitausschuss",
            "Der Bau- und Planungsausschuss berät mit.",
        ),
        paper(
            "3002/2024",
            "2024-02-02",
            "61",
            "Stadtentwicklung, -planung und -gestaltung",
            "Vorlage für den Haupt-, Finanz- und Personalausschuss.",
        ),
        paper(
            "3003/2024",
            "2024-02-03",
            "20",
            "Bericht zum Freizeitausschuss",
            "Ohne Strich.",
        ),
    ];
    let index = index_of(dir.path(), docs.iter().map(doc).collect());
    for (q, want) in [
        ("Sportausschuss", "3001/2024"),
        ("Bauausschuss", "3001/2024"),
        ("Stadtplanung", "3002/2024"),
        ("Stadtgestaltung", "3002/2024"),
        ("Hauptausschuss", "3002/2024"),
        ("Finanzausschuss", "3002/2024"),
    ] {
        assert_eq!(found(&index, q), [want], "{q}");
    }
    // the snippet marks the word that completes the shortened compound
    for (q, marked) in [
        ("Sportausschuss", "[Freizeitausschuss]"),
        ("Finanzausschuss", "[Personalausschuss]"),
        ("Stadtgestaltung", "-[gestaltung]"),
    ] {
        let r = search(&index, q);
        let snippet = r.hits[0].snippet.as_ref().map(|s| s.marked("[", "]"));
        assert!(
            snippet.as_ref().is_some_and(|s| s.contains(marked)),
            "{q}: {snippet:?}"
        );
    }
    // the written compounds are found as before; a hyphen inside a word shortens nothing
    let mut freizeit = found(&index, "Freizeitausschuss");
    freizeit.sort();
    assert_eq!(freizeit, ["3001/2024", "3003/2024"]);
    assert_eq!(found(&index, "Personalausschuss"), ["3002/2024"]);
    assert!(found(&index, "Sportplanungsausschuss").is_empty());
}

#[test]
fn function_words_weigh_little_and_are_never_marked() {
    let dir = tempfile::tempdir().unwrap();
    let docs = [
        paper(
            "2001/2024",
            "2024-01-10",
            "51",
            "Sporthalle Emst",
            "Das Dach wird für den Schulsport saniert.",
        ),
        // "für" in the subject and the summary, the Sporthalle only in the summary
        paper(
            "2002/2024",
            "2024-01-11",
            "51",
            "Zuschuss für Vereine",
            "Mittel für Vereine, auch für die Sporthalle.",
        ),
        paper(
            "2003/2024",
            "2024-01-12",
            "20",
            "Antrag zur Genehmigung des Haushalts",
            "Der Haushalt wird zur Genehmigung vorgelegt.",
        ),
    ];
    let index = index_of(dir.path(), docs.iter().map(doc).collect());
    // the paper about the Sporthalle, not the one with the most "für"
    assert_eq!(found(&index, "Sporthalle für"), ["2001/2024", "2002/2024"]);
    // a phrase still needs its function words, but only the others are marked
    let r = search(&index, "\"zur Genehmigung\"");
    assert_eq!(refs(&r), ["2003/2024"]);
    let marked = r.hits[0].snippet.as_ref().unwrap().marked("[", "]");
    assert!(marked.contains("[Genehmigung]"), "{marked}");
    assert!(!marked.contains("[zur]"), "{marked}");
    let marked = search(&index, "Sporthalle für").hits[0]
        .snippet
        .as_ref()
        .unwrap()
        .marked("[", "]");
    assert!(
        marked.contains("[Sporthalle]") && !marked.contains("[für]"),
        "{marked}"
    );
}

#[test]
fn snippets_from_the_field_that_matched() {
    let dir = tempfile::tempdir().unwrap();
    let index = analyzer_index(dir.path());
    let r = search(&index, "Abschlusskonferenz");
    let hit = r.hits.iter().find(|h| h.reference == "0310/2012").unwrap();
    let s = hit.snippet.as_ref().unwrap();
    assert_eq!(s.field, "begruendung");
    let marked = s.marked("[", "]");
    assert!(marked.contains("[Abschlusskonferenz]"), "{marked}");
    // a stemmed or compound match is highlighted too, in the subject first
    let r = search(&index, "Konzepte");
    let s = r
        .hits
        .iter()
        .find(|h| h.reference == "0310/2012")
        .unwrap()
        .snippet
        .clone()
        .unwrap();
    assert_eq!(s.field, "betreff");
    assert!(
        s.marked("[", "]").contains("[Integrationskonzept]"),
        "{s:?}"
    );
    // a filter-only query has no snippet
    assert!(search(&index, "jahr:2013").hits[0].snippet.is_none());
}

#[test]
fn suggestions_when_nothing_matches() {
    let dir = tempfile::tempdir().unwrap();
    let index = analyzer_index(dir.path());
    let r = search(&index, "Integrationskonzpet");
    assert_eq!(r.total, 0);
    // The correction keeps how the word was typed: a capital stays a capital.
    assert_eq!(r.suggestion.as_deref(), Some("Integrationskonzept"));
    let r = search(&index, "integrationskonzpet");
    assert_eq!(r.suggestion.as_deref(), Some("integrationskonzept"));
    let r = search(&index, "Sporthale Boele");
    assert_eq!(r.suggestion.as_deref(), Some("Sporthalle Boele"));
    let r = search(&index, "SPORTHALE");
    assert_eq!(r.suggestion.as_deref(), Some("SPORTHALLE"));
    assert!(search(&index, "Sporthalle").suggestion.is_none());
    assert!(search(&index, "xqzvwk").suggestion.is_none());
}

#[test]
fn withdrawn_papers_are_found_and_marked() {
    let dir = tempfile::tempdir().unwrap();
    let p = paper(
        "0009/2021",
        "2021-03-01",
        "67",
        "Baumfällung im Stadtpark",
        "Bäume.",
    );
    let index = index_of(dir.path(), vec![doc(&p).with_status(Status::Withdrawn)]);
    let r = search(&index, "Baumfällung");
    assert_eq!(r.hits[0].status, Status::Withdrawn);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["treffer"][0]["status"], "zurueckgezogen");
}

#[test]
fn extracted_pdf_text_is_searched() {
    let dir = tempfile::tempdir().unwrap();
    let p = paper(
        "0010/2009",
        "2009-03-01",
        "20",
        "Altvorlage (importiert)",
        "x",
    );
    let index = index_of(
        dir.path(),
        vec![doc(&p).with_text("Die Straßenreinigungsgebühren steigen um zwei Prozent.")],
    );
    let r = search(&index, "Straßenreinigungsgebühr");
    assert_eq!(refs(&r), ["0010/2009"]);
    assert_eq!(r.hits[0].snippet.as_ref().unwrap().field, "volltext");
    assert_eq!(found(&index, "Gebuehren"), ["0010/2009"]);
}

#[test]
fn add_makes_a_paper_searchable_and_refuses_non_public_ones() {
    let dir = tempfile::tempdir().unwrap();
    let index = analyzer_index(dir.path());
    let mut p = paper(
        "0100/2025",
        "2025-02-01",
        "69",
        "Blühwiesen an Straßenrändern",
        "Insekten.",
    );
    assert_eq!(index.add(&doc(&p)).unwrap(), Added::Indexed);
    assert_eq!(found(&index, "Blühwiese"), ["0100/2025"]);
    // the same number again replaces it
    p.subject = "Blühwiesen an Straßenrändern und Böschungen".into();
    index.add(&doc(&p)).unwrap();
    assert_eq!(search(&index, "Blühwiese").total, 1);
    // becoming non-public removes it
    p.public = false;
    assert_eq!(index.add(&doc(&p)).unwrap(), Added::NotPublic);
    assert_eq!(search(&index, "Blühwiese").total, 0);
    // a paper blocked until a date enters only after that date
    let mut blocked = paper("0101/2025", "2025-02-01", "69", "Wildbienenhotel", "x");
    blocked.routing.publish = false;
    blocked.routing.blocked_until = Some(date("2026-01-15"));
    assert_eq!(index.add(&doc(&blocked)).unwrap(), Added::NotPublic);
    blocked.routing.blocked_until = Some(date("2026-01-14"));
    assert_eq!(index.add(&doc(&blocked)).unwrap(), Added::Indexed);
    // a new process sees what was added
    drop(index);
    let again = SearchIndex::open_or_create_on(&dir.path().join("index"), today()).unwrap();
    assert!(again.is_complete());
    assert_eq!(found(&again, "Wildbienenhotel"), ["0101/2025"]);
}

#[test]
fn outdated_or_foreign_index_directories() {
    let dir = tempfile::tempdir().unwrap();
    let index = analyzer_index(dir.path());
    assert!(index.is_complete());
    drop(index);
    let marker = dir.path().join("index/drucksache-index");
    std::fs::write(&marker, "drucksache search index, schema version 0\n").unwrap();
    let index = SearchIndex::open_or_create_on(&dir.path().join("index"), today()).unwrap();
    assert!(!index.is_complete(), "an old version is not read");
    assert!(index.is_empty(), "it was deleted");
    let foreign = dir.path().join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let err = SearchIndex::open_or_create_on(&foreign, today())
        .err()
        .unwrap();
    assert!(matches!(err, SearchError::NotAnIndex { .. }), "{err}");
    assert!(foreign.join("notes.txt").exists());
}

/// The leak test: a non-public paper with unique words is invisible through every public
/// query path: hits, totals, facets, snippets, suggestions, filters, the CLI.
#[test]
fn a_write_waits_briefly_for_the_index_lock() {
    let dir = tempfile::tempdir().unwrap();
    let index = index_of(dir.path(), archive_docs());
    // Another writer holds the lock for a moment (as a child process started while a writer
    // was open does, until it has started its program: it shares the locked file).
    let other = tantivy::Index::open_in_dir(dir.path().join("index")).unwrap();
    let writer: tantivy::IndexWriter = other.writer(15_000_000).unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(200));
        drop(writer);
    });
    let p = paper(
        "4001/2024",
        "2024-03-01",
        "20",
        "Wartehäuschen am Markt",
        "Neu.",
    );
    assert_eq!(index.add(&doc(&p)).unwrap(), Added::Indexed);
    release.join().unwrap();
    assert_eq!(found(&index, "Wartehäuschen"), ["4001/2024"]);
}

#[test]
fn non_public_papers_never_leak() {
    let dir = tempfile::tempdir().unwrap();
    let mut secret = paper(
        "0999/2099",
        "2099-12-31",
        "99",
        "Zwergpinscherzucht Geheimgrundstück Quellenweg",
        "Verkauf an Frau Xylophona.",
    );
    secret.public = false;
    secret.department.name = "Geheimamt".into();
    secret.consultations[0].body = "Geheimausschuss".into();
    secret.deciding_body = Some("Geheimausschuss".into());
    let mut docs = archive_docs();
    docs.push(doc(&secret));
    let mut index = SearchIndex::open_or_create_on(&dir.path().join("index"), today()).unwrap();
    let stats = index.rebuild(docs.into_iter(), None, |_| {}).unwrap();
    assert_eq!((stats.indexed, stats.not_public), (5, 2));
    // and add() refuses it too
    assert_eq!(index.add(&doc(&secret)).unwrap(), Added::NotPublic);

    let queries = [
        "Zwergpinscherzucht",
        "Zwergpinscher*",
        "Pinscher",
        "Zucht",
        "Geheimgrundstück",
        "Grundstück",
        "Quellenweg",
        "Quellenw*",
        "Flurstück",
        "Gemarkung",
        "Xylophona",
        "\"Frau Xylophona\"",
        "Xylophon",
        "Xylophonaa",
        "Zwergpinscherzuht",
        "Quellenwek",
        "Flurstuck",
        "nummer:0999/2099",
        "0999/2099",
        "999/2099",
        "nummer:0412/2012",
        "0412/2012",
        "jahr:2099",
        "amt:99",
        "amt:Geheimamt",
        "gremium:Geheimausschuss",
        "Geheimausschuss",
        "Geheimamt",
        "datum:2099-01-01..",
        "Zwergpinscherzucht OR Konzept",
    ];
    for q in queries {
        let r = search(&index, q);
        for hit in &r.hits {
            assert!(
                !["0999/2099", "0412/2012"].contains(&hit.reference.as_str()),
                "{q}: {hit:?}"
            );
        }
        let json = serde_json::to_string(&r).unwrap().to_lowercase();
        for word in [
            "zwergpinscher",
            "geheim",
            "quellenweg",
            "xylophon",
            "flurst",
            "2099",
            "0412",
        ] {
            assert!(!json.contains(word), "{q}: {word} in {json}");
        }
    }
    // Counts and facets over everything contain only the public papers.
    let all = search(&index, "");
    assert_eq!(all.total, 5);
    let facet_total: u64 = all.facets.years.iter().map(|c| c.count).sum();
    assert_eq!(facet_total, 5);
    let r = search(&index, "jahr:2012");
    assert_eq!(r.total, 3, "0412/2012 is from 2012 but not public");
    // With date sort and pagination too.
    let mut q = Query::new("Quellenweg");
    q.sort = Sort::Date;
    q.offset = 0;
    assert_eq!(index.search(&q).unwrap().total, 0);

    // The CLI, on an archive holding the non-public record.
    let archive = dir.path().join("archive");
    common::copy_tracked_records(&archive);
    for q in ["Quellenweg", "Flurstück", "Quellenwek", "nummer:0412/2012"] {
        let r = run(drucksache()
            .env("DRUCKSACHE_ARCHIVE", &archive)
            .args(["search", "--json", q]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(v["gesamt"], 0, "{q}");
        assert!(v.get("vorschlag").is_none(), "{q}: {v}");
        assert!(!r.stdout.to_lowercase().contains("quellenweg"), "{q}");
    }
}

#[test]
fn cli_search_builds_the_index_first_and_reindex_rebuilds_it() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    common::copy_tracked_records(&archive);
    let r = run(drucksache().env("DRUCKSACHE_ARCHIVE", &archive).args([
        "search",
        "Integrationskonzepte",
        "--jahr",
        "2012",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("Suchindex"), "{}", r.stderr);
    assert!(r.stdout.contains("0310/2012"), "{}", r.stdout);
    assert!(r.stdout.contains("»Integrationskonzept«"), "{}", r.stdout);
    assert!(archive.join("index/meta.json").is_file());
    // second run: the index is there, nothing is rebuilt
    let r = run(drucksache().env("DRUCKSACHE_ARCHIVE", &archive).args([
        "search", "--json", "--limit", "1", "--seite", "2", "--sort", "datum", "Hagen",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("Suchindex"), "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["offset"], 1);
    assert_eq!(v["treffer"].as_array().unwrap().len(), 1);
    // flags after the words are flags; -word goes inside the quoted query (or after --)
    let r = run(drucksache().env("DRUCKSACHE_ARCHIVE", &archive).args([
        "search",
        "Integrationskonzept -Sprachförderung",
        "--jahr",
        "2012",
        "--json",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["gesamt"], 1, "{v}");
    assert_eq!(v["treffer"][0]["drucksachennummer"], "0310/2012");
    let r = run(drucksache()
        .env("DRUCKSACHE_ARCHIVE", &archive)
        .arg("reindex"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("5 Vorlagen indexiert, 1 nicht öffentliche ausgelassen"),
        "{}",
        r.stderr
    );
    let r = run(drucksache()
        .env("DRUCKSACHE_ARCHIVE", &archive)
        .args(["search", "--jahr", "zwanzig", "x"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn cli_demo_corpus_is_deterministic_and_valid() {
    let dir = tempfile::tempdir().unwrap();
    for out in ["a", "b"] {
        let r = run(drucksache()
            .args(["demo-corpus", "--count", "30", "--seed", "5", "--out"])
            .arg(dir.path().join(out)));
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let a = drucksache::publish::record_files(&dir.path().join("a")).unwrap();
    assert_eq!(a.len(), 30);
    for file in &a {
        let twin = dir
            .path()
            .join("b")
            .join(file.strip_prefix(dir.path().join("a")).unwrap());
        assert_eq!(std::fs::read(file).unwrap(), std::fs::read(twin).unwrap());
        Paper::load(file).unwrap();
    }
}

/// 40 queries as citizens type them, over the archive's records, 24 hand-written papers and
/// 200 generated ones; every expected paper must be in the top 10.
#[test]
fn search_quality() {
    let hand = [
        (
            "1001/2016",
            "2016-03-01",
            "55",
            "Integrationskonzept für Zugewanderte – Fortschreibung",
            "Das Integrationskonzept wird mit den Migrantenorganisationen fortgeschrieben.",
        ),
        (
            "1002/2017",
            "2017-10-01",
            "20",
            "Doppelhaushaltsplan 2018/2019",
            "Der Entwurf des Doppelhaushaltsplans wird eingebracht.",
        ),
        (
            "1003/2018",
            "2018-05-01",
            "66",
            "Trinkwasserbrunnen in der Innenstadt",
            "Drei Trinkwasserbrunnen sollen an Plätzen der Innenstadt aufgestellt werden.",
        ),
        (
            "1004/2019",
            "2019-02-01",
            "32",
            "Erhöhung der Hundesteuer",
            "Die Hundesteuersätze werden angepasst; Listenhunde werden höher besteuert.",
        ),
        (
            "1005/2019",
            "2019-06-01",
            "49",
            "Verlegung von Stolpersteinen in Wehringhausen",
            "Zur Erinnerung an Opfer des Nationalsozialismus werden Stolpersteine verlegt.",
        ),
        (
            "1006/2020",
            "2020-01-20",
            "80",
            "Glasfaserausbau in den Gewerbegebieten",
            "Der Breitbandausbau mit Glasfaser wird mit Fördermitteln des Bundes umgesetzt.",
        ),
        (
            "1007/2020",
            "2020-04-20",
            "55",
            "Obdachlosenunterkunft an der Müllerstraße",
            "Die Unterkunft für wohnungslose Menschen an der Müllerstraße wird erweitert.",
        ),
        (
            "1008/2021",
            "2021-03-03",
            "69",
            "Photovoltaikanlagen auf städtischen Dächern",
            "Solaranlagen auf Schulen und Verwaltungsgebäuden erzeugen Strom für den Eigenverbrauch.",
        ),
        (
            "1009/2021",
            "2021-08-03",
            "48",
            "Schulsozialarbeit an Grundschulen",
            "Die Stellen der Schulsozialarbeit werden dauerhaft finanziert.",
        ),
        (
            "1010/2022",
            "2022-02-02",
            "66",
            "Carsharing-Stationen im Quartier",
            "Stellplätze für Carsharing werden im öffentlichen Straßenraum ausgewiesen.",
        ),
        (
            "1011/2022",
            "2022-05-02",
            "37",
            "Beschaffung eines Drehleiterfahrzeugs für die Feuerwehr",
            "Die Feuerwehr erhält eine neue Drehleiter.",
        ),
        (
            "1012/2023",
            "2023-01-09",
            "67",
            "Baumschutzsatzung – Neufassung",
            "Die Baumschutzsatzung schützt Bäume ab einem Stammumfang von 80 Zentimetern.",
        ),
        (
            "1013/2023",
            "2023-04-09",
            "49",
            "Partnerschaft mit der Stadt Montebelluna",
            "Die Städtepartnerschaft mit Montebelluna wird vertieft; ein Jugendaustausch ist geplant.",
        ),
        (
            "1014/2015",
            "2015-07-07",
            "10",
            "Einführung der elektronischen Akte",
            "Die E-Akte wird in allen Fachbereichen eingeführt.",
        ),
        (
            "1015/2014",
            "2014-09-09",
            "61",
            "Wochenmarkt auf dem Friedrich-Ebert-Platz",
            "Der Wochenmarkt zieht vorübergehend auf den Friedrich-Ebert-Platz.",
        ),
        (
            "1016/2013",
            "2013-11-11",
            "65",
            "Schadstoffsanierung des Rathauses",
            "Asbest und PCB im Rathaus werden beseitigt.",
        ),
        (
            "1017/2022",
            "2022-08-08",
            "55",
            "Lastenfahrräder für Kindertagesstätten",
            "Kitas erhalten Lastenräder für Ausflüge.",
        ),
        (
            "1018/2024",
            "2024-06-06",
            "69",
            "Hitzeaktionsplan für ältere Menschen",
            "Hitzeschutz: kühle Räume und Trinkwasser für Seniorinnen und Senioren.",
        ),
        (
            "1019/2011",
            "2011-04-04",
            "49",
            "Straßenbenennung nach Käthe Kollwitz",
            "Eine Straße im Neubaugebiet erhält den Namen Käthe-Kollwitz-Straße.",
        ),
        (
            "1020/2018",
            "2018-12-12",
            "55",
            "Tierheim – Zuschuss an den Tierschutzverein",
            "Der Tierschutzverein erhält einen Zuschuss für das Tierheim.",
        ),
        (
            "1021/2019",
            "2019-10-10",
            "20",
            "Bürgerhaushalt: Ergebnisse der Online-Beteiligung",
            "Die Vorschläge der Bürgerinnen und Bürger zum Haushalt werden vorgestellt.",
        ),
        (
            "1022/2016",
            "2016-09-16",
            "66",
            "Ampelanlage an der Kreuzung Bergstraße/Feldstraße",
            "Eine Lichtsignalanlage soll die Kreuzung sicherer machen.",
        ),
        (
            "1023/2017",
            "2017-05-17",
            "67",
            "Freibad Hestert – Saisonverlängerung",
            "Das Freibad bleibt bis Mitte September geöffnet.",
        ),
        (
            "1024/2020",
            "2020-11-20",
            "55",
            "Quartiersmanagement Altenhagen",
            "Ein Quartiersbüro unterstützt Nachbarschaftsprojekte.",
        ),
    ];
    let mut docs = archive_docs();
    for (r, d, dept, subject, summary) in hand {
        docs.push(doc(&paper(r, d, dept, subject, summary)));
    }
    docs.extend(Generator::new(11, 200).map(|p| doc(&p)));
    let dir = tempfile::tempdir().unwrap();
    let index = index_of(dir.path(), docs);
    assert!(index.len() >= 200);

    let cases: [(&str, &[&str]); 40] = [
        (
            "Integrationskonzept",
            &["0310/2012", "1001/2016", "0310/2012-1"],
        ),
        ("Integrationskonzepte", &["0310/2012", "1001/2016"]),
        ("Integration Zugewanderte", &["1001/2016"]),
        ("Doppelhaushaltsplan", &["1002/2017"]),
        ("Brunnen", &["1003/2018"]),
        ("Trinkwasser", &["1003/2018", "1018/2024"]),
        ("Hundesteuer", &["1004/2019"]),
        ("Steuer Hunde", &["1004/2019"]),
        ("Stolpersteine", &["1005/2019"]),
        ("Stolperstein Wehringhausen", &["1005/2019"]),
        ("Glasfaser", &["1006/2020"]),
        ("Breitband", &["1006/2020"]),
        ("Muellerstrasse", &["1007/2020"]),
        ("Obdachlose Unterkunft", &["1007/2020"]),
        ("Solaranlage", &["1008/2021"]),
        ("Schulsozialarbeit", &["1009/2021"]),
        ("Sozialarbeit Grundschule", &["1009/2021"]),
        ("Carsharing", &["1010/2022"]),
        ("Drehleiter", &["1011/2022"]),
        ("Feuerwehr Fahrzeug", &["1011/2022"]),
        ("Baumschutz", &["1012/2023"]),
        ("Städtepartnerschaft", &["1013/2023"]),
        ("Partnerschaft Montebelluna", &["1013/2023"]),
        ("elektronische Akte", &["1014/2015"]),
        ("Wochenmarkt", &["1015/2014"]),
        ("Asbest Rathaus", &["1016/2013"]),
        ("Lastenrad", &["1017/2022"]),
        ("Fahrrad Kindertagesstätte", &["1017/2022"]),
        ("Hitze Senioren", &["1018/2024"]),
        ("Kaethe Kollwitz", &["1019/2011"]),
        ("Tierheim Zuschuss", &["1020/2018"]),
        ("Bürgerhaushalt", &["1021/2019"]),
        ("Ampel", &["1022/2016"]),
        ("Freibad", &["1023/2017"]),
        ("Quartiersmanagement", &["1024/2020"]),
        ("0310/2012", &["0310/2012"]),
        ("310/2012", &["0310/2012"]),
        ("Kindertagesbetreuung Dreijährige", &["0355/2012"]),
        ("Haushaltssicherungskonzept", &["0020/2013"]),
        ("nummer:0355/2012", &["0355/2012"]),
    ];
    let mut failures = Vec::new();
    for (q, expected) in cases {
        let got = found(&index, q);
        let top: Vec<&str> = got.iter().take(10).map(String::as_str).collect();
        for want in expected {
            if !top.contains(want) {
                failures.push(format!("{q}: {want} not in top 10 {top:?}"));
            }
        }
        if top.first() != expected.first() && expected.len() == 1 {
            failures.push(format!("{q}: expected {} first, got {top:?}", expected[0]));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
