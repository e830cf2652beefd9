//! How large a record and each of its fields may be: set from what real papers need (a
//! Betreff is one or two lines, a Begründung of 100 pages has about 300,000 characters, a
//! Beratungsfolge a dozen steps), so that one record's memory and render time stay bounded
//! (the largest record renders in about a second with under 300 MB, see the README). They are
//! part of the JSON Schema (`maxLength`, `maxItems`), so the API description states them too.
//! Lengths count characters (Unicode code points), as JSON Schema does.

/// The largest original file of a legacy paper in bytes: a PDF given to `import` or
/// downloaded by `harvest` (a Vorlage's PDF with scanned Anlagen is large; 64 MiB is a whole
/// Sitzungsmappe). A text dump, and the text extracted from a PDF, keep the record limit.
pub const ORIGINAL_PDF_BYTES: u64 = 64 * 1024 * 1024;

/// Drucksachennummer, Bezug.
pub const REFERENCE: usize = 64;
/// Numbers of departments (Amt, Beteiligt, Gegenzeichen, Beschlussausfertigungen).
pub const DEPARTMENT_NUMBER: usize = 20;
/// Names: of departments and bodies, signatories and their functions, attachment titles.
pub const NAME: usize = 300;
/// Betreff (also the PDF's title, which PDF/A limits to 32,767 bytes).
pub const SUBJECT: usize = 2_000;
/// Kurzfassung.
pub const SUMMARY: usize = 20_000;
/// Begründung: about 100 pages.
pub const REASONING: usize = 300_000;
/// One item of the Beschlussvorschlag.
pub const RESOLUTION_ITEM: usize = 5_000;
/// Items of the Beschlussvorschlag.
pub const RESOLUTION_ITEMS: usize = 30;
/// Text of the financial effects.
pub const FINANCIAL_TEXT: usize = 50_000;
/// Beteiligt, Gegenzeichen.
pub const DEPARTMENTS: usize = 30;
/// Steps of the Beratungsfolge.
pub const CONSULTATIONS: usize = 50;
/// Unterschriften.
pub const SIGNATORIES: usize = 10;
/// Anlagen.
pub const ATTACHMENTS: usize = 100;
/// Beschlussausfertigungen.
pub const COPIES: usize = 50;
/// Copies of the resolution to one department.
pub const COPY_COUNT: u32 = 1_000;
/// Quotes, lists, emphasis and links inside one another in a Markdown text.
pub const NESTING: usize = super::richtext::MAX_NESTING;
/// Brackets (`[`, `{`) inside one another in a record file; a valid record nests four.
pub const RECORD_NESTING: usize = 32;
/// Problems reported for one record; the rest are counted.
pub const PROBLEMS: usize = 50;
