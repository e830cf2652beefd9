//! OParl 1.1: every response validates against the schema (tests/fixtures/oparl-1.1), paging
//! walks the whole list, filters, deleted objects.

use axum::http::{Method, StatusCode};
use serde_json::Value;

use crate::harness::{BASE, Service, oparl_problems, paper_json};

pub fn path(url: &str) -> &str {
    url.strip_prefix(BASE)
        .unwrap_or_else(|| panic!("{url} is not below {BASE}"))
}

pub async fn object(service: &Service, url: &str) -> Value {
    let answer = service.get(path(url)).await;
    assert_eq!(answer.status, StatusCode::OK, "{url}: {}", answer.text());
    let json = answer.json();
    let problems = oparl_problems(&json);
    assert!(problems.is_empty(), "{url}:\n{}", problems.join("\n"));
    json
}

/// Walks a list through its `next` links; checks every page's shape and every object.
pub async fn walk(service: &Service, url: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut next = Some(url.to_string());
    let mut total = None;
    let mut pages = 0;
    while let Some(url) = next {
        let answer = service.get(path(&url)).await;
        assert_eq!(answer.status, StatusCode::OK, "{url}");
        let page = answer.json();
        let pagination = &page["pagination"];
        total.get_or_insert(pagination["totalElements"].as_u64().unwrap());
        assert_eq!(pagination["currentPage"].as_u64().unwrap(), pages + 1);
        for item in page["data"].as_array().unwrap() {
            let problems = oparl_problems(item);
            assert!(problems.is_empty(), "{url}:\n{}", problems.join("\n"));
            all.push(item.clone());
        }
        pages += 1;
        next = page["links"]["next"].as_str().map(str::to_string);
        assert!(pages < 100, "paging does not end");
    }
    assert_eq!(all.len() as u64, total.unwrap(), "{url}: totalElements");
    all
}

