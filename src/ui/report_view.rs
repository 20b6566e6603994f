//! The Report page: the confirmation report of the current run (save as HTML, PDF, Markdown or
//! JSON, copy a Markdown summary, redact), changes since the last run for the same org, and a
//! report someone sent, opened from its JSON file with its integrity checked (no org needed).
//!
//! File dialogs and file writes run on a short-lived thread, so the window keeps drawing while
//! a dialog is open. The last run of each org is kept as JSON in the app's data folder.

use super::view::{status_color, status_word as ui_status_word};
use super::App;
use crate::checks::{Status, Verdict};
use crate::report::{self, model, Report, ReportContext, ReportFormat};
use eframe::egui;
use egui::RichText;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A dialog that comes back this fast never showed (no desktop portal): say so.
const NO_DIALOG: Duration = Duration::from_millis(400);

/// What the Report page holds between frames.
#[derive(Default)]
pub struct ReportState {
    /// Shown as who prepared the report.
    pub prepared_by: String,
    /// Hide usernames, emails and record values in everything that leaves the app.
    pub redact: bool,
    /// Fallback when no file dialog can open: a path typed by hand.
    pub typed_path: String,
    pub open_path: String,
    /// The outcome of the last save or open, and whether it went well.
    pub message: Option<(bool, String)>,
    /// A report opened from a file (shown instead of the live one).
    pub opened: Option<(PathBuf, Report)>,
    /// Where last runs are kept (None: nowhere, e.g. in tests that do not set one).
    pub data_dir: Option<PathBuf>,
    /// The last run for the same org, before the current one.
    pub previous: Option<Report>,
    /// Evidence of the test write-back, when one was made (set by the test write-back step).
    pub test_write: Option<model::TestWrite>,
    /// When the current run's checks finished: the report's time, so what is shown (and its
    /// digest) is what is saved.
    pub checked_at: Option<String>,
    pending: Option<mpsc::Receiver<Outcome>>,
    /// The previous run, read (and this run kept) on a short-lived thread after a full run.
    pending_previous: Option<mpsc::Receiver<Option<Report>>>,
}

enum Outcome {
    Saved(PathBuf),
    Opened(PathBuf, Box<Report>),
    /// No file was chosen; `quick` when the dialog never showed, with a path to suggest.
    Cancelled {
        quick: bool,
        suggested: Option<PathBuf>,
    },
    Failed(String),
}

impl ReportState {
    /// The state of a real window: last runs in the app's data folder.
    pub fn with_data_dir(data_dir: Option<PathBuf>) -> ReportState {
        ReportState {
            data_dir,
            ..ReportState::default()
        }
    }

    pub fn is_busy(&self) -> bool {
        self.pending.is_some()
    }
}

/// The report of the current run as it would be saved now (redacted when the switch is on).
pub fn current_report(app: &App) -> Option<Report> {
    let built = unredacted_report(app)?;
    Some(if app.report_state.redact {
        report::redact::redact(&built)
    } else {
        built
    })
}

fn unredacted_report(app: &App) -> Option<Report> {
    let check = app.report.as_ref()?;
    let mut context = ReportContext::now();
    if let Some(at) = &app.report_state.checked_at {
        context.now = at.clone();
    }
    let name = app.report_state.prepared_by.trim();
    context.prepared_by = (!name.is_empty()).then(|| name.to_string());
    context.confirmations = app
        .steps
        .manual
        .iter()
        .filter(|(_, m)| m.confirmed)
        .map(|(id, m)| (id.clone(), m.note.clone()))
        .collect();
    context.simulated = app.is_demo();
    context.test_write = app.report_state.test_write.clone();
    Some(Report::build(check, &app.profile, &context))
}

fn last_run_path(dir: &Path, org_id: &str) -> PathBuf {
    let safe: String = org_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    dir.join("last-runs").join(format!(
        "{}.json",
        if safe.is_empty() { "org" } else { &safe }
    ))
}

