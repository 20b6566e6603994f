//! Rendering: the top bar, the step checklist, the page of the current step, the profile editor.

use super::{App, Page, ProfileDraft, Run, PAGES};
use crate::checks::{thousands, Finding, FindingId, Status, Step, Verdict};
use crate::profile::{self, FieldType};
use crate::report::model::StepStatus;
use eframe::egui;
use egui::{Color32, RichText};

pub(super) fn status_color(ui: &egui::Ui, status: Option<Status>) -> Color32 {
    let dark = ui.visuals().dark_mode;
    match status {
        Some(Status::Pass) => {
            if dark {
                Color32::from_rgb(110, 200, 120)
            } else {
                Color32::from_rgb(20, 130, 50)
            }
        }
        Some(Status::Warn) => {
            if dark {
                Color32::from_rgb(240, 190, 80)
            } else {
                Color32::from_rgb(170, 110, 0)
            }
        }
        Some(Status::Fail) => {
            if dark {
                Color32::from_rgb(255, 110, 100)
            } else {
                Color32::from_rgb(190, 30, 30)
            }
        }
        Some(Status::Unknown) => {
            if dark {
                Color32::from_rgb(170, 160, 230)
            } else {
                Color32::from_rgb(100, 80, 170)
            }
        }
        Some(Status::Skipped) | None => ui.visuals().weak_text_color(),
    }
}

/// The word for a status: status is never shown by colour alone (an icon shape and a word too).
pub(super) fn status_word(status: Option<Status>) -> &'static str {
    match status {
        Some(Status::Pass) => "ok",
        Some(Status::Warn) => "warning",
        Some(Status::Fail) => "fix",
        Some(Status::Unknown) => "confirm",
        Some(Status::Skipped) => "skipped",
        None => "pending",
    }
}

/// A small status icon drawn with shapes (no font glyphs needed): a check, a cross, a
/// triangle, a question mark, a dash, or a hollow circle.
fn status_icon(ui: &mut egui::Ui, status: Option<Status>) {
    let color = status_color(ui, status);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
    let painter = ui.painter_at(rect.expand(1.0));
    let c = rect.center();
    let stroke = egui::Stroke::new(2.0, color);
    match status {
        Some(Status::Pass) => {
            painter.line_segment(
                [c + egui::vec2(-5.0, 0.0), c + egui::vec2(-1.5, 4.0)],
                stroke,
            );
            painter.line_segment(
                [c + egui::vec2(-1.5, 4.0), c + egui::vec2(5.5, -4.5)],
                stroke,
            );
        }
        Some(Status::Fail) => {
            painter.line_segment(
                [c + egui::vec2(-4.5, -4.5), c + egui::vec2(4.5, 4.5)],
                stroke,
            );
            painter.line_segment(
                [c + egui::vec2(-4.5, 4.5), c + egui::vec2(4.5, -4.5)],
                stroke,
            );
        }
        Some(Status::Warn) => {
            let points = vec![
                c + egui::vec2(0.0, -6.0),
                c + egui::vec2(6.0, 5.0),
                c + egui::vec2(-6.0, 5.0),
            ];
            painter.add(egui::Shape::convex_polygon(
                points,
                egui::Color32::TRANSPARENT,
                egui::Stroke::new(1.6, color),
            ));
            painter.line_segment(
                [c + egui::vec2(0.0, -2.0), c + egui::vec2(0.0, 1.5)],
                egui::Stroke::new(1.6, color),
            );
        }
        Some(Status::Unknown) => {
            painter.circle_stroke(c, 6.0, egui::Stroke::new(1.6, color));
            painter.text(
                c,
                egui::Align2::CENTER_CENTER,
                "?",
                egui::FontId::proportional(10.0),
                color,
            );
        }
        Some(Status::Skipped) => {
            painter.line_segment(
                [c + egui::vec2(-4.0, 0.0), c + egui::vec2(4.0, 0.0)],
                stroke,
            );
        }
        None => {
            painter.circle_stroke(c, 4.5, egui::Stroke::new(1.4, color));
        }
    }
}

/// A step's chip: a check status, "not run" (a test write-back not made), or "pending".
pub(super) fn step_chip(ui: &mut egui::Ui, status: Option<StepStatus>) {
    match status {
        Some(StepStatus::NotRun) => {
            let color = ui.visuals().weak_text_color();
            ui.horizontal(|ui| {
                ui.spacing_mut().item_spacing.x = 4.0;
                status_icon(ui, None);
                ui.label(RichText::new("not run").color(color).strong());
            });
        }
        other => chip(ui, other.and_then(StepStatus::as_status)),
    }
}

pub(super) fn chip(ui: &mut egui::Ui, status: Option<Status>) {
    let color = status_color(ui, status);
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        status_icon(ui, status);
        ui.label(RichText::new(status_word(status)).color(color).strong());
    });
}

pub fn show(app: &mut App, ui: &mut egui::Ui) {
    keyboard(app, ui);
    egui::Panel::top("top_bar").show(ui, |ui| top_bar(app, ui));
    egui::Panel::bottom("navigation").show(ui, |ui| navigation(app, ui));
    // The checklist keeps to what its longest title needs ("3 Integration user access" beside
    // its status); the page takes the rest of the width.
    egui::Panel::left("steps")
        .resizable(false)
        .exact_size(296.0)
        .show(ui, |ui| checklist(app, ui));
    egui::CentralPanel::default().show(ui, |ui| {
        // One scroll position per page: a new page starts at its top.
        egui::ScrollArea::vertical()
            .id_salt(("page", app.page))
            .auto_shrink([false, false])
            .show(ui, |ui| page(app, ui));
    });
    profile_editor(app, ui.ctx());
}

