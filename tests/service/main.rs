//! The service through its router (`oneshot`, no socket) and, for the browser and accessibility
//! tests, through a real socket with headless Chromium.

mod chromium;
#[path = "../common/mod.rs"]
mod common;
mod harness;

mod accessibility;
mod admin_api;
mod browser;
mod concurrency;
mod crash;
mod hostile;
mod http;
mod leak;
mod oparl;
mod oparl_walk;
mod pages;
mod publication;
mod rerender;
mod robust;
mod shutdown;
