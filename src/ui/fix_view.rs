//! The app's write actions: the fix preview and confirmation on the Fields and Access pages,
//! undo, the Salesforce DX export, and the Test write-back page (pick a record, preflight,
//! dry run, the write with before / written / restored side by side). Every write action is
//! behind `App::can_write()` (hidden in Verify-only mode) and an explicit confirmation. The
//! work runs on the worker (`WriteCommand` in, `WriteEvent` out); nothing here waits on the network.

use super::worker::Event;
use super::App;
use crate::checks::{Finding, Step};
use crate::fix::{self, Applied, ChangeResult, Created, FixPlan};
use crate::profile::Profile;
use crate::salesforce::{Client, Identity};
use crate::testwrite::{
    self, journal, DryRun, FieldFate, Preflight, RecentRecord, TestWritePlan, TestWriteReport,
};
use eframe::egui;
use egui::RichText;
use serde_json::Value;
use std::sync::Arc;

/// What the UI asks the worker to do that writes (or prepares a write).
#[derive(Debug)]
pub enum WriteCommand {
    Plan {
        profile: Box<Profile>,
        integration_user: Option<String>,
        findings: Vec<Finding>,
    },
    Apply(Box<FixPlan>),
    Undo(Box<Created>),
    Export {
        plan: Box<FixPlan>,
        dir: String,
    },
    Recent {
        object: String,
    },
    Preflight {
        profile: Box<Profile>,
        record: String,
        integration_user: Option<String>,
    },
    DryRun {
        plan: Box<TestWritePlan>,
    },
    TestWrite {
        plan: Box<TestWritePlan>,
    },
    /// With the admin's consent: field access for the test (a permission set of its own,
    /// assigned to them), the preflight and the test write, then the access taken back.
    TestWriteWithTemporaryAccess {
        profile: Box<Profile>,
        /// The record the admin's preflight read (not looked up again: the box may have
        /// changed since, and a Case number costs a query).
        record_id: String,
        integration_user: Option<String>,
    },
}

#[derive(Debug)]
pub enum WriteEvent {
    Planned(Result<Box<FixPlan>, String>),
    ChangeDone(ChangeResult),
    Applied(Result<Box<Applied>, String>),
    Undone(Result<Vec<ChangeResult>, String>),
    Exported(Result<String, String>),
    Recent(Result<Vec<RecentRecord>, String>),
    Preflighted(Result<Box<Preflight>, String>),
    /// The preflight a running test write made (with temporary access): shown, while the write
    /// goes on (nothing can be started meanwhile).
    PreflightedForWrite(Box<Preflight>),
    DryRan(Result<DryRun, String>),
    Wrote(Result<Box<TestWriteReport>, String>),
    /// What became of the temporary field access (Ok: given and taken back, in words).
    TemporaryAccess(Result<String, String>),
    /// The org's API use today after a write action (from Salesforce's `Sforce-Limit-Info`).
    ApiUsage {
        used: u64,
        max: u64,
    },
    Recovered(Vec<String>),
}

/// The part of the app's state these pages own.
#[derive(Debug, Default)]
pub struct WriteState {
    pub plan: Option<FixPlan>,
    pub busy: Option<String>,
    pub error: Option<String>,
    pub confirm_fix: bool,
    pub results: Vec<ChangeResult>,
    pub created: Option<Created>,
    pub undo_results: Vec<ChangeResult>,
    pub export_dir: String,
    pub export_message: Option<String>,
    pub record_input: String,
    pub recent: Vec<RecentRecord>,
    pub preflight: Option<Preflight>,
    pub dry_run: Option<DryRun>,
    pub confirm_write: bool,
    pub report: Option<TestWriteReport>,
    /// The Test write-back page's own error (the fix panel's is `error`): each shows beside
    /// what caused it.
    pub test_error: Option<String>,
    /// The admin is asked to consent to field access for the test.
    pub confirm_temporary_access: bool,
    /// What became of the last temporary access.
    pub temporary_access: Option<Result<String, String>>,
    pub recovered: Vec<String>,
}

impl WriteState {
    /// The state at start: an interrupted test write is announced before anything connects.
    pub fn at_start(data_dir: &Result<std::path::PathBuf, String>) -> WriteState {
        let pending = data_dir
            .as_ref()
            .map(|dir| journal::pending(dir))
            .unwrap_or_default();
        WriteState {
            recovered: pending
                .iter()
                .map(|(_, parsed)| match parsed {
                    Ok(j) => format!(
                        "{} Connect to that org and the app restores it.",
                        testwrite::describe_pending(j)
                    ),
                    Err(e) => e.clone(),
                })
                .collect(),
            ..WriteState::default()
        }
    }
}

/// Interrupted test writes (waiting or just recovered): on every page until dismissed.
pub fn pending_banner(app: &mut App, ui: &mut egui::Ui) {
    if app.writes.recovered.is_empty() {
        return;
    }
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        for line in &app.writes.recovered {
            ui.colored_label(ui.visuals().warn_fg_color, line);
        }
        if ui.button("Dismiss").clicked() {
            app.writes.recovered.clear();
        }
    });
    ui.add_space(4.0);
}

