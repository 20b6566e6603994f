//! The layout follows the window: the Fields, Access, Test write-back and Report pages at the
//! smallest supported window (1024x640) and a large one (1920x1080), light and dark, as
//! snapshot images, each checked for text cut off at the side by the window, a panel or a
//! frame (text below the fold is fine: the page scrolls).

use crate::common;

use eframe::egui;
use egui_kittest::Harness;
use std::sync::Arc;
use writeback_setup::checks::{ApiUsageSummary, CheckReport, Step};
use writeback_setup::ui::worker::Connection;
use writeback_setup::ui::{App, Page, Remembered};

const SIZES: [(f32, f32); 2] = [(1024.0, 640.0), (1920.0, 1080.0)];

/// A check of `scenario` with fixed content (no random port, pinned API use).
fn fixed_check(scenario: &str) -> CheckReport {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut report = runtime.block_on(async {
        let sim = common::start(scenario).await;
        let client = writeback_setup::salesforce::Client::connect(
            sim.url(),
            Arc::new(writeback_setup::salesforce::StaticToken::new(
                sim.admin_token(),
            )),
        )
        .await
        .unwrap();
        let request = writeback_setup::readiness::CheckRequest {
            profile: writeback_setup::profile::builtin("feedback-writeback").unwrap(),
            integration_user: Some("integration@acme.example".into()),
            record_id: None,
        };
        writeback_setup::readiness::run(&client, &request, &|_| {})
            .await
            .unwrap()
    });
    report.org.instance_url = "https://acme.my.salesforce.com".into();
    // Concurrent answers make the last-seen usage vary by a call or two: pin it, and the
    // texts derived from it.
    if let Some(usage) = report.org.api_usage {
        let used = writeback_setup::checks::thousands(usage.used);
        let left = writeback_setup::checks::thousands(usage.max - usage.used);
        for f in report.checks.iter_mut() {
            for text in std::iter::once(&mut f.detail)
                .chain(std::iter::once(&mut f.title))
                .chain(f.evidence.iter_mut())
            {
                *text = text
                    .replace(&format!("api-usage={}/", usage.used), "api-usage=1208/")
                    .replace(&used, "1,208")
                    .replace(&left, &writeback_setup::checks::thousands(usage.max - 1208));
            }
        }
        report.org.api_usage = Some(ApiUsageSummary {
            used: 1208,
            max: usage.max,
        });
    }
    report
}

fn screen(
    check: &CheckReport,
    page: Page,
    theme: egui::Theme,
    size: (f32, f32),
) -> Harness<'static, App> {
    let remembered = Remembered {
        demo_scenario: "fresh".into(),
        ..Remembered::default()
    };
    let mut app = App::new(common::offline_worker(), remembered);
    app.connection = Some(Connection {
        instance_url: "https://acme.my.salesforce.com".into(),
        username: "admin@acme.example".into(),
        display_name: "Ada Admin".into(),
        org_id: check.org.id.clone(),
        demo: Some("fresh".into()),
        integration_user_hint: Some("integration@acme.example".into()),
        kept: None,
        signs_out: false,
    });
    app.report = Some(check.clone());
    app.report_state.checked_at = Some("2026-11-21T10:00:00Z".into());
    app.steps.checked_at = Some("10:00:00".into());
    app.page = page;
    let mut h = Harness::builder()
        .with_size(egui::vec2(size.0, size.1))
        .with_theme(theme)
        .wgpu()
        .build_ui_state(|ui, app: &mut App| app.show(ui), app);
    h.run_steps(3);
    h
}

/// Text shapes drawn partly outside their clip rectangle at the left or right: cut off.
fn clipped_texts(output: &egui::FullOutput) -> Vec<String> {
    fn visit(shape: &egui::Shape, clip: egui::Rect, out: &mut Vec<String>) {
        match shape {
            egui::Shape::Vec(shapes) => shapes.iter().for_each(|s| visit(s, clip, out)),
            egui::Shape::Text(text) => {
                let rect = text.visual_bounding_rect();
                let visible_rows = rect.bottom() > clip.top() && rect.top() < clip.bottom();
                let cut = rect.right() > clip.right() + 1.0 || rect.left() < clip.left() - 1.0;
                if visible_rows && cut && !text.galley.text().trim().is_empty() {
                    out.push(format!(
                        "{:?} at x {:.0}..{:.0}, clipped to {:.0}..{:.0}",
                        text.galley.text(),
                        rect.left(),
                        rect.right(),
                        clip.left(),
                        clip.right()
                    ));
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for clipped in &output.shapes {
        visit(&clipped.shape, clipped.clip_rect, &mut out);
    }
    out
}

#[test]
fn pages_fit_the_window_from_small_to_large() {
    let check = fixed_check("fresh");
    let mut results = egui_kittest::SnapshotResults::new();
    let mut cut_off = Vec::new();
    for (page, name) in [
        (Page::Step(Step::Fields), "fields"),
        (Page::Step(Step::Access), "access"),
        (Page::Step(Step::TestWrite), "test_write"),
        (Page::Report, "report"),
    ] {
        for size in SIZES {
            for (theme, suffix) in [(egui::Theme::Light, "light"), (egui::Theme::Dark, "dark")] {
                let mut h = screen(&check, page, theme, size);
                let label = format!("{name}_fresh_{}x{}_{suffix}", size.0, size.1);
                for text in clipped_texts(h.output()) {
                    cut_off.push(format!("{label}: {text}"));
                }
                h.snapshot(&label);
                results.extend(h.take_snapshot_results());
            }
        }
    }
    assert!(cut_off.is_empty(), "text cut off:\n{}", cut_off.join("\n"));
}

#[test]
fn the_clip_check_finds_cut_off_text() {
    // The check itself: a label in a frame narrower than its text is reported.
    let mut h = Harness::builder()
        .with_size(egui::vec2(300.0, 100.0))
        .build_ui(|ui| {
            ui.scope_builder(
                egui::UiBuilder::new().max_rect(egui::Rect::from_min_size(
                    egui::pos2(0.0, 0.0),
                    egui::vec2(80.0, 40.0),
                )),
                |ui| {
                    ui.set_clip_rect(ui.max_rect());
                    ui.add(egui::Label::new("a sentence much wider than eighty points").extend());
                },
            );
        });
    h.run_steps(2);
    assert_eq!(clipped_texts(h.output()).len(), 1);
}

#[test]
fn the_profile_dialog_shows_whole_api_names_in_a_small_window() {
    use egui_kittest::kittest::Queryable;
    let check = fixed_check("ready");
    let mut h = screen(
        &check,
        Page::Step(Step::Fields),
        egui::Theme::Light,
        SIZES[0],
    );
    h.get_by_label("Edit profile…").click();
    h.run_steps(3);
    let api_name = h.get_by_label("API name of field 3");
    assert!(
        api_name.rect().width() >= 250.0,
        "the API name box is {} points wide",
        api_name.rect().width()
    );
    let cut: Vec<String> = clipped_texts(h.output())
        .into_iter()
        .filter(|t| t.contains("__c"))
        .collect();
    assert!(cut.is_empty(), "API names cut off: {cut:?}");
}
