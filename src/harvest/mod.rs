//! Harvesting another council system over OParl 1.0/1.1: the client side, without storage.
//!
//! - `client.rs`: HTTP (reqwest, rustls) with timeouts, a rate limit per host, retries with
//!   backoff that honour `Retry-After`;
//! - `oparl.rs`: reading OParl answers the way vendor systems write them;
//! - `paper.rs`: an OParl Paper ([`PaperMeta`]) and the draft record made from it over the
//!   splitter's reading of its text;
//! - `file.rs`: an OParl File and the checks a download must pass.
//!
//! This layer uses `model` and `legacy` (the splitter); the run that stores what it reads,
//! with its checkpoints, is `publish::harvest`.

mod client;
mod file;
mod oparl;
mod paper;

pub use client::{Answer, Client, ClientOptions, FetchError};
pub use file::{FileMeta, FileProblem, check as check_file};
pub use oparl::{
    OparlError, Page, Ref, date_time, day, many, page, parse, text, type_name, with_query,
};
pub use paper::{
    ConsultationMeta, NotAPaper, PaperMeta, Step, clean_name, department, draft, kind_of,
};