#[tokio::test]
async fn every_object_validates_and_paging_walks_the_whole_list() {
    let service = Service::start();
    for i in 0..4 {
        service
            .create(&paper_json(&format!("OParl-Test {i}")))
            .await;
    }
    let system = object(&service, &format!("{BASE}/oparl/v1/system")).await;
    assert_eq!(system["oparlVersion"], "https://schema.oparl.org/1.1/");
    let bodies = walk(&service, system["body"].as_str().unwrap()).await;
    assert_eq!(bodies.len(), 1);
    let body = object(&service, bodies[0]["id"].as_str().unwrap()).await;
    assert_eq!(body["name"], "Stadt Hagen");

    // 5 public tracked papers + 4 new ones, three to a page.
    let papers = walk(
        &service,
        &format!("{}?limit=3", body["paper"].as_str().unwrap()),
    )
    .await;
    assert_eq!(papers.len(), 9);
    let mut ids: Vec<&str> = papers.iter().map(|p| p["id"].as_str().unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 9, "no paper twice");
    let default_paged = walk(&service, body["paper"].as_str().unwrap()).await;
    assert_eq!(default_paged.len(), 9);

    for paper in &papers {
        let again = object(&service, paper["id"].as_str().unwrap()).await;
        assert_eq!(&again, paper);
        let file = object(&service, paper["mainFile"]["id"].as_str().unwrap()).await;
        assert_eq!(file["sha512Checksum"].as_str().unwrap().len(), 128);
        let pdf = service.get(path(file["accessUrl"].as_str().unwrap())).await;
        assert_eq!(pdf.status, StatusCode::OK);
        assert_eq!(
            drucksache::archive::sha512_hex(&pdf.body),
            file["sha512Checksum"]
        );
        assert_eq!(pdf.body.len() as u64, file["size"].as_u64().unwrap());
        for consultation in paper["consultation"].as_array().unwrap() {
            object(&service, consultation["id"].as_str().unwrap()).await;
            for organization in consultation["organization"].as_array().unwrap() {
                object(&service, organization.as_str().unwrap()).await;
            }
        }
    }
    let seed = papers
        .iter()
        .find(|p| p["reference"] == "0310/2012")
        .unwrap();
    assert_eq!(seed["subordinatedPaper"].as_array().unwrap().len(), 1);
    assert!(
        seed["mainFile"]["text"]
            .as_str()
            .unwrap()
            .contains("Integrationskonzept")
    );

    let organizations = walk(&service, body["organization"].as_str().unwrap()).await;
    assert!(
        organizations
            .iter()
            .any(|o| o["name"] == "Rat der Stadt Hagen")
    );
    assert!(
        walk(&service, body["person"].as_str().unwrap())
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn filters_and_deleted_papers() {
    let service = Service::start();
    let list = format!("{BASE}/oparl/v1/body/1/paper");
    let before = walk(&service, &list).await.len();
    let reference = service.create(&paper_json("Wird zurückgezogen")).await;
    let slug = reference.replace('/', "-");

    let created: Vec<Value> = walk(&service, &list)
        .await
        .into_iter()
        .filter(|p| p["reference"] == reference.as_str())
        .collect();
    let since = created[0]["created"].as_str().unwrap().to_string();
    let recent = walk(
        &service,
        &format!("{list}?created_since={}", urlencode(&since)),
    )
    .await;
    // Inclusive, to the second (OParl 1.1.1 writes whole seconds): the new paper, and only
    // papers created in that second or later.
    assert!(
        recent.iter().any(|p| p["reference"] == reference.as_str()),
        "{recent:#?}"
    );
    assert!(
        recent
            .iter()
            .all(|p| p["created"].as_str().unwrap() >= since.as_str()),
        "{recent:#?}"
    );
    assert!(recent.len() <= before + 1);
    assert!(
        walk(
            &service,
            &format!("{list}?modified_until=2000-01-01T00:00:00Z")
        )
        .await
        .is_empty()
    );
    let bad = service
        .get("/oparl/v1/body/1/paper?modified_since=gestern")
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.json()["errors"][0]["path"], "modified_since");
    for bad in ["limit=0", "limit=100000", "page=0", "page=x"] {
        let answer = service.get(&format!("/oparl/v1/body/1/paper?{bad}")).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}");
    }

    let file_id = created[0]["mainFile"]["id"].as_str().unwrap().to_string();
    let consultation_id = created[0]["consultation"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let file = object(&service, &file_id).await;
    assert_eq!(file["deleted"], false);
    let access = path(file["accessUrl"].as_str().unwrap()).to_string();
    assert_eq!(service.get(&access).await.status, StatusCode::OK);
    let answer = service
        .admin(
            Method::POST,
            &format!("/api/v1/papers/{slug}/withdraw"),
            Some(br#"{"grund": "Doppelt eingereicht"}"#.to_vec()),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    // OParl 1.1 §2-05: a deleted object is listed only to a client that asks for changes
    // (`modified_since`), never in the plain list.
    let after = walk(&service, &list).await;
    assert_eq!(after.len(), before, "{after:#?}");
    assert!(after.iter().all(|p| p["deleted"] != true), "{after:#?}");
    let changed = walk(
        &service,
        &format!("{list}?modified_since={}", urlencode(&since)),
    )
    .await;
    let deleted: Vec<&Value> = changed.iter().filter(|p| p["deleted"] == true).collect();
    assert_eq!(deleted.len(), 1, "{changed:#?}");
    assert_eq!(deleted[0]["id"], created[0]["id"]);
    // Its File and its Consultations are gone with it, changed when it was withdrawn.
    for id in [&file_id, &consultation_id] {
        let gone = object(&service, id).await;
        assert_eq!(gone["deleted"], true, "{gone:#}");
        assert_eq!(gone["modified"], deleted[0]["modified"], "{gone:#}");
        assert!(
            gone.get("text").is_none() && gone.get("accessUrl").is_none(),
            "{gone:#}"
        );
    }
    assert!(
        deleted[0].get("reference").is_none(),
        "deleted objects carry only their id"
    );
    // Its PDF is gone from the public with the File: 410 where it was served, and the page
    // (which stays, marked withdrawn) links no PDF.
    for url in [access.clone(), format!("/vorlagen/{slug}/pdf")] {
        let gone = service.get(&url).await;
        assert_eq!(gone.status, StatusCode::GONE, "{url}");
        assert!(gone.text().contains("zurückgezogen"), "{url}");
    }
    let page = service.get(&format!("/vorlagen/{slug}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("zurückgezogen"));
    assert!(!page.text().contains("id=\"pdf\""), "{}", page.text());
}

fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("", text)]).unwrap()[1..].to_string()
}

/// A legacy paper (imported from a text dump) has its rendering as `mainFile` and its
/// original as an `auxiliaryFile`, both valid Files whose access URLs serve them; the paper
/// page links the original.
#[tokio::test]
async fn a_legacy_papers_original_is_an_auxiliary_file_and_on_its_page() {
    let text = std::fs::read_to_string(
        crate::common::root().join("tests/fixtures/legacy/hagen-0310-2012.txt"),
    )
    .unwrap()
    .replace("0310/2012", "0999/2012");
    let input = tempfile::tempdir().unwrap();
    let file = input.path().join("altbestand-0999.txt");
    std::fs::write(&file, &text).unwrap();
    let service = Service::start_prepared(drucksache::model::Clock::system(), |settings| {
        let mut publisher = drucksache::publish::Publisher::open(settings).unwrap();
        let outcome = publisher.import_legacy(&file, None).unwrap();
        assert!(
            matches!(outcome, drucksache::publish::LegacyOutcome::Imported(ref r) if r == "0999/2012"),
            "{outcome:?}"
        );
    });

    let papers = walk(&service, &format!("{BASE}/oparl/v1/body/1/paper")).await;
    let paper = papers
        .iter()
        .find(|p| p["reference"] == "0999/2012")
        .expect("the legacy paper is in OParl");
    assert_eq!(paper["mainFile"]["mimeType"], "application/pdf");
    let original = &paper["auxiliaryFile"][0];
    let problems = oparl_problems(original);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let sha = drucksache::archive::sha512_hex(text.as_bytes());
    assert_eq!(original["sha512Checksum"], sha.as_str());
    assert_eq!(original["mimeType"], "text/plain");
    assert_eq!(original["size"], text.len());
    // The File object under its own id, and the bytes under its access URL.
    let same = object(&service, original["id"].as_str().unwrap()).await;
    assert_eq!(&same, original);
    let served = service
        .get(path(original["accessUrl"].as_str().unwrap()))
        .await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.headers["content-type"], "text/plain; charset=utf-8");
    assert_eq!(served.body, text.as_bytes(), "the original, unchanged");

    let page = service.get("/vorlagen/0999-2012").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    let link = path(original["accessUrl"].as_str().unwrap());
    assert!(html.contains("Altbestand"), "{html}");
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");

    // A file id that is no original is not found.
    let missing = service.get("/oparl/v1/file/original-999999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let garbage = service.get("/oparl/v1/file/original-x").await;
    assert_eq!(garbage.status, StatusCode::NOT_FOUND);
}

/// A legacy paper that cannot be structured with certainty is archived meanwhile as "nicht
/// strukturiert": in OParl its original is the `mainFile` (with its extracted text), its page
/// shows what is known and the text, the search finds it by that text; once its reviewed
/// draft is accepted it is the same OParl Paper with a rendering as `mainFile`.
#[tokio::test]
async fn an_unstructured_legacy_paper_is_public_searchable_and_becomes_structured_on_accept() {
    let text = std::fs::read_to_string(
        crate::common::root().join("tests/fixtures/legacy/hagen-0310-2012.txt"),
    )
    .unwrap()
    .replace("0310/2012", "0998/2012")
    .replace(
        "28.06.2012\tRat der Stadt Hagen",
        "31.06.2012\tRat der Stadt Hagen",
    );
    let input = tempfile::tempdir().unwrap();
    let review = input.path().join("pruefung");
    let file = input.path().join("altbestand-0998.txt");
    std::fs::write(&file, &text).unwrap();
    let service = Service::start_prepared(drucksache::model::Clock::system(), |settings| {
        let mut publisher = drucksache::publish::Publisher::open(settings).unwrap();
        let outcome = publisher.import_legacy(&file, Some(&review)).unwrap();
        assert!(
            matches!(
                &outcome,
                drucksache::publish::LegacyOutcome::ToReview { legacy: Ok(r), .. } if r == "0998/2012"
            ),
            "{outcome:?}"
        );
    });

    let papers = walk(&service, &format!("{BASE}/oparl/v1/body/1/paper")).await;
    let paper = papers
        .iter()
        .find(|p| p["reference"] == "0998/2012")
        .expect("the legacy paper is in OParl")
        .clone();
    let problems = oparl_problems(&paper);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(paper["name"], "Integrationskonzept für die Stadt Hagen");
    assert_eq!(paper["date"], "2012-04-25");
    assert!(
        paper["keyword"]
            .as_array()
            .unwrap()
            .contains(&Value::from("nicht strukturiert")),
        "{paper:#}"
    );
    let main = &paper["mainFile"];
    assert_eq!(main["mimeType"], "text/plain", "{paper:#}");
    assert_eq!(
        main["sha512Checksum"],
        drucksache::archive::sha512_hex(text.as_bytes()).as_str()
    );
    assert!(
        main["text"]
            .as_str()
            .unwrap()
            .contains("Resultierend aus der Beschlussfassung"),
        "{main:#}"
    );
    assert!(paper.get("auxiliaryFile").is_none(), "{paper:#}");
    assert_eq!(&object(&service, main["id"].as_str().unwrap()).await, main);

    let page = service.get("/vorlagen/0998-2012").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("nicht strukturiert"), "{html}");
    assert!(
        html.contains("Resultierend aus der Beschlussfassung"),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            "href=\"{}\"",
            path(main["accessUrl"].as_str().unwrap())
        )),
        "{html}"
    );
    assert!(!html.contains("Vorlage als PDF"), "{html}");
    let pdf = service.get("/vorlagen/0998-2012/pdf").await;
    assert_eq!(pdf.status, StatusCode::NOT_FOUND);
    let found = service.get("/api/v1/search?q=resultierend").await;
    assert_eq!(found.status, StatusCode::OK);
    assert!(found.text().contains("0998/2012"), "{}", found.text());

    // The clerk adds the session that had an impossible date, and accepts the draft.
    let draft_path = review.join("altbestand-0998.toml");
    let draft = std::fs::read_to_string(&draft_path).unwrap();
    let edited = draft.replace(
        "  { datum = 2012-06-14, gremium = \"Haupt- und Finanzausschuss\" },\n",
        "  { datum = 2012-06-14, gremium = \"Haupt- und Finanzausschuss\" },\n  { datum = 2012-06-28, gremium = \"Rat der Stadt Hagen\" },\n",
    );
    assert_ne!(edited, draft, "{draft}");
    std::fs::write(&draft_path, edited).unwrap();
    let accepted = crate::common::run(
        crate::common::drucksache()
            .env("DRUCKSACHE_ARCHIVE", service.archive())
            .args(["import", "--accept", review.to_str().unwrap()]),
    );
    assert_eq!(accepted.code, 0, "{}{}", accepted.stdout, accepted.stderr);

    let structured = object(&service, paper["id"].as_str().unwrap()).await;
    let problems = oparl_problems(&structured);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(structured["mainFile"]["mimeType"], "application/pdf");
    assert_eq!(structured["auxiliaryFile"][0]["id"], main["id"]);
    assert!(structured.get("keyword").is_none(), "{structured:#}");
    let page = service.get("/vorlagen/0998-2012").await;
    assert!(page.text().contains("Vorlage als PDF"), "{}", page.text());
}

