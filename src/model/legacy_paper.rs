//! A legacy paper not structured yet (Altbestand, "nicht strukturiert"): what is known for
//! certain of a paper an older system issued (its Drucksachennummer, Datum, Betreff and what
//! else could be read without doubt) and its text as extracted, kept with its originals until
//! a clerk structures it. It is no Vorlage record and is never rendered; [`Record`] is either.

use serde::{Deserialize, Serialize};

use super::{Consultation, Date, Department, Kind, Paper, Release, charset, limits};

/// Altbestand, nicht strukturiert: the metadata of a legacy paper and its extracted text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyPaper {
    /// Öffentlichkeit, as the source says (a harvested paper: public; unknown: not public).
    #[serde(rename = "oeffentlich")]
    pub public: bool,
    /// Vorlagenart, when known.
    #[serde(rename = "art", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    /// Drucksachennummer, as the older system issued it.
    #[serde(rename = "drucksachennummer")]
    pub reference: String,
    /// Datum of the paper.
    #[serde(rename = "datum")]
    pub date: Date,
    /// Amt in charge (Federführung), when known.
    #[serde(rename = "amt", default, skip_serializing_if = "Option::is_none")]
    pub department: Option<Department>,
    /// Betreff.
    #[serde(rename = "betreff")]
    pub subject: String,
    /// Beratungsfolge, as far as known.
    #[serde(rename = "beratungsfolge", default)]
    pub consultations: Vec<Consultation>,
    /// The original's text as extracted (empty: a scan, or no file could be fetched).
    #[serde(rename = "text", default)]
    pub text: String,
}

/// Why a legacy paper cannot be made from what is known (the field and why, for a clerk).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {why}")]
pub struct LegacyPaperError {
    pub field: &'static str,
    pub why: String,
}

impl LegacyPaper {
    /// Checks the rules every stored text follows: the required fields are there, within
    /// their limits and printable (the text only without control characters, which
    /// [`clean_text`] takes out).
    pub fn check(&self) -> Result<(), LegacyPaperError> {
        let err = |field, why: String| Err(LegacyPaperError { field, why });
        let text_rule = |field: &'static str, value: &str, max: usize| {
            if value.trim().is_empty() {
                return err(field, "is empty".into());
            }
            if value.chars().count() > max {
                return err(field, format!("is longer than {max} characters"));
            }
            if let Some(bad) = charset::first_unprintable(value) {
                return err(field, bad.to_string());
            }
            Ok(())
        };
        text_rule("drucksachennummer", &self.reference, limits::REFERENCE)?;
        text_rule("betreff", &self.subject, limits::SUBJECT)?;
        if let Some(d) = &self.department {
            text_rule("amt.nummer", &d.number, limits::DEPARTMENT_NUMBER)?;
            text_rule("amt.name", &d.name, limits::NAME)?;
        }
        if self.consultations.len() > limits::CONSULTATIONS {
            return err(
                "beratungsfolge",
                format!("has more than {} steps", limits::CONSULTATIONS),
            );
        }
        for step in &self.consultations {
            text_rule("beratungsfolge.gremium", &step.body, limits::NAME)?;
        }
        if self.text.len() as u64 > super::MAX_INPUT_BYTES {
            return err(
                "text",
                format!("has more than {} bytes", super::MAX_INPUT_BYTES),
            );
        }
        if let Some(c) = self.text.chars().find(|c| is_control(*c)) {
            return err(
                "text",
                format!("holds the control character U+{:04X}", c as u32),
            );
        }
        Ok(())
    }

    /// From when the public may see it: a public legacy paper at once (the older system
    /// published it), any other never.
    pub fn published_from(&self) -> Release {
        if self.public {
            Release::Now
        } else {
            Release::Never
        }
    }
}

/// Extracted text without the control characters a page or the index must not get (line
/// breaks and tabs stay).
pub fn clean_text(text: &str) -> String {
    text.chars().filter(|c| !is_control(*c)).collect()
}

