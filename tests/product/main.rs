//! The product's library against the simulated org: the checks, the Salesforce client, recorded payloads
//! (`parsers`), fixes, the test write-back, reports, logins and the Salesforce CLI's orgs, and the
//! project's own rules (`project_rules`).
//!
//! One test binary per area, so the suite links a few times instead of once per file. A new test
//! file goes beside this one and gets a `mod` line below (README, "Tests").
// Test code: `unwrap()` is the assertion, and a scenario reads top to bottom (clippy.toml).
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

#[path = "../common/mod.rs"]
mod common;

mod check;
mod client;
mod fix;
mod login;
mod login_session;
mod parsers;
mod project_rules;
mod report;
mod sf_cli;
mod testwrite;