pub type Send = Arc<dyn Fn(Event) + std::marker::Send + Sync>;

fn emit(send: &Send, event: WriteEvent) {
    send(Event::Write(Box::new(event)));
}

/// Runs one write command on the worker's runtime, then says what the org's API use is now
/// (the counter in the top bar moves with every call the app makes).
pub async fn execute(
    command: WriteCommand,
    client: Arc<Client>,
    identity: Identity,
    send: Send,
    data_dir: Result<std::path::PathBuf, String>,
) {
    execute_command(command, &client, &identity, &send, &data_dir).await;
    if let Some(usage) = client.api_usage() {
        emit(
            &send,
            WriteEvent::ApiUsage {
                used: usage.used,
                max: usage.max,
            },
        );
    }
}

async fn execute_command(
    command: WriteCommand,
    client: &Arc<Client>,
    identity: &Identity,
    send: &Send,
    data_dir: &Result<std::path::PathBuf, String>,
) {
    let (client, identity, send) = (client.clone(), identity.clone(), send.clone());
    let text = |e: &dyn std::fmt::Display| e.to_string();
    match command {
        WriteCommand::Plan {
            profile,
            integration_user,
            findings,
        } => {
            let plan = fix::plan_for(&client, &profile, integration_user.as_deref(), &findings)
                .await
                .map(Box::new)
                .map_err(|e| text(&e));
            emit(&send, WriteEvent::Planned(plan));
        }
        WriteCommand::Apply(plan) => {
            let progress = send.clone();
            let applied = fix::apply(&client, &plan, &identity.organization_id, &move |r| {
                emit(&progress, WriteEvent::ChangeDone(r.clone()))
            })
            .await
            .map(Box::new)
            .map_err(|e| text(&e));
            emit(&send, WriteEvent::Applied(applied));
        }
        WriteCommand::Undo(created) => {
            let undone = fix::undo(&client, &created).await.map_err(|e| text(&e));
            emit(&send, WriteEvent::Undone(undone));
        }
        WriteCommand::Export { plan, dir } => {
            let dir = std::path::PathBuf::from(dir.trim());
            let result = fix::metadata::export_plan(&plan, client.api_version()).and_then(|files| {
                let contents = files.iter().map(|f| (f.path.as_path(), f.text.as_bytes()));
                crate::files::write_in_folder(&dir, contents).map_err(|e| e.to_string())?;
                Ok(format!(
                    "Wrote {} files to {}. Deploy with: sf project deploy start --manifest package.xml (from that folder). Assignments are not metadata: assign the permission set in Setup after the deploy.",
                    files.len(),
                    dir.display()
                ))
            });
            emit(&send, WriteEvent::Exported(result));
        }
        WriteCommand::Recent { object } => {
            let recent = testwrite::recent(&client, &object)
                .await
                .map_err(|e| text(&e));
            emit(&send, WriteEvent::Recent(recent));
        }
        WriteCommand::Preflight {
            profile,
            record,
            integration_user,
        } => {
            let result = async {
                let id = testwrite::resolve(&client, &profile.object, &record)
                    .await
                    .map_err(|e| text(&e))?;
                testwrite::preflight(
                    &client,
                    &identity,
                    &profile,
                    &id,
                    integration_user.as_deref(),
                )
                .await
                .map(Box::new)
                .map_err(|e| text(&e))
            }
            .await;
            emit(&send, WriteEvent::Preflighted(result));
        }
        WriteCommand::DryRun { plan } => {
            let result = testwrite::dry_run(&client, &plan)
                .await
                .map_err(|e| text(&e));
            emit(&send, WriteEvent::DryRan(result));
        }
        WriteCommand::TestWriteWithTemporaryAccess {
            profile,
            record_id: id,
            integration_user,
        } => {
            // The access is journalled before it is given: without a data folder, nothing is.
            let dir = match data_dir {
                Ok(dir) => dir.clone(),
                Err(e) => {
                    emit(
                        &send,
                        WriteEvent::TemporaryAccess(Err(format!("Nothing was given: {e}"))),
                    );
                    emit(
                        &send,
                        WriteEvent::Wrote(Err("The test write did not run.".into())),
                    );
                    return;
                }
            };
            let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S").to_string();
            let access = match testwrite::temporary_access::grant(
                &client, &identity, &profile, &stamp, &dir,
            )
            .await
            {
                Ok(access) => access,
                Err(e) => {
                    emit(&send, WriteEvent::TemporaryAccess(Err(e)));
                    emit(
                        &send,
                        WriteEvent::Wrote(Err("The test write did not run.".into())),
                    );
                    return;
                }
            };
            // The write runs as the admin: read the record again now that they see the fields.
            let preflight = testwrite::preflight(
                &client,
                &identity,
                &profile,
                &id,
                integration_user.as_deref(),
            )
            .await;
            let result = match preflight {
                Ok(pre) => {
                    let plan = pre.plan.clone();
                    emit(&send, WriteEvent::PreflightedForWrite(Box::new(pre)));
                    testwrite::run(&client, &identity, &plan, &dir, None)
                        .await
                        .map(Box::new)
                        .map_err(|e| text(&e))
                }
                Err(e) => Err(format!("The preflight could not run: {e}")),
            };
            // The access goes only when no journal of this record is left: a record not proven
            // restored is put right on the next connection, as you, and that needs the access.
            let left_pending = journal::pending(&dir)
                .iter()
                .any(|(_, j)| j.as_ref().is_ok_and(|j| j.record_id == id));
            let outcome = if left_pending {
                Err(format!(
                    "The permission set {} stays assigned to you: the record is not proven restored, and putting it right (on your next connection) needs the access. The app removes the set once the record is restored.",
                    access.permission_set_name
                ))
            } else {
                testwrite::temporary_access::revoke(&client, &access, &dir)
                    .await
                    .map(|()| {
                        format!(
                            "You had the permission set {} for the test; it is deleted again.",
                            access.permission_set_name
                        )
                    })
            };
            emit(&send, WriteEvent::TemporaryAccess(outcome));
            emit(&send, WriteEvent::Wrote(result));
        }
        WriteCommand::TestWrite { plan } => {
            let result = match data_dir {
                Ok(dir) => testwrite::run(&client, &identity, &plan, dir, None)
                    .await
                    .map(Box::new)
                    .map_err(|e| text(&e)),
                Err(e) => Err(e.clone()),
            };
            emit(&send, WriteEvent::Wrote(result));
        }
    }
}

