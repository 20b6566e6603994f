//! The Connect page. It leads with what works on this machine: the Salesforce CLI's login when
//! `sf` is here, else the assistant's own browser login when an app is configured, else the
//! guide to create your own External Client App. Saved logins, the CLI's existing logins, a
//! pasted session and the demo org follow. Errors show next to the form that caused them, scroll
//! into view, and clear when a connection works. No text here names a command-line flag.

use super::view::{copy_button, error_box, status_color};
use super::worker::Command;
use super::{App, LoginWhere};
use crate::checks::Status;
use crate::login::app::{guide_settings, SETUP_PATH};
use crate::login::url::LoginTarget;
use crate::sim::scenario;
use eframe::egui;
use egui::RichText;

/// Which way of connecting an error belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectFrom {
    /// Logging in through the Salesforce CLI.
    Cli,
    /// The assistant's own browser login (and the External Client App guide).
    Browser,
    Saved,
    /// A login the Salesforce CLI already has.
    CliOrg,
    Pasted,
    Demo,
}

/// What the page leads with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lead {
    /// "Log in with the Salesforce CLI": `sf` is installed and recent enough.
    SalesforceCli,
    /// The browser login through an app that is configured (profile, build, or a pasted key).
    OwnApp,
    /// No CLI and no app: the External Client App guide.
    AppGuide,
}

/// What the Connect page leads with, from what is known about this machine.
pub fn lead(app: &App) -> Lead {
    // An app the profile or the publisher set up is there to be used.
    let configured_app = app.profile.login.is_some() || app.login.distribution_app.is_some();
    if configured_app && app.login_settings().is_ok() {
        Lead::OwnApp
    } else if matches!(app.login.sf_cli, Some(Ok(_))) {
        Lead::SalesforceCli
    } else if app.login_settings().is_ok() {
        Lead::OwnApp
    } else {
        Lead::AppGuide
    }
}

/// The browser login's settings: the consumer key typed here (or remembered for this org), else
/// the profile's app, else the publisher's.
pub(super) fn login_settings_for(
    app: &App,
    target: &LoginTarget,
    port: Option<u32>,
) -> Result<crate::login::session::LoginSettings, String> {
    let typed = app.remembered.client_id.trim();
    let remembered = if typed.is_empty() {
        crate::login::url::login_host(target).ok().and_then(|host| {
            app.login
                .client_ids
                .get(&crate::login::app::key_of(&host.login_url))
                .cloned()
        })
    } else {
        None
    };
    let client_id = if typed.is_empty() {
        remembered.as_deref()
    } else {
        Some(typed)
    };
    crate::login::session::LoginSettings::new(
        target,
        app.profile
            .login
            .as_ref()
            .or(app.login.distribution_app.as_ref()),
        client_id,
        port,
    )
    .map_err(|e| e.to_string())
}

/// A connection worked: its error is gone, and a pasted token leaves the form.
pub(super) fn on_connected(app: &mut App) {
    app.login.connect_error = None;
    app.login.error_at = None;
    app.login.cli_waiting = None;
    app.token_input.clear();
}

impl App {
    /// The login target chosen on the page (production, sandbox or a pasted address).
    pub fn login_target(&self) -> LoginTarget {
        match self.remembered.login_where {
            LoginWhere::Production => LoginTarget::Production,
            LoginWhere::Sandbox => LoginTarget::Sandbox,
            LoginWhere::MyDomain => LoginTarget::Url(self.remembered.login_url.trim().to_string()),
        }
    }

    /// Logs in through the Salesforce CLI (`sf org login web`) for the chosen org.
    pub fn start_cli_login(&mut self) {
        let target = self.login_target();
        if let Err(e) = crate::login::url::login_host(&target) {
            self.login.error_at = Some(ConnectFrom::Cli);
            self.login.connect_error = Some(super::UiError {
                message: "The login cannot start.".into(),
                fix: e.to_string(),
                details: e.to_string(),
            });
            return;
        }
        self.login.connect_error = None;
        self.login.notice = None;
        self.login.starting = true;
        self.login.error_at = Some(ConnectFrom::Cli);
        self.report = None;
        self.worker.send(Command::CliLogin(target));
    }
}

