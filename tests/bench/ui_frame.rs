//! CPU time per frame of the desktop UI with every finding of a `large-org` check shown and all
//! evidence open: layout plus tessellation, on each page, without a GPU. Prints figures; asserts
//! nothing about time. Run: `cargo bench --bench ui_frame`

use eframe::egui;
use std::sync::Arc;
use std::time::{Duration, Instant};
use writeback_setup::readiness::{self, CheckRequest};
use writeback_setup::salesforce::{Client, StaticToken};
use writeback_setup::sim::scenario;
use writeback_setup::sim::server::{SimOptions, SimServer};
use writeback_setup::ui::worker::{Connection, Worker};
use writeback_setup::ui::{App, Remembered, PAGES};

const FRAMES: usize = 200;

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let scenario = scenario::load_builtin("large-org").expect("scenario");
    let (report, url) = runtime.block_on(async {
        let sim = SimServer::start(&scenario, SimOptions::default())
            .await
            .expect("sim");
        let client = Client::connect(sim.url(), Arc::new(StaticToken::new(sim.admin_token())))
            .await
            .expect("client");
        let request = CheckRequest {
            profile: writeback_setup::profile::builtin("feedback-writeback").expect("profile"),
            integration_user: scenario.integration_user.clone(),
            record_id: None,
        };
        let report = readiness::run(&client, &request, &|_| {})
            .await
            .expect("checks");
        (report, sim.url().to_string())
    });
    let evidence_lines: usize = report.checks.iter().map(|c| c.evidence.len()).sum();
    let mut app = App::new(
        Worker::spawn_with(
            || {},
            || writeback_setup::ui::worker::LoginEnv {
                store: std::sync::Arc::new(writeback_setup::login::store::MemoryStore::new(
                    "benchmark",
                )),
                book: None,
                sf_cli: writeback_setup::login::sf_cli::SfCli::with_program("sf-not-installed"),
                open_browser: std::sync::Arc::new(|_: &str| {}),
            },
        ),
        Remembered::default(),
    );
    app.connection = Some(Connection {
        instance_url: url,
        username: "admin@acme.example".into(),
        display_name: "Ada Admin".into(),
        org_id: report.org.id.clone(),
        demo: Some("large-org".into()),
        integration_user_hint: scenario.integration_user.clone(),
        kept: None,
        signs_out: false,
    });
    app.report = Some(report);
    app.steps.expand_evidence = true;

    let ctx = egui::Context::default();
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1280.0, 800.0),
        )),
        ..Default::default()
    };
    println!("large-org findings with all evidence open ({evidence_lines} evidence lines), {FRAMES} frames per page, 1280x800:");
    println!(
        "{:<28} {:>10} {:>10} {:>10}",
        "page", "mean ms", "p95 ms", "max ms"
    );
    let mut worst = Duration::ZERO;
    for page in PAGES {
        app.page = page;
        // Warm up: fonts, layout caches.
        for _ in 0..5 {
            let output = ctx.run_ui(input(), |ui| app.show(ui));
            let _ = ctx.tessellate(output.shapes, output.pixels_per_point);
        }
        let mut times = Vec::with_capacity(FRAMES);
        for _ in 0..FRAMES {
            let started = Instant::now();
            let output = ctx.run_ui(input(), |ui| app.show(ui));
            let primitives = ctx.tessellate(output.shapes, output.pixels_per_point);
            std::hint::black_box(primitives);
            times.push(started.elapsed());
        }
        times.sort();
        let mean = times.iter().sum::<Duration>() / FRAMES as u32;
        let p95 = times[FRAMES * 95 / 100];
        let max = *times.last().expect("frames");
        worst = worst.max(p95);
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{:<28} {:>10.3} {:>10.3} {:>10.3}",
            page.title(),
            ms(mean),
            ms(p95),
            ms(max)
        );
    }
    println!(
        "worst p95: {:.3} ms per frame (target below 4 ms)",
        worst.as_secs_f64() * 1000.0
    );
}
