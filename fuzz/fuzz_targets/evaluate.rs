//! The check engine on arbitrary answers. It starts from what the simulated org `ready`
//! answers (READY), then the input drops, fails, replaces or edits one answer. Properties: no
//! panic, and never READY when an answer the checks need is missing or malformed (an error, or
//! not a JSON object where Salesforce sends one).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::sync::{Arc, OnceLock};
use writeback_setup::checks::{evaluate, FetchError, Gathered, Inputs, LoggedIn, Verdict};
use writeback_setup::profile::{self, Profile};
use writeback_setup::readiness::{self, CheckRequest};
use writeback_setup::salesforce::{Client, StaticToken};
use writeback_setup::sim::scenario;
use writeback_setup::sim::server::{SimOptions, SimServer};

struct Baseline {
    profile: Profile,
    inputs: Inputs,
    gathered: Gathered,
    /// The plan's reference ids, sorted (the map's order is not stable).
    keys: Vec<String>,
}

/// The simulated org `ready`, read once per process the way `check` reads it.
fn baseline() -> &'static Baseline {
    static BASELINE: OnceLock<Baseline> = OnceLock::new();
    BASELINE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let scenario = scenario::load_builtin("ready").expect("built-in scenario");
            let sim = SimServer::start(&scenario, SimOptions::default())
                .await
                .expect("simulator starts");
            let client = Client::connect(sim.url(), Arc::new(StaticToken::new(sim.admin_token())))
                .await
                .expect("connects");
            let identity = client.identity().await.expect("identity");
            let profile = profile::builtin(profile::DEFAULT_PROFILE).expect("built-in profile");
            let record = scenario.records.get("Case").and_then(|cases| {
                cases
                    .iter()
                    .find_map(|c| c.get("Id").and_then(Value::as_str).map(str::to_string))
            });
            let request = CheckRequest {
                profile: profile.clone(),
                integration_user: scenario.integration_user.clone(),
                record_id: record.and_then(|id| writeback_setup::sfid::to_18(&id).ok()),
            };
            let inputs = Inputs {
                integration_user: request.integration_user.clone(),
                record_id: request.record_id.clone(),
                logged_in: LoggedIn {
                    user_id: identity.user_id.clone(),
                    username: identity.username.clone(),
                    org_id: identity.organization_id.clone(),
                },
                now: chrono::Utc::now().to_rfc3339(),
            };
            let gathered = readiness::gather(&client, &inputs, &request, &|_| {})
                .await
                .expect("the org answers");
            sim.shutdown().await;
            let verdict = Verdict::of(&evaluate(&profile, &inputs, &gathered).findings);
            assert_eq!(verdict, Verdict::Ready, "the baseline must be READY");
            let mut keys: Vec<String> = gathered.answers.keys().cloned().collect();
            keys.sort();
            Baseline {
                profile,
                inputs,
                gathered,
                keys,
            }
        })
    })
}

/// A JSON value from fuzz bytes: the text if it parses, else the bytes as a string.
fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

/// Replaces the value `path` leads to (each byte picks a member or an element) with `by`.
fn edit(value: &mut Value, path: &[u8], by: Value) {
    let mut pointer = String::new();
    let mut current = &*value;
    for &step in path {
        match current {
            Value::Object(members) if !members.is_empty() => {
                let Some((key, next)) = members.iter().nth(usize::from(step) % members.len())
                else {
                    break;
                };
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                current = next;
            }
            Value::Array(items) if !items.is_empty() => {
                let index = usize::from(step) % items.len();
                pointer.push_str(&format!("/{index}"));
                current = &items[index];
            }
            _ => break,
        }
    }
    if let Some(slot) = value.pointer_mut(&pointer) {
        *slot = by;
    }
}

fn failure(payload: &[u8]) -> FetchError {
    FetchError {
        code: String::from_utf8_lossy(payload.get(..8).unwrap_or(payload)).into_owned(),
        message: "fuzzed failure".into(),
    }
}

fuzz_target!(|data: &[u8]| {
    let [operation, target, payload @ ..] = data else {
        return;
    };
    let base = baseline();
    let mut gathered = base.gathered.clone();
    // Targets past the plan's answers are the app listing and the app's settings.
    let slots = base.keys.len() + 2;
    let slot = usize::from(*target) % slots;
    let key = base.keys.get(slot);
    // Whether the change leaves an answer the checks need missing or malformed.
    let mut must_not_be_ready = false;
    match (operation % 5, key) {
        (0, Some(key)) => {
            gathered.answers.remove(key);
            must_not_be_ready = true;
        }
        (1, Some(key)) => {
            gathered.answers.insert(key.clone(), Err(failure(payload)));
            must_not_be_ready = true;
        }
        (2, Some(key)) => {
            let answer = json_of(payload);
            must_not_be_ready = !answer.is_object();
            gathered.answers.insert(key.clone(), Ok(answer));
        }
        (3, Some(key)) => {
            let (path, by) = match payload.split_first() {
                Some((length, rest)) => rest.split_at(usize::from(*length % 16).min(rest.len())),
                None => (&[][..], &[][..]),
            };
            if let Some(Ok(answer)) = gathered.answers.get_mut(key) {
                edit(answer, path, json_of(by));
            }
        }
        (4, _) => {
            // Every answer at once replaced by the same value.
            let answer = json_of(payload);
            must_not_be_ready = !answer.is_object();
            for key in &base.keys {
                gathered.answers.insert(key.clone(), Ok(answer.clone()));
            }
        }
        (operation, None) => {
            let listing = slot == base.keys.len();
            match (operation % 2, listing) {
                (0, true) => gathered.app_listings = None,
                (0, false) => gathered.app_settings = None,
                (_, true) => gathered.app_listings = Some(Err(failure(payload))),
                (_, false) => gathered.app_settings = Some(Err(failure(payload))),
            }
            must_not_be_ready = true;
        }
        _ => {}
    }
    let evaluation = evaluate(&base.profile, &base.inputs, &gathered);
    let verdict = Verdict::of(&evaluation.findings);
    if must_not_be_ready {
        assert_ne!(
            verdict,
            Verdict::Ready,
            "READY although an answer is missing or malformed (operation {operation}, slot {slot})"
        );
    }
});