/// Shows the connect error here when it belongs to `from` (or to nothing, at the top), and
/// scrolls it into view once.
fn error_here(app: &App, ui: &mut egui::Ui, from: Option<ConnectFrom>) {
    let Some(error) = &app.login.connect_error else {
        return;
    };
    if app.login.error_at != from {
        return;
    }
    let top = ui.min_rect().bottom();
    error_box(ui, error, "connect_error");
    let shown = egui::Rect::from_min_max(
        egui::pos2(ui.min_rect().left(), top),
        egui::pos2(ui.min_rect().right(), ui.min_rect().bottom()),
    );
    let key = egui::Id::NULL.with("connect_error_scrolled");
    let this = {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (&error.message, &error.fix, &error.details).hash(&mut hasher);
        hasher.finish()
    };
    let seen: Option<u64> = ui.ctx().data(|d| d.get_temp(key));
    if seen != Some(this) {
        ui.scroll_to_rect(shown, Some(egui::Align::Center));
        ui.ctx().data_mut(|d| d.insert_temp(key, this));
    }
}

pub(super) fn connect_page(app: &mut App, ui: &mut egui::Ui) {
    if let Some(notice) = app.login.notice.clone() {
        ui.label(RichText::new(notice).strong());
        ui.add_space(4.0);
    }
    if let Some(connection) = app.connection.clone() {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.label(
                RichText::new(format!(
                    "Connected to {} as {}{}.",
                    connection.instance_url,
                    if connection.display_name.is_empty() {
                        &connection.username
                    } else {
                        &connection.display_name
                    },
                    connection
                        .demo
                        .as_ref()
                        .map(|d| format!(" (demo scenario \"{d}\")"))
                        .unwrap_or_default()
                ))
                .strong(),
            );
            if let Some(kept) = &connection.kept {
                ui.label(RichText::new(kept).weak());
            }
            ui.horizontal(|ui| {
                if connection.signs_out
                    && ui
                        .button("Sign out")
                        .on_hover_text("End this login at Salesforce and forget it here")
                        .clicked()
                {
                    app.sign_out();
                }
            });
        });
        ui.add_space(6.0);
    }
    // An error whose form is not on the page (a saved login that is gone) shows at the top.
    let top = match app.login.error_at {
        Some(ConnectFrom::Saved) if app.login.saved.is_empty() => Some(ConnectFrom::Saved),
        _ => None,
    };
    error_here(app, ui, top);
    if app.login.connecting {
        ui.horizontal(|ui| {
            ui.add(egui::Spinner::new());
            ui.label("Connecting…");
        });
    }
    where_to_log_in(app, ui);
    ui.add_space(6.0);
    match lead(app) {
        Lead::SalesforceCli => {
            cli_login(app, ui, true);
            ui.add_space(6.0);
            browser_login(app, ui, false);
        }
        Lead::OwnApp => {
            browser_login(app, ui, true);
            ui.add_space(6.0);
            cli_login(app, ui, false);
        }
        Lead::AppGuide => {
            browser_login(app, ui, true);
            ui.add_space(6.0);
            cli_login(app, ui, false);
        }
    }
    ui.add_space(6.0);
    saved_logins(app, ui);
    // A CLI that cannot be used has no logins to offer; its card above says why.
    if !matches!(app.login.sf_cli, Some(Err(_))) {
        cli_logins(app, ui);
    }
    ui.add_space(6.0);
    pasted_session(app, ui);
    ui.add_space(6.0);
    demo_org(app, ui);
}

/// Production, sandbox or the org's own address: shared by both ways of logging in.
fn where_to_log_in(app: &mut App, ui: &mut egui::Ui) {
    let busy = app.login.starting
        || app.login.waiting_at.is_some()
        || app.login.cli_waiting.is_some()
        || app.login.connecting;
    ui.add_enabled_ui(!busy, |ui| {
        ui.horizontal_wrapped(|ui| {
            ui.label("Your org:");
            ui.radio_value(
                &mut app.remembered.login_where,
                LoginWhere::Production,
                "Production",
            );
            ui.radio_value(
                &mut app.remembered.login_where,
                LoginWhere::Sandbox,
                "Sandbox",
            );
            ui.radio_value(
                &mut app.remembered.login_where,
                LoginWhere::MyDomain,
                "My Domain",
            );
            if app.remembered.login_where == LoginWhere::MyDomain {
                ui.add(
                    egui::TextEdit::singleline(&mut app.remembered.login_url)
                        .hint_text("https://yourcompany.my.salesforce.com")
                        .desired_width(320.0),
                )
                .on_hover_text(
                    "Paste any address of your org: My Domain, Lightning or a Setup page",
                )
                .accessible_name("Org address");
            }
        });
        match crate::login::url::login_host(&app.login_target()) {
            Ok(host) => {
                if let Some(note) = &host.note {
                    ui.label(RichText::new(note).weak());
                }
                ui.label(RichText::new(format!("Logs in at {}", host.login_url)).weak());
            }
            Err(problem)
                if !(app.remembered.login_where == LoginWhere::MyDomain
                    && app.remembered.login_url.trim().is_empty()) =>
            {
                ui.label(
                    RichText::new(problem.to_string()).color(status_color(ui, Some(Status::Fail))),
                );
            }
            Err(_) => {}
        }
    });
}

