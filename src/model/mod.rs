//! The paper (Vorlage): its types, how records are read, validated and turned into rich text.
//!
//! Record keys are the German terms printed on the paper (`betreff`, `beratungsfolge`); the Rust
//! identifiers are English. The serde renames below are the one place where the two meet.

mod charset;
mod committees;
mod date;
mod input;
mod legacy_paper;
pub mod limits;
pub mod numbering;
mod publication;
pub mod richtext;
mod validate;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use charset::{Unprintable, first_unprintable, is_printable, printable};
pub use committees::{Committee, CommitteeError, Committees, organization_id};
pub use date::{Clock, Date, YEARS};
pub use input::{Format, MAX_INPUT_BYTES, Position, SourceText};
pub use legacy_paper::{LegacyPaper, LegacyPaperError, Record, clean_text, kind_label};
pub use numbering::{Numbering, SchemeError, is_slug, slug};
pub use publication::Release;
pub use validate::{FieldError, InputError, schema};

/// A council paper (Vorlage, Drucksache) as the administration writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Paper {
    /// Öffentlichkeit: `true` for a public paper, `false` for a non-public one.
    #[serde(rename = "oeffentlich")]
    pub public: bool,
    /// Vorlagenart.
    #[serde(rename = "art")]
    pub kind: Kind,
    /// Drucksachennummer. Absent on a paper that has not been numbered yet.
    #[schemars(length(max = limits::REFERENCE))]
    #[serde(
        rename = "drucksachennummer",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub reference: Option<String>,
    /// Datum of the paper.
    #[serde(rename = "datum")]
    pub date: Date,
    /// Amt / Eigenbetrieb in charge (Federführung).
    #[serde(rename = "amt")]
    pub department: Department,
    /// Beteiligt: departments also involved.
    #[schemars(length(max = limits::DEPARTMENTS))]
    #[serde(rename = "beteiligt", default)]
    pub involved: Vec<Department>,
    /// Betreff.
    #[schemars(length(max = limits::SUBJECT))]
    #[serde(rename = "betreff")]
    pub subject: String,
    /// Beratungsfolge, in the order of the sessions.
    #[schemars(length(max = limits::CONSULTATIONS))]
    #[serde(rename = "beratungsfolge", default)]
    pub consultations: Vec<Consultation>,
    /// Beschlussfassung: the body that finally decides (or takes note).
    #[schemars(length(max = limits::NAME))]
    #[serde(
        rename = "beschlussfassung",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub deciding_body: Option<String>,
    /// Beschlussvorschlag: numbered resolution items, each Markdown.
    #[schemars(length(max = limits::RESOLUTION_ITEMS), inner(length(max = limits::RESOLUTION_ITEM)))]
    #[serde(rename = "beschlussvorschlag", default)]
    pub resolution: Vec<String>,
    /// Kurzfassung (Markdown).
    #[schemars(length(max = limits::SUMMARY))]
    #[serde(
        rename = "kurzfassung",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub summary: Option<String>,
    /// Begründung (Markdown, with sub-headings).
    #[schemars(length(max = limits::REASONING))]
    #[serde(rename = "begruendung")]
    pub reasoning: String,
    /// Finanzielle Auswirkungen.
    #[serde(rename = "finanzielle_auswirkungen")]
    pub financial_impact: FinancialImpact,
    /// Unterschriften, printed with "gez.".
    #[schemars(length(max = limits::SIGNATORIES))]
    #[serde(rename = "unterschriften")]
    pub signatories: Vec<Signatory>,
    /// Verfügung: publication and office routing.
    #[serde(rename = "verfuegung", default)]
    pub routing: Routing,
    /// Anlagen.
    #[schemars(length(max = limits::ATTACHMENTS))]
    #[serde(rename = "anlagen", default)]
    pub attachments: Vec<Attachment>,
    /// Bezug: the Drucksachennummer an Ergänzungsvorlage supplements.
    #[schemars(length(max = limits::REFERENCE))]
    #[serde(rename = "bezug", default, skip_serializing_if = "Option::is_none")]
    pub supplements: Option<String>,
}

/// Vorlagenart: a Beschlussvorlage asks a body for a decision, a Mitteilungsvorlage informs
/// ("zur Kenntnisnahme"), an Ergänzungsvorlage supplements an earlier paper (`bezug`).
// No doc comments on the variants: schemars would make a `oneOf` of them, whose errors
// cannot list the allowed values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Beschlussvorlage,
    Mitteilungsvorlage,
    Ergaenzungsvorlage,
}

impl Kind {
    /// Every kind, in the order of the record's schema.
    pub const ALL: [Kind; 3] = [
        Kind::Beschlussvorlage,
        Kind::Mitteilungsvorlage,
        Kind::Ergaenzungsvorlage,
    ];

    /// The record key, also the template's file stem.
    pub fn key(self) -> &'static str {
        match self {
            Kind::Beschlussvorlage => "beschlussvorlage",
            Kind::Mitteilungsvorlage => "mitteilungsvorlage",
            Kind::Ergaenzungsvorlage => "ergaenzungsvorlage",
        }
    }

    /// The name as printed on the paper.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Beschlussvorlage => "Beschlussvorlage",
            Kind::Mitteilungsvorlage => "Mitteilungsvorlage",
            Kind::Ergaenzungsvorlage => "Ergänzungsvorlage",
        }
    }
}

