//! drucksache: produces, signs, archives and publishes the official papers of German
//! municipal councils. The binary is a thin shell around this library.

pub mod archive;
pub mod cli;
pub mod commands;
pub mod config;
pub mod demo;
pub mod error;
pub mod harvest;
pub mod legacy;
pub mod model;
pub mod publish;
pub mod render;
pub mod search;
pub mod server;
pub mod sign;

/// The program version, recorded with every rendition.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
