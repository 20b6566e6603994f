//! The Salesforce CLI adapter against fake `sf` scripts that print recorded JSON shapes.
#![cfg(unix)]

use crate::common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use writeback_setup::login::sf_cli::{SfCli, SfCliError, SfCliTokenSource, SfOrg, SfOrgLogin};
use writeback_setup::salesforce::TokenSource;

const TOKEN: &str = "00D5g000000AbCdEAA!AQ4AQFakeTokenValue.one_1234567890";
const INSTANCE: &str = "https://acme.my.salesforce.com";
const ORG: &str = "00D5g000000AbCdEAA";
const USER: &str = "0055g00000AbCdEAAX";

/// A temp dir holding one fake `sf`; removed on drop.
struct FakeSf {
    dir: PathBuf,
}

impl FakeSf {
    /// Writes `body` (the part after the shebang) as an executable `sf` script. `$DIR` in the body
    /// is the script's own directory.
    fn new(body: &str) -> FakeSf {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "writeback-sf-cli-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("temp dir");
        let script = dir.join("sf");
        let text = format!("#!/usr/bin/env bash\nDIR=\"{}\"\n{body}\n", dir.display());
        fs::write(&script, text).expect("script written");
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).expect("chmod");
        FakeSf { dir }
    }

    fn cli(&self) -> SfCli {
        SfCli::with_program(self.dir.join("sf"))
    }

    fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for FakeSf {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// A script answering each command line (`case "$*"`) with recorded output and exit code.
fn script(cases: &[(&str, &str, i32)]) -> String {
    let mut body = String::from("case \"$*\" in\n");
    for (pattern, output, code) in cases {
        body.push_str(&format!(
            "  {pattern})\n    cat <<'JSON'\n{output}\nJSON\n    exit {code};;\n"
        ));
    }
    body.push_str("  *)\n    echo \"unexpected: $*\" >&2\n    exit 99;;\nesac");
    body
}

const ORG_LIST: &str = r#"{
  "status": 0,
  "result": {
    "other": [
      {"accessToken": "[REDACTED] Use 'sf org auth show-access-token' to view", "instanceUrl": "https://acme.my.salesforce.com",
       "orgId": "00D5g000000AbCdEAA", "username": "admin@acme.com", "loginUrl": "https://login.salesforce.com",
       "clientId": "PlatformCLI", "isDevHub": false, "alias": "acme", "isDefaultUsername": true,
       "isDefaultDevHubUsername": false, "defaultMarker": "(U)", "connectedStatus": "Unknown", "lastUsed": "2026-06-01T10:00:00.000Z"}
    ],
    "sandboxes": [
      {"instanceUrl": "https://acme--uat.sandbox.my.salesforce.com", "orgId": "00D7x000000XyZwEAA",
       "username": "admin@acme.com.uat", "isSandbox": true, "isDefaultUsername": false}
    ],
    "nonScratchOrgs": [
      {"instanceUrl": "https://acme--uat.sandbox.my.salesforce.com", "orgId": "00D7x000000XyZwEAA",
       "username": "admin@acme.com.uat", "alias": "uat", "isDefaultUsername": false, "connectedStatus": "Connected"},
      {"instanceUrl": "https://acme.my.salesforce.com", "orgId": "00D5g000000AbCdEAA",
       "username": "admin@acme.com", "alias": "acme", "isDefaultUsername": true}
    ],
    "devHubs": [
      {"instanceUrl": "https://hub.my.salesforce.com", "orgId": "00D1h000000HubAAA",
       "username": "hub@acme.com", "isDevHub": true, "connectedStatus": "RefreshTokenAuthError"}
    ],
    "scratchOrgs": [
      {"instanceUrl": "https://speed-ruby-1234-dev-ed.scratch.my.salesforce.com", "orgId": "00D9A000000ScrAAA",
       "username": "test-abc@example.com", "alias": "scratch1", "isScratch": true, "expirationDate": "2026-06-30"}
    ]
  },
  "warnings": []
}"#;

const SHOW_TOKEN_ONLY: &str = r#"{"status":0,"result":{"accessToken":"00D5g000000AbCdEAA!AQ4AQFakeTokenValue.one_1234567890"},"warnings":[]}"#;