fn keyboard(app: &mut App, ui: &mut egui::Ui) {
    let typing = ui.ctx().memory(|m| m.focused().is_some());
    if typing {
        return;
    }
    let (next, previous) = ui.input(|i| {
        (
            i.key_pressed(egui::Key::ArrowDown) || i.key_pressed(egui::Key::PageDown),
            i.key_pressed(egui::Key::ArrowUp) || i.key_pressed(egui::Key::PageUp),
        )
    });
    let index = PAGES.iter().position(|p| *p == app.page).unwrap_or(0);
    if next && index + 1 < PAGES.len() {
        app.page = PAGES[index + 1];
    }
    if previous && index > 0 {
        app.page = PAGES[index - 1];
    }
}

fn top_bar(app: &mut App, ui: &mut egui::Ui) {
    ui.add_space(4.0);
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(super::APP_NAME).strong());
        ui.separator();
        match (&app.connection, &app.report) {
            (Some(connection), report) => {
                let org = report.as_ref().map(|r| &r.org);
                let name = org
                    .map(|o| o.name.clone())
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| connection.org_id.clone());
                ui.label(RichText::new(name).strong());
                let sandbox = org.is_some_and(|o| o.is_sandbox);
                let (badge, fill) = if connection.demo.is_some() {
                    // The demo org only plays production or sandbox: never show it as either.
                    (" SIMULATED ORG ", Color32::from_rgb(150, 80, 0))
                } else if sandbox {
                    (" SANDBOX ", Color32::from_rgb(40, 110, 200))
                } else {
                    (" PRODUCTION ", Color32::from_rgb(200, 60, 20))
                };
                if org.is_some() || connection.demo.is_some() {
                    ui.label(
                        RichText::new(badge)
                            .color(Color32::WHITE)
                            .background_color(fill)
                            .strong(),
                    );
                }
                if let Some(demo) = &connection.demo {
                    ui.label(
                        RichText::new(format!(" demo scenario: {demo} "))
                            .background_color(ui.visuals().faint_bg_color),
                    );
                }
                if let Some(edition) = org.map(|o| o.edition.clone()).filter(|e| !e.is_empty()) {
                    ui.label(edition);
                }
                ui.label(format!("Logged in as {}", connection.username));
                if let Some(usage) = org.and_then(|o| o.api_usage) {
                    ui.separator();
                    // One label, so it wraps as a whole in a narrow window.
                    let percent = usage.used as f64 * 100.0 / usage.max.max(1) as f64;
                    ui.label(format!(
                        "API today: {} / {} ({percent:.0}%)",
                        thousands(usage.used),
                        thousands(usage.max)
                    ));
                }
            }
            (None, _) => {
                ui.label(RichText::new("Not connected").weak());
            }
        }
    });
    ui.horizontal_wrapped(|ui| {
        let profile_label = ui.label("Profile:");
        let current = app.profile.title.clone();
        let mut chosen: Option<String> = None;
        egui::ComboBox::from_id_salt("profile_picker")
            .selected_text(current)
            .show_ui(ui, |ui| {
                for id in profile::builtin_ids() {
                    if let Ok(p) = profile::builtin(id) {
                        if ui
                            .selectable_label(app.profile.id == id, p.title.clone())
                            .clicked()
                        {
                            chosen = Some(id.to_string());
                        }
                    }
                }
            })
            .response
            .labelled_by(profile_label.id);
        if let Some(id) = chosen {
            if let Ok(p) = profile::builtin(&id) {
                app.set_profile(p, id);
            }
        }
        if app.can_write() && ui.button("Edit profile…").clicked() {
            app.draft = Some(ProfileDraft::of(&app.profile));
        }
        integration_user_control(app, ui);
        ui.separator();
        match app.run.clone() {
            Run::Running { note, .. } => {
                ui.add(egui::Spinner::new());
                ui.label(format!("Checking: {note}"));
                if ui.button("Cancel").clicked() {
                    app.cancel();
                }
            }
            Run::Idle => {
                if ui
                    .add_enabled(app.connection.is_some(), egui::Button::new("Re-check all"))
                    .on_disabled_hover_text("Connect to an org first.")
                    .clicked()
                {
                    app.run_checks(None);
                }
            }
        }
    });
    if let Some(message) = &app.profile_error {
        ui.colored_label(status_color(ui, Some(Status::Warn)), message);
    }
    ui.add_space(2.0);
}

/// The one place the integration user is chosen: typed, or a detected user or a candidate
/// adopted with one click. What the checks run for is said in words, never only by grey text.
fn integration_user_control(app: &mut App, ui: &mut egui::Ui) {
    let user_label = ui.label("Integration user:");
    let response = ui
        .add(
            egui::TextEdit::singleline(&mut app.remembered.integration_user)
                .hint_text("integration@yourcompany.com")
                .desired_width(220.0),
        )
        .labelled_by(user_label.id);
    if response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
        app.run_checks(None);
    }
    let chosen = app.chosen_integration_user();
    let checked_for = app.report.as_ref().and_then(|r| r.integration_user.clone());
    match (&chosen, app.detected_integration_user()) {
        (Some(user), _)
            if checked_for.as_deref() != Some(user.as_str()) && app.connection.is_some() =>
        {
            if ui.button("Check this user").clicked() {
                app.run_checks(None);
            }
        }
        (Some(_), _) => {
            ui.label(RichText::new("chosen").weak());
        }
        (None, Some(detected)) => {
            ui.label(format!(
                "None chosen; checking the detected user {detected}."
            ));
            if ui
                .button("Use this user")
                .accessible_name(format!("Use {detected}"))
                .clicked()
            {
                app.choose_integration_user(&detected);
            }
        }
        (None, None) => {
            let candidates = app
                .report
                .as_ref()
                .map(|r| r.candidates.clone())
                .unwrap_or_default();
            if candidates.is_empty() {
                ui.label(RichText::new("None chosen.").color(status_color(ui, Some(Status::Warn))));
            } else {
                ui.label(
                    RichText::new("None chosen. Likely:")
                        .color(status_color(ui, Some(Status::Warn))),
                );
                for candidate in candidates.iter().take(3) {
                    if ui.button(format!("Use {candidate}")).clicked() {
                        app.choose_integration_user(candidate);
                    }
                }
            }
        }
    }
}

