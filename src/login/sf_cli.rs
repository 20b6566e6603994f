//! "Use my Salesforce CLI login": borrow an org the Salesforce CLI (`sf`) is already logged in to.
//!
//! The CLI keeps the refresh token in its own encrypted store and refreshes the session itself;
//! this module only asks it for a short-lived access token and stores nothing.
//!
//! - [`SfCli::list_orgs`] runs `sf org list --json --skip-connection-status`.
//! - [`SfCli::access_token`] runs `sf org auth show-access-token --target-org X --json` (CLI
//!   2.136.8 / plugin-org 5.11 and later redact the token everywhere else), and falls back to
//!   `sf org display --target-org X --json` on an older CLI that does not have that command.
//! - [`SfCliTokenSource`] is a [`TokenSource`] whose `refresh` simply asks the CLI again.
//!
//! Every command runs with `SF_JSON_TO_STDOUT=true` (errors come as JSON on stdout), `NO_COLOR=1`
//! and `FORCE_COLOR` removed (colour codes break JSON), `SF_DISABLE_TELEMETRY=true`,
//! `SF_AUTOUPDATE_DISABLE=true` and stdin closed (so a "did you mean ...?" prompt cannot hang).
//! Text before the JSON (warnings some CLI versions print) and ANSI escape codes are skipped.
//!
//! On Windows the CLI is a batch shim, `sf.cmd`, which is what [`SfCli::new`] runs there
//! (Rust runs `.cmd` files through `cmd.exe` with proper argument escaping). This path is not
//! tested.
//!
//! No error and no `Debug` output ever contains an access token.

use crate::salesforce::{RefreshFuture, SfError, TokenSource};
use serde_json::{Map, Value};
use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

/// The CLI's program name: `sf`, or the `sf.cmd` shim on Windows.
#[cfg(windows)]
const DEFAULT_PROGRAM: &str = "sf.cmd";
#[cfg(not(windows))]
const DEFAULT_PROGRAM: &str = "sf";

/// Where the user says the Salesforce CLI is, when it is not on PATH.
pub const SF_PROGRAM_ENV: &str = "WRITEBACK_SETUP_SF";

/// How long one CLI command may run before it is stopped (refreshing a session goes over the
/// network; node start-up alone takes a second or two).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// Longest piece of CLI output quoted in an error.
const MAX_EXCERPT: usize = 300;

/// One org the CLI knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SfOrg {
    pub alias: Option<String>,
    pub username: String,
    /// May be empty when the CLI's auth file has none.
    pub instance_url: String,
    pub org_id: Option<String>,
    /// `Some(true)` when the CLI lists it under `sandboxes` or its auth file says so.
    pub is_sandbox: Option<bool>,
    /// The CLI's default org (`isDefaultUsername`, the "(U)" marker).
    pub is_default: bool,
    /// From `connectedStatus`: "Connected" is `Some(true)`, an error status `Some(false)`, and
    /// unknown (as with `--skip-connection-status`) `None`.
    pub connected: Option<bool>,
}

/// What can go wrong when using the Salesforce CLI. Never holds an access token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SfCliError {
    #[error("The Salesforce CLI (sf) is not installed or not on PATH. Install it from developer.salesforce.com/tools/salesforcecli, run `sf org login web`, then try again.")]
    NotInstalled,
    /// The CLI's own error message (JSON `status` != 0, or a failed run without JSON).
    #[error("The Salesforce CLI command `{command}` failed: {message}")]
    CommandFailed { command: String, message: String },
    /// The output is not the JSON this app expects.
    #[error("Could not read the answer of the Salesforce CLI command `{command}`: {message}. Update the CLI with `sf update` and try again.")]
    Unreadable { command: String, message: String },
    /// The CLI gave no access token, or a redacted one.
    #[error("The Salesforce CLI did not hand out an access token for {username}. Update the CLI with `sf update` (it needs `sf org auth show-access-token`), or log in again with `sf org login web`, then try again.")]
    NoToken { username: String },
    /// `sf --version` names a CLI older than the app can drive (or the old `sfdx` CLI).
    #[error("The Salesforce CLI here is version {found}, too old for this app (it needs {needed} or later, the `sf` CLI). Update it with `sf update` (or reinstall it from developer.salesforce.com/tools/salesforcecli), then try again.")]
    TooOld { found: String, needed: String },
    /// The login in the browser was cancelled here (the CLI was stopped).
    #[error("The Salesforce CLI login was cancelled.")]
    Cancelled,
}

/// A logged-in session from the CLI. `Debug` hides the access token.
#[derive(Clone, PartialEq, Eq)]
pub struct SfSession {
    pub instance_url: String,
    pub username: String,
    /// The org's Id, when the CLI said it (`sf org display`'s `id`).
    pub org_id: Option<String>,
    pub access_token: String,
}