/// "Log in with the Salesforce CLI": the CLI's own app, no set-up. When it does not lead, one
/// compact row says why it cannot be used here.
fn cli_login(app: &mut App, ui: &mut egui::Ui, leading: bool) {
    let usable = matches!(app.login.sf_cli, Some(Ok(_)));
    let busy = app.login.starting
        || app.login.waiting_at.is_some()
        || app.login.cli_waiting.is_some()
        || app.login.connecting;
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            let title = RichText::new("Log in with the Salesforce CLI").strong();
            ui.label(if leading { title.heading() } else { title });
            if !leading {
                cli_buttons(app, ui, usable, busy);
            }
        });
        match &app.login.sf_cli {
            Some(Ok(version)) => {
                if leading {
                    ui.label("Recommended: nothing to set up. The Salesforce CLI opens Salesforce's login page in your browser with its own app; the CLI keeps the session, the assistant stores nothing.");
                }
                ui.label(RichText::new(format!("Salesforce CLI {version}")).weak());
            }
            Some(Err(why)) => {
                ui.label(RichText::new(&why.fix).color(status_color(ui, Some(Status::Warn))));
                ui.horizontal_wrapped(|ui| {
                    let label = ui.label("Installed elsewhere? Its path:");
                    ui.add(
                        egui::TextEdit::singleline(&mut app.remembered.sf_program)
                            .hint_text("/usr/local/bin/sf")
                            .desired_width(260.0),
                    )
                    .labelled_by(label.id);
                    if ui
                        .add_enabled(
                            !app.remembered.sf_program.trim().is_empty(),
                            egui::Button::new("Use this path"),
                        )
                        .clicked()
                    {
                        app.login.sf_cli = None;
                        app.worker
                            .send(Command::SetSfProgram(app.remembered.sf_program.clone()));
                    }
                });
            }
            None => {
                ui.horizontal(|ui| {
                    ui.add(egui::Spinner::new());
                    ui.label("Looking for the Salesforce CLI…");
                });
            }
        }
        if leading {
            ui.horizontal(|ui| cli_buttons(app, ui, usable, busy));
        }
        if let Some(login_url) = app.login.cli_waiting.clone() {
            ui.horizontal(|ui| {
                ui.add(egui::Spinner::new());
                ui.label(format!(
                    "Waiting for you to log in and choose Allow in the browser ({login_url})…"
                ));
            });
            ui.label(RichText::new("The Salesforce CLI opened its login page in your browser. If no page opened, cancel and try again.").weak());
            if ui.button("Cancel login").clicked() {
                app.cancel_login();
            }
        }
        error_here(app, ui, Some(ConnectFrom::Cli));
    });
}

fn cli_buttons(app: &mut App, ui: &mut egui::Ui, usable: bool, busy: bool) {
    if ui
        .add_enabled(
            usable && !busy && crate::login::url::login_host(&app.login_target()).is_ok(),
            egui::Button::new("Log in with the Salesforce CLI"),
        )
        .clicked()
    {
        app.start_cli_login();
    }
    if !usable
        && app.login.sf_cli.is_some()
        && ui
            .button("Look again")
            .on_hover_text("After installing or updating the Salesforce CLI")
            .clicked()
    {
        app.login.sf_cli = None;
        app.worker.send(Command::CheckSfCli);
    }
}