/// On connecting: restores what an interrupted test write left in this org (no call when none).
pub async fn recover(
    client: Arc<Client>,
    identity: Identity,
    send: Send,
    data_dir: Result<std::path::PathBuf, String>,
) {
    let Ok(dir) = data_dir else { return };
    if !journal::anything_pending(&dir) {
        return;
    }
    let lines = testwrite::recover_org(&client, &identity, &dir).await;
    emit(&send, WriteEvent::Recovered(lines));
}

/// Applies a worker event to the state.
pub fn on_event(app: &mut App, event: WriteEvent) {
    // An error that arrives is scrolled into view where it is shown.
    if matches!(
        &event,
        WriteEvent::Preflighted(Err(_))
            | WriteEvent::DryRan(Err(_))
            | WriteEvent::Wrote(Err(_))
            | WriteEvent::Recent(Err(_))
            | WriteEvent::Planned(Err(_))
            | WriteEvent::Applied(Err(_))
            | WriteEvent::Undone(Err(_))
    ) {
        app.steps.reveal_error = true;
    }
    let state = &mut app.writes;
    match event {
        WriteEvent::Planned(plan) => {
            state.busy = None;
            // Suggested once, not looked up while drawing (it reads the user's folder settings).
            if state.export_dir.is_empty() {
                state.export_dir = default_export_dir();
            }
            match plan {
                Ok(plan) => state.plan = Some(*plan),
                Err(e) => state.error = Some(format!("The fixes could not be planned: {e}")),
            }
        }
        WriteEvent::ChangeDone(result) => state.results.push(result),
        WriteEvent::Applied(applied) => {
            state.busy = None;
            state.plan = None;
            match applied {
                Ok(applied) => {
                    state.results = applied.results.clone();
                    if !applied.created.is_empty() || !applied.created.fields.is_empty() {
                        state.created = Some(applied.created.clone());
                    }
                }
                Err(e) => state.error = Some(format!("The changes stopped: {e}")),
            }
            // Re-run the checks the changes affect.
            app.run_checks(None);
        }
        WriteEvent::Undone(undone) => {
            state.busy = None;
            match undone {
                Ok(results) => {
                    state.undo_results = results;
                    state.created = None;
                    state.results.clear();
                }
                Err(e) => state.error = Some(format!("The undo stopped: {e}")),
            }
            app.run_checks(None);
        }
        WriteEvent::Exported(result) => {
            state.busy = None;
            state.export_message = Some(result.unwrap_or_else(|e| format!("Export failed: {e}")));
        }
        WriteEvent::Recent(result) => {
            state.busy = None;
            match result {
                Ok(recent) => state.recent = recent,
                Err(e) => state.test_error = Some(format!("Recent records could not be read: {e}")),
            }
        }
        WriteEvent::Preflighted(result) => {
            state.busy = None;
            state.dry_run = None;
            state.report = None;
            match result {
                Ok(pre) => state.preflight = Some(*pre),
                Err(e) => {
                    state.preflight = None;
                    state.test_error = Some(e);
                }
            }
        }
        WriteEvent::PreflightedForWrite(pre) => state.preflight = Some(*pre),
        WriteEvent::DryRan(result) => {
            state.busy = None;
            match result {
                Ok(dry) => state.dry_run = Some(dry),
                Err(e) => state.test_error = Some(format!("The dry run could not run: {e}")),
            }
        }
        WriteEvent::Wrote(result) => {
            state.busy = None;
            match result {
                Ok(report) => {
                    // The confirmation report shows the test write-back's evidence.
                    let mut evidence = crate::report::model::TestWrite::from_run(
                        &report,
                        &app.profile.object,
                        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    );
                    // Named as people know it (the Case number) when the preflight read it.
                    evidence.record_name = state
                        .preflight
                        .as_ref()
                        .filter(|p| p.record_id == report.record_id)
                        .and_then(|p| p.record_name.clone());
                    app.report_state.test_write = Some(evidence);
                    app.writes.report = Some(*report);
                }
                Err(e) => {
                    // An earlier test write's "ok" no longer speaks for the org.
                    app.report_state.test_write = None;
                    state.test_error = Some(format!("The test write stopped: {e}"));
                }
            }
        }
        WriteEvent::TemporaryAccess(outcome) => state.temporary_access = Some(outcome),
        WriteEvent::ApiUsage { used, max } => {
            if let Some(report) = app.report.as_mut() {
                report.org.api_usage = Some(crate::checks::ApiUsageSummary { used, max });
            }
        }
        WriteEvent::Recovered(lines) => state.recovered = lines,
    }
}

