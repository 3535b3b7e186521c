// oidc.mjs — a fake OpenID Connect provider (Google-like) for tests, speaking the real wire
// formats: discovery document, an /authorize endpoint that consents at once and redirects with a
// code, a /token endpoint that checks client credentials, single-use codes, redirect_uri and the
// PKCE S256 challenge and returns an RS256 ID token, and a JWK Set. Misbehaviours forge or spoil
// the ID token in the ways a relying party must refuse.
//
//   const idp = await startFakeOidc({ clientId: 'cid', clientSecret: 'secret' });
//   idp.setIdentity({ email: 'ann@example.com' });   // merged over the default identity
//   idp.setMisbehaviour('wrong-aud');                // or null for an honest provider
//   await idp.stop();
import http from 'node:http';
import { createHash, createHmac, generateKeyPairSync, randomBytes, createSign } from 'node:crypto';

export const MISBEHAVIOURS = [
  'wrong-aud', 'wrong-iss', 'expired', 'bad-signature', 'alg-none', 'alg-hs256', 'wrong-nonce',
  'unverified-email', 'unknown-kid', 'token-error',
];

const DEFAULT_IDENTITY = {
  sub: '109876543210987654321',
  email: 'ann@example.com',
  email_verified: true,
  name: 'Ann Example',
  hd: 'example.com',
};

const b64url = (buf) => Buffer.from(buf).toString('base64url');