impl fmt::Debug for SfSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SfSession")
            .field("instance_url", &self.instance_url)
            .field("username", &self.username)
            .field("access_token", &"[redacted]")
            .finish()
    }
}

/// Which org a [`SfCliTokenSource`] is for (a session without its token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SfOrgLogin {
    pub instance_url: String,
    pub username: String,
    /// The org's Id, when the CLI said it: with the username, who is logged in is one query.
    pub org_id: Option<String>,
}

/// The oldest Salesforce CLI this app drives: `sf org login web` and `sf org display --json`
/// as they are in the `sf` (v2) CLI.
pub const MIN_SF_VERSION: (u32, u32, u32) = (2, 0, 0);

/// A CLI version from `sf --version`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SfVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl SfVersion {
    /// Reads `@salesforce/cli/2.108.6 linux-x64 node-v20.20.2` (and the old
    /// `sfdx-cli/7.209.6 linux-x64 node-v18.0.0`, which is major 7 of another CLI: it is given
    /// as 0.0.0 so that it is always too old).
    pub fn parse(line: &str) -> Option<SfVersion> {
        let first = line.split_whitespace().next()?;
        let (name, number) = first.rsplit_once('/')?;
        let mut parts = number.split('.').map(|p| p.parse::<u32>().ok());
        let (Some(Some(major)), Some(Some(minor)), Some(Some(patch))) =
            (parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        if name == "@salesforce/cli" {
            Some(SfVersion {
                major,
                minor,
                patch,
            })
        } else if name.ends_with("sfdx-cli") {
            Some(SfVersion {
                major: 0,
                minor: 0,
                patch: 0,
            })
        } else {
            None
        }
    }

    pub fn at_least(&self, (major, minor, patch): (u32, u32, u32)) -> bool {
        (self.major, self.minor, self.patch) >= (major, minor, patch)
    }
}

impl fmt::Display for SfVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if (self.major, self.minor, self.patch) == (0, 0, 0) {
            f.write_str("the retired sfdx CLI")
        } else {
            write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
        }
    }
}

/// What `sf org login web --json` said about the org it logged in to. `Debug` hides the token.
#[derive(Clone, PartialEq, Eq)]
pub struct SfWebLogin {
    pub username: String,
    pub instance_url: String,
    pub org_id: Option<String>,
    pub user_id: Option<String>,
    pub login_url: Option<String>,
    /// The token, when the CLI printed it (not redacted).
    pub access_token: Option<String>,
}

impl fmt::Debug for SfWebLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SfWebLogin")
            .field("username", &self.username)
            .field("instance_url", &self.instance_url)
            .field("org_id", &self.org_id)
            .field("user_id", &self.user_id)
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// Runs the Salesforce CLI.
#[derive(Clone, Debug)]
pub struct SfCli {
    program: PathBuf,
    timeout: Duration,
}

impl Default for SfCli {
    fn default() -> Self {
        SfCli::new()
    }
}

/// What one command gave.
struct Output {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Why fetching a token did not work.
enum TokenError {
    /// This CLI does not have the command (older CLI).
    NoSuchCommand,
    Failed(SfCliError),
}

impl From<SfCliError> for TokenError {
    fn from(e: SfCliError) -> Self {
        TokenError::Failed(e)
    }
}

/// A token the CLI handed out.
struct FreshToken {
    access_token: String,
}

impl SfCli {
    /// The CLI found on PATH (`sf`, or `sf.cmd` on Windows).
    pub fn new() -> SfCli {
        SfCli::with_program(DEFAULT_PROGRAM)
    }

    /// The CLI the user set in `WRITEBACK_SETUP_SF` (a path), else `sf` on PATH.
    pub fn configured() -> SfCli {
        match std::env::var_os(SF_PROGRAM_ENV).filter(|p| !p.is_empty()) {
            Some(path) => SfCli::with_program(path),
            None => SfCli::new(),
        }
    }

