//! Signing and verification end to end: the real binary signs the rendered seed paper with keys
//! from `drucksache keygen`; our `verify`, poppler's `pdfsig`, pyHanko and qpdf judge the result.
//! Tampered files and bad inputs must be refused with the reason named.

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// A rendered seed paper and a development key (RSA) in a fresh directory.
struct Setup {
    dir: tempfile::TempDir,
    paper: PathBuf,
    key: DevKey,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let paper = dir.path().join("vorlage.pdf");
    render(&seed(), &paper, &[]);
    let key = keygen(&dir.path().join("schluessel"), "rsa");
    Setup { dir, paper, key }
}

impl Setup {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Signs the paper into `name` with the setup's key.
    fn signed(&self, name: &str) -> PathBuf {
        let out = self.path(name);
        let r = sign(&self.paper, &out, &self.key);
        assert_eq!(r.code, 0, "sign failed:\n{}", r.stderr);
        // The setup's key is RSA-2048: it signs, with a warning to replace it.
        assert!(
            r.stderr.contains("RSA-2048: RSA keys under 3000 bits"),
            "{}",
            r.stderr
        );
        out
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// pyHanko's one-line summaries (`field:fingerprint:INTACT:TRUSTED,…`), checked against the
/// given CA only.
fn pyhanko(file: &Path, trust: &[&Path]) -> (i32, String) {
    let mut args = vec!["sign", "validate", "--trust-replace"];
    for t in trust {
        args.extend(["--trust", s(t)]);
    }
    args.push(s(file));
    tool_output("pyhanko", &args)
}

#[test]
fn signed_paper_is_accepted_by_every_validator() {
    let t = setup();
    let signed = t.signed("signiert.pdf");
    let original = std::fs::read(&t.paper).unwrap();
    let bytes = std::fs::read(&signed).unwrap();
    assert!(
        bytes.starts_with(&original),
        "the original bytes must stay untouched"
    );

    let r = verify(&signed, &[&t.key.ca]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    for needle in [
        "Signatur1: VALID",
        "covers:       the whole file",
        "digest:       valid",
        "signature:    valid",
        "algorithm:    RSA-2048 with SHA-256",
        "NOT FOR PRODUCTION",
        "reaches a trusted certificate",
    ] {
        assert!(
            r.stdout.contains(needle),
            "{needle:?} not in:\n{}",
            r.stdout
        );
    }

    if have("pdfsig") {
        let out = tool("pdfsig", &[s(&signed)]);
        assert!(out.contains("Signature is Valid."), "{out}");
        assert!(out.contains("Total document signed"), "{out}");
        assert!(out.contains("ETSI.CAdES.detached"), "{out}");
    }
    if have("pyhanko") {
        let (code, out) = pyhanko(&signed, &[&t.key.ca]);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("Signatur1:"), "{out}");
        assert!(out.contains(":INTACT:TRUSTED,UNTOUCHED"), "{out}");
    }
    if have("qpdf") {
        let out = tool("qpdf", &["--check", s(&signed)]);
        assert!(out.contains("No syntax or stream encoding errors"), "{out}");
    }
    if have("pdfinfo") {
        let meta = tool("pdfinfo", &["-meta", s(&signed)]);
        assert!(meta.contains("<pdfaid:part>2</pdfaid:part>"), "{meta}");
        assert!(
            meta.contains("<pdfaid:conformance>A</pdfaid:conformance>"),
            "{meta}"
        );
    }
}

#[test]
fn verify_reports_json() {
    let t = setup();
    let signed = t.signed("signiert.pdf");
    let r = run(drucksache()
        .arg("verify")
        .arg(&signed)
        .arg("--json")
        .arg("--trust")
        .arg(&t.key.ca));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(report["valid"], true);
    let sig = &report["signatures"][0];
    assert_eq!(sig["field"], "Signatur1");
    assert_eq!(sig["covers_whole_file"], true);
    assert_eq!(sig["digest_valid"], true);
    assert_eq!(sig["signature_valid"], true);
    assert_eq!(sig["trusted"], true);
    assert_eq!(sig["algorithm"], "RSA-2048 with SHA-256");
    assert!(sig["signing_time"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn untrusted_ca_fails_when_a_trust_anchor_is_given() {
    let t = setup();
    let signed = t.signed("signiert.pdf");
    let other = keygen(&t.path("andere"), "ecdsa");
    let r = verify(&signed, &[&other.ca]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr
            .contains("the certificate chain does not reach a trusted certificate"),
        "{}",
        r.stderr
    );
    // Without --trust the signature itself is still intact and valid.
    assert_eq!(verify(&signed, &[]).code, 0);
}

#[test]
fn pkcs12_and_ecdsa_keys() {
    let t = setup();
    let out = t.path("p12.pdf");
    let r = run(drucksache()
        .arg("sign")
        .arg(&t.paper)
        .arg("-o")
        .arg(&out)
        .arg("--pkcs12")
        .arg(&t.key.p12)
        .arg("--password-file")
        .arg(&t.key.p12_password));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(verify(&out, &[&t.key.ca]).code, 0);

    let password = std::fs::read_to_string(&t.key.p12_password).unwrap();
    let out_env = t.path("p12-env.pdf");
    let r = run(drucksache()
        .env("DRUCKSACHE_TEST_PW", password.trim())
        .arg("sign")
        .arg(&t.paper)
        .arg("-o")
        .arg(&out_env)
        .arg("--pkcs12")
        .arg(&t.key.p12)
        .arg("--password-env")
        .arg("DRUCKSACHE_TEST_PW"));
    assert_eq!(r.code, 0, "{}", r.stderr);

    let ec = keygen(&t.path("ec"), "ecdsa");
    let out_ec = t.path("ecdsa.pdf");
    assert_eq!(sign(&t.paper, &out_ec, &ec).code, 0);
    let r = verify(&out_ec, &[&ec.ca]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("ECDSA P-256 with SHA-256"),
        "{}",
        r.stdout
    );
    if have("pdfsig") {
        let out = tool("pdfsig", &[s(&out_ec)]);
        assert!(out.contains("Signature is Valid."), "{out}");
    }
    if have("pyhanko") {
        let (code, out) = pyhanko(&out_ec, &[&ec.ca]);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains(":INTACT:TRUSTED,UNTOUCHED"), "{out}");
    }
}

#[test]
fn configured_key_signs_by_default() {
    let t = setup();
    let config = t.path("drucksache.toml");
    std::fs::write(
        &config,
        "[signatur]\npkcs12 = \"schluessel/signatur.p12\"\npasswort_datei = \"schluessel/signatur.p12.passwort\"\n",
    )
    .unwrap();
    let out = t.path("konfiguriert.pdf");
    let r = run(drucksache()
        .arg("--config")
        .arg(&config)
        .arg("sign")
        .arg(&t.paper)
        .arg("-o")
        .arg(&out));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(verify(&out, &[&t.key.ca]).code, 0);
}

#[test]
fn two_signatures_both_verify_everywhere() {
    let t = setup();
    let first = t.signed("erste.pdf");
    let second_key = keygen(&t.path("zweiter"), "ecdsa");
    let both = t.path("beide.pdf");
    let r = sign(&first, &both, &second_key);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let first_bytes = std::fs::read(&first).unwrap();
    assert!(std::fs::read(&both).unwrap().starts_with(&first_bytes));

    let r = verify(&both, &[&t.key.ca, &second_key.ca]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("2 signatures"), "{}", r.stdout);
    assert!(r.stdout.contains("Signatur1: VALID"), "{}", r.stdout);
    assert!(r.stdout.contains("Signatur2: VALID"), "{}", r.stdout);
    assert!(r.stdout.contains("later revisions follow"), "{}", r.stdout);

    if have("pdfsig") {
        let out = tool("pdfsig", &[s(&both)]);
        assert_eq!(out.matches("Signature is Valid.").count(), 2, "{out}");
        assert_eq!(out.matches("Total document signed").count(), 1, "{out}");
    }
    if have("pyhanko") {
        let (code, out) = pyhanko(&both, &[&t.key.ca, &second_key.ca]);
        assert_eq!(code, 0, "{out}");
        assert!(
            out.contains("Signatur1:") && out.contains("Signatur2:"),
            "{out}"
        );
        assert_eq!(out.matches(":INTACT:TRUSTED").count(), 2, "{out}");
    }
    if have("qpdf") {
        tool("qpdf", &["--check", s(&both)]);
    }
}

/// Flips one byte inside the first signed range (in a content stream, so the file still parses).
#[test]
fn flipped_byte_is_detected_by_every_validator() {
    let t = setup();
    let signed = t.signed("signiert.pdf");
    let mut bytes = std::fs::read(&signed).unwrap();
    let stream = bytes
        .windows(7)
        .position(|w| w == b"stream\n")
        .expect("a stream");
    bytes[stream + 40] ^= 0x01;
    let tampered = t.path("gekippt.pdf");
    std::fs::write(&tampered, &bytes).unwrap();

    let r = verify(&tampered, &[&t.key.ca]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr.contains("the document was changed after signing"),
        "{}",
        r.stderr
    );
    if have("pdfsig") {
        let (_, out) = tool_output("pdfsig", &[s(&tampered)]);
        assert!(!out.contains("Signature is Valid."), "{out}");
        assert!(out.contains("Digest Mismatch"), "{out}");
    }
    if have("pyhanko") {
        let (code, out) = pyhanko(&tampered, &[&t.key.ca]);
        assert_ne!(code, 0, "{out}");
        assert!(!out.contains(":INTACT:"), "{out}");
    }
}

/// A later incremental update that replaces the content of page 1 is named.
#[test]
fn later_update_changing_page_content_is_detected() {
    let t = setup();
    let signed = t.signed("signiert.pdf");
    let bytes = std::fs::read(&signed).unwrap();
    let doc = lopdf::Document::load_mem(&bytes).unwrap();
    let page = doc.get_pages()[&1];
    let contents = doc.get_page_contents(page)[0];
    let forged = lopdf::Stream::new(
        lopdf::Dictionary::new(),
        b"BT /F1 24 Tf 72 720 Td (Abgelehnt) Tj ET".to_vec(),
    );
    let updated =
        drucksache::sign::pdf::append_update(&bytes, &[(contents, lopdf::Object::Stream(forged))])
            .unwrap();
    let tampered = t.path("nachtrag.pdf");
    std::fs::write(&tampered, updated).unwrap();

    let r = verify(&tampered, &[&t.key.ca]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr
            .contains("a later incremental update changes the content of page 1"),
        "{}",
        r.stderr
    );
    if have("pdfsig") {
        let out = tool("pdfsig", &[s(&tampered)]);
        assert!(!out.contains("Total document signed"), "{out}");
    }
}

#[test]
fn truncated_file_is_detected() {
    let t = setup();
    let signed = t.signed("signiert.pdf");
    let bytes = std::fs::read(&signed).unwrap();
    for cut in [bytes.len() - 40, bytes.len() / 2] {
        let tampered = t.path("abgeschnitten.pdf");
        std::fs::write(&tampered, &bytes[..cut]).unwrap();
        let r = verify(&tampered, &[&t.key.ca]);
        assert_eq!(r.code, 1, "{}", r.stdout);
        assert!(r.stderr.contains("truncated"), "{}", r.stderr);
    }
}

/// The CMS is rewritten to name another certificate as the signer (inside `/Contents`, which
/// the digest does not cover): the signature no longer verifies.
#[test]
fn swapped_certificate_is_detected() {
    use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
    use cms::content_info::ContentInfo;
    use cms::signed_data::{SignedData, SignerIdentifier};
    use der::{Decode, Encode};

    let t = setup();
    let signed = t.signed("signiert.pdf");
    let other = keygen(&t.path("andere"), "rsa");
    let other_chain =
        drucksache::sign::load_certificates(&std::fs::read(&other.chain).unwrap()).unwrap();

    let mut bytes = std::fs::read(&signed).unwrap();
    let open = find(&bytes, b"/Contents <") + b"/Contents <".len();
    let close = open + bytes[open..].iter().position(|&b| b == b'>').unwrap();
    let hex = std::str::from_utf8(&bytes[open..close]).unwrap();
    let der: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let mut reader = der::SliceReader::new(&der).unwrap();
    let info: ContentInfo = der::Decode::decode(&mut reader).unwrap();
    let mut sd: SignedData = info.content.decode_as().unwrap();
    let mut signer = sd.signer_infos.0.get(0).unwrap().clone();
    signer.sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: other_chain[0].tbs_certificate.issuer.clone(),
        serial_number: other_chain[0].tbs_certificate.serial_number.clone(),
    });
    sd.signer_infos = vec![signer].try_into().unwrap();
    sd.certificates = Some(
        other_chain
            .iter()
            .map(|c| CertificateChoices::Certificate(c.clone()))
            .collect::<Vec<_>>()
            .try_into()
            .unwrap(),
    );
    let forged = ContentInfo {
        content_type: info.content_type,
        content: der::Any::from_der(&sd.to_der().unwrap()).unwrap(),
    }
    .to_der()
    .unwrap();
    let mut forged_hex: String = forged.iter().map(|b| format!("{b:02x}")).collect();
    assert!(forged_hex.len() <= close - open, "forged CMS fits");
    forged_hex.extend(std::iter::repeat_n('0', close - open - forged_hex.len()));
    bytes[open..close].copy_from_slice(forged_hex.as_bytes());
    let tampered = t.path("vertauscht.pdf");
    std::fs::write(&tampered, &bytes).unwrap();

    let r = verify(&tampered, &[&t.key.ca, &other.ca]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr
            .contains("the signature does not verify with the signer's certificate"),
        "{}",
        r.stderr
    );
    if have("pdfsig") {
        let (_, out) = tool_output("pdfsig", &[s(&tampered)]);
        assert!(!out.contains("Signature is Valid."), "{out}");
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap()
}

/// Runs `sign` with `extra` arguments into a fresh directory; expects exit 2, the message,
/// and no file written.
fn refused(input: &Path, extra: &[&std::ffi::OsStr], envs: &[(&str, &str)], needle: &str) {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("out.pdf");
    let mut cmd = drucksache();
    cmd.arg("sign").arg(input).arg("-o").arg(&out).args(extra);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let r = run(&mut cmd);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(needle),
        "{needle:?} not in:\n{}",
        r.stderr
    );
    let left: Vec<_> = std::fs::read_dir(out_dir.path()).unwrap().collect();
    assert!(left.is_empty(), "files were written: {left:?}");
}

fn pem_args(key: &Path, cert: &Path) -> Vec<std::ffi::OsString> {
    vec!["--key".into(), key.into(), "--cert".into(), cert.into()]
}

#[test]
fn bad_inputs_are_refused_and_write_nothing() {
    let t = setup();
    let args = pem_args(&t.key.key, &t.key.chain);
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();

    // Not a PDF.
    let text = t.path("brief.pdf");
    std::fs::write(&text, "Sehr geehrte Damen und Herren").unwrap();
    refused(&text, &args, &[], "is not a PDF");

    // An encrypted PDF.
    if have("qpdf") {
        let encrypted = t.path("verschluesselt.pdf");
        tool(
            "qpdf",
            &[
                "--encrypt",
                "nutzer",
                "eigner",
                "256",
                "--",
                s(&t.paper),
                s(&encrypted),
            ],
        );
        refused(&encrypted, &args, &[], "the PDF is encrypted");
    }

    // A wrong PKCS#12 password.
    let wrong = t.path("falsch.txt");
    std::fs::write(&wrong, "falsch\n").unwrap();
    refused(
        &t.paper,
        &[
            "--pkcs12".as_ref(),
            t.key.p12.as_os_str(),
            "--password-file".as_ref(),
            wrong.as_os_str(),
        ],
        &[],
        "wrong password",
    );
    // A password variable that is not set.
    refused(
        &t.paper,
        &[
            "--pkcs12".as_ref(),
            t.key.p12.as_os_str(),
            "--password-env".as_ref(),
            "DRUCKSACHE_NICHT_GESETZT".as_ref(),
        ],
        &[],
        "DRUCKSACHE_NICHT_GESETZT",
    );

    // A key that does not match the certificate.
    let other = keygen(&t.path("andere"), "ecdsa");
    let mismatch = pem_args(&t.key.key, &other.chain);
    let mismatch: Vec<&std::ffi::OsStr> = mismatch.iter().map(|a| a.as_os_str()).collect();
    refused(
        &t.paper,
        &mismatch,
        &[],
        "does not belong to the certificate",
    );

    // An expired certificate (made deterministically: valid only in the year 2000).
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Abgelaufen");
    params.not_before = time::macros::datetime!(2000-01-01 00:00 UTC);
    params.not_after = time::macros::datetime!(2001-01-01 00:00 UTC);
    let cert = params.self_signed(&key).unwrap();
    let (key_file, cert_file) = (t.path("alt.key.pem"), t.path("alt.pem"));
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    std::fs::write(&cert_file, cert.pem()).unwrap();
    let expired = pem_args(&key_file, &cert_file);
    let expired: Vec<&std::ffi::OsStr> = expired.iter().map(|a| a.as_os_str()).collect();
    refused(&t.paper, &expired, &[], "expired on 2001-01-01");

    // No key configured at all (the project's archive has no [signatur]).
    refused(&t.paper, &[], &[], "drucksache keygen");
}

#[test]
fn verify_refuses_what_is_not_a_signed_pdf() {
    let t = setup();
    let r = verify(&t.paper, &[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr.contains("the PDF has no signature"),
        "{}",
        r.stderr
    );

    let text = t.path("brief.txt");
    std::fs::write(&text, "kein PDF").unwrap();
    let r = verify(&text, &[]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("is not a PDF"), "{}", r.stderr);
}

/// A PDF whose cross-reference is a stream (qpdf rewrites the paper with object streams) gets
/// its update with a cross-reference stream, and the validators accept it.
#[test]
fn cross_reference_streams_are_kept() {
    if !have("qpdf") {
        return;
    }
    let t = setup();
    let streams = t.path("objektstroeme.pdf");
    tool(
        "qpdf",
        &["--object-streams=generate", s(&t.paper), s(&streams)],
    );
    let signed = t.path("signiert.pdf");
    let r = sign(&streams, &signed, &t.key);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let bytes = std::fs::read(&signed).unwrap();
    let tail = String::from_utf8_lossy(&bytes[bytes.len() - 2000..]).into_owned();
    assert!(
        tail.contains("/Type /XRef") || tail.contains("/Type/XRef"),
        "{tail}"
    );
    assert_eq!(verify(&signed, &[&t.key.ca]).code, 0);
    tool("qpdf", &["--check", s(&signed)]);
    if have("pdfsig") {
        let out = tool("pdfsig", &[s(&signed)]);
        assert!(out.contains("Signature is Valid."), "{out}");
        assert!(out.contains("Total document signed"), "{out}");
    }
    if have("pyhanko") {
        let (code, out) = pyhanko(&signed, &[&t.key.ca]);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains(":INTACT:TRUSTED,UNTOUCHED"), "{out}");
    }
}

/// pyHanko co-signs a paper we signed (and updates the document metadata as it does): our
/// verify accepts both signatures and does not mistake the metadata update for a content change.
#[test]
fn a_pyhanko_cosignature_verifies() {
    if !have("pyhanko") {
        return;
    }
    let t = setup();
    let signed = t.signed("signiert.pdf");
    let other = keygen(&t.path("py"), "ecdsa");
    let chain = std::fs::read_to_string(&other.chain).unwrap();
    let end = chain.find("-----END CERTIFICATE-----").unwrap() + 26;
    let leaf = t.path("py/leaf.pem");
    std::fs::write(&leaf, &chain[..end]).unwrap();
    let both = t.path("beide.pdf");
    tool(
        "pyhanko",
        &[
            "sign",
            "addsig",
            "--field",
            "PyHanko",
            "pemder",
            "--key",
            s(&other.key),
            "--cert",
            s(&leaf),
            "--chain",
            s(&other.ca),
            "--no-pass",
            s(&signed),
            s(&both),
        ],
    );
    let r = verify(&both, &[&t.key.ca, &other.ca]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("Signatur1: VALID"), "{}", r.stdout);
    assert!(r.stdout.contains("PyHanko: VALID"), "{}", r.stdout);
}

// ---- Later incremental updates: what they may change, what is reported, what fails ----

use lopdf::{Dictionary, Document, Object, ObjectId, Stream, dictionary};

/// The bytes of `file` and the document lopdf reads from them.
fn load(file: &Path) -> (Vec<u8>, Document) {
    let bytes = std::fs::read(file).unwrap();
    let doc = Document::load_mem(&bytes).unwrap();
    (bytes, doc)
}

/// Appends `objects` to `bytes` as an incremental update and writes the result to `name`.
fn updated(t: &Setup, name: &str, bytes: &[u8], objects: &[(ObjectId, Object)]) -> PathBuf {
    let out = t.path(name);
    let update = drucksache::sign::pdf::append_update(bytes, objects).unwrap();
    std::fs::write(&out, update).unwrap();
    out
}

fn reference((number, generation): ObjectId) -> String {
    format!("object {number} {generation} R")
}

/// `verify --json` of `file` with the given trust anchors, parsed.
fn verify_json(file: &Path, trust: &[&Path]) -> (i32, serde_json::Value) {
    let mut cmd = drucksache();
    cmd.arg("verify").arg(file).arg("--json");
    for t in trust {
        cmd.arg("--trust").arg(t);
    }
    let r = run(&mut cmd);
    let report = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
    (r.code, report)
}

fn strings(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// A later update that rewrites the Info dictionary with a forged /Title: pdfinfo shows the
/// forgery, so the signature must fail and name the entry. /ModDate and /Producer alone are
/// what signing tools change, and stay allowed.
#[test]
fn later_update_forging_the_document_information_is_detected() {
    let t = setup();
    let signed = t.signed("signiert.pdf");
    let (bytes, doc) = load(&signed);
    let info_id = doc.trailer.get(b"Info").unwrap().as_reference().unwrap();
    let info = doc.get_dictionary(info_id).unwrap().clone();

    let mut touched = info.clone();
    touched.set("ModDate", Object::string_literal("D:20260301093000Z"));
    touched.set("Producer", Object::string_literal("Ein Werkzeug 1.0"));
    let harmless = updated(
        &t,
        "moddate.pdf",
        &bytes,
        &[(info_id, Object::Dictionary(touched))],
    );
    let r = verify(&harmless, &[&t.key.ca]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    let mut forged = info;
    forged.set(
        "Title",
        lopdf::text_string("Integrationskonzept: Antrag abgelehnt"),
    );
    let forged = updated(
        &t,
        "titel.pdf",
        &bytes,
        &[(info_id, Object::Dictionary(forged))],
    );
    if have("pdfinfo") {
        let out = tool("pdfinfo", &[s(&forged)]);
        assert!(
            out.contains("Title:           Integrationskonzept: Antrag abgelehnt"),
            "the forgery is not real: {out}"
        );
    }
    let r = verify(&forged, &[&t.key.ca]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let expected = format!(
        "Signatur1: a later incremental update changes the document information in {} \
         (Title: \"Integrationskonzept für die Stadt Hagen\" → \"Integrationskonzept: Antrag abgelehnt\")",
        reference(info_id)
    );
    assert!(
        r.stderr.contains(&expected),
        "{expected:?} not in:\n{}",
        r.stderr
    );
    assert!(r.stdout.contains("Signatur1: NOT VALID"), "{}", r.stdout);
}

/// A later update that changes the XMP metadata in place, or replaces it with another stream
/// (the catalog's /Metadata then points elsewhere), fails and names the property and objects.
#[test]
fn later_update_replacing_the_xmp_metadata_is_detected() {
    let t = setup();
    let signed = t.signed("signiert.pdf");
    let (bytes, doc) = load(&signed);
    let catalog_id = doc.trailer.get(b"Root").unwrap().as_reference().unwrap();
    let catalog = doc.get_dictionary(catalog_id).unwrap().clone();
    let meta_id = catalog.get(b"Metadata").unwrap().as_reference().unwrap();
    let stream = doc.get_object(meta_id).unwrap().as_stream().unwrap();
    let xml = String::from_utf8(
        stream
            .decompressed_content()
            .unwrap_or_else(|_| stream.content.clone()),
    )
    .unwrap();
    let forged_xml = xml.replace(
        "Integrationskonzept für die Stadt Hagen",
        "Integrationskonzept (abgelehnt)",
    );
    assert_ne!(xml, forged_xml, "the seed's XMP has the title");
    let forged_stream = || {
        Object::Stream(Stream::new(
            dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
            forged_xml.clone().into_bytes(),
        ))
    };

    // In place.
    let in_place = updated(&t, "xmp.pdf", &bytes, &[(meta_id, forged_stream())]);
    if have("pdfinfo") {
        let meta = tool("pdfinfo", &["-meta", s(&in_place)]);
        assert!(meta.contains("Integrationskonzept (abgelehnt)"), "{meta}");
    }
    let r = verify(&in_place, &[&t.key.ca]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let expected = format!(
        "a later incremental update changes the XMP metadata in {} \
         (dc:title[x-default]: \"Integrationskonzept für die Stadt Hagen\" → \"Integrationskonzept (abgelehnt)\")",
        reference(meta_id)
    );
    assert!(
        r.stderr.contains(&expected),
        "{expected:?} not in:\n{}",
        r.stderr
    );

    // A new stream, and the catalog pointing to it.
    let new_id = (doc.max_id + 1, 0);
    let mut new_catalog = catalog.clone();
    new_catalog.set("Metadata", Object::Reference(new_id));
    let replaced = updated(
        &t,
        "xmp-neu.pdf",
        &bytes,
        &[
            (new_id, forged_stream()),
            (catalog_id, Object::Dictionary(new_catalog)),
        ],
    );
    let r = verify(&replaced, &[&t.key.ca]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let expected = format!(
        "a later incremental update replaces the XMP metadata {} with {} (dc:title[x-default]:",
        reference(meta_id),
        reference(new_id)
    );
    assert!(
        r.stderr.contains(&expected),
        "{expected:?} not in:\n{}",
        r.stderr
    );
}

/// PAdES allows annotations after a signature, but a white rectangle and a "ABGELEHNT" over
/// page 1 change what a reader sees: the signature stays valid and the annotations are named.
#[test]
fn later_annotations_are_reported_but_allowed() {
    let t = setup();
    let signed = t.signed("signiert.pdf");
    let (bytes, doc) = load(&signed);
    let page_id = doc.get_pages()[&1];
    let mut page = doc.get_dictionary(page_id).unwrap().clone();
    let mut annots = page.get(b"Annots").unwrap().as_array().unwrap().clone();
    let square_id = (doc.max_id + 1, 0);
    let text_id = (doc.max_id + 2, 0);
    let rect = |a: i64, b: i64, c: i64, d: i64| {
        Object::Array(vec![a.into(), b.into(), c.into(), d.into()])
    };
    let white = || Object::Array(vec![1.into(), 1.into(), 1.into()]);
    let square = dictionary! {
        "Type" => "Annot", "Subtype" => "Square", "Rect" => rect(72, 560, 523, 760),
        "C" => white(), "IC" => white(), "F" => 4, "P" => page_id,
    };
    let text = dictionary! {
        "Type" => "Annot", "Subtype" => "FreeText", "Rect" => rect(150, 640, 450, 700),
        "Contents" => Object::string_literal("ABGELEHNT"),
        "DA" => Object::string_literal("/Helv 36 Tf 1 0 0 rg"), "F" => 4, "P" => page_id,
    };
    annots.push(Object::Reference(square_id));
    annots.push(Object::Reference(text_id));
    page.set("Annots", Object::Array(annots));
    let annotated = updated(
        &t,
        "anmerkungen.pdf",
        &bytes,
        &[
            (square_id, Object::Dictionary(square)),
            (text_id, Object::Dictionary(text)),
            (page_id, Object::Dictionary(page)),
        ],
    );

    let r = verify(&annotated, &[&t.key.ca]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    for needle in [
        "Signatur1: VALID (2 warnings)",
        "  WARNING:      a later incremental update adds a Square annotation on page 1\n",
        "  WARNING:      a later incremental update adds a FreeText annotation on page 1: \"ABGELEHNT\"\n",
    ] {
        assert!(
            r.stdout.contains(needle),
            "{needle:?} not in:\n{}",
            r.stdout
        );
    }
    assert!(
        r.stderr
            .contains("warning: Signatur1: a later incremental update adds a FreeText annotation on page 1: \"ABGELEHNT\""),
        "{}",
        r.stderr
    );
    let (code, report) = verify_json(&annotated, &[&t.key.ca]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["valid"], true);
    assert_eq!(
        strings(&report["signatures"][0]["later_annotations"]),
        [
            "adds a Square annotation on page 1",
            "adds a FreeText annotation on page 1: \"ABGELEHNT\""
        ]
    );
    assert_eq!(
        strings(&report["signatures"][0]["later_changes"]),
        Vec::<String>::new()
    );
}

/// A later update that swaps a font's embedded file (glyphs can be drawn as other letters) or
/// the font dictionary itself (its text mapping) fails and names the font and the object.
#[test]
fn later_update_changing_a_font_is_detected() {
    let t = setup();
    let signed = t.signed("signiert.pdf");
    let (bytes, doc) = load(&signed);
    let page_id = doc.get_pages()[&1];
    let resources = doc.get_page_resources(page_id).unwrap().1[0];
    let fonts = doc.get_dictionary(resources).unwrap().get(b"Font").unwrap();
    let font_id = fonts
        .as_dict()
        .unwrap()
        .iter()
        .next()
        .unwrap()
        .1
        .as_reference()
        .unwrap();
    let font = doc.get_dictionary(font_id).unwrap().clone();
    let name =
        String::from_utf8(font.get(b"BaseFont").unwrap().as_name().unwrap().to_vec()).unwrap();
    let name = name
        .split_once('+')
        .map_or(name.as_str(), |(_, n)| n)
        .to_string();
    let descendant = font.get(b"DescendantFonts").unwrap().as_array().unwrap()[0]
        .as_reference()
        .unwrap();
    let descriptor = doc
        .get_dictionary(descendant)
        .unwrap()
        .get(b"FontDescriptor")
        .unwrap()
        .as_reference()
        .unwrap();
    let file_id = doc
        .get_dictionary(descriptor)
        .unwrap()
        .get(b"FontFile2")
        .unwrap()
        .as_reference()
        .unwrap();

    // The font file, one byte changed.
    let mut file = doc
        .get_object(file_id)
        .unwrap()
        .as_stream()
        .unwrap()
        .clone();
    let middle = file.content.len() / 2;
    file.content[middle] ^= 0x55;
    let swapped = updated(
        &t,
        "schrift.pdf",
        &bytes,
        &[(file_id, Object::Stream(file))],
    );
    let r = verify(&swapped, &[&t.key.ca]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    names_a_use_on_page_1(
        &r.stderr,
        &format!(
            "a later incremental update changes the embedded font file of {name} ({}, used on page",
            reference(file_id)
        ),
    );

    // The font dictionary: another text mapping.
    let cmap_id = (doc.max_id + 1, 0);
    let mut forged_font = font.clone();
    forged_font.set("ToUnicode", Object::Reference(cmap_id));
    let remapped = updated(
        &t,
        "tounicode.pdf",
        &bytes,
        &[
            (
                cmap_id,
                Object::Stream(Stream::new(Dictionary::new(), b"%".to_vec())),
            ),
            (font_id, Object::Dictionary(forged_font)),
        ],
    );
    let r = verify(&remapped, &[&t.key.ca]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    names_a_use_on_page_1(
        &r.stderr,
        &format!(
            "a later incremental update changes the font {name} ({}, used on page",
            reference(font_id)
        ),
    );
}

/// `text` has `prefix` followed by " 1" or "s 1" (page 1, or pages 1–n).
fn names_a_use_on_page_1(text: &str, prefix: &str) {
    let at = text
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix:?} not in:\n{text}"));
    let rest = &text[at + prefix.len()..];
    assert!(
        rest.starts_with(" 1)") || rest.starts_with("s 1"),
        "page 1 not named: {}",
        &text[at..]
    );
}

/// Form fill-in after a signature: our signatures set no DocMDP, so a field added later and
/// its value filled in are allowed (as DocMDP P=2 would allow filling in), but reported; a
/// change to a field that is not filling in (hiding it) fails.
#[test]
fn later_form_changes_are_reported_and_only_fill_in_is_allowed() {
    let t = setup();
    let signed = t.signed("signiert.pdf");
    let (bytes, doc) = load(&signed);
    let catalog_id = doc.trailer.get(b"Root").unwrap().as_reference().unwrap();
    let mut catalog = doc.get_dictionary(catalog_id).unwrap().clone();
    let page_id = doc.get_pages()[&1];
    let mut page = doc.get_dictionary(page_id).unwrap().clone();
    let field_id = (doc.max_id + 1, 0);
    let appearance_id = (doc.max_id + 2, 0);
    let bbox = || Object::Array(vec![0.into(), 0.into(), 200.into(), 20.into()]);
    let appearance = |content: &[u8]| {
        Object::Stream(Stream::new(
            dictionary! { "Type" => "XObject", "Subtype" => "Form", "BBox" => bbox() },
            content.to_vec(),
        ))
    };
    let field = dictionary! {
        "Type" => "Annot", "Subtype" => "Widget", "FT" => "Tx",
        "T" => Object::string_literal("Bemerkung"), "V" => Object::string_literal(""),
        "Rect" => Object::Array(vec![72.into(), 100.into(), 272.into(), 120.into()]),
        "F" => 4, "P" => page_id, "DA" => Object::string_literal("/Helv 10 Tf 0 g"),
        "AP" => dictionary! { "N" => appearance_id },
    };
    let form = catalog.get_mut(b"AcroForm").unwrap().as_dict_mut().unwrap();
    form.get_mut(b"Fields")
        .unwrap()
        .as_array_mut()
        .unwrap()
        .push(Object::Reference(field_id));
    page.get_mut(b"Annots")
        .unwrap()
        .as_array_mut()
        .unwrap()
        .push(Object::Reference(field_id));
    let with_field = updated(
        &t,
        "feld.pdf",
        &bytes,
        &[
            (field_id, Object::Dictionary(field)),
            (appearance_id, appearance(b"")),
            (catalog_id, Object::Dictionary(catalog)),
            (page_id, Object::Dictionary(page)),
        ],
    );
    // A co-signatory signs the paper with the empty field.
    let second_key = keygen(&t.path("zweiter"), "ecdsa");
    let both = t.path("beide.pdf");
    let r = sign(&with_field, &both, &second_key);
    assert_eq!(r.code, 0, "{}", r.stderr);

    // Someone fills in the field.
    let (bytes, doc) = load(&both);
    let mut filled_field = doc.get_dictionary(field_id).unwrap().clone();
    let filled_appearance = (doc.max_id + 1, 0);
    filled_field.set("V", Object::string_literal("Abgelehnt"));
    filled_field.set("AP", dictionary! { "N" => filled_appearance });
    let filled = updated(
        &t,
        "ausgefuellt.pdf",
        &bytes,
        &[
            (field_id, Object::Dictionary(filled_field.clone())),
            (
                filled_appearance,
                appearance(b"/Tx BMC BT /Helv 10 Tf 2 6 Td (Abgelehnt) Tj ET EMC"),
            ),
        ],
    );
    let trust = [t.key.ca.as_path(), second_key.ca.as_path()];
    let r = verify(&filled, &trust);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // Signatur1 did not sign the field: to it, the field is new (with its value now).
    let added = "adds the text field \"Bemerkung\" on page 1 with the value \"Abgelehnt\"";
    // Signatur2 signed the empty field: it was filled in later.
    let value = format!(
        "changes the value of the form field \"Bemerkung\" ({}): \"\" → \"Abgelehnt\"",
        reference(field_id)
    );
    for needle in [
        "Signatur1: VALID (1 warning)".to_string(),
        "Signatur2: VALID (1 warning)".to_string(),
        format!("  WARNING:      a later incremental update {added}\n"),
        format!("  WARNING:      a later incremental update {value}\n"),
    ] {
        assert!(
            r.stdout.contains(&needle),
            "{needle:?} not in:\n{}",
            r.stdout
        );
    }
    let (code, report) = verify_json(&filled, &trust);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        strings(&report["signatures"][0]["later_form_changes"]),
        [added]
    );
    assert_eq!(
        strings(&report["signatures"][1]["later_form_changes"]),
        [value]
    );
    assert_eq!(
        strings(&report["signatures"][1]["later_annotations"]),
        Vec::<String>::new()
    );

    // Hiding the field is not filling it in.
    let mut hidden = filled_field;
    hidden.set("F", 2);
    let hidden = updated(
        &t,
        "versteckt.pdf",
        &bytes,
        &[(field_id, Object::Dictionary(hidden))],
    );
    let r = verify(&hidden, &trust);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let expected = format!(
        "Signatur2: a later incremental update changes the form field \"Bemerkung\" ({}) in /F",
        reference(field_id)
    );
    assert!(
        r.stderr.contains(&expected),
        "{expected:?} not in:\n{}",
        r.stderr
    );
}

/// Hostile /ByteRange values, written over the real one with the same byte length (so every
/// offset in the file stays valid): each is refused with its own reason, never a panic.
#[test]
fn hostile_byte_ranges_are_refused_with_their_reason() {
    let t = setup();
    let signed = t.signed("signiert.pdf");
    let bytes = std::fs::read(&signed).unwrap();
    let open = find(&bytes, b"/ByteRange [") + b"/ByteRange [".len();
    let close = open + bytes[open..].iter().position(|&b| b == b']').unwrap();
    let slot = std::str::from_utf8(&bytes[open..close]).unwrap();
    let n: Vec<i64> = slot
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    let [a, b, c, d] = n[..] else {
        panic!("{slot}")
    };
    assert_eq!(a, 0);
    let len = bytes.len() as i64;

    let cases: Vec<(&str, String, String)> = vec![
        (
            "not at the start",
            format!("1 {} {c} {d}", b - 1),
            "the /ByteRange does not start at the beginning of the file (the first range starts at byte 1)".into(),
        ),
        (
            "gap wider than /Contents",
            format!("0 {} {} {}", b - 1, c + 1, d - 1),
            format!(
                "the unsigned gap of the /ByteRange (bytes {} to {}) is wider than the signature's /Contents: 2 bytes besides the hex string are not signed",
                b - 1,
                c + 1
            ),
        ),
        (
            "overlapping ranges",
            format!("0 {} {c} {d}", c + 10),
            format!(
                "the two ranges of the /ByteRange overlap (the first ends at byte {}, the second starts at byte {c})",
                c + 10
            ),
        ),
        (
            "past the end",
            format!("0 {b} {c} {}", d + 1000),
            format!(
                "the /ByteRange reaches past the end of the file (to byte {}, but the file has {len} bytes): the file is truncated or the /ByteRange is forged",
                c + d + 1000
            ),
        ),
        (
            "overflowing",
            format!("0 {b} {c} {}", i64::MAX),
            "the /ByteRange reaches past the end of the file (to byte".into(),
        ),
        (
            "negative",
            format!("0 {b} {c} -{d}"),
            format!("the /ByteRange holds a negative number (-{d})"),
        ),
        (
            "three numbers",
            format!("0 {b} {c}"),
            "the /ByteRange has 3 numbers instead of 4".into(),
        ),
        (
            "something else",
            format!("0 {b} {c} {d} /X"),
            "the /ByteRange holds something other than integers".into(),
        ),
    ];
    for (what, range, expected) in cases {
        assert!(
            range.len() <= slot.len(),
            "{what}: {range} does not fit in {slot:?}"
        );
        let mut hostile = bytes.clone();
        let padded = format!("{range:width$}", width = slot.len());
        hostile[open..close].copy_from_slice(padded.as_bytes());
        let file = t.path("bytebereich.pdf");
        std::fs::write(&file, &hostile).unwrap();
        let r = verify(&file, &[&t.key.ca]);
        assert_eq!(r.code, 1, "{what}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stderr.contains(&format!("Signatur1: {expected}")),
            "{what}: {expected:?} not in:\n{}",
            r.stderr
        );
        let (code, report) = verify_json(&file, &[&t.key.ca]);
        assert_eq!(code, 1, "{what}: {report:#}");
        assert_eq!(report["signatures"][0]["digest_valid"], false, "{what}");
    }
}
