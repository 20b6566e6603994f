//! The checks as pure functions: facts in, findings out. Each case starts from an org where
//! everything is set up, changes one thing an expert would look for, and says which checks
//! change and what their explanation and fix must contain.

use super::facts::*;
use super::*;
use crate::profile::Profile;

fn profile() -> Profile {
    crate::profile::builtin("feedback-writeback").expect("built-in profile")
}

fn inputs() -> Inputs {
    Inputs {
        integration_user: Some("integration@acme.example".into()),
        record_id: None,
        logged_in: LoggedIn {
            user_id: "0055g000000000YAAQ".into(),
            username: "admin@acme.example".into(),
            org_id: "00D5g000004Qmn2EAC".into(),
        },
        now: "2026-12-05T10:00:00Z".into(),
    }
}

const FIELDS: [&str; 3] = [
    "Enterpret_Summary__c",
    "Enterpret_Sentiment__c",
    "Enterpret_Taxonomy_Paths__c",
];

fn integration_set() -> HeldSet {
    HeldSet {
        grantor: "permission set Enterpret Integration".into(),
        api_name: "Enterpret_Integration".into(),
        not_counted: None,
        api_enabled: true,
        modify_all: false,
        view_all: false,
        object: ObjectGrant {
            read: true,
            create: false,
            edit: true,
        },
        fields: FIELDS
            .iter()
            .map(|f| (format!("case.{}", f.to_lowercase()), (true, true)))
            .collect(),
    }
}

/// Everything set up: the ready org as facts.
fn ready() -> Facts {
    let seen = |field_type, length| FieldSeen {
        field_type: Some(field_type),
        length: Some(length),
        describe: Some(Described {
            filterable: false,
            ..Described::default()
        }),
        ..FieldSeen::default()
    };
    let mut fields = FieldFacts {
        definitions_ok: true,
        ..FieldFacts::default()
    };
    fields.seen.insert(
        "enterpret_summary__c".into(),
        seen(crate::profile::FieldType::LongTextArea, 32768),
    );
    fields.seen.insert(
        "enterpret_sentiment__c".into(),
        seen(crate::profile::FieldType::Text, 255),
    );
    fields.seen.insert(
        "enterpret_taxonomy_paths__c".into(),
        seen(crate::profile::FieldType::LongTextArea, 32768),
    );
    Facts {
        api_usage: Some((1_204, 100_000)),
        org: Some(Ok(OrgFacts {
            id: "00D5g000004Qmn2EAC".into(),
            name: "Acme Corp".into(),
            edition: "Enterprise Edition".into(),
            default_access: Some("ReadEditTransfer".into()),
            ..OrgFacts::default()
        })),
        fields,
        user: Some(Ok(Some(UserFacts {
            username: "integration@acme.example".into(),
            name: "Integration".into(),
            active: true,
            profile: "Minimum Access - Salesforce".into(),
            license: "Salesforce".into(),
            frozen: Some(Ok(false)),
            sets: vec![integration_set()],
        }))),
        app_listings: Some(Ok(vec![AppListing {
            kind: AppKind::ConnectedApp,
            full_name: "Enterpret_Connector".into(),
            last_modified: Some("2026-10-01T00:00:00.000+0000".into()),
            namespace: None,
        }])),
        app_settings: Some(Ok(AppSettings {
            full_name: "Enterpret_Connector".into(),
            scopes: vec!["Api".into(), "RefreshToken".into()],
            refresh_token_policy: Some("infinite".into()),
            ..AppSettings::default()
        })),
        tokens: Some(Ok(vec![Token {
            app: "Enterpret".into(),
            username: "integration@acme.example".into(),
            created: Some("2026-11-01T00:00:00.000+0000".into()),
            last_used: None,
        }])),
        sees_all_tokens: Some(Ok(true)),
        automation: Automation {
            validation: Some(Ok(Vec::new())),
            triggers: Some(Ok(Vec::new())),
            flows: Some(Ok(Vec::new())),
            workflow_rules: Some(Ok(0)),
            assignment_rules: Some(Ok(Vec::new())),
            duplicate_rules: None,
        },
        ..Facts::default()
    }
}

fn user(facts: &mut Facts) -> &mut UserFacts {
    match &mut facts.user {
        Some(Ok(Some(u))) => u,
        _ => unreachable!("the ready facts have a user"),
    }
}

fn findings(facts: &Facts, inputs: &Inputs) -> Vec<Finding> {
    judge(&profile(), inputs, facts).findings
}

