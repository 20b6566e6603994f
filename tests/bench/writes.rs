//! Benchmark of the write actions: planning and applying the fixes on `fresh`, and the test
//! write-back (preflight, dry run, write + restore) on `ready`, at 0, 50 and 150 ms injected
//! latency. Prints round trips, API calls and wall time; asserts nothing about time.
//! Run: `cargo bench --bench writes`

use std::sync::Arc;
use std::time::Instant;
use writeback_setup::fix;
use writeback_setup::profile;
use writeback_setup::readiness::{self, CheckRequest};
use writeback_setup::salesforce::{Client, Identity, StaticToken};
use writeback_setup::sim::scenario;
use writeback_setup::sim::server::{SimOptions, SimServer};
use writeback_setup::testwrite;

async fn start(name: &str, latency: u64) -> (SimServer, Client, Identity) {
    let scenario = scenario::load_builtin(name).expect("scenario");
    let sim = SimServer::start(
        &scenario,
        SimOptions {
            port: 0,
            latency_ms: Some(latency),
            ..Default::default()
        },
    )
    .await
    .expect("simulator");
    let client = Client::connect(sim.url(), Arc::new(StaticToken::new(sim.admin_token())))
        .await
        .expect("connects");
    let identity = client.identity().await.expect("identity");
    (sim, client, identity)
}

fn line(what: &str, latency: u64, client: &Client, before: (u64, u64), started: Instant) {
    let stats = client.stats();
    println!(
        "{:<32} {:>6}ms {:>12} {:>10} {:>10.1}",
        what,
        latency,
        stats.http_requests - before.0,
        stats.api_calls - before.1,
        started.elapsed().as_secs_f64() * 1000.0
    );
}

fn mark(client: &Client) -> (u64, u64, Instant) {
    let s = client.stats();
    (s.http_requests, s.api_calls, Instant::now())
}

#[tokio::main]
async fn main() {
    println!(
        "{:<32} {:>8} {:>12} {:>10} {:>10}",
        "action", "latency", "round trips", "API calls", "wall (ms)"
    );
    let profile = profile::builtin(profile::DEFAULT_PROFILE).expect("profile");
    let record = writeback_setup::sfid::to_18("5005g00000AbCdE").expect("id");
    let data_dir =
        std::env::temp_dir().join(format!("writeback-setup-bench-{}", std::process::id()));
    for latency in [0u64, 50, 150] {
        let (sim, client, identity) = start("fresh", latency).await;
        let request = CheckRequest {
            profile: profile.clone(),
            integration_user: Some("integration@acme.example".into()),
            record_id: None,
        };
        let report = readiness::run_as(&client, &identity, &request, &|_| {})
            .await
            .expect("check");
        let (r, a, t) = mark(&client);
        let plan = fix::plan_for(
            &client,
            &profile,
            request.integration_user.as_deref(),
            &report.checks,
        )
        .await
        .expect("plan");
        line("fix: plan (fresh)", latency, &client, (r, a), t);
        let (r, a, t) = mark(&client);
        let applied = fix::apply(&client, &plan, &identity.organization_id, &|_| {})
            .await
            .expect("apply");
        line(
            &format!("fix: apply {} changes", applied.results.len()),
            latency,
            &client,
            (r, a),
            t,
        );
        let (r, a, t) = mark(&client);
        fix::undo(&client, &applied.created).await.expect("undo");
        line("fix: undo", latency, &client, (r, a), t);
        sim.shutdown().await;

        let (sim, client, identity) = start("ready", latency).await;
        let (r, a, t) = mark(&client);
        let pre = testwrite::preflight(
            &client,
            &identity,
            &profile,
            &record,
            Some("integration@acme.example"),
        )
        .await
        .expect("preflight");
        line("test write: preflight", latency, &client, (r, a), t);
        let (r, a, t) = mark(&client);
        testwrite::dry_run(&client, &pre.plan)
            .await
            .expect("dry run");
        line("test write: dry run", latency, &client, (r, a), t);
        let (r, a, t) = mark(&client);
        let report = testwrite::run(&client, &identity, &pre.plan, &data_dir, None)
            .await
            .expect("write");
        assert!(report.restored);
        line("test write: write+restore", latency, &client, (r, a), t);
        sim.shutdown().await;

        let (sim, client, identity) = start("validation-rule-blocks", latency).await;
        let plan = testwrite::preflight(&client, &identity, &profile, &record, None)
            .await
            .expect("preflight")
            .plan;
        let (r, a, t) = mark(&client);
        testwrite::run(&client, &identity, &plan, &data_dir, None)
            .await
            .expect("write");
        line(
            "test write: blocked, diagnosed",
            latency,
            &client,
            (r, a),
            t,
        );
        sim.shutdown().await;
    }
    let _ = std::fs::remove_dir_all(&data_dir);
}