fn checklist(app: &mut App, ui: &mut egui::Ui) {
    ui.add_space(6.0);
    for page in PAGES {
        // The Report row is not a check: it carries no status.
        let status = match page {
            Page::Step(step) => Some(app.step_status(step)),
            Page::Report => None,
        };
        let running = app.is_running()
            && match (&app.run, page) {
                (Run::Running { step: Some(s), .. }, Page::Step(p)) => *s == p,
                (Run::Running { step: None, .. }, Page::Step(_)) => true,
                _ => false,
            };
        ui.horizontal(|ui| {
            ui.set_min_height(26.0);
            ui.allocate_ui_with_layout(
                egui::vec2(78.0, 22.0),
                egui::Layout::left_to_right(egui::Align::Center),
                |ui| {
                    ui.set_min_width(78.0);
                    if running {
                        ui.add(egui::Spinner::new().size(14.0));
                        ui.label(RichText::new("checking").weak());
                    } else if let Some(status) = status {
                        step_chip(ui, status);
                    }
                },
            );
            let selected = app.page == page;
            if ui
                .selectable_label(selected, RichText::new(page.title()).size(15.0))
                .clicked()
            {
                app.page = page;
            }
        });
    }
    ui.add_space(16.0);
    ui.separator();
    ui.checkbox(&mut app.remembered.verify_only, "Verify only (CSM)")
        .on_hover_text("Read-only: hides every action that would change the org or the profile.");
    if let Some(connection) = &app.connection {
        ui.add_space(8.0);
        ui.label(RichText::new(&connection.instance_url).small().weak());
        if ui.button("Disconnect").clicked() {
            app.disconnect();
        }
    }
}

fn navigation(app: &mut App, ui: &mut egui::Ui) {
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        let index = PAGES.iter().position(|p| *p == app.page).unwrap_or(0);
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .add_enabled(index + 1 < PAGES.len(), egui::Button::new("Next ›"))
                .on_disabled_hover_text("This is the last page.")
                .clicked()
            {
                app.page = PAGES[index + 1];
            }
            if let Page::Step(step) = app.page {
                let can = app.connection.is_some() && !app.is_running();
                if ui
                    .add_enabled(can, egui::Button::new("Re-check this step"))
                    .on_disabled_hover_text(if app.connection.is_none() {
                        "Connect to an org first."
                    } else {
                        "Wait for the checks that are running."
                    })
                    .clicked()
                {
                    app.run_checks(Some(step));
                }
            }
            if ui
                .add_enabled(index > 0, egui::Button::new("‹ Back"))
                .on_disabled_hover_text("This is the first page.")
                .clicked()
            {
                app.page = PAGES[index - 1];
            }
            if let Some(report) = &app.report {
                let checked_at = app
                    .steps
                    .checked_at
                    .as_deref()
                    .map(|at| format!("Checked at {at}; "))
                    .unwrap_or_default();
                ui.label(
                    RichText::new(format!(
                        "{checked_at}{} API calls in {} requests",
                        report.api_calls, report.round_trips
                    ))
                    .small()
                    .weak(),
                );
            }
        });
    });
    ui.add_space(4.0);
}

/// A setup step's number, for the words that refer to it.
fn number(step: Step) -> usize {
    step.number().unwrap_or_default()
}

fn intro(app: &App, step: Step) -> String {
    let p = &app.profile;
    let vendor = &p.vendor;
    let object = &p.object;
    match step {
        Step::Connect => "Log in to the org the integration writes to. The assistant reads the setup the way an admin sees it in Setup, and checks it as the integration user will experience it. It changes nothing.".to_string(),
        Step::Fields => format!(
            "{vendor} writes {} values onto each {object}. Create these custom fields with exactly these API names (or change the names in the profile). Field types matter: a long summary does not fit a Text(255) field, and a restricted picklist rejects values it does not list.",
            p.fields.len()
        ),
        Step::App => format!(
            "{vendor} connects through its app, \"{}\". To write data, the app's OAuth scopes must include api (\"Manage user data via APIs\"). Change scopes before re-authorizing (step {}), or the new login will not carry them.",
            p.app.label,
            number(Step::Reauthorize)
        ),
        Step::Access => format!(
            "The integration user is the Salesforce user whose login authorizes {vendor}. It needs {} on {object} and Visible + Editable on every field. A dedicated permission set assigned to that user is the cleanest way.",
            [(p.access.read, "Read"), (p.access.create, "Create"), (p.access.edit, "Edit")].iter().filter(|(on, _)| *on).map(|(_, w)| *w).collect::<Vec<_>>().join(" + ")
        ),
        Step::Reauthorize => format!(
            "Existing logins keep the scopes they were issued with. After steps {} to {}, reconnect Salesforce inside {vendor} as the integration user, so the new token carries write access.",
            number(Step::Fields),
            number(Step::Access)
        ),
        Step::TestWrite => format!(
            "Salesforce treats the integration's writes as normal updates: validation rules, triggers, flows and workflow rules on {object} run on every write. Review what fires, then run a safe test write-back: pick a {object}, preflight it (nothing is written), optionally dry-run it, then write the test values, read them back and restore the originals."
        ),
    }
}

