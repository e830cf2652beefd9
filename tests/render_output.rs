//! The rendered PDF: content of the seed paper, PDF/A, fonts, reproducibility, every kind,
//! drafts, and user text that looks like code.

mod common;

use common::*;

#[test]
fn seed_paper_contains_every_part_of_the_original() {
    if !have("pdftotext") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("x.pdf");
    render(&seed(), &pdf, &[]);
    let all = text(&pdf, None);
    let expected = [
        "ÖFFENTLICHE BESCHLUSSVORLAGE",
        "Amt/Eigenbetrieb: 55 Fachbereich Jugend und Soziales",
        "Betreff: Integrationskonzept für die Stadt Hagen",
        "08.05.2012 Integrationsrat",
        "09.05.2012 Sport- und Freizeitausschuss",
        "15.05.2012 Sozialausschuss",
        "16.05.2012 Kultur- und Weiterbildungsausschuss",
        "22.05.2012 Schulausschuss",
        "23.05.2012 Jugendhilfeausschuss",
        "14.06.2012 Haupt- und Finanzausschuss",
        "28.06.2012 Rat der Stadt Hagen",
        "Beschlussfassung: Rat der Stadt Hagen",
        "1. Das vorliegende Integrationskonzept wird als Grundlage der Integrationsarbeit in Hagen beschlossen.",
        "2. Die Verwaltung wird – unter dem Vorbehalt der Kostenneutralität für den städtischen Haushalt – beauftragt",
        "3. Das künftige kommunale Integrationszentrum wird mit der Umsetzung der Maßnahmevorschläge",
        "4. Über den Umsetzungsstand wird dem Integrationsrat und dem Sozialausschuss mindestens einmal jährlich berichtet.",
        "5. Dieser Beschluss wird zum 31.12.2012 umgesetzt.",
        "Drucksachennummer: 0310/2012",
        "25.04.2012",
        "Kurzfassung Der als Anlage beigefügte Entwurf für ein Integrationskonzept wurde mit Unterstützung des IMAP – Institutes erstellt",
        "Begründung Sachverhaltsdarstellung:",
        "Problemstellung:",
        "Finanzielle Auswirkungen",
        "☒ Es entstehen keine finanziellen und personellen Auswirkungen",
        "☐ Es entstehen folgende bilanzielle Auswirkungen",
        "gez. gez. Jörg Dehm Dr. Schmidt Oberbürgermeister Erster Beigeordneter",
        "Verfügung / Unterschriften",
        "Beschlussausfertigungen sind zu übersenden an:",
        // umlauts and ß extract as themselves
        "Gebietskörperschaften (kreisfreie Städte und Landkreise)",
        "Maßnahmen zur Verbesserung der Integration",
    ];
    for phrase in expected {
        assert!(all.contains(phrase), "missing {phrase:?} in:\n{all}");
    }
    let page2 = text(&pdf, Some((2, 2)));
    for phrase in [
        "STADT HAGEN",
        "Der Oberbürgermeister",
        "Seite 2",
        "Drucksachennummer: 0310/2012",
        "Datum: 25.04.2012",
    ] {
        assert!(page2.contains(phrase), "page 2 lacks {phrase:?}:\n{page2}");
    }
}

#[test]
fn pdf_is_pdfa_2a_with_metadata_and_embedded_fonts() {
    if !have("pdfinfo") || !have("pdffonts") || !have("qpdf") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("x.pdf");
    render(&seed(), &pdf, &[]);
    let pdf = pdf.to_str().unwrap();

    let xmp = tool("pdfinfo", &["-meta", pdf]);
    assert!(xmp.contains("<pdfaid:part>2</pdfaid:part>"), "{xmp}");
    assert!(
        xmp.contains("<pdfaid:conformance>A</pdfaid:conformance>"),
        "{xmp}"
    );
    assert!(
        xmp.contains("Integrationskonzept für die Stadt Hagen"),
        "title in XMP: {xmp}"
    );
    assert!(
        xmp.contains("<rdf:li>de-DE</rdf:li>") || xmp.contains("<rdf:li>de</rdf:li>"),
        "language: {xmp}"
    );
    assert!(xmp.contains("0310/2012"), "keywords: {xmp}");

    // ISO dates: pdfinfo prints other dates in the machine's time zone (west of UTC the
    // paper's midnight is the day before).
    let info = tool("pdfinfo", &["-isodates", pdf]);
    assert!(
        info.contains("Title:           Integrationskonzept für die Stadt Hagen"),
        "{info}"
    );
    assert!(info.contains("Keywords:        0310/2012"), "{info}");
    // Set by the renderer, not the template: author = Gemeinde, date = the paper's date.
    assert!(info.contains("Author:          Stadt Hagen"), "{info}");
    assert!(
        info.contains("CreationDate:    2012-04-25T00:00:00Z"),
        "{info}"
    );
    assert!(info.contains("Tagged:          yes"), "{info}");

    let fonts = tool("pdffonts", &[pdf]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "{fonts}");
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        // name type... emb sub uni object ID: emb is the 5th column from the end
        assert_eq!(cols[cols.len() - 5], "yes", "font not embedded: {row}");
    }

    let check = run(std::process::Command::new("qpdf").args(["--check", pdf]));
    assert_eq!(
        check.code, 0,
        "qpdf --check: {}{}",
        check.stdout, check.stderr
    );
    assert!(
        check.stdout.contains("No syntax or stream encoding errors"),
        "{}",
        check.stdout
    );
}

