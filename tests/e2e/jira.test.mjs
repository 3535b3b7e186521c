// jira.test.mjs — the Jira connector end to end: a real `da serve` receives signed webhooks
// (POST /webhooks/jira) into its queue, `da extract jira` fetches each issue from a fake Jira
// (tests/fakes/jira.mjs) and writes the six jira_* tables as monthly partitions, and the
// server serves them. Covers the signature (good, bad, missing, no secret at all), oversized
// and malformed bodies (refused, nothing queued), a burst of 1,000 webhooks processed once
// each, duplicate and out-of-order events, deletion, that only the touched month's file
// changes, the backfill resuming after a kill, and access through /api/query.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DA_BIN, startServer, api, identityEnv, tempDir, removeDir, adminAndAnalyst, cleanEnv, runDa,
} from './lib/server.mjs';
import { startFakeJira, makeIssue } from '../fakes/jira.mjs';

const SECRET = 'webhook-secret-for-tests-0123456789';
const JIRA = { email: 'bot@example.com', token: 'jira-api-token-s3cr3t' };

const sign = (body, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const event = (key, webhookEvent = 'jira:issue_updated') =>
  JSON.stringify({ timestamp: Date.now(), webhookEvent, issue_event_type_name: 'issue_generic', issue: { id: '1', key, fields: {} } });

// Runs `da extract jira` without blocking this process (the fake Jira lives in it).
function extract(dataDir, fake, args = [], { onSpawn, token = JIRA.token } = {}) {
  return new Promise((resolve) => {
    const child = spawn(DA_BIN, ['extract', 'jira', '--source', 'jira', '--json', '--data-dir', dataDir, ...args], {
      env: cleanEnv({ JIRA_BASE_URL: fake.url, JIRA_EMAIL: JIRA.email, JIRA_API_TOKEN: token }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    if (onSpawn) onSpawn(child);
    child.on('exit', (code, signal) => {
      let json = null;
      try { json = JSON.parse(stdout.trim().split('\n').pop()); } catch { /* not JSON */ }
      resolve({ code, signal, stdout, stderr, json });
    });
  });
}

// Posts a webhook over a pool of at most 32 kept-alive connections, as a webhook sender
// would (the server allows 128 connections per address).
const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
function hook(server, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const h = { 'Content-Type': 'application/json', 'X-Hub-Signature': sign(body), ...headers };
    for (const k of Object.keys(h)) if (h[k] === undefined) delete h[k];
    const req = http.request(`${server.url}/webhooks/jira`, { method: 'POST', agent, headers: h }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let parsed = text;
        try { parsed = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

// Waits until the server's catalog answers sql as expected (it picks up a new extract itself).
async function queryWhen(server, token, sql, ok, what) {
  let last;
  for (let i = 0; i < 300; i++) {
    last = await api(server, 'POST', '/api/query', { token, body: { sql } });
    if (last.status === 200 && ok(last.body.rows)) return last.body.rows;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what}: ${last.status} ${JSON.stringify(last.body)}`);
}

const month = (m, day = 10) => `2024-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}T09:00:00.000+0100`;

describe('jira connector', () => {
  let fake;
  let server;
  let admin;
  let analyst;
  before(async () => {
    fake = await startFakeJira(JIRA);
    server = await startServer({ env: identityEnv({ JIRA_WEBHOOK_SECRET: SECRET }) });
    ({ admin, analyst } = await adminAndAnalyst(server));
  });
  after(async () => {
    agent.destroy();
    if (server) {
      assert.equal((await server.stop()).code, 0);
      removeDir(server.dataDir); // restarted on the same folder: not removed by stop
    }
    if (fake) await fake.stop();
  });

  test('without JIRA_WEBHOOK_SECRET every webhook is refused with 503 and a log line', async () => {
    const bare = await startServer({ env: identityEnv() });
    try {
      const body = event('PROJ-1');
      const r = await hook(bare, body);
      assert.equal(r.status, 503, JSON.stringify(r.body));
      assert.match(r.body.detail, /not configured/);
      // the log line reaches us through a pipe, maybe after the answer
      for (let i = 0; i < 50 && !/JIRA_WEBHOOK_SECRET is not set/.test(bare.log); i++) {
        await new Promise((res) => setTimeout(res, 100));
      }
      assert.match(bare.log, /JIRA_WEBHOOK_SECRET is not set/);
    } finally {
      await bare.stop();
    }
  });

  test('bad, missing or foreign signatures get 401; oversized or malformed bodies 4xx; nothing is queued', async () => {
    const body = event('PROJ-1');
    assert.equal((await hook(server, body, { 'X-Hub-Signature': sign(body, 'another-secret') })).status, 401);
    assert.equal((await hook(server, body, { 'X-Hub-Signature': sign(`${body} `) })).status, 401);
    assert.equal((await hook(server, body, { 'X-Hub-Signature': sign(body).replace('sha256=', '') })).status, 401);
    assert.equal((await hook(server, body, { 'X-Hub-Signature': 'sha256=zz' })).status, 401);
    // X-Hub-Signature-256, when present, is the one checked
    assert.equal((await hook(server, body, { 'X-Hub-Signature-256': sign(body, 'another-secret') })).status, 401);
    assert.equal((await hook(server, body, { 'X-Hub-Signature': undefined })).status, 401);
    // signed, but refused for what they hold
    const big = JSON.stringify({ webhookEvent: 'jira:issue_updated', issue: { key: 'PROJ-1' }, pad: 'x'.repeat(2 * 1024 * 1024) });
    assert.equal((await hook(server, big)).status, 413);
    assert.equal((await hook(server, '{"webhookEvent": "jira:issue_updated", "issue": {"key": "PROJ-1"')).status, 400);
    assert.equal((await hook(server, '[1, 2]')).status, 400);
    for (const key of ['../../etc/passwd', 'proj-1', 'PROJ-1/../X-2', 'P-1', 'PROJ-01x', 'PROJ-', '', 'PROJ-1?x=1', 'PROJ-1%2F']) {
      const r = await hook(server, event(key));
      assert.equal(r.status, 422, `${key}: ${JSON.stringify(r.body)}`);
    }
    assert.equal((await hook(server, JSON.stringify({ webhookEvent: 'jira:issue_updated', issue: { key: 7 } }))).status, 422);
    assert.equal((await hook(server, JSON.stringify({ issue: { key: 'PROJ-1' } }))).status, 422);
    assert.equal((await hook(server, JSON.stringify({ webhookEvent: 'x'.repeat(200), issue: { key: 'PROJ-1' } }))).status, 422);
    fake.resetCounts();
    const r = await extract(server.dataDir, fake);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.events, 0, 'nothing was queued');
    assert.equal(fake.requests, 0, 'and Jira was not called');
    assert.ok(!server.log.includes(SECRET), 'the secret is never logged');
  });

  test('1,000 webhooks in a burst are all accepted, then one extract processes each once', async () => {
    for (let i = 1; i <= 1000; i++) {
      fake.setIssue(makeIssue(`PROJ-${i}`, {
        created: month(1 + (i % 3)), updated: month(1 + (i % 3), 20),
        comments: i % 2 ? ['first comment'] : [], worklogs: i % 5 ? [] : [3600],
        links: i % 7 ? [] : ['OTHER-1'], attachments: i % 11 ? [] : ['log.txt'], histories: ['In Progress'],
      }));
    }
    const statuses = [];
    const keys = [...Array(1000).keys()].map((i) => `PROJ-${i + 1}`);
    for (let i = 0; i < keys.length; i += 100) {
      const batch = await Promise.all(keys.slice(i, i + 100).map((k) => hook(server, event(k))));
      statuses.push(...batch.map((b) => b.status));
    }
    assert.deepEqual([...new Set(statuses)], [202]);
    fake.resetCounts();
    const r = await extract(server.dataDir, fake);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.events, 1000);
    assert.equal(r.json.issues, 1000);
    assert.equal(r.json.tables, 6);
    for (const k of keys) assert.equal(fake.count(`/rest/api/3/issue/${k}`), 1, `${k} fetched once`);
    assert.ok(!r.stderr.includes(JIRA.token), 'the token is never printed');

    await queryWhen(server, admin, 'SELECT count(*), count(DISTINCT issue_key) FROM jira_issues',
      (rows) => rows[0][0] === 1000 && rows[0][1] === 1000, 'all 1,000 issues served');
    const counts = await queryWhen(server, admin,
      "SELECT (SELECT count(*) FROM jira_comments), (SELECT count(*) FROM jira_worklogs), (SELECT count(*) FROM jira_issuelinks), (SELECT count(*) FROM jira_attachments), (SELECT count(*) FROM jira_changelog)",
      () => true, 'child tables');
    assert.deepEqual(counts[0], [500, 200, 142, 90, 1000]);
    const again = await extract(server.dataDir, fake);
    assert.equal(again.json.events, 0, 'the queue is empty after the commit');
  });

  test('issue rows: ADF as text, users, times in UTC, custom fields, child rows', async () => {
    fake.setIssue(makeIssue('ADF-1', {
      created: '2024-03-05T23:30:00.000-0200', updated: '2024-03-06T10:00:00.000+0000',
      description: {
        type: 'doc', version: 1, content: [
          { type: 'paragraph', content: [{ type: 'text', text: 'Hello ' }, { type: 'mention', attrs: { id: 'acc-1', text: '@Ann' } }] },
          { type: 'bulletList', content: [{ type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'one' }] }] }] },
          { type: 'codeBlock', attrs: { language: 'sql' }, content: [{ type: 'text', text: 'SELECT 1' }] },
        ],
      },
      comments: ['a comment'], attachments: ['a.png'],
    }));
    const adfEvent = event('ADF-1');
    assert.equal((await hook(server, adfEvent, { 'X-Hub-Signature': undefined, 'X-Hub-Signature-256': sign(adfEvent) })).status, 202);
    const r = await extract(server.dataDir, fake);
    assert.equal(r.code, 0, r.stderr);
    const rows = await queryWhen(server, admin,
      "SELECT description, reporter_email, assignee_name, CAST(created_at AS VARCHAR), issue_url, custom_fields, labels, status_category FROM jira_issues WHERE issue_key = 'ADF-1'",
      (x) => x.length === 1, 'ADF-1 served');
    const [description, reporter, assignee, created, url, custom, labels, category] = rows[0];
    assert.equal(description, 'Hello @Ann\n- one\nSELECT 1');
    assert.equal(reporter, 'ann@example.com');
    assert.equal(assignee, 'Bob');
    assert.equal(created, '2024-03-06 01:30:00', 'UTC, from a -0200 offset');
    assert.equal(url, `${fake.url}/browse/ADF-1`);
    assert.deepEqual(JSON.parse(custom), { customfield_10004: 'Sev 2', customfield_10330: 'customer context', customfield_10511: ['ci-1', 'ci-2'] });
    assert.equal(labels, '["backend"]');
    assert.equal(category, 'To Do');
    const c = await queryWhen(server, admin, "SELECT body, author_email FROM jira_comments WHERE issue_key = 'ADF-1'", (x) => x.length === 1, 'comment');
    assert.deepEqual(c[0], ['a comment', 'carol@example.com']);
    const a = await queryWhen(server, admin, "SELECT filename, size_bytes, mime_type FROM jira_attachments WHERE issue_key = 'ADF-1'", (x) => x.length === 1, 'attachment');
    assert.deepEqual(a[0], ['a.png', 1234, 'text/plain']);
  });

  test('a duplicate event leaves one row; an older version after a newer one is not applied', async () => {
    fake.setIssue(makeIssue('DUP-1', { created: month(5), updated: '2024-06-01T10:00:00.000+0000', summary: 'newest', comments: ['c1', 'c2'] }));
    assert.equal((await hook(server, event('DUP-1'))).status, 202);
    assert.equal((await hook(server, event('DUP-1'))).status, 202);
    let r = await extract(server.dataDir, fake);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.events, 2);
    assert.equal(r.json.issues, 1, 'two events of one key, one fetch');
    await queryWhen(server, admin, "SELECT summary FROM jira_issues WHERE issue_key = 'DUP-1'",
      (x) => x.length === 1 && x[0][0] === 'newest', 'one newest row');
    // the same event again, processed in a later run: still one row, comments not doubled
    assert.equal((await hook(server, event('DUP-1'))).status, 202);
    r = await extract(server.dataDir, fake);
    assert.equal(r.code, 0, r.stderr);
    await queryWhen(server, admin, "SELECT (SELECT count(*) FROM jira_issues WHERE issue_key = 'DUP-1'), (SELECT count(*) FROM jira_comments WHERE issue_key = 'DUP-1')",
      (x) => x[0][0] === 1 && x[0][1] === 2, 'no duplicates');
    // Jira answers an older version (out of order): the newer row stays
    fake.setIssue(makeIssue('DUP-1', { created: month(5), updated: '2024-05-20T10:00:00.000+0000', summary: 'older' }));
    assert.equal((await hook(server, event('DUP-1'))).status, 202);
    r = await extract(server.dataDir, fake);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.stale, 1);
    const rows = await queryWhen(server, admin, "SELECT summary FROM jira_issues WHERE issue_key = 'DUP-1'", (x) => x.length === 1, 'DUP-1');
    assert.equal(rows[0][0], 'newest');
  });

  test('issue_deleted removes the issue and its child rows; so does a 404 from Jira', async () => {
    fake.setIssue(makeIssue('DEL-1', { created: month(7), comments: ['x'], worklogs: [60], histories: ['Done'] }));
    fake.setIssue(makeIssue('DEL-2', { created: month(7), comments: ['y'] }));
    fake.setIssue(makeIssue('DEL-3', { created: month(7) }));
    for (const k of ['DEL-1', 'DEL-2', 'DEL-3']) assert.equal((await hook(server, event(k))).status, 202);
    let r = await extract(server.dataDir, fake);
    assert.equal(r.code, 0, r.stderr);
    const count = "SELECT (SELECT count(*) FROM jira_issues WHERE issue_key LIKE 'DEL-%'), (SELECT count(*) FROM jira_comments WHERE issue_key LIKE 'DEL-%'), (SELECT count(*) FROM jira_worklogs WHERE issue_key LIKE 'DEL-%'), (SELECT count(*) FROM jira_changelog WHERE issue_key LIKE 'DEL-%')";
    await queryWhen(server, admin, count, (x) => x[0].join() === '3,2,1,1', 'three DEL issues');
    assert.equal((await hook(server, event('DEL-1', 'jira:issue_deleted'))).status, 202);
    fake.deleteIssue('DEL-2');
    assert.equal((await hook(server, event('DEL-2'))).status, 202);
    // a comment deleted is not the issue deleted
    assert.equal((await hook(server, event('DEL-3', 'comment_deleted'))).status, 202);
    r = await extract(server.dataDir, fake);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.deleted, 2);
    await queryWhen(server, admin, count, (x) => x[0].join() === '1,0,0,0', 'only DEL-3 left');
  });

  test('an update rewrites only its month: the other months keep their files and digests', async () => {
    const files = async () => {
      const m = await api(server, 'GET', '/api/sync/manifest', { token: admin });
      assert.equal(m.status, 200);
      const out = {};
      for (const t of ['jira_issues', 'jira_comments']) {
        for (const f of m.body.tables[t].files) out[`${t}/${f.name}`] = f.sha256;
      }
      return out;
    };
    const before = await files();
    assert.ok(before['jira_issues/2024-02.parquet'] && before['jira_issues/2024-01.parquet'] && before['jira_issues/2024-03.parquet']);
    const changed = makeIssue('PROJ-1', { created: month(2), updated: month(8), summary: 'changed', comments: ['new comment'] });
    fake.setIssue(changed);
    assert.equal((await hook(server, event('PROJ-1'))).status, 202);
    const r = await extract(server.dataDir, fake);
    assert.equal(r.code, 0, r.stderr);
    await queryWhen(server, admin, "SELECT summary FROM jira_issues WHERE issue_key = 'PROJ-1'", (x) => x[0]?.[0] === 'changed', 'PROJ-1 changed');
    let after;
    for (let i = 0; i < 100; i++) { // the manifest follows the catalog
      after = await files();
      if (after['jira_issues/2024-02.parquet'] !== before['jira_issues/2024-02.parquet']) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    for (const [name, sha] of Object.entries(before)) {
      if (name.endsWith('/2024-02.parquet')) assert.notEqual(after[name], sha, `${name} rewritten`);
      else assert.equal(after[name], sha, `${name} kept its bytes`);
    }
  });

  test('the tables are read through /api/query by an admin, not by an analyst without a grant', async () => {
    const ok = await api(server, 'POST', '/api/query', { token: admin, body: { sql: 'SELECT count(*) FROM jira_issues' } });
    assert.equal(ok.status, 200);
    for (const t of ['jira_issues', 'jira_comments', 'jira_attachments']) {
      const no = await api(server, 'POST', '/api/query', { token: analyst, body: { sql: `SELECT count(*) FROM ${t}` } });
      assert.ok(no.status === 403 || no.status === 404, `${t}: ${no.status} ${JSON.stringify(no.body)}`);
    }
  });

  test('a Jira failure fails the run and keeps the events queued', async () => {
    fake.setIssue(makeIssue('FAIL-1', { created: month(9) }));
    fake.failIssue('FAIL-1', 500);
    assert.equal((await hook(server, event('FAIL-1'))).status, 202);
    let r = await extract(server.dataDir, fake);
    assert.equal(r.code, 1);
    assert.match(r.stderr.trim().split('\n').pop(), /da extract jira: Jira issue FAIL-1: HTTP 500/);
    fake.failIssue('FAIL-1', null);
    r = await extract(server.dataDir, fake);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.events, 1, 'the event stayed queued');
    // wrong credentials: the run fails saying so, never printing the token; the event stays
    assert.equal((await hook(server, event('FAIL-1'))).status, 202);
    const wrong = await extract(server.dataDir, { url: fake.url }, [], { token: 'wrong-token-zzz' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr.trim().split('\n').pop(), /credentials refused \(HTTP 401\)/);
    assert.ok(!wrong.stderr.includes('wrong-token-zzz') && !wrong.stdout.includes('wrong-token-zzz'));
    r = await extract(server.dataDir, fake);
    assert.equal(r.json.events, 1);
  });

  test('a run killed midway loses no event: the next run processes them all', async () => {
    for (let i = 1; i <= 5; i++) fake.setIssue(makeIssue(`KILL-${i}`, { created: month(10), comments: ['k'] }));
    for (let i = 1; i <= 5; i++) assert.equal((await hook(server, event(`KILL-${i}`))).status, 202);
    fake.holdIssue('KILL-3'); // KILL-1 and KILL-2 are fetched, then the run hangs
    let child;
    const killed = extract(server.dataDir, fake, [], { onSpawn: (c) => { child = c; } });
    await fake.held;
    child.kill('SIGKILL');
    assert.equal((await killed).signal, 'SIGKILL');
    fake.releaseHolds();
    const r = await extract(server.dataDir, fake);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.events, 5, 'every event was still queued');
    assert.equal(r.json.issues, 5);
    await queryWhen(server, admin, "SELECT count(*), count(DISTINCT issue_key) FROM jira_comments WHERE issue_key LIKE 'KILL-%'",
      (x) => x[0][0] === 5 && x[0][1] === 5, 'five KILL issues, each once');
  });

  test('queued events survive a restart of the server', async () => {
    fake.setIssue(makeIssue('RST-1', { created: month(11) }));
    assert.equal((await hook(server, event('RST-1'))).status, 202);
    assert.equal((await server.stop({ keepData: true })).code, 0);
    const dataDir = server.dataDir;
    server = await startServer({ dataDir, env: identityEnv({ JIRA_WEBHOOK_SECRET: SECRET }) });
    ({ admin, analyst } = await adminAndAnalyst(server, 'ana2@example.com'));
    const r = await extract(server.dataDir, fake);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.events, 1);
    await queryWhen(server, admin, "SELECT count(*) FROM jira_issues WHERE issue_key = 'RST-1'", (x) => x[0][0] === 1, 'RST-1 served');
  });
});

describe('jira backfill', () => {
  let fake;
  let dataDir;
  before(async () => {
    fake = await startFakeJira(JIRA);
    dataDir = tempDir('da-e2e-jira-');
    for (let i = 1; i <= 10; i++) fake.setIssue(makeIssue(`BF-${i}`, { created: month(1 + (i % 4)), updated: month(6), comments: ['c'] }));
    fake.setIssue(makeIssue('OLD-1', { created: month(1), updated: '2023-01-01T00:00:00.000+0000' }));
  });
  after(async () => {
    if (fake) await fake.stop();
    removeDir(dataDir);
  });

  test('--since pages the search; killed midway, it goes on from the last committed page', async () => {
    fake.holdSearchAfter(2); // pages 1 and 2 are answered, page 3 hangs
    let child;
    const killed = extract(dataDir, fake, ['--since', '2024-02-01', '--page-size', '3'], { onSpawn: (c) => { child = c; } });
    await fake.held;
    // page 2 committed before page 3 was asked for: its cursor is saved
    const state = join(dataDir, 'extracts', 'jira', 'backfill.json');
    assert.ok(existsSync(state));
    assert.equal(JSON.parse(readFileSync(state, 'utf8')).pages, 2);
    child.kill('SIGKILL');
    assert.equal((await killed).signal, 'SIGKILL');
    fake.releaseHolds();
    fake.resetCounts();
    const r = await extract(dataDir, fake, ['--since', '2024-02-01', '--page-size', '3']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.resumed, true);
    assert.equal(fake.searches, 2, 'pages 3 and 4 only');
    assert.equal(r.json.issues, 4);
    assert.ok(!existsSync(state), 'the cursor is removed at the end');
    const server = await startServer({ dataDir, env: identityEnv() });
    try {
      const { admin } = await adminAndAnalyst(server);
      const rows = await queryWhen(server, admin, 'SELECT count(*), count(DISTINCT issue_key), (SELECT count(*) FROM jira_comments) FROM jira_issues',
        (x) => x[0][0] === 10, 'ten issues');
      assert.deepEqual(rows[0], [10, 10, 10], 'each issue once, OLD-1 not updated since');
    } finally {
      await server.stop({ keepData: true });
    }
  });

  test('a backfill that finds nothing makes six empty tables, a valid extract', async () => {
    const dir = tempDir('da-e2e-jira-empty-');
    try {
      const r = await extract(dir, fake, ['--since', '2030-01-01']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json.tables, 6);
      assert.equal(r.json.rows, 0);
      const v = runDa(['extract', 'validate', join(dir, 'extracts', 'jira')]);
      assert.equal(v.code, 0, v.stdout + v.stderr);
      assert.match(v.stdout, /valid, 6 local and 0 remote tables usable, 0 problems/);
    } finally {
      removeDir(dir);
    }
  });

  test('--since takes only a date', async () => {
    for (const bad of ['2024-02-01" OR 1=1', 'yesterday', '2024-13-01']) {
      const r = await extract(dataDir, fake, ['--since', bad]);
      assert.equal(r.code, 2, bad);
    }
  });
});

// With Jira configured on the server, an accepted webhook asks the scheduler for a run of the
// source "jira" (a job with trigger "webhook"): nobody runs `da extract jira` by hand. A burst
// is one run, and events that arrive while it runs get one more run after it.
describe('jira webhooks run the connector through the scheduler', () => {
  let fake;
  let server;
  let admin;
  before(async () => {
    fake = await startFakeJira(JIRA);
    server = await startServer({
      env: identityEnv({
        JIRA_WEBHOOK_SECRET: SECRET, JIRA_BASE_URL: fake.url, JIRA_EMAIL: JIRA.email, JIRA_API_TOKEN: JIRA.token,
      }),
    });
    ({ admin } = await adminAndAnalyst(server));
  });
  after(async () => {
    if (server) await server.stop();
    if (fake) await fake.stop();
  });

  test('a burst of webhooks is served without a manual run, and a late event gets its own run', async () => {
    const keys = [...Array(200).keys()].map((i) => `AUTO-${i + 1}`);
    for (const k of keys) fake.setIssue(makeIssue(k, { created: month(2), updated: month(2, 20) }));
    const statuses = await Promise.all(keys.map((k) => hook(server, event(k))));
    assert.deepEqual([...new Set(statuses.map((s) => s.status))], [202]);
    await queryWhen(server, admin, 'SELECT count(*) FROM jira_issues',
      (rows) => rows[0][0] === 200, 'the burst served by the scheduler\'s run');
    const late = makeIssue('AUTO-999', { created: month(3), updated: month(3, 20) });
    fake.setIssue(late);
    assert.equal((await hook(server, event('AUTO-999'))).status, 202);
    await queryWhen(server, admin, "SELECT count(*) FROM jira_issues WHERE issue_key = 'AUTO-999'",
      (rows) => rows[0][0] === 1, 'the late event served');
    const jobs = await api(server, 'GET', '/api/jobs?source=jira', { token: admin });
    assert.equal(jobs.status, 200, JSON.stringify(jobs.body));
    const list = jobs.body.jobs;
    assert.ok(list.length >= 2 && list.length < 200, `one run per burst, not per event: ${list.length}`);
    assert.ok(list.every((j) => j.trigger === 'webhook'), JSON.stringify(list));
    assert.ok(list.some((j) => j.state === 'succeeded'), JSON.stringify(list));
  });
});
