//! drucksache: produces, signs, archives and publishes the official papers of German
//! municipal councils. The binary is a thin shell around this library.

pub mod cli;
pub mod commands;
pub mod config;
pub mod model;
pub mod render;
pub mod sign;
