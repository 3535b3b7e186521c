// server.mjs — starts a real `da serve` on a free loopback port with a temporary data folder,
// and stops it. Every end-to-end test talks to the server over HTTP, as a user would.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const DA_BIN = process.env.DA_BIN || new URL('../../../build/da', import.meta.url).pathname;

export function tempDir(prefix = 'da-e2e-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}

// Environment for a child da: nothing of the caller's DA_* or JWT settings leaks in.
export function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('DA_') && k !== 'JWT_SECRET_KEY') env[k] = v;
  }
  return { ...env, ...extra };
}

// Runs da to completion (for CLI tests and startup failures). input, when given, is written
// to its standard input (a password or token: never an argument).
export function runDa(args, { env = {}, cwd, timeout = 60000, input } = {}) {
  const r = spawnSync(DA_BIN, args, { env: cleanEnv(env), cwd, encoding: 'utf8', timeout, input });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

// Starts `da serve` and resolves once it listens. Options: dataDir (made when absent),
// args (extra arguments), env (extra environment), cwd.
export async function startServer({ dataDir, args = [], env = {}, cwd } = {}) {
  const ownDir = !dataDir;
  dataDir = dataDir || tempDir();
  const child = spawn(DA_BIN, ['serve', '--port', '0', '--data-dir', dataDir, ...args], {
    env: cleanEnv(env),
    cwd: cwd || dataDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const server = {
    child,
    dataDir,
    log: '',
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
  };
  child.stdout.on('data', (d) => { server.log += d; });
  child.stderr.on('data', (d) => { server.log += d; });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`da serve did not start:\n${server.log}`)), 60000);
    const check = () => {
      const m = server.log.match(/listening on http:\/\/[^:]+:(\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    server.exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`da serve exited with ${code} before listening:\n${server.log}`));
    });
  });
  server.port = port;
  server.url = `http://127.0.0.1:${port}`;
  // Stops the server with SIGTERM and resolves to its exit status.
  server.stop = async ({ keepData = false } = {}) => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const result = await server.exited;
    if (ownDir && !keepData) removeDir(dataDir);
    return result;
  };
  return server;
}

export function writeConfig(dir, text) {
  const path = join(dir, 'instance.yaml');
  writeFileSync(path, text);
  return path;
}

// Calls the API: api(server, 'POST', '/auth/token', { body, token, headers }) resolves to
// { status, headers, body } with body parsed as JSON when it is JSON.
export async function api(server, method, path, { body, token, headers = {}, raw } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  let payload;
  if (raw !== undefined) payload = raw;
  else if (body !== undefined) {
    payload = JSON.stringify(body);
    h['Content-Type'] = 'application/json';
  }
  const res = await fetch(`${server.url}${path}`, { method, headers: h, body: payload, redirect: 'manual' });
  const text = await res.text();
  let parsed = text;
  try { parsed = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, body: parsed };
}

// Signs in with a password and returns the session token.
export async function login(server, email, password) {
  const r = await api(server, 'POST', '/auth/token', { body: { email, password } });
  if (r.status !== 200) throw new Error(`login ${email}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.access_token;
}

export const TEST_JWT_SECRET = 'e2e-test-secret-0123456789abcdef0123456789';
export const ADMIN = { email: 'root@example.com', password: 'correct horse battery staple' };

// Environment for a server with a known signing key and a seeded admin.
export function identityEnv(extra = {}) {
  return {
    JWT_SECRET_KEY: TEST_JWT_SECRET,
    SEED_ADMIN_EMAIL: ADMIN.email,
    SEED_ADMIN_PASSWORD: ADMIN.password,
    DA_LOGIN_RATE_PER_IP: '100000',
    DA_LOGIN_RATE_PER_ACCOUNT: '100000',
    ...extra,
  };
}

// Signs in the seeded admin and creates a signed-in analyst:
// { admin: token, analyst: token, analystId }.
export async function adminAndAnalyst(server, email = 'ana@example.com') {
  const admin = await login(server, ADMIN.email, ADMIN.password);
  const password = 'analyst-password-123';
  const r = await api(server, 'POST', '/api/users', {
    token: admin, body: { email, name: 'Ana', role: 'analyst', password },
  });
  if (r.status !== 201) throw new Error(`create ${email}: ${r.status} ${JSON.stringify(r.body)}`);
  return { admin, analyst: await login(server, email, password), analystId: r.body.id };
}