/// Sends a write command; the errors of earlier actions go (a new attempt starts clean).
fn send(app: &mut App, busy: &str, command: WriteCommand) {
    app.writes.busy = Some(busy.to_string());
    app.writes.error = None;
    app.writes.test_error = None;
    app.send_write(command);
}

fn org_words(app: &App) -> String {
    let production = app
        .report
        .as_ref()
        .map(|r| !r.org.is_sandbox)
        .unwrap_or(true);
    let name = app
        .report
        .as_ref()
        .map(|r| r.org.name.clone())
        .unwrap_or_else(|| "the org".into());
    if app.connection.as_ref().is_some_and(|c| c.demo.is_some()) {
        format!("{name} (demo org)")
    } else if production {
        format!("{name} (PRODUCTION)")
    } else {
        format!("{name} (sandbox)")
    }
}

fn result_line(ui: &mut egui::Ui, result: &ChangeResult) {
    let (mark, color) = if result.outcome.ok() {
        ("OK", ui.visuals().text_color())
    } else {
        ("FAILED", ui.visuals().error_fg_color)
    };
    ui.colored_label(
        color,
        format!("{mark} {} — {}", result.summary, result.outcome.word()),
    );
}

/// The fix panel on the Fields and Access pages: preview, confirmation, results, undo, export.
pub fn fix_panel(app: &mut App, ui: &mut egui::Ui, step: Step) {
    if !app.can_write() || app.connection.is_none() {
        return;
    }
    let Some(report) = app.report.clone() else {
        return;
    };
    let failing = report.checks.iter().any(|f| {
        f.step == step
            && matches!(
                f.status,
                crate::checks::Status::Fail | crate::checks::Status::Unknown
            )
    });
    let has_results = !app.writes.results.is_empty()
        || app.writes.created.is_some()
        || !app.writes.undo_results.is_empty();
    if !failing && app.writes.plan.is_none() && !has_results {
        return;
    }
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.label(RichText::new("Let the app fix it").strong());
        if app.writes.plan.is_none() && app.writes.results.is_empty() {
            ui.label("The app can create the missing fields and one least-privilege permission set for the integration user. You see every change, and the API call it makes, before anything is changed.");
        }
        if let Some(busy) = app.writes.busy.clone() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(busy);
            });
        }
        if let Some(error) = app.writes.error.clone() {
            let shown = ui.colored_label(ui.visuals().error_fg_color, error);
            if std::mem::take(&mut app.steps.reveal_error) {
                shown.scroll_to_me(Some(egui::Align::Center));
            }
        }
        match app.writes.plan.clone() {
            None => {
                if failing
                    && ui
                        .add_enabled(app.writes.busy.is_none(), egui::Button::new("Preview the fixes…"))
                        .on_hover_text("Reads what is missing and shows every change before anything is made.")
                        .on_disabled_hover_text("Wait for the action that is running.")
                        .clicked()
                {
                    app.writes.results.clear();
                    app.writes.undo_results.clear();
                    let command = WriteCommand::Plan {
                        profile: Box::new(app.profile.clone()),
                        integration_user: app.integration_user(),
                        findings: report.checks.clone(),
                    };
                    send(app, "Reading what is missing…", command);
                }
            }
            Some(plan) => plan_preview(app, ui, &plan),
        }
        if !app.writes.results.is_empty() {
            ui.add_space(4.0);
            ui.label(RichText::new("Result per change").strong());
            for result in app.writes.results.clone() {
                result_line(ui, &result);
            }
        }
        if let Some(created) = app.writes.created.clone() {
            ui.add_space(4.0);
            if let Some(note) = created.field_note() {
                ui.label(RichText::new(note).weak());
            }
            if !created.is_empty()
                && ui
                    .add_enabled(app.writes.busy.is_none(), egui::Button::new("Undo what the app created"))
                    .on_hover_text("Removes the assignment, the licence assignment and the permission set the app created. Fields stay.")
                    .on_disabled_hover_text("Wait for the action that is running.")
                    .clicked()
            {
                send(app, "Undoing…", WriteCommand::Undo(Box::new(created)));
            }
        }
        if !app.writes.undo_results.is_empty() {
            ui.label(RichText::new("Undone").strong());
            for result in app.writes.undo_results.clone() {
                result_line(ui, &result);
            }
        }
    });
    ui.add_space(6.0);
}

