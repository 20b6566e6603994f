use super::*;

/// A small valid profile; tests splice one field table in.
fn with_fields(fields: &str) -> String {
    format!(
        r#"
id = "my-profile"
title = "Mine"
vendor = "Acme"
object = "Case"

[access]
read = true
edit = true

[app]
label = "Acme"

{fields}
"#
    )
}

fn invalid_message(result: Result<Profile, ProfileError>) -> String {
    match result {
        Err(e @ ProfileError::Invalid { .. }) => e.to_string(),
        other => panic!("expected an Invalid error, got {other:?}"),
    }
}

#[test]
fn every_builtin_loads_and_round_trips() {
    assert_eq!(
        builtin_ids(),
        [
            "feedback-writeback",
            "survey-responses",
            "conversation-cases"
        ]
    );
    assert_eq!(builtin_ids()[0], DEFAULT_PROFILE);
    for id in builtin_ids() {
        let profile = builtin(id).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(profile.id, id);
        let text = profile.to_toml();
        let again = parse("round-trip.toml", &text).unwrap_or_else(|e| panic!("{id}: {e}\n{text}"));
        assert_eq!(again, profile, "{id} does not round-trip:\n{text}");
        for field in &profile.fields {
            assert!(!field.test_value.is_empty(), "{id} {}", field.api_name);
            assert!(field.accept.contains(&field.field_type));
            assert_eq!(field.custom, field.api_name.ends_with("__c"));
        }
    }
}

#[test]
fn feedback_profile_matches_the_guide() {
    let p = builtin(DEFAULT_PROFILE).unwrap();
    assert_eq!(p.vendor, "Enterpret");
    assert_eq!(p.object, "Case");
    assert_eq!(
        p.access,
        Access {
            read: true,
            create: false,
            edit: true
        }
    );
    assert_eq!(p.app.label, "Enterpret");
    assert_eq!(p.app.api_names, ["Enterpret_Connector", "Enterpret_ECA"]);
    assert_eq!(p.app.required_scopes, ["api"]);
    assert_eq!(p.usage.daily_calls, 2000);
    assert_eq!(p.usage.backfill_calls, 20000);
    let summary = p.field("enterpret_summary__c").unwrap();
    assert_eq!(summary.field_type, FieldType::LongTextArea);
    assert_eq!(summary.length, Some(32768));
    assert_eq!(summary.accept, [FieldType::LongTextArea]);
    assert_eq!(
        summary.test_value,
        "[Write-back Setup Assistant test] Enterpret Summary"
    );
    let sentiment = p.field("Enterpret_Sentiment__c").unwrap();
    assert_eq!(sentiment.field_type, FieldType::Text);
    assert_eq!(sentiment.length, Some(255));
    assert_eq!(sentiment.values, ["Positive", "Negative", "Neutral"]);
    assert!(sentiment.accept.contains(&FieldType::Picklist));
    let paths = p.field("Enterpret_Taxonomy_Paths__c").unwrap();
    assert!(paths.multiline);
    assert!(paths.test_value.contains('\n'));
    assert!(p.lookup.is_none() && p.record_type.is_none() && p.package.is_none());
}

#[test]
fn other_builtins_have_lookup_record_type_and_package() {
    let survey = builtin("survey-responses").unwrap();
    assert_eq!(survey.object, "Contact");
    assert!(survey.access.create && survey.access.edit);
    assert_eq!(
        survey.lookup,
        Some(LookupRequirement {
            field: "Email".into(),
            external_id: false
        })
    );
    assert!(survey.sandbox_supported);
    let email = survey.field("Email").unwrap();
    assert!(!email.custom);
    assert_eq!(email.test_value, "writeback-test@example.com");
    assert_eq!(
        survey.field("Survey_Response_Date__c").unwrap().test_value,
        "2026-01-01T00:00:00.000Z"
    );

    let conv = builtin("conversation-cases").unwrap();
    assert_eq!(conv.object, "Case");
    let lookup = conv.lookup.as_ref().unwrap();
    assert!(lookup.external_id);
    assert!(conv.field(&lookup.field).is_some());
    assert_eq!(
        conv.record_type.as_ref().unwrap().developer_name,
        "Kustomer_Conversation"
    );
    assert_eq!(conv.package.as_ref().unwrap().namespace, "KustomerApp");
    assert!(!conv.sandbox_supported);
    assert_eq!(conv.field("Origin").unwrap().test_value, "Kustomer App");
}

