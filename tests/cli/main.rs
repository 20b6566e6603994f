//! The `writeback-setup` command line, run as a process: `check`, the write commands, `login`, and the
//! packaging files it ships with.
//!
//! One test binary per area, so the suite links a few times instead of once per file. A new test
//! file goes beside this one and gets a `mod` line below (README, "Tests").
// Test code: `unwrap()` is the assertion, and a scenario reads top to bottom (clippy.toml).
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

#[path = "../common/mod.rs"]
mod common;

mod check_cli;
mod fix_cli;
mod login_cli;
mod packaging;
