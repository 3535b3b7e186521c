// login.test.mjs — the analyst's client against a real server: `da login` with a password
// (from standard input), with a pasted token, and through the browser (RFC 8628 device
// sign-in, approved or denied over the API); `da whoami`, `da logout`; the device endpoints
// themselves (shapes, pending, slow_down, unknown and used codes, who may approve, the page,
// expiry and a restart); where the credential lives (mode 0600) and where it never appears
// (the command line, the server log). Each test has its own HOME and XDG_CONFIG_HOME.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import crypto from 'node:crypto';
import {
  DA_BIN, startServer, runDa, tempDir, removeDir, api, login, identityEnv, adminAndAnalyst, cleanEnv,
} from './lib/server.mjs';

const ANALYST = { email: 'ana@example.com', password: 'analyst-password-123' };
const USER_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const homes = [];
// A fresh client home: { env, dir, creds (the credentials file), config }.
function clientHome() {
  const dir = tempDir('da-client-');
  homes.push(dir);
  const cfg = join(dir, 'cfg', 'da');
  return {
    dir,
    env: { HOME: dir, XDG_CONFIG_HOME: join(dir, 'cfg') },
    creds: join(cfg, 'credentials.json'),
    config: join(cfg, 'config.json'),
  };
}

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const mode = (path) => statSync(path).mode & 0o777;

