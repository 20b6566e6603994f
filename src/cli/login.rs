//! `writeback-setup login` and `logout`, and the saved-login connection `check` falls back to.

use super::connect::fail;
use crate::login::session::{self, LoginSettings, SessionError, LOGIN_TIMEOUT};
use crate::login::store::{open_secret_store, LoginBook, SavedLogin};
use crate::login::url::LoginTarget;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    /// Log in to a sandbox (test.salesforce.com).
    #[arg(long, conflicts_with = "url")]
    pub sandbox: bool,
    /// Your org's address (My Domain, or any page of the org you are logged in to).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// The consumer key of your External Client App to log in through (remembered for this org;
    /// default: the one remembered, else the profile's app, else the app this build was
    /// configured with).
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// The port of the app's callback URL http://localhost:PORT/OauthRedirect (default 17717;
    /// not 1717, which the Salesforce CLI uses).
    #[arg(long, value_name = "PORT")]
    pub callback_port: Option<u32>,
    /// Print how to create your own External Client App for this login (every setting), and exit.
    #[arg(long, conflicts_with_all = ["list", "no_browser"])]
    pub guide: bool,
    /// Write that External Client App as Salesforce DX source into DIR (deploy it with
    /// `sf project deploy start`), and exit.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["list", "no_browser", "guide"])]
    pub eca_source: Option<std::path::PathBuf>,
    /// Integration profile whose login app to use (a built-in name or a .toml file).
    #[arg(long, default_value = crate::profile::DEFAULT_PROFILE, value_name = "NAME|FILE")]
    pub profile: String,
    /// Do not open a browser; print the address to open instead.
    #[arg(long)]
    pub no_browser: bool,
    /// Seconds to wait for the browser.
    #[arg(long, value_name = "SECONDS", default_value_t = LOGIN_TIMEOUT.as_secs())]
    pub timeout: u64,
    /// List the saved logins and exit.
    #[arg(long, conflicts_with_all = ["sandbox", "url", "client_id", "callback_port", "no_browser"])]
    pub list: bool,
}

#[derive(Debug, clap::Args)]
pub struct LogoutArgs {
    /// The saved login to sign out (username or org Id); default: the most recent.
    #[arg(value_name = "USERNAME")]
    pub who: Option<String>,
    /// Sign out every saved login.
    #[arg(long, conflicts_with = "who")]
    pub all: bool,
}

fn book() -> Result<LoginBook, String> {
    LoginBook::open_default().ok_or_else(|| {
        format!(
            "this computer has no config folder for the app (no home directory); set {} to a folder",
            crate::login::store::CONFIG_DIR_ENV
        )
    })
}

