// signin.test.mjs — magic links through a local SMTP server and Google sign-in through a local
// OpenID provider, both speaking their real wire formats (tests/fakes/).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, login, identityEnv, ADMIN } from './lib/server.mjs';
import { startFakeSmtp } from '../fakes/smtp.mjs';
import { startFakeOidc } from '../fakes/oidc.mjs';

const cookieOf = (res, name) => {
  const all = res.headers.getSetCookie ? res.headers.getSetCookie() : [res.headers.get('set-cookie')];
  const c = all.find((x) => x && x.startsWith(`${name}=`));
  return c ? c.split(';')[0] : null;
};

describe('magic link', () => {
  let smtp;
  let server;
  let adminToken;
  before(async () => {
    smtp = await startFakeSmtp();
    server = await startServer({ env: identityEnv({ DA_SMTP_URL: smtp.url, DA_SMTP_REQUIRE_TLS: 'false', DA_MAIL_FROM: 'da <noreply@example.com>' }) });
    adminToken = await login(server, ADMIN.email, ADMIN.password);
    const r = await api(server, 'POST', '/api/users', { token: adminToken, body: { email: 'linker@example.com', name: 'Link User' } });
    assert.equal(r.status, 201);
  });
  after(async () => {
    assert.equal((await server.stop()).code, 0);
    await smtp.stop();
  });

  test('the answer is the same for known and unknown addresses; only the known one gets mail', async () => {
    const known = await api(server, 'POST', '/auth/email/send-link', { body: { email: 'linker@example.com' } });
    const unknown = await api(server, 'POST', '/auth/email/send-link', { body: { email: 'ghost@example.com' } });
    assert.equal(known.status, 200);
    assert.deepEqual(known.body, unknown.body);
    const msg = await smtp.waitForMessage((m) => m.to.includes('linker@example.com'), 10000);
    assert.equal(msg.subject, 'Your sign-in link');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(smtp.messages.filter((m) => m.to.includes('ghost@example.com')).length, 0);
  });

  test('the link opens a page, signs in once with a cookie, and never appears in the log', async () => {
    smtp.messages.length = 0;
    await api(server, 'POST', '/auth/email/send-link', { body: { email: 'LINKER@example.com' } });
    const msg = await smtp.waitForMessage((m) => m.to.includes('linker@example.com'), 10000);
    const link = msg.text.match(/(http\S+\/auth\/email\/verify)#token=(da_link_[A-Za-z0-9_-]{43})/);
    assert.ok(link, msg.text);
    const page = await fetch(`${server.url}/auth/email/verify`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /auth\.js/);
    const js = await fetch(`${server.url}/auth/assets/auth.js`);
    assert.match(await js.text(), /\/auth\/email\/verify/);
    const first = await api(server, 'POST', '/auth/email/verify', { body: { token: link[2] } });
    assert.equal(first.status, 200);
    assert.equal(first.body.email, 'linker@example.com');
    assert.ok(cookieOf(first, 'access_token'));
    const me = await api(server, 'GET', '/api/me', { headers: { Cookie: cookieOf(first, 'access_token') } });
    assert.equal(me.body.email, 'linker@example.com');
    const second = await api(server, 'POST', '/auth/email/verify', { body: { token: link[2] } });
    assert.equal(second.status, 401);
    assert.ok(!server.log.includes(link[2]), 'the token is not in the server log');
  });
});

describe('Google sign-in', () => {
  const clientId = 'da-test-client.apps.example';
  const clientSecret = 'fake-client-secret';
  let oidc;
  let server;
  let adminToken;
  before(async () => {
    oidc = await startFakeOidc({ clientId, clientSecret });
    server = await startServer({
      env: identityEnv({
        GOOGLE_CLIENT_ID: clientId,
        GOOGLE_CLIENT_SECRET: clientSecret,
        DA_GOOGLE_ISSUER: oidc.issuer,
        DA_GOOGLE_AUTHORIZATION_ENDPOINT: oidc.authorizationEndpoint,
        DA_GOOGLE_TOKEN_ENDPOINT: oidc.tokenEndpoint,
        DA_GOOGLE_JWKS_URI: oidc.jwksUri,
        DA_ALLOWED_DOMAINS: 'Example.com',
      }),
    });
    adminToken = await login(server, ADMIN.email, ADMIN.password);
  });
  after(async () => {
    assert.equal((await server.stop()).code, 0);
    await oidc.stop();
  });

  // Runs the browser's part of the flow; returns the callback's response.
  async function signIn({ tamperState = false, dropCookie = false } = {}) {
    const start = await fetch(`${server.url}/auth/google/login`, { redirect: 'manual' });
    assert.equal(start.status, 302);
    const authorize = new URL(start.headers.get('location'));
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(authorize.searchParams.get('client_id'), clientId);
    assert.ok(authorize.searchParams.get('nonce'));
    const stateCookie = cookieOf(start, 'da_oidc');
    assert.ok(stateCookie);
    const consent = await fetch(authorize, { redirect: 'manual' });
    assert.equal(consent.status, 302);
    const back = new URL(consent.headers.get('location'));
    const callback = new URL(`${server.url}/auth/google/callback`);
    callback.searchParams.set('code', back.searchParams.get('code'));
    callback.searchParams.set('state', tamperState ? 'x'.repeat(43) : back.searchParams.get('state'));
    return fetch(callback, { redirect: 'manual', headers: dropCookie ? {} : { Cookie: stateCookie } });
  }

  test('a verified user of an allowed domain joins as analyst and gets a cookie', async () => {
    oidc.setMisbehaviour(null);
    oidc.setIdentity({ email: 'newbie@example.com', email_verified: true, hd: 'example.com', name: 'New Bie' });
    const res = await signIn();
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/');
    const cookie = cookieOf(res, 'access_token');
    const me = await api(server, 'GET', '/api/me', { headers: { Cookie: cookie } });
    assert.equal(me.body.email, 'newbie@example.com');
    assert.equal(me.body.role, 'analyst');
    assert.equal(me.body.name, 'New Bie');
  });

  test('domains are compared case-insensitively', async () => {
    oidc.setIdentity({ email: 'Upper@EXAMPLE.COM', email_verified: true, hd: 'EXAMPLE.com' });
    assert.equal((await signIn()).status, 302);
  });

  test('a domain that is not allowed cannot join, but an existing user of it may sign in', async () => {
    oidc.setIdentity({ email: 'intruder@evil.example', email_verified: true });
    const res = await signIn();
    assert.equal(res.status, 403);
    assert.equal(cookieOf(res, 'access_token'), null);
    const users = (await api(server, 'GET', '/api/users', { token: adminToken })).body;
    assert.ok(!users.some((u) => u.email === 'intruder@evil.example'));
    await api(server, 'POST', '/api/users', { token: adminToken, body: { email: 'partner@partner.example' } });
    oidc.setIdentity({ email: 'partner@partner.example', email_verified: true });
    assert.equal((await signIn()).status, 302);
  });

  test('state that does not match, or a missing state cookie, is refused', async () => {
    oidc.setIdentity({ email: 'newbie@example.com', email_verified: true });
    assert.equal((await signIn({ tamperState: true })).status, 400);
    assert.equal((await signIn({ dropCookie: true })).status, 400);
  });

  test('every forged or wrong ID token is refused', async () => {
    oidc.setIdentity({ email: 'newbie@example.com', email_verified: true, hd: 'example.com' });
    for (const kind of ['wrong-aud', 'wrong-iss', 'expired', 'bad-signature', 'alg-none', 'alg-hs256', 'wrong-nonce', 'unverified-email', 'unknown-kid']) {
      oidc.setMisbehaviour(kind);
      const res = await signIn();
      assert.equal(res.status, 401, kind);
      assert.equal(cookieOf(res, 'access_token'), null, kind);
    }
    oidc.setMisbehaviour(null);
  });
});
