//! The real binary on a socket: no request takes the process down. Deeply nested Markdown and
//! JSON, runaway emphasis and the like are refused (4xx) or rendered, and afterwards the same
//! process still answers `/healthz`.

use crate::harness::{Served, paper_json};

/// Begründungen that once overflowed a thread's stack or failed inside the template.
fn hostile_reasonings() -> Vec<(&'static str, String)> {
    vec![
        ("20,000 nested quotes", ">".repeat(20_000) + " tief"),
        ("64 nested quotes", ">".repeat(64) + " tief"),
        ("16 nested quotes", ">".repeat(16) + " tief"),
        (
            "100,000 asterisks around a word",
            "*".repeat(100_000) + "x" + &"*".repeat(100_000),
        ),
        ("5,000 nested lists", "- ".repeat(5_000) + "x"),
        ("5,000 nested ordered lists", "1. ".repeat(5_000) + "x"),
        (
            "10,000 nested links",
            "[".repeat(10_000) + "x" + &"](a)".repeat(10_000),
        ),
        (
            "nested emphasis of every kind",
            "**_*".repeat(3_000) + "x" + &"*_**".repeat(3_000),
        ),
        ("quotes inside list items", "- > ".repeat(3_000) + "x"),
    ]
}

#[test]
fn no_request_takes_the_process_down() {
    let mut served = Served::start("", &[]);
    let pid = served.child.id();
    for (what, reasoning) in hostile_reasonings() {
        let mut paper = paper_json("Feindliche Verschachtelung");
        paper["begruendung"] = reasoning.into();
        let body = serde_json::to_vec(&paper).unwrap();
        for path in ["/api/v1/papers", "/api/v1/preview"] {
            let (status, head, answer) = served.call("POST", path, Some(&body));
            assert!(
                served.alive(),
                "{what} to {path} killed the server:\n{}",
                served.log()
            );
            assert!(
                status == 422 || status == 201 || status == 200,
                "{what} to {path}: {head}\n{}",
                String::from_utf8_lossy(&answer)
            );
            if status == 422 {
                let json: serde_json::Value = serde_json::from_slice(&answer).unwrap();
                assert_eq!(json["errors"][0]["path"], "begruendung", "{what}: {json}");
                assert!(
                    json["errors"][0]["message"]
                        .as_str()
                        .unwrap()
                        .contains("nested"),
                    "{what}: {json}"
                );
            }
            assert!(served.healthy(), "{what} to {path}: /healthz");
        }
    }
    // JSON nested far deeper than any paper: a clear 400, no stack overflow in the parser.
    for deep in [
        format!(
            "{{\"betreff\": {}{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
        format!("{}{}", "{\"a\":".repeat(50_000), "}".repeat(50_000)),
    ] {
        for path in ["/api/v1/papers", "/api/v1/preview"] {
            let (status, head, _) = served.call("POST", path, Some(deep.as_bytes()));
            assert!(served.alive(), "deep JSON to {path} killed the server");
            assert!(
                status == 400 || status == 422,
                "deep JSON to {path}: {head}"
            );
        }
    }
    // Nesting up to the limit is a paper like any other: it renders, through the writer and
    // through the preview.
    let limit = drucksache::model::limits::NESTING;
    for (what, reasoning) in [
        ("quotes", ">".repeat(limit) + " tief"),
        ("lists", "- ".repeat(limit) + "tief"),
        ("ordered lists", "1. ".repeat(limit) + "tief"),
        ("quotes in lists", "- > ".repeat(limit / 2) + "tief"),
        (
            "emphasis and links in lists and quotes",
            "> - > - **_[*tief* unten](https://rat.example/)_**".to_string(),
        ),
    ] {
        assert_eq!(
            drucksache::model::richtext::nesting(&reasoning),
            limit,
            "{what}"
        );
        let mut paper = paper_json("Verschachtelt bis zur Grenze");
        paper["begruendung"] = reasoning.into();
        let body = serde_json::to_vec(&paper).unwrap();
        for (path, expected) in [("/api/v1/papers", 201), ("/api/v1/preview", 200)] {
            let (status, head, answer) = served.call("POST", path, Some(&body));
            assert_eq!(
                status,
                expected,
                "{what} to {path}: {head}\n{}",
                String::from_utf8_lossy(&answer)
            );
        }
    }
    assert!(served.healthy());
    assert_eq!(served.child.id(), pid, "the same process answers");
    // Nothing the refusals touched is half-written.
    served.assert_check();
}
