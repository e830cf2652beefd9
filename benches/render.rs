//! `cargo bench --bench render`: render speed and memory of the shared engine.
//!
//! Prints the median time per paper (seed paper, warm, one thread), papers/s for 1,000
//! distinct papers on all cores, and peak RSS after 10,000 renders. Set
//! `DRUCKSACHE_BENCH_EVICT=none` (keep Typst's cache) or `EVERY/MAX_AGE` (e.g. `1/0`) to
//! compare cache eviction policies; `DRUCKSACHE_BENCH_MANY` changes the 10,000.
//! `DRUCKSACHE_BENCH_RENDERS=N` only renders the seed paper N times and prints nothing, for
//! counting instructions with callgrind (the difference of two N, divided, is one warm render).

use std::path::Path;
use std::time::Instant;

use drucksache::config::{Overrides, Settings};
use drucksache::model::Paper;
use drucksache::render::{Eviction, RenderOptions, Renderer};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let settings = Settings::resolve(Overrides {
        archive: root.join("archive"),
        ..Default::default()
    })
    .expect("archive configuration");
    let mut renderer = Renderer::new(settings.letterhead, None).expect("renderer");
    let eviction = match std::env::var("DRUCKSACHE_BENCH_EVICT").as_deref() {
        Ok("none") => None,
        Ok(spec) => {
            let (every, age) = spec.split_once('/').expect("EVERY/MAX_AGE");
            Some(Eviction {
                every: every.parse().unwrap(),
                max_age: age.parse().unwrap(),
            })
        }
        Err(_) => Some(Eviction::default()),
    };
    renderer.set_eviction(eviction);
    let seed = Paper::load(&root.join("archive/papers/2012/0310-2012.toml")).expect("seed record");
    let options = RenderOptions::default();
    if let Ok(n) = std::env::var("DRUCKSACHE_BENCH_RENDERS") {
        let n: usize = n.parse().expect("DRUCKSACHE_BENCH_RENDERS: a number");
        for _ in 0..n {
            std::hint::black_box(renderer.render(&seed, &options).unwrap());
        }
        return;
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("eviction policy: {eviction:?}; threads: {threads}");

    // 1. Warm, single thread, the seed paper.
    for _ in 0..20 {
        renderer.render(&seed, &options).unwrap();
    }
    let mut times: Vec<f64> = (0..200)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(renderer.render(&seed, &options).unwrap());
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "seed paper, warm, 1 thread: median {:.2} ms, p90 {:.2} ms",
        times[100], times[180]
    );

    // 2. 1,000 distinct papers on all cores.
    let papers: Vec<Paper> = (0..1000).map(|i| variant(&seed, i)).collect();
    let start = Instant::now();
    // Count the bytes but keep no PDF: the memory figure below is the renderer's, not ours.
    let bytes = std::sync::atomic::AtomicUsize::new(0);
    renderer.for_each_parallel(papers.len(), |i| {
        let pdf = renderer.render(&papers[i], &options).unwrap();
        bytes.fetch_add(pdf.len(), std::sync::atomic::Ordering::Relaxed);
    });
    let bytes = bytes.into_inner();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "1,000 distinct papers, all cores: {:.0} papers/s ({:.1} s, {} MB of PDF)",
        1000.0 / secs,
        secs,
        bytes / 1_000_000
    );

    // 2b. The seed paper with every paragraph changed: nothing of the text can be reused.
    let rewritten: Vec<Paper> = (0..1000).map(|i| rewritten(&seed, i)).collect();
    let start = Instant::now();
    renderer.for_each_parallel(rewritten.len(), |i| {
        std::hint::black_box(renderer.render(&rewritten[i], &options).unwrap());
    });
    let secs = start.elapsed().as_secs_f64();
    println!(
        "1,000 papers, every paragraph distinct, all cores: {:.0} papers/s ({:.1} s)",
        1000.0 / secs,
        secs
    );

    // 2c. The same with 1,000 papers of the demo corpus, whose texts differ throughout
    // (subject, consultations, resolution, reasoning), so little of one paper's layout can
    // be reused for the next.
    let corpus: Vec<Paper> = drucksache::demo::Generator::new(7, 1000).collect();
    let start = Instant::now();
    let bytes = std::sync::atomic::AtomicUsize::new(0);
    renderer.for_each_parallel(corpus.len(), |i| {
        let pdf = renderer.render(&corpus[i], &options).unwrap();
        bytes.fetch_add(pdf.len(), std::sync::atomic::Ordering::Relaxed);
    });
    let secs = start.elapsed().as_secs_f64();
    println!(
        "1,000 demo-corpus papers (all texts distinct), all cores: {:.0} papers/s ({:.1} s, {} MB of PDF)",
        1000.0 / secs,
        secs,
        bytes.into_inner() / 1_000_000
    );

    // 3. Peak memory over a long run.
    let many: usize = std::env::var("DRUCKSACHE_BENCH_MANY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let start = Instant::now();
    renderer.for_each_parallel(many, |i| {
        renderer
            .render(&variant(&seed, 1000 + i), &options)
            .unwrap();
        if i % 2500 == 2499 {
            println!("  after ~{} renders: RSS {} MB", i + 1, status_mb("VmRSS:"));
        }
    });
    println!(
        "{many} distinct renders in {:.1} s: peak RSS {} MB (RSS now {} MB)",
        start.elapsed().as_secs_f64(),
        status_mb("VmHWM:"),
        status_mb("VmRSS:")
    );
}

/// A distinct paper: its own reference, subject, date and resolution text.
fn variant(seed: &Paper, i: usize) -> Paper {
    let mut p = seed.clone();
    p.reference = Some(format!("{:04}/2012", i % 10_000));
    p.subject = format!("{} – Fortschreibung {i}", seed.subject);
    p.resolution[0] = format!("{} (Fassung {i})", seed.resolution[0]);
    p
}

/// The seed paper with a mark in every paragraph of every text: no paragraph, list item or
/// heading is the same as in any other paper.
fn rewritten(seed: &Paper, i: usize) -> Paper {
    let mark = |text: &str| {
        text.split("\n\n")
            .map(|para| format!("{para} ({i})"))
            .collect::<Vec<_>>()
            .join("\n\n")
    };
    let mut p = variant(seed, i);
    p.resolution = p.resolution.iter().map(|r| mark(r)).collect();
    p.summary = p.summary.as_deref().map(mark);
    p.reasoning = mark(&p.reasoning);
    p.financial_impact.text = p.financial_impact.text.as_deref().map(mark);
    p
}

/// A line of /proc/self/status in MB.
fn status_mb(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    kb / 1024
}
