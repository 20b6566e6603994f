//! The desktop app driven by accessible labels (egui_kittest) against the simulated org: the pages, the
//! fixes, logging in, the report. (`tests/ui_recover.rs` stays its own binary: it sets the data
//! directory for the whole process.)
//!
//! One test binary per area, so the suite links a few times instead of once per file. A new test
//! file goes beside this one and gets a `mod` line below (README, "Tests").
// Test code: `unwrap()` is the assertion, and a scenario reads top to bottom (clippy.toml).
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

#[path = "../common/mod.rs"]
mod common;

mod ui;
mod ui_demo;
mod ui_fix;
mod ui_layout;
mod ui_login;
mod ui_report;
mod ui_status;