/// Where the org stands, and the first step that needs work: on every page.
fn verdict_banner(app: &mut App, ui: &mut egui::Ui) {
    let (Some(report), Some(verdict)) = (&app.report, app.verdict()) else {
        return;
    };
    let first_open = Step::ALL
        .into_iter()
        .find(|s| matches!(app.checks_status(*s), Some(Status::Fail | Status::Unknown)));
    let confirmations = app.counted_confirmations();
    let (status, text) = match (verdict, first_open) {
        (Verdict::Ready, _) => (
            Status::Pass,
            "Ready: the org is set up for the write-back.".to_string(),
        ),
        (Verdict::ReadyWithConfirmations, _) => (
            Status::Pass,
            format!(
                "Ready, with {confirmations} manual confirmation{}: people confirmed what the app could not verify.",
                if confirmations == 1 { "" } else { "s" }
            ),
        ),
        (Verdict::NotReady, None) => (
            Status::Fail,
            "Not ready: the test write-back was refused. See Test write-back.".to_string(),
        ),
        (Verdict::NotReady, Some(step)) => {
            let n = report
                .checks
                .iter()
                .filter(|c| app.effective_status(c) == Status::Fail)
                .count();
            (
                Status::Fail,
                format!(
                    "Not ready: {n} thing{} to fix. Start with {}.",
                    if n == 1 { "" } else { "s" },
                    step.title()
                ),
            )
        }
        (Verdict::Incomplete, step) => (
            Status::Unknown,
            format!(
                "Almost there: some checks need a manual confirmation{}.",
                step.map(|s| format!(", starting with {}", s.title()))
                    .unwrap_or_default()
            ),
        ),
    };
    let go_to = match (verdict, first_open) {
        (Verdict::NotReady, None) => Some(Step::TestWrite),
        (_, step) => step,
    };
    let color = status_color(ui, Some(status));
    egui::Frame::new()
        .fill(color.gamma_multiply(0.12))
        .stroke(egui::Stroke::new(1.0, color))
        .inner_margin(8.0)
        .corner_radius(4.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal_wrapped(|ui| {
                status_icon(ui, Some(status));
                ui.label(RichText::new(text).strong().color(color));
                if let Some(step) = go_to.filter(|s| app.page != Page::Step(*s)) {
                    if ui.button(format!("Go to {}", step.title())).clicked() {
                        app.page = Page::Step(step);
                    }
                }
            });
        });
}

/// In the demo, on every page: the org is simulated.
fn simulated_banner(app: &App, ui: &mut egui::Ui) {
    let Some(scenario) = app.connection.as_ref().and_then(|c| c.demo.clone()) else {
        return;
    };
    let color = status_color(ui, Some(Status::Warn));
    egui::Frame::new()
        .stroke(egui::Stroke::new(1.5, color))
        .inner_margin(6.0)
        .corner_radius(4.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(
                RichText::new(format!(
                    "SIMULATED ORG: the app's built-in demo org (scenario \"{scenario}\"). Nothing here touches Salesforce; reports made here say so."
                ))
                .strong()
                .color(color),
            );
        });
    ui.add_space(4.0);
}

/// Demo mode: the Setup-only work of this step done in the simulated org on a click, so the
/// demo can be walked to READY (a real org is changed in Setup, by its admin).
fn demo_setup_actions(app: &mut App, ui: &mut egui::Ui, step: Step) {
    if !app.is_demo() || !app.can_write() {
        return;
    }
    let failing = matches!(
        app.checks_status(step),
        Some(Status::Fail | Status::Unknown)
    );
    let action = match step {
        Step::App => super::demo::DemoSetupAction::AddApiScope {
            app: app.profile.app.label.clone(),
        },
        Step::Reauthorize => match app.integration_user() {
            Some(username) => super::demo::DemoSetupAction::Reauthorize {
                username,
                app: app.profile.app.label.clone(),
            },
            None => return,
        },
        _ => return,
    };
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.label(RichText::new("Demo org").strong());
        ui.label(format!(
            "{} In the simulated org the app can do it for you, so you can walk the demo to the end.",
            action.in_a_real_org()
        ));
        let enabled = failing && !app.is_running();
        let response = ui.add_enabled(enabled, egui::Button::new(action.label()));
        let response = if failing {
            response
        } else {
            response.on_disabled_hover_text("Nothing to do: this step passes.")
        };
        if !failing {
            ui.label(RichText::new("Nothing to do here: this step passes.").weak());
        }
        if response.clicked() {
            app.demo_setup(action.clone());
        }
        // Said on the page of the step it was for only.
        match app.steps.demo_notice.as_ref().filter(|(for_step, _)| *for_step == step).map(|(_, n)| n) {
            Some(Ok(done)) => {
                ui.label(done.as_str());
            }
            Some(Err(why)) => {
                ui.colored_label(status_color(ui, Some(Status::Fail)), why.as_str());
            }
            None => {}
        }
    });
    ui.add_space(6.0);
}