/// OParl 1.1.1 §3: every object, embedded ones too, has `created` and `modified`, written
/// `yyyy-mm-ddThh:mm:ss±hh:mm`; every list's `first`, `last` and `self` links lead somewhere
/// (the empty person and meeting lists lost their `/oparl/v1` once).
#[tokio::test]
async fn every_object_has_created_and_modified_as_1_1_1_writes_them_and_list_links_resolve() {
    let service = Service::start();
    service.create(&paper_json("OParl-Zeiten")).await;
    fn check_times(value: &Value, at: &str) {
        match value {
            Value::Object(map) => {
                if map.contains_key("type") && map.contains_key("id") {
                    for key in ["created", "modified"] {
                        let time = map
                            .get(key)
                            .and_then(Value::as_str)
                            .unwrap_or_else(|| panic!("{at}: {} has no {key}", map["id"]));
                        let b = time.as_bytes();
                        let shape = time.len() == 25
                            && b.iter().enumerate().all(|(i, c)| match i {
                                4 | 7 => *c == b'-',
                                10 => *c == b'T',
                                13 | 16 | 22 => *c == b':',
                                19 => *c == b'+' || *c == b'-',
                                _ => c.is_ascii_digit(),
                            });
                        assert!(shape, "{at}: {} {key} = {time}", map["id"]);
                    }
                }
                for (key, item) in map {
                    check_times(item, &format!("{at}.{key}"));
                }
            }
            Value::Array(items) => items.iter().for_each(|i| check_times(i, at)),
            _ => {}
        }
    }
    let system = object(&service, &format!("{BASE}/oparl/v1/system")).await;
    check_times(&system, "system");
    let body = object(&service, &format!("{BASE}/oparl/v1/body/1")).await;
    check_times(&body, "body");
    for list in [
        "paper",
        "organization",
        "person",
        "meeting",
        "agendaItem",
        "consultation",
        "membership",
        "locationList",
        "legislativeTermList",
    ] {
        let url = body[list].as_str().unwrap().to_string();
        let page = service.get(path(&url)).await;
        assert_eq!(page.status, StatusCode::OK, "{url}");
        let page = page.json();
        check_times(&page["data"], &url);
        for link in ["first", "last", "self"] {
            let to = page["links"][link].as_str().unwrap();
            let answer = service.get(path(to)).await;
            assert_eq!(answer.status, StatusCode::OK, "{url} links.{link} = {to}");
        }
        for item in page["data"].as_array().unwrap() {
            let id = item["id"].as_str().unwrap();
            check_times(&object(&service, id).await, id);
        }
    }
}

