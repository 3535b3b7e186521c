// fakes.test.mjs — the fake OpenID provider and SMTP relay in tests/fakes speak their protocols
// correctly (PKCE, single-use codes, client authentication, RS256 tokens; SMTP dialogue, AUTH,
// dot-stuffing), and the C pieces (src/auth/oidc.c, src/auth/mailer.c) work against them end to
// end without the da server: build/tests/test_oidc runs its "fakes" group when the DA_FAKE_*
// variables are set, and each forged ID token the provider can mint is refused for its reason.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFile } from 'node:child_process';
import { createHash, createPublicKey, createVerify, randomBytes } from 'node:crypto';
import { existsSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeOidc, MISBEHAVIOURS } from '../fakes/oidc.mjs';
import { startFakeSmtp } from '../fakes/smtp.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DA_BIN = process.env.DA_BIN || join(ROOT, 'build', 'da');
const TEST_BIN = join(dirname(DA_BIN), 'tests', 'test_oidc');
const CLIENT_ID = 'client-e2e.apps.test';
const CLIENT_SECRET = 'e2e-secret&=';
const REDIRECT = 'http://127.0.0.1:8080/auth/google/callback';

const b64url = (buf) => Buffer.from(buf).toString('base64url');

// Runs the C test binary's "fakes" group with env added; resolves { code, out }.
function runC(env) {
  return new Promise((resolvePromise) => {
    execFile(TEST_BIN, [], { env: { ...process.env, ...env }, timeout: 30_000 },
      (err, stdout, stderr) => {
        resolvePromise({ code: err ? (err.code ?? 1) : 0, out: `${stdout}${stderr}` });
      });
  });
}

function haveTestBin(t) {
  if (existsSync(TEST_BIN)) return true;
  console.warn(`\n*** SKIPPING C end-to-end checks: ${TEST_BIN} is missing (run make first) ***\n`);
  t.skip(`${TEST_BIN} missing`);
  return false;
}

// Drives /authorize like a browser and returns the redirect's query parameters.
async function authorize(idp, params) {
  const u = new URL(idp.authorizationEndpoint);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
  const res = await fetch(u, { redirect: 'manual' });
  return res;
}

function pkce() {
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  return { verifier, challenge };
}

