//! `writeback-setup check` as a user runs it: exit codes, formats, input validation.

use crate::common;

use serde_json::Value;
use std::process::{Command, Output};

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_writeback-setup"));
    command
        .args(args)
        .env_remove("SF_INSTANCE_URL")
        .env_remove("SF_ACCESS_TOKEN")
        // No saved logins of this machine's user: `check` alone must ask which org.
        .env(
            "WRITEBACK_SETUP_CONFIG_DIR",
            std::env::temp_dir().join("writeback-setup-check-cli-no-logins"),
        )
        .env("WRITEBACK_SETUP_KEYCHAIN", "off");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn demo_ready_is_ready() {
    let o = run(&["check", "--demo", "ready"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("READY: the org is set up"), "{text}");
    // The demo org is never shown as a production org.
    assert!(text.contains("Acme Corp [SIMULATED ORG]"), "{text}");
}

#[test]
fn a_fix_of_several_lines_stays_under_its_finding() {
    let o = run(&["check", "--demo", "fresh"], &[]);
    let out = stdout(&o);
    let fix = out
        .lines()
        .position(|l| {
            l.trim_start()
                .starts_with("Fix: Create \"Enterpret Summary\"")
        })
        .unwrap_or_else(|| panic!("{out}"));
    // One field per line, each indented under the finding, not at the start of the line.
    let next = out.lines().nth(fix + 1).unwrap();
    assert!(
        next.starts_with("              Create \"Enterpret Sentiment\""),
        "{next:?}"
    );
}

#[test]
fn json_report_has_the_documented_shape() {
    let o = run(&["check", "--demo", "fresh", "--format", "json"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let report: Value = serde_json::from_str(&stdout(&o)).expect("valid JSON");
    assert_eq!(report["verdict"], "not_ready");
    assert_eq!(report["profile"], "feedback-writeback");
    assert_eq!(report["org"]["name"], "Acme Corp");
    // A standard composite, a Tooling composite, listMetadata, then readMetadata and the
    // validation rules' formulas.
    assert!(report["api_calls"].as_u64().unwrap() <= 5);
    assert!(report["round_trips"].as_u64().unwrap() <= 5);
    let checks = report["checks"].as_array().unwrap();
    for c in checks {
        for key in [
            "id",
            "step",
            "status",
            "title",
            "detail",
            "fix",
            "setup_path",
            "granted_by",
            "evidence",
        ] {
            assert!(c.get(key).is_some(), "check without {key}: {c}");
        }
    }
    let exist = checks.iter().find(|c| c["id"] == "fields.exist").unwrap();
    assert_eq!(exist["status"], "fail");
    assert_eq!(exist["step"], "fields");
}

#[test]
fn markdown_report() {
    let o = run(
        &["check", "--demo", "no-object-edit", "--format", "md"],
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert!(
        text.starts_with("# Write-back readiness: Acme Corp"),
        "{text}"
    );
    assert!(
        text.contains("- **fail** No Edit on Case (`user.object_access`)"),
        "{text}"
    );
}

#[test]
fn bad_input_exits_2_with_what_to_do() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["check", "--demo", "ready", "--record", "500ab123"],
            "15 or 18",
        ),
        // Digits alone are a Case number, read like everywhere else in the app.
        (
            &["check", "--demo", "ready", "--record", "500123"],
            "no Case number 00500123",
        ),
        (
            &["check", "--demo", "ready", "--record", "5005g00000AbCdEAAX"],
            "do not match",
        ),
        (
            &["check", "--demo", "ready", "--record", "0035g00000AbCdE"],
            "not a Case Id",
        ),
        (&["check", "--demo", "ready", "--profile", "nope"], "nope"),
        (&["check", "--demo", "nope"], "built-in scenario"),
        (
            &[
                "check",
                "--demo",
                "ready",
                "--integration-user",
                "integration",
            ],
            "email",
        ),
        (
            &["check"],
            "--demo SCENARIO, --sf-org ALIAS, --instance-url URL with --access-token TOKEN",
        ),
        (
            &["check", "--instance-url", "https://acme.my.salesforce.com"],
            "needs both --instance-url URL and --access-token TOKEN",
        ),
        (
            &[
                "check",
                "--instance-url",
                "ftp://acme.example",
                "--access-token",
                "x",
            ],
            "https",
        ),
    ];
    for (args, expected) in cases {
        let o = run(args, &[]);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn unreachable_org_exits_3() {
    let o = run(
        &[
            "check",
            "--instance-url",
            "http://127.0.0.1:9",
            "--access-token",
            "00Dx!secret",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("could not reach Salesforce"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("00Dx!secret"));
}

#[tokio::test(flavor = "multi_thread")]
async fn env_connection_and_no_token_in_output() {
    let sim = common::start("ready").await;
    let url = sim.url().to_string();
    let token = sim.admin_token().to_string();
    let o = tokio::task::spawn_blocking(move || {
        run(
            &[
                "check",
                "--integration-user",
                "integration@acme.example",
                "--format",
                "json",
            ],
            &[("SF_INSTANCE_URL", &url), ("SF_ACCESS_TOKEN", &token)],
        )
    })
    .await
    .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(
        !all.contains(sim.admin_token()),
        "the token leaked into the output"
    );

    let url = sim.url().to_string();
    let o = tokio::task::spawn_blocking(move || {
        run(
            &[
                "check",
                "--instance-url",
                &url,
                "--access-token",
                "00D5g000004Qmn2!AQwrong",
            ],
            &[],
        )
    })
    .await
    .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("no longer valid"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("AQwrong"));
}

#[tokio::test(flavor = "multi_thread")]
async fn salesforce_cli_login_is_used_and_the_token_never_shown() {
    use std::os::unix::fs::PermissionsExt;
    let sim = common::start("ready").await;
    // A token with the CLI's scopes (no identity scope, so userinfo refuses it), through an app
    // the org has.
    let cli_token = sim
        .token_for(
            "admin@acme.example",
            "Write-back Setup Assistant",
            &["api", "web", "refresh_token"],
        )
        .unwrap();
    let (used_before, _) = sim.api_usage();
    let dir = std::env::temp_dir().join(format!("fake-sf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = format!(
        "#!/usr/bin/env bash\necho run >> \"{runs}\"\ncase \"$*\" in\n  \"org display --target-org acme --json\") [ \"$SF_TEMP_SHOW_SECRETS\" = true ] || exit 5; echo '{{\"status\":0,\"result\":{{\"id\":\"{org}\",\"accessToken\":\"{token}\",\"instanceUrl\":\"{url}\",\"username\":\"admin@acme.example\",\"clientId\":\"PlatformCLI\",\"connectedStatus\":\"Connected\",\"alias\":\"acme\"}},\"warnings\":[]}}' ;;\n  *) echo '{{\"status\":1,\"name\":\"Error\",\"message\":\"unexpected: '\"$*\"'\"}}'; exit 1 ;;\nesac\n",
        token = cli_token,
        org = writeback_setup::sfid::to_18("00D5g000004Qmn2").unwrap(),
        url = sim.url(),
        runs = dir.join("runs").display()
    );
    let sf = dir.join("sf");
    std::fs::write(&sf, script).unwrap();
    std::fs::set_permissions(&sf, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = tokio::task::spawn_blocking(move || {
        run(
            &[
                "check",
                "--sf-org",
                "acme",
                "--integration-user",
                "integration@acme.example",
            ],
            &[("PATH", &path)],
        )
    })
    .await
    .unwrap();
    // One `sf` run connects (issue 17: each run is a node start-up of a second or two).
    let runs = std::fs::read_to_string(dir.join("runs")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(runs.lines().count(), 1, "sf runs");
    assert!(stdout(&o).contains("READY"));
    assert!(!format!("{}{}", stdout(&o), stderr(&o)).contains(&cli_token));
    // Who is logged in: one User query by the CLI's username (the org Id is the CLI's `id`);
    // then the check's 5 (one validation rule).
    let (used_after, _) = sim.api_usage();
    assert_eq!(used_after - used_before, 6, "API calls of check --sf-org");

    let o = run(&["check", "--sf-org", "acme"], &[("PATH", "/nonexistent")]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("Salesforce CLI (sf) is not installed"),
        "{}",
        stderr(&o)
    );
}

/// clap's usage error quotes an argument it did not expect: a token pasted without its flag
/// must not be printed back (terminal scrollback, CI logs).
#[test]
fn a_token_given_without_its_flag_is_not_echoed_in_the_usage_error() {
    let token = "00D5g000004Qmn2!AQ4AQKeepThisSecret.value_1";
    let refresh = "5Aep861TSESvWeug_xvFHRBTTbf_YrTWgEyjBJVNVpeKeepThisSecretToo";
    for args in [
        vec!["check", token],
        vec![
            "check",
            "--instance-url",
            "https://acme.my.salesforce.com",
            token,
        ],
        vec![token],
        vec!["check", "--demo", "ready", refresh],
        vec!["check", "--demo", "ready", "--integration-user", token],
    ] {
        let o = run(&args, &[]);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let text = format!("{}{}", stdout(&o), stderr(&o));
        assert!(!text.contains("KeepThisSecret"), "{args:?}: {text}");
        assert!(text.contains("[redacted]"), "{args:?}: {text}");
    }
    let help = run(&["--help"], &[]);
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).contains("Usage:"), "{}", stdout(&help));
}

/// An empty --access-token is refused as bad input before any request reaches the org.
#[test]
fn an_empty_access_token_is_refused_before_anything_is_sent() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    for token in ["", "   "] {
        let o = run(
            &["check", "--instance-url", &url, "--access-token", token],
            &[],
        );
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("--access-token"), "{}", stderr(&o));
        let o = run(
            &["check", "--instance-url", &url],
            &[("SF_ACCESS_TOKEN", token)],
        );
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    }
    assert_eq!(
        listener.accept().map(|_| ()).unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock,
        "nothing may connect to the org"
    );
}
