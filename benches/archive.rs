//! `cargo bench --bench archive`: what the archive adds to a render. Creates 1,000 distinct
//! papers one per transaction with `Archive::create` (allocate, render, sign, store with
//! fsyncs, commit), timing the render + sign inside it, and renders and signs the same papers
//! bare, interleaved; prints both medians, their difference, the archive's own time per paper
//! (the create minus its render + sign) and papers/s. Then 1,000 papers in batches of 50
//! through `Publisher::create_all`. `DRUCKSACHE_BENCH_DIR` puts the archive on another file
//! system (default: a temporary directory).

use std::cell::Cell;
use std::path::Path;
use std::time::Instant;

use drucksache::archive::{Origin, Produced};
use drucksache::config::{Overrides, Settings};
use drucksache::model::Paper;
use drucksache::publish::Publisher;
use drucksache::render::RenderOptions;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = match std::env::var_os("DRUCKSACHE_BENCH_DIR") {
        Some(d) => tempfile::tempdir_in(d),
        None => tempfile::tempdir(),
    }
    .expect("temporary archive");
    std::fs::copy(
        root.join("archive/drucksache.toml"),
        dir.path().join("drucksache.toml"),
    )
    .expect("configuration");
    let settings = Settings::resolve(Overrides {
        archive: dir.path().to_path_buf(),
        ..Default::default()
    })
    .expect("archive configuration");
    let seed = Paper::load(&root.join("archive/papers/2012/0310-2012.toml")).expect("seed");
    let mut publisher = Publisher::open(&settings).expect("archive");
    // The same development key `new` uses, for the bare render + sign.
    let (signer, _) = drucksache::sign::dev::ensure_archive_key(dir.path()).expect("key");
    let now = time::OffsetDateTime::now_utc();
    let options = RenderOptions::default();
    let renderer = publisher.renderer().unwrap().clone();
    let bare_ms = |numbered: &Paper| {
        let start = Instant::now();
        let pdf = renderer.render(numbered, &options).unwrap();
        std::hint::black_box(signer.sign(&pdf, now).unwrap());
        start.elapsed().as_secs_f64() * 1000.0
    };
    println!("archive in {}", dir.path().display());

    // Warm up the renderer and the database.
    for i in 0..20 {
        publisher.create(variant(&seed, 100_000 + i)).unwrap();
    }
    let count = 1000;
    let (mut bare, mut new, mut own) = (Vec::new(), Vec::new(), Vec::new());
    let mut total_new = 0.0;
    for i in 0..count {
        let paper = variant(&seed, i);
        let mut numbered = paper.clone();
        numbered.reference = Some(format!("{:04}/2025", i + 21));
        // Typst's cache is evicted every 4th render (`render::Eviction`): swapping the order
        // every other paper makes the evictions, and the cold render after each, fall on
        // both sides alike.
        let bare_first = (i / 2) % 2 == 0;
        if bare_first {
            bare.push(bare_ms(&numbered));
        }
        let produce_ms = Cell::new(0.0);
        let start = Instant::now();
        let created = publisher
            .archive_mut()
            .create(paper, Origin::New, |p| {
                let start = Instant::now();
                let unsigned = renderer.render(p, &options)?;
                let words = drucksache::render::words::pdf_words(&unsigned).ok();
                let pdf = signer.sign(&unsigned, now)?;
                produce_ms.set(start.elapsed().as_secs_f64() * 1000.0);
                Ok(Produced {
                    pdf,
                    template_sha512: renderer.template_sha512().to_string(),
                    signer: Some(signer.subject()),
                    development_key: true,
                    content: words.map(|w| drucksache::archive::Content {
                        pages: w.pages,
                        words_sha256: w.digest(),
                    }),
                })
            })
            .unwrap()
            .unwrap();
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        assert_eq!(created.reference, numbered.reference.clone().unwrap());
        total_new += ms;
        new.push(ms);
        own.push(ms - produce_ms.get());
        if !bare_first {
            bare.push(bare_ms(&numbered));
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let p90 = |v: &Vec<f64>| v[v.len() * 9 / 10];
    let (mb, mn, mo) = (median(&mut bare), median(&mut new), median(&mut own));
    println!(
        "bare render + sign: median {mb:.2} ms (p90 {:.2}); new (allocate, render, sign, store, commit): median {mn:.2} ms (p90 {:.2})",
        p90(&bare),
        p90(&new)
    );
    println!(
        "one paper per transaction: the archive adds {:.2} ms per paper (difference of the medians); its own time per paper (new minus its render + sign): median {mo:.2} ms, p90 {:.2} ms; {count} papers in one process: {:.0} papers/s",
        mn - mb,
        p90(&own),
        count as f64 * 1000.0 / total_new
    );

    // The same in batches (`new A B C …`): rendered on all cores, one fsync round and one
    // commit per batch, compared with rendering the same batch on all cores.
    let batch = 50;
    let (mut bare_total, mut new_total) = (0.0, 0.0);
    for b in 0..count / batch {
        let papers: Vec<Paper> = (0..batch)
            .map(|i| variant(&seed, 10_000 + b * batch + i))
            .collect();
        let numbered: Vec<Paper> = papers
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut p = p.clone();
                p.reference = Some(format!("{:04}/2026", b * batch + i + 1));
                p
            })
            .collect();
        let start = Instant::now();
        for r in renderer.render_all(&numbered, &options) {
            std::hint::black_box(signer.sign(&r.unwrap(), now).unwrap());
        }
        bare_total += start.elapsed().as_secs_f64() * 1000.0;
        let start = Instant::now();
        std::hint::black_box(publisher.create_all(papers).unwrap());
        new_total += start.elapsed().as_secs_f64() * 1000.0;
    }
    println!(
        "batches of {batch}: bare render + sign {:.2} ms per paper, new {:.2} ms per paper: the archive adds {:.2} ms per paper; {:.0} papers/s",
        bare_total / count as f64,
        new_total / count as f64,
        (new_total - bare_total) / count as f64,
        count as f64 * 1000.0 / new_total
    );
}

/// A distinct unnumbered paper of 2025.
fn variant(seed: &Paper, i: usize) -> Paper {
    let mut p = seed.clone();
    p.reference = None;
    p.date = drucksache::model::Date::parse_iso("2025-03-01").unwrap();
    p.subject = format!("{} – Fortschreibung {i}", seed.subject);
    p.resolution[0] = format!("{} (Fassung {i})", seed.resolution[0]);
    p
}
