//! `drucksache search`, `reindex` and `demo-corpus`: the search index of the archive.

use std::io::IsTerminal;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::UsageError;
use crate::cli::{DemoCorpusArgs, SearchArgs, SortArg};
use crate::config::Settings;
use crate::publish::Publisher;
use crate::search::{self, Query, Request, SearchIndex, SearchResults, Sort};

pub fn search(settings: &Settings, args: &SearchArgs) -> anyhow::Result<()> {
    let query = query_of(args)?;
    let mut publisher = Publisher::open(settings)?;
    let mut index = SearchIndex::open_or_create_on(
        &search::index_dir(&settings.archive),
        publisher.clock().today(),
    )?;
    if !index.is_complete() {
        eprintln!("Suchindex wird aufgebaut …");
        publisher.rebuild_index(&mut index, |_| {})?;
    }
    let results = index.search(&query)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        print!(
            "{}",
            text(&query, &results, std::io::stdout().is_terminal())
        );
    }
    Ok(())
}

/// Rebuilds the index from the archive's papers, with a progress bar on a terminal.
pub fn reindex(settings: &Settings) -> anyhow::Result<()> {
    let mut publisher = Publisher::open(settings)?;
    let mut index = SearchIndex::open_or_create_on(
        &search::index_dir(&settings.archive),
        publisher.clock().today(),
    )?;
    let bar = progress_bar();
    let stats = publisher.rebuild_index(&mut index, |(done, total)| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    eprintln!(
        "Suchindex {}: {} Vorlagen indexiert, {} nicht öffentliche ausgelassen",
        index.dir().display(),
        stats.indexed,
        stats.not_public
    );
    Ok(())
}

pub fn demo_corpus(args: &DemoCorpusArgs) -> anyhow::Result<()> {
    let paths = crate::demo::write_corpus(&args.out, args.count, args.seed, args.json)
        .with_context(|| format!("cannot write to {}", args.out.display()))?;
    println!("{} Vorlagen in {}", paths.len(), args.out.display());
    Ok(())
}

/// A progress bar on standard error, drawn only when it is a terminal.
fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} Vorlagen ({per_sec}, noch {eta})")
            .expect("valid template"),
    );
    bar
}

/// The search the arguments ask for: the [`Request`] of the flags named like the service's
/// parameters (`--jahr`, `--von`, …), then `--sort` (checked by clap) and the paging.
fn query_of(args: &SearchArgs) -> anyhow::Result<Query> {
    let request = Request {
        text: args.query.join(" "),
        kind: args.art.clone(),
        years: args.jahr.clone(),
        department: args.amt.clone(),
        body: args.gremium.clone(),
        date_from: args.von.clone(),
        date_to: args.bis.clone(),
        sort: None, // `--sort` is a clap enum, set below
    };
    let mut query = request
        .to_query()
        .map_err(|e| UsageError(format!("--{} {}", e.parameter, e.message)))?;
    query.sort = match args.sort {
        SortArg::Relevance => Sort::Relevance,
        SortArg::Date => Sort::Date,
    };
    if args.limit == 0 || args.limit > search::MAX_LIMIT {
        return Err(UsageError(format!(
            "--limit {}: give 1 to {}",
            args.limit,
            search::MAX_LIMIT
        ))
        .into());
    }
    query.limit = args.limit;
    query.offset = match (args.offset, args.seite) {
        (Some(o), _) => o,
        (None, Some(0)) => return Err(UsageError("--seite counts from 1".into()).into()),
        (None, Some(page)) => (page - 1) * args.limit,
        (None, None) => 0,
    };
    Ok(query)
}

/// The results as text for a person; highlights in bold on a terminal, else in »…«.
fn text(query: &Query, results: &SearchResults, terminal: bool) -> String {
    let (open, close) = if terminal {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("»", "«")
    };
    let mut out = String::new();
    let shown = results.hits.len();
    if results.total == 0 {
        out.push_str(&format!("Keine Treffer für „{}“.\n", query.text));
    } else {
        out.push_str(&format!(
            "{} Treffer für „{}“ ({}–{}):\n",
            results.total,
            query.text,
            results.offset + usize::from(shown > 0),
            results.offset + shown
        ));
    }
    for hit in &results.hits {
        let date =
            crate::model::Date::parse_iso(&hit.date).map_or(hit.date.clone(), |d| d.german());
        out.push_str(&format!(
            "\n{}  {}  {}  {}{}\n  {}\n",
            hit.reference,
            date,
            hit.kind,
            hit.department,
            if hit.status == search::Status::Withdrawn {
                "  [zurückgezogen]"
            } else {
                ""
            },
            hit.subject
        ));
        if let Some(snippet) = &hit.snippet {
            out.push_str(&format!(
                "  {}: {}\n",
                snippet.field,
                snippet.marked(open, close)
            ));
        }
    }
    if results.total > 0 {
        let list = |name: &str, counts: &[search::FacetCount]| {
            let values: Vec<String> = counts
                .iter()
                .take(8)
                .map(|c| format!("{} ({})", c.value, c.count))
                .collect();
            format!("  {name}: {}\n", values.join(" · "))
        };
        out.push_str("\nFacetten:\n");
        out.push_str(&list("Jahr", &results.facets.years));
        out.push_str(&list("Amt", &results.facets.departments));
        out.push_str(&list("Gremium", &results.facets.bodies));
        out.push_str(&list("Art", &results.facets.kinds));
    }
    if let Some(suggestion) = &results.suggestion {
        out.push_str(&format!("\nMeinten Sie: „{suggestion}“?\n"));
    }
    out
}
