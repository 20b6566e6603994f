//! Test write-back step: the automation that runs on the integration's writes
//! (`automation.object`), ranked by how likely it is to reject them. Validation rules are judged
//! by their formulas: a rule that tests one of the integration's fields can reject its writes.

use super::facts::{Automation, ValidationRule};
use super::finding::{fetch_problem, finding, plural, DUPLICATE_RULES_PAGE, VALIDATION_PAGE};
use super::{Finding, FindingId, Status};
use crate::profile::{FieldRequirement, Profile};

/// How a validation rule's formula can affect the integration's writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleReach {
    /// It tests one of the integration's fields: it can reject the integration's writes.
    TestsIntegrationField(String),
    /// It tests no field of the record: it fires on every save while its condition holds.
    AnyUpdate,
    /// It tests other fields' values: it rejects writes to records where its condition holds.
    RecordState,
    /// It tests only whether other fields changed: the integration's writes do not change them.
    OtherFieldsChanging,
}

/// The identifiers of a formula that name record fields (not functions, not `$` globals, not
/// text in quotes), in order.
pub fn field_references(formula: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = formula.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c == '"' || c == '\'' {
            // Skip a string literal (with backslash escapes).
            let mut escaped = false;
            for (_, d) in chars.by_ref() {
                if escaped {
                    escaped = false;
                } else if d == '\\' {
                    escaped = true;
                } else if d == c {
                    break;
                }
            }
            continue;
        }
        if c.is_ascii_alphabetic() || c == '$' || c == '_' {
            let mut end = start + c.len_utf8();
            while let Some(&(i, d)) = chars.peek() {
                if d.is_ascii_alphanumeric() || d == '_' || d == '.' || d == '$' {
                    end = i + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            let word = &formula[start..end];
            let rest = formula[end..].trim_start();
            let is_function = rest.starts_with('(');
            let keyword = matches!(
                word.to_ascii_uppercase().as_str(),
                "TRUE" | "FALSE" | "NULL"
            );
            if !is_function && !keyword && !word.starts_with('$') {
                out.push(word.to_string());
            }
        }
    }
    out
}

/// Field references that appear only as the argument of ISCHANGED or PRIORVALUE.
fn only_change_tests(formula: &str) -> bool {
    let upper = formula.to_ascii_uppercase();
    let mut stripped = String::new();
    let mut rest = upper.as_str();
    // Remove each ISCHANGED(...)/PRIORVALUE(...) call with its (field) argument.
    while let Some((at, len)) = ["ISCHANGED(", "PRIORVALUE("]
        .iter()
        .filter_map(|f| rest.find(f).map(|i| (i, f.len())))
        .min()
    {
        stripped.push_str(&rest[..at]);
        let after = &rest[at + len..];
        let close = after.find(')').map_or(after.len(), |c| c + 1);
        rest = &after[close..];
    }
    stripped.push_str(rest);
    field_references(&stripped).is_empty()
}

fn names(reference: &str, field: &FieldRequirement) -> bool {
    // `Enterpret_Sentiment__c`, or a path ending in it.
    let last = reference.rsplit('.').next().unwrap_or(reference);
    last.eq_ignore_ascii_case(&field.api_name)
}

/// What a rule's formula can do to the integration's writes.
pub fn reach(formula: &str, profile: &Profile) -> RuleReach {
    let references = field_references(formula);
    if let Some(field) = profile
        .fields
        .iter()
        .find(|f| references.iter().any(|r| names(r, f)))
    {
        return RuleReach::TestsIntegrationField(field.api_name.clone());
    }
    if references.is_empty() {
        RuleReach::AnyUpdate
    } else if only_change_tests(formula) {
        RuleReach::OtherFieldsChanging
    } else {
        RuleReach::RecordState
    }
}

fn mentions(text: &str, field: &FieldRequirement) -> bool {
    let t = text.to_lowercase();
    t.contains(&field.api_name.to_lowercase()) || t.contains(&field.label.to_lowercase())
}

/// A ranked line for the evidence (lower ranks first).
struct Ranked {
    rank: u8,
    line: String,
}

pub(super) fn check(profile: &Profile, automation: &Automation, out: &mut Vec<Finding>) {
    let object = &profile.object;
    let mut ranked: Vec<Ranked> = Vec::new();
    let mut blockers = Vec::new();
    let mut risks = Vec::new();
    let mut unreadable = Vec::new();
    match &automation.validation {
        Some(Ok(rules)) => {
            for rule in rules {
                judge_rule(
                    profile,
                    rule,
                    &mut ranked,
                    &mut blockers,
                    &mut risks,
                    &mut unreadable,
                );
            }
        }
        Some(Err(e)) => unreadable.push(format!("validation rules ({})", e.code)),
        // Always planned: no answer at all is not "none there".
        None => unreadable.push("validation rules (no answer)".to_string()),
    }
    match &automation.duplicate_rules {
        Some(Ok(rules)) => {
            for rule in rules {
                match rule.action_on_update.as_deref() {
                    Some(action) if action.eq_ignore_ascii_case("Block") => {
                        ranked.push(Ranked {
                            rank: 1,
                            line: format!(
                                "Duplicate rule {} blocks edits (Action on Edit: Block)",
                                rule.name
                            ),
                        });
                        blockers.push(format!("duplicate rule {} (Action on Edit: Block): an update of a {object} that matches another one is refused with DUPLICATES_DETECTED, the integration's included", rule.name));
                    }
                    Some(action) => ranked.push(Ranked {
                        rank: 5,
                        line: format!(
                            "Duplicate rule {} only alerts on edits (Action on Edit: {action})",
                            rule.name
                        ),
                    }),
                    None => {
                        ranked.push(Ranked {
                            rank: 2,
                            line: format!("Duplicate rule {} is active: an edit that makes the {object} look like another one is blocked (DUPLICATES_DETECTED) when its Action on Edit is Block", rule.name),
                        });
                        risks.push(format!("duplicate rule {} (its Action on Edit could not be read: if it is Block, an update that matches another {object} is refused with DUPLICATES_DETECTED)", rule.name));
                    }
                }
            }
        }
        Some(Err(e)) => unreadable.push(format!("duplicate rules ({})", e.code)),
        None => {}
    }
    match &automation.triggers {
        Some(Ok(triggers)) => {
            for t in triggers
                .iter()
                .filter(|t| t.before_update || t.after_update)
            {
                let phase = if t.before_update { "before" } else { "after" };
                ranked.push(Ranked {
                    rank: 3,
                    line: format!("Apex trigger {} runs {phase} every update", t.name),
                });
            }
        }
        Some(Err(e)) => unreadable.push(format!("Apex triggers ({})", e.code)),
        None => unreadable.push("Apex triggers (no answer)".to_string()),
    }
    match &automation.flows {
        Some(Ok(flows)) => {
            for fl in flows {
                let on_update = matches!(
                    fl.record_trigger_type.as_str(),
                    "Update" | "CreateAndUpdate"
                );
                let record_triggered = matches!(
                    fl.trigger_type.as_str(),
                    "RecordBeforeSave" | "RecordAfterSave"
                );
                if on_update && record_triggered {
                    ranked.push(Ranked {
                        rank: 3,
                        line: format!(
                            "Record-triggered flow {} runs on update ({})",
                            fl.label, fl.trigger_type
                        ),
                    });
                } else if fl.process_type == "Workflow" {
                    ranked.push(Ranked {
                        rank: 5,
                        line: format!("Process Builder process {}", fl.label),
                    });
                }
            }
        }
        Some(Err(e)) => unreadable.push(format!("flows ({})", e.code)),
        None => unreadable.push("flows (no answer)".to_string()),
    }
    match &automation.workflow_rules {
        Some(Ok(n)) if *n > 0 => ranked.push(Ranked {
            rank: 5,
            line: format!(
                "{n} workflow rule{} on {object} (open Setup to see which are active)",
                plural(*n)
            ),
        }),
        Some(Err(e)) => unreadable.push(format!("workflow rules ({})", e.code)),
        Some(Ok(_)) => {}
        None => unreadable.push("workflow rules (no answer)".to_string()),
    }
    match &automation.assignment_rules {
        Some(Ok(rules)) => {
            for name in rules {
                ranked.push(Ranked {
                    rank: 6,
                    line: format!("Assignment rule {name} is active: updates that do not send Sforce-Auto-Assign: FALSE can reassign the {object}"),
                });
            }
        }
        Some(Err(e)) => unreadable.push(format!("assignment rules ({})", e.code)),
        // Planned for Case only (its assignment rules apply to updates).
        None if object == "Case" => unreadable.push("assignment rules (no answer)".to_string()),
        None => {}
    }
    ranked.sort_by_key(|r| r.rank);
    let evidence: Vec<String> = ranked.iter().map(|r| r.line.clone()).collect();
    let duplicates_block = blockers.iter().any(|b| b.starts_with("duplicate rule"));
    let f = if !blockers.is_empty()
        && duplicates_block
        && blockers.iter().all(|b| b.starts_with("duplicate rule"))
    {
        finding(FindingId::AutomationObject, Status::Fail, "A duplicate rule will reject the integration's writes")
            .detail(format!(
                "Active {}.",
                blockers.join("; ")
            ))
            .fix("Setup > Duplicate Rules > the rule > Edit: set Action on Edit to Allow (with an alert), or add a condition that excludes the integration user. Then re-check.")
            .page(DUPLICATE_RULES_PAGE, object)
    } else if !blockers.is_empty() {
        finding(FindingId::AutomationObject, Status::Fail, "A validation rule will reject the integration's writes")
            .detail(format!(
                "Active {}. Salesforce runs it on the integration's writes like on any other update (FIELD_CUSTOM_VALIDATION_EXCEPTION).",
                blockers.join("; ")
            ))
            .fix("Edit the rule so it lets the integration through, e.g. add AND($User.Username <> 'the integration user') to its formula, or exempt the integration's fields. Then re-check.")
            .page(VALIDATION_PAGE, object)
    } else if !unreadable.is_empty() {
        finding(FindingId::AutomationObject, Status::Unknown, format!("Could not read all automation on {object}"))
            .detail(format!("Not readable with your login: {}. A rule that cannot be read may reject the integration's writes.", unreadable.join(", ")))
            .fix(format!("Log in as an admin with View Setup and Configuration, or review {object}'s validation rules in Setup yourself, then run the test write-back."))
            .page(VALIDATION_PAGE, object)
    } else if !risks.is_empty() {
        let page = if automation
            .duplicate_rules
            .as_ref()
            .is_some_and(|r| r.as_ref().is_ok_and(|r| !r.is_empty()))
            && risks.iter().all(|r| r.starts_with("duplicate"))
        {
            DUPLICATE_RULES_PAGE
        } else {
            VALIDATION_PAGE
        };
        finding(FindingId::AutomationObject, Status::Warn, format!("Automation on {object} can reject some of the integration's writes"))
            .detail(format!(
                "Active {}. The test write-back on a typical record shows whether it does.",
                risks.join("; ")
            ))
            .fix("Review each rule; where the integration must always be able to write, exempt its user (for a validation rule: AND($User.Username <> 'the integration user')).")
            .page(page, object)
    } else {
        finding(
            FindingId::AutomationObject,
            Status::Pass,
            if ranked.is_empty() {
                format!("No automation reacts to {object} updates")
            } else {
                format!("{} automation{} on {object}, none aimed at the integration's fields", ranked.len(), plural(ranked.len()))
            },
        )
        .detail(if ranked.is_empty() {
            "Nothing runs when the integration writes.".to_string()
        } else {
            "They run on the integration's writes like on any update: review them for emails or field updates you do not want. The test write-back shows what really happens.".to_string()
        })
        .page(VALIDATION_PAGE, object)
    };
    out.push(f.evidence(evidence));
}

fn judge_rule(
    profile: &Profile,
    rule: &ValidationRule,
    ranked: &mut Vec<Ranked>,
    blockers: &mut Vec<String>,
    risks: &mut Vec<String>,
    unreadable: &mut Vec<String>,
) {
    let name = &rule.name;
    let message = &rule.message;
    let named_field = profile.fields.iter().find(|f| {
        rule.display_field.eq_ignore_ascii_case(&f.api_name)
            || mentions(
                &format!(
                    "{name} {} {message} {}",
                    rule.display_field, rule.description
                ),
                f,
            )
    });
    let formula = match &rule.formula {
        Some(Ok(formula)) => formula,
        Some(Err(e)) => {
            unreadable.push(format!(
                "the formula of validation rule {name} ({})",
                fetch_problem(e)
            ));
            return;
        }
        None => {
            unreadable.push(format!("the formula of validation rule {name}"));
            return;
        }
    };
    let evidence_formula = formula.split_whitespace().collect::<Vec<_>>().join(" ");
    match (reach(formula, profile), named_field) {
        (RuleReach::TestsIntegrationField(field), _) => {
            ranked.push(Ranked {
                rank: 1,
                line: format!(
                    "Validation rule {name} tests {field}: {evidence_formula} (\"{message}\")"
                ),
            });
            blockers.push(format!("validation rule {name} (its formula tests {field}: {evidence_formula}; it says \"{message}\")"));
        }
        (_, Some(field)) => {
            // Its own words name the field even if the formula reaches it another way.
            ranked.push(Ranked {
                rank: 1,
                line: format!(
                    "Validation rule {name} involves {} (\"{message}\")",
                    field.api_name
                ),
            });
            blockers.push(format!(
                "validation rule {name} (it involves {} and says \"{message}\")",
                field.api_name
            ));
        }
        (RuleReach::AnyUpdate, None) => {
            ranked.push(Ranked { rank: 2, line: format!("Validation rule {name} tests no field, so it can fire on any update: {evidence_formula} (\"{message}\")") });
            risks.push(format!("validation rule {name}, which tests no field of the record ({evidence_formula}): it rejects every update while its condition holds, the integration's included"));
        }
        (RuleReach::RecordState, None) => {
            ranked.push(Ranked { rank: 2, line: format!("Validation rule {name} rejects updates to records where {evidence_formula} (\"{message}\")") });
            risks.push(format!("validation rule {name} ({evidence_formula}): the integration's writes fail on records where it holds, with \"{message}\""));
        }
        (RuleReach::OtherFieldsChanging, None) => {
            ranked.push(Ranked { rank: 4, line: format!("Validation rule {name} tests only changes to other fields, which the integration does not make: {evidence_formula}") });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> Profile {
        crate::profile::builtin("feedback-writeback").unwrap()
    }

    #[test]
    fn formulas_are_judged_by_the_fields_they_test() {
        let p = profile();
        for (formula, expected) in [
            (
                "AND(ISCHANGED(Enterpret_Sentiment__c), $Profile.Name <> 'System Administrator')",
                RuleReach::TestsIntegrationField("Enterpret_Sentiment__c".into()),
            ),
            (
                "LEN(enterpret_summary__c) > 100",
                RuleReach::TestsIntegrationField("Enterpret_Summary__c".into()),
            ),
            (
                "$User.Username <> 'admin@acme.example'",
                RuleReach::AnyUpdate,
            ),
            ("TRUE", RuleReach::AnyUpdate),
            (
                "AND(ISPICKVAL(Status, 'Closed'), ISBLANK(TEXT(Reason)))",
                RuleReach::RecordState,
            ),
            (
                "AND(ISCHANGED(Status), PRIORVALUE(Status) = 'Closed')",
                RuleReach::OtherFieldsChanging,
            ),
            (
                "Owner.Profile.Name = 'Enterpret_Sentiment__c'",
                RuleReach::RecordState,
            ),
        ] {
            assert_eq!(reach(formula, &p), expected, "{formula}");
        }
    }

    #[test]
    fn references_skip_functions_globals_and_strings() {
        assert_eq!(
            field_references(
                "IF(ISBLANK(Reason), \"a \\\" Status\", $User.Id) && Account.Name = 'x'"
            ),
            vec!["Reason".to_string(), "Account.Name".to_string()]
        );
    }
}
