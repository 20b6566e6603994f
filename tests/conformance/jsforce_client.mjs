// jsforce (pinned in .ci/conformance) against `writeback-setup sim` on the `ready` scenario.
// Every step asserts a real answer; the first failure exits non-zero with its step named.
// Env: SIM_URL, SF_ACCESS_TOKEN, CONFORMANCE_NODE_MODULES (where jsforce is installed).
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

const require = createRequire(`${process.env.CONFORMANCE_NODE_MODULES}/`);
const jsforce = require('jsforce');

const conn = new jsforce.Connection({
  instanceUrl: process.env.SIM_URL,
  accessToken: process.env.SF_ACCESS_TOKEN,
  version: '62.0',
});

let failures = 0;
async function step(name, body) {
  const started = Date.now();
  try {
    await body();
    console.log(`ok   jsforce ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    failures += 1;
    console.log(`FAIL jsforce ${name}: ${e && e.stack ? e.stack : e}`);
  }
}

let caseId;
let contactIds = [];

await step('identity()', async () => {
  const id = await conn.identity();
  assert.equal(id.username, 'admin@acme.example');
  assert.match(id.user_id, /^005/);
  assert.match(id.organization_id, /^00D/);
  assert.ok(id.display_name, 'display_name');
  assert.ok(id.id.endsWith(`/id/${id.organization_id}/${id.user_id}`), id.id);
  assert.ok(id.urls && id.urls.rest, 'urls.rest');
});

await step('REST describe Case', async () => {
  const d = await conn.sobject('Case').describe();
  assert.equal(d.name, 'Case');
  const names = d.fields.map((f) => f.name);
  for (const f of ['Id', 'Subject', 'Status', 'Enterpret_Summary__c']) assert.ok(names.includes(f), f);
});

await step('REST query', async () => {
  const r = await conn.query("SELECT Id, Subject, Status FROM Case WHERE Subject = 'Cannot log in with SSO'");
  assert.equal(r.totalSize, 1);
  assert.equal(r.done, true);
  assert.equal(r.records[0].Status, 'Working');
  caseId = r.records[0].Id;
  assert.match(caseId, /^500/);
});

await step('REST query COUNT(Id)', async () => {
  const r = await conn.query('SELECT COUNT(Id) FROM Case');
  assert.equal(r.records[0].expr0, 3);
});

await step('REST retrieve and update a record', async () => {
  const before = await conn.sobject('Case').retrieve(caseId);
  assert.equal(before.Subject, 'Cannot log in with SSO');
  const res = await conn.sobject('Case').update({ Id: caseId, Subject: 'Changed by jsforce' });
  assert.equal(res.success, true, JSON.stringify(res));
  const after = await conn.sobject('Case').retrieve(caseId, { fields: ['Subject'] });
  assert.equal(after.Subject, 'Changed by jsforce');
  await conn.sobject('Case').update({ Id: caseId, Subject: before.Subject });
});

await step('REST error: unknown field', async () => {
  await assert.rejects(conn.query('SELECT Nope__c FROM Case'), (e) => e.errorCode === 'INVALID_FIELD');
});

await step('sObject Collections create (POST /composite/sobjects)', async () => {
  const records = [];
  for (let i = 0; i < 250; i += 1) records.push({ LastName: `Conformance ${i}`, Email: `c${i}@example.com` });
  // At most 200 records per collection call, as Salesforce limits it (jsforce does not split).
  await assert.rejects(conn.sobject('Contact').create(records), (e) => e.errorCode === 'EXCEEDED_ID_LIMIT');
  const results = [
    ...(await conn.sobject('Contact').create(records.slice(0, 200), { allOrNone: true })),
    ...(await conn.sobject('Contact').create(records.slice(200), { allOrNone: true })),
  ];
  assert.equal(results.length, 250);
  for (const r of results) assert.equal(r.success, true, JSON.stringify(r));
  contactIds = results.map((r) => r.id);
});

await step('sObject Collections retrieve and update (POST/PATCH /composite/sobjects)', async () => {
  const got = await conn.sobject('Contact').retrieve(contactIds.slice(0, 3), { fields: ['LastName', 'Email'] });
  assert.deepEqual(got.map((r) => r.LastName), ['Conformance 0', 'Conformance 1', 'Conformance 2']);
  const res = await conn.sobject('Contact').update([
    { Id: contactIds[0], Email: 'changed@example.com' },
    { Id: contactIds[1], Email: 'badone' },
  ]);
  assert.equal(res[0].success, true, JSON.stringify(res));
  assert.equal(res[1].success, false);
  assert.equal(res[1].errors[0].statusCode, 'INVALID_EMAIL_ADDRESS');
});

await step('queryMore with Sforce-Query-Options: batchSize=200', async () => {
  const first = await conn.query("SELECT Id, LastName FROM Contact WHERE LastName LIKE 'Conformance%'", {
    headers: { 'Sforce-Query-Options': 'batchSize=200' },
  });
  assert.equal(first.totalSize, 250);
  assert.equal(first.done, false);
  assert.equal(first.records.length, 200);
  assert.ok(first.nextRecordsUrl, 'nextRecordsUrl');
  const rest = await conn.queryMore(first.nextRecordsUrl);
  assert.equal(rest.done, true);
  assert.equal(rest.records.length, 50);
});

await step('sObject Collections delete', async () => {
  const res = [
    ...(await conn.sobject('Contact').destroy(contactIds.slice(0, 200))),
    ...(await conn.sobject('Contact').destroy(contactIds.slice(200))),
  ];
  assert.equal(res.length, 250);
  for (const r of res) assert.equal(r.success, true, JSON.stringify(r));
});

await step('queryAll (scanAll) answers deleted rows too', async () => {
  const soql = "SELECT Id FROM Contact WHERE LastName LIKE 'Conformance%'";
  const live = await conn.query(soql);
  assert.equal(live.totalSize, 0);
  const all = await conn.query(soql).scanAll(true);
  assert.equal(all.totalSize, 250);
});

await step('composite', async () => {
  const res = await conn.requestPost(`/services/data/v${conn.version}/composite`, {
    compositeRequest: [
      { method: 'GET', url: `/services/data/v${conn.version}/sobjects/Case/${caseId}?fields=Subject`, referenceId: 'c' },
      { method: 'GET', url: `/services/data/v${conn.version}/query?q=SELECT+Id+FROM+User+WHERE+Id+%3D+'@{c.OwnerId}'`, referenceId: 'u' },
    ],
  });
  assert.equal(res.compositeResponse.length, 2);
  assert.equal(res.compositeResponse[0].httpStatusCode, 200);
});

await step('Tooling query', async () => {
  const r = await conn.tooling.query(
    "SELECT QualifiedApiName, DataType FROM FieldDefinition WHERE EntityDefinition.QualifiedApiName = 'Case' AND QualifiedApiName = 'Enterpret_Summary__c'",
  );
  assert.equal(r.totalSize, 1);
  assert.equal(r.records[0].QualifiedApiName, 'Enterpret_Summary__c');
});

await step('Tooling describe', async () => {
  const d = await conn.tooling.describeSObject('CustomField');
  assert.equal(d.name, 'CustomField');
});

await step('limits', async () => {
  const l = await conn.limits();
  assert.ok(l.DailyApiRequests.Max > 0);
});

await step('Metadata list and read', async () => {
  const list = await conn.metadata.list([{ type: 'ConnectedApp' }], '62.0');
  const items = Array.isArray(list) ? list : [list];
  assert.ok(items.length > 0, 'at least one ConnectedApp');
  const name = items[0].fullName;
  const app = await conn.metadata.read('ConnectedApp', [name]);
  const one = Array.isArray(app) ? app[0] : app;
  assert.equal(one.fullName, name);
});

await step('Metadata describe', async () => {
  const d = await conn.metadata.describe('62.0');
  const names = (Array.isArray(d.metadataObjects) ? d.metadataObjects : [d.metadataObjects]).map((o) => o.xmlName);
  assert.ok(names.includes('ConnectedApp'), names.join(','));
});

await step('expired session is refused', async () => {
  const bad = new jsforce.Connection({ instanceUrl: process.env.SIM_URL, accessToken: '00Dbad!token', version: '62.0' });
  await assert.rejects(bad.query('SELECT Id FROM Case'), (e) => e.errorCode === 'INVALID_SESSION_ID');
});

if (failures) {
  console.log(`jsforce: ${failures} step(s) failed`);
  process.exit(1);
}
console.log('jsforce: all steps passed');