fn is_control(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

/// The Vorlagenart as printed: its label, "Vorlage" when a legacy paper's kind is not known.
pub fn kind_label(kind: Option<Kind>) -> &'static str {
    kind.map_or("Vorlage", Kind::label)
}

/// A stored paper's record: a structured Vorlage, or a legacy paper not structured yet.
// Records are read one (or one list page) at a time: the size of the larger variant does not
// matter, and a box would be in every match.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Structured(Paper),
    Legacy(LegacyPaper),
}

impl Record {
    /// Reads a stored record: `structured` says which kind the archive holds.
    pub fn from_stored(structured: bool, json: &str) -> serde_json::Result<Record> {
        Ok(if structured {
            Record::Structured(serde_json::from_str(json)?)
        } else {
            Record::Legacy(serde_json::from_str(json)?)
        })
    }

    pub fn subject(&self) -> &str {
        match self {
            Record::Structured(p) => &p.subject,
            Record::Legacy(l) => &l.subject,
        }
    }

    pub fn date(&self) -> Date {
        match self {
            Record::Structured(p) => p.date,
            Record::Legacy(l) => l.date,
        }
    }

    pub fn kind(&self) -> Option<Kind> {
        match self {
            Record::Structured(p) => Some(p.kind),
            Record::Legacy(l) => l.kind,
        }
    }

    pub fn department(&self) -> Option<&Department> {
        match self {
            Record::Structured(p) => Some(&p.department),
            Record::Legacy(l) => l.department.as_ref(),
        }
    }

    /// Bezug: the Drucksachennummer this paper supplements (a legacy paper names none).
    pub fn supplements(&self) -> Option<&str> {
        self.paper().and_then(|p| p.supplements.as_deref())
    }

    /// Beteiligt: the departments also involved (a legacy paper names none).
    pub fn involved(&self) -> &[Department] {
        self.paper().map_or(&[], |p| &p.involved)
    }

    pub fn consultations(&self) -> &[Consultation] {
        match self {
            Record::Structured(p) => &p.consultations,
            Record::Legacy(l) => &l.consultations,
        }
    }

    pub fn published_from(&self) -> Release {
        match self {
            Record::Structured(p) => p.published_from(),
            Record::Legacy(l) => l.published_from(),
        }
    }

    /// The structured paper, if it is one.
    pub fn paper(&self) -> Option<&Paper> {
        match self {
            Record::Structured(p) => Some(p),
            Record::Legacy(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn legacy() -> LegacyPaper {
        LegacyPaper {
            public: true,
            kind: None,
            reference: "0310/2012".into(),
            date: Date::parse_iso("2012-04-17").unwrap(),
            department: None,
            subject: "Sozialticket".into(),
            consultations: vec![],
            text: "Seite 1\n\tText".into(),
        }
    }

    #[test]
    fn rules() {
        assert_eq!(legacy().check(), Ok(()));
        let mut l = legacy();
        l.subject = "  ".into();
        assert_eq!(l.check().unwrap_err().to_string(), "betreff: is empty");
        let mut l = legacy();
        l.text = "a\u{7}b".into();
        assert_eq!(
            l.check().unwrap_err().to_string(),
            "text: holds the control character U+0007"
        );
        assert_eq!(clean_text("a\u{7}b\nc\u{c}"), "ab\nc");
        let mut l = legacy();
        l.reference = "x".repeat(limits::REFERENCE + 1);
        assert!(
            l.check()
                .unwrap_err()
                .to_string()
                .starts_with("drucksachennummer")
        );
    }

    #[test]
    fn stored_form_round_trips_and_is_never_a_paper() {
        let json = serde_json::to_string(&legacy()).unwrap();
        assert_eq!(
            Record::from_stored(false, &json).unwrap(),
            Record::Legacy(legacy())
        );
        assert!(Record::from_stored(true, &json).is_err());
        assert_eq!(legacy().published_from(), Release::Now);
        let mut l = legacy();
        l.public = false;
        assert_eq!(l.published_from(), Release::Never);
    }
}