/// The assistant's own browser login, through the profile's or the publisher's app, or your
/// own External Client App (the guide).
fn browser_login(app: &mut App, ui: &mut egui::Ui, leading: bool) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        let configured = app.login_settings();
        let title = RichText::new(if configured.is_ok() {
            "Log in with your browser"
        } else {
            "Log in through your own External Client App"
        })
        .strong();
        ui.label(if leading { title.heading() } else { title });
        ui.label("You log in on Salesforce's own page, so the assistant never sees your password, and you can log in as the integration user to check the org exactly as the integration will.");
        let busy = app.login.starting
            || app.login.waiting_at.is_some()
            || app.login.cli_waiting.is_some()
            || app.login.connecting;
        if configured.is_err() {
            ui.label("No app for this login is set up yet. An admin creates one in a few minutes with the guide below, then pastes its consumer key here.");
        }
        ui.horizontal(|ui| {
            let label = ui.label("Consumer key");
            ui.add_enabled(
                !busy,
                egui::TextEdit::singleline(&mut app.remembered.client_id)
                    .hint_text(match &configured {
                        Ok(s) => s.client_id.clone(),
                        Err(_) => "3MVG9… (the app's Consumer Key)".to_string(),
                    })
                    .desired_width(360.0),
            )
            .labelled_by(label.id);
        });
        if !app.remembered.client_id.trim().is_empty() {
            if let Err(e) = crate::login::app::validate_client_id(&app.remembered.client_id) {
                // A secret pasted here is never kept in what the app remembers: the field
                // empties and the message says what it was.
                if matches!(e, crate::login::app::AppError::SecretNotKey) {
                    app.remembered.client_id.clear();
                    app.login.key_refused = Some(e.to_string());
                }
                ui.label(RichText::new(e.to_string()).color(status_color(ui, Some(Status::Fail))));
            } else {
                app.login.key_refused = None;
            }
        } else if let Some(refused) = &app.login.key_refused {
            ui.label(RichText::new(refused).color(status_color(ui, Some(Status::Fail))));
        }
        if ui
            .add_enabled(
                configured.is_ok() && !busy,
                egui::Button::new("Log in with browser"),
            )
            .clicked()
        {
            app.start_browser_login();
        }
        if app.login.starting && app.login.cli_waiting.is_none() {
            ui.horizontal(|ui| {
                ui.add(egui::Spinner::new());
                ui.label("Starting the login…");
            });
        }
        if let Some(url) = app.login.waiting_at.clone() {
            ui.horizontal(|ui| {
                ui.add(egui::Spinner::new());
                ui.label("Waiting for you to log in and choose Allow in the browser…");
            });
            ui.label("If no browser window opened, copy this link into your browser:");
            ui.label(RichText::new("If Salesforce shows an OAuth error instead of its login page (such as invalid_client_id, redirect_uri_mismatch or OAUTH_EC_APP_NOT_FOUND), the app is not set up in your org yet: cancel, and see the guide below.").weak());
            let mut shown = url.clone();
            ui.add(
                egui::TextEdit::singleline(&mut shown)
                    .desired_width(f32::INFINITY)
                    .font(egui::TextStyle::Monospace),
            )
            .accessible_name("Login link");
            ui.horizontal(|ui| {
                if ui.button("Copy login link").clicked() {
                    ui.ctx().copy_text(url.clone());
                }
                if ui.button("Open browser again").clicked() {
                    app.open_browser_again(url.clone());
                }
                if ui.button("Cancel login").clicked() {
                    app.cancel_login();
                }
            });
        }
        error_here(app, ui, Some(ConnectFrom::Browser));
        let color = if app.login.keychain_persistent {
            ui.visuals().weak_text_color()
        } else {
            status_color(ui, Some(Status::Warn))
        };
        if !app.login.keychain.is_empty() {
            let note = ui.label(RichText::new(format!("Session: {}", app.login.keychain)).color(color));
            if let Some(detail) = &app.login.keychain_detail {
                note.on_hover_text(detail);
            }
        }
        egui::CollapsingHeader::new("Create your own External Client App (guide)")
            .id_salt("eca_guide")
            .show(ui, |ui| app_guide(app, ui));
        egui::CollapsingHeader::new("Login settings (callback port)")
            .id_salt("login_settings")
            .show(ui, |ui| login_settings(app, ui));
    });
}