/// The Organization list is paged and filtered like the paper list: a bad filter is a 400
/// naming it, `modified_since` after the last change gives nothing, `limit` pages it.
#[tokio::test]
async fn the_organization_list_takes_the_filters_and_paging_of_every_list() {
    let service = Service::start();
    let list = format!("{BASE}/oparl/v1/body/1/organization");
    let all = walk(&service, &list).await;
    assert!(all.len() > 2, "{all:#?}");
    let bad = service
        .get("/oparl/v1/body/1/organization?modified_since=gestern")
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.json()["errors"][0]["path"], "modified_since");
    let later = walk(
        &service,
        &format!("{list}?modified_since=2999-01-01T00:00:00%2B00:00"),
    )
    .await;
    assert!(later.is_empty(), "{later:#?}");
    let earlier = walk(
        &service,
        &format!("{list}?modified_since=2000-01-01T00:00:00%2B00:00"),
    )
    .await;
    assert_eq!(earlier.len(), all.len());
    let paged = walk(&service, &format!("{list}?limit=1")).await;
    assert_eq!(
        paged, all,
        "one per page, the same organizations in the same order"
    );
}

/// `[oparl]` gives System its licence, contact, vendor and product and Body its
/// Amtlicher Gemeindeschlüssel; both still validate.
#[tokio::test]
async fn system_and_body_carry_the_configured_licence_contact_and_ags() {
    let service = Service::start_configured(
        drucksache::model::Clock::system(),
        "\n[oparl]\nlizenz = \"https://lizenz.example/cc-by-4.0/\"\n\
         kontakt_email = \"ratsinfo@hagen.de\"\nkontakt_name = \"Ratsbüro\"\n\
         anbieter = \"https://drucksache.example/\"\nprodukt = \"https://drucksache.example/oparl\"\n\
         ags = \"05914000\"\n",
        |_| {},
    );
    let system = object(&service, &format!("{BASE}/oparl/v1/system")).await;
    assert_eq!(system["license"], "https://lizenz.example/cc-by-4.0/");
    assert_eq!(system["contactEmail"], "ratsinfo@hagen.de");
    assert_eq!(system["contactName"], "Ratsbüro");
    assert_eq!(system["vendor"], "https://drucksache.example/");
    assert_eq!(system["product"], "https://drucksache.example/oparl");
    let body = object(&service, &format!("{BASE}/oparl/v1/body/1")).await;
    assert_eq!(body["ags"], "05914000");
    assert_eq!(body["contactEmail"], "ratsinfo@hagen.de");
    // Without the section the keys are left out, not empty.
    let plain = Service::start();
    let system = object(&plain, &format!("{BASE}/oparl/v1/system")).await;
    assert!(system.get("license").is_none(), "{system:#}");
}

