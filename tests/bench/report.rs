//! Benchmark of the confirmation report: time to build the report and render each format, and
//! the size of each file, on the `fresh` and `large-org` scenarios. Prints figures; asserts
//! nothing about time. Run: `cargo bench --bench report`

use std::sync::Arc;
use std::time::Instant;
use writeback_setup::profile;
use writeback_setup::readiness::{self, CheckRequest};
use writeback_setup::report::{self, Report, ReportContext, ReportFormat};
use writeback_setup::salesforce::{Client, StaticToken};
use writeback_setup::sim::scenario;
use writeback_setup::sim::server::{SimOptions, SimServer};

const RUNS: u32 = 20;

#[tokio::main]
async fn main() {
    println!(
        "{:<10} {:<9} {:>10} {:>10}",
        "scenario", "format", "ms (mean)", "bytes"
    );
    for name in ["fresh", "large-org"] {
        let scenario = scenario::load_builtin(name).expect("scenario");
        let sim = SimServer::start(&scenario, SimOptions::default())
            .await
            .expect("simulator");
        let client = Client::connect(sim.url(), Arc::new(StaticToken::new(sim.admin_token())))
            .await
            .expect("client");
        let profile = profile::builtin(profile::DEFAULT_PROFILE).expect("profile");
        let request = CheckRequest {
            profile: profile.clone(),
            integration_user: scenario.integration_user.clone(),
            record_id: None,
        };
        let check = readiness::run(&client, &request, &|_| {})
            .await
            .expect("check");
        let context = ReportContext::now();
        let started = Instant::now();
        let mut built = None;
        for _ in 0..RUNS {
            built = Some(Report::build(&check, &profile, &context));
        }
        let built = built.expect("built");
        let build_ms = started.elapsed().as_secs_f64() * 1000.0 / f64::from(RUNS);
        println!("{name:<10} {:<9} {build_ms:>10.3} {:>10}", "build", "-");
        let started = Instant::now();
        for _ in 0..RUNS {
            let _ = report::redact::redact(&built);
        }
        let redact_ms = started.elapsed().as_secs_f64() * 1000.0 / f64::from(RUNS);
        println!("{name:<10} {:<9} {redact_ms:>10.3} {:>10}", "redact", "-");
        for format in ReportFormat::ALL {
            let started = Instant::now();
            let mut bytes = Vec::new();
            for _ in 0..RUNS {
                bytes = report::render(&built, format).expect("renders");
            }
            let ms = started.elapsed().as_secs_f64() * 1000.0 / f64::from(RUNS);
            println!(
                "{name:<10} {:<9} {ms:>10.3} {:>10}",
                format.label(),
                bytes.len()
            );
        }
        sim.shutdown().await;
    }
}