async function getCode(idp, { challenge, nonce = 'n-1', state = 's-1' }) {
  const res = await authorize(idp, {
    response_type: 'code', client_id: CLIENT_ID, redirect_uri: REDIRECT,
    scope: 'openid email profile', state, nonce, code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  assert.equal(res.status, 302);
  const loc = new URL(res.headers.get('location'));
  assert.equal(`${loc.origin}${loc.pathname}`, REDIRECT);
  assert.equal(loc.searchParams.get('state'), state);
  return loc.searchParams.get('code');
}

function tokenRequest(idp, fields, headers = {}) {
  return fetch(idp.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

function decodeJwt(token) {
  const [h, p, s] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url')),
    claims: JSON.parse(Buffer.from(p, 'base64url')),
    input: `${h}.${p}`,
    sig: Buffer.from(s, 'base64url'),
  };
}

describe('fake OIDC provider', () => {
  let idp;
  before(async () => { idp = await startFakeOidc({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }); });
  after(async () => { await idp.stop(); });

  test('publishes discovery and a JWK Set', async () => {
    const conf = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json();
    assert.equal(conf.issuer, idp.issuer);
    assert.equal(conf.authorization_endpoint, idp.authorizationEndpoint);
    assert.equal(conf.token_endpoint, idp.tokenEndpoint);
    assert.equal(conf.jwks_uri, idp.jwksUri);
    assert.deepEqual(conf.code_challenge_methods_supported, ['S256']);
    const jwks = await (await fetch(idp.jwksUri)).json();
    assert.equal(jwks.keys.length, 1);
    const [k] = jwks.keys;
    assert.equal(k.kty, 'RSA');
    assert.equal(k.alg, 'RS256');
    assert.equal(k.use, 'sig');
    assert.equal(k.kid, idp.kid);
    assert.equal(k.e, 'AQAB');
    assert.equal(Buffer.from(k.n, 'base64url').length, 256);
    assert.equal(k.d, undefined, 'no private part');
  });

  test('authorize validates the request', async () => {
    const { challenge } = pkce();
    const base = {
      response_type: 'code', client_id: CLIENT_ID, redirect_uri: REDIRECT, scope: 'openid email',
      state: 'st', nonce: 'nn', code_challenge: challenge, code_challenge_method: 'S256',
    };
    assert.equal((await authorize(idp, { ...base, client_id: 'other' })).status, 400);
    assert.equal((await authorize(idp, { ...base, redirect_uri: undefined })).status, 400);
    for (const [change, error] of [
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ code_challenge_method: 'plain' }, 'invalid_request'],
      [{ code_challenge: undefined }, 'invalid_request'],
      [{ scope: 'email' }, 'invalid_scope'],
    ]) {
      const res = await authorize(idp, { ...base, ...change });
      assert.equal(res.status, 302);
      const loc = new URL(res.headers.get('location'));
      assert.equal(loc.searchParams.get('error'), error, JSON.stringify(change));
      assert.equal(loc.searchParams.get('state'), 'st');
      assert.equal(loc.searchParams.get('code'), null);
    }
  });

  test('token endpoint checks PKCE, single use, redirect_uri and the client', async () => {
    const { verifier, challenge } = pkce();
    let code = await getCode(idp, { challenge });
    const good = {
      grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET, code_verifier: verifier,
    };
    // a wrong verifier fails and burns the code
    let res = await tokenRequest(idp, { ...good, code_verifier: pkce().verifier });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error, 'invalid_grant');
    res = await tokenRequest(idp, good);
    assert.equal(res.status, 400, 'a code is single use, even after a failed attempt');

    code = await getCode(idp, { challenge, nonce: 'nonce-42' });
    res = await tokenRequest(idp, { ...good, code, client_secret: 'wrong' });
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error, 'invalid_client');
    res = await tokenRequest(idp, { ...good, code, grant_type: 'password' });
    assert.equal((await res.json()).error, 'unsupported_grant_type');
    res = await tokenRequest(idp, { ...good, code, redirect_uri: `${REDIRECT}x` });
    assert.equal((await res.json()).error, 'invalid_grant');

    // client_secret_basic works too, and the token is a proper RS256 JWT
    code = await getCode(idp, { challenge, nonce: 'nonce-43' });
    const { client_id: _id, client_secret: _secret, ...rest } = good;
    const basic = Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64');
    res = await tokenRequest(idp, { ...rest, code }, { authorization: `Basic ${basic}` });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.token_type, 'Bearer');
    assert.ok(body.access_token);
    assert.ok(body.expires_in > 0);
    const jwt = decodeJwt(body.id_token);
    assert.deepEqual(jwt.header, { alg: 'RS256', kid: idp.kid, typ: 'JWT' });
    const jwks = await (await fetch(idp.jwksUri)).json();
    const key = createPublicKey({ key: jwks.keys[0], format: 'jwk' });
    assert.ok(createVerify('RSA-SHA256').update(jwt.input).verify(key, jwt.sig));
    const c = jwt.claims;
    assert.equal(c.iss, idp.issuer);
    assert.equal(c.aud, CLIENT_ID);
    assert.equal(c.azp, CLIENT_ID);
    assert.equal(c.nonce, 'nonce-43');
    assert.equal(c.email_verified, true);
    assert.ok(c.sub && c.email && c.name && c.hd);
    assert.ok(c.exp > c.iat);
    res = await tokenRequest(idp, { ...rest, code }, { authorization: `Basic ${basic}` });
    assert.equal(res.status, 400, 'redeemed code refused');
  });

  test('misbehaviours spoil the token as named', () => {
    const now = Math.floor(Date.now() / 1000);
    const shape = {};
    for (const kind of MISBEHAVIOURS.filter((k) => k !== 'token-error')) {
      idp.setMisbehaviour(kind);
      shape[kind] = decodeJwt(idp.mintIdToken('nonce-x'));
    }
    idp.setMisbehaviour(null);
    assert.notEqual(shape['wrong-aud'].claims.aud, CLIENT_ID);
    assert.notEqual(shape['wrong-iss'].claims.iss, idp.issuer);
    assert.ok(shape.expired.claims.exp < now);
    assert.notEqual(shape['wrong-nonce'].claims.nonce, 'nonce-x');
    assert.equal(shape['unverified-email'].claims.email_verified, false);
    assert.notEqual(shape['unknown-kid'].header.kid, idp.kid);
    assert.equal(shape['alg-none'].header.alg, 'none');
    assert.equal(shape['alg-none'].sig.length, 0);
    assert.equal(shape['alg-hs256'].header.alg, 'HS256');
    assert.equal(shape['alg-hs256'].sig.length, 32);
    assert.equal(shape['bad-signature'].sig.length, 256);
    assert.throws(() => idp.setMisbehaviour('nonsense'));
  });
});