/// After a run: the report's time is now. After a full run also remember the previous run of
/// this org for "Changes since the last run", then keep this one. The file holds the report
/// only (never a token).
pub fn on_checked(app: &mut App, full_run: bool) {
    app.report_state.checked_at = Some(ReportContext::now().now);
    if !full_run {
        return;
    }
    let Some(dir) = app.report_state.data_dir.clone() else {
        return;
    };
    let Some(current) = unredacted_report(app) else {
        return;
    };
    let path = last_run_path(&dir, &current.org.id);
    // Files are read and written off the UI thread; `poll` picks the previous run up.
    let (tx, rx) = mpsc::channel();
    app.report_state.previous = None;
    app.report_state.pending_previous = Some(rx);
    let _ = crate::spawn_named("report-last-run", move || {
        let previous = crate::files::read_text_limited(&path, report::MAX_REPORT_FILE_BYTES)
            .ok()
            .and_then(|text| report::read_verified(&text).ok());
        // last-runs/ is the app's own folder in its data directory: made on first use.
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let _ = crate::files::write_file(&path, report::to_json_file(&current).as_bytes());
        let _ = tx.send(previous);
    });
}

fn save_in_background(
    state: &mut ReportState,
    ctx: &egui::Context,
    report: Report,
    format: ReportFormat,
    typed: Option<PathBuf>,
) {
    let (tx, rx) = mpsc::channel();
    let ctx = ctx.clone();
    let name = report::file_name(&report, format);
    let _ = crate::spawn_named("report-save", move || {
        let started = Instant::now();
        let path = match typed {
            Some(p) => Some(p),
            None => rfd::FileDialog::new()
                .set_title(format!("Save the report as {}", format.label()))
                .set_file_name(&name)
                .add_filter(format.label(), &[format.extension()])
                .save_file(),
        };
        let outcome = match path {
            None => Outcome::Cancelled {
                quick: started.elapsed() < NO_DIALOG,
                suggested: std::env::var_os("HOME").map(|home| PathBuf::from(home).join(&name)),
            },
            Some(path) => match report::render(&report, format) {
                Ok(bytes) => match crate::files::write_file(&path, &bytes) {
                    Ok(()) => Outcome::Saved(path),
                    Err(e) => Outcome::Failed(e.to_string()),
                },
                Err(e) => Outcome::Failed(e.to_string()),
            },
        };
        let _ = tx.send(outcome);
        ctx.request_repaint();
    });
    state.pending = Some(rx);
    state.message = None;
}

fn open_in_background(state: &mut ReportState, ctx: &egui::Context, typed: Option<PathBuf>) {
    let (tx, rx) = mpsc::channel();
    let ctx = ctx.clone();
    let _ = crate::spawn_named("report-open", move || {
        let started = Instant::now();
        let path = match typed {
            Some(p) => Some(p),
            None => rfd::FileDialog::new()
                .set_title("Open a report (JSON)")
                .add_filter("Report (JSON)", &["json"])
                .pick_file(),
        };
        let outcome = match path {
            None => Outcome::Cancelled {
                quick: started.elapsed() < NO_DIALOG,
                suggested: None,
            },
            Some(path) => {
                match crate::files::read_text_limited(&path, report::MAX_REPORT_FILE_BYTES) {
                    Err(e) => Outcome::Failed(e.to_string()),
                    Ok(text) => match report::read_verified(&text) {
                        Ok(r) => Outcome::Opened(path, Box::new(r)),
                        Err(e) => Outcome::Failed(format!("{}: {e}", path.display())),
                    },
                }
            }
        };
        let _ = tx.send(outcome);
        ctx.request_repaint();
    });
    state.pending = Some(rx);
    state.message = None;
}

fn poll(state: &mut ReportState) {
    if let Some(rx) = &state.pending_previous {
        match rx.try_recv() {
            Ok(previous) => {
                state.previous = previous;
                state.pending_previous = None;
            }
            Err(mpsc::TryRecvError::Disconnected) => state.pending_previous = None,
            Err(mpsc::TryRecvError::Empty) => {}
        }
    }
    let Some(rx) = &state.pending else {
        return;
    };
    let outcome = match rx.try_recv() {
        Ok(o) => o,
        Err(mpsc::TryRecvError::Empty) => return,
        Err(mpsc::TryRecvError::Disconnected) => {
            Outcome::Failed("The save stopped unexpectedly; try again.".into())
        }
    };
    state.pending = None;
    state.message = Some(match outcome {
        Outcome::Saved(path) => (true, format!("Saved to {}", path.display())),
        Outcome::Opened(path, r) => {
            let text = format!(
                "Opened {}. Integrity checked: the file is exactly as it was made.",
                path.display()
            );
            state.opened = Some((path, *r));
            (true, text)
        }
        Outcome::Cancelled {
            quick: true,
            suggested,
        } => {
            if let Some(path) = suggested.filter(|_| state.typed_path.trim().is_empty()) {
                state.typed_path = path.display().to_string();
            }
            (
                false,
                "No file dialog opened here (this desktop has no file-chooser portal). Type the file's path in the box instead.".into(),
            )
        }
        Outcome::Cancelled { quick: false, .. } => (true, "Nothing chosen.".into()),
        Outcome::Failed(e) => (false, e),
    });
}

