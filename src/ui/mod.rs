//! The desktop app (eframe/egui): the only module that knows egui.
//!
//! `App` holds what is on screen; a background `Worker` owns the Salesforce client. The UI sends
//! `Command`s and renders the `Event`s that come back, so it never blocks on the network.

mod report_view;
mod view;
pub mod worker;

use crate::checks::{CheckReport, Status, Step};
use crate::profile::{self, Profile};
use eframe::egui;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use worker::{Command, Connection, Event, UiError, Worker};

pub const APP_NAME: &str = "Write-back Setup Assistant";

/// What the app remembers between runs. Never a secret: no token, no password.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Remembered {
    pub instance_url: String,
    /// A built-in profile id or a profile file path.
    pub profile: String,
    pub integration_user: String,
    pub demo_scenario: String,
    pub verify_only: bool,
}

impl Default for Remembered {
    fn default() -> Self {
        Remembered {
            instance_url: String::new(),
            profile: profile::DEFAULT_PROFILE.to_string(),
            integration_user: String::new(),
            demo_scenario: "fresh".to_string(),
            verify_only: false,
        }
    }
}

/// The pages of the assistant, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    Step(Step),
    Report,
}

pub const PAGES: [Page; 7] = [
    Page::Step(Step::Connect),
    Page::Step(Step::Fields),
    Page::Step(Step::App),
    Page::Step(Step::Access),
    Page::Step(Step::Reauthorize),
    Page::Step(Step::TestWrite),
    Page::Report,
];

impl Page {
    pub fn title(self) -> &'static str {
        match self {
            Page::Step(step) => step.title(),
            Page::Report => "Report",
        }
    }
}

/// Where a run of the checks stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Run {
    #[default]
    Idle,
    Running {
        note: String,
        /// Only this step's findings are replaced when it finishes (None: all).
        step: Option<Step>,
    },
}

/// A finding confirmed by a person because the app could not verify it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ManualConfirmation {
    pub confirmed: bool,
    pub note: String,
}

/// The profile editor's working copy.
#[derive(Clone, Debug)]
pub struct ProfileDraft {
    pub profile: Profile,
    pub save_path: String,
    pub message: Option<String>,
}

pub struct App {
    pub remembered: Remembered,
    pub page: Page,
    pub profile: Profile,
    pub profile_error: Option<String>,
    pub connection: Option<Connection>,
    pub connecting: bool,
    pub connect_error: Option<UiError>,
    pub check_error: Option<UiError>,
    pub report: Option<CheckReport>,
    pub run: Run,
    pub manual: BTreeMap<String, ManualConfirmation>,
    pub draft: Option<ProfileDraft>,
    /// The pasted access token: lives only in this field until Connect sends it to the worker.
    pub token_input: String,
    pub record_input: String,
    /// Open every finding's evidence (a toggle on each step page).
    pub expand_evidence: bool,
    /// The Report page: save, redact, open a report file, last run.
    pub report_state: report_view::ReportState,
    worker: Worker,
}

impl App {
    pub fn new(worker: Worker, remembered: Remembered) -> App {
        let (profile, profile_error) = match profile::resolve(&remembered.profile) {
            Ok(p) => (p, None),
            Err(e) => (
                profile::builtin(profile::DEFAULT_PROFILE).expect("the default profile is valid"),
                Some(format!(
                    "The saved profile could not be loaded ({e}); using the default."
                )),
            ),
        };
        App {
            remembered,
            page: PAGES[0],
            profile,
            profile_error,
            connection: None,
            connecting: false,
            connect_error: None,
            check_error: None,
            report: None,
            run: Run::Idle,
            manual: BTreeMap::new(),
            draft: None,
            token_input: String::new(),
            record_input: String::new(),
            expand_evidence: false,
            report_state: report_view::ReportState::default(),
            worker,
        }
    }

    /// The app as eframe creates it: remembered state from storage, a worker that repaints.
    pub fn from_creation_context(cc: &eframe::CreationContext<'_>, demo: Option<String>) -> App {
        let remembered: Remembered = cc
            .storage
            .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
            .unwrap_or_default();
        let ctx = cc.egui_ctx.clone();
        let worker = Worker::spawn(move || ctx.request_repaint());
        let mut app = App::new(worker, remembered);
        app.report_state = report_view::ReportState::with_data_dir(eframe::storage_dir(APP_NAME));
        if let Some(scenario) = demo {
            app.connect_demo(&scenario);
        }
        app
    }

    pub fn connect_demo(&mut self, scenario: &str) {
        self.remembered.demo_scenario = scenario.to_string();
        self.connecting = true;
        self.connect_error = None;
        self.report = None;
        self.worker.send(Command::ConnectDemo {
            scenario: scenario.to_string(),
        });
    }

    pub fn connect_session(&mut self) {
        self.connecting = true;
        self.connect_error = None;
        self.report = None;
        let access_token = std::mem::take(&mut self.token_input);
        self.worker.send(Command::ConnectSession {
            instance_url: self.remembered.instance_url.trim().to_string(),
            access_token: access_token.trim().to_string(),
        });
    }

