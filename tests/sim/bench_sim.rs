//! Benchmarks of the simulated org: figures printed, nothing asserted about time.
//! Run: `cargo test --release --test bench_sim -- --ignored --nocapture`

use crate::common;

use std::time::Instant;
use writeback_setup::sim::org::Org;
use writeback_setup::sim::scenario;

fn report(what: &str, runs: u32, started: Instant) {
    let per = started.elapsed() / runs;
    println!("{what:<55} {per:>12.2?} per run ({runs} runs)");
}

#[tokio::test]
#[ignore = "benchmark: run with --ignored --nocapture"]
async fn large_org_figures() {
    let scenario = scenario::load_builtin("large-org").unwrap();
    let started = Instant::now();
    let org = Org::from_scenario(&scenario);
    report("load large-org into memory", 1, started);
    let rows: usize = org.tables.values().map(Vec::len).sum();
    println!("large-org rows in all tables: {rows}");

    let sim = common::start("large-org").await;
    let token = sim.admin_token().to_string();
    let integration = common::integration_token(&sim);

    let runs = 5;
    let started = Instant::now();
    for _ in 0..runs {
        let (status, _) =
            common::get(&sim, &token, "/services/data/v66.0/sobjects/Case/describe/").await;
        assert_eq!(status, 200);
    }
    report("Case describe, admin (2,000+ fields)", runs, started);

    let started = Instant::now();
    for _ in 0..runs {
        let (status, _) = common::get(
            &sim,
            &integration,
            "/services/data/v66.0/sobjects/Case/describe/",
        )
        .await;
        assert_eq!(status, 200);
    }
    report("Case describe, integration user", runs, started);

    let soql = "SELECT Parent.Name, Field, PermissionsRead, PermissionsEdit FROM FieldPermissions WHERE SobjectType = 'Case' AND ParentId IN (SELECT PermissionSetId FROM PermissionSetAssignment WHERE Assignee.Username = 'integration@acme.example')";
    let started = Instant::now();
    for _ in 0..runs {
        let (status, _) = common::query(&sim, &token, soql, false).await;
        assert_eq!(status, 200);
    }
    report("FieldPermissions semi-join for one user", runs, started);

    let started = Instant::now();
    let (status, page) = common::query(
        &sim,
        &token,
        "SELECT Id, Field FROM FieldPermissions",
        false,
    )
    .await;
    assert_eq!(status, 200);
    let mut next = page["nextRecordsUrl"].as_str().map(str::to_string);
    let mut pages = 1;
    while let Some(url) = next {
        let (_, page) = common::get(&sim, &token, &url).await;
        next = page["nextRecordsUrl"].as_str().map(str::to_string);
        pages += 1;
    }
    report(
        &format!("all FieldPermissions rows ({pages} pages)"),
        1,
        started,
    );

    let started = Instant::now();
    for _ in 0..runs {
        let (status, _) = common::query(
            &sim,
            &token,
            "SELECT Id, DeveloperName FROM CustomField WHERE TableEnumOrId = 'Case'",
            true,
        )
        .await;
        assert_eq!(status, 200);
    }
    report("Tooling CustomField list on Case", runs, started);
}