fn message(ui: &mut egui::Ui, state: &ReportState) {
    if state.is_busy() {
        ui.horizontal(|ui| {
            ui.add(egui::Spinner::new());
            ui.label("Waiting for the file dialog…");
        });
    }
    if let Some((ok, text)) = &state.message {
        let color = if *ok {
            ui.visuals().text_color()
        } else {
            status_color(ui, Some(Status::Fail))
        };
        ui.label(RichText::new(text).color(color));
    }
}

fn verdict_label(ui: &mut egui::Ui, verdict: Verdict) {
    let (text, status) = match verdict {
        Verdict::Ready => ("Ready: the org is set up for the write-back.", Status::Pass),
        Verdict::ReadyWithConfirmations => (
            "Ready, with manual confirmations: people confirmed what the app could not verify.",
            Status::Pass,
        ),
        Verdict::NotReady => ("Not ready: some steps need work.", Status::Fail),
        Verdict::Incomplete => ("Incomplete: some checks could not run.", Status::Unknown),
    };
    ui.label(
        RichText::new(text)
            .size(18.0)
            .color(status_color(ui, Some(status)))
            .strong(),
    );
}

/// The body of a report: org, steps with every check, open items, test write-back.
fn report_body(ui: &mut egui::Ui, r: &Report) {
    let org = &r.org;
    if r.simulated {
        ui.label(
            RichText::new(report::SIMULATED_NOTE)
                .strong()
                .color(status_color(ui, Some(Status::Warn))),
        );
    }
    ui.label(format!(
        "{} ({}), {} {} org, {}",
        org.name,
        org.id,
        org.edition,
        org.environment.word(),
        org.instance_url
    ));
    ui.label(format!(
        "Checked as {}; integration user {}; profile {}; made {} by writeback-setup {}",
        r.run.logged_in_as,
        r.run.integration_user.as_deref().unwrap_or("(none)"),
        r.profile.id,
        r.generated_at,
        r.app_version
    ));
    if r.redacted {
        ui.label(RichText::new("Redacted: usernames, emails and record values are hidden.").weak());
    }
    ui.add_space(6.0);
    for step in &r.steps {
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(
                    step.status
                        .as_status()
                        .map_or("not run", |s| ui_status_word(Some(s))),
                )
                .color(status_color(ui, step.status.as_status()))
                .strong(),
            );
            ui.label(RichText::new(&step.title).strong());
        });
        for c in &step.checks {
            ui.horizontal_wrapped(|ui| {
                ui.add_space(18.0);
                let status = if c.confirmed.is_some() {
                    Status::Pass
                } else {
                    c.status
                };
                ui.label(
                    RichText::new(model::status_word(c.status, c.confirmed.is_some()))
                        .color(status_color(ui, Some(status))),
                );
                ui.label(&c.title);
            });
            if c.status != Status::Pass && !c.seen.is_empty() {
                ui.horizontal_wrapped(|ui| {
                    ui.add_space(60.0);
                    ui.label(RichText::new(format!("Seen: {}", c.seen)).weak());
                });
            }
            if let Some(fix) = &c.fix {
                ui.horizontal_wrapped(|ui| {
                    ui.add_space(60.0);
                    ui.label(RichText::new(format!("Fix: {fix}")).weak());
                });
            }
            if let Some(m) = &c.confirmed {
                ui.horizontal_wrapped(|ui| {
                    ui.add_space(60.0);
                    ui.label(RichText::new(format!("Confirmed by a person: {}", m.note)).weak());
                });
            }
        }
    }
    if !r.open_items.is_empty() {
        ui.add_space(6.0);
        ui.label(RichText::new("Open items").strong());
        for item in &r.open_items {
            ui.label(format!(
                "{}{}: {}",
                item.who.label(),
                if item.advisory { " (advice)" } else { "" },
                item.title
            ));
        }
    }
    if let Some(t) = &r.test_write {
        ui.add_space(6.0);
        ui.label(RichText::new("Test write-back").strong());
        ui.label(format!("{} {}: {}", t.object, t.record_id, t.outcome));
    }
}

