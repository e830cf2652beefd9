//! Fuzzes reading and validating a record (TOML, or JSON when it starts with `{`): never a
//! panic, and a record that validation accepts keeps its promises: every Markdown field
//! parses into a tree at most `richtext::MAX_NESTING` deep, and no string field holds a
//! character that `first_unprintable` refuses.
#![no_main]

use drucksache::model::richtext::{self, MAX_NESTING};
use drucksache::model::{Format, Paper, SourceText, first_unprintable};
use drucksache_fuzz::blocks_depth;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (format, name) = match data.first() {
        Some(b'{') => (Format::Json, "fuzz.json"),
        _ => (Format::Toml, "fuzz.toml"),
    };
    let source = match SourceText::from_bytes(name.to_string(), format, data.to_vec()) {
        Ok(source) => source,
        Err(err) => {
            let _ = err.to_string();
            return;
        }
    };
    match Paper::from_source(&source) {
        // The messages (positions, shortened values) are part of what is checked.
        Err(err) => {
            let _ = err.to_string();
        }
        Ok(paper) => check(&paper),
    }
});

fn check(paper: &Paper) {
    let mut markdown: Vec<(&str, &str)> = vec![("begruendung", &paper.reasoning)];
    if let Some(summary) = &paper.summary {
        markdown.push(("kurzfassung", summary));
    }
    for item in &paper.resolution {
        markdown.push(("beschlussvorschlag[]", item));
    }
    if let Some(text) = &paper.financial_impact.text {
        markdown.push(("finanzielle_auswirkungen.text", text));
    }
    for (field, text) in &markdown {
        let tree = richtext::parse(text);
        let depth = blocks_depth(&tree);
        assert!(
            depth <= MAX_NESTING,
            "{field}: accepted, but its tree is {depth} deep: {text:?}"
        );
    }

    let mut strings: Vec<(&str, &str)> = markdown;
    strings.push(("betreff", &paper.subject));
    strings.push(("amt.nummer", &paper.department.number));
    strings.push(("amt.name", &paper.department.name));
    for d in &paper.involved {
        strings.push(("beteiligt[].nummer", &d.number));
        strings.push(("beteiligt[].name", &d.name));
    }
    for c in &paper.consultations {
        strings.push(("beratungsfolge[].gremium", &c.body));
    }
    for s in &paper.signatories {
        strings.push(("unterschriften[].name", &s.name));
        strings.push(("unterschriften[].funktion", &s.function));
    }
    for a in &paper.attachments {
        strings.push(("anlagen[].titel", &a.title));
    }
    for g in &paper.routing.countersigned_by {
        strings.push(("verfuegung.gegenzeichen[]", g));
    }
    for c in &paper.routing.copies {
        strings.push(("verfuegung.beschlussausfertigungen[].amt", &c.amt));
    }
    for (field, value) in [
        ("drucksachennummer", &paper.reference),
        ("beschlussfassung", &paper.deciding_body),
        ("bezug", &paper.supplements),
    ] {
        if let Some(value) = value {
            strings.push((field, value));
        }
    }
    for (field, text) in strings {
        assert!(
            first_unprintable(text).is_none(),
            "{field}: accepted with an unprintable character: {text:?}"
        );
    }
}
