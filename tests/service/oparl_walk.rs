//! OParl 1.1 as an importer reads it: from the System, every list of the Body, every `next`,
//! every URL dereferenced, every embedded object found again in its list and under its own
//! id, and every link answered by its counterpart (a Consultation's Paper has it, a
//! Meeting's AgendaItem names the Consultation). No dangling link.

use std::collections::{BTreeMap, BTreeSet};

use axum::http::{Method, StatusCode};
use serde_json::Value;

use crate::harness::{BASE, Service, paper_json};
use crate::oparl::{object, path, walk};

/// The Body's lists, by the type of their objects.
const LISTS: [(&str, &str); 10] = [
    ("organization", "Organization"),
    ("person", "Person"),
    ("meeting", "Meeting"),
    ("paper", "Paper"),
    ("agendaItem", "AgendaItem"),
    ("consultation", "Consultation"),
    ("file", "File"),
    ("membership", "Membership"),
    ("locationList", "Location"),
    ("legislativeTermList", "LegislativeTerm"),
];

fn type_of(object: &Value) -> &str {
    object["type"]
        .as_str()
        .and_then(|t| t.strip_prefix("https://schema.oparl.org/1.1/"))
        .unwrap_or_else(|| panic!("no OParl type: {object:#}"))
}

/// Every object in `value` (itself, and every object embedded at any depth).
fn objects<'a>(value: &'a Value, out: &mut Vec<&'a Value>) {
    match value {
        Value::Object(map) => {
            if map.contains_key("id") && map.contains_key("type") {
                out.push(value);
            }
            map.values().for_each(|v| objects(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| objects(v, out)),
        _ => {}
    }
}

/// Every OParl URL in `value` that names an object (not a list, not the object's own id).
fn links(value: &Value, own: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::String(s) if s.starts_with(&format!("{BASE}/oparl/v1/")) && s != own => {
            let is_list = s.contains('?')
                || s.ends_with("/body")
                || LISTS
                    .iter()
                    .any(|(name, _)| s.ends_with(&format!("/body/1/{name}")));
            if !is_list {
                out.insert(s.clone());
            }
        }
        Value::Object(map) => map.values().for_each(|v| links(v, own, out)),
        Value::Array(items) => items.iter().for_each(|v| links(v, own, out)),
        _ => {}
    }
}

fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The ids a field holds: URLs, or embedded objects' ids.
fn ids(value: &Value) -> Vec<&str> {
    match value {
        Value::Array(items) => items.iter().flat_map(ids).collect(),
        Value::Object(map) => map.get("id").and_then(Value::as_str).into_iter().collect(),
        Value::String(s) => vec![s.as_str()],
        _ => Vec::new(),
    }
}

