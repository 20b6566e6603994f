//! The simulated org on its own, over real HTTP: SOQL, describe, DML, composite, OAuth, faults, what real
//! clients found (`sim_clients`), the answers against recorded payloads (`conformance`), and its figures
//! (`bench_sim`, ignored).
//!
//! One test binary per area, so the suite links a few times instead of once per file. A new test
//! file goes beside this one and gets a `mod` line below (README, "Tests").
// Test code: `unwrap()` is the assertion, and a scenario reads top to bottom (clippy.toml).
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

#[path = "../common/mod.rs"]
mod common;

mod bench_sim;
mod conformance;
mod sim_clients;
mod sim_faults;
mod sim_oauth;
mod sim_rest;
mod sim_soql_children;
