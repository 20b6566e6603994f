#!/usr/bin/env python3
"""simple-salesforce (pinned in .ci/conformance) against `writeback-setup sim` on `ready`,
through the TLS proxy (simple-salesforce only builds https:// URLs).

Env: SIM_HTTPS_URL (https://127.0.0.1:PORT), SF_ACCESS_TOKEN, REQUESTS_CA_BUNDLE.
Every step asserts a real answer; any failure exits non-zero.
"""
import os
import sys
import time
import traceback

from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceResourceNotFound,
)

URL = os.environ["SIM_HTTPS_URL"]
TOKEN = os.environ["SF_ACCESS_TOKEN"]
sf = Salesforce(instance_url=URL, session_id=TOKEN, version="62.0")

failures = 0
state = {}


def step(name):
    def run(body):
        global failures
        started = time.monotonic()
        try:
            body()
            print(f"ok   simple-salesforce {name} ({(time.monotonic() - started) * 1000:.0f} ms)")
        except Exception:  # noqa: BLE001 - report every failure, keep going
            failures += 1
            print(f"FAIL simple-salesforce {name}:\n{traceback.format_exc()}")
        return body

    return run


@step("query_all")
def _():
    r = sf.query_all("SELECT Id, Subject, Status FROM Case ORDER BY Subject")
    assert r["totalSize"] == 3, r
    assert r["done"] is True
    subjects = [c["Subject"] for c in r["records"]]
    assert "Cannot log in with SSO" in subjects, subjects
    state["case"] = next(c["Id"] for c in r["records"] if c["Subject"] == "Cannot log in with SSO")


@step("describe")
def _():
    d = sf.Case.describe()
    assert d["name"] == "Case"
    names = {f["name"] for f in d["fields"]}
    assert {"Id", "Subject", "Status"} <= names, names
    g = sf.describe()
    assert any(o["name"] == "Case" for o in g["sobjects"])


@step("get")
def _():
    c = sf.Case.get(state["case"])
    assert c["Id"] == state["case"]
    assert c["Subject"] == "Cannot log in with SSO"
    assert c["attributes"]["type"] == "Case"


@step("update")
def _():
    status = sf.Case.update(state["case"], {"Subject": "Changed by simple-salesforce"})
    assert status == 204, status
    assert sf.Case.get(state["case"])["Subject"] == "Changed by simple-salesforce"
    sf.Case.update(state["case"], {"Subject": "Cannot log in with SSO"})


@step("Tooling query")
def _():
    r = sf.toolingexecute(
        "query/?q=SELECT+QualifiedApiName+FROM+FieldDefinition+WHERE+EntityDefinition.QualifiedApiName='Case'+AND+QualifiedApiName='Enterpret_Summary__c'"
    )
    assert r["totalSize"] == 1, r
    assert r["records"][0]["QualifiedApiName"] == "Enterpret_Summary__c"


@step("limits and recordCount")
def _():
    limits = sf.limits()
    assert limits["DailyApiRequests"]["Max"] > 0
    counts = sf.restful("limits/recordCount", params={"sObjects": "Case"})
    assert counts == {"sObjects": [{"count": 3, "name": "Case"}]}, counts


@step("error: record not found")
def _():
    try:
        sf.Case.get("5005g00000ZZZZZAAA")
    except SalesforceResourceNotFound as e:
        assert e.content[0]["errorCode"] == "NOT_FOUND", e.content
    else:
        raise AssertionError("no error")


@step("error: malformed query")
def _():
    try:
        sf.query("SELECT Nope__c FROM Case")
    except SalesforceMalformedRequest as e:
        assert e.content[0]["errorCode"] == "INVALID_FIELD", e.content
    else:
        raise AssertionError("no error")


@step("error: invalid field on update")
def _():
    try:
        sf.Case.update(state["case"], {"Nope__c": "x"})
    except SalesforceMalformedRequest as e:
        assert e.content[0]["errorCode"] == "INVALID_FIELD", e.content
    else:
        raise AssertionError("no error")


@step("error: expired session")
def _():
    bad = Salesforce(instance_url=URL, session_id="00Dbad!token", version="62.0")
    try:
        bad.query("SELECT Id FROM Case")
    except SalesforceExpiredSession as e:
        assert e.status == 401
    else:
        raise AssertionError("no error")


if failures:
    print(f"simple-salesforce: {failures} step(s) failed")
    sys.exit(1)
print("simple-salesforce: all steps passed")
