//! An OParl Paper as the harvest reads it ([`PaperMeta`]), and the draft record made from it:
//! the fields OParl gives directly (Betreff, Drucksachennummer, Datum, Vorlagenart,
//! Beratungsfolge, Amt) over what the splitter read from the paper's text.

use serde_json::{Value, json};

use super::oparl::{Ref, day, many, text, type_name};
use crate::legacy::Draft;
use crate::model::limits;

/// What the harvest uses of an OParl Paper.
#[derive(Debug, Clone)]
pub struct PaperMeta {
    /// The Paper's `id` (its address in the other system).
    pub id: String,
    /// `modified`, as written.
    pub modified: Option<String>,
    pub deleted: bool,
    /// `name`, with line breaks, control characters and runs of spaces cleaned.
    pub name: Option<String>,
    pub reference: Option<String>,
    /// `date` (the day).
    pub date: Option<String>,
    pub paper_type: Option<String>,
    pub consultations: Vec<ConsultationMeta>,
    pub under_direction_of: Vec<Ref>,
    pub main_file: Option<Ref>,
    pub auxiliary_files: Vec<Ref>,
}

/// One `consultation` of a Paper.
#[derive(Debug, Clone)]
pub struct ConsultationMeta {
    pub meeting: Option<Ref>,
    pub organizations: Vec<Ref>,
    pub authoritative: bool,
    pub role: Option<String>,
}

/// Why an item of a paper list is not a paper the harvest can use.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NotAPaper {
    #[error("an item without id")]
    NoId,
    #[error("{id}: a {kind}, not a Paper")]
    OtherType { id: String, kind: String },
}

impl PaperMeta {
    /// Reads a Paper of a list page. A missing `type` is taken as Paper (the list is the
    /// body's paper list); another type is refused.
    pub fn read(value: &Value) -> Result<PaperMeta, NotAPaper> {
        let id = text(value, "id").ok_or(NotAPaper::NoId)?;
        if let Some(kind) = type_name(value)
            && kind != "Paper"
        {
            return Err(NotAPaper::OtherType {
                id,
                kind: kind.to_string(),
            });
        }
        let consultations = many(value, "consultation")
            .into_iter()
            .filter(|c| c.is_object())
            .map(|c| ConsultationMeta {
                meeting: c.get("meeting").and_then(Ref::of),
                organizations: many(c, "organization")
                    .into_iter()
                    .filter_map(Ref::of)
                    .collect(),
                authoritative: c.get("authoritative").and_then(Value::as_bool) == Some(true),
                role: text(c, "role"),
            })
            .collect();
        Ok(PaperMeta {
            id,
            modified: text(value, "modified"),
            deleted: value.get("deleted").and_then(Value::as_bool) == Some(true),
            name: text(value, "name").map(|n| clean_name(&n)),
            reference: text(value, "reference"),
            date: text(value, "date").and_then(|d| day(&d)),
            paper_type: text(value, "paperType"),
            consultations,
            under_direction_of: many(value, "underDirectionOf")
                .into_iter()
                .filter_map(Ref::of)
                .collect(),
            main_file: value.get("mainFile").and_then(Ref::of),
            auxiliary_files: many(value, "auxiliaryFile")
                .into_iter()
                .filter_map(Ref::of)
                .collect(),
        })
    }
}

/// A Betreff on one line: line breaks, control characters and runs of spaces become one space.
pub fn clean_name(name: &str) -> String {
    name.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The record's Vorlagenart for an OParl `paperType` ("Beschlussvorlage", "Mitteilung",
/// "Ergänzungsvorlage", …); `None` for a type drucksache has no template for.
pub fn kind_of(paper_type: &str) -> Option<&'static str> {
    let t = paper_type.to_lowercase();
    if t.contains("ergänzung") || t.contains("ergaenzung") || t.contains("nachtrag") {
        Some("ergaenzungsvorlage")
    } else if t.contains("beschluss") {
        Some("beschlussvorlage")
    } else if t.contains("mitteilung") || t.contains("information") {
        Some("mitteilungsvorlage")
    } else {
        None
    }
}

/// A step of the Beratungsfolge as the harvest could resolve it: the meeting's day and the
/// organization's name, when they could be fetched.
#[derive(Debug, Clone, Default)]
pub struct Step {
    pub day: Option<String>,
    pub body: Option<String>,
    /// `authoritative`: the body decides.
    pub authoritative: bool,
    /// `role`, as the other system writes it ("Vorberatung", "beschließend", …).
    pub role: Option<String>,
}

