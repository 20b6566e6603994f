//! The Connect page: browser login (OAuth with PKCE), saved logins, the Salesforce CLI's logins,
//! a pasted session, and the demo org.

use super::view::{copy_button, error_box, status_color};
use super::{App, LoginWhere};
use crate::checks::Status;
use crate::login::session::{own_app_settings, ASSISTANT_CALLBACK_URL};
use crate::sim::scenario;
use eframe::egui;
use egui::RichText;

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
    if let Some(error) = app.connect_error.clone() {
        error_box(ui, &error, "connect_error");
        ui.add_space(6.0);
    }
    if app.connecting {
        ui.horizontal(|ui| {
            ui.add(egui::Spinner::new());
            ui.label("Connecting…");
        });
    }
    browser_login(app, ui);
    ui.add_space(6.0);
    saved_logins(app, ui);
    cli_logins(app, ui);
    ui.add_space(6.0);
    pasted_session(app, ui);
    ui.add_space(6.0);
    demo_org(app, ui);
}

fn browser_login(app: &mut App, ui: &mut egui::Ui) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(RichText::new("Log in with your browser").strong());
        ui.label("Recommended. You log in on Salesforce's own page, so the assistant never sees your password, and you can log in as the integration user to check the org exactly as the integration will.");
        let busy = app.login.starting || app.login.waiting_at.is_some() || app.connecting;
        ui.add_enabled_ui(!busy, |ui| {
            ui.horizontal(|ui| {
                ui.radio_value(&mut app.remembered.login_where, LoginWhere::Production, "Production");
                ui.radio_value(&mut app.remembered.login_where, LoginWhere::Sandbox, "Sandbox");
                ui.radio_value(&mut app.remembered.login_where, LoginWhere::MyDomain, "My Domain");
                if app.remembered.login_where == LoginWhere::MyDomain {
                    ui.add(
                        egui::TextEdit::singleline(&mut app.remembered.login_url)
                            .hint_text("https://yourcompany.my.salesforce.com")
                            .desired_width(320.0),
                    )
                    .on_hover_text("Paste any address of your org: My Domain, Lightning or a Setup page")
                    .accessible_name("Org address");
                }
            });
            let settings = app.login_settings();
            match &settings {
                Ok(s) => {
                    if let Some(note) = &s.host.note {
                        ui.label(RichText::new(note).weak());
                    }
                    ui.label(RichText::new(format!("Logs in at {}", s.host.login_url)).weak());
                }
                Err(problem) if !(app.remembered.login_where == LoginWhere::MyDomain
                    && app.remembered.login_url.trim().is_empty()) =>
                {
                    ui.label(RichText::new(problem).color(status_color(ui, Some(Status::Fail))));
                }
                Err(_) => {}
            }
            if ui
                .add_enabled(settings.is_ok(), egui::Button::new("Log in with browser"))
                .clicked()
            {
                app.start_browser_login();
            }
        });
        if app.login.starting {
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
            ui.label(RichText::new("If Salesforce shows an OAuth error instead of its login page (such as invalid_client_id, redirect_uri_mismatch or OAUTH_EC_APP_NOT_FOUND), the app this login goes through is not set up in your org: cancel, and see Login settings below.").weak());
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
        egui::CollapsingHeader::new("Login settings (client id, callback port)")
            .id_salt("login_settings")
            .show(ui, |ui| login_settings(app, ui));
    });
}

fn login_settings(app: &mut App, ui: &mut egui::Ui) {
    let (default_id, default_callback) = match &app.profile.login {
        Some(login) => (login.client_id.clone(), login.callback_url.clone()),
        None => (
            crate::login::session::ASSISTANT_CLIENT_ID.to_string(),
            ASSISTANT_CALLBACK_URL.to_string(),
        ),
    };
    ui.label(format!(
        "The login goes through {} app. Change these only to log in through your own External Client App.",
        if app.profile.login.is_some() {
            format!("{}'s", app.profile.vendor)
        } else {
            "the assistant's".to_string()
        }
    ));
    egui::Grid::new("login_settings_grid")
        .num_columns(2)
        .spacing([8.0, 6.0])
        .show(ui, |ui| {
            let label = ui.label("Client id");
            ui.add(
                egui::TextEdit::singleline(&mut app.remembered.client_id)
                    .hint_text(default_id)
                    .desired_width(360.0),
            )
            .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Callback port");
            let default_port = crate::login::browser::redirect_port_and_path(&default_callback)
                .map(|(port, _)| port.to_string())
                .unwrap_or_default();
            ui.add(
                egui::TextEdit::singleline(&mut app.remembered.callback_port)
                    .hint_text(default_port)
                    .desired_width(80.0),
            )
            .labelled_by(label.id);
            ui.end_row();
        });
    let redirect_uri = app
        .login_settings()
        .map(|s| s.redirect_uri)
        .unwrap_or(default_callback);
    ui.add_space(4.0);
    ui.label(RichText::new("Your own External Client App").strong());
    ui.label("In Setup > External Client App Manager > New External Client App, set:");
    egui::Grid::new("own_app_grid")
        .num_columns(3)
        .spacing([8.0, 4.0])
        .show(ui, |ui| {
            for (setting, value) in own_app_settings(&redirect_uri) {
                ui.label(setting);
                ui.label(RichText::new(&value).monospace());
                if setting == "Callback URL" {
                    copy_button(ui, &value);
                } else {
                    ui.label("");
                }
                ui.end_row();
            }
        });
}

fn saved_logins(app: &mut App, ui: &mut egui::Ui) {
    if app.login.saved.is_empty() {
        return;
    }
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(RichText::new("Saved logins").strong());
        let busy = app.connecting || app.login.waiting_at.is_some();
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
    });
    ui.add_space(6.0);
}

fn cli_logins(app: &mut App, ui: &mut egui::Ui) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(RichText::new("Use my Salesforce CLI login").strong());
        ui.label("If you logged in with `sf org login web`, the assistant can use that login. The CLI keeps the session; the assistant stores nothing.");
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
                ui.label("The Salesforce CLI has no logins. Run `sf org login web` in a terminal, then look again.");
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
                            .add_enabled(!app.connecting, egui::Button::new("Connect"))
                            .accessible_name(format!("Connect with the CLI login {target}"))
                            .clicked()
                        {
                            app.connect_cli(target);
                        }
                        ui.end_row();
                    }
                });
            }
            Some(Err(error)) => error_box(ui, &error, "cli_error"),
            None => {}
        }
    });
}

fn pasted_session(app: &mut App, ui: &mut egui::Ui) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(RichText::new("Use a session of your org").strong());
        ui.label("Paste your org's URL and an access token (for example from `sf org display`). The token stays in memory only and cannot be renewed.");
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
        let ready = !app.remembered.instance_url.trim().is_empty() && !app.token_input.trim().is_empty() && !app.connecting;
        if ui.add_enabled(ready, egui::Button::new("Connect with this session")).clicked() {
            app.connect_session();
        }
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
                    !app.connecting,
                    egui::Button::new("Connect to the demo org"),
                )
                .clicked()
            {
                let scenario = app.remembered.demo_scenario.clone();
                app.connect_demo(&scenario);
            }
        });
        if let Some(description) = scenario::builtin_description(&app.remembered.demo_scenario) {
            ui.label(RichText::new(description).weak());
        }
    });
}
