//! `cargo bench --bench sign`: signing speed, rendering excluded.
//!
//! Renders 10 distinct papers once, then signs 1,000 papers (each of the 10 a hundred times)
//! on one thread with an RSA-2048 key and again with an ECDSA P-256 key (development keys,
//! fixed signing time). Prints the median and p90 ms per paper and papers/s.

use std::path::Path;
use std::time::Instant;

use drucksache::config::{Overrides, Settings};
use drucksache::model::Paper;
use drucksache::render::{RenderOptions, Renderer};
use drucksache::sign::dev::{Algorithm, generate};
use time::OffsetDateTime;

const PAPERS: usize = 1000;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let settings = Settings::resolve(Overrides {
        archive: root.join("archive"),
        ..Default::default()
    })
    .expect("archive configuration");
    let renderer = Renderer::new(settings.letterhead, None).expect("renderer");
    let seed = Paper::load(&root.join("archive/papers/2012/0310-2012.toml")).expect("seed record");
    let pdfs: Vec<Vec<u8>> = (0..10)
        .map(|i| {
            let mut p = seed.clone();
            p.reference = Some(format!("{:04}/2012", 500 + i));
            p.subject = format!("{} – Fortschreibung {i}", seed.subject);
            renderer.render(&p, &RenderOptions::default()).unwrap()
        })
        .collect();
    let size = pdfs.iter().map(Vec::len).sum::<usize>() / pdfs.len();
    println!(
        "{} distinct rendered papers, {} KB on average; signing {PAPERS} on one thread",
        pdfs.len(),
        size / 1000
    );

    let now = OffsetDateTime::now_utc();
    for algorithm in [Algorithm::Rsa, Algorithm::Ecdsa] {
        let keys = generate(algorithm, "Benchmark", now).expect("key");
        let signer = keys.signer().expect("signer");
        let ca = drucksache::sign::load_certificates(keys.ca_pem.as_bytes()).unwrap();
        // Warm up, and make sure what is measured is a valid signature.
        let check = signer.sign(&pdfs[0], now).unwrap();
        assert!(drucksache::sign::verify(&check, &ca).valid);

        let start = Instant::now();
        let mut times: Vec<f64> = (0..PAPERS)
            .map(|i| {
                let t = Instant::now();
                std::hint::black_box(signer.sign(&pdfs[i % pdfs.len()], now).unwrap());
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        let total = start.elapsed().as_secs_f64();
        times.sort_by(f64::total_cmp);
        println!(
            "{}: median {:.2} ms, p90 {:.2} ms per paper; {:.0} papers/s",
            signer.algorithm(),
            times[PAPERS / 2],
            times[PAPERS * 9 / 10],
            PAPERS as f64 / total
        );
    }
}
