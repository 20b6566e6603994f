//! The desktop app (eframe/egui): the only module that knows egui.
//!
//! `App` holds what is on screen; a background `Worker` owns the Salesforce client. The UI sends
//! `Command`s and renders the `Event`s that come back, so it never blocks on the network.

pub mod connect;
pub mod demo;
pub mod fix_view;
mod report_view;
pub mod startup;
mod view;
pub mod worker;

use crate::checks::{CheckReport, Finding, Status, Step, Verdict};
use crate::profile::{self, Profile};
use crate::report::model::StepStatus;
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
    /// Where the browser login goes.
    pub login_where: LoginWhere,
    /// The org address typed for `LoginWhere::MyDomain`.
    pub login_url: String,
    /// Overrides of the profile's login app (empty: the profile's, else the assistant's).
    pub client_id: String,
    pub callback_port: String,
    /// Where the Salesforce CLI is, when not on PATH (empty: `sf` on PATH).
    pub sf_program: String,
}

/// The browser login's destination.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoginWhere {
    #[default]
    Production,
    Sandbox,
    MyDomain,
}

impl Default for Remembered {
    fn default() -> Self {
        Remembered {
            instance_url: String::new(),
            profile: profile::DEFAULT_PROFILE.to_string(),
            integration_user: String::new(),
            demo_scenario: "fresh".to_string(),
            verify_only: false,
            login_where: LoginWhere::Production,
            login_url: String::new(),
            client_id: String::new(),
            callback_port: String::new(),
            sf_program: String::new(),
        }
    }
}

/// The pages of the assistant, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Page {
    Step(Step),
    Report,
}

/// Every page: the steps of `Step::ALL` in their order, then the report.
pub const PAGES: [Page; 7] = [
    Page::Step(Step::ALL[0]),
    Page::Step(Step::ALL[1]),
    Page::Step(Step::ALL[2]),
    Page::Step(Step::ALL[3]),
    Page::Step(Step::ALL[4]),
    Page::Step(Step::ALL[5]),
    Page::Report,
];

impl Page {
    /// The page in the checklist: "1 Create the fields", "Report".
    pub fn title(self) -> String {
        match self {
            Page::Step(step) => step.title(),
            Page::Report => "Report".to_string(),
        }
    }