const DISPLAY_REDACTED: &str = r#"{"status":0,"result":{"id":"00D5g000000AbCdEAA","apiVersion":"66.0","accessToken":"[REDACTED] Use 'sf org auth show-access-token' to view","instanceUrl":"https://acme.my.salesforce.com","username":"admin@acme.com","clientId":"PlatformCLI","connectedStatus":"Connected","alias":"acme"},"warnings":["This command will expose sensitive information that allows for subsequent activity using your current authenticated session."]}"#;

const DISPLAY_OLD: &str = r#"{"status":0,"result":{"id":"00D5g000000AbCdEAA","apiVersion":"62.0","accessToken":"00D5g000000AbCdEAA!AQ4AQFakeTokenValue.one_1234567890","instanceUrl":"https://acme.my.salesforce.com","username":"admin@acme.com","clientId":"PlatformCLI","connectedStatus":"Connected","alias":"acme"},"warnings":[]}"#;

const NOT_A_COMMAND_JSON: &str = r#"{"name":"CommandNotFound","message":"org auth show-access-token is not a sf command.","exitCode":127,"status":127,"context":"","warnings":[]}"#;

const NO_AUTH: &str = r#"{"name":"NamedOrgNotFoundError","message":"No authorization information found for nobody@x.com.","exitCode":1,"status":1,"code":"NamedOrgNotFoundError","actions":[],"context":"OrgAuthShowAccessToken","warnings":[]}"#;

fn org(
    alias: Option<&str>,
    username: &str,
    instance_url: &str,
    org_id: &str,
    is_sandbox: Option<bool>,
    is_default: bool,
    connected: Option<bool>,
) -> SfOrg {
    SfOrg {
        alias: alias.map(str::to_string),
        username: username.into(),
        instance_url: instance_url.into(),
        org_id: Some(org_id.into()),
        is_sandbox,
        is_default,
        connected,
    }
}

#[test]
fn org_list_reads_every_category_once_per_username() {
    let sf = FakeSf::new(&script(&[(
        "\"org list --json --skip-connection-status\"",
        ORG_LIST,
        0,
    )]));
    let orgs = sf.cli().list_orgs().expect("org list");
    assert_eq!(
        orgs,
        vec![
            org(
                Some("uat"),
                "admin@acme.com.uat",
                "https://acme--uat.sandbox.my.salesforce.com",
                "00D7x000000XyZwEAA",
                Some(true),
                false,
                Some(true),
            ),
            org(
                Some("acme"),
                "admin@acme.com",
                INSTANCE,
                "00D5g000000AbCdEAA",
                None,
                true,
                None,
            ),
            org(
                Some("scratch1"),
                "test-abc@example.com",
                "https://speed-ruby-1234-dev-ed.scratch.my.salesforce.com",
                "00D9A000000ScrAAA",
                None,
                false,
                None,
            ),
            org(
                None,
                "hub@acme.com",
                "https://hub.my.salesforce.com",
                "00D1h000000HubAAA",
                None,
                false,
                Some(false),
            ),
        ]
    );
    assert_eq!(orgs.iter().filter(|o| o.is_default).count(), 1);
}

#[test]
fn org_list_with_no_orgs_and_missing_categories() {
    let sf = FakeSf::new(&script(&[(
        "\"org list --json --skip-connection-status\"",
        r#"{"status":0,"result":{"other":[],"sandboxes":[]},"warnings":["No orgs can be found."]}"#,
        0,
    )]));
    assert_eq!(sf.cli().list_orgs().expect("org list"), vec![]);
}