    /// A specific program (a full path, or a name looked up on PATH).
    pub fn with_program(program: impl Into<PathBuf>) -> SfCli {
        SfCli {
            program: program.into(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// How long one command may run before it is stopped (default two minutes).
    pub fn with_timeout(mut self, timeout: Duration) -> SfCli {
        self.timeout = timeout;
        self
    }

    /// Whether the program exists (a path that is a file, or a name found on PATH). Does not run
    /// it.
    pub fn is_available(&self) -> bool {
        if self.program.components().count() > 1 {
            return is_executable(&self.program);
        }
        let Some(path) = std::env::var_os("PATH") else {
            return false;
        };
        std::env::split_paths(&path).any(|dir| is_executable(&dir.join(&self.program)))
    }

    /// `sf org list --json --skip-connection-status`: every org in `result.nonScratchOrgs`,
    /// `scratchOrgs`, `sandboxes`, `devHubs` and `other`, once per username, in that order.
    pub fn list_orgs(&self) -> Result<Vec<SfOrg>, SfCliError> {
        let args = ["org", "list", "--json", "--skip-connection-status"];
        let command = self.command_line(&args);
        let output = self.run(&args)?;
        let result = match parse_envelope(&command, &output)? {
            Ok(result) => result,
            Err(failure) => return Err(failure.into_error(&command)),
        };
        let Some(result) = result.as_object() else {
            return Err(SfCliError::Unreadable {
                command,
                message: "`result` is not an object".into(),
            });
        };
        let mut orgs: Vec<SfOrg> = Vec::new();
        for category in [
            "nonScratchOrgs",
            "scratchOrgs",
            "sandboxes",
            "devHubs",
            "other",
        ] {
            let Some(entries) = result.get(category).and_then(Value::as_array) else {
                continue;
            };
            for entry in entries.iter().filter_map(Value::as_object) {
                let Some(org) = org_from_entry(entry, category == "sandboxes") else {
                    continue;
                };
                match orgs.iter_mut().find(|o| o.username == org.username) {
                    Some(known) => merge_org(known, org),
                    None => orgs.push(org),
                }
            }
        }
        Ok(orgs)
    }

    /// A fresh access token for an alias or username, with one `sf` run where the CLI allows.
    ///
    /// Runs `sf org display --target-org X --json` with `SF_TEMP_SHOW_SECRETS=true` (the CLI
    /// refreshes the session first): every CLI before 2.136.8, and later ones while they honour
    /// that variable, answer with the token, the instance URL and the username at once. Only
    /// when the token comes back redacted does a second run,
    /// `sf org auth show-access-token --target-org X --json`, fetch it. A redacted or empty
    /// token there is [`SfCliError::NoToken`].
    pub fn access_token(&self, target: &str) -> Result<SfSession, SfCliError> {
        let display = self.display(target)?;
        let username = string_field(&display, "username").unwrap_or_else(|| target.to_string());
        let Some(instance_url) = string_field(&display, "instanceUrl") else {
            return Err(SfCliError::Unreadable {
                command: self.command_line(&display_args(target)),
                message: "`result.instanceUrl` is missing".into(),
            });
        };
        let access_token = match token_field(&display, &username) {
            Ok(token) => token,
            Err(_) => self.fresh_token(target)?.access_token,
        };
        Ok(SfSession {
            instance_url,
            username,
            // plugin-org's `OrgDisplayReturn` names the org's Id `id`.
            org_id: string_field(&display, "id"),
            access_token,
        })
    }

    /// `sf --version`: the CLI's version, checked against [`MIN_SF_VERSION`]. The first line
    /// reads `@salesforce/cli/2.108.6 linux-x64 node-v20.20.2`; the retired `sfdx` CLI
    /// (`sfdx-cli/7.209.6 ...`) and anything older than the minimum is [`SfCliError::TooOld`].
    pub fn version(&self) -> Result<SfVersion, SfCliError> {
        let args = ["--version"];
        let command = self.command_line(&args);
        let output = self.run_with(&args, &[], Duration::from_secs(60), None)?;
        if !output.status.success() {
            return Err(no_json_error(&command, &output));
        }
        let text = strip_ansi(&output.stdout);
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        match SfVersion::parse(first) {
            Some(version) if version.at_least(MIN_SF_VERSION) => Ok(version),
            Some(version) => Err(SfCliError::TooOld {
                found: version.to_string(),
                needed: format!(
                    "@salesforce/cli {}.{}.{}",
                    MIN_SF_VERSION.0, MIN_SF_VERSION.1, MIN_SF_VERSION.2
                ),
            }),
            None => Err(SfCliError::TooOld {
                found: format!("\"{}\"", excerpt(first)),
                needed: format!(
                    "@salesforce/cli {}.{}.{}",
                    MIN_SF_VERSION.0, MIN_SF_VERSION.1, MIN_SF_VERSION.2
                ),
            }),
        }
    }

    /// `sf org login web --instance-url URL --json`: the CLI opens the browser with its own app
    /// and its own loopback listener (port 1717), waits for the login, and saves it. Blocks until
    /// the CLI ends; stops it after `timeout` or when `cancel` is set.
    ///
    /// The answer is `result` with `username`, `orgId`, `instanceUrl`, `loginUrl`, `clientId`
    /// and, since CLI 2.136.8, a redacted `accessToken` unless `SF_TEMP_SHOW_SECRETS=true`,
    /// which this run sets: a real token saves a second `sf` run. The login's token (or none)
    /// is in [`SfWebLogin::access_token`].
    pub fn login_web(
        &self,
        login_url: &str,
        timeout: Duration,
        cancel: &AtomicBool,
    ) -> Result<SfWebLogin, SfCliError> {
        let args = ["org", "login", "web", "--instance-url", login_url, "--json"];
        let command = self.command_line(&args);
        let output = self.run_with(
            &args,
            &[("SF_TEMP_SHOW_SECRETS", "true")],
            timeout,
            Some(cancel),
        )?;
        let result = match parse_envelope(&command, &output)? {
            Ok(result) => result,
            Err(failure) => return Err(failure.into_error(&command)),
        };
        let (Some(username), Some(instance_url)) = (
            string_field(&result, "username"),
            string_field(&result, "instanceUrl"),
        ) else {
            return Err(SfCliError::Unreadable {
                command,
                message: "`result.username` or `result.instanceUrl` is missing".into(),
            });
        };
        Ok(SfWebLogin {
            access_token: token_field(&result, &username).ok(),
            org_id: string_field(&result, "orgId"),
            user_id: string_field(&result, "userId"),
            login_url: string_field(&result, "loginUrl"),
            instance_url,
            username,
        })
    }

    /// A logged-in session for a username the CLI has just logged in: the token from the login
    /// itself when it gave one, else one `show-access-token` run.
    pub fn session_after_login(&self, login: &SfWebLogin) -> Result<SfSession, SfCliError> {
        let access_token = match &login.access_token {
            Some(token) => token.clone(),
            None => self.fresh_token(&login.username)?.access_token,
        };
        Ok(SfSession {
            instance_url: login.instance_url.clone(),
            username: login.username.clone(),
            org_id: login.org_id.clone(),
            access_token,
        })
    }

    /// The program this runs (for the settings: "sf at /usr/local/bin/sf").
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// Where the program is: itself when it is a path, else the first match on PATH.
    pub fn locate(&self) -> Option<PathBuf> {
        if self.program.components().count() > 1 {
            return is_executable(&self.program).then(|| self.program.clone());
        }
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .map(|dir| dir.join(&self.program))
            .find(|candidate| is_executable(candidate))
    }

    /// The token alone: `show-access-token`, or `org display` on an older CLI.
    fn fresh_token(&self, target: &str) -> Result<FreshToken, SfCliError> {
        match self.show_access_token(target) {
            Ok(fresh) => Ok(fresh),
            Err(TokenError::Failed(e)) => Err(e),
            Err(TokenError::NoSuchCommand) => {
                let display = self.display(target)?;
                let username = string_field(&display, "username");
                let token = token_field(&display, username.as_deref().unwrap_or(target))?;
                Ok(FreshToken {
                    access_token: token,
                })
            }
        }
    }

    fn show_access_token(&self, target: &str) -> Result<FreshToken, TokenError> {
        let args = [
            "org",
            "auth",
            "show-access-token",
            "--target-org",
            target,
            "--json",
        ];
        let command = self.command_line(&args);
        let output = self.run(&args)?;
        let envelope = match find_json(&output.stdout).or_else(|| find_json(&output.stderr)) {
            Some(envelope) => envelope,
            None if mentions_missing_command(&output.stdout)
                || mentions_missing_command(&output.stderr) =>
            {
                return Err(TokenError::NoSuchCommand)
            }
            None => return Err(no_json_error(&command, &output).into()),
        };
        let result = match envelope_result(&command, envelope, &output)? {
            Ok(result) => result,
            Err(failure) if failure.is_missing_command() => return Err(TokenError::NoSuchCommand),
            Err(failure) => return Err(failure.into_error(&command).into()),
        };
        let username = string_field(&result, "username");
        let token = token_field(&result, username.as_deref().unwrap_or(target))?;
        Ok(FreshToken {
            access_token: token,
        })
    }

    /// `result` of `sf org display --target-org X --json`.
    fn display(&self, target: &str) -> Result<Value, SfCliError> {
        let args = display_args(target);
        let command = self.command_line(&args);
        let output = self.run_with(
            &args,
            &[("SF_TEMP_SHOW_SECRETS", "true")],
            self.timeout,
            None,
        )?;
        match parse_envelope(&command, &output)? {
            Ok(result) if result.is_object() => Ok(result),
            Ok(_) => Err(SfCliError::Unreadable {
                command,
                message: "`result` is not an object".into(),
            }),
            Err(failure) => Err(failure.into_error(&command)),
        }
    }

    /// How a command is shown in errors: "sf org list --json".
    fn command_line(&self, args: &[&str]) -> String {
        let name = self
            .program
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "sf".into());
        let mut line = name;
        for arg in args {
            line.push(' ');
            line.push_str(arg);
        }
        line
    }

    /// Runs the CLI with the JSON-friendly environment; stops it after the timeout.
    fn run(&self, args: &[&str]) -> Result<Output, SfCliError> {
        self.run_with(args, &[], self.timeout, None)
    }

    /// Runs the CLI with extra environment; stops it after `timeout`, or as soon as `cancel`
    /// is set (then [`SfCliError::Cancelled`]).
    fn run_with(
        &self,
        args: &[&str],
        env: &[(&str, &str)],
        timeout: Duration,
        cancel: Option<&AtomicBool>,
    ) -> Result<Output, SfCliError> {
        let command = self.command_line(args);
        let mut child = self.spawn(args, env, cancel.is_some(), &command)?;
        // Without a thread to read its output the CLI cannot be run: stop it and say so.
        let readers = reader(child.stdout.take())
            .and_then(|stdout| Ok((stdout, reader(child.stderr.take())?)));
        let (stdout, stderr) = match readers {
            Ok(readers) => readers,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(SfCliError::CommandFailed {
                    command,
                    message: format!("its output could not be read (no thread: {e})"),
                });
            }
        };
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if cancel.is_some_and(|c| c.load(Ordering::SeqCst)) => {
                    stop_group(&child);
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(SfCliError::Cancelled);
                }
                Ok(None) if started.elapsed() >= timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    // The reader threads end when the last holder of the pipes exits.
                    return Err(SfCliError::CommandFailed {
                        command,
                        message: format!(
                            "it did not finish within {} seconds and was stopped",
                            timeout.as_secs()
                        ),
                    });
                }
                Ok(None) => thread::sleep(Duration::from_millis(10)),
                Err(e) => {
                    let _ = child.kill();
                    return Err(SfCliError::CommandFailed {
                        command,
                        message: format!("could not wait for it: {e}"),
                    });
                }
            }
        };
        let (stdout, too_long) = stdout.join().unwrap_or_default();
        if too_long {
            return Err(SfCliError::Unreadable {
                command,
                message: format!(
                    "its output is larger than {} MiB",
                    MAX_OUTPUT_BYTES / (1024 * 1024)
                ),
            });
        }
        Ok(Output {
            status,
            stdout,
            stderr: stderr.join().unwrap_or_default().0,
        })
    }

    /// Starts the CLI; a cancellable run gets its own process group, so that Cancel stops
    /// whatever the CLI started too (node, and the login listener on port 1717).
    fn spawn(
        &self,
        args: &[&str],
        env: &[(&str, &str)],
        own_group: bool,
        command: &str,
    ) -> Result<Child, SfCliError> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut program = Command::new(&self.program);
            #[cfg(unix)]
            if own_group {
                use std::os::unix::process::CommandExt;
                program.process_group(0);
            }
            #[cfg(not(unix))]
            let _ = own_group;
            let spawned = program
                .args(args)
                .envs(env.iter().copied())
                .env("SF_JSON_TO_STDOUT", "true")
                .env("NO_COLOR", "1")
                .env_remove("FORCE_COLOR")
                .env("SF_DISABLE_TELEMETRY", "true")
                .env("SF_AUTOUPDATE_DISABLE", "true")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn();
            match spawned {
                Ok(child) => return Ok(child),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    return Err(SfCliError::NotInstalled)
                }
                // "Text file busy": the program was just written (an update in progress, or a
                // test's fake CLI); it goes away quickly.
                Err(e) if e.kind() == io::ErrorKind::ExecutableFileBusy && attempts < 5 => {
                    thread::sleep(Duration::from_millis(50));
                }
                Err(e) => {
                    return Err(SfCliError::CommandFailed {
                        command: command.to_string(),
                        message: format!("could not start it: {e}"),
                    })
                }
            }
        }
    }
}