fn opened_view(app: &mut App, ui: &mut egui::Ui) {
    let Some((path, r)) = app.report_state.opened.clone() else {
        return;
    };
    ui.horizontal(|ui| {
        ui.heading("Report from a file");
        if ui.button("Close this report").clicked() {
            app.report_state.opened = None;
            app.report_state.message = None;
        }
    });
    ui.label(format!("{}", path.display()));
    ui.label(
        RichText::new(format!(
            "Integrity checked: SHA-256 {} matches the content.",
            r.digest()
        ))
        .color(status_color(ui, Some(Status::Pass))),
    );
    verdict_label(ui, r.verdict);
    ui.label(&r.verdict_text);
    ui.add_space(4.0);
    // The same report in another format, e.g. a PDF for the ticket (the digest stays the same).
    save_buttons(app, ui, &r);
    message(ui, &app.report_state);
    ui.add_space(6.0);
    report_body(ui, &r);
    if let Some(mine) = unredacted_report(app).filter(|m| m.org.id == r.org.id) {
        ui.add_space(8.0);
        changes(ui, "Compared with your current run", &r, &mine);
    }
}

fn changes(ui: &mut egui::Ui, heading: &str, old: &Report, new: &Report) {
    ui.label(RichText::new(heading).strong());
    let list = report::diff::diff(old, new);
    if list.is_empty() {
        ui.label("No changes in the org, the verdict or any check.");
    }
    for c in list {
        ui.label(format!("• {}", c.line));
    }
}

fn save_buttons(app: &mut App, ui: &mut egui::Ui, report: &Report) {
    let busy = app.report_state.is_busy();
    ui.horizontal_wrapped(|ui| {
        for format in ReportFormat::ALL {
            let button = ui
                .add_enabled(
                    !busy,
                    egui::Button::new(format!("Save as {}…", format.label())),
                )
                .on_hover_text(format!(
                    "Choose where to save the report as {}",
                    format.label()
                ))
                .on_disabled_hover_text("Wait for the file dialog that is open.");
            if button.clicked() {
                save_in_background(
                    &mut app.report_state,
                    ui.ctx(),
                    report.clone(),
                    format,
                    None,
                );
            }
        }
        if ui
            .button("Copy summary")
            .on_hover_text("Markdown, for a ticket or a chat")
            .clicked()
        {
            ui.ctx().copy_text(report::markdown::render(report));
            app.report_state.message = Some((true, "Summary copied (Markdown).".into()));
        }
    });
    ui.horizontal(|ui| {
        ui.add(
            egui::TextEdit::singleline(&mut app.report_state.typed_path)
                .hint_text("/path/to/report.pdf")
                .desired_width(360.0),
        )
        .accessible_name("Path to save to");
        let path = app.report_state.typed_path.trim().to_string();
        if ui
            .add_enabled(
                !busy && !path.is_empty(),
                egui::Button::new("Save to this path"),
            )
            .on_hover_text("The format follows the extension: .html, .pdf, .md or .json")
            .on_disabled_hover_text(if busy {
                "Wait for the file dialog that is open."
            } else {
                "Type the file's path first."
            })
            .clicked()
        {
            let path = PathBuf::from(path);
            match ReportFormat::from_path(&path) {
                Some(format) => save_in_background(
                    &mut app.report_state,
                    ui.ctx(),
                    report.clone(),
                    format,
                    Some(path),
                ),
                None => {
                    app.report_state.message = Some((
                        false,
                        "End the file name in .html, .pdf, .md or .json to choose the format."
                            .into(),
                    ))
                }
            }
        }
    });
}

