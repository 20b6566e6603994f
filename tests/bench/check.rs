//! Benchmark of a full readiness check: round trips, API calls and wall time at 0, 50 and 150 ms
//! injected latency, on the `ready` and `large-org` scenarios. Prints figures; asserts nothing
//! about time. Run: `cargo bench --bench check`

use std::sync::Arc;
use std::time::Instant;
use writeback_setup::profile;
use writeback_setup::readiness::{self, CheckRequest};
use writeback_setup::salesforce::{Client, StaticToken};
use writeback_setup::sim::scenario;
use writeback_setup::sim::server::{SimOptions, SimServer};

const RUNS: u32 = 5;

#[tokio::main]
async fn main() {
    println!(
        "{:<10} {:>8} {:>12} {:>10} {:>14} {:>16}",
        "scenario", "latency", "round trips", "API calls", "check (ms)", "connect+check"
    );
    for name in ["ready", "large-org"] {
        let scenario = scenario::load_builtin(name).expect("scenario");
        for latency in [0u64, 50, 150] {
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
            let request = CheckRequest {
                profile: profile::builtin(profile::DEFAULT_PROFILE).expect("profile"),
                integration_user: scenario.integration_user.clone(),
                record_id: Some(writeback_setup::sfid::to_18("5005g00000AbCdE").expect("id")),
            };
            let mut check_ms = Vec::new();
            let mut total_ms = Vec::new();
            let mut last = None;
            for _ in 0..RUNS {
                let started = Instant::now();
                let client =
                    Client::connect(sim.url(), Arc::new(StaticToken::new(sim.admin_token())))
                        .await
                        .expect("connects");
                let identity = client.identity().await.expect("identity");
                let connected = Instant::now();
                let report = readiness::run_as(&client, &identity, &request, &|_| {})
                    .await
                    .expect("checks");
                // The identity call is part of logging in; time the check from after it.
                check_ms.push((Instant::now() - connected).as_secs_f64() * 1000.0);
                total_ms.push(started.elapsed().as_secs_f64() * 1000.0);
                last = Some(report);
            }
            let report = last.expect("ran");
            check_ms.sort_by(f64::total_cmp);
            total_ms.sort_by(f64::total_cmp);
            println!(
                "{:<10} {:>6}ms {:>12} {:>10} {:>14.1} {:>16.1}   verdict {:?}",
                name,
                latency,
                report.round_trips,
                report.api_calls,
                check_ms[check_ms.len() / 2],
                total_ms[total_ms.len() / 2],
                report.verdict
            );
            sim.shutdown().await;
        }
    }
    println!("(median of {RUNS} runs; round trips and API calls counted after login; connect+check adds the version list and userinfo)");
}
