//! The write commands' command line: `fix`, `export-metadata`, `test-write`, `recover`.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_writeback-setup");

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "writeback-setup-cli-{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(args: &[&str], data_dir: &PathBuf) -> Output {
    Command::new(BIN)
        .args(args)
        .env(writeback_setup::testwrite::journal::DATA_DIR_ENV, data_dir)
        .env_remove("SF_INSTANCE_URL")
        .env_remove("SF_ACCESS_TOKEN")
        .stdin(Stdio::null())
        .output()
        .expect("runs")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn fix_on_fresh_applies_then_only_setup_work_fails() {
    let data = scratch("fix");
    let o = run(&["fix", "--demo", "fresh", "--yes"], &data);
    let text = out(&o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "still not ready: {text}{}",
        err(&o)
    );
    assert!(text.contains("The app would make 9 changes:"), "{text}");
    assert!(text.contains("POST /services/data/v66.0/tooling/sobjects/CustomField"));
    assert!(text.contains("For you to do in Setup"));
    assert!(text.contains("Open: http://127.0.0.1:"));
    assert!(text.matches("[ ok ]").count() >= 9, "{text}");
    assert!(!text.contains("[FAIL] Create"), "{text}");
    // The post-fix check: only what an admin must do in Setup fails.
    let after = text
        .split("Checking again:")
        .nth(1)
        .expect("re-check printed");
    let failed: Vec<&str> = after
        .lines()
        .filter(|l| l.contains("[FAIL]") || l.contains("[ ?? ]"))
        .collect();
    assert_eq!(failed.len(), 2, "{after}");
    assert!(
        failed
            .iter()
            .all(|l| l.contains("(app.") || l.contains("(reauth.")),
        "{failed:?}"
    );
    // A demo org leaves nothing to undo on disk.
    assert!(std::fs::read_dir(&data).unwrap().next().is_none());
}

#[test]
fn fix_without_yes_and_without_a_terminal_changes_nothing() {
    let data = scratch("noyes");
    let o = run(&["fix", "--demo", "fresh"], &data);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("run again with --yes"), "{}", err(&o));
    assert!(
        out(&o).contains("The app would make 9 changes:"),
        "the plan is still shown"
    );
    assert!(!out(&o).contains("Applying"));
}

#[test]
fn fix_on_a_ready_org_has_nothing_to_do() {
    let data = scratch("ready");
    let o = run(&["fix", "--demo", "ready"], &data);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out(&o).contains("Nothing for the app to change."));
}

#[test]
fn export_metadata_writes_dx_source_without_a_connection() {
    let data = scratch("export-data");
    let dir = scratch("export");
    let o = run(
        &[
            "export-metadata",
            "--out",
            dir.to_str().unwrap(),
            "--integration-license",
        ],
        &data,
    );
    assert!(o.status.success(), "{}", err(&o));
    for path in [
        "package.xml",
        "sfdx-project.json",
        "force-app/main/default/objects/Case/fields/Enterpret_Summary__c.field-meta.xml",
        "force-app/main/default/objects/Case/fields/Enterpret_Sentiment__c.field-meta.xml",
        "force-app/main/default/objects/Case/fields/Enterpret_Taxonomy_Paths__c.field-meta.xml",
        "force-app/main/default/permissionsets/Enterpret_Integration.permissionset-meta.xml",
    ] {
        assert!(dir.join(path).is_file(), "{path}");
    }
    let set = std::fs::read_to_string(dir.join(
        "force-app/main/default/permissionsets/Enterpret_Integration.permissionset-meta.xml",
    ))
    .unwrap();
    assert!(set.contains("<license>SalesforceAPIIntegrationPsl</license>"));
    assert!(out(&o).contains("sf project deploy start --manifest package.xml"));
}

#[test]
fn export_metadata_from_the_demo_exports_only_what_is_missing() {
    let data = scratch("export-demo-data");
    let dir = scratch("export-demo");
    let o = run(
        &[
            "export-metadata",
            "--out",
            dir.to_str().unwrap(),
            "--demo",
            "no-field-edit",
        ],
        &data,
    );
    assert!(o.status.success(), "{}", err(&o));
    assert!(
        !dir.join("force-app/main/default/objects").exists(),
        "the fields exist"
    );
    assert!(dir
        .join("force-app/main/default/permissionsets/Enterpret_Integration.permissionset-meta.xml")
        .is_file());
}

