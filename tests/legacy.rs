//! The field splitter on real legacy text: the seed paper's text dump must give the shipped
//! record of 0310/2012, field by field.

mod common;

use std::path::{Path, PathBuf};

use drucksache::legacy::split;
use drucksache::model::Paper;

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/legacy")
        .join(name)
}

fn fixture(name: &str) -> String {
    let path = fixture_path(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn shipped(path: &str) -> Paper {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    Paper::load(&path).unwrap()
}

/// Markdown fields compare without trailing line breaks (a record may end its text with one;
/// rendered, they are the same).
fn markdown(text: &Option<String>) -> Option<&str> {
    text.as_deref().map(str::trim_end)
}

#[test]
fn the_seed_text_gives_the_shipped_record_field_by_field() {
    let draft = split(&fixture("hagen-0310-2012.txt"));
    let doubts: Vec<String> = draft
        .doubts()
        .map(|f| format!("{}: {}", f.key, f.doubt.as_deref().unwrap_or("")))
        .collect();
    assert!(
        doubts.is_empty(),
        "the seed is read without doubt: {doubts:#?}"
    );
    let got = draft.paper("hagen-0310-2012.txt").unwrap();
    let want = shipped("archive/papers/2012/0310-2012.toml");

    assert_eq!(got.public, want.public, "oeffentlich");
    assert_eq!(got.kind, want.kind, "art");
    assert_eq!(got.reference, want.reference, "drucksachennummer");
    assert_eq!(got.date, want.date, "datum");
    assert_eq!(got.department, want.department, "amt");
    assert_eq!(got.involved, want.involved, "beteiligt");
    assert_eq!(got.subject, want.subject, "betreff");
    assert_eq!(got.consultations, want.consultations, "beratungsfolge");
    assert_eq!(got.deciding_body, want.deciding_body, "beschlussfassung");
    assert_eq!(got.resolution, want.resolution, "beschlussvorschlag");
    assert_eq!(
        markdown(&got.summary),
        markdown(&want.summary),
        "kurzfassung"
    );
    let (got_reasoning, want_reasoning) = (got.reasoning.trim_end(), want.reasoning.trim_end());
    for (i, (g, w)) in got_reasoning
        .lines()
        .zip(want_reasoning.lines())
        .enumerate()
    {
        assert_eq!(g, w, "begruendung, line {}", i + 1);
    }
    assert_eq!(got_reasoning, want_reasoning, "begruendung");
    assert_eq!(
        got.financial_impact, want.financial_impact,
        "finanzielle_auswirkungen"
    );
    assert_eq!(got.signatories, want.signatories, "unterschriften");
    assert_eq!(got.routing, want.routing, "verfuegung");
    assert_eq!(got.supplements, want.supplements, "bezug");
    // The text dump has no list of Anlagen (the paper names its one Anlage only in the
    // Kurzfassung): the shipped record's title came from the issued PDF's cover, not from
    // this text, so the splitter finds none.
    assert!(got.attachments.is_empty(), "anlagen: {:?}", got.attachments);
    assert_eq!(want.attachments.len(), 1);
}

#[test]
fn every_field_names_the_lines_it_came_from() {
    let draft = split(&fixture("hagen-0310-2012.txt"));
    let line = |key: &str| draft.field(key).and_then(|f| f.lines).map(|(a, _)| a);
    assert_eq!(line("art"), Some(5), "ÖFFENTLICHE BESCHLUSSVORLAGE");
    assert_eq!(line("amt"), Some(7), "Amt/Eigenbetrieb:");
    assert_eq!(line("betreff"), Some(13));
    assert_eq!(line("drucksachennummer"), Some(47));
    assert_eq!(line("unterschriften"), Some(108), "gez.");
}

mod import {
    //! `drucksache import`: archiving, review, accept, refusals.

    use std::path::{Path, PathBuf};

    use super::common::TempArchive;
    use sha2::{Digest, Sha512};

    fn seed_text() -> String {
        super::fixture("hagen-0310-2012.txt")
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn show(archive: &TempArchive, reference: &str) -> serde_json::Value {
        let r = archive.run(&["show", reference, "--json"]);
        assert_eq!(r.code, 0, "show failed:\n{}", r.stderr);
        serde_json::from_str(&r.stdout).unwrap()
    }

    #[test]
    fn the_seed_text_is_archived_with_its_original_and_a_fresh_rendering_once() {
        let archive = TempArchive::new(None);
        let input = tempfile::tempdir().unwrap();
        let file = write(input.path(), "hagen-0310-2012.txt", &seed_text());
        let file = file.to_str().unwrap();

        let r = archive.run(&["import", file]);
        assert_eq!(r.code, 0, "import failed:\n{}{}", r.stdout, r.stderr);
        assert!(
            r.stdout.contains("archiviert als 0310/2012"),
            "{}",
            r.stdout
        );

        let shown = show(&archive, "0310/2012");
        let originals = shown["originals"].as_array().unwrap();
        assert_eq!(originals.len(), 1);
        let sha = hex::encode(Sha512::digest(seed_text().as_bytes()));
        assert_eq!(originals[0]["sha512"], sha.as_str());
        assert_eq!(originals[0]["media_type"], "text/plain; charset=utf-8");
        assert_eq!(originals[0]["file_name"], "hagen-0310-2012.txt");
        let stored = std::fs::read(originals[0]["file"].as_str().unwrap()).unwrap();
        assert_eq!(
            stored,
            seed_text().as_bytes(),
            "the original is stored unchanged"
        );
        assert_eq!(
            shown["renditions"].as_array().unwrap().len(),
            1,
            "one rendering"
        );
        assert_eq!(shown["subject"], "Integrationskonzept für die Stadt Hagen");

        // The same file again: nothing new.
        let again = archive.run(&["import", file]);
        assert_eq!(again.code, 0, "{}", again.stderr);
        assert!(
            again.stdout.contains("bereits archiviert als 0310/2012"),
            "{}",
            again.stdout
        );
        assert_eq!(archive.references(), ["0310/2012"]);
        assert_eq!(
            show(&archive, "0310/2012")["renditions"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        archive.assert_check();
    }

    #[test]
    fn an_uncertain_text_goes_to_review_is_edited_and_accepted() {
        let archive = TempArchive::new(None);
        let input = tempfile::tempdir().unwrap();
        let review = input.path().join("pruefung");
        // No "Datum:" in the page header, and a day that does not exist in the Beratungsfolge.
        let text = seed_text().replace("Datum:\n25.04.2012\n", "").replace(
            "28.06.2012\tRat der Stadt Hagen",
            "31.06.2012\tRat der Stadt Hagen",
        );
        let file = write(input.path(), "vorlage-0310.txt", &text);

        let r = archive.run(&[
            "import",
            file.to_str().unwrap(),
            "--review",
            review.to_str().unwrap(),
        ]);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        assert!(r.stdout.contains("zur Prüfung"), "{}", r.stdout);
        // Without a certain Datum it cannot even be archived as "nicht strukturiert".
        assert!(
            r.stdout
                .contains("not archived until it is reviewed: datum: not certain"),
            "{}",
            r.stdout
        );
        assert!(archive.references().is_empty(), "nothing is archived yet");
        let draft_path = review.join("vorlage-0310.toml");
        let draft = std::fs::read_to_string(&draft_path).unwrap();
        assert!(
            draft.contains("# nicht im Text gefunden: bitte eintragen\ndatum = \"\""),
            "{draft}"
        );
        assert!(
            draft.contains("# UNSICHER: „31.06.2012“ ist kein Datum (Zeile 26)"),
            "{draft}"
        );
        assert_eq!(
            std::fs::read(review.join("vorlage-0310.txt")).unwrap(),
            text.as_bytes(),
            "the original's copy is beside the draft"
        );

        // Accepted as it is, the draft is refused (no date): nothing is archived.
        let refused = archive.run(&["import", "--accept", review.to_str().unwrap()]);
        assert_eq!(refused.code, 2, "{}{}", refused.stdout, refused.stderr);
        assert!(refused.stderr.contains("datum"), "{}", refused.stderr);
        assert!(archive.references().is_empty());

        // The clerk fills in the date and the missing session, then accepts.
        let edited = draft.replace("datum = \"\"", "datum = 2012-04-25").replace(
            "  { datum = 2012-06-14, gremium = \"Haupt- und Finanzausschuss\" },\n",
            "  { datum = 2012-06-14, gremium = \"Haupt- und Finanzausschuss\" },\n  { datum = 2012-06-28, gremium = \"Rat der Stadt Hagen\" },\n",
        );
        assert_ne!(edited, draft);
        std::fs::write(&draft_path, edited).unwrap();
        let accepted = archive.run(&["import", "--accept", review.to_str().unwrap()]);
        assert_eq!(accepted.code, 0, "{}{}", accepted.stdout, accepted.stderr);
        assert!(
            accepted.stdout.contains("archiviert als 0310/2012"),
            "{}",
            accepted.stdout
        );

        let shown = show(&archive, "0310/2012");
        let want = super::shipped("archive/papers/2012/0310-2012.toml");
        assert_eq!(shown["source"]["datum"], "2012-04-25");
        assert_eq!(
            shown["source"]["beratungsfolge"].as_array().unwrap().len(),
            want.consultations.len()
        );
        let sha = hex::encode(Sha512::digest(text.as_bytes()));
        assert_eq!(shown["originals"][0]["sha512"], sha.as_str());
        archive.assert_check();
    }

    /// A PDF printed by another system: its text is extracted, the draft goes to review (the
    /// Begründung's paragraphs cannot be told for sure), and accepted it is archived with
    /// the PDF as its original, unchanged.
    #[test]
    fn a_pdf_is_read_reviewed_and_archived_with_the_pdf_as_its_original() {
        if !super::common::have("pdftotext") {
            return;
        }
        let archive = TempArchive::new(None);
        let input = tempfile::tempdir().unwrap();
        let review = input.path().join("pruefung");
        let pdf = std::fs::read(super::fixture_path("hagen-0310-2012-chromium.pdf")).unwrap();
        let file = input.path().join("0310-2012.pdf");
        std::fs::write(&file, &pdf).unwrap();

        let r = archive.run(&[
            "import",
            file.to_str().unwrap(),
            "--review",
            review.to_str().unwrap(),
        ]);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        assert!(r.stdout.contains("unsicher: begruendung"), "{}", r.stdout);
        // Meanwhile it is archived as a legacy paper not structured yet: what is certain,
        // the PDF as its original and its text, no rendering; searchable by that text.
        assert!(
            r.stdout
                .contains("archiviert als 0310/2012, nicht strukturiert"),
            "{}",
            r.stdout
        );
        assert_eq!(archive.references(), ["0310/2012"]);
        let held = show(&archive, "0310/2012");
        assert_eq!(held["structured"], false, "{held}");
        assert_eq!(held["renditions"].as_array().unwrap().len(), 0);
        assert_eq!(held["originals"].as_array().unwrap().len(), 1);
        assert_eq!(
            held["source"]["betreff"],
            "Integrationskonzept für die Stadt Hagen"
        );
        assert!(
            held["source"]["text"]
                .as_str()
                .unwrap()
                .contains("Resultierend aus der Beschlussfassung"),
            "{held}"
        );
        assert!(held["source"].get("begruendung").is_none(), "{held}");
        let found = archive.run(&["search", "resultierend", "--json"]);
        assert_eq!(found.code, 0, "{}", found.stderr);
        assert!(found.stdout.contains("0310/2012"), "{}", found.stdout);
        let rerender = archive.run(&["rerender", "0310/2012"]);
        assert_ne!(rerender.code, 0, "{}", rerender.stdout);
        assert!(
            rerender.stderr.contains("nicht strukturiert"),
            "{}",
            rerender.stderr
        );
        archive.assert_check();
        let draft = std::fs::read_to_string(review.join("0310-2012.toml")).unwrap();
        assert!(
            draft.contains("drucksachennummer = \"0310/2012\""),
            "{draft}"
        );
        assert_eq!(std::fs::read(review.join("0310-2012.pdf")).unwrap(), pdf);

        let accepted = archive.run(&["import", "--accept", review.to_str().unwrap()]);
        assert_eq!(accepted.code, 0, "{}{}", accepted.stdout, accepted.stderr);
        assert!(
            accepted.stdout.contains("0310/2012 ist jetzt strukturiert"),
            "{}",
            accepted.stdout
        );
        // The same paper, structured now: its record, a fresh rendering, the one original.
        assert_eq!(archive.references(), ["0310/2012"]);
        let shown = show(&archive, "0310/2012");
        assert_eq!(shown["structured"], true);
        assert_eq!(shown["renditions"].as_array().unwrap().len(), 1);
        assert_eq!(shown["originals"].as_array().unwrap().len(), 1);
        assert!(
            shown["history"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["event"] == "structured"),
            "{shown}"
        );
        let original = &shown["originals"][0];
        assert_eq!(original["media_type"], "application/pdf");
        assert_eq!(original["file_name"], "0310-2012.pdf");
        assert_eq!(
            original["sha512"],
            hex::encode(Sha512::digest(&pdf)).as_str()
        );
        assert_eq!(
            std::fs::read(original["file"].as_str().unwrap()).unwrap(),
            pdf
        );
        assert_eq!(shown["subject"], "Integrationskonzept für die Stadt Hagen");
        archive.assert_check();
    }

    /// A one-page PDF that shows only a shape, as a scan shows only an image: no text.
    fn scan_pdf() -> Vec<u8> {
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_string(),
            "<< /Length 29 >>\nstream\n0 0 1 rg 100 100 200 200 re f\nendstream".to_string(),
        ];
        let mut pdf = b"%PDF-1.4\n".to_vec();
        let mut offsets = Vec::new();
        for (i, object) in objects.iter().enumerate() {
            offsets.push(pdf.len());
            pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
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
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                objects.len() + 1
            )
            .as_bytes(),
        );
        pdf
    }

    /// A scan has no text: its draft waits in review with every field to fill in; a clerk
    /// who fills in only Drucksachennummer, Datum and Betreff archives it "nicht strukturiert"
    /// (the scan as its original, findable by its Betreff), and the draft stays for later.
    #[test]
    fn a_scan_is_archived_unstructured_once_a_clerk_gives_its_number_date_and_subject() {
        if !super::common::have("pdftotext") {
            return;
        }
        let archive = TempArchive::new(None);
        let input = tempfile::tempdir().unwrap();
        let review = input.path().join("pruefung");
        let scan = input.path().join("scan-0042.pdf");
        std::fs::write(&scan, scan_pdf()).unwrap();
        let r = archive.run(&[
            "import",
            scan.to_str().unwrap(),
            "--review",
            review.to_str().unwrap(),
        ]);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        assert!(
            r.stdout.contains("not archived until it is reviewed"),
            "{}",
            r.stdout
        );
        assert!(archive.references().is_empty());

        let draft_path = review.join("scan-0042.toml");
        let draft = std::fs::read_to_string(&draft_path).unwrap();
        let filled = draft
            .replace(
                "drucksachennummer = \"\"",
                "drucksachennummer = \"0042/1998\"",
            )
            .replace("datum = \"\"", "datum = 1998-03-12")
            .replace(
                "betreff = \"\"",
                "betreff = \"Bebauungsplan Nr. 7 Am Mühlenteich\"",
            );
        assert_eq!(filled.matches("0042/1998").count(), 1, "{draft}");
        std::fs::write(&draft_path, &filled).unwrap();
        let accepted = archive.run(&["import", "--accept", review.to_str().unwrap()]);
        assert_eq!(accepted.code, 0, "{}{}", accepted.stdout, accepted.stderr);
        assert!(
            accepted
                .stdout
                .contains("archiviert als 0042/1998, nicht strukturiert"),
            "{}",
            accepted.stdout
        );
        let shown = show(&archive, "0042/1998");
        assert_eq!(shown["structured"], false);
        assert_eq!(
            shown["source"]["betreff"],
            "Bebauungsplan Nr. 7 Am Mühlenteich"
        );
        assert_eq!(shown["source"]["text"], "");
        assert_eq!(shown["originals"][0]["media_type"], "application/pdf");
        assert_eq!(shown["renditions"], serde_json::json!([]));
        // Public, as the draft said and the clerk left it; Amt left blank is not known.
        assert_eq!(shown["source"]["oeffentlich"], true);
        assert!(shown["source"].get("amt").is_none(), "{shown}");
        let found = archive.run(&["search", "Mühlenteich", "--json"]);
        assert!(found.stdout.contains("0042/1998"), "{}", found.stdout);
        // Accepted again: the same paper, nothing twice.
        let again = archive.run(&["import", "--accept", review.to_str().unwrap()]);
        assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
        assert_eq!(archive.references(), ["0042/1998"]);
        assert_eq!(
            show(&archive, "0042/1998")["originals"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        // Exported, it is its record and its original (it has no PDF of ours).
        let out = input.path().join("export");
        let exported = archive.run(&["export", "0042/1998", "-o", out.to_str().unwrap()]);
        assert_eq!(exported.code, 0, "{}", exported.stderr);
        assert_eq!(
            std::fs::read(out.join("0042-1998-original-1.pdf")).unwrap(),
            scan_pdf()
        );
        let record: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("0042-1998.json")).unwrap()).unwrap();
        assert_eq!(record["drucksachennummer"], "0042/1998");
        archive.assert_check();
    }

    /// The originals are evidence: a backup copies them, `check` finds one damaged.
    #[test]
    fn originals_are_backed_up_and_a_damaged_one_is_found_by_check() {
        let archive = TempArchive::new(None);
        let input = tempfile::tempdir().unwrap();
        let file = write(input.path(), "hagen-0310-2012.txt", &seed_text());
        let r = archive.run(&["import", file.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        let shown = show(&archive, "0310/2012");
        let stored = std::path::PathBuf::from(shown["originals"][0]["file"].as_str().unwrap());
        let relative = stored.strip_prefix(archive.path()).unwrap().to_path_buf();

        let backup = input.path().join("sicherung");
        let r = archive.run(&["backup", backup.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        assert_eq!(
            std::fs::read(backup.join(&relative)).unwrap(),
            seed_text().as_bytes()
        );
        let r = super::common::run(
            super::common::drucksache()
                .env("DRUCKSACHE_ARCHIVE", &backup)
                .args(["check"]),
        );
        assert_eq!(
            r.code, 0,
            "the backup checks out:\n{}{}",
            r.stdout, r.stderr
        );

        // One byte changed in the stored original.
        let mut bytes = std::fs::read(&stored).unwrap();
        bytes[0] ^= 0x20;
        let mut permissions = std::fs::metadata(&stored).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        permissions.set_readonly(false);
        std::fs::set_permissions(&stored, permissions).unwrap();
        std::fs::write(&stored, &bytes).unwrap();
        let r = archive.run(&["check"]);
        assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
        let said = format!("{}{}", r.stdout, r.stderr);
        assert!(said.contains("originals"), "{said}");
        assert!(
            said.contains(&shown["originals"][0]["sha512"].as_str().unwrap()[..16]),
            "names the damaged original: {said}"
        );
    }

    /// A PDF may be larger than a text dump (scanned Anlagen): 5 MiB is read, a 5 MiB text
    /// dump is refused with the limit it broke.
    #[test]
    fn a_large_pdf_is_read_a_text_dump_keeps_the_record_limit() {
        if !super::common::have("pdftotext") {
            return;
        }
        let archive = TempArchive::new(None);
        let input = tempfile::tempdir().unwrap();
        let review = input.path().join("pruefung");
        let mut pdf = std::fs::read(super::fixture_path("hagen-0310-2012-chromium.pdf")).unwrap();
        // Padding after the end of the file, as scanners' PDFs often carry.
        pdf.extend(std::iter::repeat_n(b'%', 5 * 1024 * 1024));
        let large = input.path().join("gross.pdf");
        std::fs::write(&large, &pdf).unwrap();
        let r = archive.run(&[
            "import",
            large.to_str().unwrap(),
            "--review",
            review.to_str().unwrap(),
        ]);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        assert!(r.stdout.contains("zur Prüfung"), "{}", r.stdout);
        let text = write(input.path(), "gross.txt", &"x".repeat(5 * 1024 * 1024));
        let r = archive.run(&["import", text.to_str().unwrap()]);
        assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
        assert!(
            r.stderr
                .contains("gross.txt: the file has more than 4194304 bytes"),
            "{}",
            r.stderr
        );
    }

    /// Two originals of one name but for the extension (`a.txt`, `a.pdf`) each get their
    /// own draft; the same original again leaves its draft alone (a clerk may be editing it).
    #[test]
    fn two_originals_with_one_stem_get_two_drafts_and_a_draft_is_never_overwritten() {
        if !super::common::have("pdftotext") {
            return;
        }
        let archive = TempArchive::new(None);
        let input = tempfile::tempdir().unwrap();
        let review = input.path().join("pruefung");
        let pdf = std::fs::read(super::fixture_path("hagen-0310-2012-chromium.pdf")).unwrap();
        let pdf_file = input.path().join("vorlage.pdf");
        std::fs::write(&pdf_file, &pdf).unwrap();
        let text = seed_text().replace(
            "Integrationskonzept für",
            "Integrationskonzept (Entwurf) für",
        );
        let text = text.replace(
            "Kultur- und Weiterbildungsausschuss",
            "Kultur- und Weiterbildungsausschuss\n  31.02.2012",
        );
        let txt_file = write(input.path(), "vorlage.txt", &text);
        let run = |file: &Path| {
            archive.run(&[
                "import",
                file.to_str().unwrap(),
                "--review",
                review.to_str().unwrap(),
            ])
        };
        let first = run(&txt_file);
        assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
        let second = run(&pdf_file);
        assert_eq!(second.code, 0, "{}{}", second.stdout, second.stderr);
        let mut drafts: Vec<String> = std::fs::read_dir(&review)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        drafts.sort();
        assert_eq!(
            drafts,
            [
                "vorlage-2.pdf",
                "vorlage-2.toml",
                "vorlage.toml",
                "vorlage.txt"
            ],
            "{}",
            second.stdout
        );
        assert_eq!(std::fs::read(review.join("vorlage-2.pdf")).unwrap(), pdf);
        let edited = review.join("vorlage.toml");
        std::fs::write(&edited, "# bearbeitet\n").unwrap();
        let again = run(&txt_file);
        assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
        assert!(again.stdout.contains("vorlage.toml"), "{}", again.stdout);
        assert_eq!(std::fs::read_to_string(&edited).unwrap(), "# bearbeitet\n");
        assert_eq!(std::fs::read_dir(&review).unwrap().count(), 4);
    }

    #[test]
    fn unreadable_files_are_refused_and_change_nothing() {
        let archive = TempArchive::new(None);
        let input = tempfile::tempdir().unwrap();
        let review = input.path().join("pruefung");
        let mut latin1 = b"\xd6FFENTLICHE BESCHLUSSVORLAGE\n".to_vec();
        latin1.extend_from_slice(b"Betreff:\n");
        let bad = input.path().join("latin1.txt");
        std::fs::write(&bad, &latin1).unwrap();
        let html = write(
            input.path(),
            "fehler.pdf",
            "<html><body>Fehler</body></html>",
        );
        let broken = write(input.path(), "kaputt.pdf", "%PDF-1.4\n");
        let word = write(input.path(), "vorlage.docx", "PK");

        let r = archive.run(&[
            "import",
            bad.to_str().unwrap(),
            html.to_str().unwrap(),
            broken.to_str().unwrap(),
            word.to_str().unwrap(),
            "--review",
            review.to_str().unwrap(),
        ]);
        assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
        for want in [
            "latin1.txt: byte 0 is not UTF-8",
            "fehler.pdf: the file is not a PDF: it does not start with %PDF- (byte 0)",
            "kaputt.pdf: pdftotext cannot read the PDF",
            "vorlage.docx: only text dumps (.txt, UTF-8) and PDFs (.pdf) can be imported",
        ] {
            assert!(r.stderr.contains(want), "{want}:\n{}", r.stderr);
        }
        assert!(archive.references().is_empty());
        assert!(!review.exists(), "no review folder was written");
    }
}

/// The record's fields as JSON, by key.
fn fields(paper: &Paper) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::to_value(paper).unwrap() {
        serde_json::Value::Object(map) => map,
        _ => unreachable!("a paper is an object"),
    }
}

/// The words of a field's value, without Markdown markup and list marks.
fn words(value: &serde_json::Value) -> Vec<String> {
    fn leaves(value: &serde_json::Value, out: &mut String) {
        match value {
            serde_json::Value::String(s) => {
                out.push_str(s);
                out.push(' ');
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| leaves(v, out)),
            serde_json::Value::Object(map) => map.values().for_each(|v| leaves(v, out)),
            other => out.push_str(&format!("{other} ")),
        }
    }
    let mut text = String::new();
    leaves(value, &mut text);
    text.replace(['*', '#', '•', '\\', '"'], "")
        .split_whitespace()
        .filter(|w| *w != "-")
        .map(str::to_string)
        .collect()
}

/// A Markdown field as it renders, without emphasis (which plain text cannot keep): the
/// rich text blocks of each string in the value.
fn rendered(value: &serde_json::Value) -> Vec<Vec<drucksache::model::richtext::Block>> {
    let mut out = Vec::new();
    let mut add = |s: &str| out.push(drucksache::model::richtext::parse(&s.replace('*', "")));
    match value {
        serde_json::Value::String(s) => add(s),
        serde_json::Value::Array(items) => items.iter().filter_map(|i| i.as_str()).for_each(add),
        serde_json::Value::Object(map) => map.values().filter_map(|v| v.as_str()).for_each(add),
        _ => {}
    }
    out
}

/// How the drafts of a set of PDFs compare with their records, field by field.
#[derive(Default)]
struct Score {
    /// Fields equal to the record's.
    exact: usize,
    /// Markdown fields with the record's words that render alike but for emphasis.
    alike: usize,
    /// Fields that differ, each with a doubt (the draft goes to review).
    doubted: usize,
    /// Fields that differ without a doubt, or drafts that are not even a record.
    problems: Vec<String>,
}

impl Score {
    /// Compares the draft of `text` (extracted from `name`) with the record `want`.
    fn add(&mut self, name: &str, text: &str, want: &Paper) {
        const MARKDOWN: [&str; 4] = [
            "kurzfassung",
            "begruendung",
            "beschlussvorschlag",
            "finanzielle_auswirkungen",
        ];
        let draft = split(text);
        let got = match draft.paper(name) {
            Ok(got) => got,
            Err(e) => {
                self.problems.push(format!("{name}: invalid: {e}"));
                return;
            }
        };
        let (got, want) = (fields(&got), fields(want));
        for (key, w) in &want {
            let g = got.get(key).cloned().unwrap_or(serde_json::Value::Null);
            let trimmed = |v: &serde_json::Value| match v {
                serde_json::Value::String(s) => serde_json::Value::String(s.trim_end().into()),
                v => v.clone(),
            };
            let doubted = draft.field(key).is_some_and(|f| f.doubt.is_some());
            if trimmed(&g) == trimmed(w) {
                self.exact += 1;
            } else if MARKDOWN.contains(&key.as_str())
                && words(&g) == words(w)
                && rendered(&g) == rendered(w)
            {
                self.alike += 1;
            } else if doubted {
                self.doubted += 1;
            } else {
                self.problems.push(format!(
                    "{name}: {key}: differs from the record without a doubt:\n  got  {g}\n  want {w}"
                ));
            }
        }
        for key in got.keys().filter(|k| !want.contains_key(*k)) {
            self.problems
                .push(format!("{name}: {key}: not in the record"));
        }
    }
}

/// The shipped papers rendered to PDF, each with its record, and the seed paper as another
/// system printed it (tests/fixtures/legacy/LICENSE) with the shipped record of 0310/2012
/// (less its Anlage, which the seed text does not have).
fn corpus(dir: &Path) -> Vec<(PathBuf, Paper)> {
    let records =
        drucksache::publish::record_files(&common::root().join("archive/papers")).unwrap();
    assert!(records.len() >= 6, "{records:?}");
    let mut out = Vec::new();
    for record in &records {
        let stem = record.file_stem().unwrap().to_str().unwrap();
        let pdf = dir.join(format!("{stem}.pdf"));
        common::render(record, &pdf, &[]);
        out.push((pdf, Paper::load(record).unwrap()));
    }
    let mut seed = shipped("archive/papers/2012/0310-2012.toml");
    seed.attachments.clear();
    out.push((fixture_path("hagen-0310-2012-chromium.pdf"), seed));
    out
}

/// The PDFs of the shipped papers and the seed paper printed by another system, through
/// pdftotext -layout (the extractor `import` uses). Plain text keeps no bold or italics, and
/// a layout dump no blank lines between paragraphs and no heading levels: so the Markdown
/// fields keep their words and, but for emphasis, render as the record's do, or else the
/// draft says it is unsure of them (it goes to review: a paper is never archived wrong
/// without a doubt). Every other field comes out equal.
#[test]
fn text_dumps_of_the_shipped_papers_pdfs_give_their_records() {
    if !common::have("pdftotext") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut score = Score::default();
    for (pdf, want) in corpus(dir.path()) {
        let text = common::tool("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]);
        score.add(&pdf.display().to_string(), &text, &want);
    }
    assert!(score.problems.is_empty(), "{}", score.problems.join("\n"));
    assert!(
        score.exact > 7 * 12,
        "most fields come out equal: {} equal, {} alike but for emphasis, {} doubted",
        score.exact,
        score.alike,
        score.doubted
    );
    eprintln!(
        "{} fields equal, {} rendered alike but for emphasis, {} doubted",
        score.exact, score.alike, score.doubted
    );
}

/// The measurement behind the choice of extractor (README, "Legacy papers"): poppler's
/// pdftotext in its three reading modes on the same PDFs. Only the layout mode keeps the
/// cells of a line apart (date and body in the Beratungsfolge, two signatories side by
/// side); the others run them together, so fewer fields come out right. Run with
/// `-- --nocapture` to see the figures.
#[test]
fn pdftotext_layout_reads_more_fields_right_than_its_other_modes() {
    if !common::have("pdftotext") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let corpus = corpus(dir.path());
    let modes: [(&str, &[&str]); 3] = [
        ("-layout", &["-layout"]),
        ("reading order", &[]),
        ("-raw", &["-raw"]),
    ];
    let mut scores = Vec::new();
    for (mode, flags) in modes {
        let mut score = Score::default();
        for (pdf, want) in &corpus {
            let mut args = flags.to_vec();
            args.extend([pdf.to_str().unwrap(), "-"]);
            let text = common::tool("pdftotext", &args);
            score.add(&pdf.display().to_string(), &text, want);
        }
        eprintln!(
            "pdftotext {mode:>13}: {:>3} fields equal, {:>2} alike but for emphasis, {:>2} doubted, {:>2} wrong without a doubt",
            score.exact,
            score.alike,
            score.doubted,
            score.problems.len()
        );
        scores.push(score);
    }
    let right = |s: &Score| s.exact + s.alike;
    assert!(scores[0].problems.is_empty());
    assert!(
        scores[1..].iter().all(|s| right(s) < right(&scores[0])),
        "-layout is the best mode"
    );
}