fn plan_preview(app: &mut App, ui: &mut egui::Ui, plan: &FixPlan) {
    let version = app
        .report
        .as_ref()
        .map(|r| r.org.api_version.clone())
        .unwrap_or_default();
    let instance = app
        .report
        .as_ref()
        .map(|r| r.org.instance_url.clone())
        .unwrap_or_default();
    if plan.changes.is_empty() {
        ui.label("Nothing for the app to change here.");
    } else {
        ui.label(format!(
            "The app would make {} change{} (in this order):",
            plan.changes.len(),
            if plan.changes.len() == 1 { "" } else { "s" }
        ));
        for (i, change) in plan.changes.iter().enumerate() {
            ui.label(format!("{}. {}", i + 1, change.summary));
            egui::CollapsingHeader::new(format!("API call {}", i + 1))
                .id_salt(("fix_call", i))
                .show(ui, |ui| {
                    ui.add(
                        egui::Label::new(RichText::new(change.call.display(&version)).monospace())
                            .wrap(),
                    );
                });
        }
    }
    for note in &plan.notes {
        ui.label(RichText::new(format!("Note: {note}")).weak());
    }
    if !plan.instructions.is_empty() {
        ui.add_space(4.0);
        ui.label(RichText::new("Only you can do these, in Setup:").strong());
        for instruction in &plan.instructions {
            ui.horizontal_wrapped(|ui| {
                ui.label(format!("• {}: {}", instruction.title, instruction.text));
                if let Some(path) = &instruction.setup_path {
                    let url = format!("{}{path}", instance.trim_end_matches('/'));
                    if ui
                        .button("Open in Setup")
                        .accessible_name(format!("Open in Setup: {}", instruction.title))
                        .on_hover_text(&url)
                        .clicked()
                    {
                        ui.ctx().open_url(egui::OpenUrl::new_tab(url));
                    }
                }
            });
        }
    }
    ui.add_space(4.0);
    if app.writes.confirm_fix && !plan.changes.is_empty() {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!(
                "This changes {}: {} change{}. Fields cannot be removed by undo (that would delete data).",
                org_words(app),
                plan.changes.len(),
                if plan.changes.len() == 1 { "" } else { "s" }
            ),
        );
        ui.horizontal(|ui| {
            if ui
                .add_enabled(
                    app.writes.busy.is_none(),
                    egui::Button::new("Apply the changes"),
                )
                .on_disabled_hover_text("Wait for the action that is running.")
                .clicked()
            {
                app.writes.confirm_fix = false;
                app.writes.results.clear();
                send(
                    app,
                    "Applying the changes…",
                    WriteCommand::Apply(Box::new(plan.clone())),
                );
            }
            if ui.button("Cancel").clicked() {
                app.writes.confirm_fix = false;
            }
        });
    } else {
        ui.horizontal(|ui| {
            if !plan.changes.is_empty()
                && ui
                    .add_enabled(
                        app.writes.busy.is_none(),
                        egui::Button::new(format!("Apply {} changes…", plan.changes.len())),
                    )
                    .on_disabled_hover_text("Wait for the action that is running.")
                    .clicked()
            {
                app.writes.confirm_fix = true;
            }
            if ui.button("Close the preview").clicked() {
                app.writes.plan = None;
                app.writes.confirm_fix = false;
            }
        });
        if !plan.changes.is_empty() {
            ui.horizontal(|ui| {
                let label = ui.label("Export as Salesforce DX source to");
                ui.add(egui::TextEdit::singleline(&mut app.writes.export_dir).desired_width(280.0))
                    .labelled_by(label.id);
                if ui
                    .add_enabled(!app.writes.export_dir.trim().is_empty() && app.writes.busy.is_none(), egui::Button::new("Export metadata"))
                    .on_hover_text("package.xml, the fields and the permission set, for deployment through change control")
                    .on_disabled_hover_text(if app.writes.busy.is_some() { "Wait for the action that is running." } else { "Type the folder to write to first." })
                    .clicked()
                {
                    let dir = app.writes.export_dir.clone();
                    send(app, "Exporting…", WriteCommand::Export { plan: Box::new(plan.clone()), dir });
                }
            });
        }
        if let Some(message) = app.writes.export_message.clone() {
            ui.label(message);
        }
    }
}

fn default_export_dir() -> String {
    let user_dirs = directories::UserDirs::new();
    user_dirs
        .as_ref()
        .map(|u| u.document_dir().unwrap_or_else(|| u.home_dir()))
        .map(|d| d.join("writeback-setup-metadata").display().to_string())
        .unwrap_or_else(|| "writeback-setup-metadata".into())
}