describe('C OIDC client against the fake provider', () => {
  let idp;
  const env = () => ({
    DA_FAKE_OIDC_ISSUER: idp.issuer,
    DA_FAKE_OIDC_CLIENT_ID: CLIENT_ID,
    DA_FAKE_OIDC_CLIENT_SECRET: CLIENT_SECRET,
  });
  before(async () => { idp = await startFakeOidc({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }); });
  after(async () => { await idp.stop(); });

  test('signs in, and codes, verifiers and secrets are checked', async (t) => {
    if (!haveTestBin(t)) return;
    idp.setMisbehaviour(null);
    idp.setIdentity({ email: 'bob@corp.example', name: 'Bob Ödön', hd: 'corp.example', sub: '42' });
    const r = await runC({ ...env(), DA_FAKE_OIDC_EXPECT: 'ok:bob@corp.example' });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^oidc_finish: ok$/m);
    assert.match(r.out, /identity: sub=42 email=bob@corp\.example name=Bob Ödön hd=corp\.example/);
    assert.match(r.out, /oidc_finish again: unauthorized .*invalid_grant/);
    assert.match(r.out, /another verifier: unauthorized .*invalid_grant/);
    assert.match(r.out, /wrong secret: unauthorized .*invalid_client/);
    const tokenCalls = idp.log.filter((e) => e.path === '/token').length;
    assert.equal(tokenCalls, 4);
    idp.setIdentity({});
  });

  const reasons = {
    'wrong-aud': /aud does not name this client/,
    'wrong-iss': /iss is not the configured issuer/,
    expired: /expired/,
    'bad-signature': /signature does not verify/,
    'alg-none': /alg is not RS256/,
    'alg-hs256': /alg is not RS256/,
    'wrong-nonce': /nonce does not match/,
    'unverified-email': /email is not verified/,
    'unknown-kid': /kid/,
    'token-error': /refused the code: HTTP 400 invalid_grant/,
  };
  for (const kind of MISBEHAVIOURS) {
    test(`refuses a provider that misbehaves: ${kind}`, async (t) => {
      if (!haveTestBin(t)) return;
      idp.setMisbehaviour(kind);
      try {
        const r = await runC({ ...env(), DA_FAKE_OIDC_EXPECT: 'unauthorized' });
        assert.equal(r.code, 0, r.out);
        assert.match(r.out, /^oidc_finish: unauthorized /m);
        assert.match(r.out, reasons[kind]);
      } finally {
        idp.setMisbehaviour(null);
      }
    });
  }
});

