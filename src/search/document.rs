//! [`IndexDoc`]: what the index knows of one paper, built from a [`Paper`] and what the
//! archive adds (its Drucksachennummer, the text extracted from an imported PDF, its status).

use crate::model::richtext;
use crate::model::{Date, Kind, LegacyPaper, Paper, Record, Release, Status};

/// One paper as the index sees it. Build it with [`IndexDoc::from_paper`].
#[derive(Debug, Clone)]
pub struct IndexDoc {
    /// Drucksachennummer as written.
    pub reference: String,
    /// From when the public may see the paper ([`Paper::published_from`]): a paper is not
    /// indexed before that day, and never when it is never released.
    pub release: Release,
    /// Vorlagenart (`None`: a legacy paper whose kind is not known).
    pub kind: Option<Kind>,
    pub date: Date,
    pub department_number: String,
    pub department: String,
    pub involved: Vec<String>,
    pub subject: String,
    pub summary: String,
    pub resolution: String,
    pub reasoning: String,
    /// Gremien of the Beratungsfolge and the deciding body, each once.
    pub bodies: Vec<String>,
    /// Names and functions of the signatories.
    pub signatories: Vec<String>,
    /// Text extracted from an imported paper's PDF.
    pub text: Option<String>,
    pub status: Status,
    /// SHA-256 (hex) of the paper's record: `drucksache check` compares it with the
    /// archive's to find papers whose index entry is out of date.
    pub fingerprint: String,
}

impl IndexDoc {
    /// The index document of `paper` numbered `reference`. Markdown becomes plain text.
    pub fn from_paper(paper: &Paper, reference: &str) -> IndexDoc {
        let mut bodies: Vec<String> = Vec::new();
        for body in paper
            .consultations
            .iter()
            .map(|c| &c.body)
            .chain(paper.deciding_body.as_ref())
        {
            if !bodies.contains(body) {
                bodies.push(body.clone());
            }
        }
        let mut reasoning = plain_text(&paper.reasoning);
        if let Some(text) = &paper.financial_impact.text {
            reasoning.push_str("\n\n");
            reasoning.push_str(&plain_text(text));
        }
        for attachment in &paper.attachments {
            reasoning.push_str("\n\nAnlage: ");
            reasoning.push_str(&attachment.title);
        }
        IndexDoc {
            reference: reference.to_string(),
            release: paper.published_from(),
            kind: Some(paper.kind),
            date: paper.date,
            department_number: paper.department.number.clone(),
            department: paper.department.name.clone(),
            involved: paper
                .involved
                .iter()
                .map(|d| format!("{} {}", d.number, d.name))
                .collect(),
            subject: paper.subject.clone(),
            summary: paper.summary.as_deref().map(plain_text).unwrap_or_default(),
            resolution: paper
                .resolution
                .iter()
                .map(|item| plain_text(item))
                .collect::<Vec<_>>()
                .join("\n"),
            reasoning,
            bodies,
            signatories: paper
                .signatories
                .iter()
                .map(|s| format!("{}, {}", s.name, s.function))
                .collect(),
            text: None,
            status: Status::Active,
            fingerprint: fingerprint(paper),
        }
    }

    /// The index document of a legacy paper not structured yet: its metadata, and its
    /// original's text as the text the paper's PDF shows.
    pub fn from_legacy(legacy: &LegacyPaper) -> IndexDoc {
        let mut bodies: Vec<String> = Vec::new();
        for step in &legacy.consultations {
            if !bodies.contains(&step.body) {
                bodies.push(step.body.clone());
            }
        }
        IndexDoc {
            reference: legacy.reference.clone(),
            release: legacy.published_from(),
            kind: legacy.kind,
            date: legacy.date,
            department_number: legacy
                .department
                .as_ref()
                .map(|d| d.number.clone())
                .unwrap_or_default(),
            department: legacy
                .department
                .as_ref()
                .map(|d| d.name.clone())
                .unwrap_or_default(),
            involved: Vec::new(),
            subject: legacy.subject.clone(),
            summary: String::new(),
            resolution: String::new(),
            reasoning: String::new(),
            bodies,
            signatories: Vec::new(),
            text: (!legacy.text.is_empty()).then(|| legacy.text.clone()),
            status: Status::Active,
            fingerprint: digest(legacy),
        }
    }

    /// The index document of a stored record numbered `reference`.
    pub fn from_record(record: &Record, reference: &str) -> IndexDoc {
        match record {
            Record::Structured(paper) => IndexDoc::from_paper(paper, reference),
            Record::Legacy(legacy) => IndexDoc::from_legacy(legacy),
        }
    }

    /// Adds the text extracted from the paper's PDF (imported papers).
    pub fn with_text(mut self, text: impl Into<String>) -> IndexDoc {
        self.text = Some(text.into());
        self
    }

    pub fn with_status(mut self, status: Status) -> IndexDoc {
        self.status = status;
        self
    }

    /// Whether the paper may be in the public index on `today`.
    pub fn is_publishable(&self, today: Date) -> bool {
        self.release.is_published_on(today)
    }
}

/// SHA-256 (hex) of the paper as JSON.
pub fn fingerprint(paper: &Paper) -> String {
    digest(paper)
}

fn digest(record: &impl serde::Serialize) -> String {
    use sha2::{Digest, Sha256};
    let json = serde_json::to_vec(record).expect("a record serialises");
    hex::encode(Sha256::digest(json))
}

/// Markdown → plain text: the words of the model's reading of it ([`richtext::parse`]), one
/// line per block, so the index holds what the PDF and the page show.
fn plain_text(markdown: &str) -> String {
    richtext::plain_text(&richtext::parse(markdown))
}