/// The External Client App guide: the Setup path, every setting with a Copy button, and the same
/// app as Salesforce DX source.
fn app_guide(app: &mut App, ui: &mut egui::Ui) {
    let callback = app
        .login_settings()
        .map(|s| s.redirect_uri)
        .unwrap_or_else(|_| callback_url_of(app));
    ui.label("In Setup, create the app:");
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(SETUP_PATH).monospace());
        copy_button(ui, SETUP_PATH);
    });
    ui.label("and set:");
    egui::Grid::new("eca_guide_grid")
        .num_columns(3)
        .spacing([8.0, 4.0])
        .show(ui, |ui| {
            for setting in guide_settings(&callback) {
                ui.label(setting.setting);
                ui.label(RichText::new(&setting.value).monospace());
                copy_button(ui, &setting.value);
                ui.end_row();
            }
        });
    ui.label(format!(
        "Then open the app's Settings > OAuth Settings > Consumer Key and Secret, copy the Consumer Key, and paste it above. It is not a secret; the assistant remembers it for this org. A new app can take {} before Salesforce accepts it: if the login says invalid_client_id, wait and try again.",
        crate::login::app::NEW_APP_DELAY
    ));
    egui::CollapsingHeader::new("The same app as Salesforce DX source")
        .id_salt("eca_dx")
        .show(ui, |ui| {
            ui.label("To deploy it instead of clicking through Setup, save these files in a Salesforce DX project (set your email in contactEmail), then deploy:");
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(crate::login::app::DEPLOY_COMMAND).monospace());
                copy_button(ui, crate::login::app::DEPLOY_COMMAND);
            });
            for (path, text) in crate::login::app::dx_source(&callback, "admin@example.com") {
                ui.horizontal(|ui| {
                    ui.label(RichText::new(&path).monospace().strong());
                    copy_button(ui, &text);
                });
                let mut shown = text.clone();
                ui.add(
                    egui::TextEdit::multiline(&mut shown)
                        .font(egui::TextStyle::Monospace)
                        .desired_width(f32::INFINITY)
                        .desired_rows(3),
                )
                .accessible_name(path.clone());
            }
        });
}

/// The callback URL the login will use (the typed port, else the default).
fn callback_url_of(app: &App) -> String {
    match app.remembered.callback_port.trim().parse::<u32>() {
        Ok(port) => format!("http://localhost:{port}/OauthRedirect"),
        Err(_) => crate::login::app::DEFAULT_CALLBACK_URL.to_string(),
    }
}

fn login_settings(app: &mut App, ui: &mut egui::Ui) {
    ui.label(format!(
        "The assistant's own login listens on http://localhost:{} for Salesforce's answer; it is not the Salesforce CLI's port 1717, so both can log in at once. Change it only if that port is taken here, and set the same port in your app's Callback URL.",
        crate::login::app::DEFAULT_CALLBACK_PORT
    ));
    if let Some(app_info) = app
        .profile
        .login
        .as_ref()
        .or(app.login.distribution_app.as_ref())
    {
        ui.label(
            RichText::new(format!(
                "Without a consumer key of your own, the login goes through the app {} ({}).",
                app_info.client_id, app_info.callback_url
            ))
            .weak(),
        );
    }
    ui.horizontal(|ui| {
        let label = ui.label("Callback port");
        ui.add(
            egui::TextEdit::singleline(&mut app.remembered.callback_port)
                .hint_text(crate::login::app::DEFAULT_CALLBACK_PORT.to_string())
                .desired_width(80.0),
        )
        .labelled_by(label.id);
    });
}

fn saved_logins(app: &mut App, ui: &mut egui::Ui) {
    if app.login.saved.is_empty() {
        return;
    }
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(RichText::new("Saved logins").strong());
        let busy = app.login.connecting || app.login.waiting_at.is_some();
        for saved in app.login.saved.clone() {
            ui.horizontal(|ui| {
                ui.label(format!(
                    "{}  {}{}",
                    saved.username,
                    saved.instance_url,
                    if saved.sandbox { "  (sandbox)" } else { "" }
                ));
                if ui
                    .add_enabled(!busy, egui::Button::new("Continue"))
                    .accessible_name(format!("Continue as {}", saved.username))
                    .clicked()
                {
                    app.login.error_at = Some(ConnectFrom::Saved);
                    app.resume_login(saved.clone());
                }
                if ui
                    .button("Sign out")
                    .accessible_name(format!("Sign out {}", saved.username))
                    .on_hover_text("End this login at Salesforce and forget it here")
                    .clicked()
                {
                    // The login in use: sign out of the session too, not only its saved copy.
                    let in_use = app.connection.as_ref().is_some_and(|c| {
                        c.signs_out && c.username == saved.username && c.org_id == saved.org_id
                    });
                    if in_use {
                        app.sign_out();
                    } else {
                        app.forget_login(saved.clone());
                    }
                }
            });
        }
        error_here(app, ui, Some(ConnectFrom::Saved));
    });
    ui.add_space(6.0);
}