#[test]
fn rendering_is_byte_for_byte_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a.pdf"),
        dir.path().join("b.pdf"),
        dir.path().join("c.pdf"),
    );
    render(&seed(), &a, &[]);
    render(&seed(), &b, &[]);
    assert_eq!(
        std::fs::read(&a).unwrap(),
        std::fs::read(&b).unwrap(),
        "two renders differ"
    );

    let changed = seed_with(dir.path(), "changed.toml", |t| {
        t.replace("Jörg Dehm", "Erik O. Schulz")
    });
    render(&changed, &c, &[]);
    assert_ne!(
        std::fs::read(&a).unwrap(),
        std::fs::read(&c).unwrap(),
        "a changed field must change the bytes"
    );
}

#[test]
fn user_text_that_looks_like_code_is_printed_literally() {
    if !have("pdftotext") {
        return;
    }
    let hostile = [
        r#"#read("/etc/passwd")"#,
        r#"#import "x.typ""#,
        "$x^2$",
        "]",
        r"\",
        "<l>",
        "@ref",
        "#{while true {}}",
    ];
    let joined = hostile.join(" ");
    let dir = tempfile::tempdir().unwrap();
    let mut record: toml::Table =
        toml::from_str(&std::fs::read_to_string(seed()).unwrap()).unwrap();
    record.insert("betreff".into(), format!("Betreff {joined}").into());
    record.insert("kurzfassung".into(), format!("Kurz {joined}").into());
    let items = record["beschlussvorschlag"].as_array_mut().unwrap();
    *items.last_mut().unwrap() = format!("Beschluss {joined}").into();
    let record_path = dir.path().join("hostile.toml");
    std::fs::write(&record_path, toml::to_string(&record).unwrap()).unwrap();
    let record = record_path;

    let pdf = dir.path().join("h.pdf");
    render(&record, &pdf, &[]);
    let all = text(&pdf, None);
    for prefix in ["Betreff", "Kurz", "Beschluss"] {
        let expected = format!("{prefix} {joined}");
        assert!(
            all.contains(&expected),
            "{expected:?} not literal in:\n{all}"
        );
    }
    assert!(!all.contains("root:x:0:0"), "a file was read");
}

#[test]
fn every_kind_renders_with_its_own_heading() {
    if !have("pdftotext") || !have("pdfinfo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let papers = root().join("archive/papers");
    let cases: [(&str, &[&str]); 5] = [
        (
            "2012/0355-2012.toml",
            &[
                "ÖFFENTLICHE MITTEILUNGSVORLAGE",
                "Jugendhilfeausschuss (zur Kenntnisnahme)",
                "Die Mitteilung wird zur Kenntnis genommen.",
                "23.05.2012 Jugendhilfeausschuss Kenntnisnahme",
            ],
        ),
        (
            "2012/0310-2012-1.toml",
            &[
                "ÖFFENTLICHE ERGÄNZUNGSVORLAGE",
                "Ergänzung zu: Drucksache 0310/2012",
                "Ergänzter Beschlussvorschlag:",
                "Drucksachennummer: 0310/2012-1",
            ],
        ),
        (
            "2012/0412-2012.toml",
            &[
                "NICHTÖFFENTLICHE BESCHLUSSVORLAGE",
                "☐ Es entstehen keine",
                "☒ Es entstehen folgende bilanzielle Auswirkungen Verkaufserlös von 311.220,00 €",
                "Nein, gesperrt bis einschließlich 31.12.2012",
            ],
        ),
        (
            "2013/0101-2013.toml",
            &[
                "• die Planungsleistungen der Leistungsphasen 1 bis 4 HOAI",
                "Christoph Gerbersmann",
                "1. Machbarkeitsstudie Dreifachsporthalle Emst",
                "Beteiligt: 20 Fachbereich Finanzen und Controlling 52 Servicezentrum Sport",
            ],
        ),
        (
            "2013/0020-2013.toml",
            &[
                "Seite 4",
                "Stellenplan",
                "1. Personal und Organisation: Abbau von 350 Stellen",
            ],
        ),
    ];
    let inputs: Vec<_> = cases.iter().map(|(file, _)| papers.join(file)).collect();
    let r = run(drucksache()
        .arg("render")
        .args(&inputs)
        .arg("--out-dir")
        .arg(dir.path()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    for (file, phrases) in cases {
        let stem = std::path::Path::new(file)
            .file_stem()
            .unwrap()
            .to_str()
            .unwrap();
        let pdf = dir.path().join(format!("{stem}.pdf"));
        let all = text(&pdf, None);
        for phrase in phrases {
            assert!(
                all.contains(phrase),
                "{file}: missing {phrase:?} in:\n{all}"
            );
        }
    }
    let long = tool(
        "pdfinfo",
        &[dir.path().join("0020-2013.pdf").to_str().unwrap()],
    );
    let pages: u32 = long
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        pages >= 4,
        "long reasoning should run over several pages, got {pages}"
    );
}

#[test]
fn draft_needs_no_reference_and_says_entwurf() {
    if !have("pdftotext") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let record = seed_with(dir.path(), "draft.toml", |t| {
        t.replace("drucksachennummer = \"0310/2012\"\n", "")
    });
    let pdf = dir.path().join("d.pdf");

    let refused = run(drucksache().arg("render").arg(&record).arg("-o").arg(&pdf));
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("drucksachennummer: is required for a final rendering"),
        "{}",
        refused.stderr
    );
    assert!(!pdf.exists());

    render(&record, &pdf, &["--draft"]);
    let all = text(&pdf, None);
    assert!(all.contains("ENTWURF"), "{all}");
    assert!(all.contains("Drucksachennummer: ENTWURF"), "{all}");
}

#[test]
fn json_on_standard_input_renders_like_toml() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(seed()).unwrap();
    let value: toml::Value = toml::from_str(&text).unwrap();
    let mut json = serde_json::to_value(&value).unwrap();
    // TOML dates become JSON strings.
    fix_dates(&mut json);
    let from_toml = dir.path().join("t.pdf");
    let from_json = dir.path().join("j.pdf");
    render(&seed(), &from_toml, &[]);

    let mut child = drucksache()
        .args(["render", "-", "-o"])
        .arg(&from_json)
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(json.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(from_toml).unwrap(),
        std::fs::read(from_json).unwrap()
    );
}

