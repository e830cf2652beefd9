//! Writes the seed corpus of the `verify` target into `fuzz/seeds/verify/` (not a fuzz
//! target): a rendered and signed paper, a small hand-made PDF signed once and twice, and
//! damaged variants of it (truncated, a byte flipped inside the signed range, an incremental
//! update that changes the Info dictionary). Development keys, made fresh on each run.
//! Run from the repository root: `cargo +nightly fuzz build -a verify_seeds`, then
//! `fuzz/target/x86_64-unknown-linux-gnu/release/verify_seeds`.

use std::path::Path;

use drucksache::config::{Overrides, Settings};
use drucksache::model::Paper;
use drucksache::render::{RenderOptions, Renderer};
use drucksache::sign::dev::{Algorithm, generate};
use drucksache::sign::pdf::{append_update, load};
use drucksache::sign::verify;
use lopdf::{Object, StringFormat};
use time::OffsetDateTime;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = root.join("fuzz/seeds/verify");
    std::fs::create_dir_all(&out).unwrap();
    let now = OffsetDateTime::now_utc();
    let write = |name: &str, bytes: &[u8]| {
        std::fs::write(out.join(name), bytes).unwrap();
        println!("{name}: {} bytes", bytes.len());
    };

    // A real paper, signed with RSA as the archive does.
    let settings = Settings::resolve(Overrides {
        archive: root.join("archive"),
        ..Default::default()
    })
    .expect("archive configuration");
    let renderer = Renderer::new(settings.letterhead, None).expect("renderer");
    let paper = Paper::load(&root.join("archive/papers/2012/0355-2012.toml")).expect("record");
    let pdf = renderer.render(&paper, &RenderOptions::default()).unwrap();
    let rsa = generate(Algorithm::Rsa, "Fuzz", now).unwrap();
    let rsa_ca = drucksache::sign::load_certificates(rsa.ca_pem.as_bytes()).unwrap();
    let signed = rsa.signer().unwrap().sign(&pdf, now).unwrap();
    assert!(verify(&signed, &rsa_ca).valid);
    write("paper-rsa.pdf", &signed);

    // A small PDF signed with ECDSA, once and twice.
    let ec = generate(Algorithm::Ecdsa, "Fuzz", now).unwrap();
    let ec_ca = drucksache::sign::load_certificates(ec.ca_pem.as_bytes()).unwrap();
    let signer = ec.signer().unwrap();
    let small = signer.sign(&minimal_pdf(), now).unwrap();
    assert!(verify(&small, &ec_ca).valid);
    write("small-ecdsa.pdf", &small);
    let twice = signer.sign(&small, now).unwrap();
    assert!(verify(&twice, &ec_ca).valid);
    write("small-twice.pdf", &twice);

    // Damaged: truncated inside the signature, a flipped byte in the signed range, and a
    // later revision that forges the document information.
    write("small-truncated.pdf", &small[..small.len() * 3 / 4]);
    let mut flipped = small.clone();
    flipped[40] ^= 0x20;
    write("small-flipped.pdf", &flipped);
    let doc = load(&small).unwrap();
    let info = doc.trailer.get(b"Info").unwrap().as_reference().unwrap();
    let mut dict = doc.get_dictionary(info).unwrap().clone();
    dict.set(
        "Title",
        Object::String(b"Gef\xe4lscht".to_vec(), StringFormat::Literal),
    );
    let updated = append_update(&small, &[(info, Object::Dictionary(dict))]).unwrap();
    assert!(!verify(&updated, &ec_ca).valid);
    write("small-updated.pdf", &updated);
}

/// One empty page, an Info dictionary, a classic cross-reference table.
fn minimal_pdf() -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R /Resources << >> >>",
        "<< /Title (Klein) /Producer (fuzz seeds) >>",
        "<< /Length 17 >>\nstream\n0 0 m 100 100 l S\nendstream",
    ];
    let mut pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /Info 4 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}