// A minimal SMTP client for driving the fake by hand.
function smtpSession(port) {
  const sock = net.connect(port, '127.0.0.1');
  let buf = '';
  let waiting = null;
  sock.setEncoding('utf8');
  const tryResolve = () => {
    if (!waiting) return;
    const m = /(^|\r\n)(\d{3}) [^\r\n]*\r\n$/.exec(buf);
    if (m) {
      const text = buf;
      buf = '';
      const w = waiting;
      waiting = null;
      w({ code: Number(m[2]), text });
    }
  };
  sock.on('data', (d) => { buf += d; tryResolve(); });
  const next = () => new Promise((r) => { waiting = r; tryResolve(); });
  return {
    greeting: next(),
    async send(line) { sock.write(`${line}\r\n`); return next(); },
    async raw(data) { sock.write(data); return next(); },
    close() { sock.destroy(); },
  };
}

describe('fake SMTP relay', () => {
  let smtp;
  let dir;
  before(async () => {
    smtp = await startFakeSmtp();
    dir = mkdtempSync(join(tmpdir(), 'da-fakes-'));
  });
  after(async () => {
    await smtp.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('speaks SMTP: EHLO, AUTH, envelope, DATA with dot-stuffing, RSET, QUIT', async () => {
    const s = smtpSession(smtp.port);
    assert.equal((await s.greeting).code, 220);
    const ehlo = await s.send('EHLO client.test');
    assert.equal(ehlo.code, 250);
    assert.match(ehlo.text, /^250-AUTH PLAIN LOGIN\r$/m);
    assert.doesNotMatch(ehlo.text, /STARTTLS/);
    assert.equal((await s.send('DATA')).code, 503);
    assert.equal((await s.send(`AUTH PLAIN ${Buffer.from('\0user\0pa ss').toString('base64')}`)).code, 235);
    assert.equal((await s.send('MAIL FROM:<a@example.com>')).code, 250);
    assert.equal((await s.send('RSET')).code, 250);
    assert.equal((await s.send('RCPT TO:<b@example.com>')).code, 503, 'RSET cleared the sender');
    assert.equal((await s.send('MAIL FROM:<a@example.com> SIZE=100')).code, 250);
    assert.equal((await s.send('RCPT TO:<b@example.com>')).code, 250);
    assert.equal((await s.send('RCPT TO:<c@example.com>')).code, 250);
    assert.equal((await s.send('NOOP')).code, 250);
    assert.equal((await s.send('DATA')).code, 354);
    const done = await s.raw('Subject: hi\r\n\r\nline one\r\n..leading dot\r\n.\r\n');
    assert.equal(done.code, 250);
    assert.equal((await s.send('QUIT')).code, 221);
    s.close();
    const m = await smtp.waitForMessage((x) => x.subject === 'hi', 1000);
    assert.equal(m.from, 'a@example.com');
    assert.deepEqual(m.to, ['b@example.com', 'c@example.com']);
    assert.deepEqual(m.auth, { mechanism: 'PLAIN', username: 'user', password: 'pa ss' });
    assert.equal(m.text, 'line one\n.leading dot\n');
    await assert.rejects(smtp.waitForMessage((x) => x.subject === 'never', 50));
  });

  test('AUTH LOGIN is recorded', async () => {
    const s = smtpSession(smtp.port);
    await s.greeting;
    await s.send('EHLO x');
    assert.equal((await s.send('AUTH LOGIN')).code, 334);
    assert.equal((await s.send(Buffer.from('login-user').toString('base64'))).code, 334);
    assert.equal((await s.send(Buffer.from('login-pass').toString('base64'))).code, 235);
    await s.send('MAIL FROM:<x@example.com>');
    await s.send('RCPT TO:<y@example.com>');
    await s.send('DATA');
    await s.raw('Subject: login\r\n\r\nbody\r\n.\r\n');
    s.close();
    const m = await smtp.waitForMessage((x) => x.subject === 'login', 1000);
    assert.deepEqual(m.auth, { mechanism: 'LOGIN', username: 'login-user', password: 'login-pass' });
  });

  test('receives a message from the curl command line tool', async (t) => {
    const curl = ['/usr/bin/curl', '/usr/local/bin/curl'].find((p) => existsSync(p));
    if (!curl) {
      console.warn('\n*** SKIPPING: no curl command line tool, the fake SMTP relay is not exercised by it ***\n');
      t.skip('curl CLI missing');
      return;
    }
    const file = join(dir, 'mail.txt');
    writeFileSync(file, 'From: a@example.com\r\nTo: b@example.com\r\nSubject: from curl\r\n\r\nHello\r\n.\r\nBye\r\n');
    await new Promise((res, rej) => {
      execFile(curl, ['-sS', '--url', smtp.url, '--mail-from', 'a@example.com', '--mail-rcpt',
        'b@example.com', '--user', 'cu:cp', '-T', file], { timeout: 10_000 },
      (err, _o, stderr) => (err ? rej(new Error(`${err.message} ${stderr}`)) : res()));
    });
    const m = await smtp.waitForMessage((x) => x.subject === 'from curl', 2000);
    assert.equal(m.from, 'a@example.com');
    assert.deepEqual(m.to, ['b@example.com']);
    assert.equal(m.auth.username, 'cu');
    assert.equal(m.auth.password, 'cp');
    assert.equal(m.text, 'Hello\n.\nBye\n', 'the lone dot survives stuffing');
  });

  test('C mail_send delivers a well-formed message', async (t) => {
    if (!haveTestBin(t)) return;
    const subject = 'Sign in to da — your link is ready, Zoë! Ünïcödé ✓ and a long tail to fold';
    const link = 'http://127.0.0.1:8080/auth/email/verify?token=abc_DEF-123&next=%2Fhome';
    const body = [
      'Hello Zoë,',
      '',
      `Open ${link} to sign in.`,
      '.',
      '..two dots',
      `${'x'.repeat(200)} end`,
      'trailing spaces   ',
      'tab\there',
      'The link expires in 15 minutes.',
      '',
    ].join('\n');
    const r = await runC({
      DA_FAKE_SMTP_URL: smtp.url,
      DA_FAKE_SMTP_TO: 'zoe+da@example.org',
      DA_FAKE_SMTP_FROM: 'da <noreply@da.example.com>',
      DA_FAKE_SMTP_SUBJECT: subject,
      DA_FAKE_SMTP_BODY: body,
      DA_FAKE_SMTP_USER: 'relay-user',
      DA_FAKE_SMTP_PASS: 'relay pass',
    });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^mail_send: ok$/m);
    assert.match(r.out, /require_tls: io .*STARTTLS/);
    const m = await smtp.waitForMessage((x) => x.to.includes('zoe+da@example.org'), 2000);
    assert.equal(m.from, 'noreply@da.example.com');
    assert.deepEqual(m.to, ['zoe+da@example.org']);
    assert.equal(m.auth.username, 'relay-user');
    assert.equal(m.auth.password, 'relay pass');
    assert.equal(m.subject, subject);
    assert.equal(m.text, body);
    assert.equal(m.headers.from, 'da <noreply@da.example.com>');
    assert.equal(m.headers.to, 'zoe+da@example.org');
    assert.equal(m.headers['mime-version'], '1.0');
    assert.equal(m.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(m.headers['content-transfer-encoding'], 'quoted-printable');
    assert.match(m.headers['message-id'], /^<[0-9a-f]{32}@da\.example\.com>$/);
    assert.match(m.headers.date, /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    assert.ok(Math.abs(Date.parse(m.headers.date) - Date.now()) < 60_000);
    // 7-bit, short lines, CRLF only
    for (const line of m.data.split('\r\n')) {
      assert.ok(line.length <= 76, `line too long: ${line}`);
      assert.match(line, /^[\x20-\x7e\t]*$/, 'ASCII only');
    }
    assert.doesNotMatch(m.data.replace(/\r\n/g, ''), /[\r\n]/);
    assert.equal(smtp.messages.filter((x) => x.subject === 'must not arrive').length, 0);
  });
});