fn fix_dates(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(s)) = map.get("$__toml_private_datetime") {
                *v = serde_json::Value::String(s.clone());
                return;
            }
            map.values_mut().for_each(fix_dates);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(fix_dates),
        _ => {}
    }
}

#[test]
fn coat_of_arms_from_the_configuration() {
    if !have("qpdf") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("tests/fixtures/wappen.svg"),
        dir.path().join("wappen.svg"),
    )
    .unwrap();
    let gemeinde =
        "[gemeinde]\nname = \"Stadt Hagen\"\nverwaltungsspitze = \"Der Oberbürgermeister\"\n";
    let (plain, arms) = (dir.path().join("plain.toml"), dir.path().join("arms.toml"));
    std::fs::write(&plain, gemeinde).unwrap();
    std::fs::write(&arms, format!("{gemeinde}wappen = \"wappen.svg\"\n")).unwrap();
    let (with, without) = (dir.path().join("w.pdf"), dir.path().join("n.pdf"));
    render(&seed(), &with, &["--config", arms.to_str().unwrap()]);
    render(&seed(), &without, &["--config", plain.to_str().unwrap()]);
    let (with_len, without_len) = (
        std::fs::metadata(&with).unwrap().len(),
        std::fs::metadata(&without).unwrap().len(),
    );
    assert!(
        with_len > without_len,
        "the coat of arms adds a drawing: {with_len} vs {without_len}"
    );
    tool("qpdf", &["--check", with.to_str().unwrap()]);
}

/// Every character validation lets through (`data/printable.txt`) renders into a PDF/A:
/// the fonts have it, and Typst's PDF/A export accepts it. Tab, carriage return and line feed
/// too, in a one-line field.
#[test]
fn every_printable_character_renders() {
    use drucksache::model::{Attachment, Paper, printable};
    use drucksache::render::{Letterhead, RenderOptions, Renderer};
    let seed = Paper::load(&seed()).unwrap();
    let renderer = Renderer::new(
        Letterhead {
            municipality: "Stadt Hagen".into(),
            head: "Der Oberbürgermeister".into(),
            coat_of_arms: None,
            seen_by: Vec::new(),
        },
        None,
    )
    .unwrap();
    let chars: Vec<char> = printable().filter(|c| !c.is_whitespace()).collect();
    assert!(chars.len() > 15_000, "{}", chars.len());
    let mut papers: Vec<Paper> = chars
        .chunks(2_500)
        .map(|chunk| {
            let mut paper = seed.clone();
            paper.attachments = chunk
                .chunks(250)
                .map(|title| Attachment {
                    title: title.iter().collect(),
                })
                .collect();
            paper
        })
        .collect();
    let mut spaces = seed.clone();
    spaces.subject = "Tab\tWagenrücklauf\r\nZeilenumbruch\nEnde".into();
    spaces.reasoning = "Absatz\r\nmit CRLF\tund Tab\r\n\r\nZweiter".into();
    papers.push(spaces);
    for (i, result) in renderer
        .render_all(&papers, &RenderOptions::default())
        .into_iter()
        .enumerate()
    {
        if let Err(e) = result {
            panic!("paper {i} ({:?}…): {e}", papers[i].attachments.first());
        }
    }
}