impl Step {
    /// The record's Rolle: from `role` ("…entsch…"/"…beschl…", "…vorber…", "…kenntnis…"),
    /// else `entscheidung` for an authoritative step, else none.
    pub fn rolle(&self) -> Option<&'static str> {
        let role = self.role.as_deref().unwrap_or_default().to_lowercase();
        if role.contains("entsch") || role.contains("beschl") {
            Some("entscheidung")
        } else if role.contains("vorber") {
            Some("vorberatung")
        } else if role.contains("kenntnis") {
            Some("kenntnisnahme")
        } else if self.authoritative {
            Some("entscheidung")
        } else {
            None
        }
    }
}

/// The Amt of an organization's name and short name: "55 Fachbereich Jugend und Soziales",
/// or short name "55"/"FB 55" with the name; `None` without a number.
pub fn department(name: &str, short_name: Option<&str>) -> Option<Value> {
    let name = clean_name(name);
    if let Some((number, rest)) = name.split_once(' ')
        && is_department_number(number)
        && !rest.is_empty()
    {
        return Some(json!({"nummer": number, "name": rest}));
    }
    let number = short_name?.split_whitespace().last()?;
    is_department_number(number).then(|| json!({"nummer": number, "name": name}))
}

fn is_department_number(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= limits::DEPARTMENT_NUMBER
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || c == '/' || c == '.')
        && text.starts_with(|c: char| c.is_ascii_digit())
}

