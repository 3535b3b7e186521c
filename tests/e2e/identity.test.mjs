// identity.test.mjs — attacks on sign-in and sessions, and the happy paths they guard:
// password login, setup links, bootstrap, JWT forgery and revocation, personal access tokens,
// cookies and CSRF, rate limits, the last admin, and the audit trail.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer, runDa, tempDir, removeDir, api, login, identityEnv, ADMIN, TEST_JWT_SECRET } from './lib/server.mjs';

const b64url = (b) => Buffer.from(b).toString('base64url');
function forge(header, payload, secret = TEST_JWT_SECRET) {
  const h = b64url(JSON.stringify(header));
  const p = b64url(JSON.stringify(payload));
  const sig = crypto.createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url');
  return `${h}.${p}.${sig}`;
}
const decode = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

describe('identity on a running server', () => {
  let server;
  let adminToken;
  before(async () => {
    server = await startServer({ env: identityEnv() });
    adminToken = await login(server, ADMIN.email, ADMIN.password);
  });
  after(async () => {
    assert.equal((await server.stop()).code, 0);
  });

  async function newUser(email, extra = {}) {
    const r = await api(server, 'POST', '/api/users', { token: adminToken, body: { email, ...extra } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  }

  test('S1: a user without a password cannot get a token with any password', async () => {
    const u = await newUser('nopass@example.com');
    assert.match(u.setup_url, /\/auth\/password\/setup#token=da_setup_[A-Za-z0-9_-]{43}$/);
    assert.equal(u.has_password, false);
    for (const password of ['', ' ', 'x', 'nopass@example.com']) {
      const r = await api(server, 'POST', '/auth/token', { body: { email: 'nopass@example.com', password } });
      assert.equal(r.status, 401, `password ${JSON.stringify(password)}`);
      assert.deepEqual(r.body, { detail: 'Invalid email or password' });
    }
    // no password field at all is a wrong password too (the original API's answer), for a
    // user without a password and for one with
    for (const email of ['nopass@example.com', ADMIN.email, 'ghost@example.com']) {
      const missing = await api(server, 'POST', '/auth/token', { body: { email } });
      assert.equal(missing.status, 401, email);
      assert.deepEqual(missing.body, { detail: 'Invalid email or password' });
    }
    const notText = await api(server, 'POST', '/auth/token', { body: { email: ADMIN.email, password: 5 } });
    assert.equal(notText.status, 422, 'a password that is not a string is still malformed');
  });

  test('login CSRF: a JSON endpoint refuses any body that is not Content-Type application/json', async () => {
    const creds = JSON.stringify({ email: ADMIN.email, password: ADMIN.password });
    // what a cross-site <form enctype="text/plain"> or a no-preflight fetch can send
    for (const type of ['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x', 'application/jsonp', 'application/json-seq', null]) {
      const headers = type ? { 'Content-Type': type } : {};
      for (const path of ['/auth/password/login', '/auth/token']) {
        const r = await api(server, 'POST', path, { raw: type ? creds : new Blob([creds]), headers });
        assert.equal(r.status, 415, `${path} ${type}`);
        assert.equal(r.body.detail, 'Content-Type must be application/json');
        assert.equal(r.headers.get('set-cookie'), null, 'no session cookie');
      }
    }
    const users = await api(server, 'POST', '/api/users', { token: adminToken, raw: JSON.stringify({ email: 'form@example.com' }), headers: { 'Content-Type': 'text/plain' } });
    assert.equal(users.status, 415, 'every JSON endpoint, not only login');
    for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON ;charset=UTF-8']) {
      const r = await api(server, 'POST', '/auth/password/login', { raw: creds, headers: { 'Content-Type': type } });
      assert.equal(r.status, 200, type);
    }
  });

  test('unknown user and wrong password get the same answer', async () => {
    const a = await api(server, 'POST', '/auth/token', { body: { email: 'ghost@example.com', password: 'whatever-whatever' } });
    const b = await api(server, 'POST', '/auth/token', { body: { email: ADMIN.email, password: 'wrong-password-123' } });
    assert.equal(a.status, 401);
    assert.deepEqual(a.body, b.body);
    assert.equal(a.status, b.status);
  });

  test('login is case-insensitive on the email and returns the original shape', async () => {
    const r = await api(server, 'POST', '/auth/token', { body: { email: ADMIN.email.toUpperCase(), password: ADMIN.password } });
    assert.equal(r.status, 200);
    assert.equal(r.body.token_type, 'bearer');
    assert.equal(r.body.email, ADMIN.email);
    assert.equal(r.body.role, 'admin');
    assert.match(r.body.user_id, /^[0-9a-f]{32}$/);
    const claims = decode(r.body.access_token);
    assert.equal(claims.sub, r.body.user_id);
    assert.equal(claims.exp - claims.iat, 24 * 3600);
    assert.match(claims.jti, /^[0-9a-f]{32}$/);
  });

  test('setup link: a weak password does not spend it; it works once; then never again', async () => {
    const u = await newUser('setup@example.com', { role: 'viewer' });
    const token = u.setup_url.split('#token=')[1];
    const page = await fetch(u.setup_url.replace(/^http:\/\/[^/]+/, server.url).split('#')[0]);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Set your password/);
    const weak = await api(server, 'POST', '/auth/password/setup', { body: { token, password: 'short' } });
    assert.equal(weak.status, 422);
    // an e-mail that does not match is refused and does not spend the link either
    for (const email of ['other@example.com', 'setup@example.org', '']) {
      const wrong = await api(server, 'POST', '/auth/password/setup', { body: { token, password: 'attacker-password-1', email } });
      assert.equal(wrong.status, 400, email);
      assert.equal(wrong.body.detail, 'Invalid or expired setup link');
    }
    const ok = await api(server, 'POST', '/auth/password/setup', { body: { token, password: 'a-long-enough-pass', email: 'SETUP@example.com' } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.message, 'Password set successfully');
    const again = await api(server, 'POST', '/auth/password/setup', { body: { token, password: 'another-long-pass' } });
    assert.equal(again.status, 400);
    await login(server, 'setup@example.com', 'a-long-enough-pass');
    const forged = await api(server, 'POST', '/auth/password/setup', { body: { token: `da_setup_${'A'.repeat(43)}`, password: 'a-long-enough-pass' } });
    assert.equal(forged.status, 400);
  });

  test('GET /api/me returns the caller with groups', async () => {
    const r = await api(server, 'GET', '/api/me', { token: adminToken });
    assert.equal(r.status, 200);
    assert.equal(r.body.email, ADMIN.email);
    assert.equal(r.body.role, 'admin');
    assert.deepEqual(r.body.groups, []);
    assert.equal((await api(server, 'GET', '/api/me')).status, 401);
  });

  test('forged, tampered, expired and alg-none tokens are refused', async () => {
    const me = decode(adminToken);
    const now = Math.floor(Date.now() / 1000);
    const cases = {
      'alg none': `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify(me))}.`,
      'HS512': forge({ alg: 'HS512', typ: 'JWT' }, me),
      'wrong key': forge({ alg: 'HS256', typ: 'JWT' }, me, 'another-secret-another-secret-another'),
      'tampered role': (() => { const [h, , s] = adminToken.split('.'); return `${h}.${b64url(JSON.stringify({ ...me, role: 'admin', sub: 'x' }))}.${s}`; })(),
      'expired': forge({ alg: 'HS256', typ: 'JWT' }, { ...me, iat: now - 90000, exp: now - 10 }),
      'unknown session': forge({ alg: 'HS256', typ: 'JWT' }, { ...me, jti: crypto.randomBytes(16).toString('hex') }),
      'garbage': 'not.a.token',
    };
    for (const [name, token] of Object.entries(cases)) {
      const r = await api(server, 'GET', '/api/me', { token });
      assert.equal(r.status, 401, name);
      assert.deepEqual(r.body, { detail: 'Invalid or expired token' }, name);
    }
    const basic = await api(server, 'GET', '/api/me', { headers: { Authorization: 'Basic YWJjOmRlZg==' } });
    assert.equal(basic.status, 401);
  });

  test('logout revokes the session on the very next request', async () => {
    const t = await login(server, ADMIN.email, ADMIN.password);
    assert.equal((await api(server, 'GET', '/api/me', { token: t })).status, 200);
    assert.equal((await api(server, 'POST', '/auth/logout', { token: t })).status, 200);
    assert.equal((await api(server, 'GET', '/api/me', { token: t })).status, 401);
  });

  test('admin revocation, deactivation, demotion and deletion apply at once', async () => {
    const u = await newUser('victim@example.com', { role: 'admin', password: 'victim-password-1' });
    let t = await login(server, 'victim@example.com', 'victim-password-1');
    assert.equal((await api(server, 'GET', '/api/users', { token: t })).status, 200);
    // demotion: the role in the database counts, not the one in the token
    assert.equal((await api(server, 'PATCH', `/api/users/${u.id}`, { token: adminToken, body: { role: 'analyst' } })).status, 200);
    assert.equal((await api(server, 'GET', '/api/users', { token: t })).status, 403);
    // revoke every session
    const rev = await api(server, 'DELETE', `/api/users/${u.id}/sessions`, { token: adminToken });
    assert.equal(rev.status, 200);
    assert.ok(rev.body.revoked >= 1);
    assert.equal((await api(server, 'GET', '/api/me', { token: t })).status, 401);
    // deactivation
    t = await login(server, 'victim@example.com', 'victim-password-1');
    assert.equal((await api(server, 'PATCH', `/api/users/${u.id}`, { token: adminToken, body: { active: false } })).status, 200);
    assert.equal((await api(server, 'GET', '/api/me', { token: t })).status, 401);
    assert.equal((await api(server, 'POST', '/auth/token', { body: { email: 'victim@example.com', password: 'victim-password-1' } })).status, 401);
    // reactivation does not revive old sessions
    assert.equal((await api(server, 'PATCH', `/api/users/${u.id}`, { token: adminToken, body: { active: true } })).status, 200);
    assert.equal((await api(server, 'GET', '/api/me', { token: t })).status, 401);
    // nor personal access tokens: deactivation revokes them for good
    t = await login(server, 'victim@example.com', 'victim-password-1');
    const pat = (await api(server, 'POST', '/api/tokens', { token: t, body: { name: 'script' } })).body.token;
    assert.equal((await api(server, 'GET', '/api/me', { token: pat })).status, 200);
    assert.equal((await api(server, 'PATCH', `/api/users/${u.id}`, { token: adminToken, body: { active: false } })).status, 200);
    assert.equal((await api(server, 'GET', '/api/me', { token: pat })).status, 401);
    assert.equal((await api(server, 'PATCH', `/api/users/${u.id}`, { token: adminToken, body: { active: true } })).status, 200);
    assert.equal((await api(server, 'GET', '/api/me', { token: pat })).status, 401, 'a PAT stays dead after reactivation');
    assert.equal((await api(server, 'GET', '/api/me', { token: t })).status, 401, 'and so does the session');
    // deletion
    t = await login(server, 'victim@example.com', 'victim-password-1');
    assert.equal((await api(server, 'DELETE', `/api/users/${u.id}`, { token: adminToken })).status, 204);
    assert.equal((await api(server, 'GET', '/api/me', { token: t })).status, 401);
    assert.equal((await api(server, 'DELETE', `/api/users/${u.id}`, { token: adminToken })).status, 404);
  });

  test('the last active admin can be neither deleted, deactivated nor demoted', async () => {
    const users = (await api(server, 'GET', '/api/users', { token: adminToken })).body;
    const admins = users.filter((u) => u.role === 'admin' && u.active);
    assert.equal(admins.length, 1);
    const id = admins[0].id;
    for (const [method, body] of [['DELETE'], ['PATCH', { active: false }], ['PATCH', { role: 'viewer' }]]) {
      const r = await api(server, method, `/api/users/${id}`, { token: adminToken, body });
      assert.equal(r.status, 409, `${method} ${JSON.stringify(body)}`);
      assert.match(r.body.detail, /last active admin/);
    }
  });

  test('user input is validated', async () => {
    const bad = [
      [{ email: 'not-an-email' }, /email/],
      [{ email: 'a@b.c', role: 'superuser' }, /role/],
      [{ email: 'x@example.com', password: 'short' }, /12 characters/],
      [{ email: 'y@example.com', extra: 1 }, /extra|unpacked/],
    ];
    for (const [body, pattern] of bad) {
      const r = await api(server, 'POST', '/api/users', { token: adminToken, body });
      assert.equal(r.status, 422, JSON.stringify(body));
      assert.match(r.body.detail, pattern);
    }
    await newUser('Dup@Example.com');
    const dup = await api(server, 'POST', '/api/users', { token: adminToken, body: { email: 'dup@example.COM' } });
    assert.equal(dup.status, 409);
    const notJson = await api(server, 'POST', '/api/users', { token: adminToken, raw: '{"email": ' , headers: { 'Content-Type': 'application/json' } });
    assert.equal(notJson.status, 400);
    const dupKey = await api(server, 'POST', '/api/users', { token: adminToken, raw: '{"email":"a@example.com","email":"b@example.com"}', headers: { 'Content-Type': 'application/json' } });
    assert.equal(dupKey.status, 400);
  });

  test('non-admins cannot use admin routes', async () => {
    await newUser('plain@example.com', { password: 'plain-password-1' });
    const t = await login(server, 'plain@example.com', 'plain-password-1');
    for (const [method, path, body] of [['GET', '/api/users'], ['POST', '/api/users', { email: 'z@example.com' }], ['DELETE', '/api/users/abc'], ['GET', '/api/admin/audit']]) {
      const r = await api(server, method, path, { token: t, body });
      assert.equal(r.status, 403, `${method} ${path}`);
    }
    assert.equal((await api(server, 'GET', '/api/users')).status, 401);
  });

  test('personal access tokens: shown once, usable, listed, revocable, cannot mint more', async () => {
    const created = await api(server, 'POST', '/api/tokens', { token: adminToken, body: { name: 'laptop', expires_in_days: 30 } });
    assert.equal(created.status, 201);
    const pat = created.body.token;
    assert.match(pat, /^da_pat_[A-Za-z0-9_-]{43}$/);
    const me = await api(server, 'GET', '/api/me', { token: pat });
    assert.equal(me.status, 200);
    assert.equal(me.body.auth, 'token');
    const list = await api(server, 'GET', '/api/tokens', { token: adminToken });
    const entry = list.body.tokens.find((t) => t.id === created.body.id);
    assert.equal(entry.name, 'laptop');
    assert.ok(entry.last_used_at);
    assert.equal(JSON.stringify(list.body).includes(pat), false, 'the token is never shown again');
    const mint = await api(server, 'POST', '/api/tokens', { token: pat, body: { name: 'more' } });
    assert.equal(mint.status, 403);
    assert.equal((await api(server, 'DELETE', `/api/tokens/${created.body.id}`, { token: adminToken })).status, 200);
    assert.equal((await api(server, 'GET', '/api/me', { token: pat })).status, 401);
    assert.equal((await api(server, 'GET', '/api/me', { token: `da_pat_${'B'.repeat(43)}` })).status, 401);
    assert.equal((await api(server, 'POST', '/api/tokens', { token: adminToken, body: { name: 'x', expires_in_days: 9999 } })).status, 422);
  });

  test('PAT requests beside many writes are never refused (no SQLITE_BUSY read as 401)', async () => {
    const pats = [];
    for (let i = 0; i < 4; i++) {
      pats.push((await api(server, 'POST', '/api/tokens', { token: adminToken, body: { name: `load-${i}` } })).body.token);
    }
    const started = Date.now();
    const statuses = {};
    let ok = 0;
    // rounds of 30 reads and 10 writes at once (well under the per-address connection cap)
    for (let round = 0; round < 10; round++) {
      const reads = Array.from({ length: 30 }, (_, i) => api(server, 'GET', '/api/me', { token: pats[i % pats.length] }));
      const writes = Array.from({ length: 10 }, (_, i) => api(server, 'POST', '/api/users', { token: adminToken, body: { email: `load${round}-${i}@example.com` } }));
      const answers = await Promise.all([...reads, ...writes]);
      for (const a of answers) statuses[a.status] = (statuses[a.status] || 0) + 1;
      ok += answers.slice(0, 30).filter((a) => a.status === 200).length + answers.slice(30).filter((a) => a.status === 201).length;
    }
    console.log(`300 PAT reads + 100 writes in ${Date.now() - started} ms: ${JSON.stringify(statuses)}`);
    assert.equal(statuses[401] || 0, 0, 'no credential was refused');
    assert.equal(ok, 400);
  });

  test('the cookie authenticates, is HttpOnly/SameSite, and cross-site writes are refused', async () => {
    const r = await api(server, 'POST', '/auth/password/login', { body: { email: ADMIN.email, password: ADMIN.password } });
    assert.equal(r.status, 200);
    const setCookie = r.headers.get('set-cookie');
    assert.match(setCookie, /^access_token=[^;]+; Path=\/; Max-Age=86400; HttpOnly; SameSite=Lax$/);
    const cookie = setCookie.split(';')[0];
    assert.equal((await api(server, 'GET', '/api/me', { headers: { Cookie: cookie } })).status, 200);
    // optional authentication reads the cookie too (the original's get_optional_user did not)
    const health = await api(server, 'GET', '/api/health', { headers: { Cookie: cookie } });
    assert.equal(health.body.details.admins, 1);
    const evil = await api(server, 'POST', '/api/tokens', { headers: { Cookie: cookie, Origin: 'https://evil.example' }, body: { name: 'stolen' } });
    assert.equal(evil.status, 403);
    const noOrigin = await api(server, 'POST', '/api/tokens', { headers: { Cookie: cookie }, body: { name: 'stolen' } });
    assert.equal(noOrigin.status, 403);
    const same = await api(server, 'POST', '/api/tokens', { headers: { Cookie: cookie, Origin: server.url }, body: { name: 'ok' } });
    assert.equal(same.status, 201);
    // a bad bearer token never falls back to a good cookie
    const mixed = await api(server, 'GET', '/api/me', { headers: { Cookie: cookie, Authorization: 'Bearer bad.token.here' } });
    assert.equal(mixed.status, 401);
  });

  test('bootstrap is closed on a server with an admin', async () => {
    const r = await api(server, 'POST', '/auth/bootstrap', { body: { code: `da_boot_${'C'.repeat(43)}`, email: 'evil@example.com', password: 'evil-password-123' } });
    assert.equal(r.status, 403);
    const noCode = await api(server, 'POST', '/auth/bootstrap', { body: { email: 'evil@example.com', password: 'evil-password-123' } });
    assert.equal(noCode.status, 422);
  });

  test('health shows details to admins only', async () => {
    const anon = await api(server, 'GET', '/api/health');
    assert.equal(anon.body.details, undefined);
    const admin = await api(server, 'GET', '/api/health', { token: adminToken });
    assert.ok(admin.body.details.users >= 1);
    assert.equal(admin.body.details.admins, 1);
  });

  test('audit records logins, failures and user changes with actor and ip', async () => {
    const r = await api(server, 'GET', '/api/admin/audit?action=login&limit=500', { token: adminToken });
    assert.equal(r.status, 200);
    const failed = r.body.entries.find((e) => e.result === 'failed' && e.target === 'ghost@example.com');
    assert.ok(failed, 'failed login recorded');
    assert.equal(failed.ip, '127.0.0.1');
    const ok = r.body.entries.find((e) => e.result === 'ok' && e.actor_email === ADMIN.email);
    assert.ok(ok);
    const changes = await api(server, 'GET', '/api/admin/audit?action=user.update', { token: adminToken });
    assert.ok(changes.body.entries.some((e) => e.actor_email === ADMIN.email && /role=analyst/.test(e.detail)));
    assert.equal(JSON.stringify(r.body).includes(ADMIN.password), false);
  });
});

describe('rate limits', () => {
  test('too many attempts on one account get 429 with Retry-After', async () => {
    const server = await startServer({ env: identityEnv({ DA_LOGIN_RATE_PER_ACCOUNT: '3' }) });
    try {
      const statuses = [];
      for (let i = 0; i < 5; i++) {
        const r = await api(server, 'POST', '/auth/token', { body: { email: ADMIN.email, password: 'wrong-wrong-wrong' } });
        statuses.push(r.status);
        if (r.status === 429) assert.match(r.headers.get('retry-after'), /^\d+$/);
      }
      assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
      // even the right password waits: the limit is per account, not per failure
      const right = await api(server, 'POST', '/auth/token', { body: { email: ADMIN.email, password: ADMIN.password } });
      assert.equal(right.status, 429);
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  });
});

describe('first admin', () => {
  test('S3: bootstrap needs the code from the log, works once, and a race has one winner', async () => {
    const server = await startServer({ env: { JWT_SECRET_KEY: TEST_JWT_SECRET } });
    try {
      const code = server.log.match(/Bootstrap code \(single use, 24 h\): (da_boot_[A-Za-z0-9_-]{43})/)[1];
      const wrong = await api(server, 'POST', '/auth/bootstrap', { body: { code: `da_boot_${'D'.repeat(43)}`, email: 'first@example.com', password: 'first-password-1' } });
      assert.equal(wrong.status, 403);
      const race = await Promise.all(['a', 'b', 'c', 'd'].map((x) =>
        api(server, 'POST', '/auth/bootstrap', { body: { code, email: `${x}@example.com`, password: 'first-password-1' } })));
      const winners = race.filter((r) => r.status === 200);
      assert.equal(winners.length, 1, JSON.stringify(race.map((r) => r.status)));
      assert.equal(winners[0].body.role, 'admin');
      const again = await api(server, 'POST', '/auth/bootstrap', { body: { code, email: 'late@example.com', password: 'first-password-1' } });
      assert.equal(again.status, 403);
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  });

  test('da admin bootstrap creates the first admin on the server machine, once', async () => {
    const dir = tempDir();
    try {
      const bad = runDa(['admin', 'bootstrap', '--data-dir', dir, '--email', 'ops@example.com']);
      assert.equal(bad.code, 2);
      const r = spawnWithInput(['admin', 'bootstrap', '--data-dir', dir, '--email', 'ops@example.com', '--password-stdin'], 'ops-password-1234\n');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /created admin ops@example.com/);
      const twice = spawnWithInput(['admin', 'bootstrap', '--data-dir', dir, '--email', 'ops2@example.com', '--password-stdin'], 'ops-password-1234\n');
      assert.equal(twice.code, 1);
      assert.match(twice.stderr, /an admin exists/);
      const server = await startServer({ dataDir: dir, env: { JWT_SECRET_KEY: TEST_JWT_SECRET } });
      assert.doesNotMatch(server.log, /Bootstrap code/);
      await login(server, 'ops@example.com', 'ops-password-1234');
      assert.equal((await server.stop()).code, 0);
    } finally {
      removeDir(dir);
    }
  });

  test('--demo creates a demo admin and analyst with random passwords printed once', async () => {
    const dir = tempDir();
    try {
      const server = await startServer({ dataDir: dir, args: ['--demo'], env: { JWT_SECRET_KEY: TEST_JWT_SECRET } });
      const admin = server.log.match(/demo admin: admin@example\.com password (\S+)/);
      const analyst = server.log.match(/demo analyst: analyst@example\.com password (\S+)/);
      assert.ok(admin && analyst, server.log);
      assert.notEqual(admin[1], analyst[1]);
      const t = await login(server, 'analyst@example.com', analyst[1]);
      assert.equal((await api(server, 'GET', '/api/me', { token: t })).body.role, 'analyst');
      assert.equal((await server.stop()).code, 0);
      const again = await startServer({ dataDir: dir, args: ['--demo'], env: { JWT_SECRET_KEY: TEST_JWT_SECRET } });
      assert.doesNotMatch(again.log, /password/);
      assert.equal((await again.stop()).code, 0);
      const other = tempDir();
      const third = await startServer({ dataDir: other, args: ['--demo'], env: { JWT_SECRET_KEY: TEST_JWT_SECRET } });
      assert.notEqual(third.log.match(/demo admin: admin@example\.com password (\S+)/)[1], admin[1]);
      assert.equal((await third.stop()).code, 0);
      removeDir(other);
    } finally {
      removeDir(dir);
    }
  });
});

import { spawnSync } from 'node:child_process';
import { DA_BIN, cleanEnv } from './lib/server.mjs';
function spawnWithInput(args, input) {
  const r = spawnSync(DA_BIN, args, { env: cleanEnv(), input, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