fn shown(value: Option<&Value>) -> String {
    match value {
        None => "—".into(),
        Some(Value::Null) => "(empty)".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The test write runs as the admin, who may not see fields the app just created: offer, with
/// consent, to give them access for the test and take it back after, or to test as the
/// integration user.
fn temporary_access_offer(
    app: &mut App,
    ui: &mut egui::Ui,
    pre: &Preflight,
    unreadable: &[String],
) {
    let busy = app.writes.busy.is_some();
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!(
                "The test write runs as you ({}), and you cannot see {}: fields created through the API are visible to nobody until a permission set grants them.",
                pre.runs_as,
                unreadable.join(", ")
            ),
        );
        ui.label("Two ways on: log in as the integration user (Connect step) and test as it, or let the app give you access for this one test.");
        if app.writes.confirm_temporary_access {
            let name = testwrite::temporary_access::permission_set_name("")
                + " and the date and time";
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!(
                    "This changes {}: it creates a permission set ({}) that gives you Read and Edit on the {} fields, assigns it to you, writes the test values and restores them, then deletes the permission set. If the app is closed in between, delete that permission set in Setup > Permission Sets.",
                    org_words(app),
                    name,
                    app.profile.fields.len()
                ),
            );
            ui.horizontal_wrapped(|ui| {
                if ui
                    .add_enabled(!busy, egui::Button::new("Give me access, test, then remove it"))
                    .on_disabled_hover_text("Wait for the action that is running.")
                    .clicked()
                {
                    app.writes.confirm_temporary_access = false;
                    app.writes.temporary_access = None;
                    let command = WriteCommand::TestWriteWithTemporaryAccess {
                        profile: Box::new(app.profile.clone()),
                        record_id: pre.record_id.clone(),
                        integration_user: app.integration_user(),
                    };
                    send(app, "Giving you access, writing, restoring, removing the access…", command);
                }
                if ui.button("Cancel").clicked() {
                    app.writes.confirm_temporary_access = false;
                }
            });
        } else if ui
            .add_enabled(!busy, egui::Button::new("Test as me with temporary access…"))
            .on_disabled_hover_text("Wait for the action that is running.")
            .clicked()
        {
            app.writes.confirm_temporary_access = true;
        }
    });
}

/// The step's status in words: not run until a test write is made; when and on which record.
fn test_write_status(app: &App, ui: &mut egui::Ui) {
    use crate::report::model::StepStatus;
    let test_write = app.report_state.test_write.as_ref();
    let status = StepStatus::of_test_write(test_write);
    let text = match test_write {
        None => "Not run yet: no test write has been made in this session.".to_string(),
        Some(t) => {
            let record = t.record_name.clone().unwrap_or_else(|| t.record_id.clone());
            match status {
                StepStatus::Pass => format!(
                    "Written and restored on {} {record} at {}.",
                    t.object, t.written_at
                ),
                StepStatus::Fail => format!(
                    "The test write on {} {record} at {} was refused (why: below).",
                    t.object, t.written_at
                ),
                _ => format!(
                    "The test write on {} {record} at {} went through, but the record is not proven restored.",
                    t.object, t.written_at
                ),
            }
        }
    };
    ui.horizontal_wrapped(|ui| {
        super::view::step_chip(ui, Some(status));
        ui.label(text);
    });
    ui.add_space(4.0);
}

/// The record to test on: typed (Id, URL or Case number) or picked from the recent ones, with
/// the preflight; what is wrong with the input is said under it.
fn record_row(app: &mut App, ui: &mut egui::Ui, object: &str, busy: bool) {
    let parsed = testwrite::parse_record_input(object, &app.writes.record_input);
    ui.horizontal_wrapped(|ui| {
        let label = ui.label(format!("{object} to test on"));
        ui.add(
            egui::TextEdit::singleline(&mut app.writes.record_input)
                .hint_text("Id, record URL or Case number")
                .desired_width(260.0),
        )
        .labelled_by(label.id);
        let why = if busy {
            "Wait for the action that is running."
        } else {
            "Type a record (Id, URL or Case number) or pick a recent one."
        };
        if ui
            .add_enabled(parsed.is_ok() && !busy, egui::Button::new("Preflight"))
            .on_hover_text("Reads the record, access, locks and automation. Writes nothing.")
            .on_disabled_hover_text(why)
            .clicked()
        {
            let command = WriteCommand::Preflight {
                profile: Box::new(app.profile.clone()),
                record: app.writes.record_input.clone(),
                integration_user: app.integration_user(),
            };
            send(app, "Preflight…", command);
        }
        if ui
            .add_enabled(!busy, egui::Button::new(format!("Recent {object}s")))
            .on_disabled_hover_text("Wait for the action that is running.")
            .clicked()
        {
            send(
                app,
                "Reading recent records…",
                WriteCommand::Recent {
                    object: object.to_string(),
                },
            );
        }
    });
    // Under the box it is about, wrapped to the page.
    if let (Err(e), false) = (&parsed, app.writes.record_input.trim().is_empty()) {
        ui.colored_label(ui.visuals().error_fg_color, e);
    }
}