fn page(app: &mut App, ui: &mut egui::Ui) {
    ui.add_space(8.0);
    super::fix_view::pending_banner(app, ui);
    simulated_banner(app, ui);
    verdict_banner(app, ui);
    ui.add_space(4.0);
    match app.page {
        Page::Step(step) => {
            let heading = app.page.heading();
            if app.is_demo() {
                ui.heading(format!("{heading} (simulated org)"));
            } else {
                ui.heading(heading);
            }
            ui.add_space(4.0);
            ui.label(intro(app, step));
            ui.add_space(8.0);
            match step {
                Step::Connect => super::connect::connect_page(app, ui),
                Step::Fields => fields_table(app, ui),
                Step::Access => record_picker(app, ui),
                Step::App => app_values(app, ui),
                Step::TestWrite => super::fix_view::test_write_page(app, ui),
                _ => {}
            }
            demo_setup_actions(app, ui, step);
            if matches!(step, Step::Fields | Step::Access) {
                super::fix_view::fix_panel(app, ui, step);
            }
            findings(app, ui, step);
        }
        Page::Report => super::report_view::show(app, ui),
    }
}

pub(super) fn error_box(ui: &mut egui::Ui, error: &super::UiError, id: &str) {
    error_box_revealed(ui, error, id, false);
}

/// An error box; `reveal` scrolls it into view (for an error that just arrived).
pub(super) fn error_box_revealed(
    ui: &mut egui::Ui,
    error: &super::UiError,
    id: &str,
    reveal: bool,
) {
    ui.add_space(6.0);
    let shown = egui::Frame::group(ui.style())
        .stroke(egui::Stroke::new(1.5, status_color(ui, Some(Status::Fail))))
        .show(ui, |ui| {
            ui.label(
                RichText::new(&error.message)
                    .color(status_color(ui, Some(Status::Fail)))
                    .strong(),
            );
            ui.label(&error.fix);
            egui::CollapsingHeader::new("Details")
                .id_salt(id)
                .show(ui, |ui| {
                    ui.label(RichText::new(&error.details).monospace());
                });
        });
    if reveal {
        shown.response.scroll_to_me(Some(egui::Align::Center));
    }
}

pub(super) fn copy_button(ui: &mut egui::Ui, value: &str) {
    if ui
        .button("Copy")
        .accessible_name(format!("Copy {value}"))
        .on_hover_text(format!("Copy {value}"))
        .clicked()
    {
        ui.ctx().copy_text(value.to_string());
    }
}

/// The checks' evidence line for a field (`API_name: ...`) of a finding, when there is one.
fn field_evidence(app: &App, id: FindingId, api_name: &str) -> Option<String> {
    let finding = app.report.as_ref()?.checks.iter().find(|c| c.id == id)?;
    finding.evidence.iter().find_map(|line| {
        let (name, rest) = line.split_once(": ")?;
        (name == api_name).then(|| rest.to_string())
    })
}

fn fields_table(app: &mut App, ui: &mut egui::Ui) {
    // Per field: presence from the fields.exist evidence ("API_name: found|missing"), the org's
    // type from fields.types, a restricted picklist from fields.picklist.
    let rows: Vec<_> = app
        .profile
        .fields
        .iter()
        .map(|field| {
            let presence =
                field_evidence(app, FindingId::FieldsExist, &field.api_name).map(|state| {
                    if state == "found" {
                        Status::Pass
                    } else {
                        Status::Fail
                    }
                });
            let in_org = field_evidence(app, FindingId::FieldsTypes, &field.api_name);
            let picklist = field_evidence(app, FindingId::FieldsPicklist, &field.api_name);
            (field.clone(), presence, in_org, picklist)
        })
        .collect();
    // Each field's name and API name share a cell (the API name with its Copy button beside
    // it), and the type cells wrap: the table fits a 1024-pixel window. A profile with longer
    // names scrolls sideways instead of being cut off.
    let type_width = ((ui.available_width() - 420.0) / 2.0).clamp(150.0, 420.0);
    egui::ScrollArea::horizontal()
        .id_salt("fields_table_scroll")
        .show(ui, |ui| {
            egui::Grid::new("fields_table")
                .striped(true)
                .num_columns(4)
                .spacing([14.0, 6.0])
                .show(ui, |ui| {
                    ui.label("");
                    ui.label(RichText::new("Field and API name").strong());
                    ui.label(RichText::new("Type needed").strong());
                    ui.label(RichText::new("In the org").strong());
                    ui.end_row();
                    for (field, status, in_org, picklist) in &rows {
                        let word = match status {
                            Some(Status::Pass) => "exists",
                            Some(_) => "missing",
                            None => "pending",
                        };
                        ui.horizontal(|ui| {
                            status_icon(ui, *status);
                            ui.label(
                                RichText::new(word)
                                    .color(status_color(ui, *status))
                                    .strong(),
                            );
                        });
                        ui.vertical(|ui| {
                            ui.label(&field.label);
                            ui.horizontal(|ui| {
                                ui.label(RichText::new(&field.api_name).monospace());
                                copy_button(ui, &field.api_name);
                            });
                        });
                        let length = field
                            .length
                            .map(|l| format!(" ({})", thousands(u64::from(l))))
                            .unwrap_or_default();
                        let values = if field.values.is_empty() {
                            String::new()
                        } else {
                            format!(", values {}", field.values.join(" / "))
                        };
                        wrapped_cell(
                            ui,
                            type_width,
                            RichText::new(format!("{}{length}{values}", field.field_type.label())),
                        );
                        let restricted = picklist
                            .as_deref()
                            .filter(|p| p.starts_with("restricted picklist"));
                        let in_org = match (in_org, restricted) {
                            (kind, Some(restricted)) => RichText::new(match kind {
                                Some(kind) => format!("{kind}, {restricted}"),
                                None => restricted.to_string(),
                            })
                            .color(status_color(ui, Some(Status::Fail))),
                            (Some(kind), None) => RichText::new(kind.as_str()),
                            (None, None) => RichText::new("—").weak(),
                        };
                        wrapped_cell(ui, type_width, in_org);
                        ui.end_row();
                    }
                });
        });
    ui.add_space(8.0);
}