// Starts da in the background (for the browser sign-in, which waits for an approval).
function spawnDa(args, env) {
  const child = spawn(DA_BIN, args, { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const run = { child, stdout: '', stderr: '' };
  child.stdout.on('data', (d) => { run.stdout += d; });
  child.stderr.on('data', (d) => { run.stderr += d; });
  run.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  // Resolves to the first match of re in stdout + stderr.
  run.waitFor = async (re, ms = 15000) => {
    const until = Date.now() + ms;
    for (;;) {
      const m = (run.stdout + run.stderr).match(re);
      if (m) return m;
      if (Date.now() > until || child.exitCode !== null) {
        throw new Error(`no ${re} in output:\n${run.stdout}\n${run.stderr}`);
      }
      await sleep(50);
    }
  };
  return run;
}

describe('da login, whoami and logout', () => {
  let server;
  let admin;
  let analyst; // a session token of the analyst
  let analystId;
  const secretsSeen = []; // every token the tests saw: none may reach the server log

  before(async () => {
    server = await startServer({ env: identityEnv() });
    ({ admin, analyst, analystId } = await adminAndAnalyst(server, ANALYST.email));
  });
  after(async () => {
    assert.equal((await server.stop({ keepData: true })).code, 0);
    for (const s of [...secretsSeen, ANALYST.password]) {
      assert.ok(!server.log.includes(s), 'a secret reached the server log');
    }
    removeDir(server.dataDir);
    for (const d of homes) removeDir(d);
  });

  function passwordLogin(home, extra = {}) {
    return runDa(['login', '--server', server.url, '--email', ANALYST.email, '--password-stdin'],
      { env: home.env, input: `${ANALYST.password}\n`, ...extra });
  }

  function storedToken(home) {
    const entry = readJson(home.creds).servers[server.url];
    secretsSeen.push(entry.token);
    return entry;
  }

  async function liveSessions() {
    const r = await api(server, 'GET', `/api/users/${analystId}/sessions`, { token: admin });
    assert.equal(r.status, 200);
    return r.body.sessions.length;
  }

  test('--help of login, logout and whoami, and `da help login`', () => {
    for (const cmd of ['login', 'logout', 'whoami']) {
      const r = runDa([cmd, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Usage: da ${cmd}`));
      assert.match(r.stdout, /Exit codes:[\s\S]*3 {2}the server could not be reached[\s\S]*4 {2}not logged in/);
    }
    assert.match(runDa(['login', '--help']).stdout, /never taken from the command line/);
    assert.match(runDa(['help', 'login']).stdout, /^Usage: da login/);
    assert.match(runDa(['--help']).stdout, /login .*\n.*logout .*\n.*whoami /);
  });

  test('usage errors exit 2 and say what is wrong', () => {
    const home = clientHome();
    const cases = [
      [['login', '--server', server.url, '--email', 'a@b', '--token'], /choose one way/],
      [['login', '--server', server.url, '--password-stdin'], /goes with --email/],
      [['login', '--server', server.url, '--token', '--no-open'], /goes with the browser/],
      [['login', '--server', 'da.example.com'], /must start with https:\/\//],
      [['login', '--server', 'https://user:pw@da.example.com'], /must not contain a user name or password/],
      [['login', '--bogus'], /unknown option '--bogus'/],
      [['login', '--password', 'x'], /never taken from the command line/],
      [['whoami', 'extra'], /unexpected argument 'extra'/],
      [['logout', '--json'], /unknown option '--json'/],
    ];
    for (const [args, re] of cases) {
      const r = runDa(args, { env: home.env });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
    }
    // no server anywhere: login needs one
    const none = runDa(['login', '--token'], { env: home.env, input: 'x\n' });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no server: give --server URL/);
  });

  test('password login stores a 0600 token for this machine and ends its short session', async () => {
    const home = clientHome();
    const before = await liveSessions();
    const r = passwordLogin(home);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Logged in to ${server.url} as ${ANALYST.email} (analyst)\n`);
    assert.equal(r.stderr, '');
    assert.equal(mode(join(home.dir, 'cfg', 'da')), 0o700);
    assert.equal(mode(home.creds), 0o600);
    const cred = storedToken(home);
    assert.match(cred.token, /^da_pat_[A-Za-z0-9_-]{43}$/);
    assert.match(cred.token_id, /^[0-9a-f]{32}$/);
    assert.equal(cred.email, ANALYST.email);
    assert.equal(cred.role, 'analyst');
    assert.equal(readJson(home.config).current_server, server.url);
    // the token works and is the user's, named after this machine
    const me = await api(server, 'GET', '/api/me', { token: cred.token });
    assert.equal(me.status, 200);
    assert.equal(me.body.email, ANALYST.email);
    assert.equal(me.body.auth, 'token');
    const list = await api(server, 'GET', '/api/tokens', { token: analyst });
    const made = list.body.tokens.find((t) => t.id === cred.token_id);
    assert.equal(made.name, `da CLI on ${hostname()}`);
    assert.equal(made.revoked, false);
    // the session that made it is gone
    assert.equal(await liveSessions(), before);
    assert.ok(!r.stdout.includes(cred.token) && !r.stderr.includes(cred.token));

    // whoami uses the current server without --server
    const who = runDa(['whoami'], { env: home.env });
    assert.equal(who.code, 0, who.stderr);
    assert.equal(who.stdout, `server  ${server.url}\nemail   ${ANALYST.email}\nrole    analyst\n`);
    const json = runDa(['whoami', '--json'], { env: home.env });
    assert.equal(json.code, 0);
    assert.deepEqual(JSON.parse(json.stdout), {
      server: server.url, id: analystId, email: ANALYST.email, name: 'Ana', role: 'analyst',
      token_source: 'credentials',
    });

    // logging in again replaces the token and revokes the old one
    const again = passwordLogin(home);
    assert.equal(again.code, 0, again.stderr);
    const cred2 = storedToken(home);
    assert.notEqual(cred2.token, cred.token);
    assert.equal((await api(server, 'GET', '/api/me', { token: cred.token })).status, 401);
    assert.equal((await api(server, 'GET', '/api/me', { token: cred2.token })).status, 200);
  });

  test('a wrong password exits 4 with the server\'s message and stores nothing', () => {
    const home = clientHome();
    const r = runDa(['login', '--server', server.url, '--email', ANALYST.email, '--password-stdin'],
      { env: home.env, input: 'not-the-password\n' });
    assert.equal(r.code, 4);
    assert.equal(r.stderr, 'da login: the server answered 401: Invalid email or password\n');
    assert.equal(r.stdout, '');
    assert.equal(existsSync(home.creds), false);
    const empty = runDa(['login', '--server', server.url, '--email', ANALYST.email, '--password-stdin'],
      { env: home.env, input: '' });
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /empty input/);
  });

  test('an unreachable server exits 3 and says so', () => {
    const home = clientHome();
    const r = runDa(['login', '--server', 'http://127.0.0.1:1', '--email', ANALYST.email, '--password-stdin'],
      { env: home.env, input: 'whatever-password\n' });
    assert.equal(r.code, 3);
    assert.equal(r.stderr, 'da login: cannot reach http://127.0.0.1:1: connection refused\n');
    const who = runDa(['whoami', '--server', 'http://127.0.0.1:1'],
      { env: { ...home.env, DA_TOKEN: 'da_pat_x' } });
    assert.equal(who.code, 3);
    assert.match(who.stderr, /cannot reach/);
  });

  test('--token reads the token from standard input, never from the command line', async () => {
    const home = clientHome();
    const made = await api(server, 'POST', '/api/tokens', { token: analyst, body: { name: 'pasted' } });
    assert.equal(made.status, 201);
    const pat = made.body.token;
    secretsSeen.push(pat);
    for (const args of [['--token', pat], [`--token=${pat}`], [pat]]) {
      const r = runDa(['login', '--server', server.url, ...args], { env: home.env });
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /never taken from the command line/);
      assert.ok(!r.stderr.includes(pat));
    }
    const jwt = runDa(['login', '--server', server.url, '--token'], { env: home.env, input: `${analyst}\n` });
    assert.equal(jwt.code, 2);
    assert.match(jwt.stderr, /not a personal access token/);
    const bad = runDa(['login', '--server', server.url, '--token'],
      { env: home.env, input: `da_pat_${'x'.repeat(43)}\n` });
    assert.equal(bad.code, 4);
    assert.match(bad.stderr, /401: Invalid or expired token/);

    const r = runDa(['login', '--server', server.url, '--token'], { env: home.env, input: `${pat}\n` });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Logged in to ${server.url} as ${ANALYST.email} (analyst)\n`);
    const cred = storedToken(home);
    assert.equal(cred.token, pat);
    assert.equal(cred.token_id, made.body.id); // learned from GET /api/tokens/current
    // so logout can revoke it
    const out = runDa(['logout'], { env: home.env });
    assert.equal(out.code, 0, out.stderr);
    assert.equal((await api(server, 'GET', '/api/me', { token: pat })).status, 401);
  });

  test('GET /api/tokens/current names the token a request uses', async () => {
    const made = await api(server, 'POST', '/api/tokens', { token: analyst, body: { name: 'mine' } });
    secretsSeen.push(made.body.token);
    const r = await api(server, 'GET', '/api/tokens/current', { token: made.body.token });
    assert.equal(r.status, 200);
    assert.equal(r.body.id, made.body.id);
    assert.equal(r.body.name, 'mine');
    assert.equal(r.body.expires_at, made.body.expires_at);
    const session = await api(server, 'GET', '/api/tokens/current', { token: analyst });
    assert.equal(session.status, 400);
    assert.equal((await api(server, 'GET', '/api/tokens/current')).status, 401);
  });

  test('browser sign-in: the code is approved in the browser and the CLI stores a working token', async () => {
    const home = clientHome();
    const run = spawnDa(['login', '--server', server.url, '--browser', '--no-open'], home.env);
    const [, code] = await run.waitFor(/the code ([A-Z]{4}-[A-Z]{4})\./);
    assert.match(code, USER_CODE);
    // stdout is a pipe, so the instructions went to stderr and stdout stays for the result
    assert.equal(run.stdout, '');
    assert.match(run.stderr, new RegExp(`/auth/device\\?user_code=${code}`));
    // the page shows the signed-in user which client asks
    const cookieLogin = await api(server, 'POST', '/auth/password/login', { body: ANALYST });
    const cookie = cookieLogin.headers.get('set-cookie').split(';')[0];
    const page = await api(server, 'GET', `/auth/device?user_code=${code}`, { headers: { Cookie: cookie } });
    assert.equal(page.status, 200);
    assert.match(page.body, new RegExp(`da CLI on ${hostname()}`));
    assert.match(page.body, new RegExp(ANALYST.email));
    assert.match(page.body, /id="approve"/);
    // approving it over the API as the signed-in user, as the page's script does
    const ok = await api(server, 'POST', '/auth/device/approve', {
      headers: { Cookie: cookie, Origin: server.url }, body: { user_code: code },
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(ok.body, { status: 'approved', user_code: code, client_name: `da CLI on ${hostname()}` });
    assert.equal(await run.exited, 0, run.stderr);
    assert.equal(run.stdout, `Logged in to ${server.url} as ${ANALYST.email} (analyst)\n`);
    assert.equal(mode(home.creds), 0o600);
    const cred = storedToken(home);
    assert.ok(!run.stdout.includes(cred.token) && !run.stderr.includes(cred.token));
    const me = await api(server, 'GET', '/api/me', { token: cred.token });
    assert.equal(me.status, 200);
    assert.equal(me.body.email, ANALYST.email);
    const list = await api(server, 'GET', '/api/tokens', { token: analyst });
    assert.equal(list.body.tokens.find((t) => t.id === cred.token_id).name, `da CLI on ${hostname()}`);
    // the approval and the token are audited
    const audit = await api(server, 'GET', '/api/admin/audit?action=device.approve', { token: admin });
    const entry = audit.body.entries.find((e) => e.target === code);
    assert.equal(entry.actor_email, ANALYST.email);
    assert.equal(entry.result, 'ok');
    assert.match(entry.detail, /da CLI on .* from 127\.0\.0\.1/);
  });

  test('browser sign-in: a denial ends the CLI with exit 4', async () => {
    const home = clientHome();
    const run = spawnDa(['login', '--server', server.url, '--no-open'], home.env);
    const [, code] = await run.waitFor(/the code ([A-Z]{4}-[A-Z]{4})\./);
    const r = await api(server, 'POST', '/auth/device/deny', { token: analyst, body: { user_code: code } });
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'denied');
    assert.equal(await run.exited, 4);
    assert.match(run.stderr, /da login: the sign-in was denied in the browser\n$/);
    assert.equal(run.stdout, '');
    assert.equal(existsSync(home.creds), false);
    const audit = await api(server, 'GET', '/api/admin/audit?action=device.deny', { token: admin });
    assert.ok(audit.body.entries.some((e) => e.target === code && e.result === 'ok'));
  });

  test('device endpoints: shapes, pending, slow_down, unknown and used codes', async () => {
    const c = await api(server, 'POST', '/auth/device/code', { body: { client_name: 'e2e client' } });
    assert.equal(c.status, 200);
    assert.deepEqual(Object.keys(c.body).sort(),
      ['device_code', 'expires_in', 'interval', 'user_code', 'verification_uri', 'verification_uri_complete']);
    assert.match(c.body.device_code, /^da_device_[A-Za-z0-9_-]{43}$/);
    assert.match(c.body.user_code, USER_CODE);
    assert.equal(c.body.expires_in, 600);
    assert.equal(c.body.interval, 5);
    assert.match(c.body.verification_uri, /^https?:\/\/.+\/auth\/device$/);
    assert.equal(c.body.verification_uri_complete, `${c.body.verification_uri}?user_code=${c.body.user_code}`);
    const poll = (device_code) => api(server, 'POST', '/auth/device/token', { body: { device_code } });

    const pending = await poll(c.body.device_code);
    assert.equal(pending.status, 400);
    assert.equal(pending.body.error, 'authorization_pending');
    const fast = await poll(c.body.device_code);
    assert.equal(fast.status, 400);
    assert.equal(fast.body.error, 'slow_down');
    assert.equal(fast.body.interval, 10);

    for (const device_code of [`da_device_${crypto.randomBytes(32).toString('base64url')}`, 'garbage', '']) {
      const r = await poll(device_code);
      assert.equal(r.status, 400);
      assert.equal(r.body.error, 'invalid_grant');
    }
    assert.equal((await api(server, 'POST', '/auth/device/token', { body: {} })).status, 422);
    assert.equal((await api(server, 'POST', '/auth/device/code', { body: { client_name: 'a\nb' } })).status, 422);
    assert.equal((await api(server, 'POST', '/auth/device/code', { body: { client_name: 'x'.repeat(129) } })).status, 422);
    assert.equal((await api(server, 'POST', '/auth/device/code', { body: { other: 1 } })).status, 422);

    // a fresh grant, approved (lower case, no dash: people type it), redeemed once
    const g = await api(server, 'POST', '/auth/device/code', { body: {} });
    const typed = g.body.user_code.replace('-', '').toLowerCase();
    const ok = await api(server, 'POST', '/auth/device/approve', { token: analyst, body: { user_code: typed } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.client_name, 'da CLI');
    const twice = await api(server, 'POST', '/auth/device/approve', { token: analyst, body: { user_code: typed } });
    assert.equal(twice.status, 404);
    const deny = await api(server, 'POST', '/auth/device/deny', { token: analyst, body: { user_code: typed } });
    assert.equal(deny.status, 404);
    const got = await poll(g.body.device_code);
    assert.equal(got.status, 200, JSON.stringify(got.body));
    assert.equal(got.body.token_type, 'bearer');
    assert.equal(got.body.email, ANALYST.email);
    assert.equal(got.body.role, 'analyst');
    assert.match(got.body.token_id, /^[0-9a-f]{32}$/);
    assert.match(got.body.access_token, /^da_pat_/);
    secretsSeen.push(got.body.access_token);
    assert.equal((await api(server, 'GET', '/api/me', { token: got.body.access_token })).status, 200);
    const reuse = await poll(g.body.device_code);
    assert.equal(reuse.status, 400);
    assert.equal(reuse.body.error, 'invalid_grant');
  });

  test('approving needs a signed-in person on this origin with a valid code', async () => {
    const g = await api(server, 'POST', '/auth/device/code', { body: { client_name: 'victim?' } });
    const body = { user_code: g.body.user_code };
    assert.equal((await api(server, 'POST', '/auth/device/approve', { body })).status, 401);
    assert.equal((await api(server, 'POST', '/auth/device/deny', { body })).status, 401);
    // a token cannot mint tokens
    const pat = await api(server, 'POST', '/api/tokens', { token: analyst, body: { name: 'scripted' } });
    secretsSeen.push(pat.body.token);
    const viaPat = await api(server, 'POST', '/auth/device/approve', { token: pat.body.token, body });
    assert.equal(viaPat.status, 403);
    // a cookie from another site's page is refused
    const cookieLogin = await api(server, 'POST', '/auth/password/login', { body: ANALYST });
    const cookie = cookieLogin.headers.get('set-cookie').split(';')[0];
    const cross = await api(server, 'POST', '/auth/device/approve',
      { headers: { Cookie: cookie, Origin: 'https://evil.example.com' }, body });
    assert.equal(cross.status, 403);
    // malformed and unknown codes
    for (const user_code of ['ABCD-EFGH', 'BCDF-GHJ', 'BCDF-GHJK-L', '']) {
      const r = await api(server, 'POST', '/auth/device/approve', { token: analyst, body: { user_code } });
      assert.equal(r.status, 422, user_code);
    }
    const unknown = await api(server, 'POST', '/auth/device/approve', { token: analyst, body: { user_code: 'BCDF-GHJK' } });
    assert.ok([404].includes(unknown.status));
    // still pending after all that
    const still = await api(server, 'POST', '/auth/device/token', { body: { device_code: g.body.device_code } });
    assert.equal(still.body.error, 'authorization_pending');
  });

  test('the verification page: signed out, escaping, unknown codes, its script', async () => {
    const g = await api(server, 'POST', '/auth/device/code', { body: { client_name: 'Evil <img src=x onerror=alert(1)>' } });
    const url = `/auth/device?user_code=${g.body.user_code}`;
    const out = await api(server, 'GET', url);
    assert.equal(out.status, 200);
    assert.match(out.headers.get('content-type'), /^text\/html/);
    assert.match(out.body, /You are not signed in/);
    assert.match(out.body, /<form id="signin">/);
    assert.ok(!out.body.includes('Evil'), 'nothing about a grant is shown before sign-in');
    const cookieLogin = await api(server, 'POST', '/auth/password/login', { body: ANALYST });
    const cookie = cookieLogin.headers.get('set-cookie').split(';')[0];
    const inPage = await api(server, 'GET', url, { headers: { Cookie: cookie } });
    assert.match(inPage.body, /Evil &lt;img src=x onerror=alert\(1\)&gt;/);
    assert.ok(!inPage.body.includes('<img'));
    assert.ok(!inPage.body.includes(g.body.device_code));
    const ask = await api(server, 'GET', '/auth/device', { headers: { Cookie: cookie } });
    assert.match(ask.body, /name="user_code"/);
    const unknown = await api(server, 'GET', '/auth/device?user_code=BCDF-GHJK', { headers: { Cookie: cookie } });
    assert.match(unknown.body, /This code is not valid/);
    const js = await api(server, 'GET', '/auth/assets/device.js');
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type'), /^text\/javascript/);
    assert.match(js.body, /\/auth\/device\/' \+ what/);
  });

  test('logout revokes the token on the server and deletes it here', async () => {
    const home = clientHome();
    assert.equal(passwordLogin(home).code, 0);
    const cred = storedToken(home);
    const r = runDa(['logout'], { env: home.env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Logged out of ${server.url}.\n`);
    assert.equal((await api(server, 'GET', '/api/me', { token: cred.token })).status, 401);
    assert.equal(existsSync(home.creds), false);
    const who = runDa(['whoami'], { env: home.env });
    assert.equal(who.code, 4);
    assert.match(who.stderr, /not logged in to .*; run: da login --server /);
    const again = runDa(['logout'], { env: home.env });
    assert.equal(again.code, 0);
    assert.match(again.stdout, /^Not logged in to /);
  });

  test('logout with the server unreachable still deletes the token here, warns and exits 3', () => {
    const home = clientHome();
    const dir = join(home.dir, 'cfg', 'da');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(home.creds, JSON.stringify({ servers: { 'http://127.0.0.1:1': {
      token: `da_pat_${'y'.repeat(43)}`, token_id: 'f'.repeat(32), email: 'a@b.c', role: 'analyst',
    } } }), { mode: 0o600 });
    const r = runDa(['logout', '--server', 'http://127.0.0.1:1/'], { env: home.env });
    assert.equal(r.code, 3);
    assert.match(r.stderr, /could not be revoked on the server \(cannot reach http:\/\/127\.0\.0\.1:1: connection refused\); it is deleted here/);
    assert.equal(existsSync(home.creds), false);
  });

  test('a credentials file that others can read is refused with how to fix it', () => {
    const home = clientHome();
    assert.equal(passwordLogin(home).code, 0);
    storedToken(home);
    chmodSync(home.creds, 0o644);
    const r = runDa(['whoami'], { env: home.env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /can be read by other users \(mode 644\).*run: chmod 600 /);
    chmodSync(home.creds, 0o600);
    assert.equal(runDa(['whoami'], { env: home.env }).code, 0);
  });

  test('DA_SERVER and DA_TOKEN work without any stored files', async () => {
    const home = clientHome();
    const made = await api(server, 'POST', '/api/tokens', { token: analyst, body: { name: 'ci' } });
    secretsSeen.push(made.body.token);
    const r = runDa(['whoami', '--json'], { env: { ...home.env, DA_SERVER: server.url, DA_TOKEN: made.body.token } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).token_source, 'environment');
    assert.equal(existsSync(join(home.dir, 'cfg', 'da')), false);
    const bad = runDa(['whoami'], { env: { ...home.env, DA_SERVER: server.url, DA_TOKEN: 'da_pat_nope' } });
    assert.equal(bad.code, 4);
  });
});

describe('device grants survive a restart and expire', () => {
  const hasSqlite = spawnSync('sqlite3', ['-version']).status === 0;
  test('a pending grant outlives a restart; an expired one answers expired_token', { skip: !hasSqlite && 'no sqlite3 command' }, async () => {
    const dataDir = tempDir();
    let server = await startServer({ dataDir, env: identityEnv() });
    try {
      const session = await login(server, 'root@example.com', 'correct horse battery staple');
      const a = await api(server, 'POST', '/auth/device/code', { body: {} });
      const b = await api(server, 'POST', '/auth/device/code', { body: {} });
      assert.equal((await server.stop({ keepData: true })).code, 0);
      server = await startServer({ dataDir, env: identityEnv() });
      const poll = (g) => api(server, 'POST', '/auth/device/token', { body: { device_code: g.body.device_code } });
      assert.equal((await poll(a)).body.error, 'authorization_pending');
      assert.equal((await server.stop({ keepData: true })).code, 0);
      // let b's ten minutes pass
      const sql = `UPDATE device_grants SET expires_at = strftime('%s','now') - 1 WHERE user_code = '${b.body.user_code.replace('-', '')}';`;
      const r = spawnSync('sqlite3', [join(dataDir, 'state', 'system.sqlite'), sql], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      server = await startServer({ dataDir, env: identityEnv() });
      const expired = await poll(b);
      assert.equal(expired.status, 400);
      assert.equal(expired.body.error, 'expired_token');
      const late = await api(server, 'POST', '/auth/device/approve', { token: session, body: { user_code: b.body.user_code } });
      assert.equal(late.status, 404);
      const page = await api(server, 'GET', `/auth/device?user_code=${b.body.user_code}`);
      assert.equal(page.status, 200);
    } finally {
      await server.stop({ keepData: true });
      removeDir(dataDir);
    }
  });
});