/// Stops the process group a cancellable run was started in (its pid is the group's id), with
/// the system's `kill`; the child itself is killed after.
fn stop_group(child: &Child) {
    #[cfg(unix)]
    {
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", child.id())])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    #[cfg(not(unix))]
    let _ = child;
}

fn display_args(target: &str) -> [&str; 5] {
    ["org", "display", "--target-org", target, "--json"]
}

fn is_executable(path: &Path) -> bool {
    let Ok(meta) = path.metadata() else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

/// Most of a CLI stream kept: `sf org list --json` with hundreds of orgs is well under a megabyte.
const MAX_OUTPUT_BYTES: u64 = 16 * 1024 * 1024;

/// Most `{` positions tried as the start of the JSON answer (warnings may come first).
const MAX_JSON_STARTS: usize = 64;

/// Reads a stream to its end, keeping at most [`MAX_OUTPUT_BYTES`]; the rest is drained (so the
/// CLI never blocks on a full pipe) and reported as `true`.
fn reader<R: Read + Send + 'static>(
    pipe: Option<R>,
) -> io::Result<thread::JoinHandle<(String, bool)>> {
    crate::spawn_named("sf-cli-output", move || {
        let mut bytes = Vec::new();
        let mut too_long = false;
        if let Some(pipe) = pipe {
            let mut limited = pipe.take(MAX_OUTPUT_BYTES + 1);
            let _ = limited.read_to_end(&mut bytes);
            if bytes.len() as u64 > MAX_OUTPUT_BYTES {
                too_long = true;
                bytes.truncate(MAX_OUTPUT_BYTES as usize);
                let _ = io::copy(&mut limited.into_inner(), &mut io::sink());
            }
        }
        (String::from_utf8_lossy(&bytes).into_owned(), too_long)
    })
}

/// A JSON error answer (`status` != 0).
struct Failure {
    name: String,
    message: String,
}

impl Failure {
    fn is_missing_command(&self) -> bool {
        self.name == "CommandNotFound"
            || self.name == "CommandNotFoundError"
            || mentions_missing_command(&self.message)
    }

    fn into_error(self, command: &str) -> SfCliError {
        SfCliError::CommandFailed {
            command: command.to_string(),
            message: self.message,
        }
    }
}

fn mentions_missing_command(text: &str) -> bool {
    let text = strip_ansi(text).to_ascii_lowercase();
    text.contains("not a sf command") || text.contains("command not found")
}

/// The `result` of a successful answer, a [`Failure`], or an unreadable answer.
fn parse_envelope(command: &str, output: &Output) -> Result<Result<Value, Failure>, SfCliError> {
    match find_json(&output.stdout).or_else(|| find_json(&output.stderr)) {
        Some(envelope) => envelope_result(command, envelope, output),
        None => Err(no_json_error(command, output)),
    }
}

fn envelope_result(
    command: &str,
    envelope: Map<String, Value>,
    output: &Output,
) -> Result<Result<Value, Failure>, SfCliError> {
    let status = envelope.get("status").and_then(Value::as_i64);
    let failed = match status {
        Some(status) => status != 0,
        None => !output.status.success(),
    };
    if failed {
        let name = string_in(&envelope, "name").unwrap_or_default();
        let message = string_in(&envelope, "message")
            .map(|m| crate::echo::scrub_tokens(&m))
            .unwrap_or_else(|| {
                if name.is_empty() {
                    "the CLI reported an error without a message".to_string()
                } else {
                    name.clone()
                }
            });
        return Ok(Err(Failure { name, message }));
    }
    match envelope.get("result") {
        Some(result) => Ok(Ok(result.clone())),
        None => Err(SfCliError::Unreadable {
            command: command.to_string(),
            message: "the JSON has no `result`".into(),
        }),
    }
}

/// No JSON at all: a failed run quotes stderr; anything else is unreadable.
fn no_json_error(command: &str, output: &Output) -> SfCliError {
    let stderr = excerpt(&output.stderr);
    let stdout = excerpt(&output.stdout);
    if !output.status.success() {
        let detail = if !stderr.is_empty() { stderr } else { stdout };
        let message = if detail.is_empty() {
            format!("it exited with {}", output.status)
        } else {
            detail
        };
        return SfCliError::CommandFailed {
            command: command.to_string(),
            message,
        };
    }
    let message = if stdout.is_empty() {
        "it printed nothing".to_string()
    } else {
        format!("expected JSON, got \"{stdout}\"")
    };
    SfCliError::Unreadable {
        command: command.to_string(),
        message,
    }
}

/// The first JSON object in the output with a `status` (the envelope), skipping warnings and
/// colour codes printed before it.
fn find_json(text: &str) -> Option<Map<String, Value>> {
    let text = strip_ansi(text);
    let mut fallback = None;
    for (start, _) in text.match_indices('{').take(MAX_JSON_STARTS) {
        let mut values = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Value>();
        if let Some(Ok(Value::Object(object))) = values.next() {
            if object.contains_key("status") || object.contains_key("result") {
                return Some(object);
            }
            fallback.get_or_insert(object);
        }
    }
    fallback
}

/// Removes ANSI escape sequences (CSI `ESC [ ... final`, OSC `ESC ] ... BEL/ST`, and two-byte
/// escapes).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                for c in chars.by_ref() {
                    if ('\u{40}'..='\u{7e}').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\u{7}' {
                        break;
                    }
                    if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                        chars.next();
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// A short, single-line, token-free piece of output for an error message.
fn excerpt(text: &str) -> String {
    let text = strip_ansi(text);
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let scrubbed = crate::echo::scrub_tokens(&joined);
    if scrubbed.chars().count() <= MAX_EXCERPT {
        scrubbed
    } else {
        let cut: String = scrubbed.chars().take(MAX_EXCERPT).collect();
        format!("{cut}...")
    }
}