/// A table cell whose text wraps at `width`.
fn wrapped_cell(ui: &mut egui::Ui, width: f32, text: RichText) {
    ui.allocate_ui_with_layout(
        egui::vec2(width, 0.0),
        egui::Layout::top_down(egui::Align::Min),
        |ui| {
            ui.set_max_width(width);
            ui.add(egui::Label::new(text).wrap());
        },
    );
}

/// Values an admin types when setting up or checking the app, each with a copy button.
fn app_values(app: &App, ui: &mut egui::Ui) {
    let app_req = &app.profile.app;
    egui::Grid::new("app_values")
        .num_columns(3)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            ui.label("App name");
            ui.label(RichText::new(&app_req.label).monospace());
            copy_button(ui, &app_req.label);
            ui.end_row();
            ui.label("OAuth scope");
            ui.label(RichText::new("Manage user data via APIs (api)").monospace());
            copy_button(ui, "api");
            ui.end_row();
            if let Some(callback) = &app_req.callback_url {
                ui.label("Callback URL");
                ui.label(RichText::new(callback).monospace());
                copy_button(ui, callback);
                ui.end_row();
            }
        });
    ui.add_space(8.0);
}

fn record_picker(app: &mut App, ui: &mut egui::Ui) {
    let object = app.profile.object.clone();
    let valid = app.record_input();
    ui.horizontal_wrapped(|ui| {
        let label = ui.label(format!("{object} for the record-access check (optional)"));
        let typed = ui
            .add(
                egui::TextEdit::singleline(&mut app.steps.record_input)
                    .hint_text("Id, record URL or Case number")
                    .desired_width(260.0),
            )
            .labelled_by(label.id);
        if typed.changed() {
            // What was said about the last record is not about this one.
            app.steps.record_error = None;
        }
        let can = valid.as_ref().is_ok_and(|r| r.is_some())
            && app.connection.is_some()
            && !app.is_running();
        let button = ui.add_enabled(can, egui::Button::new("Check this record"));
        let why = if app.connection.is_none() {
            "Connect to an org first."
        } else if app.is_running() {
            "Wait for the checks that are running."
        } else {
            "Type a record first."
        };
        if button.on_disabled_hover_text(why).clicked() {
            app.run_checks(Some(Step::Access));
        }
    });
    // Under the box, where the eye is, and wrapped to the page.
    let problem = valid.err().or_else(|| app.steps.record_error.clone());
    if let Some(problem) = problem {
        let shown = ui.colored_label(status_color(ui, Some(Status::Fail)), problem);
        if std::mem::take(&mut app.steps.reveal_error) {
            shown.scroll_to_me(Some(egui::Align::Center));
        }
    }
    ui.add_space(6.0);
}

fn findings(app: &mut App, ui: &mut egui::Ui, step: Step) {
    if let Some(error) = app.check_error.clone() {
        let reveal = std::mem::take(&mut app.steps.reveal_error);
        error_box_revealed(ui, &error, "check_error", reveal);
    }
    let Some(report) = app.report.clone() else {
        if app.connection.is_some() {
            ui.label(RichText::new("Checks run as soon as you connect…").weak());
        } else if step != Step::Connect {
            ui.label(RichText::new("Connect to an org first (step Connect).").weak());
        }
        return;
    };
    let list: Vec<&Finding> = report.checks.iter().filter(|c| c.step == step).collect();
    if step == Step::TestWrite && !list.is_empty() {
        ui.add_space(6.0);
        ui.label(RichText::new("What runs when the integration writes (the automation scan; it does not set this step's status):").strong());
    }
    if !list.is_empty() {
        ui.checkbox(&mut app.steps.expand_evidence, "Show all evidence");
    }
    for finding in list {
        finding_card(app, ui, finding, &report.org.instance_url);
    }
    if step == Step::Access && app.chosen_integration_user().is_none() {
        // One control chooses the integration user: the one at the top of the window.
        ui.add_space(4.0);
        ui.label(RichText::new("No integration user chosen: choose one beside \"Integration user\" at the top of the window (the likely ones are offered there).").color(status_color(ui, Some(Status::Warn))));
    }
    if let Some(next) = next_hint(app, step) {
        ui.add_space(8.0);
        ui.label(RichText::new(next).strong());
    }
}

fn next_hint(app: &App, step: Step) -> Option<String> {
    let status = app.step_status(step)?;
    let position = Step::ALL.iter().position(|s| *s == step)?;
    if step == Step::TestWrite {
        // The automation scan does not set the step, but what it found still needs fixing.
        if matches!(app.checks_status(step), Some(Status::Fail)) && status != StepStatus::Pass {
            return Some("Fix the automation item above (then Re-check this step), and run the test write-back to prove it.".into());
        }
        return Some(match status {
            StepStatus::NotRun => {
                "Next: run the test write-back above, then save the report.".into()
            }
            StepStatus::Fail => {
                "The test write was refused: fix what it says, then test again.".into()
            }
            _ => "Next: the Report.".into(),
        });
    }
    if matches!(status, StepStatus::Fail | StepStatus::Unknown) {
        return Some("Fix the items above, then press Re-check this step.".into());
    }
    let following = Step::ALL.get(position + 1)?;
    Some(format!("Next: {}.", following.title()))
}

