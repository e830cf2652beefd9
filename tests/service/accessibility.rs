//! WCAG 2.1 AA in headless Chromium: axe-core (pinned in tests/axe, installed by `npm ci
//! --prefix tests/axe`) finds no violation on the search page, a result page, a paper page,
//! the Erklärung zur Barrierefreiheit and the 404 page at 1280 and 390 CSS pixels, and at 320
//! pixels no page scrolls sideways (WCAG 1.4.10 Reflow).

use std::path::Path;

use fantoccini::Client;
use serde_json::{Value, json};

use crate::chromium::{have_browser, serve, session};
use crate::common;
use crate::harness::Service;

/// The pages checked: what they are, their path and how their title starts (so an error
/// page in place of the page fails the test rather than being checked instead).
const PAGES: &[(&str, &str, &str)] = &[
    ("search page", "/", "Vorlagen suchen –"),
    (
        "result page",
        "/?q=Integrationskonzept",
        "Suche: Integrationskonzept –",
    ),
    (
        "paper page",
        "/vorlagen/0310-2012",
        "Beschlussvorlage 0310/2012: Integrationskonzept",
    ),
    (
        "Barrierefreiheit page",
        "/barrierefreiheit",
        "Erklärung zur Barrierefreiheit –",
    ),
    ("404 page", "/gibt-es-nicht", "Nicht gefunden –"),
];

/// The axe-core tags of WCAG 2.1 levels A and AA.
const TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/// The widths axe checks at: a desktop window and a phone.
const AXE_WIDTHS: [u32; 2] = [1280, 390];

/// The narrowest width every page must fit without scrolling sideways.
const REFLOW_WIDTH: u32 = 320;

/// The [portal] section of the checked service: the Erklärung as Markdown with a heading, a
/// list and a link, and the feedback address.
const PORTAL: &str = r#"
[portal]
barrierefreiheit = """
Die Stadt Hagen ist bemüht, ihr Ratsinformationsportal im Einklang mit der BITV 2.0
barrierefrei zugänglich zu machen.

## Stand der Vereinbarkeit

Dieses Portal ist **teilweise** vereinbar mit der [BITV 2.0](https://bitv.example/).

- Ältere Vorlagen liegen nur als PDF vor.
- Anlagen sind nicht immer barrierefrei.
"""
barrierefreiheit_kontakt = "barrierefreiheit@hagen.example"
"#;

/// A coat of arms for the header (taller than wide, as most are).
const COAT_OF_ARMS: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 12\"><path d=\"M0 0h10v7l-5 5-5-5z\" fill=\"#c00\"/></svg>\n";

/// axe-core's script; under `CI=true` its absence fails the test.
fn axe_script() -> Option<String> {
    let path = common::root().join("tests/axe/node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&path) {
        Ok(script) => Some(script),
        Err(e) => {
            let what = format!(
                "axe-core ({}: {e}; `npm ci --prefix tests/axe` installs it)",
                path.display()
            );
            common::present(false, &what);
            None
        }
    }
}

/// Runs axe with the WCAG 2.1 A/AA tags on the loaded page: each violation with its id,
/// impact, help and the CSS targets of its nodes, the number of rules that passed and the
/// ids of the rules that need a human to judge.
const RUN_AXE: &str = "
return axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}}).then(r => ({
  violations: r.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.join(' ')),
  })),
  passes: r.passes.length,
  incomplete: r.incomplete.map(v => v.id),
}));
";

/// Opens every `<details>` (the search filters, earlier renditions), as a reader can by
/// clicking its summary, so what they hold is checked too.
const OPEN_DETAILS: &str = "document.querySelectorAll('details').forEach(d => { d.open = true; });";

/// Sets the window `width` CSS pixels wide. Headless Chromium's window has no frame, so this
/// is the viewport's width; [`load`] asserts `window.innerWidth` on every page.
async fn set_viewport_width(
    client: &Client,
    width: u32,
) -> Result<(), fantoccini::error::CmdError> {
    client.set_window_size(width, 900).await
}