    pub fn disconnect(&mut self) {
        self.worker.send(Command::Disconnect);
        self.connection = None;
        self.report = None;
        self.run = Run::Idle;
        self.page = PAGES[0];
    }

    /// The integration user the checks run for (typed, or the demo scenario's).
    pub fn integration_user(&self) -> Option<String> {
        let typed = self.remembered.integration_user.trim();
        if !typed.is_empty() {
            return Some(typed.to_string());
        }
        self.connection
            .as_ref()
            .and_then(|c| c.integration_user_hint.clone())
    }

    /// Validates the record Id the admin typed, for the record-access check.
    pub fn record_id(&self) -> Result<Option<String>, String> {
        let typed = self.record_input.trim();
        if typed.is_empty() {
            return Ok(None);
        }
        crate::sfid::to_18(typed)
            .map(Some)
            .map_err(|e| e.to_string())
    }

    /// Runs the checks: everything, or one step (its findings alone are replaced).
    pub fn run_checks(&mut self, step: Option<Step>) {
        if self.connection.is_none() {
            return;
        }
        let record_id = self.record_id().ok().flatten();
        self.check_error = None;
        self.run = Run::Running {
            note: "Starting".into(),
            step,
        };
        self.worker.send(Command::RunChecks(Box::new(
            crate::readiness::CheckRequest {
                profile: self.profile.clone(),
                integration_user: self.integration_user(),
                record_id,
            },
        )));
    }

    pub fn cancel(&mut self) {
        self.worker.send(Command::Cancel);
    }

    pub fn set_profile(&mut self, profile: Profile, remembered_as: String) {
        self.profile = profile;
        self.remembered.profile = remembered_as;
        self.profile_error = None;
        self.run_checks(None);
    }

    /// Applies what the worker reported.
    pub fn handle_events(&mut self) {
        for event in self.worker.poll() {
            match event {
                Event::Connected(connection) => {
                    self.connecting = false;
                    if connection.demo.is_none() {
                        self.remembered.instance_url = connection.instance_url.clone();
                    }
                    self.connection = Some(connection);
                    self.run_checks(None);
                }
                Event::ConnectFailed(e) => {
                    self.connecting = false;
                    self.connect_error = Some(e);
                }
                Event::Progress(note) => {
                    if let Run::Running { note: current, .. } = &mut self.run {
                        *current = note;
                    }
                }
                Event::Checked(report) => {
                    let only = match &self.run {
                        Run::Running { step, .. } => *step,
                        Run::Idle => None,
                    };
                    self.run = Run::Idle;
                    self.report = Some(match (only, self.report.take()) {
                        (Some(step), Some(mut previous)) => {
                            previous.checks.retain(|c| c.step != step);
                            previous
                                .checks
                                .extend(report.checks.iter().filter(|c| c.step == step).cloned());
                            previous.checks.sort_by_key(|c| c.step);
                            previous.verdict = crate::checks::Verdict::of(&previous.checks);
                            previous.org = report.org.clone();
                            previous.api_calls += report.api_calls;
                            previous.round_trips += report.round_trips;
                            previous
                        }
                        _ => *report,
                    });
                    report_view::on_checked(self, only.is_none());
                }
                Event::CheckFailed(e) => {
                    self.run = Run::Idle;
                    self.check_error = Some(e);
                }
                Event::Cancelled => self.run = Run::Idle,
                Event::Disconnected => {}
            }
        }
    }

    /// The worst status among a step's findings (None before the first run).
    pub fn step_status(&self, step: Step) -> Option<Status> {
        let report = self.report.as_ref()?;
        let statuses: Vec<Status> = report
            .checks
            .iter()
            .filter(|c| c.step == step)
            .map(|c| self.effective_status(&c.id, c.status))
            .collect();
        if statuses.is_empty() {
            return None;
        }
        for worst in [Status::Fail, Status::Unknown, Status::Warn] {
            if statuses.contains(&worst) {
                return Some(worst);
            }
        }
        if statuses.iter().all(|s| *s == Status::Skipped) {
            return Some(Status::Skipped);
        }
        Some(Status::Pass)
    }

    /// A finding's status once manual confirmations count: an unknown check a person confirmed passes.
    pub fn effective_status(&self, id: &str, status: Status) -> Status {
        if status == Status::Unknown && self.manual.get(id).is_some_and(|m| m.confirmed) {
            Status::Pass
        } else {
            status
        }
    }

    pub fn is_running(&self) -> bool {
        matches!(self.run, Run::Running { .. })
    }

    /// Whether write actions are shown (never in verify-only mode).
    pub fn can_write(&self) -> bool {
        !self.remembered.verify_only
    }

    /// Draws the whole window.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        self.handle_events();
        view::show(self, ui);
    }
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.remembered);
    }
}

/// Opens the desktop window; `demo` connects to the built-in simulated org at once.
pub fn run(demo: Option<String>) -> eframe::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(APP_NAME)
            .with_inner_size([1180.0, 780.0])
            .with_min_inner_size([860.0, 560.0]),
        ..Default::default()
    };
    eframe::run_native(
        APP_NAME,
        options,
        Box::new(move |cc| Ok(Box::new(App::from_creation_context(cc, demo)))),
    )
}