fn finding_card(app: &mut App, ui: &mut egui::Ui, finding: &Finding, instance_url: &str) {
    let status = app.effective_status(finding);
    let stroke_color = status_color(ui, Some(status));
    egui::Frame::group(ui.style())
        .stroke(egui::Stroke::new(1.0, stroke_color.gamma_multiply(0.6)))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal_wrapped(|ui| {
                chip(ui, Some(status));
                ui.label(RichText::new(&finding.title).strong());
            });
            if !finding.detail.is_empty() {
                ui.label(&finding.detail);
            }
            if let Some(fix) = finding.fix.as_ref().filter(|_| status != Status::Pass) {
                ui.label(
                    RichText::new(format!("Fix: {fix}")).color(ui.visuals().strong_text_color()),
                );
            }
            if let Some(path) = &finding.setup_path {
                setup_link(app, ui, &finding.title, instance_url, path);
            }
            if finding.status == Status::Unknown {
                manual_confirmation(app, ui, finding);
            }
            if !finding.granted_by.is_empty() || !finding.evidence.is_empty() {
                egui::CollapsingHeader::new(format!("Evidence ({})", finding.id))
                    .id_salt((&finding.id, app.steps.expand_evidence))
                    .default_open(app.steps.expand_evidence)
                    .show(ui, |ui| {
                        if !finding.granted_by.is_empty() {
                            ui.label(format!("Granted by: {}", finding.granted_by.join("; ")));
                        }
                        evidence_rows(ui, &finding.evidence);
                    });
            }
        });
    ui.add_space(6.0);
}

/// "Open in Salesforce Setup": in a real org the page itself; in the demo org, which has no
/// Setup, the simulated org's page that says what that Setup page is for.
pub(super) fn setup_link(
    app: &App,
    ui: &mut egui::Ui,
    title: &str,
    instance_url: &str,
    path: &str,
) {
    let url = format!("{}{path}", instance_url.trim_end_matches('/'));
    ui.horizontal_wrapped(|ui| {
        let (text, hover) = if app.is_demo() {
            (
                "Open in Salesforce Setup (simulated)",
                format!("The demo org has no Setup: this opens its page describing {path}"),
            )
        } else {
            ("Open in Salesforce Setup", url.clone())
        };
        if ui
            .button(text)
            .accessible_name(format!("Open in Salesforce Setup: {title}"))
            .on_hover_text(hover)
            .clicked()
        {
            ui.ctx().open_url(egui::OpenUrl::new_tab(url));
        }
    });
}

/// "Confirm manually" for a check the app could not verify: it counts only with a note, and
/// for a check about the integration user only once one is chosen.
fn manual_confirmation(app: &mut App, ui: &mut egui::Ui, finding: &Finding) {
    let user_chosen = app
        .report
        .as_ref()
        .is_some_and(|r| r.integration_user.is_some());
    let blocked_by_user = finding.id.needs_integration_user() && !user_chosen;
    let entry = app
        .steps
        .manual
        .entry(finding.id.as_str().to_string())
        .or_default();
    ui.horizontal_wrapped(|ui| {
        ui.label("What you saw in Setup");
        ui.add_enabled(
            !blocked_by_user,
            egui::TextEdit::singleline(&mut entry.note)
                .hint_text("e.g. Setup > App Manager shows api")
                .desired_width(300.0),
        )
        .accessible_name(format!("What you saw: {}", finding.title));
        let has_note = !entry.note.trim().is_empty();
        if !has_note {
            // A confirmation without a note does not count: untick it so the box says so.
            entry.confirmed = false;
        }
        let why = if blocked_by_user {
            "Choose the integration user first (top of the window): there is nobody to confirm this for yet."
        } else {
            "Write what you saw first: a confirmation needs a note."
        };
        ui.add_enabled(
            has_note && !blocked_by_user,
            egui::Checkbox::new(&mut entry.confirmed, "Confirm manually"),
        )
        .accessible_name(format!("Confirm manually: {}", finding.title))
        .on_hover_text("You checked this yourself in Setup. The report records it as confirmed by a person, not by the app.")
        .on_disabled_hover_text(why);
    });
    if blocked_by_user {
        ui.label(
            RichText::new("Choose the integration user first: this check is about that user.")
                .color(status_color(ui, Some(Status::Warn))),
        );
    }
}

/// Evidence can be hundreds of lines on a large org: only the visible rows are laid out.
fn evidence_rows(ui: &mut egui::Ui, lines: &[String]) {
    let row_height = ui.text_style_height(&egui::TextStyle::Body);
    if lines.len() <= 20 {
        for line in lines {
            ui.label(RichText::new(line).small());
        }
        return;
    }
    egui::ScrollArea::vertical()
        .max_height(row_height * 16.0)
        .auto_shrink([false, true])
        .show_rows(ui, row_height, lines.len(), |ui, range| {
            for line in &lines[range] {
                ui.label(RichText::new(line).small());
            }
        });
}