/// One expectation: the check's status and words its detail and fix contain.
struct Expect {
    id: FindingId,
    status: Status,
    says: &'static [&'static str],
}

fn expect(id: FindingId, status: Status, says: &'static [&'static str]) -> Expect {
    Expect { id, status, says }
}

fn check(name: &str, facts: Facts, inputs: Inputs, expected: &[Expect]) {
    let found = findings(&facts, &inputs);
    for e in expected {
        let f = found
            .iter()
            .find(|f| f.id == e.id)
            .unwrap_or_else(|| panic!("{name}: no {} finding", e.id));
        assert_eq!(
            f.status, e.status,
            "{name}: {}: {} / {}",
            e.id, f.title, f.detail
        );
        let words = format!(
            "{} {} {}",
            f.title,
            f.detail,
            f.fix.clone().unwrap_or_default()
        );
        for say in e.says {
            assert!(
                words.contains(say),
                "{name}: {} should say {say:?}: {words}",
                e.id
            );
        }
    }
    // The rest stays as it was on the ready org.
    let baseline = findings(&ready(), &inputs);
    for f in &found {
        if expected.iter().any(|e| e.id == f.id) {
            continue;
        }
        if let Some(b) = baseline.iter().find(|b| b.id == f.id) {
            assert_eq!(
                f.status, b.status,
                "{name}: {} changed unexpectedly: {}",
                f.id, f.detail
            );
        }
    }
}

#[test]
fn the_ready_facts_are_ready() {
    let found = findings(&ready(), &inputs());
    assert_eq!(Verdict::of(&found), Verdict::Ready, "{found:#?}");
}