fn cli_logins(app: &mut App, ui: &mut egui::Ui) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(RichText::new("Use a login the Salesforce CLI already has").strong());
        ui.label("Orgs you logged in to with the Salesforce CLI before can be used as they are. The CLI keeps the session; the assistant stores nothing.");
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!app.login.finding_cli_orgs, egui::Button::new("Find my CLI logins"))
                .clicked()
            {
                app.find_cli_orgs();
            }
            if app.login.finding_cli_orgs {
                ui.add(egui::Spinner::new());
            }
        });
        match app.login.cli_orgs.clone() {
            Some(Ok(orgs)) if orgs.is_empty() => {
                ui.label("The Salesforce CLI has no logins yet. Use \"Log in with the Salesforce CLI\" above.");
            }
            Some(Ok(orgs)) => {
                egui::Grid::new("cli_orgs").num_columns(4).spacing([8.0, 4.0]).show(ui, |ui| {
                    for org in orgs {
                        ui.label(org.alias.clone().unwrap_or_default());
                        ui.label(&org.username);
                        ui.label(format!(
                            "{}{}",
                            org.instance_url,
                            if org.is_sandbox == Some(true) { " (sandbox)" } else { "" }
                        ));
                        let target = org.alias.clone().unwrap_or_else(|| org.username.clone());
                        if ui
                            .add_enabled(!app.login.connecting, egui::Button::new("Connect"))
                            .accessible_name(format!("Connect with the CLI login {target}"))
                            .clicked()
                        {
                            app.login.error_at = Some(ConnectFrom::CliOrg);
                            app.connect_cli(target);
                        }
                        ui.end_row();
                    }
                });
            }
            Some(Err(error)) => error_box(ui, &error, "cli_error"),
            None => {}
        }
        error_here(app, ui, Some(ConnectFrom::CliOrg));
    });
}

fn pasted_session(app: &mut App, ui: &mut egui::Ui) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(RichText::new("Use a session of your org").strong());
        ui.label("Paste your org's URL and an access token (only the token, such as 00D…!AQ…). The token stays in memory only and cannot be renewed.");
        egui::Grid::new("session_form").num_columns(2).spacing([8.0, 6.0]).show(ui, |ui| {
            let url_label = ui.label("Instance URL");
            ui.add(egui::TextEdit::singleline(&mut app.remembered.instance_url).hint_text("https://yourcompany.my.salesforce.com").desired_width(380.0))
                .labelled_by(url_label.id);
            ui.end_row();
            let token_label = ui.label("Access token");
            ui.add(egui::TextEdit::singleline(&mut app.token_input).password(true).hint_text("00D…!…").desired_width(380.0))
                .labelled_by(token_label.id);
            ui.end_row();
        });
        let ready = !app.remembered.instance_url.trim().is_empty() && !app.token_input.trim().is_empty() && !app.login.connecting;
        if ui.add_enabled(ready, egui::Button::new("Connect with this session")).clicked() {
            app.connect_session();
        }
        error_here(app, ui, Some(ConnectFrom::Pasted));
    });
}

fn demo_org(app: &mut App, ui: &mut egui::Ui) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(RichText::new("Try the demo org").strong());
        ui.label("A simulated Salesforce org. Pick a scenario to see each problem and its fix.");
        ui.horizontal(|ui| {
            let current = app.remembered.demo_scenario.clone();
            egui::ComboBox::from_label("Scenario")
                .selected_text(current.clone())
                .width(220.0)
                .show_ui(ui, |ui| {
                    for name in scenario::builtin_names() {
                        let description = scenario::builtin_description(name).unwrap_or_default();
                        ui.selectable_value(
                            &mut app.remembered.demo_scenario,
                            name.to_string(),
                            name,
                        )
                        .on_hover_text(description);
                    }
                });
            if ui
                .add_enabled(
                    !app.login.connecting,
                    egui::Button::new("Connect to the demo org"),
                )
                .clicked()
            {
                let scenario = app.remembered.demo_scenario.clone();
                app.connect_demo(&scenario);
                app.login.error_at = Some(ConnectFrom::Demo);
            }
        });
        if let Some(description) = scenario::builtin_description(&app.remembered.demo_scenario) {
            ui.label(RichText::new(description).weak());
        }
        error_here(app, ui, Some(ConnectFrom::Demo));
    });
}
