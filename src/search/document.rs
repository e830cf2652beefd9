//! [`IndexDoc`]: what the index knows of one paper, built from a [`Paper`] and what the
//! archive adds (its Drucksachennummer, the text extracted from an imported PDF, its status).

use serde::Serialize;

use crate::model::richtext;
use crate::model::{Date, Kind, Paper};

/// Status of a paper in the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Aktiv,
    /// Withdrawn (zurückgezogen): still findable, marked in every hit, because citizens look
    /// for what happened to a paper they heard of.
    Zurueckgezogen,
}

/// One paper as the index sees it. Build it with [`IndexDoc::from_paper`].
#[derive(Debug, Clone)]
pub struct IndexDoc {
    /// Drucksachennummer as written.
    pub reference: String,
    /// Whether the paper may be shown to the public: `oeffentlich = true` and either
    /// `verfuegung.veroeffentlichung = true` or publication blocked only until a date
    /// (`gesperrt_bis`). A paper that is not is never indexed.
    pub public: bool,
    /// Publication blocked up to and including this date: not indexed before the day after.
    pub blocked_until: Option<Date>,
    pub kind: Kind,
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
            public: paper.public
                && (paper.routing.publish || paper.routing.blocked_until.is_some()),
            blocked_until: paper.routing.blocked_until,
            kind: paper.kind,
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
            status: Status::Aktiv,
            fingerprint: fingerprint(paper),
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
        self.public && self.blocked_until.is_none_or(|until| today > until)
    }
}

/// SHA-256 (hex) of the paper as JSON.
pub fn fingerprint(paper: &Paper) -> String {
    use sha2::{Digest, Sha256};
    let json = serde_json::to_vec(paper).expect("a paper serialises");
    hex::encode(Sha256::digest(json))
}

/// Markdown → plain text: the words of the model's reading of it ([`richtext::parse`]), one
/// line per block, so the index holds what the PDF and the page show.
fn plain_text(markdown: &str) -> String {
    richtext::plain_text(&richtext::parse(markdown))
}