#[test]
fn unknown_builtin_lists_the_known_ones() {
    let e = builtin("nope").unwrap_err().to_string();
    assert!(e.contains("unknown built-in profile 'nope'"), "{e}");
    assert!(
        e.contains("feedback-writeback, survey-responses, conversation-cases"),
        "{e}"
    );
}

#[test]
fn bad_api_name_is_reported() {
    let text = with_fields(
        r#"[[fields]]
api_name = "1Bad__c"
type = "Text"
length = 10"#,
    );
    let e = invalid_message(parse("my.toml", &text));
    assert!(
        e.contains("'1Bad__c' is not a valid API name: it must start with a letter"),
        "{e}"
    );
    assert!(e.contains("my.toml"), "{e}");
}

#[test]
fn unknown_type_lists_valid_types() {
    let text = with_fields(
        r#"[[fields]]
api_name = "Summary__c"
type = "Long Text"
length = 100"#,
    );
    let e = invalid_message(parse("my.toml", &text));
    assert!(
        e.contains(
            "field 'Summary__c' (profile my.toml): 'Long Text' is not a field type; use one of \
             Text, TextArea, LongTextArea,"
        ),
        "{e}"
    );
    // Setup labels are accepted too.
    let ok = with_fields(
        r#"[[fields]]
api_name = "Summary__c"
type = "Long Text Area"
length = 100"#,
    );
    assert_eq!(
        parse("my.toml", &ok).unwrap().fields[0].field_type,
        FieldType::LongTextArea
    );
}

#[test]
fn duplicate_field_is_reported() {
    let text = with_fields(
        r#"[[fields]]
api_name = "X__c"
type = "Text"
length = 10

[[fields]]
api_name = "x__C"
type = "Text"
length = 10"#,
    );
    let e = invalid_message(parse("my.toml", &text));
    assert!(e.contains("field 'X__c' appears twice"), "{e}");
}

#[test]
fn missing_length_is_reported() {
    let text = with_fields(
        r#"[[fields]]
api_name = "Notes__c"
type = "LongTextArea""#,
    );
    let e = invalid_message(parse("my.toml", &text));
    assert!(
        e.contains("field 'Notes__c' (profile my.toml): a LongTextArea field needs a length greater than 0"),
        "{e}"
    );
    let too_long = with_fields(
        r#"[[fields]]
api_name = "Notes__c"
type = "LongTextArea"
length = 200000"#,
    );
    let e = invalid_message(parse("my.toml", &too_long));
    assert!(e.contains("more than Salesforce allows (131072)"), "{e}");
}

#[test]
fn other_validation_errors() {
    // Empty picklist value, unknown lookup field, restricted-picklist test value.
    let text = with_fields(
        r#"[lookup]
field = "Missing__c"
external_id = true

[[fields]]
api_name = "Mood__c"
type = "Picklist"
values = ["Happy", ""]
test_value = "Sad""#,
    );
    let e = invalid_message(parse("my.toml", &text));
    assert!(e.contains("values must not contain an empty string"), "{e}");
    assert!(
        e.contains("test_value 'Sad' is not one of its values (Happy)"),
        "{e}"
    );
    assert!(e.contains("[lookup] field 'Missing__c'"), "{e}");
    let text = with_fields(
        r#"[[fields]]
api_name = "Mood__c"
type = "Text"
length = 20
accept = ["Picklist"]"#,
    );
    let e = invalid_message(parse("my.toml", &text));
    assert!(
        e.contains("it accepts Picklist, so it needs `values`"),
        "{e}"
    );
}