function readBody(req, limit = 64 * 1024) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res, status, obj, headers = {}) {
  const body = JSON.stringify(obj);
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

export async function startFakeOidc({ clientId, clientSecret } = {}) {
  if (!clientId || !clientSecret) throw new Error('startFakeOidc needs clientId and clientSecret');
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `fake-${randomBytes(6).toString('hex')}`;
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' });

  let identity = { ...DEFAULT_IDENTITY };
  let misbehaviour = null;
  const codes = new Map(); // code -> { challenge, nonce, redirectUri, expires, used }
  const log = []; // { method, path } of every request, for assertions
  let issuer = '';

  function signIdToken(nonce) {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: issuer,
      azp: clientId,
      aud: clientId,
      ...identity,
      iat: now,
      exp: now + 3600,
    };
    if (nonce !== undefined) claims.nonce = nonce;
    const header = { alg: 'RS256', kid, typ: 'JWT' };
    switch (misbehaviour) {
      case 'wrong-aud': claims.aud = 'someone-else.apps.googleusercontent.com'; claims.azp = claims.aud; break;
      case 'wrong-iss': claims.iss = 'https://evil.example.com'; break;
      case 'expired': claims.iat = now - 7200; claims.exp = now - 3600; break;
      case 'wrong-nonce': claims.nonce = b64url(randomBytes(32)); break;
      case 'unverified-email': claims.email_verified = false; break;
      case 'unknown-kid': header.kid = 'not-in-the-jwks'; break;
      case 'alg-none': header.alg = 'none'; delete header.kid; break;
      case 'alg-hs256': header.alg = 'HS256'; break;
      default: break;
    }
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    if (misbehaviour === 'alg-none') return `${input}.`;
    if (misbehaviour === 'alg-hs256') {
      // the classic key-confusion forgery: HMAC keyed with the public key anyone can fetch
      return `${input}.${b64url(createHmac('sha256', publicPem).update(input).digest())}`;
    }
    const sig = createSign('RSA-SHA256').update(input).sign(privateKey);
    if (misbehaviour === 'bad-signature') sig[sig.length - 1] ^= 1;
    return `${input}.${b64url(sig)}`;
  }

  function redirectWith(res, redirectUri, params) {
    const u = new URL(redirectUri);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
    res.writeHead(302, { location: u.toString(), 'cache-control': 'no-store' });
    res.end();
  }

  function handleAuthorize(url, res) {
    const q = url.searchParams;
    const redirectUri = q.get('redirect_uri');
    // Errors about the client itself are shown, never redirected (RFC 6749 §4.1.2.1).
    if (q.get('client_id') !== clientId) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('invalid_client: unknown client_id');
      return;
    }
    let target;
    try {
      target = new URL(redirectUri || '');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('invalid_request: redirect_uri missing or not absolute');
      return;
    }
    const state = q.get('state') ?? undefined;
    const fail = (error, description) =>
      redirectWith(res, target.toString(), { error, error_description: description, state });
    if (q.get('response_type') !== 'code') return fail('unsupported_response_type', 'code only');
    const scopes = (q.get('scope') || '').split(' ');
    if (!scopes.includes('openid')) return fail('invalid_scope', 'openid scope required');
    if (q.get('code_challenge_method') !== 'S256') return fail('invalid_request', 'S256 PKCE required');
    const challenge = q.get('code_challenge') || '';
    if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) return fail('invalid_request', 'bad code_challenge');
    const code = `code-${b64url(randomBytes(24))}`;
    codes.set(code, {
      challenge,
      nonce: q.get('nonce') ?? undefined,
      redirectUri,
      expires: Date.now() + 60_000,
      used: false,
    });
    redirectWith(res, target.toString(), { code, state });
  }

  async function handleToken(req, res) {
    if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] || '')) {
      return sendJson(res, 400, { error: 'invalid_request', error_description: 'form body required' });
    }
    const form = new URLSearchParams(await readBody(req));
    let id = form.get('client_id');
    let secret = form.get('client_secret');
    const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization || '');
    if (basic) {
      const [u, p] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
      id = decodeURIComponent(u || '');
      secret = decodeURIComponent(p || '');
    }
    if (id !== clientId || secret !== clientSecret) {
      return sendJson(res, 401, { error: 'invalid_client' }, { 'www-authenticate': 'Basic' });
    }
    if (form.get('grant_type') !== 'authorization_code') {
      return sendJson(res, 400, { error: 'unsupported_grant_type' });
    }
    if (misbehaviour === 'token-error') {
      return sendJson(res, 400, { error: 'invalid_grant', error_description: 'told to refuse' });
    }
    const code = form.get('code') || '';
    const entry = codes.get(code);
    if (!entry || entry.used || entry.expires < Date.now()) {
      if (entry) entry.used = true;
      return sendJson(res, 400, { error: 'invalid_grant', error_description: 'unknown, used or expired code' });
    }
    entry.used = true; // single use, even when the rest of the request is wrong
    if (form.get('redirect_uri') !== entry.redirectUri) {
      return sendJson(res, 400, { error: 'invalid_grant', error_description: 'redirect_uri mismatch' });
    }
    const verifier = form.get('code_verifier') || '';
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) ||
        b64url(createHash('sha256').update(verifier).digest()) !== entry.challenge) {
      return sendJson(res, 400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
    }
    return sendJson(res, 200, {
      access_token: `at-${b64url(randomBytes(24))}`,
      id_token: signIdToken(entry.nonce),
      token_type: 'Bearer',
      expires_in: 3599,
      scope: 'openid email profile',
    });
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, issuer);
    log.push({ method: req.method, path: url.pathname });
    try {
      if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
        return sendJson(res, 200, {
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          scopes_supported: ['openid', 'email', 'profile'],
          token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
          code_challenge_methods_supported: ['S256'],
          claims_supported: ['aud', 'email', 'email_verified', 'exp', 'hd', 'iat', 'iss', 'name', 'sub', 'nonce'],
        });
      }
      if (req.method === 'GET' && url.pathname === '/authorize') return handleAuthorize(url, res);
      if (req.method === 'POST' && url.pathname === '/token') return await handleToken(req, res);
      if (req.method === 'GET' && url.pathname === '/jwks') return sendJson(res, 200, { keys: [jwk] });
      return sendJson(res, 404, { error: 'not_found' });
    } catch (e) {
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error', error_description: String(e.message) });
      else res.destroy();
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  issuer = `http://127.0.0.1:${server.address().port}`;

  return {
    issuer,
    authorizationEndpoint: `${issuer}/authorize`,
    tokenEndpoint: `${issuer}/token`,
    jwksUri: `${issuer}/jwks`,
    kid,
    log,
    setIdentity(claims) {
      identity = { ...DEFAULT_IDENTITY, ...claims };
      for (const [k, v] of Object.entries(identity)) if (v === undefined) delete identity[k];
    },
    setMisbehaviour(kind) {
      if (kind != null && !MISBEHAVIOURS.includes(kind)) throw new Error(`unknown misbehaviour ${kind}`);
      misbehaviour = kind ?? null;
    },
    // Mints an ID token directly (honouring the current identity and misbehaviour).
    mintIdToken(nonce) {
      return signIdToken(nonce);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