/// `window.innerWidth`, the viewport's width in CSS pixels.
async fn inner_width(client: &Client) -> Result<u64, fantoccini::error::CmdError> {
    Ok(client
        .execute("return window.innerWidth;", vec![])
        .await?
        .as_u64()
        .expect("innerWidth is a number"))
}

/// Loads `path` and checks that it is the page `title` names and that the viewport is `width`
/// wide, with every `<details>` opened.
async fn load(
    client: &Client,
    base: &str,
    (what, path, title): (&str, &str, &str),
    width: u32,
) -> Result<(), fantoccini::error::CmdError> {
    client.goto(&format!("{base}{path}")).await?;
    let shown = client.title().await?;
    assert!(
        shown.starts_with(title),
        "{what} {path}: the title is {shown:?}"
    );
    assert_eq!(
        inner_width(client).await?,
        u64::from(width),
        "{what} {path}: window.innerWidth"
    );
    client.execute(OPEN_DETAILS, vec![]).await?;
    Ok(())
}

/// One line per violation: rule, impact, help and the nodes it found.
fn describe(violations: &[Value]) -> String {
    violations
        .iter()
        .map(|v| {
            let targets: Vec<&str> = v["targets"]
                .as_array()
                .map(|t| t.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            format!(
                "    {} ({}): {} at {}",
                v["id"].as_str().unwrap_or("?"),
                v["impact"].as_str().unwrap_or("?"),
                v["help"].as_str().unwrap_or("?"),
                targets.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every failure found, at every width and page, so one run shows them all.
async fn check_all(
    client: &Client,
    base: &str,
    axe: &str,
) -> Result<Vec<String>, fantoccini::error::CmdError> {
    let mut failures = Vec::new();
    for width in AXE_WIDTHS {
        set_viewport_width(client, width).await?;
        for &page in PAGES {
            let (what, path, _) = page;
            load(client, base, page, width).await?;
            client.execute(axe, vec![]).await?;
            let result = client.execute(RUN_AXE, vec![json!(TAGS)]).await?;
            let violations = result["violations"].as_array().expect("violations");
            assert!(
                result["passes"].as_u64().is_some_and(|n| n > 0),
                "{what} {path} at {width} px: axe ran no rule: {result}"
            );
            if !violations.is_empty() {
                failures.push(format!(
                    "{what} {path} at {width} px: {} violations\n{}",
                    violations.len(),
                    describe(violations)
                ));
            }
            let incomplete = &result["incomplete"];
            if incomplete.as_array().is_some_and(|i| !i.is_empty()) {
                eprintln!("{what} {path} at {width} px: axe asks a human to judge {incomplete}");
            }
        }
    }
    set_viewport_width(client, REFLOW_WIDTH).await?;
    for &page in PAGES {
        let (what, path, _) = page;
        load(client, base, page, REFLOW_WIDTH).await?;
        let scroll_width = client
            .execute("return document.documentElement.scrollWidth;", vec![])
            .await?
            .as_u64()
            .expect("scrollWidth is a number");
        if scroll_width > u64::from(REFLOW_WIDTH) {
            failures.push(format!(
                "{what} {path} at {REFLOW_WIDTH} px scrolls sideways: scrollWidth {scroll_width}"
            ));
        }
    }
    Ok(failures)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_meet_wcag_2_1_aa_and_reflow_to_320_pixels() {
    if !have_browser() {
        return;
    }
    let Some(axe) = axe_script() else {
        return;
    };
    let service = Service::start_adjusted(
        drucksache::model::Clock::system(),
        PORTAL,
        |settings, dir: &Path| {
            let file = dir.join("wappen.svg");
            std::fs::write(&file, COAT_OF_ARMS).unwrap();
            settings.letterhead.coat_of_arms = Some(file);
        },
        |_| {},
    );
    let port = serve(service.router.clone()).await;
    let base = format!("http://127.0.0.1:{port}");

    let session = session().await;
    let result = check_all(&session.client, &base, &axe).await;
    session.close().await;
    let failures = result.expect("the browser walk");
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