/// The Body's consultation list holds exactly the Consultations embedded in the listed
/// papers, paged like every list, each under its own id; a withdrawn paper's only as deleted
/// objects and only with `modified_since`.
#[tokio::test]
async fn the_consultation_list_is_the_papers_consultations() {
    let service = Service::start();
    let body = object(&service, &format!("{BASE}/oparl/v1/body/1")).await;
    let papers = walk(&service, body["paper"].as_str().unwrap()).await;
    let embedded: Vec<Value> = papers
        .iter()
        .flat_map(|p| p["consultation"].as_array().cloned().unwrap_or_default())
        .collect();
    assert!(embedded.len() > 10, "{}", embedded.len());
    let url = body["consultation"].as_str().unwrap().to_string();
    let listed = walk(&service, &format!("{url}?limit=7")).await;
    assert_eq!(listed, embedded);
    assert_eq!(
        &object(&service, listed[3]["id"].as_str().unwrap()).await,
        &listed[3]
    );

    let record = paper_json("Beraten, dann zurückgezogen");
    let steps = record["beratungsfolge"].as_array().unwrap().len();
    let reference = service.create(&record).await;
    let slug = reference.replace('/', "-");
    let answer = service
        .admin(
            Method::POST,
            &format!("/api/v1/papers/{slug}/withdraw"),
            Some(br#"{"grund": "Doppelt"}"#.to_vec()),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        walk(&service, &url).await,
        embedded,
        "not in the plain list"
    );
    let changed = walk(
        &service,
        &format!("{url}?modified_since=2000-01-01T00:00:00%2B00:00"),
    )
    .await;
    let gone: Vec<&Value> = changed.iter().filter(|c| c["deleted"] == true).collect();
    assert_eq!(gone.len(), steps, "{gone:#?}");
    let bad = service.get("/oparl/v1/body/1/consultation?limit=0").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

/// The configured Gremien: an other name is the Gremium it stands for (one Organization under
/// its `kennung`, one meeting a day), and a new paper naming no Gremium of the list is refused
/// with the closest name, allocating nothing.
#[tokio::test]
async fn configured_gremien_give_stable_ids_join_other_names_and_refuse_unknown_ones() {
    let mut gremien = String::new();
    for (id, name, others) in [
        ("rat", "Rat der Stadt Hagen", "\"Rat der Stadt\""),
        ("integrationsrat", "Integrationsrat", ""),
        ("sport", "Sport- und Freizeitausschuss", ""),
        ("soziales", "Sozialausschuss", "\"Ausschuss für Soziales\""),
        ("kultur", "Kultur- und Weiterbildungsausschuss", ""),
        ("schule", "Schulausschuss", ""),
        ("jugendhilfe", "Jugendhilfeausschuss", ""),
        ("hfa", "Haupt- und Finanzausschuss", ""),
    ] {
        gremien.push_str(&format!(
            "\n[[gremium]]\nkennung = \"{id}\"\nname = \"{name}\"\nandere_namen = [{others}]\n"
        ));
    }
    let service = Service::start_configured(drucksache::model::Clock::system(), &gremien, |_| {});
    let mut paper = paper_json("Mit anderen Namen");
    paper["beratungsfolge"][2]["gremium"] = "Ausschuss für Soziales".into();
    paper["beschlussfassung"] = "Rat der Stadt".into();
    paper["beratungsfolge"][7]["gremium"] = "Rat der Stadt".into();
    let reference = service.create(&paper).await;
    let twin = service
        .create(&paper_json("Am selben Tag, mit dem Namen"))
        .await;

    let papers = walk(&service, &format!("{BASE}/oparl/v1/body/1/paper")).await;
    let ours = |r: &str| papers.iter().find(|p| p["reference"] == r).unwrap().clone();
    let (ours, twin) = (ours(&reference), ours(&twin));
    let step = &ours["consultation"][2];
    assert_eq!(
        step["organization"][0],
        format!("{BASE}/oparl/v1/organization/soziales")
    );
    assert_eq!(step["meeting"], twin["consultation"][2]["meeting"]);
    let meeting = object(&service, step["meeting"].as_str().unwrap()).await;
    assert_eq!(meeting["name"], "Sitzung Sozialausschuss");
    assert_eq!(meeting["agendaItem"].as_array().unwrap().len(), 2);
    // The deciding body by its other name is still the deciding one.
    let last = ours["consultation"].as_array().unwrap().last().unwrap();
    assert_eq!(last["authoritative"], true, "{last:#}");
    let organizations = walk(&service, &format!("{BASE}/oparl/v1/body/1/organization")).await;
    let named: Vec<&str> = organizations
        .iter()
        .filter(|o| o["organizationType"] == "Gremium")
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        named.iter().filter(|n| n.starts_with("Sozial")).count(),
        1,
        "{named:?}"
    );
    assert!(!named.contains(&"Ausschuss für Soziales"), "{named:?}");
    object(&service, &format!("{BASE}/oparl/v1/organization/rat")).await;

    let before = service.paper_count().await;
    let mut wrong = paper_json("Mit einem Tippfehler");
    wrong["beratungsfolge"][2]["gremium"] = "Sozialauschuss".into();
    let answer = service.post_paper(&wrong).await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.text()
    );
    let error = &answer.json()["errors"][0];
    assert_eq!(error["path"], "beratungsfolge[2].gremium", "{error:#}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("did you mean \"Sozialausschuss\""),
        "{error:#}"
    );
    assert_eq!(service.paper_count().await, before, "nothing allocated");
}