/// What the preflight found: the record, who the write runs as, what runs on it, the values
/// now and the test values, and what would refuse them.
fn preflight_panel(app: &App, ui: &mut egui::Ui, pre: &Preflight) {
    ui.add_space(6.0);
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.label(RichText::new(format!("Preflight: {}", pre.record_label)).strong());
        ui.label(format!("The write runs as {}.", pre.runs_as));
        if let Some(level) = &pre.integration_access {
            ui.label(format!(
                "The integration user's access to this record: {level}."
            ));
        }
        if let Some(locked) = pre.locked {
            ui.label(if locked {
                "The record is locked by an approval."
            } else {
                "The record is not locked."
            });
        }
        for (kind, list) in [
            ("Validation rules", &pre.validation_rules),
            ("Apex triggers", &pre.triggers),
            ("Record-triggered flows", &pre.flows),
        ] {
            if !list.is_empty() {
                ui.label(format!("{kind} that run: {}", list.join("; ")));
            }
        }
        if !pre.current.is_empty() {
            let values = pre.plan.values();
            egui::ScrollArea::horizontal()
                .id_salt("preflight_values_scroll")
                .show(ui, |ui| {
                    egui::Grid::new("preflight_values")
                        .striped(true)
                        .num_columns(3)
                        .show(ui, |ui| {
                            for title in ["Field", "Now", "Test value"] {
                                ui.label(RichText::new(title).strong());
                            }
                            ui.end_row();
                            for (field, now) in &pre.current {
                                ui.label(field);
                                ui.label(shown(Some(now)));
                                ui.label(shown(values.get(field)));
                                ui.end_row();
                            }
                        });
                });
        }
        for warning in refused_values(&app.profile, &pre.plan) {
            ui.colored_label(ui.visuals().warn_fg_color, warning);
        }
        for note in &pre.notes {
            ui.label(RichText::new(note).weak());
        }
        for blocker in &pre.blockers {
            ui.colored_label(ui.visuals().error_fg_color, blocker);
        }
        // The write runs as you: say when the checks already know the integration user's would fail.
        let access_gaps: Vec<String> = app
            .report
            .iter()
            .flat_map(|r| r.checks.iter())
            .filter(|f| f.step == Step::Access && f.status == crate::checks::Status::Fail)
            .map(|f| f.title.clone())
            .collect();
        if !access_gaps.is_empty() {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!(
                    "Even if this test works as you, the integration user's writes fail until step {} is fixed: {}.",
                    Step::Access.number().unwrap_or_default(),
                    access_gaps.join("; ")
                ),
            );
        }
    });
}

/// The Test write-back page: record, preflight, dry run, the write, before/written/restored.
pub fn test_write_page(app: &mut App, ui: &mut egui::Ui) {
    if app.connection.is_none() {
        return;
    }
    if !app.can_write() {
        ui.label(
            RichText::new(
                "Verify-only mode: the app writes nothing, so the test write-back is hidden.",
            )
            .weak(),
        );
        return;
    }
    let object = app.profile.object.clone();
    let busy = app.writes.busy.is_some();
    test_write_status(app, ui);
    record_row(app, ui, &object, busy);
    for record in app.writes.recent.clone() {
        let text = format!("{} {} ({})", record.number, record.subject, record.id);
        if ui.button(text).clicked() {
            app.writes.record_input = record.id.clone();
            app.writes.recent.clear();
        }
    }
    if let Some(busy) = app.writes.busy.clone() {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(busy);
        });
    }
    if let Some(error) = app.writes.test_error.clone() {
        let shown = ui.colored_label(ui.visuals().error_fg_color, error);
        if std::mem::take(&mut app.steps.reveal_error) {
            shown.scroll_to_me(Some(egui::Align::Center));
        }
    }
    let Some(pre) = app.writes.preflight.clone() else {
        return;
    };
    preflight_panel(app, ui, &pre);
    let unreadable: Vec<String> = app
        .profile
        .fields
        .iter()
        .filter(|f| !pre.current.iter().any(|(name, _)| name == &f.api_name))
        .map(|f| f.api_name.clone())
        .collect();
    let ready_to_write = !busy && unreadable.is_empty();
    let why_not = if busy {
        "Wait for the action that is running.".to_string()
    } else {
        format!(
            "You ({}) cannot read {}: the write runs as you.",
            pre.runs_as,
            unreadable.join(", ")
        )
    };
    if !unreadable.is_empty() {
        temporary_access_offer(app, ui, &pre, &unreadable);
    }
    ui.horizontal_wrapped(|ui| {
        if pre.can_run_apex {
            if ui
                .add_enabled(ready_to_write, egui::Button::new("Dry run (rolled back)"))
                .on_hover_text("Runs the update in anonymous Apex inside a savepoint that is rolled back: reports what would fail, changes nothing.")
                .on_disabled_hover_text(&why_not)
                .clicked()
            {
                let command = WriteCommand::DryRun { plan: Box::new(pre.plan.clone()) };
                send(app, "Dry run…", command);
            }
        } else {
            ui.label(RichText::new("Dry run not available: you may not run anonymous Apex (Author Apex).").weak());
        }
        if !app.writes.confirm_write
            && ui
                .add_enabled(ready_to_write, egui::Button::new("Write test values…"))
                .on_disabled_hover_text(&why_not)
                .clicked()
        {
            app.writes.confirm_write = true;
        }
    });
    if let Some(dry) = &app.writes.dry_run {
        if dry.would_succeed {
            ui.label("Dry run: the update would succeed (nothing was changed).");
        } else {
            // Apex's own words (an exception's class name, row numbers) are one click away;
            // the sentence says what it means for the admin.
            ui.colored_label(
                ui.visuals().error_fg_color,
                "Dry run: Salesforce would refuse this update (nothing was changed). Write the test values to see which field and rule, or open what Salesforce said.",
            );
            if let Some(problem) = &dry.problem {
                egui::CollapsingHeader::new("What Salesforce said")
                    .id_salt("dry_run_details")
                    .show(ui, |ui| {
                        ui.label(RichText::new(problem).monospace());
                    });
            }
        }
    }
    if app.writes.confirm_write {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!("This writes the test values to {} in {}, reads them back, and restores the originals right away. Automation on {object} runs for real.", pre.record_label, org_words(app)),
        );
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!busy, egui::Button::new("Write and restore"))
                .on_disabled_hover_text("Wait for the action that is running.")
                .clicked()
            {
                app.writes.confirm_write = false;
                let command = WriteCommand::TestWrite {
                    plan: Box::new(pre.plan.clone()),
                };
                send(app, "Writing, reading back, restoring…", command);
            }
            if ui.button("Cancel").clicked() {
                app.writes.confirm_write = false;
            }
        });
    }
    match &app.writes.temporary_access {
        Some(Ok(done)) => {
            ui.label(done.as_str());
        }
        Some(Err(left)) => {
            ui.colored_label(ui.visuals().error_fg_color, left.as_str());
        }
        None => {}
    }
    if let Some(report) = app.writes.report.clone() {
        report_table(ui, &report);
    }
}