    /// The page's heading: "Step 1 – Create the fields".
    pub fn heading(self) -> String {
        match self {
            Page::Step(Step::Connect) => "Connect to the org".to_string(),
            Page::Step(step) => match step.number() {
                Some(n) => format!("Step {n} – {}", step.name()),
                None => step.name().to_string(),
            },
            Page::Report => "Report".to_string(),
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

/// What the step pages (Fields to Test write-back) hold between frames, beside the write
/// actions (`fix_view::WriteState`).
#[derive(Debug, Default)]
pub struct StepPages {
    /// Check id -> a person's confirmation of what the app could not verify.
    pub manual: BTreeMap<String, ManualConfirmation>,
    /// Open every finding's evidence (a toggle on each step page).
    pub expand_evidence: bool,
    /// The Access page's record (Id, URL or Case number) for the record-access check.
    pub record_input: String,
    /// When the last run of the checks finished (local time, for "Checked at").
    pub checked_at: Option<String>,
    /// Why the Access page's record could not be used (shown under it).
    pub record_error: Option<String>,
    /// Scroll the error that just arrived into view on the next frame.
    pub reveal_error: bool,
    /// Demo mode: what the last "Do this in the demo org" did (Ok) or why not (Err), and for
    /// which step.
    pub demo_notice: Option<(Step, Result<String, String>)>,
}

/// The profile editor's working copy.
#[derive(Debug)]
pub struct ProfileDraft {
    pub profile: Profile,
    pub save_path: String,
    pub message: Option<String>,
    /// Where the draft was last saved (applying it then remembers that file).
    pub saved_to: Option<String>,
    /// A save under way on its own thread: files are never written from the draw code.
    pub pending_save: Option<std::sync::mpsc::Receiver<Result<String, String>>>,
}

impl ProfileDraft {
    pub fn of(profile: &Profile) -> ProfileDraft {
        ProfileDraft {
            profile: profile.clone(),
            save_path: format!("{}.toml", profile.id),
            message: None,
            saved_to: None,
            pending_save: None,
        }
    }

    /// Writes the draft to `save_path` on a short-lived thread; [`ProfileDraft::poll`] picks the
    /// outcome up.
    pub fn save_in_background(&mut self, ctx: &egui::Context) {
        let path = std::path::PathBuf::from(self.save_path.trim());
        let text = self.profile.to_toml();
        let (tx, rx) = std::sync::mpsc::channel();
        let ctx = ctx.clone();
        let started = crate::spawn_named("profile-save", move || {
            let outcome = crate::files::write_file(&path, text.as_bytes())
                .map(|()| path.display().to_string())
                .map_err(|e| e.to_string());
            let _ = tx.send(outcome);
            ctx.request_repaint();
        });
        match started {
            Ok(_) => {
                self.pending_save = Some(rx);
                self.message = Some("Saving…".into());
            }
            Err(e) => self.message = Some(format!("The profile was not saved: {e}")),
        }
    }

    /// Takes the outcome of a save, when it has come.
    pub fn poll(&mut self) {
        let Some(rx) = &self.pending_save else {
            return;
        };
        let outcome = match rx.try_recv() {
            Ok(outcome) => outcome,
            Err(std::sync::mpsc::TryRecvError::Empty) => return,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                Err("The save stopped unexpectedly; try again.".into())
            }
        };
        self.pending_save = None;
        match outcome {
            Ok(path) => {
                self.message = Some(format!("Saved to {path}."));
                self.saved_to = Some(path);
            }
            Err(e) => self.message = Some(e),
        }
    }
}

pub struct App {
    pub remembered: Remembered,
    pub page: Page,
    pub profile: Profile,
    pub profile_error: Option<String>,
    pub connection: Option<Connection>,
    pub check_error: Option<UiError>,
    pub report: Option<CheckReport>,
    pub run: Run,
    pub draft: Option<ProfileDraft>,
    /// The pasted access token: lives only in this field until Connect sends it to the worker.
    /// Kept on `App`, which has no `Debug`, not with the Connect page's (debuggable) state.
    pub token_input: String,
    /// The step pages' state: confirmations, evidence, the record to check.
    pub steps: StepPages,
    /// The login page's state.
    pub login: LoginState,
    pub writes: fix_view::WriteState,
    /// The Report page: save, redact, open a report file, last run.
    pub report_state: report_view::ReportState,
    worker: Worker,
}

/// What the Connect page knows about logging in.
#[derive(Debug, Default)]
pub struct LoginState {
    /// A connection was asked for and has not answered yet.
    pub connecting: bool,
    /// Why the last connection failed, drawn next to the way of connecting it came from.
    pub connect_error: Option<UiError>,
    /// Why the last pasted consumer key was refused and cleared (a Consumer Secret).
    pub key_refused: Option<String>,
    /// The authorize URL while the browser login waits for the admin.
    pub waiting_at: Option<String>,
    /// A browser login was asked for and has not answered yet.
    pub starting: bool,
    pub saved: Vec<crate::login::store::SavedLogin>,
    /// Where sessions are kept, in words, and whether that survives a restart.
    pub keychain: String,
    pub keychain_detail: Option<String>,
    pub keychain_persistent: bool,
    pub cli_orgs: Option<Result<Vec<crate::login::sf_cli::SfOrg>, UiError>>,
    pub finding_cli_orgs: bool,
    /// The outcome of a sign-out, shown once.
    pub notice: Option<String>,
    /// The Salesforce CLI's version (and path), or why it cannot be used; `None` until known.
    pub sf_cli: Option<Result<String, UiError>>,
    /// The Salesforce CLI's login waits in the browser, on this login host.
    pub cli_waiting: Option<String>,
    /// Which way of connecting the shown error belongs to (it is drawn next to that form).
    pub error_at: Option<connect::ConnectFrom>,
    /// The publisher's own app (build time or `app.toml`), read once at start.
    pub distribution_app: Option<crate::profile::LoginApp>,
    /// Consumer keys remembered per org (login host), read once at start.
    pub client_ids: BTreeMap<String, String>,
}

impl App {
    pub fn new(worker: Worker, remembered: Remembered) -> App {
        if !remembered.sf_program.trim().is_empty() {
            worker.send(Command::SetSfProgram(remembered.sf_program.clone()));
        }
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
            check_error: None,
            report: None,
            run: Run::Idle,
            draft: None,
            token_input: String::new(),
            steps: StepPages::default(),
            login: LoginState {
                distribution_app: crate::login::app::distribution_app()
                    .ok()
                    .flatten()
                    .map(|a| crate::profile::LoginApp {
                        client_id: a.client_id,
                        callback_url: a.callback_url,
                    }),
                client_ids: crate::login::app::ClientIdBook::open_default()
                    .map(|b| b.all())
                    .unwrap_or_default(),
                ..LoginState::default()
            },
            writes: fix_view::WriteState::at_start(&worker.data_dir()),
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
        app.report_state = report_view::ReportState::with_data_dir(app.worker.data_dir().ok());
        if let Some(scenario) = demo {
            app.connect_demo(&scenario);
        }
        app
    }

    pub fn connect_demo(&mut self, scenario: &str) {
        self.remembered.demo_scenario = scenario.to_string();
        self.login.connecting = true;
        self.login.connect_error = None;
        self.report = None;
        self.worker.send(Command::ConnectDemo {
            scenario: scenario.to_string(),
        });
    }

    pub fn connect_session(&mut self) {
        self.login.connecting = true;
        self.login.connect_error = None;
        self.report = None;
        self.login.error_at = Some(connect::ConnectFrom::Pasted);
        // The field keeps the token until the connection works: a refused one can be corrected.
        self.worker.send(Command::ConnectSession {
            instance_url: self.remembered.instance_url.trim().to_string(),
            access_token: self.token_input.trim().to_string(),
        });
    }

    /// The browser login's settings from the page (profile's app, overrides), or what is wrong.
    pub fn login_settings(&self) -> Result<crate::login::session::LoginSettings, String> {
        use crate::login::url::LoginTarget;
        let target = match self.remembered.login_where {
            LoginWhere::Production => LoginTarget::Production,
            LoginWhere::Sandbox => LoginTarget::Sandbox,
            LoginWhere::MyDomain => LoginTarget::Url(self.remembered.login_url.trim().to_string()),
        };
        let port = match self.remembered.callback_port.trim() {
            "" => None,
            typed => Some(typed.parse::<u32>().map_err(|_| {
                format!("The callback port must be a number such as 17717; '{typed}' is not.")
            })?),
        };
        connect::login_settings_for(self, &target, port)
    }

    pub fn start_browser_login(&mut self) {
        match self.login_settings() {
            Ok(settings) => {
                self.login.connect_error = None;
                self.login.notice = None;
                self.login.starting = true;
                self.login.error_at = Some(connect::ConnectFrom::Browser);
                self.report = None;
                self.worker.send(Command::BrowserLogin(Box::new(settings)));
            }
            Err(message) => {
                self.login.error_at = Some(connect::ConnectFrom::Browser);
                self.login.connect_error = Some(UiError {
                    message: "The login cannot start.".into(),
                    fix: message.clone(),
                    details: message,
                })
            }
        }
    }

    /// Opens the waiting login's page again (the worker does it: a browser may take a while to start).
    pub fn open_browser_again(&mut self, url: String) {
        self.worker.send(Command::OpenBrowser { url });
    }

    pub fn cancel_login(&mut self) {
        self.worker.send(Command::CancelLogin);
    }

    pub fn resume_login(&mut self, saved: crate::login::store::SavedLogin) {
        self.login.connecting = true;
        self.login.connect_error = None;
        self.login.notice = None;
        self.report = None;
        self.worker.send(Command::ResumeLogin(Box::new(saved)));
    }

    pub fn forget_login(&mut self, saved: crate::login::store::SavedLogin) {
        self.worker.send(Command::ForgetLogin(Box::new(saved)));
    }

    pub fn find_cli_orgs(&mut self) {
        self.login.finding_cli_orgs = true;
        self.worker.send(Command::FindCliOrgs);
    }

    pub fn connect_cli(&mut self, target: String) {
        self.login.connecting = true;
        self.login.connect_error = None;
        self.report = None;
        self.worker.send(Command::ConnectCli { target });
    }

    /// Ends a browser login at Salesforce and here.
    pub fn sign_out(&mut self) {
        self.worker.send(Command::SignOut);
        self.connection = None;
        self.report = None;
        self.run = Run::Idle;
        self.page = PAGES[0];
    }

    pub fn disconnect(&mut self) {
        self.worker.send(Command::Disconnect);
        self.connection = None;
        self.report = None;
        self.run = Run::Idle;
        self.page = PAGES[0];
    }

    /// The integration user the checks run for: the one chosen, else the one detected (the
    /// demo scenario's). `chosen_integration_user` tells them apart.
    pub fn integration_user(&self) -> Option<String> {
        self.chosen_integration_user()
            .or_else(|| self.detected_integration_user())
    }

    /// The integration user the admin chose (typed or adopted with one click).
    pub fn chosen_integration_user(&self) -> Option<String> {
        let typed = self.remembered.integration_user.trim();
        (!typed.is_empty()).then(|| typed.to_string())
    }

    /// The integration user the connection suggests when none is chosen.
    pub fn detected_integration_user(&self) -> Option<String> {
        self.connection
            .as_ref()
            .and_then(|c| c.integration_user_hint.clone())
    }

    /// Adopts a user as the integration user and checks again.
    pub fn choose_integration_user(&mut self, username: &str) {
        self.remembered.integration_user = username.trim().to_string();
        self.run_checks(None);
    }

    /// The record the admin gave for the record-access check, read like every record input
    /// (`testwrite::parse_record_input`: an Id, a record URL or a Case number).
    pub fn record_input(&self) -> Result<Option<crate::testwrite::RecordInput>, String> {
        let typed = self.steps.record_input.trim();
        if typed.is_empty() {
            return Ok(None);
        }
        crate::testwrite::parse_record_input(&self.profile.object, typed).map(Some)
    }

    /// Runs the checks: everything, or one step (its findings alone are replaced).
    pub fn run_checks(&mut self, step: Option<Step>) {
        if self.connection.is_none() {
            return;
        }
        let record = self.record_input().ok().flatten();
        self.check_error = None;
        self.steps.record_error = None;
        self.run = Run::Running {
            note: "Starting".into(),
            step,
        };
        let request = crate::readiness::CheckRequest {
            profile: self.profile.clone(),
            integration_user: self.integration_user(),
            // A record given as a Case number is looked up by the worker first.
            record_id: None,
        };
        self.worker
            .send(Command::RunChecks(Box::new(request), record));
    }

    /// The report of the current run as the Report page would save it now.
    pub fn current_report(&self) -> Option<crate::report::Report> {
        report_view::current_report(self)
    }

    /// Whether the org is the built-in simulated demo org.
    pub fn is_demo(&self) -> bool {
        self.connection.as_ref().is_some_and(|c| c.demo.is_some())
    }

    /// Demo mode: does a Setup-only step in the simulated org (then the checks run again).
    pub fn demo_setup(&mut self, action: demo::DemoSetupAction) {
        if self.is_demo() {
            self.steps.demo_notice = None;
            self.worker.send(Command::DemoSetup(action));
        }
    }

    pub fn send_write(&mut self, command: fix_view::WriteCommand) {
        if self.can_write() {
            self.worker.send(Command::Write(Box::new(command)));
        }
    }

    pub fn cancel(&mut self) {
        self.worker.send(Command::Cancel);
    }

    pub fn set_profile(&mut self, profile: Profile, remembered_as: String) {
        // A test write of another profile's fields is no evidence for this one.
        self.report_state.test_write = None;
        self.writes.report = None;
        self.profile = profile;
        self.remembered.profile = remembered_as;
        self.profile_error = None;
        self.run_checks(None);
    }

    /// Applies what the worker reported.
    pub fn handle_events(&mut self) {
        if let Some(draft) = &mut self.draft {
            draft.poll();
        }
        for event in self.worker.poll() {
            match event {
                Event::Connected(connection) => {
                    self.login.connecting = false;
                    self.login.starting = false;
                    self.login.waiting_at = None;
                    connect::on_connected(self);
                    if connection.demo.is_none() {
                        self.remembered.instance_url = connection.instance_url.clone();
                    }
                    // Evidence and confirmations belong to the session they were made in: a new
                    // connection (maybe another org) starts without them.
                    self.report_state.test_write = None;
                    self.writes.report = None;
                    self.writes.preflight = None;
                    self.steps.manual.clear();
                    self.connection = Some(connection);
                    self.run_checks(None);
                }
                Event::ConnectFailed(e) => {
                    self.login.connecting = false;
                    self.login.starting = false;
                    self.login.waiting_at = None;
                    self.login.cli_waiting = None;
                    self.login.connect_error = Some(e);
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
                    self.steps.checked_at =
                        Some(chrono::Local::now().format("%H:%M:%S").to_string());
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
                    self.steps.reveal_error = true;
                }
                Event::RecordNotFound(why) => {
                    self.run = Run::Idle;
                    self.steps.record_error = Some(why);
                    self.steps.reveal_error = true;
                }
                Event::DemoSetupDone(action, done) => {
                    let worked = done.is_ok();
                    self.steps.demo_notice = Some((action.step(), done));
                    if worked {
                        self.run_checks(None);
                    }
                }
                Event::Write(event) => fix_view::on_event(self, *event),
                Event::Cancelled => self.run = Run::Idle,
                Event::Disconnected { message } => {
                    if message.is_some() {
                        self.login.notice = message;
                    }
                }
                Event::LoginStarted { authorize_url } => {
                    self.login.starting = false;
                    self.login.waiting_at = Some(authorize_url);
                }
                Event::LoginCancelled => {
                    self.login.starting = false;
                    self.login.waiting_at = None;
                    self.login.cli_waiting = None;
                    self.login.connecting = false;
                }
                Event::SavedLogins {
                    logins,
                    keychain,
                    keychain_detail,
                    persistent,
                } => {
                    self.login.saved = logins;
                    self.login.keychain = keychain;
                    self.login.keychain_detail = keychain_detail;
                    self.login.keychain_persistent = persistent;
                }
                Event::CliOrgs(found) => {
                    self.login.finding_cli_orgs = false;
                    self.login.cli_orgs = Some(found);
                }
                Event::SfCli(found) => self.login.sf_cli = Some(found),
                Event::CliLoginWaiting { login_url } => {
                    self.login.starting = false;
                    self.login.cli_waiting = Some(login_url);
                }
            }
        }
    }

    /// The worst status among a step's findings, confirmations counted (None before the first
    /// run or when the step has none).
    pub fn checks_status(&self, step: Step) -> Option<Status> {
        let report = self.report.as_ref()?;
        crate::checks::worst_status(
            report
                .checks
                .iter()
                .filter(|c| c.step == step)
                .map(|c| self.effective_status(c)),
        )
    }

    /// A step's status as the checklist and the reports show it (None before the first run):
    /// the checks' for the setup steps; for the test write-back, the test write's outcome
    /// (not run until one is made), by the same rule as every report format.
    pub fn step_status(&self, step: Step) -> Option<StepStatus> {
        self.report.as_ref()?;
        if step == Step::TestWrite {
            return Some(StepStatus::of_test_write(
                self.report_state.test_write.as_ref(),
            ));
        }
        // A step no check spoke to is pending, never "ok".
        self.checks_status(step).map(StepStatus::from)
    }

    /// Whether a person's confirmation of this finding counts (it has a note and, for a check
    /// about the integration user, one is chosen): then it passes.
    pub fn confirmation_counts(&self, finding: &Finding) -> bool {
        let Some(manual) = self.steps.manual.get(finding.id.as_str()) else {
            return false;
        };
        manual.confirmed
            && crate::checks::confirmation_counts(
                finding.id,
                &manual.note,
                self.report
                    .as_ref()
                    .and_then(|r| r.integration_user.as_deref()),
            )
    }

    /// A finding's status once manual confirmations count: an unknown check a person confirmed passes.
    pub fn effective_status(&self, finding: &Finding) -> Status {
        if finding.status == Status::Unknown && self.confirmation_counts(finding) {
            Status::Pass
        } else {
            finding.status
        }
    }

    /// The confirmations that count, for the verdict and the report.
    pub fn counted_confirmations(&self) -> usize {
        self.report.as_ref().map_or(0, |r| {
            r.checks
                .iter()
                .filter(|f| f.status == Status::Unknown && self.confirmation_counts(f))
                .count()
        })
    }

    /// Where the org stands, by the same rules as the report: confirmations that count pass
    /// (and make the verdict "ready, with manual confirmations"); a refused test write-back
    /// makes it not ready.
    pub fn verdict(&self) -> Option<Verdict> {
        let report = self.report.as_ref()?;
        let refused = self
            .report_state
            .test_write
            .as_ref()
            .is_some_and(|t| !t.write_ok);
        Some(if refused {
            Verdict::NotReady
        } else {
            Verdict::with_confirmations(&report.checks, |f| self.confirmation_counts(f))
        })
    }

    pub fn is_running(&self) -> bool {
        matches!(self.run, Run::Running { .. })
    }

    /// Whether write actions are shown (never in verify-only mode).
    pub fn can_write(&self) -> bool {
        !self.remembered.verify_only
    }

    /// One frame as eframe runs it: the worker's events first (`logic`), then the drawing.
    /// Tests drive the app through this.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        self.handle_events();
        view::show(self, ui);
    }
}

impl eframe::App for App {
    /// State changes happen here, before drawing: the worker's events are applied.
    fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.handle_events();
    }