#[test]
fn each_expert_case_fails_the_right_check_with_its_own_reason() {
    let rule = |formula: &str| ValidationRule {
        id: "03d5g0000000001AAA".into(),
        name: "Support_Only".into(),
        message: "Only support may change this.".into(),
        formula: Some(Ok(formula.into())),
        ..ValidationRule::default()
    };
    let mut cases: Vec<(&str, Facts, Inputs, Vec<Expect>)> = Vec::new();

    let mut f = ready();
    f.automation.validation = Some(Ok(vec![rule(
        "AND(ISCHANGED(Enterpret_Sentiment__c), $Profile.Name <> 'Support Manager')",
    )]));
    cases.push((
        "a validation rule's formula tests an integration field",
        f,
        inputs(),
        vec![expect(
            FindingId::AutomationObject,
            Status::Fail,
            &[
                "Support_Only",
                "tests Enterpret_Sentiment__c",
                "$User.Username",
            ],
        )],
    ));

    let mut f = ready();
    f.automation.validation = Some(Ok(vec![ValidationRule {
        formula: Some(Err(FetchError {
            code: "INSUFFICIENT_ACCESS".into(),
            message: "no".into(),
        })),
        ..rule("")
    }]));
    cases.push((
        "a rule whose formula cannot be read is not a pass",
        f,
        inputs(),
        vec![expect(
            FindingId::AutomationObject,
            Status::Unknown,
            &["formula of validation rule Support_Only"],
        )],
    ));

    let mut f = ready();
    f.automation.validation = Some(Ok(vec![rule("$User.Username <> 'admin@acme.example'")]));
    cases.push((
        "a rule that tests no field can fire on any update",
        f,
        inputs(),
        vec![expect(
            FindingId::AutomationObject,
            Status::Warn,
            &["tests no field of the record"],
        )],
    ));

    let mut f = ready();
    user(&mut f).sets[0].not_counted = Some(NotCounted::MissingLicence(
        "Salesforce API Integration".into(),
    ));
    user(&mut f).license = "Salesforce Integration".into();
    cases.push((
        "the set needs a permission set licence the user lacks",
        f,
        inputs(),
        vec![
            expect(
                FindingId::UserApiEnabled,
                Status::Fail,
                &[
                    "Salesforce API Integration",
                    "assign Salesforce API Integration first",
                ],
            ),
            expect(
                FindingId::UserObjectAccess,
                Status::Fail,
                &[
                    "does not count because",
                    "needs the permission set licence Salesforce API Integration",
                    "Permission Set License Assignments",
                ],
            ),
            expect(
                FindingId::UserFieldAccess,
                Status::Fail,
                &["Salesforce API Integration"],
            ),
        ],
    ));

    let mut f = ready();
    user(&mut f).sets[0].not_counted =
        Some(NotCounted::Expired("2026-11-30T00:00:00.000+0000".into()));
    cases.push((
        "the only grant's assignment expired",
        f,
        inputs(),
        vec![
            expect(
                FindingId::UserObjectAccess,
                Status::Fail,
                &["expired on 2026-11-30", "extend the expiration"],
            ),
            expect(
                FindingId::UserApiEnabled,
                Status::Fail,
                &["expired on 2026-11-30"],
            ),
            expect(
                FindingId::UserFieldAccess,
                Status::Fail,
                &["extend the expiration"],
            ),
        ],
    ));

    let mut f = ready();
    user(&mut f).sets[0].not_counted = Some(NotCounted::SessionActivation);
    cases.push((
        "the only grant needs session activation",
        f,
        inputs(),
        vec![
            expect(
                FindingId::UserObjectAccess,
                Status::Fail,
                &[
                    "session activation",
                    "without \"Session Activation Required\"",
                ],
            ),
            expect(
                FindingId::UserApiEnabled,
                Status::Fail,
                &["session activation"],
            ),
            expect(
                FindingId::UserFieldAccess,
                Status::Fail,
                &["session activation"],
            ),
        ],
    ));

    let mut f = ready();
    user(&mut f).frozen = Some(Ok(true));
    cases.push((
        "the integration user is frozen",
        f,
        inputs(),
        vec![expect(
            FindingId::UserFound,
            Status::Fail,
            &["is frozen", "Unfreeze"],
        )],
    ));

    let mut f = ready();
    user(&mut f).frozen = Some(Err(FetchError {
        code: "INVALID_TYPE".into(),
        message: "sObject type 'UserLogin' is not supported.".into(),
    }));
    cases.push((
        "whether the user is frozen cannot be read",
        f,
        inputs(),
        vec![expect(
            FindingId::UserFound,
            Status::Unknown,
            &["frozen", "Manage Users"],
        )],
    ));

    let mut f = ready();
    if let Some(Ok(org)) = &mut f.org {
        org.default_access = Some("None".into());
    }
    f.record_access = Some(Ok(Some(RecordAccess {
        level: "Read".into(),
        edit: false,
    })));
    let mut with_record = inputs();
    with_record.record_id = Some("5005g00000AbCdEAAV".into());
    cases.push((
        "a Private org-wide default keeps the record from the integration user",
        f,
        with_record,
        vec![expect(
            FindingId::UserRecordAccess,
            Status::Fail,
            &["org-wide default is Private", "sharing rule", "Modify All"],
        )],
    ));

    let mut f = ready();
    f.fields.seen.insert(
        "enterpret_sentiment__c".into(),
        FieldSeen {
            field_type: Some(crate::profile::FieldType::Picklist),
            describe: Some(Described {
                restricted_picklist: true,
                active_values: vec!["Positive".into(), "Negative".into()],
                ..Described::default()
            }),
            ..FieldSeen::default()
        },
    );
    cases.push((
        "an inactive value on a restricted picklist",
        f,
        inputs(),
        vec![
            expect(
                FindingId::FieldsPicklist,
                Status::Fail,
                &["without the active value Neutral", "reactivate"],
            ),
            // The type fits, and the passing type check still says the picklist is restricted.
            expect(
                FindingId::FieldsTypes,
                Status::Pass,
                &["Enterpret_Sentiment__c is a restricted picklist"],
            ),
        ],
    ));

    let mut f = ready();
    f.fields.seen.insert(
        "enterpret_sentiment__c".into(),
        FieldSeen {
            field_type: Some(crate::profile::FieldType::Picklist),
            picklist_metadata: Some(Ok(PicklistMetadata {
                restricted: true,
                active_values: vec!["Positive".into(), "Negative".into()],
                global_value_set: Some("Sentiments".into()),
            })),
            ..FieldSeen::default()
        },
    );
    cases.push((
        "a global value set without the value, seen through metadata",
        f,
        inputs(),
        vec![expect(
            FindingId::FieldsPicklist,
            Status::Fail,
            &["global value set Sentiments", "Picklist Value Sets"],
        )],
    ));

    let mut f = ready();
    if let Some(s) = f.fields.seen.get_mut("enterpret_sentiment__c") {
        s.read_only = Some(ReadOnlyKind::Formula);
    }
    cases.push((
        "a formula field looks editable by its field-level security",
        f,
        inputs(),
        vec![
            expect(
                FindingId::FieldsTypes,
                Status::Fail,
                &["a formula field", "nobody can write it"],
            ),
            expect(
                FindingId::UserFieldAccess,
                Status::Fail,
                &["2 of 3 editable", "Salesforce computes it"],
            ),
        ],
    ));

    let mut f = ready();
    if let Some(Ok(settings)) = &mut f.app_settings {
        settings.scopes = vec!["Full".into()];
    }
    cases.push((
        "an app with only the full scope issues no refresh token",
        f,
        inputs(),
        vec![expect(
            FindingId::AppScopes,
            Status::Warn,
            &["no refresh token", "refresh_token, offline_access"],
        )],
    ));

    let mut f = ready();
    f.app_listings = Some(Ok(vec![AppListing {
        kind: AppKind::ExternalClientApp,
        full_name: "Enterpret_ECA_oauth".into(),
        last_modified: None,
        namespace: None,
    }]));
    cases.push((
        "External Client App policies are confirmed by hand",
        f,
        inputs(),
        vec![expect(
            FindingId::AppPolicy,
            Status::Unknown,
            &[
                "Confirm manually",
                "External Client App Manager > Enterpret_ECA > Policies",
            ],
        )],
    ));

    let mut f = ready();
    f.app_listings = Some(Ok(Vec::new()));
    f.app_listing_gap = Some(FetchError {
        code: "INSUFFICIENT_ACCESS".into(),
        message: "ExtlClntAppOauthSettings".into(),
    });
    cases.push((
        "a refused kind of app listing proves no absence",
        f,
        inputs(),
        vec![
            expect(FindingId::AppFound, Status::Unknown, &["Confirm manually"]),
            expect(FindingId::AppScopes, Status::Unknown, &["Confirm manually"]),
            expect(FindingId::AppPolicy, Status::Unknown, &[]),
            expect(FindingId::ReauthToken, Status::Unknown, &[]),
        ],
    ));

    let mut f = ready();
    f.tokens = Some(Ok(Vec::new()));
    f.sees_all_tokens = Some(Ok(false));
    cases.push((
        "without Customize Application other users' tokens are invisible",
        f,
        inputs(),
        vec![expect(
            FindingId::ReauthToken,
            Status::Unknown,
            &["lack Customize Application", "Connected Apps OAuth Usage"],
        )],
    ));

    let mut f = ready();
    f.refused = Some(FetchError {
        code: "REQUEST_LIMIT_EXCEEDED".into(),
        message: "ConcurrentPerOrgLongTxn Limit exceeded".into(),
    });
    cases.push((
        "a limit that is not the daily quota",
        f,
        inputs(),
        vec![expect(
            FindingId::OrgApiBudget,
            Status::Unknown,
            &["another limit"],
        )],
    ));

    let mut f = ready();
    f.automation.duplicate_rules = Some(Ok(vec![DuplicateRule {
        name: "Contacts with the same email".into(),
        full_name: "Contact.Contact_Same_Email".into(),
        action_on_update: Some("Block".into()),
    }]));
    cases.push((
        "a duplicate rule that blocks edits",
        f,
        inputs(),
        vec![expect(
            FindingId::AutomationObject,
            Status::Fail,
            &[
                "Action on Edit: Block",
                "DUPLICATES_DETECTED",
                "set Action on Edit to Allow",
            ],
        )],
    ));

    let mut f = ready();
    f.automation.duplicate_rules = Some(Ok(vec![DuplicateRule {
        name: "Standard Contact Duplicate Rule".into(),
        ..DuplicateRule::default()
    }]));
    cases.push((
        "an active duplicate rule whose action cannot be read can block edits",
        f,
        inputs(),
        vec![expect(
            FindingId::AutomationObject,
            Status::Warn,
            &["DUPLICATES_DETECTED"],
        )],
    ));

    for (name, facts, inputs, expected) in cases {
        check(name, facts, inputs, &expected);
    }
}

#[test]
fn with_the_api_disabled_no_other_check_claims_ok() {
    let mut f = ready();
    f.refused = Some(FetchError {
        code: "API_DISABLED_FOR_ORG".into(),
        message: "API is not enabled for this Organization or Partner".into(),
    });
    let found = findings(&f, &inputs());
    let access = found
        .iter()
        .find(|x| x.id == FindingId::OrgApiAccess)
        .unwrap();
    assert_eq!(access.status, Status::Fail);
    for other in found.iter().filter(|x| x.id != FindingId::OrgApiAccess) {
        assert_ne!(other.status, Status::Pass, "{} claims ok", other.id);
    }
}

#[test]
fn finding_ids_read_back_from_their_text() {
    for id in FindingId::ALL {
        assert_eq!(FindingId::parse(id.as_str()), Some(id));
        assert_eq!(
            serde_json::to_value(id).unwrap(),
            serde_json::json!(id.as_str())
        );
    }
}