impl std::str::FromStr for Kind {
    type Err = String;

    /// The record key (`beschlussvorlage`, …), as on the command line.
    fn from_str(s: &str) -> Result<Kind, String> {
        Kind::ALL.into_iter().find(|k| k.key() == s).ok_or_else(|| {
            format!("{s} is not a kind (beschlussvorlage, mitteilungsvorlage, ergaenzungsvorlage)")
        })
    }
}

/// Whether a paper is in force. A withdrawn paper (zurückgezogen) keeps its number, record
/// and files; it stays findable and is marked as withdrawn wherever it is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Active,
    Withdrawn,
}

impl Status {
    /// How the archive stores it (`active`, `withdrawn`).
    pub fn key(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Withdrawn => "withdrawn",
        }
    }
}

impl std::str::FromStr for Status {
    type Err = String;

    fn from_str(s: &str) -> Result<Status, String> {
        [Status::Active, Status::Withdrawn]
            .into_iter()
            .find(|status| status.key() == s)
            .ok_or_else(|| format!("{s} is not a status (active, withdrawn)"))
    }
}

/// Amt / Eigenbetrieb: a department with its number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Department {
    /// Amtsnummer, e.g. "55".
    #[schemars(length(max = limits::DEPARTMENT_NUMBER))]
    #[serde(rename = "nummer")]
    pub number: String,
    #[schemars(length(max = limits::NAME))]
    /// Bezeichnung, e.g. "Fachbereich Jugend und Soziales".
    pub name: String,
}

/// One step of the Beratungsfolge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Consultation {
    /// Sitzungsdatum.
    #[serde(rename = "datum")]
    pub date: Date,
    /// Gremium.
    #[schemars(length(max = limits::NAME))]
    #[serde(rename = "gremium")]
    pub body: String,
    /// Rolle of the body in this step.
    #[serde(rename = "rolle", default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
}

/// What a body does with the paper in one step of the Beratungsfolge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Vorberatung,
    Entscheidung,
    Kenntnisnahme,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Vorberatung => "Vorberatung",
            Role::Entscheidung => "Entscheidung",
            Role::Kenntnisnahme => "Kenntnisnahme",
        }
    }
}

/// Finanzielle Auswirkungen: which box is ticked, and the text for the second one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FinancialImpact {
    /// ☒ "Es entstehen keine finanziellen und personellen Auswirkungen".
    #[serde(rename = "keine")]
    pub none: bool,
    #[schemars(length(max = limits::FINANCIAL_TEXT))]
    /// The effects when `keine = false` (Markdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// One signatory (Unterschrift), printed as "gez." name and function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Signatory {
    #[schemars(length(max = limits::NAME))]
    pub name: String,
    /// Funktion, e.g. "Oberbürgermeister".
    #[schemars(length(max = limits::NAME))]
    #[serde(rename = "funktion")]
    pub function: String,
}

/// Verfügung: publication decision and office routing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Routing {
    /// Veröffentlichung: may the paper be published?
    #[serde(rename = "veroeffentlichung", default = "yes")]
    pub publish: bool,
    /// "Nein, gesperrt bis einschließlich": publication blocked up to and including this date.
    #[serde(
        rename = "gesperrt_bis",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub blocked_until: Option<Date>,
    /// Gegenzeichen: numbers of the departments that countersign.
    #[schemars(length(max = limits::DEPARTMENTS), inner(length(max = limits::DEPARTMENT_NUMBER)))]
    #[serde(rename = "gegenzeichen", default)]
    pub countersigned_by: Vec<String>,
    /// Beschlussausfertigungen: copies of the resolution to departments.
    #[schemars(length(max = limits::COPIES))]
    #[serde(rename = "beschlussausfertigungen", default)]
    pub copies: Vec<ResolutionCopy>,
}

fn yes() -> bool {
    true
}

impl Default for Routing {
    fn default() -> Self {
        Routing {
            publish: true,
            blocked_until: None,
            countersigned_by: Vec::new(),
            copies: Vec::new(),
        }
    }
}

/// Beschlussausfertigung: who gets a copy of the resolution, and how many.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolutionCopy {
    /// Amt / Eigenbetrieb number.
    #[schemars(length(max = limits::DEPARTMENT_NUMBER))]
    #[serde(rename = "amt")]
    pub department: String,
    /// Anzahl.
    #[schemars(range(max = limits::COPY_COUNT))]
    #[serde(rename = "anzahl", default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
}

/// Anlage: an attachment, named by its title.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// Titel.
    #[schemars(length(max = limits::NAME))]
    #[serde(rename = "titel")]
    pub title: String,
}

impl Paper {
    /// Reads, parses and validates a record. Every problem is reported at once.
    pub fn from_source(source: &SourceText) -> Result<Paper, InputError> {
        validate::paper_from_source(source)
    }

    /// Reads a record file (`-` is JSON on standard input) and validates it.
    pub fn load(path: &std::path::Path) -> Result<Paper, InputError> {
        Paper::from_source(&SourceText::read(path)?)
    }
}
