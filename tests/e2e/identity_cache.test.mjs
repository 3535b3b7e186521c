// identity_cache.test.mjs — identity and audit off the request path, on a real server:
// credentials are answered from the server's in-memory cache once verified, yet a revoked
// token, a demotion, a logout and a deactivation apply on the very next request with the cache
// warm; and an audit row is on disk for every query the client saw answered, even when the
// server is killed with SIGKILL in the middle of a query load.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, login, identityEnv, tempDir, removeDir, adminAndAnalyst, ADMIN } from './lib/server.mjs';

// Uses a credential a few times, so its verification is cached.
async function warm(server, token, path = '/api/me') {
  for (let i = 0; i < 3; i++) {
    const r = await api(server, 'GET', path, { token });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
}

// The value of a counter series in /metrics, 0 when absent.
async function counter(server, series) {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

describe('the credential cache never outlives a change', () => {
  let server;
  let admin;
  before(async () => {
    server = await startServer({ env: identityEnv() });
    admin = await login(server, ADMIN.email, ADMIN.password);
  });
  after(async () => {
    assert.equal((await server.stop()).code, 0);
  });

  async function newUser(email, role) {
    const password = `${role}-password-123`;
    const r = await api(server, 'POST', '/api/users', { token: admin, body: { email, role, password } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return { id: r.body.id, token: await login(server, email, password) };
  }

  test('warm credentials are answered from memory', async () => {
    const before = await counter(server, 'da_credential_cache_total{result="hit"}');
    await warm(server, admin);
    assert.ok(await counter(server, 'da_credential_cache_total{result="hit"}') >= before + 2);
  });

  test('a revoked personal access token fails on the very next request', async () => {
    const created = await api(server, 'POST', '/api/tokens', { token: admin, body: { name: 'warm' } });
    assert.equal(created.status, 201);
    const pat = created.body.token;
    await warm(server, pat);
    assert.equal((await api(server, 'DELETE', `/api/tokens/${created.body.id}`, { token: admin })).status, 200);
    assert.equal((await api(server, 'GET', '/api/me', { token: pat })).status, 401);
    assert.equal((await api(server, 'GET', '/api/catalog/tables', { token: pat })).status, 401);
  });

  test('a demotion from admin to analyst takes effect on the next request', async () => {
    const u = await newUser('demoted@example.com', 'admin');
    const pat = (await api(server, 'POST', '/api/tokens', { token: u.token, body: { name: 'ci' } })).body.token;
    await warm(server, u.token, '/api/users');
    await warm(server, pat, '/api/users');
    const r = await api(server, 'PATCH', `/api/users/${u.id}`, { token: admin, body: { role: 'analyst' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    for (const t of [u.token, pat]) {
      assert.equal((await api(server, 'GET', '/api/users', { token: t })).status, 403);
      assert.equal((await api(server, 'GET', '/api/me', { token: t })).body.role, 'analyst');
    }
  });

  test('logout kills the session on the next request', async () => {
    const u = await newUser('leaver@example.com', 'analyst');
    await warm(server, u.token);
    assert.equal((await api(server, 'POST', '/auth/logout', { token: u.token })).status, 200);
    assert.equal((await api(server, 'GET', '/api/me', { token: u.token })).status, 401);
  });

  test('deactivation ends sessions and tokens on the next request', async () => {
    const u = await newUser('gone@example.com', 'analyst');
    const pat = (await api(server, 'POST', '/api/tokens', { token: u.token, body: { name: 'ci' } })).body.token;
    await warm(server, u.token);
    await warm(server, pat);
    const r = await api(server, 'PATCH', `/api/users/${u.id}`, { token: admin, body: { active: false } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await api(server, 'GET', '/api/me', { token: u.token })).status, 401);
    assert.equal((await api(server, 'GET', '/api/me', { token: pat })).status, 401);
  });
});

describe('audit rows survive kill -9 under a query load', () => {
  test('every query the client saw answered has its audit row after SIGKILL', async () => {
    const dataDir = tempDir();
    const env = identityEnv({ DA_QUERY_MAX_CONCURRENT: '32' });
    try {
      const victim = await startServer({ dataDir, args: ['--demo'], env });
      const { analyst } = await adminAndAnalyst(victim);
      const WANT = 200;
      let answered = 0;
      let killed = false;
      // 16 clients ask until the server dies; SIGKILL lands the moment the 200th answer is in,
      // with other queries in flight
      const client = async () => {
        for (;;) {
          let r;
          try {
            r = await fetch(`${victim.url}/api/query`, {
              method: 'POST',
              headers: { Authorization: `Bearer ${analyst}`, 'Content-Type': 'application/json' },
              body: JSON.stringify({ sql: 'SELECT 42 AS answer' }),
            });
            await r.text();
          } catch {
            return; // the server is gone
          }
          if (r.status === 200) answered++;
          if (answered >= WANT && !killed) {
            killed = true;
            victim.child.kill('SIGKILL');
          }
        }
      };
      await Promise.all(Array.from({ length: 16 }, client));
      const exit = await victim.exited;
      assert.equal(exit.signal, 'SIGKILL');
      assert.ok(answered >= WANT, `only ${answered} answers before the server died`);

      const again = await startServer({ dataDir, args: ['--demo'], env });
      try {
        const admin = await login(again, ADMIN.email, ADMIN.password);
        const audit = await api(again, 'GET', '/api/admin/audit?action=query&limit=1', { token: admin });
        assert.equal(audit.status, 200, JSON.stringify(audit.body));
        assert.ok(audit.body.total >= answered,
          `${audit.body.total} query audit rows for ${answered} answers the client saw`);
      } finally {
        assert.equal((await again.stop({ keepData: true })).code, 0);
      }
    } finally {
      removeDir(dataDir);
    }
  });
});