/// A redacted placeholder ("[REDACTED] Use 'sf org auth show-access-token' to view") or nothing.
fn is_redacted(token: &str) -> bool {
    let token = token.trim();
    token.is_empty()
        || token.to_ascii_uppercase().contains("REDACTED")
        || token.chars().any(char::is_whitespace)
}

fn token_field(result: &Value, username: &str) -> Result<String, SfCliError> {
    match result.get("accessToken").and_then(Value::as_str) {
        Some(token) if !is_redacted(token) => Ok(token.trim().to_string()),
        _ => Err(SfCliError::NoToken {
            username: username.to_string(),
        }),
    }
}

fn string_field(value: &Value, key: &str) -> Option<String> {
    value.as_object().and_then(|o| string_in(o, key))
}

fn string_in(object: &Map<String, Value>, key: &str) -> Option<String> {
    object
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn org_from_entry(entry: &Map<String, Value>, in_sandboxes: bool) -> Option<SfOrg> {
    let username = string_in(entry, "username")?;
    let is_sandbox = match entry.get("isSandbox").and_then(Value::as_bool) {
        Some(flag) => Some(flag || in_sandboxes),
        None if in_sandboxes => Some(true),
        None => None,
    };
    let is_default = entry.get("isDefaultUsername").and_then(Value::as_bool) == Some(true)
        || string_in(entry, "defaultMarker").is_some_and(|m| m.contains('U'));
    let connected = string_in(entry, "connectedStatus").and_then(|s| {
        if s == "Connected" {
            Some(true)
        } else if s.eq_ignore_ascii_case("unknown") {
            None
        } else {
            Some(false)
        }
    });
    Some(SfOrg {
        alias: string_in(entry, "alias"),
        username,
        instance_url: string_in(entry, "instanceUrl")
            .or_else(|| string_in(entry, "loginUrl"))
            .unwrap_or_default(),
        org_id: string_in(entry, "orgId"),
        is_sandbox,
        is_default,
        connected,
    })
}

/// The same username listed twice (`nonScratchOrgs` repeats `sandboxes` and others): keep the
/// first, fill in what it lacks.
fn merge_org(known: &mut SfOrg, other: SfOrg) {
    if known.alias.is_none() {
        known.alias = other.alias;
    }
    if known.instance_url.is_empty() {
        known.instance_url = other.instance_url;
    }
    if known.org_id.is_none() {
        known.org_id = other.org_id;
    }
    known.is_sandbox = match (known.is_sandbox, other.is_sandbox) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (known, other) => known.or(other),
    };
    known.is_default |= other.is_default;
    if known.connected.is_none() {
        known.connected = other.connected;
    }
}