#[tokio::test]
async fn an_importer_walking_every_list_and_link_finds_nothing_dangling() {
    let service = Service::start();
    // A supplement that brings its own number, in another scheme than `0310/2012-n`.
    let mut own = paper_json("Ergänzung mit eigener Nummer");
    own["art"] = "ergaenzungsvorlage".into();
    own["drucksachennummer"] = "E-17/2026".into();
    own["bezug"] = "0310/2012".into();
    own["beteiligt"] = serde_json::json!([{ "nummer": "20", "name": "Fachbereich Finanzen" }]);
    service.create(&own).await;
    service
        .create(&paper_json("Zweite Vorlage derselben Sitzungen"))
        .await;
    let gone = service.create(&paper_json("Wird zurückgezogen")).await;
    let answer = service
        .admin(
            Method::POST,
            &format!("/api/v1/papers/{}/withdraw", gone.replace('/', "-")),
            Some(br#"{"grund": "Doppelt eingereicht"}"#.to_vec()),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);

    let system = object(&service, &format!("{BASE}/oparl/v1/system")).await;
    let bodies = walk(&service, system["body"].as_str().unwrap()).await;
    assert_eq!(bodies.len(), 1);
    let body = object(&service, bodies[0]["id"].as_str().unwrap()).await;
    assert_eq!(body, bodies[0]);

    // Every list, whole; what it holds by id.
    let mut listed: BTreeMap<String, Value> = BTreeMap::new();
    let mut list_of: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (name, type_name) in LISTS {
        let url = body[name]
            .as_str()
            .unwrap_or_else(|| panic!("Body.{name} is missing"));
        let items = walk(&service, url).await;
        let mut seen = BTreeSet::new();
        for item in items {
            assert_eq!(type_of(&item), type_name, "{url}: {item:#}");
            assert_ne!(
                item["deleted"], true,
                "{url}: a deleted object without modified_since"
            );
            let id = item["id"].as_str().unwrap().to_string();
            assert!(seen.insert(id.clone()), "{url}: {id} twice");
            listed.insert(id, item);
        }
        list_of.insert(type_name, seen);
    }

    // Every object embedded anywhere is in its list, and the same under its own id.
    let mut all: BTreeMap<String, Value> = listed.clone();
    all.insert(body["id"].as_str().unwrap().to_string(), body.clone());
    all.insert(system["id"].as_str().unwrap().to_string(), system.clone());
    for item in listed.values() {
        let mut found = Vec::new();
        objects(item, &mut found);
        for embedded in found {
            let id = embedded["id"].as_str().unwrap();
            assert!(
                list_of[type_of(embedded)].contains(id),
                "{id} (in {}) is in no list",
                item["id"]
            );
            all.entry(id.to_string())
                .or_insert_with(|| embedded.clone());
        }
    }
    for (id, embedded) in &all {
        let alone = object(&service, id).await;
        assert_eq!(
            &alone, embedded,
            "{id} alone differs from where it is listed"
        );
    }

    // Every link is answered; the objects it names are real.
    let mut every_link = BTreeSet::new();
    for (id, item) in &all {
        links(item, id, &mut every_link);
    }
    for url in &every_link {
        let answer = service.get(path(url)).await;
        assert_eq!(answer.status, StatusCode::OK, "dangling: {url}");
        assert!(all.contains_key(url), "{url} is linked but in no list");
    }

    // Links and their counterparts.
    fn of_type<'a>(
        all: &'a BTreeMap<String, Value>,
        t: &'a str,
    ) -> impl Iterator<Item = &'a Value> {
        all.values().filter(move |o| type_of(o) == t)
    }
    let by_type = |t: &'static str| of_type(&all, t);
    for c in by_type("Consultation") {
        let id = c["id"].as_str().unwrap();
        let paper = &all[c["paper"].as_str().unwrap()];
        assert!(ids(&paper["consultation"]).contains(&id), "{id}: paper");
        let meeting = &all[c["meeting"]
            .as_str()
            .expect("every consultation has its meeting")];
        let item = &all[c["agendaItem"].as_str().unwrap()];
        assert_eq!(item["consultation"], c["id"]);
        assert_eq!(item["meeting"], meeting["id"]);
        assert!(ids(&meeting["agendaItem"]).contains(&item["id"].as_str().unwrap()));
        assert_eq!(meeting["organization"], c["organization"], "{id}");
        assert!(
            meeting["start"]
                .as_str()
                .unwrap()
                .ends_with("T00:00:00+00:00")
        );
    }
    for m in by_type("Meeting") {
        let items = m["agendaItem"].as_array().unwrap();
        assert!(!items.is_empty(), "{m:#}");
        // OParl 1.1: `order` is the item's place in Meeting.agendaItem, counted from 0.
        for (i, item) in items.iter().enumerate() {
            assert_eq!(item["order"], i, "{m:#}");
        }
    }
    for f in by_type("File") {
        for paper in strings(&f["paper"]) {
            let p = &all[paper];
            let mut files = ids(&p["mainFile"]);
            files.extend(ids(&p["auxiliaryFile"]));
            assert!(files.contains(&f["id"].as_str().unwrap()), "{}", f["id"]);
        }
    }
    for p in by_type("Paper") {
        for parent in strings(&p["superordinatedPaper"]) {
            assert!(
                strings(&all[parent]["subordinatedPaper"]).contains(&p["id"].as_str().unwrap())
            );
        }
        for child in strings(&p["subordinatedPaper"]) {
            assert!(
                strings(&all[child]["superordinatedPaper"]).contains(&p["id"].as_str().unwrap())
            );
        }
    }

    // What a portal shows: the meeting of a day, the department in charge.
    let own = by_type("Paper")
        .find(|p| p["reference"] == "E-17/2026")
        .unwrap();
    let parent = by_type("Paper")
        .find(|p| p["reference"] == "0310/2012")
        .unwrap();
    assert_eq!(
        own["superordinatedPaper"],
        serde_json::json!([parent["id"]])
    );
    let lead = &all[strings(&own["underDirectionOf"])[0]];
    assert_eq!(lead["name"], "Fachbereich Jugend und Soziales");
    assert_eq!(lead["organizationType"], "Verwaltungsbereich");
    assert_eq!(lead["classification"], "Referat");
    // Then the Ämter involved; the one in charge submitted it.
    let directing = strings(&own["underDirectionOf"]);
    assert_eq!(directing.len(), 2, "{own:#}");
    assert_eq!(all[directing[1]]["name"], "Fachbereich Finanzen");
    assert_eq!(
        own["originatorOrganization"],
        serde_json::json!([directing[0]])
    );
    let first = &own["consultation"][0];
    let meeting = &all[first["meeting"].as_str().unwrap()];
    assert_eq!(meeting["start"], "2026-03-10T00:00:00+00:00");
    // Both papers of that day are on the one meeting's agenda.
    assert!(ids(&meeting["agendaItem"]).len() >= 2, "{meeting:#}");
    assert_eq!(
        all[meeting["organization"][0].as_str().unwrap()]["organizationType"],
        "Gremium"
    );
    // The withdrawn paper's objects are gone from every list.
    assert!(
        !all.values().any(|o| o["reference"] == gone.as_str()),
        "withdrawn paper listed"
    );
}