#[test]
fn typos_and_syntax_errors_give_line_and_column() {
    let text = with_fields(
        r#"[[fields]]
api_name = "Notes__c"
type = "Text"
lenght = 10"#,
    );
    match parse("my.toml", &text) {
        Err(e @ ProfileError::Syntax { .. }) => {
            let e = e.to_string();
            assert!(e.contains("unknown field `lenght`"), "{e}");
            assert!(e.contains("line 17, column 1"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    let e = parse("my.toml", "id = ").unwrap_err().to_string();
    assert!(e.contains("profile my.toml") && e.contains("line 1"), "{e}");
}

#[test]
fn defaults_are_filled_in() {
    let text = with_fields(
        r#"[[fields]]
api_name = "Short__c"
label = "A label longer than ten"
type = "Text"
length = 10

[[fields]]
api_name = "Count__c"
type = "Number"
accept = ["Text"]

[[fields]]
api_name = "Flag__c"
type = "Checkbox"

[[fields]]
api_name = "Kind__c"
type = "Picklist"
values = ["A", "B"]"#,
    );
    let p = parse("my.toml", &text).unwrap();
    assert!(p.sandbox_supported);
    assert_eq!(p.app.required_scopes, ["api"]);
    assert_eq!(p.field("Short__c").unwrap().test_value, "[Write-bac");
    assert_eq!(p.field("Short__c").unwrap().test_value.chars().count(), 10);
    let count = p.field("Count__c").unwrap();
    assert_eq!(count.test_value, "1");
    assert_eq!(count.accept, [FieldType::Number, FieldType::Text]);
    assert_eq!(count.label, "Count__c");
    assert_eq!(p.field("Flag__c").unwrap().test_value, "true");
    assert_eq!(p.field("Kind__c").unwrap().test_value, "A");
}

#[test]
fn rename_field_validates() {
    let mut p = builtin(DEFAULT_PROFILE).unwrap();
    p.rename_field("enterpret_summary__c", "Summary__c")
        .unwrap();
    assert!(p.field("Summary__c").is_some());
    assert!(p.field("Enterpret_Summary__c").is_none());
    assert!(p.field("Summary__c").unwrap().custom);

    let e = p.rename_field("Summary__c", "1Bad__c").unwrap_err();
    assert_eq!(
        e.to_string(),
        "'1Bad__c' is not a valid API name: it must start with a letter"
    );
    let e = p
        .rename_field("Summary__c", "enterpret_sentiment__c")
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "field 'Enterpret_Sentiment__c' appears twice"
    );
    let e = p.rename_field("Nope__c", "Other__c").unwrap_err();
    assert!(e.to_string().contains("has no field 'Nope__c'"), "{e}");
    // Renaming to itself (another case) is fine.
    p.rename_field("Summary__c", "SUMMARY__c").unwrap();

    // A lookup follows its field.
    let mut conv = builtin("conversation-cases").unwrap();
    conv.rename_field("KustomerApp__Conversation_ID__c", "Conv_Id__c")
        .unwrap();
    assert_eq!(conv.lookup.as_ref().unwrap().field, "Conv_Id__c");
    // And the renamed profile still round-trips.
    assert_eq!(parse("x.toml", &conv.to_toml()).unwrap(), conv);
}

#[test]
fn api_name_syntax() {
    for ok in [
        "Email",
        "Enterpret_Summary__c",
        "KustomerApp__Conversation_ID__c",
        "A",
        "a1_b2__c",
        &format!("{}__c", "A".repeat(40)),
    ] {
        assert_eq!(validate_api_name(ok), Ok(()), "{ok}");
    }
    let cases = [
        ("", "empty"),
        ("1Bad__c", "must start with a letter"),
        ("_Bad__c", "must start with a letter"),
        ("Bad-Name__c", "'-' is not allowed"),
        ("Bad Name__c", "spaces are not allowed"),
        ("Bad___c", "must not end with '_'"),
        ("Bad_", "must not end with '_'"),
        ("A__B__C__c", "'__' may appear only once"),
        ("ns__Name", "'__' may appear only"),
        ("ns___Name__c", "must start with a letter"),
        ("__c", "no name before '__c'"),
    ];
    for (name, expected) in cases {
        let e = validate_api_name(name).unwrap_err();
        assert!(e.contains(expected), "{name}: {e}");
    }
    let long = format!("{}__c", "A".repeat(41));
    assert!(validate_api_name(&long)
        .unwrap_err()
        .contains("41 characters long before '__c'; the limit is 40"));
}

#[test]
fn data_type_texts() {
    use FieldType::*;
    type Parsed = Option<(FieldType, Option<u32>, bool)>;
    let cases: [(&str, Parsed); 20] = [
        ("Text(255)", Some((Text, Some(255), false))),
        (
            "Long Text Area(32768)",
            Some((LongTextArea, Some(32768), false)),
        ),
        ("Rich Text Area(32768)", Some((Html, Some(32768), false))),
        ("Text Area(255)", Some((TextArea, Some(255), false))),
        ("Picklist", Some((Picklist, None, false))),
        (
            "Picklist (Multi-Select)",
            Some((MultiselectPicklist, None, false)),
        ),
        ("Checkbox", Some((Checkbox, None, false))),
        ("Number(18, 0)", Some((Number, None, false))),
        ("Date", Some((Date, None, false))),
        ("Date/Time", Some((DateTime, None, false))),
        ("Email", Some((Email, None, false))),
        ("Phone", Some((Phone, None, false))),
        ("URL(255)", Some((Url, Some(255), false))),
        ("Lookup(User)", Some((Lookup, None, false))),
        ("Lookup()", Some((Lookup, None, false))),
        ("Formula (Text)", Some((Text, None, true))),
        ("Formula (Date/Time)", Some((DateTime, None, true))),
        (
            "Text(24) (External ID) (Unique Case Insensitive)",
            Some((Text, Some(24), false)),
        ),
        ("Auto Number", None),
        ("Text(abc)", None),
    ];
    for (text, expected) in cases {
        assert_eq!(FieldType::from_data_type(text), expected, "{text}");
    }
}

#[test]
fn type_names_and_labels() {
    assert_eq!(FieldType::LongTextArea.metadata_name(), "LongTextArea");
    assert_eq!(FieldType::LongTextArea.label(), "Long Text Area");
    for t in FieldType::ALL {
        assert_eq!(FieldType::from_name(t.metadata_name()), Some(t));
        assert_eq!(FieldType::from_name(t.label()), Some(t));
        // serde uses the same names as the file format.
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            format!("\"{}\"", t.metadata_name())
        );
    }
}

#[test]
fn resolve_takes_an_id_or_a_path() {
    assert_eq!(resolve("survey-responses").unwrap().id, "survey-responses");
    let dir = std::env::temp_dir().join(format!("profile-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("mine.toml");
    let mut p = builtin(DEFAULT_PROFILE).unwrap();
    p.id = "mine".into();
    std::fs::write(&path, p.to_toml()).unwrap();
    let loaded = resolve(path.to_str().unwrap()).unwrap();
    assert_eq!(loaded, p);
    assert_eq!(load_file(&path).unwrap(), p);

    let missing = dir.join("missing.toml");
    match resolve(missing.to_str().unwrap()) {
        Err(ProfileError::Read { path, .. }) => assert_eq!(path, missing),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        resolve("no-such-profile"),
        Err(ProfileError::UnknownBuiltin { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_vendor_login_app_is_read_validated_and_written_back() {
    let text = with_fields(
        r#"[login]
client_id = "3MVG9VENDOR"
callback_url = "http://localhost:7777/callback"

[[fields]]
api_name = "Note__c"
type = "Text"
length = 100"#,
    );
    let profile = parse("my.toml", &text).unwrap();
    assert_eq!(
        profile.login,
        Some(LoginApp {
            client_id: "3MVG9VENDOR".into(),
            callback_url: "http://localhost:7777/callback".into(),
        })
    );
    assert_eq!(parse("again.toml", &profile.to_toml()).unwrap(), profile);

    let text = with_fields(
        r#"[login]
client_id = "has space"
callback_url = "https://app.example.com/callback""#,
    );
    let e = invalid_message(parse("my.toml", &text));
    assert!(e.contains("[login] client_id"), "{e}");
    assert!(
        e.contains("must be a http://localhost:PORT/path address"),
        "{e}"
    );
}

#[test]
fn a_multi_byte_date_time_test_value_is_an_error_not_a_panic() {
    for value in ["2026-01-0é:00", "é", "2026-01-01é00:00"] {
        let text = with_fields(&format!(
            "[[fields]]\napi_name = \"When__c\"\ntype = \"DateTime\"\ntest_value = \"{value}\""
        ));
        let e = invalid_message(parse("my.toml", &text));
        assert!(e.contains("must be a date and time"), "{value}: {e}");
    }
}

#[test]
fn profile_files_at_the_size_limit_load_and_one_byte_more_is_refused() {
    let dir = std::env::temp_dir().join(format!("profile-size-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = builtin(DEFAULT_PROFILE).unwrap().to_toml();
    let padding = MAX_PROFILE_FILE_BYTES as usize - text.len() - "\n#\n".len();
    let at_limit = format!("{text}\n#{}\n", "x".repeat(padding));
    assert_eq!(at_limit.len() as u64, MAX_PROFILE_FILE_BYTES);
    let path = dir.join("at-limit.toml");
    std::fs::write(&path, &at_limit).unwrap();
    assert!(load_file(&path).is_ok());
    std::fs::write(&path, format!("{at_limit} ")).unwrap();
    let err = load_file(&path).unwrap_err();
    assert!(err.to_string().contains("larger than 1 MiB"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn deeply_nested_toml_is_an_error_not_a_crash() {
    let depth = 100_000;
    let text = format!(
        "{}\nextra = {}1{}\n",
        with_fields(""),
        "[".repeat(depth),
        "]".repeat(depth)
    );
    assert!(parse("deep.toml", &text).is_err());
    let tables = format!(
        "{}\nx = {}{}\n",
        with_fields(""),
        "{ a = ".repeat(depth),
        "}".repeat(depth)
    );
    assert!(parse("deep.toml", &tables).is_err());
}
