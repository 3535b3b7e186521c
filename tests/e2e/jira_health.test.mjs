// jira_health.test.mjs — GET /webhooks/jira/health, the original's public probe of the webhook
// receiver: its fields (status, configured, webhook_secret_set, jira_domain) follow the
// configuration, the intake's numbers follow accepted webhooks only (a refused one counts
// nothing), the numbers outlive a restart, and no secret, token, e-mail or URL credential is
// ever in the answer.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startServer, api, identityEnv, removeDir } from './lib/server.mjs';

const SECRET = 'webhook-secret-for-health-0123456789';
const TOKEN = 'jira-api-token-never-shown';
const EMAIL = 'jira-bot@example.com';
const sign = (body) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
const event = (key) => JSON.stringify({ webhookEvent: 'jira:issue_updated', issue: { key } });

async function hook(server, body, signature = sign(body)) {
  return api(server, 'POST', '/webhooks/jira', {
    raw: body, headers: { 'Content-Type': 'application/json', 'X-Hub-Signature': signature },
  });
}

describe('jira webhook health', () => {
  const started = [];
  after(async () => {
    for (const s of started) {
      await s.stop();
      removeDir(s.dataDir);
    }
  });

  test('an unconfigured server answers anyone: nothing set, no events', async () => {
    const s = await startServer({ env: identityEnv() });
    started.push(s);
    const r = await api(s, 'GET', '/webhooks/jira/health'); // no credential at all
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, {
      status: 'ok', configured: false, webhook_secret_set: false, jira_domain: '(not set)',
      last_event_at: null, events_total: 0, events_queued: 0,
    });
    assert.equal((await api(s, 'POST', '/webhooks/jira/health')).status, 405);
  });

  test('configured: the host only, never the secret, token, e-mail or URL credentials; accepted events counted', async () => {
    const s = await startServer({
      env: identityEnv({
        JIRA_WEBHOOK_SECRET: SECRET,
        JIRA_BASE_URL: 'https://urluser:urlpass@acme.atlassian.net:8443/jira?x=1',
        JIRA_EMAIL: EMAIL,
        JIRA_API_TOKEN: TOKEN,
      }),
    });
    started.push(s);
    let r = await api(s, 'GET', '/webhooks/jira/health');
    assert.equal(r.status, 200);
    assert.equal(r.body.configured, true);
    assert.equal(r.body.webhook_secret_set, true);
    assert.equal(r.body.jira_domain, 'acme.atlassian.net');
    assert.equal(r.body.events_total, 0);
    assert.equal(r.body.last_event_at, null);

    // refused webhooks count nothing
    assert.equal((await hook(s, event('PROJ-1'), 'sha256=' + '0'.repeat(64))).status, 401);
    assert.equal((await hook(s, event('not a key'))).status, 422);
    r = await api(s, 'GET', '/webhooks/jira/health');
    assert.equal(r.body.events_total, 0);

    const before = Date.now();
    for (const key of ['PROJ-1', 'PROJ-2', 'PROJ-3']) {
      const h = await hook(s, event(key));
      assert.equal(h.status, 202, JSON.stringify(h.body));
    }
    r = await api(s, 'GET', '/webhooks/jira/health');
    assert.equal(r.body.events_total, 3);
    assert.ok(r.body.events_queued <= 3); // the scheduler may be processing them already
    assert.match(r.body.last_event_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    assert.ok(Date.parse(r.body.last_event_at) >= before - 2000, r.body.last_event_at);
    const text = JSON.stringify(r.body);
    for (const secret of [SECRET, TOKEN, EMAIL, 'urluser', 'urlpass', '8443']) {
      assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    }

    // the numbers are kept in the state store: a restart keeps them
    await s.stop({ keepData: true });
    const again = await startServer({
      dataDir: s.dataDir, env: identityEnv({ JIRA_WEBHOOK_SECRET: SECRET }),
    });
    started.push(again);
    const r2 = await api(again, 'GET', '/webhooks/jira/health');
    assert.equal(r2.body.events_total, 3);
    assert.equal(r2.body.last_event_at, r.body.last_event_at);
    assert.equal(r2.body.configured, false); // no JIRA_BASE_URL/EMAIL/TOKEN this time
    assert.equal(r2.body.webhook_secret_set, true);
  });
});
