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

// Runs da to completion (for CLI tests and startup failures).
export function runDa(args, { env = {}, cwd, timeout = 60000 } = {}) {
  const r = spawnSync(DA_BIN, args, { env: cleanEnv(env), cwd, encoding: 'utf8', timeout });
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