    /// Only draws (and turns clicks into commands).
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        view::show(self, ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.remembered);
    }
}

/// Whether a graphical desktop is there to open a window on (else why not, in words).
fn desktop_present() -> Result<(), String> {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if set("DISPLAY") || set("WAYLAND_DISPLAY") || set("WAYLAND_SOCKET") || cfg!(not(unix)) {
        Ok(())
    } else {
        Err("no graphical desktop here (neither DISPLAY nor WAYLAND_DISPLAY is set)".into())
    }
}

/// Opens the desktop window; `demo` connects to the built-in simulated org at once. The error
/// is a sentence for the person who started it (never a dependency's source path).
pub fn run(demo: Option<String>) -> Result<(), String> {
    desktop_present()?;
    open_window(demo).map_err(|e| match e {
        eframe::Error::Winit(_) | eframe::Error::WinitEventLoop(_) => {
            "the windowing system refused to open a window".to_string()
        }
        other => other.to_string(),
    })
}

fn open_window(demo: Option<String>) -> eframe::Result<()> {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title(APP_NAME)
        // Also names eframe's settings folder, e.g. ~/.local/share/io.github.writebacksetup.writebacksetup.
        .with_app_id(crate::APP_ID)
        .with_inner_size([1180.0, 780.0])
        .with_min_inner_size([860.0, 560.0]);
    match window_icon() {
        Ok(icon) => viewport = viewport.with_icon(icon),
        // Only a broken build gets here (tests/packaging.rs decodes the same bytes).
        Err(e) => eprintln!("warning: the window icon could not be loaded: {e}"),
    }
    let options = eframe::NativeOptions {
        viewport,
        ..Default::default()
    };
    eframe::run_native(
        APP_NAME,
        options,
        Box::new(move |cc| {
            let app = App::from_creation_context(cc, demo);
            Ok(if startup::probe_requested() {
                Box::new(startup::FirstFrameProbe::new(app))
            } else {
                Box::new(app)
            })
        }),
    )
}

/// The app icon (the 128 px rendering of assets/icon.svg), embedded in the binary. Not 256 px: X11
/// gets the icon in one request, and 256 px (65,538 words) is over the 65,535-word limit of a
/// request without BIG-REQUESTS, which winit does not use: the window silently got no icon.
pub const WINDOW_ICON_PNG: &[u8] = include_bytes!(
    "../../packaging/icons/hicolor/128x128/apps/io.github.writebacksetup.WritebackSetup.png"
);

/// The window icon, decoded from the embedded PNG.
pub fn window_icon() -> Result<egui::IconData, String> {
    eframe::icon_data::from_png_bytes(WINDOW_ICON_PNG).map_err(|e| e.to_string())
}