/// The draft of a harvested paper: what the splitter read from its text (`from_text`, empty
/// without a text) with the fields OParl gives set over it. Harvested papers are public: the
/// other system published them.
pub fn draft(meta: &PaperMeta, steps: &[Step], amt: Option<Value>, from_text: Draft) -> Draft {
    let mut draft = from_text;
    draft.set_given("oeffentlich", Value::Bool(true));
    if let Some(kind) = meta.paper_type.as_deref().and_then(kind_of) {
        draft.set_given("art", json!(kind));
    }
    if let Some(reference) = &meta.reference {
        draft.set_given("drucksachennummer", json!(reference));
    }
    if let Some(date) = &meta.date {
        draft.set_given("datum", json!(date));
    }
    if let Some(name) = &meta.name {
        draft.set_given("betreff", json!(name));
    }
    if let Some(amt) = amt {
        draft.set_given("amt", amt);
    }
    let complete: Option<Vec<Value>> = steps
        .iter()
        .map(|s| {
            let mut step = json!({"datum": s.day.as_ref()?, "gremium": s.body.as_ref()?});
            if let Some(rolle) = s.rolle() {
                step["rolle"] = json!(rolle);
            }
            Some(step)
        })
        .collect();
    if let Some(mut steps_json) = complete.filter(|s| !s.is_empty()) {
        steps_json.sort_by(|a, b| a["datum"].as_str().cmp(&b["datum"].as_str()));
        // The text's Rolle where both agree on the steps (OParl's role is free text).
        if let Some(Value::Array(read)) = draft.value("beratungsfolge")
            && read.len() == steps_json.len()
            && read
                .iter()
                .zip(&steps_json)
                .all(|(r, s)| r["datum"] == s["datum"] && r["gremium"] == s["gremium"])
        {
            steps_json = read.clone();
        }
        draft.set_given("beratungsfolge", Value::Array(steps_json));
    }
    draft
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paper() -> Value {
        json!({
            "id": "http://x/paper/1",
            "type": "https://schema.oparl.org/1.1/Paper",
            "name": "Integrationskonzept\n für   die Stadt Hagen",
            "reference": "0310/2012",
            "date": "2012-04-25",
            "paperType": "Beschlussvorlage",
            "consultation": {"meeting": "http://x/meeting/1", "organization": "http://x/org/1"},
            "mainFile": {"id": "http://x/file/1", "accessUrl": "http://x/f.pdf"},
            "auxiliaryFile": "http://x/file/2",
        })
    }

    #[test]
    fn a_paper_is_read_with_single_values_where_lists_belong() {
        let meta = PaperMeta::read(&paper()).unwrap();
        assert_eq!(
            meta.name.as_deref(),
            Some("Integrationskonzept für die Stadt Hagen")
        );
        assert_eq!(meta.consultations.len(), 1);
        assert_eq!(meta.consultations[0].organizations.len(), 1);
        assert_eq!(meta.auxiliary_files.len(), 1);
        assert!(matches!(meta.main_file, Some(Ref::Object(_))));
    }

    #[test]
    fn a_betreff_loses_control_characters_and_runs_of_spaces() {
        assert_eq!(
            clean_name("Kaputte\u{1}Datei \n  neu\t"),
            "Kaputte Datei neu"
        );
    }

    #[test]
    fn a_missing_type_is_a_paper_another_type_is_not() {
        let mut v = paper();
        v.as_object_mut().unwrap().remove("type");
        assert!(PaperMeta::read(&v).is_ok());
        v["type"] = json!("https://schema.oparl.org/1.1/Meeting");
        assert_eq!(
            PaperMeta::read(&v).unwrap_err().to_string(),
            "http://x/paper/1: a Meeting, not a Paper"
        );
        assert_eq!(PaperMeta::read(&json!({})).unwrap_err(), NotAPaper::NoId);
    }

    #[test]
    fn paper_types_become_vorlagenarten() {
        assert_eq!(kind_of("Beschlussvorlage"), Some("beschlussvorlage"));
        assert_eq!(kind_of("Mitteilungsvorlage"), Some("mitteilungsvorlage"));
        assert_eq!(kind_of("Ergänzungsvorlage"), Some("ergaenzungsvorlage"));
        assert_eq!(kind_of("Anfrage"), None);
    }

    #[test]
    fn roles_are_read_from_the_words_vendors_use() {
        let step = |role: Option<&str>, authoritative| Step {
            day: None,
            body: None,
            authoritative,
            role: role.map(str::to_string),
        };
        assert_eq!(
            step(Some("Vorberatung"), false).rolle(),
            Some("vorberatung")
        );
        assert_eq!(
            step(Some("beschließend"), false).rolle(),
            Some("entscheidung")
        );
        assert_eq!(
            step(Some("Zur Kenntnisnahme"), false).rolle(),
            Some("kenntnisnahme")
        );
        assert_eq!(step(None, true).rolle(), Some("entscheidung"));
        assert_eq!(step(Some("Anhörung"), false).rolle(), None);
    }

    #[test]
    fn departments_need_their_number() {
        assert_eq!(
            department("55 Fachbereich Jugend und Soziales", None),
            Some(json!({"nummer": "55", "name": "Fachbereich Jugend und Soziales"}))
        );
        assert_eq!(
            department("Fachbereich Jugend und Soziales", Some("FB 55")),
            Some(json!({"nummer": "55", "name": "Fachbereich Jugend und Soziales"}))
        );
        assert_eq!(
            department("Fachbereich Jugend und Soziales", Some("FB")),
            None
        );
    }

    #[test]
    fn oparl_values_override_the_text_and_a_disagreement_is_a_doubt() {
        let text = crate::legacy::split("");
        let meta = PaperMeta::read(&paper()).unwrap();
        let steps = [Step {
            day: Some("2012-05-08".into()),
            body: Some("Integrationsrat".into()),
            authoritative: false,
            role: None,
        }];
        let d = draft(&meta, &steps, None, text);
        assert_eq!(d.value("drucksachennummer"), Some(&json!("0310/2012")));
        assert_eq!(
            d.value("betreff"),
            Some(&json!("Integrationskonzept für die Stadt Hagen"))
        );
        assert_eq!(
            d.value("beratungsfolge"),
            Some(&json!([{"datum": "2012-05-08", "gremium": "Integrationsrat"}]))
        );
        assert!(d.is_given("betreff"));
        assert!(!d.is_given("begruendung"));
        assert!(d.field("betreff").unwrap().doubt.is_none());
    }

    #[test]
    fn a_step_without_its_day_leaves_the_beratungsfolge_to_the_text() {
        let meta = PaperMeta::read(&paper()).unwrap();
        let steps = [Step {
            day: None,
            body: Some("Rat".into()),
            authoritative: true,
            role: None,
        }];
        let d = draft(&meta, &steps, None, crate::legacy::split(""));
        assert!(!d.is_given("beratungsfolge"));
    }
}
