// compat_routes.test.mjs — the original system's 75 routes (tests/e2e/lib/original_routes.mjs)
// against a real `da serve --demo`: every route whose feature has landed answers with its own
// handler (never the router's 404 or 405) for a caller with the role it needs, refuses a caller
// without that role (401 without a credential, 403 for an analyst on an admin route), and every
// pending route is still the router's 404/405, so a route that lands without leaving the pending
// list fails here. Also checks that the compatibility table in docs/API.md is the one the list
// generates. Prints the counts.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, api, identityEnv, adminAndAnalyst } from './lib/server.mjs';
import { ROUTES, ISSUES, fillPath, compatTable } from './lib/original_routes.mjs';

const ROUTER_404 = { detail: 'Not Found' };
const ROUTER_405 = { detail: 'Method Not Allowed' };

// True when the router itself answered (no handler ran): its exact 404 or 405 bodies.
function routerAnswered(r) {
  return (r.status === 404 && JSON.stringify(r.body) === JSON.stringify(ROUTER_404)) ||
    (r.status === 405 && JSON.stringify(r.body) === JSON.stringify(ROUTER_405));
}

function call(server, route, ctx, token) {
  const opts = { token };
  if (route.method !== 'GET' && route.body !== null) opts.body = route.body ?? {};
  return api(server, route.method, fillPath(route, ctx), opts);
}

describe('the original\'s routes', () => {
  let server;
  let tokens;
  let ctx;
  before(async () => {
    server = await startServer({ args: ['--demo'], env: identityEnv() });
    const { admin, analyst, analystId } = await adminAndAnalyst(server);
    tokens = { ANON: undefined, USER: analyst, KM: admin, ADMIN: admin };
    ctx = { userId: analystId, table: 'orders' };
  });
  after(async () => {
    if (server) assert.equal((await server.stop()).code, 0);
  });

  test('the list is the original\'s 75 routes, each once', () => {
    assert.equal(ROUTES.length, 75);
    assert.equal(ROUTES.filter((r) => r.path.startsWith('/api/') || r.path.startsWith('/auth/') ||
      r.path.startsWith('/webhooks/')).length, 66);
    assert.equal(new Set(ROUTES.map((r) => `${r.method} ${r.path}`)).size, 75);
    for (const r of ROUTES) {
      assert.ok(['ANON', 'USER', 'KM', 'ADMIN'].includes(r.role), `${r.method} ${r.path}`);
      if (r.pending) assert.ok(ISSUES[r.pending], `${r.method} ${r.path}: ${r.pending}`);
    }
  });

  test('landed routes answer from their handler for the right role, and refuse the wrong one', async () => {
    const failures = [];
    for (const r of ROUTES.filter((x) => !x.pending)) {
      const role = r.daRole || r.role;
      // a table read needs access to the table: the admin has it, the analyst has no grant
      const token = r.table ? tokens.ADMIN : tokens[role];
      const res = await call(server, r, ctx, token);
      const what = `${r.method} ${fillPath(r, ctx)} as ${r.table ? 'ADMIN' : role}: ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`;
      if (routerAnswered(res)) failures.push(`router answered: ${what}`);
      else if (role !== 'ANON' && (res.status === 401 || res.status === 403)) failures.push(`refused: ${what}`);
      if (role === 'ANON') continue;
      const anon = await call(server, r, ctx, undefined);
      if (anon.status !== 401) failures.push(`without a credential, not 401: ${r.method} ${r.path}: ${anon.status}`);
      if (role === 'ADMIN' || role === 'KM') {
        const user = await call(server, r, ctx, tokens.USER);
        if (user.status !== 403) failures.push(`an analyst, not 403: ${r.method} ${r.path}: ${user.status}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  test('pending routes are still the router\'s 404/405: a route that lands must leave the list', async () => {
    const landed = [];
    for (const r of ROUTES.filter((x) => x.pending)) {
      const res = await call(server, r, ctx, tokens[r.role]);
      if (!routerAnswered(res)) {
        landed.push(`${r.method} ${r.path} (pending ${r.pending}) answers ${res.status} ${JSON.stringify(res.body).slice(0, 120)}`);
      }
    }
    assert.deepEqual(landed, []);
  });

  test('the router\'s own answers are told apart from a resource\'s "not found"', async () => {
    const unknown = await api(server, 'GET', '/api/no-such-route', { token: tokens.USER });
    assert.ok(routerAnswered(unknown));
    const wrongMethod = await api(server, 'PATCH', '/api/health');
    assert.ok(routerAnswered(wrongMethod));
    assert.equal(wrongMethod.headers.get('allow'), 'GET, HEAD');
    const missingUser = await api(server, 'DELETE', '/api/users/no-such-user', { token: tokens.ADMIN });
    assert.equal(missingUser.status, 404);
    assert.ok(!routerAnswered(missingUser), JSON.stringify(missingUser.body));
  });

  test('docs/API.md carries the table this list generates', () => {
    const doc = readFileSync(new URL('../../docs/API.md', import.meta.url), 'utf8');
    assert.ok(doc.includes(compatTable()),
      'docs/API.md: the compatibility table is stale; regenerate it with node scripts/compat-table.mjs');
  });

  test('counts', () => {
    const pending = ROUTES.filter((r) => r.pending);
    const byIssue = {};
    for (const r of pending) byIssue[r.pending] = (byIssue[r.pending] || 0) + 1;
    const parts = Object.entries(byIssue).map(([k, n]) => `${k} ${ISSUES[k]}: ${n}`);
    console.log(`original routes: ${ROUTES.length}; answer in da: ${ROUTES.length - pending.length}; ` +
      `pending: ${pending.length} (${parts.join(', ')})`);
  });
});