#[test]
fn export_metadata_refuses_a_bad_api_version() {
    let data = scratch("export-bad");
    let o = run(
        &[
            "export-metadata",
            "--out",
            data.to_str().unwrap(),
            "--api-version",
            "latest",
        ],
        &data,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("not an API version"));
}

#[test]
fn test_write_on_the_demo_restores_and_prints_the_table() {
    let data = scratch("tw");
    let o = run(
        &[
            "test-write",
            "--demo",
            "ready",
            "--record",
            "00001001",
            "--yes",
        ],
        &data,
    );
    let text = out(&o);
    assert_eq!(o.status.code(), Some(0), "{text}{}", err(&o));
    assert!(text.contains("Field"), "{text}");
    assert!(text.contains("The write worked"), "{text}");
    assert!(text
        .contains("The record is back as it was (every field read back); the journal is deleted."));
    assert!(text.contains("true end-to-end test needs you to log in as integration@acme.example"));
}

#[test]
fn test_write_blocked_exits_1_and_names_the_field() {
    let data = scratch("tw-blocked");
    let o = run(
        &[
            "test-write",
            "--demo",
            "validation-rule-blocks",
            "--record",
            "5005g00000AbCdE",
            "--yes",
        ],
        &data,
    );
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("BLOCKED Enterpret_Sentiment__c"), "{text}");
    assert!(text.contains("Only support managers may change the sentiment."));
}

#[test]
fn test_write_dry_run_writes_nothing() {
    let data = scratch("tw-dry");
    let o = run(
        &[
            "test-write",
            "--demo",
            "restricted-picklist",
            "--record",
            "5005g00000AbCdE",
            "--dry-run",
        ],
        &data,
    );
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("would FAIL"), "{text}");
    assert!(
        text.contains("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"),
        "{text}"
    );
}

#[test]
fn test_write_refuses_bad_records_and_asks_before_writing() {
    let data = scratch("tw-bad");
    for (record, expected) in [
        ("0015g00000AbCdE", "not a Case Id"),
        ("hello", "not a Case Id or Case number"),
    ] {
        let o = run(
            &["test-write", "--demo", "ready", "--record", record],
            &data,
        );
        assert_eq!(o.status.code(), Some(2), "{record}");
        assert!(err(&o).contains(expected), "{record}: {}", err(&o));
    }
    let o = run(&["test-write", "--demo", "ready"], &data);
    assert_eq!(o.status.code(), Some(2));
    // Without --yes and without a terminal: nothing is written.
    let o = run(
        &[
            "test-write",
            "--demo",
            "ready",
            "--record",
            "5005g00000AbCdE",
        ],
        &data,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("run again with --yes"));
    assert!(!out(&o).contains("The write worked"));
}

#[test]
fn recover_with_nothing_pending() {
    let data = scratch("recover");
    let o = run(&["recover"], &data);
    assert!(o.status.success());
    assert!(out(&o).contains("Nothing to recover"));
}

/// An unwritable `--out` is bad input (exit 2) in export-metadata as in `report`: a regular
/// file, a device, or a folder whose files cannot be written.
#[test]
fn export_metadata_exits_2_for_an_unwritable_folder() {
    let data = scratch("export-unwritable");
    let file = data.join("a-file");
    std::fs::write(&file, "x").unwrap();
    let mut outs = vec![file.clone(), file.join("below-a-file")];
    if cfg!(unix) {
        // A special file of the test's own (see report_refuses_a_device_a_folder_and_symlinks_to_them).
        let pipe = data.join("pipe");
        assert!(std::process::Command::new("mkfifo")
            .arg(&pipe)
            .status()
            .unwrap()
            .success());
        outs.push(pipe);
    }
    for out in outs {
        let o = run(&["export-metadata", "--out", out.to_str().unwrap()], &data);
        assert_eq!(o.status.code(), Some(2), "{}: {}", out.display(), err(&o));
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
    #[cfg(unix)]
    {
        // package.xml is a symlink to a device inside the chosen folder.
        let dir = scratch("export-device-inside");
        std::os::unix::fs::symlink("/dev/null", dir.join("package.xml")).unwrap();
        let o = run(&["export-metadata", "--out", dir.to_str().unwrap()], &data);
        assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    }
}