fn profile_editor(app: &mut App, ctx: &egui::Context) {
    let Some(mut draft) = app.draft.take() else {
        return;
    };
    if !app.can_write() {
        return;
    }
    let mut open = true;
    let mut apply = false;
    // Wide enough for full API names; smaller screens scroll inside the dialog.
    let screen = ctx.content_rect();
    egui::Window::new("Edit profile")
        .open(&mut open)
        .default_width((screen.width() - 40.0).min(980.0))
        .min_width((screen.width() - 40.0).min(760.0))
        .max_height(screen.height() - 60.0)
        .show(ctx, |ui| {
            egui::ScrollArea::both()
                .id_salt("profile_editor_scroll")
                .show(ui, |ui| {
                    ui.label(format!(
                        "{}: what {} needs. Change API names if your org uses other ones.",
                        draft.profile.title, draft.profile.vendor
                    ));
                    let problems = draft_problems(&draft.profile);
                    egui::Grid::new("profile_fields")
                        .num_columns(5)
                        .spacing([8.0, 6.0])
                        .show(ui, |ui| {
                            ui.label(RichText::new("Label").strong());
                            ui.label(RichText::new("API name").strong());
                            ui.label(RichText::new("Type").strong());
                            ui.label(RichText::new("Length").strong());
                            ui.label("");
                            ui.end_row();
                            for (i, field) in draft.profile.fields.iter_mut().enumerate() {
                                // Sized, not "desired": a grid cell would otherwise
                                // shrink the box to a few characters.
                                let height = ui.spacing().interact_size.y;
                                ui.add_sized(
                                    [190.0, height],
                                    egui::TextEdit::singleline(&mut field.label),
                                )
                                .accessible_name(format!("Label of field {}", i + 1));
                                ui.add_sized(
                                    [300.0, height],
                                    egui::TextEdit::singleline(&mut field.api_name),
                                )
                                .accessible_name(format!("API name of field {}", i + 1));
                                egui::ComboBox::from_id_salt(("field_type", i))
                                    .selected_text(field.field_type.label())
                                    .show_ui(ui, |ui| {
                                        for t in [
                                            FieldType::Text,
                                            FieldType::TextArea,
                                            FieldType::LongTextArea,
                                            FieldType::Picklist,
                                            FieldType::Number,
                                            FieldType::Checkbox,
                                            FieldType::Date,
                                            FieldType::DateTime,
                                            FieldType::Email,
                                            FieldType::Url,
                                        ] {
                                            ui.selectable_value(
                                                &mut field.field_type,
                                                t,
                                                t.label(),
                                            );
                                        }
                                    })
                                    .response
                                    .accessible_name(format!("Type of field {}", i + 1));
                                let mut length = field.length.unwrap_or(0);
                                if ui
                                    .add(egui::DragValue::new(&mut length).range(0..=131_072))
                                    .accessible_name(format!("Length of field {}", i + 1))
                                    .changed()
                                {
                                    field.length = (length > 0).then_some(length);
                                }
                                match problems.iter().find(|(index, _)| *index == Some(i)) {
                                    Some((_, message)) => {
                                        ui.colored_label(Color32::from_rgb(200, 50, 40), message)
                                    }
                                    None => ui.label(""),
                                };
                                ui.end_row();
                            }
                        });
                    ui.horizontal(|ui| {
                        let label = ui.label("App name");
                        ui.add(
                            egui::TextEdit::singleline(&mut draft.profile.app.label)
                                .desired_width(200.0),
                        )
                        .labelled_by(label.id);
                        let user = ui.label("Integration user");
                        let mut default_user =
                            draft.profile.integration_user.clone().unwrap_or_default();
                        if ui
                            .add(egui::TextEdit::singleline(&mut default_user).desired_width(220.0))
                            .labelled_by(user.id)
                            .changed()
                        {
                            draft.profile.integration_user = (!default_user.trim().is_empty())
                                .then(|| default_user.trim().to_string());
                        }
                    });
                    for (index, message) in &problems {
                        if index.is_none() {
                            ui.colored_label(Color32::from_rgb(200, 50, 40), message);
                        }
                    }
                    ui.horizontal(|ui| {
                        if ui
                            .add_enabled(
                                problems.is_empty(),
                                egui::Button::new("Apply and re-check"),
                            )
                            .on_disabled_hover_text("Fix what is marked in red first.")
                            .clicked()
                        {
                            apply = true;
                        }
                        let path_label = ui.label("Save as");
                        ui.add(
                            egui::TextEdit::singleline(&mut draft.save_path).desired_width(240.0),
                        )
                        .labelled_by(path_label.id);
                        if ui
                            .add_enabled(
                                problems.is_empty() && draft.pending_save.is_none(),
                                egui::Button::new("Save profile file"),
                            )
                            .on_disabled_hover_text("Fix what is marked in red first.")
                            .clicked()
                        {
                            draft.save_in_background(ctx);
                        }
                    });
                    if let Some(message) = &draft.message {
                        ui.label(message);
                    }
                });
        });
    if apply {
        let text = draft.profile.to_toml();
        match profile::parse("edited profile", &text) {
            Ok(p) => {
                let remembered = draft
                    .saved_to
                    .clone()
                    .unwrap_or_else(|| app.remembered.profile.clone());
                app.set_profile(p, remembered);
                return;
            }
            Err(e) => draft.message = Some(e.to_string()),
        }
    }
    if open {
        app.draft = Some(draft);
    }
}

/// Problems with the draft, by field index (None: the profile as a whole), checked as you type.
fn draft_problems(p: &profile::Profile) -> Vec<(Option<usize>, String)> {
    let mut problems = Vec::new();
    for (i, field) in p.fields.iter().enumerate() {
        if let Err(e) = profile::validate_api_name(field.api_name.trim()) {
            problems.push((Some(i), e));
            continue;
        }
        let duplicate = p.fields.iter().enumerate().any(|(j, other)| {
            j != i
                && other
                    .api_name
                    .trim()
                    .eq_ignore_ascii_case(field.api_name.trim())
        });
        if duplicate {
            problems.push((Some(i), "appears twice".to_string()));
        } else if field.field_type.is_text() && field.length.is_none_or(|l| l == 0) {
            problems.push((Some(i), "needs a length".to_string()));
        } else if matches!(field.field_type, FieldType::Text | FieldType::TextArea)
            && field.length.is_some_and(|l| l > 255)
        {
            problems.push((Some(i), "at most 255 for this type".to_string()));
        } else if field.label.trim().is_empty() {
            problems.push((Some(i), "needs a label".to_string()));
        }
    }
    if p.app.label.trim().is_empty() {
        problems.push((None, "The app name is empty.".to_string()));
    }
    problems
}