pub fn run_login(args: LoginArgs) -> ExitCode {
    let book = match book() {
        Ok(b) => b,
        Err(e) => return fail(1, e),
    };
    if args.list {
        return list(&book);
    }
    let callback_url = match args.callback_port {
        Some(port) => format!("http://localhost:{port}/OauthRedirect"),
        None => crate::login::app::DEFAULT_CALLBACK_URL.to_string(),
    };
    if args.guide {
        println!("{}", guide_text(&callback_url));
        return ExitCode::SUCCESS;
    }
    if let Some(dir) = &args.eca_source {
        return write_eca_source(dir, &callback_url);
    }
    let profile = match crate::profile::resolve(&args.profile) {
        Ok(p) => p,
        Err(e) => return fail(2, e),
    };
    let target = match (&args.url, args.sandbox) {
        (Some(url), _) => LoginTarget::Url(url.clone()),
        (None, true) => LoginTarget::Sandbox,
        (None, false) => LoginTarget::Production,
    };
    let distribution = match crate::login::app::distribution_app() {
        Ok(app) => app.map(|a| crate::profile::LoginApp {
            client_id: a.client_id,
            callback_url: a.callback_url,
        }),
        Err(e) => return fail(2, e),
    };
    // A key given here, else the one remembered for this org, else the profile's or this build's app.
    let remembered = crate::login::url::login_host(&target)
        .ok()
        .and_then(|host| {
            crate::login::app::ClientIdBook::open_default().and_then(|b| b.get(&host.login_url))
        });
    let client_id = args.client_id.clone().or(remembered);
    let settings = match LoginSettings::new(
        &target,
        profile.login.as_ref().or(distribution.as_ref()),
        client_id.as_deref(),
        args.callback_port,
    ) {
        Ok(s) => s,
        Err(SessionError::NoApp) => {
            return fail(
                2,
                "no app to log in through is set up for this org. Either log in with the Salesforce CLI (`sf org login web`) and check with `writeback-setup check --sf-org ALIAS`, or create your own External Client App (`writeback-setup login --guide` shows every setting) and run `writeback-setup login --client-id <Consumer Key>`.",
            )
        }
        Err(e) => return fail(2, e),
    };
    let runtime = match super::runtime() {
        Ok(rt) => rt,
        Err(e) => return fail(1, e),
    };
    let store = open_secret_store();
    if let Some(note) = &settings.host.note {
        eprintln!("{note}");
    }
    let no_browser = args.no_browser;
    let result = runtime.block_on(session::browser_login(
        &settings,
        store.clone(),
        Some(&book),
        Duration::from_secs(args.timeout.max(1)),
        |url| show_login_url(url, no_browser),
    ));
    match result {
        Ok(session) => {
            println!(
                "Logged in as {} ({}) to {}.",
                session.identity.username, session.identity.name, session.login.instance_url
            );
            println!("{}", session.kept);
            if store.persistent() {
                println!("`writeback-setup check` now uses this login; `writeback-setup logout` signs out.");
            } else {
                println!("Without a keychain this login ends with this command. Use the desktop app (it keeps the session while open) or `check --sf-org ALIAS` with a Salesforce CLI login.");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(1, login_failure(&e, &settings)),
    }
}

/// The error, plus the app settings to use when the app itself is the problem (decided on the
/// OAuth `error` code, never on Salesforce's translated description).
fn login_failure(e: &SessionError, settings: &LoginSettings) -> String {
    let mut text = format!("the login did not finish. {e}");
    let code = match e {
        SessionError::Login(crate::login::browser::LoginError::Denied { error, .. }) => {
            Some(error.as_str())
        }
        SessionError::Login(crate::login::browser::LoginError::Exchange(sf))
        | SessionError::Salesforce(sf) => sf.code(),
        _ => None,
    };
    if let Some(problem) = code.and_then(crate::login::app::app_problem) {
        text.push_str(&format!("\n{problem}\n"));
        text.push_str(&guide_text(&settings.redirect_uri));
    }
    text
}

/// The External Client App guide as text.
fn guide_text(callback_url: &str) -> String {
    use crate::login::app;
    let mut text = format!(
        "Create your own External Client App in {}, with:",
        app::SETUP_PATH
    );
    for s in app::guide_settings(callback_url) {
        text.push_str(&format!("\n  {}: {}", s.setting, s.value));
    }
    text.push_str(&format!(
        "\nThen copy its Consumer Key (Settings > OAuth Settings > Consumer Key and Secret) and run `writeback-setup login --client-id <Consumer Key>`. A new app can take {} to become usable.\nOr write it as Salesforce DX source with `writeback-setup login --eca-source DIR` and deploy it with `{}`.",
        app::NEW_APP_DELAY,
        app::DEPLOY_COMMAND
    ));
    text
}

fn write_eca_source(dir: &std::path::Path, callback_url: &str) -> ExitCode {
    let source = crate::login::app::dx_source(callback_url, "admin@example.com");
    let files = source
        .iter()
        .map(|(path, text)| (std::path::Path::new(path.as_str()), text.as_bytes()));
    match crate::files::write_in_folder(dir, files) {
        Ok(written) => {
            for path in written {
                println!("{}", path.display());
            }
        }
        Err(e) => return fail(2, e),
    }
    println!(
        "Set <contactEmail> in the .eca-meta.xml file, then deploy from {} with `{}`.",
        dir.display(),
        crate::login::app::DEPLOY_COMMAND
    );
    ExitCode::SUCCESS
}

fn show_login_url(url: &str, no_browser: bool) {
    if !no_browser {
        eprintln!("Opening your browser to log in to Salesforce...");
        if crate::login::connect::open_browser(url).is_err() {
            eprintln!("The browser could not be opened.");
        }
    }
    eprintln!("If no login page appears, open this address in your browser:\n{url}");
    eprintln!("Waiting for the login to finish (Ctrl-C to cancel)...");
}

fn list(book: &LoginBook) -> ExitCode {
    match book.list() {
        Ok(logins) if logins.is_empty() => {
            println!("No saved logins. Log in with `writeback-setup login`.");
            ExitCode::SUCCESS
        }
        Ok(logins) => {
            for (i, login) in logins.iter().enumerate() {
                println!(
                    "{}{} {} org {} {}saved {}",
                    if i == 0 { "* " } else { "  " },
                    login.username,
                    login.instance_url,
                    login.org_id,
                    if login.sandbox { "sandbox, " } else { "" },
                    login.saved_at
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(1, e),
    }
}

pub fn run_logout(args: LogoutArgs) -> ExitCode {
    let book = match book() {
        Ok(b) => b,
        Err(e) => return fail(1, e),
    };
    let targets = match (args.all, book.list()) {
        (_, Err(e)) => return fail(1, e),
        (true, Ok(all)) => all,
        (false, Ok(_)) => match book.find(args.who.as_deref()) {
            Ok(Some(login)) => vec![login],
            Ok(None) => {
                return fail(
                    2,
                    match &args.who {
                        Some(who) => format!(
                            "no saved login for '{who}'; `writeback-setup login --list` shows them"
                        ),
                        None => "there is no saved login to sign out".to_string(),
                    },
                )
            }
            Err(e) => return fail(1, e),
        },
    };
    if targets.is_empty() {
        println!("There is no saved login to sign out.");
        return ExitCode::SUCCESS;
    }
    let runtime = match super::runtime() {
        Ok(rt) => rt,
        Err(e) => return fail(1, e),
    };
    let store = open_secret_store();
    let mut code = ExitCode::SUCCESS;
    for login in targets {
        match runtime.block_on(session::sign_out_saved(&login, store.as_ref(), Some(&book))) {
            Ok(done) => match done.revoke_problem {
                None => println!(
                    "Signed out {}: Salesforce revoked the session and it is forgotten here.",
                    login.title()
                ),
                Some(problem) => println!(
                    "Signed out {}: forgotten here, but Salesforce did not confirm the revoke ({problem}). To be sure, revoke it in Salesforce: Setup > Connected Apps OAuth Usage.",
                    login.title()
                ),
            },
            Err(e) => {
                code = fail(1, format!("could not sign out {}: {e}", login.title()));
            }
        }
    }
    code
}

/// The saved login `check` uses: `who` or the most recent.
pub fn saved_login(who: Option<&str>) -> Result<SavedLogin, String> {
    let book = book()?;
    match book.find(who).map_err(|e| e.to_string())? {
        Some(login) => Ok(login),
        None => Err(match who {
            Some(who) => format!(
                "--login: no saved login for '{who}'; `writeback-setup login --list` shows them"
            ),
            None => "say which org to check: --demo SCENARIO, --sf-org ALIAS, --instance-url URL with --access-token TOKEN (or SF_INSTANCE_URL and SF_ACCESS_TOKEN), or log in first with `writeback-setup login`".to_string(),
        }),
    }
}