/// The integration's values a restricted picklist in the org will refuse (the test's own value
/// may fit while the integration's other values do not).
pub fn refused_values(profile: &Profile, plan: &TestWritePlan) -> Vec<String> {
    let mut warnings = Vec::new();
    for requirement in &profile.fields {
        let Some(shape) = plan
            .fields
            .iter()
            .find(|f| f.name == requirement.api_name)
            .and_then(|f| f.shape.as_ref())
            .filter(|s| s.restricted_picklist)
        else {
            continue;
        };
        let refused: Vec<&str> = requirement
            .values
            .iter()
            .filter(|v| !shape.active_values.iter().any(|a| a == *v))
            .map(String::as_str)
            .collect();
        if !refused.is_empty() {
            warnings.push(format!(
                "{} is a restricted picklist: Salesforce will refuse the integration's value{} {} (its active values: {}). Add them to the picklist or make it unrestricted.",
                requirement.api_name,
                if refused.len() == 1 { "" } else { "s" },
                refused.join(", "),
                shape.active_values.join(", ")
            ));
        }
    }
    warnings
}

fn report_table(ui: &mut egui::Ui, report: &TestWriteReport) {
    ui.add_space(6.0);
    let headline = if report.write_ok && report.restored {
        "The write-back works: every value was written, read back, and the record is restored."
    } else if !report.blocked.is_empty() || report.combined_error.is_some() {
        "The write was refused."
    } else {
        "The write finished with something left to do."
    };
    ui.label(RichText::new(headline).strong());
    if report.restored && !report.write_ok {
        ui.label("Every field the test touched is back as it was.");
    }
    egui::ScrollArea::horizontal()
        .id_salt("test_write_values_scroll")
        .show(ui, |ui| {
            egui::Grid::new("test_write_values")
                .striped(true)
                .num_columns(4)
                .show(ui, |ui| {
                    for title in ["Field", "Before", "Written", "Restored"] {
                        ui.label(RichText::new(title).strong());
                    }
                    ui.end_row();
                    for row in &report.rows {
                        ui.label(&row.field);
                        ui.label(shown(Some(&row.before)));
                        ui.label(shown(row.written.as_ref()));
                        let after = shown(row.after.as_ref());
                        let fate = match row.fate {
                            FieldFate::Restored => after,
                            FieldFate::Untouched => format!("{after} (not written)"),
                            FieldFate::ChangedBySomeoneElse => {
                                format!("{after} (changed by someone else; left as is)")
                            }
                            FieldFate::StillTestValue => format!("{after} (NOT restored)"),
                            FieldFate::Unproven => format!("{after} (NOT proven back)"),
                        };
                        ui.label(fate);
                        ui.end_row();
                    }
                });
        });
    for blocked in &report.blocked {
        ui.colored_label(ui.visuals().error_fg_color, &blocked.explanation);
        let source = if blocked.found_before_writing {
            format!("Not sent: Salesforce would answer {}", blocked.code)
        } else {
            format!("Salesforce: {}: {}", blocked.code, blocked.message)
        };
        ui.label(RichText::new(source).weak().monospace());
    }
    if let Some(combined) = &report.combined_error {
        ui.colored_label(ui.visuals().error_fg_color, combined);
    }
    for line in &report.left {
        ui.colored_label(ui.visuals().error_fg_color, format!("Left to do: {line}"));
    }
    ui.label(
        RichText::new(format!(
            "{} API calls, as {}",
            report.api_calls, report.runs_as
        ))
        .weak(),
    );
}
