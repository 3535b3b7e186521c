// jira_bench.mjs — the Jira webhook path under load, against a real `da serve` and the fake Jira
// (tests/fakes/jira.mjs): signed webhooks sent open-loop at RATE a second for SECONDS seconds
// over a pool of kept-alive connections; prints how many got 202 and the latency percentiles
// (request start to response end), then the time from the burst's end until the catalog
// serves every event: one `da extract jira` over the whole queue plus the server's rebuild,
// polled through /api/query. Usage: node bench/jira_bench.mjs [RATE] [SECONDS] [ISSUES]
import http from 'node:http';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { startServer, api, identityEnv, adminAndAnalyst, cleanEnv, DA_BIN } from '../tests/e2e/lib/server.mjs';
import { startFakeJira, makeIssue } from '../tests/fakes/jira.mjs';

const RATE = Number(process.argv[2] || 1000);
const SECONDS = Number(process.argv[3] || 5);
const ISSUES = Number(process.argv[4] || 2000);
const SECRET = 'bench-webhook-secret-0123456789abcdef';
const JIRA = { email: 'bench@example.com', token: 'bench-token' };

const fake = await startFakeJira(JIRA);
for (let i = 1; i <= ISSUES; i++) {
  const m = String(1 + (i % 12)).padStart(2, '0');
  fake.setIssue(makeIssue(`BENCH-${i}`, {
    created: `2024-${m}-10T09:00:00.000+0100`, updated: `2024-${m}-20T09:00:00.000+0100`,
    comments: ['a comment', 'another'], worklogs: [3600], histories: ['In Progress', 'Done'],
  }));
}
const server = await startServer({ env: identityEnv({ JIRA_WEBHOOK_SECRET: SECRET }) });
const { admin } = await adminAndAnalyst(server);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const { port } = new URL(server.url);

function post(body) {
  const sig = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({
      host: '127.0.0.1', port, path: '/webhooks/jira', method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'x-hub-signature': sig, 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    });
    req.on('error', () => resolve({ status: 0, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    req.end(body);
  });
}

const total = RATE * SECONDS;
const keys = new Set();
const pending = [];
const start = performance.now();
for (let i = 0; i < total; i++) {
  const due = start + (i * 1000) / RATE;
  const wait = due - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  const key = `BENCH-${1 + (i % ISSUES)}`;
  keys.add(key);
  const body = JSON.stringify({ timestamp: Date.now(), webhookEvent: 'jira:issue_updated', issue: { id: String(i), key, fields: {} } });
  pending.push(post(body));
}
const results = await Promise.all(pending);
const burstEnd = performance.now();
const sent = (burstEnd - start) / 1000;
const ok = results.filter((r) => r.status === 202).length;
const lat = results.map((r) => r.ms).sort((a, b) => a - b);
const pct = (p) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))].toFixed(2);
console.log(`webhooks: ${total} sent in ${sent.toFixed(2)} s (${(total / sent).toFixed(0)}/s offered), ${ok} answered 202`);
console.log(`latency ms: p50 ${pct(50)}  p90 ${pct(90)}  p99 ${pct(99)}  max ${lat[lat.length - 1].toFixed(2)}`);

const t1 = performance.now();
const ex = await new Promise((resolve) => {
  const child = spawn(DA_BIN, ['extract', 'jira', '--source', 'jira', '--json', '--data-dir', server.dataDir], {
    env: cleanEnv({ JIRA_BASE_URL: fake.url, JIRA_EMAIL: JIRA.email, JIRA_API_TOKEN: JIRA.token }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.on('exit', (code) => resolve({ code, out }));
});
const t2 = performance.now();
if (ex.code !== 0) throw new Error(`da extract jira failed: ${ex.out}`);
let served = 0;
for (;;) {
  const r = await api(server, 'POST', '/api/query', { token: admin, body: { sql: 'SELECT count(*) FROM jira_issues' } });
  if (r.status === 200) served = r.body.rows[0][0];
  if (served === keys.size) break;
  await new Promise((res) => setTimeout(res, 20));
}
const t3 = performance.now();
console.log(`extract: ${((t2 - t1) / 1000).toFixed(2)} s for ${total} events (${keys.size} issues): ${ex.out.trim()}`);
console.log(`catalog shows every event ${((t3 - burstEnd) / 1000).toFixed(2)} s after the burst's end (extract ${((t2 - t1) / 1000).toFixed(2)} s + rebuild ${((t3 - t2) / 1000).toFixed(2)} s)`);
agent.destroy();
await server.stop();
await fake.stop();