/// A [`TokenSource`] backed by the CLI. `refresh` asks the CLI again (the CLI owns the refresh
/// token); nothing is stored by this app.
pub struct SfCliTokenSource {
    cli: SfCli,
    target: String,
    token: Mutex<String>,
    refreshing: tokio::sync::Mutex<()>,
}

impl fmt::Debug for SfCliTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SfCliTokenSource")
            .field("cli", &self.cli)
            .field("target", &self.target)
            .field("token", &"[redacted]")
            .finish()
    }
}

impl SfCliTokenSource {
    /// Fetches a first token for `target` (alias or username); also returns the org's instance
    /// URL and username, for [`crate::salesforce::Client::connect`]. Blocks while the CLI runs.
    pub fn new(cli: SfCli, target: &str) -> Result<(SfCliTokenSource, SfOrgLogin), SfCliError> {
        let session = cli.access_token(target)?;
        let login = SfOrgLogin {
            instance_url: session.instance_url,
            username: session.username,
            org_id: session.org_id,
        };
        let source = SfCliTokenSource {
            cli,
            target: target.to_string(),
            token: Mutex::new(session.access_token),
            refreshing: tokio::sync::Mutex::new(()),
        };
        Ok((source, login))
    }

    /// A source for a session already fetched (after a CLI login), asking the CLI again on
    /// refresh.
    pub fn from_session(cli: SfCli, session: SfSession) -> (SfCliTokenSource, SfOrgLogin) {
        let login = SfOrgLogin {
            instance_url: session.instance_url,
            username: session.username.clone(),
            org_id: session.org_id.clone(),
        };
        let source = SfCliTokenSource {
            cli,
            target: session.username,
            token: Mutex::new(session.access_token),
            refreshing: tokio::sync::Mutex::new(()),
        };
        (source, login)
    }