fn open_controls(app: &mut App, ui: &mut egui::Ui) {
    let busy = app.report_state.is_busy();
    ui.horizontal(|ui| {
        if ui
            .add_enabled(!busy, egui::Button::new("Open a report…"))
            .on_hover_text("A report someone saved as JSON; its integrity is checked")
            .on_disabled_hover_text("Wait for the file dialog that is open.")
            .clicked()
        {
            open_in_background(&mut app.report_state, ui.ctx(), None);
        }
        ui.add(
            egui::TextEdit::singleline(&mut app.report_state.open_path)
                .hint_text("/path/to/report.json")
                .desired_width(300.0),
        )
        .accessible_name("Path of a report to open");
        let path = app.report_state.open_path.trim().to_string();
        if ui
            .add_enabled(
                !busy && !path.is_empty(),
                egui::Button::new("Open this path"),
            )
            .on_disabled_hover_text(if busy {
                "Wait for the file dialog that is open."
            } else {
                "Type the report's path first."
            })
            .clicked()
        {
            open_in_background(&mut app.report_state, ui.ctx(), Some(PathBuf::from(path)));
        }
    });
}

/// The Report page.
pub fn show(app: &mut App, ui: &mut egui::Ui) {
    poll(&mut app.report_state);
    if app.report_state.pending_previous.is_some() {
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_millis(50));
    }
    if app.report_state.opened.is_some() {
        opened_view(app, ui);
        return;
    }
    ui.heading("Report");
    let Some(report) = current_report(app) else {
        ui.label("Connect and run the checks first, or open a report someone sent you.");
        ui.add_space(6.0);
        open_controls(app, ui);
        message(ui, &app.report_state);
        return;
    };
    verdict_label(ui, report.verdict);
    ui.label(&report.verdict_text);
    ui.add_space(6.0);
    for step in &report.steps {
        ui.horizontal_wrapped(|ui| {
            super::view::step_chip(ui, Some(step.status));
            ui.label(&step.title);
        });
    }
    if !report.manual_confirmations.is_empty() {
        let confirmed: Vec<String> = report
            .manual_confirmations
            .iter()
            .map(|m| {
                let note = if m.note.is_empty() {
                    "no note"
                } else {
                    &m.note
                };
                format!("{} ({note})", m.check_id)
            })
            .collect();
        ui.label(format!("Confirmed by a person: {}", confirmed.join(", ")));
    }
    if !report.open_items.is_empty() {
        ui.add_space(6.0);
        ui.label(RichText::new("Open items").strong());
        for item in &report.open_items {
            ui.label(format!(
                "{}{}: {}",
                item.who.label(),
                if item.advisory { " (advice)" } else { "" },
                item.title
            ));
        }
    }
    if let Some(t) = &report.test_write {
        ui.add_space(6.0);
        ui.label(RichText::new("Test write-back evidence (in the report)").strong());
        ui.label(format!("{} {}: {}", t.object, t.record_id, t.outcome));
        egui::Grid::new("report_test_write")
            .num_columns(4)
            .spacing([12.0, 2.0])
            .show(ui, |ui| {
                for title in ["Field", "Before", "Written", "Restored"] {
                    ui.label(RichText::new(title).weak());
                }
                ui.end_row();
                let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "(empty)".into());
                for f in &t.fields {
                    ui.label(&f.api_name);
                    ui.label(shown(&f.before));
                    ui.label(shown(&f.written));
                    ui.label(shown(&f.restored));
                    ui.end_row();
                }
            });
    }
    ui.add_space(10.0);
    ui.separator();
    ui.label(RichText::new("Send the report").strong());
    ui.horizontal(|ui| {
        ui.label("Prepared by");
        ui.add(
            egui::TextEdit::singleline(&mut app.report_state.prepared_by)
                .hint_text("your name (optional)")
                .desired_width(220.0),
        )
        .accessible_name("Prepared by (your name)");
    });
    ui.checkbox(
        &mut app.report_state.redact,
        "Redact usernames, emails and record values",
    )
    .on_hover_text(
        "For sending outside the company: people and record data are hidden in every format",
    );
    // The switch changes what is saved: build again with it.
    let report = current_report(app).unwrap_or(report);
    save_buttons(app, ui, &report);
    ui.label(
        RichText::new(format!(
            "SHA-256 of this report's JSON: {}",
            report.digest()
        ))
        .weak()
        .small(),
    );
    message(ui, &app.report_state);
    if let Some(previous) = app.report_state.previous.clone() {
        ui.add_space(10.0);
        ui.separator();
        let current = unredacted_report(app).unwrap_or(report.clone());
        changes(
            ui,
            &format!("Changes since the last run ({})", previous.generated_at),
            &previous,
            &current,
        );
    }
    ui.add_space(10.0);
    ui.separator();
    ui.label(RichText::new("Open a report someone sent").strong());
    open_controls(app, ui);
}
