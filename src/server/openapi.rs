//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 description of `/api/v1`. The paper's schema
//! is the one the validator uses (generated from the model), so the two cannot drift apart.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::AppState;

/// The `code` of the error shape: every code of the error table, each with its HTTP status
/// and when it happens.
fn error_codes() -> Value {
    let names: Vec<&str> = crate::error::TABLE.iter().map(|row| row.name).collect();
    let description = crate::error::TABLE
        .iter()
        .map(|row| format!("{} ({}): {}", row.name, row.http_status, row.when))
        .collect::<Vec<_>>()
        .join("; ");
    json!({"type": "string", "enum": names, "description": description})
}

/// The document for the service at `base_url`.
pub fn build(base_url: &str) -> Value {
    let mut paper = crate::model::schema();
    let defs = paper
        .as_object_mut()
        .and_then(|o| o.remove("$defs"))
        .unwrap_or_else(|| json!({}));
    if let Some(o) = paper.as_object_mut() {
        o.remove("$schema");
    }
    let mut schemas = json!({
        "Paper": paper,
        "Error": {
            "type": "object",
            "required": ["code", "message", "errors"],
            "properties": {
                "code": error_codes(),
                "message": {"type": "string"},
                "errors": {"type": "array", "items": {
                    "type": "object",
                    "required": ["path", "message"],
                    "properties": {
                        "path": {"type": "string", "description": "Field path, e.g. beratungsfolge[2].datum"},
                        "message": {"type": "string"}
                    }
                }}
            }
        },
        "Created": {
            "type": "object",
            "required": ["drucksachennummer", "slug", "sha512", "veroeffentlicht", "urls"],
            "properties": {
                "drucksachennummer": {"type": "string"},
                "slug": {"type": "string"},
                "sha512": {"type": "string"},
                "veroeffentlicht": {"type": "boolean"},
                "urls": {"type": "object", "properties": {
                    "api": {"type": "string"}, "pdf": {"type": "string"}, "seite": {"type": "string"}
                }}
            }
        }
    });
    if let (Some(target), Some(defs)) = (schemas.as_object_mut(), defs.as_object()) {
        for (name, schema) in defs {
            target.insert(name.clone(), schema.clone());
        }
    }
    // The model's references point into its own `$defs`; here they live beside it.
    let schemas: Value = serde_json::from_str(
        &schemas
            .to_string()
            .replace("\"#/$defs/", "\"#/components/schemas/"),
    )
    .expect("still JSON");

    let error = |description: &str| json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let pdf =
        |description: &str| json!({"description": description, "content": {"application/pdf": {}}});
    let paper_body = json!({"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Paper"}}}});
    let created = json!({"description": "numbered, rendered, signed, archived and indexed",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Created"}}}});
    let id = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"},
        "description": "the paper's slug: its Drucksachennummer with / as - (0310-2012)"});
    let secured = json!([{"token": []}]);
    let search_parameters: Vec<Value> = [
        ("q", "words, \"phrases\", -word, OR, prefix*, filters like jahr:2012"),
        ("art", "Vorlagenart"),
        ("jahr", "2012 or 2010..2014"),
        ("amt", "number or words of the Amt"),
        ("gremium", "words of a Gremium"),
        ("von", "date from, YYYY-MM-DD"),
        ("bis", "date to, YYYY-MM-DD"),
        ("sortierung", "relevanz (default) or datum"),
        ("seite", "page, from 1"),
        ("pro_seite", "hits per page, 1 to 100"),
    ]
    .into_iter()
    .map(|(name, description)| {
        json!({"name": name, "in": "query", "required": false, "schema": {"type": "string"}, "description": description})
    })
    .collect();

    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "drucksache API",
            "version": crate::VERSION,
            "description": "Admin API (bearer token) to create and withdraw council papers, and the public search."
        },
        "servers": [{"url": format!("{base_url}/api/v1")}],
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer",
                "description": "a token made by `drucksache token`"}},
            "schemas": schemas
        },
        "paths": {
            "/papers": {
                "post": {
                    "summary": "Create a paper", "security": secured, "requestBody": paper_body,
                    "responses": {"201": created, "400": error("malformed JSON"), "401": error("no or wrong token"),
                        "409": error("reference taken"), "413": error("body too large"),
                        "415": error("body not sent as application/json"), "422": error("invalid paper")}
                },
                "get": {
                    "summary": "List papers (public or not)", "security": secured,
                    "parameters": [
                        {"name": "jahr", "in": "query", "schema": {"type": "integer"}},
                        {"name": "art", "in": "query", "schema": {"type": "string"}},
                        {"name": "seite", "in": "query", "schema": {"type": "integer"}},
                        {"name": "pro_seite", "in": "query", "schema": {"type": "integer"}}
                    ],
                    "responses": {"200": {"description": "papers"}, "400": error("bad parameter"), "401": error("no or wrong token")}
                }
            },
            "/papers/{id}": {"get": {"summary": "Everything about one paper", "security": secured,
                "parameters": [id],
                "responses": {"200": {"description": "the paper"}, "401": error("no or wrong token"), "404": error("unknown paper")}}},
            "/papers/{id}/pdf": {"get": {"summary": "The current PDF of a paper", "security": secured,
                "parameters": [id],
                "responses": {"200": pdf("the PDF"), "401": error("no or wrong token"), "404": error("unknown paper")}}},
            "/papers/{id}/renditions/{rendition}": {"get": {"summary": "One stored PDF of a paper (its id as listed in the paper's renditions)", "security": secured,
                "parameters": [
                    {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                    {"name": "rendition", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": {"200": pdf("the PDF"), "401": error("no or wrong token"), "404": error("unknown paper or rendition")}}},
            "/papers/{id}/supplements": {"post": {"summary": "Create an Ergänzungsvorlage to the paper", "security": secured,
                "parameters": [id], "requestBody": paper_body,
                "responses": {"201": created, "400": error("malformed JSON"), "401": error("no or wrong token"),
                    "404": error("unknown paper"), "413": error("body too large"),
                    "415": error("body not sent as application/json"), "422": error("invalid paper")}}},
            "/papers/{id}/withdraw": {"post": {"summary": "Withdraw a paper", "security": secured,
                "parameters": [id],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["grund"], "properties": {"grund": {"type": "string"}}}}}},
                "responses": {"200": {"description": "withdrawn"}, "400": error("bad body"), "401": error("no or wrong token"),
                    "404": error("unknown paper"), "409": error("already withdrawn")}}},
            "/preview": {"post": {"summary": "Render a draft PDF; nothing is numbered or stored", "security": secured,
                "requestBody": paper_body,
                "responses": {"200": pdf("the draft"), "400": error("malformed JSON"), "401": error("no or wrong token"),
                    "413": error("body too large"), "415": error("body not sent as application/json"),
                    "422": error("invalid paper")}}},
            "/rerender": {"post": {"summary": "Start re-rendering archived papers with the current templates (one job at a time; the same as `drucksache rerender`)", "security": secured,
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "type": "object", "additionalProperties": false,
                    "description": "One of: alle; any of jahr, art, veraltet; drucksachen.",
                    "properties": {
                        "alle": {"type": "boolean"}, "jahr": {"type": "integer"},
                        "art": {"type": "string", "enum": crate::model::Kind::ALL.iter().map(|k| k.key()).collect::<Vec<_>>()},
                        "veraltet": {"type": "boolean"},
                        "drucksachen": {"type": "array", "items": {"type": "string"}},
                        "probelauf": {"type": "boolean"}, "bei_abweichung_anhalten": {"type": "boolean"}}}}}},
                "responses": {"202": {"description": "started; `Location` and `job` name the job's URL"},
                    "400": error("malformed JSON or no valid selection"), "401": error("no or wrong token"),
                    "404": error("unknown paper"), "409": error("a job runs already"),
                    "415": error("body not sent as application/json")}}},
            "/jobs/{id}": {"get": {"summary": "A re-rendering job: progress, and its report when done (the JSON of `drucksache rerender --report`)", "security": secured,
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "status laeuft, fertig or fehlgeschlagen; erledigt, ausgewaehlt, rate, restzeit_s, bericht, fehler"},
                    "401": error("no or wrong token"), "404": error("unknown job")}}},
            "/search": {"get": {"summary": "Search the public papers", "parameters": search_parameters,
                "responses": {"200": {"description": "one page of hits with facets"}, "400": error("bad parameter, or a query that costs too much (over 500 characters, 20 words or 3 prefixes)")}}}
        }
    })
}

/// `GET /api/v1/openapi.json`.
pub async fn document(State(state): State<AppState>) -> Json<Value> {
    Json(build(state.base_url()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_reference_resolves() {
        let doc = super::build("http://x");
        let text = doc.to_string();
        assert!(!text.contains("#/$defs/"));
        for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = &part[..part.find('"').unwrap()];
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "{name} is referenced but not defined"
            );
        }
    }

    /// The document lists every code an error can carry (it once lacked
    /// `unsupported_media_type`, which the API answers).
    #[test]
    fn every_error_code_is_listed() {
        let document = super::build("http://127.0.0.1");
        let listed = &document["components"]["schemas"]["Error"]["properties"]["code"]["enum"];
        for row in &crate::error::TABLE {
            assert!(
                listed.as_array().unwrap().iter().any(|c| c == row.name),
                "{} is missing from {listed}",
                row.name
            );
        }
        let media = super::super::error::ApiError::unsupported_media_type(None);
        assert!(listed.as_array().unwrap().iter().any(|c| c == media.code));
    }
}