    fn set_token(&self, token: String) {
        match self.token.lock() {
            Ok(mut guard) => *guard = token,
            Err(poisoned) => *poisoned.into_inner() = token,
        }
    }
}

impl TokenSource for SfCliTokenSource {
    fn access_token(&self) -> String {
        match self.token.lock() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn refresh(&self, failed: &str) -> RefreshFuture<'_> {
        let cli = self.cli.clone();
        let target = self.target.clone();
        let failed = failed.to_string();
        Box::pin(async move {
            // One `sf` run at a time; a request refused after another's refresh just retries.
            let _one_at_a_time = self.refreshing.lock().await;
            if self.access_token() != failed {
                return Ok(Some(self.access_token()));
            }
            let fresh = tokio::task::spawn_blocking(move || cli.fresh_token(&target))
                .await
                .map_err(|e| SfError::InvalidInput {
                    message: format!("The Salesforce CLI could not be run: {e}"),
                })?
                .map_err(|e| SfError::InvalidInput {
                    message: e.to_string(),
                })?;
            self.set_token(fresh.access_token.clone());
            Ok(Some(fresh.access_token))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_colour_codes_and_osc_links() {
        let text = "\u{1b}[33mWarning\u{1b}[39m: x \u{1b}]8;;http://a\u{7}link\u{1b}]8;;\u{1b}\\ {";
        assert_eq!(strip_ansi(text), "Warning: x link {");
    }

    #[test]
    fn finds_the_envelope_after_warnings_with_braces() {
        let text =
            "\u{1b}[1mWarning:\u{1b}[22m use {x} soon\n{\"status\":0,\"result\":{\"a\":1}}\n";
        let envelope = find_json(text).expect("envelope");
        assert_eq!(envelope["result"]["a"], 1);
        assert!(find_json("no json here").is_none());
        assert!(find_json("{broken").is_none());
    }

    #[test]
    fn redacted_tokens() {
        assert!(is_redacted(""));
        assert!(is_redacted("  "));
        assert!(is_redacted(
            "[REDACTED] Use 'sf org auth show-access-token' to view"
        ));
        assert!(is_redacted("redacted"));
        assert!(!is_redacted("00D5g000000AbCdE!AQ4AQFakeToken.value_1"));
    }

    #[test]
    fn scrub_hides_token_shaped_words() {
        let text = "bad token 00D5g000000AbCdE!AQ4AQFakeToken.value_1, see \"00Dxx!short\"";
        assert_eq!(
            crate::echo::scrub_tokens(text),
            "bad token [redacted], see \"00Dxx!short\""
        );
        assert_eq!(excerpt("a\n\n  b"), "a b");
        assert!(excerpt(&"x".repeat(400)).ends_with("..."));
    }

    #[test]
    fn session_debug_hides_the_token() {
        let session = SfSession {
            instance_url: "https://x.my.salesforce.com".into(),
            username: "a@b.c".into(),
            org_id: None,
            access_token: "00D5g000000AbCdE!secret".into(),
        };
        let shown = format!("{session:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("a@b.c"));
    }

    #[test]
    fn org_entry_fields() {
        let entry = serde_json::json!({
            "username": "a@b.c", "alias": "", "orgId": "00D000000000001",
            "instanceUrl": "https://a.my.salesforce.com", "isDefaultUsername": false,
            "defaultMarker": "(U)", "connectedStatus": "RefreshTokenAuthError"
        });
        let org = org_from_entry(entry.as_object().unwrap(), true).unwrap();
        assert_eq!(org.alias, None);
        assert_eq!(org.is_sandbox, Some(true));
        assert!(org.is_default);
        assert_eq!(org.connected, Some(false));
        assert!(org_from_entry(&Map::new(), false).is_none());
    }

    #[test]
    fn versions() {
        let v = SfVersion::parse("@salesforce/cli/2.108.6 linux-x64 node-v20.20.2").unwrap();
        assert_eq!((v.major, v.minor, v.patch), (2, 108, 6));
        assert!(v.at_least(MIN_SF_VERSION));
        assert_eq!(v.to_string(), "2.108.6");
        let old = SfVersion::parse("sfdx-cli/7.209.6 linux-x64 node-v18.17.1").unwrap();
        assert!(!old.at_least(MIN_SF_VERSION));
        let v1 = SfVersion::parse("@salesforce/cli/1.86.0 darwin-arm64 node-v18.0.0").unwrap();
        assert!(!v1.at_least(MIN_SF_VERSION));
        assert_eq!(SfVersion::parse("bash: sf: command not found"), None);
        assert_eq!(SfVersion::parse(""), None);
    }

    #[test]
    fn missing_command_messages() {
        assert!(mentions_missing_command(
            "Warning: org auth show-access-token is not a sf command."
        ));
        assert!(!mentions_missing_command(
            "No authorization information found for x."
        ));
    }
}