/// What `access_token("acme")` gives for one recorded CLI.
enum Expect {
    Session,
    Failed(&'static str),
    Unreadable,
    /// For this username (the target when the CLI did not say).
    NoToken(&'static str),
}

#[test]
fn access_token_table() {
    let show = "\"org auth show-access-token --target-org acme --json\"";
    let display = "\"org display --target-org acme --json\"";
    let warning_then_json = format!(
        "\u{1b}[33m»   Warning: @salesforce/cli update available from 2.130.9 to 2.140.0.\u{1b}[39m\n{{ not json }}\n{DISPLAY_OLD}"
    );
    let redacted = r#"{"status":0,"result":{"accessToken":"[REDACTED] Use 'sf org auth show-access-token' to view"},"warnings":[]}"#;
    let garbage = format!("=== Org Description\nKEY VALUE\nAccess Token {TOKEN}\n");
    // (name, answers, expected outcome, `sf` runs)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str, i32)>, Expect, usize);
    let cases: Vec<Case> = vec![
        (
            "org display gives everything: one run",
            vec![(display, DISPLAY_OLD, 0)],
            Expect::Session,
            1,
        ),
        (
            "org display redacts; show-access-token gives the token",
            vec![(display, DISPLAY_REDACTED, 0), (show, SHOW_TOKEN_ONLY, 0)],
            Expect::Session,
            2,
        ),
        (
            "CLI error",
            vec![(display, NO_AUTH, 1)],
            Expect::Failed("No authorization information found for nobody@x.com."),
            1,
        ),
        (
            "garbage output",
            vec![(display, garbage.as_str(), 0)],
            Expect::Unreadable,
            1,
        ),
        (
            "success JSON without result",
            vec![(display, r#"{"status":0,"warnings":[]}"#, 0)],
            Expect::Unreadable,
            1,
        ),
        (
            "warnings and colour codes before the JSON",
            vec![(display, warning_then_json.as_str(), 0)],
            Expect::Session,
            1,
        ),
        (
            "redacted everywhere",
            vec![(display, DISPLAY_REDACTED, 0), (show, redacted, 0)],
            Expect::NoToken("acme"),
            2,
        ),
        (
            "older CLI whose org display redacts and has no show-access-token",
            vec![
                (display, DISPLAY_REDACTED, 0),
                (show, NOT_A_COMMAND_JSON, 127),
            ],
            Expect::NoToken("admin@acme.com"),
            3,
        ),
        (
            "failed run without JSON",
            vec![(display, "", 1)],
            Expect::Failed("exit status: 1"),
            1,
        ),
    ];
    for (name, responses, expect, runs) in cases {
        let names_the_org = responses
            .iter()
            .any(|(_, answer, _)| answer.contains("\"id\":\"00D"));
        let sf = FakeSf::new(&counting(&script(&responses)));
        let got = sf.cli().access_token("acme");
        if let Err(e) = &got {
            assert!(
                !e.to_string().contains(TOKEN) && !format!("{e:?}").contains(TOKEN),
                "{name}: token leaked in {e:?}"
            );
        }
        assert_eq!(sf.runs(), runs, "{name}: sf runs");
        match (expect, got) {
            (Expect::Session, Ok(session)) => {
                assert_eq!(session.access_token, TOKEN, "{name}");
                assert_eq!(session.instance_url, INSTANCE, "{name}");
                assert_eq!(session.username, "admin@acme.com", "{name}");
                // The org's Id, where `org display` gave it (its `id`).
                assert_eq!(
                    session.org_id.as_deref(),
                    names_the_org.then_some("00D5g000000AbCdEAA"),
                    "{name}"
                );
                assert!(!format!("{session:?}").contains(TOKEN), "{name}");
            }
            (Expect::Failed(text), Err(SfCliError::CommandFailed { command, message })) => {
                assert!(message.contains(text), "{name}: {message}");
                assert_eq!(command, "sf org display --target-org acme --json", "{name}");
            }
            (Expect::Unreadable, Err(SfCliError::Unreadable { command, .. })) => {
                assert!(command.contains("org display"), "{name}");
            }
            (Expect::NoToken(user), Err(SfCliError::NoToken { username })) => {
                assert_eq!(username, user, "{name}");
            }
            (_, got) => panic!("{name}: unexpected {got:?}"),
        }
    }
}

/// Wraps a script so that every run is counted in `$DIR/runs`.
fn counting(body: &str) -> String {
    format!("echo run >> \"$DIR/runs\"\n{body}")
}

impl FakeSf {
    fn runs(&self) -> usize {
        fs::read_to_string(self.dir.join("runs"))
            .map(|t| t.lines().count())
            .unwrap_or(0)
    }
}

#[test]
fn cli_error_message_is_the_clis_own() {
    let sf = FakeSf::new(&script(&[(
        "\"org display --target-org nobody@x.com --json\"",
        NO_AUTH,
        1,
    )]));
    let err = sf.cli().access_token("nobody@x.com").unwrap_err();
    assert_eq!(
        err,
        SfCliError::CommandFailed {
            command: "sf org display --target-org nobody@x.com --json".into(),
            message: "No authorization information found for nobody@x.com.".into(),
        }
    );
    assert!(err
        .to_string()
        .contains("No authorization information found for nobody@x.com."));
}

#[test]
fn login_web_reads_the_clis_answer_and_sets_show_secrets() {
    let login = "\"org login web --instance-url https://login.salesforce.com --json\"";
    // The CLI prints the token only with SF_TEMP_SHOW_SECRETS=true.
    let shown = common::sf_login_web_output(INSTANCE, ORG, USER, "admin@acme.com", Some(TOKEN));
    let hidden = common::sf_login_web_output(INSTANCE, ORG, USER, "admin@acme.com", None);
    let body = format!(
        "echo run >> \"$DIR/runs\"\ncase \"$*\" in\n  {login})\n    if [ \"$SF_TEMP_SHOW_SECRETS\" = true ]; then cat <<'JSON'\n{shown}\nJSON\n    else cat <<'JSON'\n{hidden}\nJSON\n    fi\n    exit 0;;\n  *) exit 99;;\nesac"
    );
    let sf = FakeSf::new(&body);
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let got = sf
        .cli()
        .login_web(
            "https://login.salesforce.com",
            Duration::from_secs(30),
            &cancel,
        )
        .expect("login");
    assert_eq!(got.username, "admin@acme.com");
    assert_eq!(got.instance_url, INSTANCE);
    assert_eq!(got.org_id.as_deref(), Some("00D5g000000AbCdEAA"));
    assert_eq!(got.user_id.as_deref(), Some("0055g00000AbCdEAAX"));
    assert_eq!(got.access_token.as_deref(), Some(TOKEN));
    assert!(!format!("{got:?}").contains(TOKEN));
    let session = sf.cli().session_after_login(&got).expect("session");
    assert_eq!(session.access_token, TOKEN);
    assert_eq!(sf.runs(), 1, "the login's own answer is enough");
}

#[test]
fn login_web_with_a_redacted_token_asks_once_more() {
    let body = script(&[
        (
            "\"org login web --instance-url https://test.salesforce.com --json\"",
            &common::sf_login_web_output(INSTANCE, ORG, USER, "admin@acme.com", None),
            0,
        ),
        (
            "\"org auth show-access-token --target-org admin@acme.com --json\"",
            SHOW_TOKEN_ONLY,
            0,
        ),
    ]);
    let sf = FakeSf::new(&counting(&body));
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let got = sf
        .cli()
        .login_web(
            "https://test.salesforce.com",
            Duration::from_secs(30),
            &cancel,
        )
        .expect("login");
    assert_eq!(got.access_token, None);
    let session = sf.cli().session_after_login(&got).expect("session");
    assert_eq!(session.access_token, TOKEN);
    assert_eq!(sf.runs(), 2);
}

#[test]
fn login_web_errors_and_cancel() {
    // The CLI's own error when the org refuses its app (plugin-auth's invalidClientId wording).
    let failed = r#"{"name":"AuthCodeExchangeError","message":"Invalid client credentials. Verify the OAuth client secret and ID. Error authenticating with auth code due to: invalid_client_id","exitCode":1,"status":1,"warnings":[]}"#;
    let sf = FakeSf::new(&script(&[(
        "\"org login web --instance-url https://login.salesforce.com --json\"",
        failed,
        1,
    )]));
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let err = sf
        .cli()
        .login_web(
            "https://login.salesforce.com",
            Duration::from_secs(30),
            &cancel,
        )
        .unwrap_err();
    assert!(
        matches!(&err, SfCliError::CommandFailed { message, .. } if message.contains("invalid_client_id")),
        "{err:?}"
    );
    // Waiting for the browser; Cancel stops the CLI at once.
    let sf = FakeSf::new("exec sleep 30");
    let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = cancel.clone();
    writeback_setup::spawn_named("cancel", move || {
        std::thread::sleep(Duration::from_millis(300));
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
    })
    .unwrap();
    let started = std::time::Instant::now();
    let err = sf
        .cli()
        .login_web(
            "https://login.salesforce.com",
            Duration::from_secs(60),
            &cancel,
        )
        .unwrap_err();
    assert_eq!(err, SfCliError::Cancelled);
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn version_check() {
    let sf = FakeSf::new("echo '@salesforce/cli/2.108.6 linux-x64 node-v20.20.2'");
    let version = sf.cli().version().expect("version");
    assert_eq!(version.to_string(), "2.108.6");
    let sf = FakeSf::new("echo 'sfdx-cli/7.209.6 linux-x64 node-v18.17.1'");
    let err = sf.cli().version().unwrap_err();
    assert!(matches!(err, SfCliError::TooOld { .. }), "{err:?}");
    assert!(err.to_string().contains("sfdx"), "{err}");
    let sf = FakeSf::new("echo '@salesforce/cli/1.86.0 linux-x64 node-v18.0.0'");
    assert!(matches!(sf.cli().version(), Err(SfCliError::TooOld { .. })));
    assert_eq!(
        SfCli::with_program("/nonexistent/sf").version(),
        Err(SfCliError::NotInstalled)
    );
}

#[test]
fn missing_cli_is_not_installed() {
    let cli = SfCli::with_program("/nonexistent/dir/sf");
    assert!(!cli.is_available());
    assert_eq!(cli.list_orgs(), Err(SfCliError::NotInstalled));
    assert_eq!(
        cli.access_token("acme").unwrap_err(),
        SfCliError::NotInstalled
    );
    assert!(SfCliError::NotInstalled
        .to_string()
        .contains("sf org login web"));
}

#[test]
fn fake_cli_is_available() {
    let sf = FakeSf::new("exit 0");
    assert!(sf.cli().is_available());
    let not_executable = sf.path().join("plain");
    fs::write(&not_executable, "x").unwrap();
    assert!(!SfCli::with_program(&not_executable).is_available());
}

#[test]
fn runs_with_json_friendly_environment_and_closed_stdin() {
    // Answers only when the environment is right; `read` fails at once on a closed stdin.
    let body = format!(
        r#"[ "$SF_JSON_TO_STDOUT" = true ] || exit 3
[ "$NO_COLOR" = 1 ] || exit 4
[ "$SF_DISABLE_TELEMETRY" = true ] || exit 5
[ -z "$FORCE_COLOR" ] || exit 6
[ "$SF_TEMP_SHOW_SECRETS" = true ] || exit 8
read -r answer && exit 7
cat <<'JSON'
{DISPLAY_OLD}
JSON"#
    );
    let sf = FakeSf::new(&body);
    let session = sf.cli().access_token("acme").expect("session");
    assert_eq!(session.access_token, TOKEN);
}

/// Output past the 16 MiB the adapter keeps is unreadable (and drained, so the CLI finishes);
/// output just under it, and JSON nested past serde's depth, are errors too, never a crash.
#[test]
fn endless_or_deeply_nested_cli_output_is_unreadable() {
    // At the bound: 16 MiB exactly (padding before the answer) is read.
    let answer = r#"{"status":0,"result":{"other":[],"sandboxes":[]}}"#;
    let sf = FakeSf::new(&format!(
        "head -c {} /dev/zero | tr '\\0' ' '; printf '%s' '{answer}'",
        16 * 1024 * 1024 - answer.len()
    ));
    assert_eq!(sf.cli().list_orgs().expect("16 MiB is read"), vec![]);
    // Just past it.
    let sf = FakeSf::new(&format!(
        "head -c {} /dev/zero | tr '\\0' ' '; printf '%s' '{answer}'",
        16 * 1024 * 1024 - answer.len() + 1
    ));
    assert!(matches!(
        sf.cli().list_orgs().unwrap_err(),
        SfCliError::Unreadable { .. }
    ));
    let sf = FakeSf::new(
        "head -c 17000000 /dev/zero | tr '\\0' ' '; echo '{\"status\":0,\"result\":{}}'",
    );
    let err = sf.cli().list_orgs().unwrap_err();
    assert!(
        matches!(err, SfCliError::Unreadable { ref message, .. } if message.contains("larger than 16 MiB")),
        "{err:?}"
    );
    let sf = FakeSf::new("printf '{\"a\":%.0s' $(seq 1 100000); echo");
    assert!(matches!(
        sf.cli().list_orgs().unwrap_err(),
        SfCliError::Unreadable { .. } | SfCliError::CommandFailed { .. }
    ));
}

#[test]
fn a_hanging_cli_is_stopped() {
    let sf = FakeSf::new("exec sleep 30");
    let started = std::time::Instant::now();
    let err = sf
        .cli()
        .with_timeout(Duration::from_millis(300))
        .list_orgs()
        .unwrap_err();
    assert!(
        matches!(err, SfCliError::CommandFailed { ref message, .. } if message.contains("did not finish")),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn token_source_refresh_asks_the_cli_again() {
    // Each show-access-token call prints the next token (a counter file in the script's dir).
    let body = r#"case "$*" in
  "org auth show-access-token --target-org acme --json")
    n=$(cat "$DIR/count" 2>/dev/null || echo 0)
    n=$((n+1))
    echo "$n" > "$DIR/count"
    echo "{\"status\":0,\"result\":{\"accessToken\":\"00D5g000000AbCdEAA!AQ4AQtoken.number_$n\"},\"warnings\":[]}"
    exit 0;;
  "org display --target-org acme --json")
    echo '{"status":0,"result":{"accessToken":"[REDACTED]","instanceUrl":"https://acme.my.salesforce.com","username":"admin@acme.com"}}'
    exit 0;;
  *)
    exit 99;;
esac"#;
    let sf = FakeSf::new(body);
    let (source, login) = SfCliTokenSource::new(sf.cli(), "acme").expect("token source");
    assert_eq!(
        login,
        SfOrgLogin {
            instance_url: INSTANCE.into(),
            username: "admin@acme.com".into(),
            // This display names no `id`.
            org_id: None,
        }
    );
    assert_eq!(
        source.access_token(),
        "00D5g000000AbCdEAA!AQ4AQtoken.number_1"
    );
    let first = "00D5g000000AbCdEAA!AQ4AQtoken.number_1";
    let fresh = source.refresh(first).await.expect("refresh");
    assert_eq!(
        fresh.as_deref(),
        Some("00D5g000000AbCdEAA!AQ4AQtoken.number_2")
    );
    assert_eq!(
        source.access_token(),
        "00D5g000000AbCdEAA!AQ4AQtoken.number_2"
    );
    // A request refused with the old token after that refresh gets the new one: no second run.
    let again = source.refresh(first).await.expect("no refresh needed");
    assert_eq!(
        again.as_deref(),
        Some("00D5g000000AbCdEAA!AQ4AQtoken.number_2")
    );
    assert_eq!(
        std::fs::read_to_string(sf.dir.join("count"))
            .unwrap()
            .trim(),
        "2"
    );
    assert!(!format!("{source:?}").contains("number_2"));
}

#[tokio::test]
async fn token_source_refresh_failure_is_an_sf_error_without_token() {
    let body = r#"if [ -e "$DIR/logged-out" ]; then
  echo '{"name":"RefreshTokenAuthError","message":"Error authenticating with the refresh token due to: expired access/refresh token","exitCode":1,"status":1}'
  exit 1
fi
touch "$DIR/logged-out"
echo '{"status":0,"result":{"accessToken":"00D5g000000AbCdEAA!AQ4AQFakeTokenValue.one_1234567890","instanceUrl":"https://acme.my.salesforce.com","username":"admin@acme.com"}}'"#;
    let sf = FakeSf::new(body);
    let (source, _) = SfCliTokenSource::new(sf.cli(), "acme").expect("token source");
    let err = source.refresh(TOKEN).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("expired access/refresh token"), "{text}");
    assert!(!text.contains(TOKEN));
    assert_eq!(source.access_token(), TOKEN);
}
