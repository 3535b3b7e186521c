// client_admin.test.mjs — `da admin users|grants|tables|tokens` against a real server, each
// change checked through the API; what an analyst's token and no sign-in get (exit 4); errors
// that name the unknown user, table or group; --json that parses and piped output without
// decoration; every --help; then `da completion` (bash, and zsh when it is installed) and
// `da help` topics. The client runs with its own HOME and XDG_CONFIG_HOME.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DA_BIN, cleanEnv, startServer, runDa, tempDir, removeDir, api, login, identityEnv, adminAndAnalyst, ADMIN,
} from './lib/server.mjs';

const ANALYST = { email: 'ana@example.com', password: 'analyst-password-123' };
const ESC = '\x1b';

const homes = [];
function clientHome() {
  const dir = tempDir('da-admin-client-');
  homes.push(dir);
  return { dir, env: { HOME: dir, XDG_CONFIG_HOME: join(dir, 'cfg') }, creds: join(dir, 'cfg', 'da', 'credentials.json') };
}

// The subcommand names of a "Commands:" section of a --help text.
function commandsOf(helpText) {
  const section = helpText.split(/\nCommands[^\n]*:\n/)[1] || '';
  return section.split('\n\n')[0].split('\n').map((l) => l.trim().split(/\s+/)[0]).filter(Boolean);
}

describe('da admin over the API', () => {
  let server;
  let admin; // a session token of the seeded admin, for checking through the API
  let adminHome;
  let analystHome;
  let analystId;

  const da = (args, opts = {}) => runDa(args, { env: adminHome.env, ...opts });
  const asAdmin = (method, path, body) => api(server, method, path, { token: admin, body });
  const userByEmail = async (email) => (await asAdmin('GET', '/api/users')).body.find((u) => u.email === email);
  // Runs a da admin command that must succeed, and checks that its piped output is plain.
  const ok = (args, opts) => {
    const r = da(args, opts);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(!r.stdout.includes(ESC) && !r.stderr.includes(ESC), `${args.join(' ')}: escape codes when piped`);
    return r;
  };

  before(async () => {
    server = await startServer({ env: identityEnv() });
    ({ admin, analystId } = await adminAndAnalyst(server, ANALYST.email));
    adminHome = clientHome();
    analystHome = clientHome();
    for (const [home, who] of [[adminHome, ADMIN], [analystHome, ANALYST]]) {
      const r = runDa(['login', '--server', server.url, '--email', who.email, '--password-stdin'],
        { env: home.env, input: `${who.password}\n` });
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(async () => {
    assert.equal((await server.stop()).code, 0);
    for (const d of homes) removeDir(d);
  });

  test('--help on da admin, every group and every action, with the exit codes', () => {
    const top = runDa(['admin', '--help']);
    assert.equal(top.code, 0);
    const groups = commandsOf(top.stdout);
    assert.deepEqual(groups, ['users', 'grants', 'tables', 'tokens', 'jobs', 'sync', 'packages', 'bootstrap']);
    assert.equal(runDa(['admin']).code, 2);
    let actions = 0;
    for (const g of groups.filter((x) => x !== 'bootstrap' && x !== 'sync')) {
      const gh = runDa(['admin', g, '--help']);
      assert.equal(gh.code, 0, gh.stderr);
      assert.match(gh.stdout, new RegExp(`^Usage: da admin ${g} COMMAND`));
      for (const a of commandsOf(gh.stdout)) {
        const h = runDa(['admin', g, a, '--help']);
        assert.equal(h.code, 0, `${g} ${a}: ${h.stderr}`);
        assert.match(h.stdout, new RegExp(`^Usage: da admin ${g} ${a}`));
        assert.match(h.stdout, /--server URL[\s\S]*--json[\s\S]*Exit codes:[\s\S]*4 {2}not logged in/);
        assert.equal(runDa(['help', 'admin', g, a]).stdout, h.stdout);
        actions++;
      }
    }
    assert.equal(actions, 8 + 3 + 5 + 2 + 3 + 4); // tables: list, show, register, discover, remove
    assert.match(runDa(['admin', 'bootstrap', '--help']).stdout, /^Usage: da admin bootstrap/);
    assert.match(runDa(['admin', 'sync', '--help']).stdout, /^Usage: da admin sync \[SOURCE\]/);
    const bad = runDa(['admin', 'users', 'frobnicate']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown command 'frobnicate'/);
  });

  test('usage errors exit 2; a password is never taken from the command line', () => {
    const cases = [
      [['admin', 'users', 'add'], /missing argument/],
      [['admin', 'users', 'add', 'x@example.com', 'extra'], /unexpected argument 'extra'/],
      [['admin', 'users', 'add', 'x@example.com', '--password', 'hunter2hunter2'], /never taken from the command line/],
      [['admin', 'users', 'add', 'x@example.com', '--password=hunter2hunter2'], /never taken from the command line/],
      [['admin', 'users', 'add', 'x@example.com', '--password-stdin', '--ask-password'], /choose one/],
      [['admin', 'users', 'list', '--bogus'], /unknown option '--bogus'/],
      [['admin', 'grants', 'grant', 'orders'], /one of --user USER and --group GROUP/],
      [['admin', 'grants', 'grant', 'orders', '--user', 'a@b.c', '--group', 'g'], /one of --user/],
      [['admin', 'tables', 'register', '--public'], /missing argument/],
      [['admin', 'users', 'list', '--server'], /needs a value/],
      [['admin', 'users', 'remove', 'x@example.com'], /needs --yes when there is no terminal/],
      [['admin', 'tables', 'remove', 'x'], /needs --yes when there is no terminal/],
      [['admin', 'grants', 'list', '--user', 'a@b.c', '--group', 'g'], /choose one/],
    ];
    const nobody = clientHome(); // a bad command line is exit 2 before any sign-in is looked for
    for (const [args, re] of cases) {
      const r = runDa(args, { env: nobody.env });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
      assert.equal(r.stdout, '');
    }
    // nothing was created by the refused password
    return userByEmail('x@example.com').then((u) => assert.equal(u, undefined));
  });

  test('users: list, add with a set-up link or a password, set-role, deactivate, activate', async () => {
    // add without a password: piped, the one line is the set-up link
    let r = ok(['admin', 'users', 'add', 'bea@example.com', '--name', 'Bea', '--role', 'viewer']);
    assert.match(r.stdout, /^http:\/\/\S+\/auth\/password\/setup#token=da_setup_\S+\n$/);
    let bea = await userByEmail('bea@example.com');
    assert.equal(bea.name, 'Bea');
    assert.equal(bea.role, 'viewer');
    assert.equal(bea.has_password, false);

    // with a password from standard input: it signs in; nothing is printed when piped
    r = ok(['admin', 'users', 'add', 'cid@example.com', '--password-stdin', '--km-admin'],
      { input: 'cid-password-12345\n' });
    assert.equal(r.stdout, '');
    const cid = await userByEmail('cid@example.com');
    assert.equal(cid.has_password, true);
    assert.equal(cid.km_admin, true);
    assert.equal(cid.role, 'analyst');
    await login(server, 'cid@example.com', 'cid-password-12345');
    // the password policy is the server's, and its message comes through
    r = da(['admin', 'users', 'add', 'dan@example.com', '--password-stdin'], { input: 'short\n' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^da admin users add: the server answered 422: .*12/);
    // --json: the server's answer, with the link
    r = ok(['admin', 'users', 'add', 'eve@example.com', '--json']);
    const eve = JSON.parse(r.stdout);
    assert.equal(eve.email, 'eve@example.com');
    assert.match(eve.setup_url, /#token=da_setup_/);
    // a duplicate names the conflict
    r = da(['admin', 'users', 'add', 'EVE@example.com']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /409/);

    // list: tab-separated lines, no header, piped; --json is GET /api/users
    r = ok(['admin', 'users', 'list']);
    const lines = r.stdout.trimEnd().split('\n').map((l) => l.split('\t'));
    assert.ok(lines.every((l) => l.length === 6));
    assert.deepEqual(lines.find((l) => l[0] === 'bea@example.com'), ['bea@example.com', 'Bea', 'viewer', 'active', 'none', bea.id]);
    assert.deepEqual(lines.find((l) => l[0] === 'cid@example.com').slice(2, 5), ['analyst+km_admin', 'active', 'set']);
    const listed = JSON.parse(ok(['admin', 'users', 'list', '--json']).stdout);
    assert.deepEqual(listed.map((u) => u.email), (await asAdmin('GET', '/api/users')).body.map((u) => u.email));

    // set-role by email in any case, and by id
    ok(['admin', 'users', 'set-role', 'BEA@Example.com', 'analyst']);
    assert.equal((await userByEmail('bea@example.com')).role, 'analyst');
    r = ok(['admin', 'users', 'set-role', bea.id, 'admin', '--json']);
    assert.equal(JSON.parse(r.stdout).role, 'admin');
    assert.equal((await userByEmail('bea@example.com')).role, 'admin');
    r = da(['admin', 'users', 'set-role', 'bea@example.com', 'overlord']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /422: role: must be admin, analyst or viewer/);
    ok(['admin', 'users', 'set-role', 'bea@example.com', 'viewer']); // root is the one admin again

    // deactivate: the password stops working and sessions end; activate undoes it
    const session = await login(server, 'cid@example.com', 'cid-password-12345');
    ok(['admin', 'users', 'deactivate', 'cid@example.com']);
    assert.equal((await userByEmail('cid@example.com')).active, false);
    assert.equal((await api(server, 'GET', '/api/me', { token: session })).status, 401);
    assert.equal((await api(server, 'POST', '/auth/token', { body: { email: 'cid@example.com', password: 'cid-password-12345' } })).status, 401);
    ok(['admin', 'users', 'activate', 'cid@example.com']);
    assert.equal((await userByEmail('cid@example.com')).active, true);
    await login(server, 'cid@example.com', 'cid-password-12345');
  });

  test('users: revoke-sessions, setup-link, remove; unknown users are named', async () => {
    ok(['admin', 'users', 'add', 'fay@example.com', '--password-stdin'], { input: 'fay-password-12345\n' });
    const fay = await userByEmail('fay@example.com');
    const s1 = await login(server, 'fay@example.com', 'fay-password-12345');
    await login(server, 'fay@example.com', 'fay-password-12345');
    let r = ok(['admin', 'users', 'revoke-sessions', 'fay@example.com', '--json']);
    assert.deepEqual(JSON.parse(r.stdout), { revoked: 2 });
    assert.equal((await api(server, 'GET', '/api/me', { token: s1 })).status, 401);
    assert.deepEqual((await asAdmin('GET', `/api/users/${fay.id}/sessions`)).body.sessions, []);

    r = ok(['admin', 'users', 'setup-link', fay.id]);
    assert.match(r.stdout, /^http:\/\/\S+\/auth\/password\/setup#token=da_setup_\S+\n$/);

    // remove asks on a terminal; without one it needs --yes
    r = da(['admin', 'users', 'remove', 'fay@example.com']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /needs --yes/);
    assert.ok(await userByEmail('fay@example.com'));
    r = ok(['admin', 'users', 'remove', 'fay@example.com', '--yes']);
    assert.equal(r.stdout, '');
    assert.equal(await userByEmail('fay@example.com'), undefined);

    for (const args of [
      ['admin', 'users', 'set-role', 'nobody@example.com', 'admin'],
      ['admin', 'users', 'deactivate', 'nobody@example.com'],
      ['admin', 'users', 'activate', 'nobody@example.com'],
      ['admin', 'users', 'revoke-sessions', 'nobody@example.com'],
      ['admin', 'users', 'setup-link', 'nobody@example.com'],
      ['admin', 'users', 'remove', 'nobody@example.com', '--yes'],
      ['admin', 'grants', 'list', '--user', 'nobody@example.com'],
      ['admin', 'grants', 'grant', 'x', '--user', 'nobody@example.com'],
    ]) {
      r = da(args);
      assert.equal(r.code, 1, args.join(' '));
      assert.equal(r.stderr, `da ${args.slice(0, 3).join(' ')}: no user 'nobody@example.com'; 'da admin users list' shows them\n`);
    }
    // the last admin cannot be demoted: the server's 409 comes through
    r = da(['admin', 'users', 'set-role', ADMIN.email, 'viewer']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /409/);
  });

  test('tables: register, list, show, remove; unknown and duplicate tables are named', async () => {
    let r = ok(['admin', 'tables', 'register', 'Customer Orders', '--bucket', 'sales', '--description',
      'One row per order line', '--primary-key', 'order_id, line', '--query-mode', 'local',
      '--sync-strategy', 'incremental', '--sync-schedule', 'every 15m', '--source-type', 'files',
      '--source-table', 'orders.csv', '--folder', 'finance', '--no-profile']);
    assert.equal(r.stdout, '');
    const row = (await asAdmin('GET', '/api/admin/registry/customer_orders')).body;
    assert.deepEqual(
      [row.name, row.bucket, row.description, row.primary_key, row.sync_strategy, row.sync_schedule,
        row.source_type, row.source_table, row.folder, row.profile_after_sync, row.is_public, row.registered_by],
      ['Customer Orders', 'sales', 'One row per order line', 'order_id,line', 'incremental', 'every 15m',
        'files', 'orders.csv', 'finance', false, false, ADMIN.email]);
    r = ok(['admin', 'tables', 'register', 'Open Data', '--id', 'open_data', '--public', '--json']);
    assert.deepEqual(JSON.parse(r.stdout), { id: 'open_data', name: 'Open Data', status: 'registered' });
    assert.equal((await asAdmin('GET', '/api/admin/registry/open_data')).body.is_public, true);

    r = da(['admin', 'tables', 'register', 'customer orders']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /409: Table 'customer_orders' already registered/);
    r = da(['admin', 'tables', 'register', 'x', '--sync-schedule', 'sometimes']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /422: sync_schedule: 'sometimes' is not a schedule/);

    r = ok(['admin', 'tables', 'list']);
    const lines = r.stdout.trimEnd().split('\n').map((l) => l.split('\t'));
    assert.deepEqual(lines, [
      ['customer_orders', 'Customer Orders', 'sales', 'files', 'local', 'no'],
      ['open_data', 'Open Data', '', '', 'local', 'yes'],
    ]);
    assert.equal(JSON.parse(ok(['admin', 'tables', 'list', '--json']).stdout).count, 2);
    r = ok(['admin', 'tables', 'show', 'customer_orders']);
    assert.match(r.stdout, /^id\tcustomer_orders\nname\tCustomer Orders\ndescription\tOne row per order line\n/);
    assert.deepEqual(JSON.parse(ok(['admin', 'tables', 'show', 'customer_orders', '--json']).stdout), row);

    for (const args of [['show', 'no_such_table'], ['remove', 'no_such_table', '--yes']]) {
      r = da(['admin', 'tables', ...args]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `da admin tables ${args[0]}: no table 'no_such_table' in the registry; 'da admin tables list' shows the ids\n`);
    }
    r = da(['admin', 'tables', 'remove', 'open_data']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /needs --yes/);
    r = ok(['admin', 'tables', 'remove', 'open_data', '--yes', '--json']);
    assert.deepEqual(JSON.parse(r.stdout), { id: 'open_data', removed: true });
    assert.equal((await asAdmin('GET', '/api/admin/registry/open_data')).status, 404);
  });

  test('grants: grant and revoke for users and groups, list them; unknown things are named', async () => {
    ok(['admin', 'tables', 'register', 'grant_me']);
    assert.equal((await asAdmin('POST', '/api/admin/groups', { name: 'finance' })).status, 201);

    let r = ok(['admin', 'grants', 'grant', 'grant_me', '--user', ANALYST.email]);
    assert.equal(r.stdout, '');
    r = ok(['admin', 'grants', 'grant', 'sales.*', '--group', 'finance', '--json']);
    assert.deepEqual(JSON.parse(r.stdout), { user_id: null, group: 'finance', dataset: 'sales.*', access: 'read' });
    const perms = (await asAdmin('GET', '/api/admin/permissions')).body.permissions;
    assert.ok(perms.some((p) => p.user_id === analystId && p.dataset === 'grant_me'));
    assert.ok(perms.some((p) => p.group === 'finance' && p.dataset === 'sales.*'));
    const mine = await asAdmin('GET', `/api/admin/permissions/${analystId}`);
    assert.ok(mine.body.permissions.some((p) => p.dataset === 'grant_me'));

    r = ok(['admin', 'grants', 'list']);
    const lines = r.stdout.trimEnd().split('\n');
    assert.ok(lines.includes(`user\t${ANALYST.email}\tgrant_me\tread`), r.stdout);
    assert.ok(lines.includes('group\tfinance\tsales.*\tread'), r.stdout);
    r = ok(['admin', 'grants', 'list', '--user', ANALYST.email]);
    assert.equal(r.stdout, `user\t${ANALYST.email}\tgrant_me\tread\n`);
    r = ok(['admin', 'grants', 'list', '--group', 'finance', '--json']);
    assert.deepEqual(JSON.parse(r.stdout).permissions, [{ user_id: null, group: 'finance', dataset: 'sales.*', access: 'read' }]);
    assert.deepEqual(JSON.parse(ok(['admin', 'grants', 'list', '--json']).stdout),
      (await asAdmin('GET', '/api/admin/permissions')).body);

    // unknown table, group; a grant that is not there
    r = da(['admin', 'grants', 'grant', 'no_such_table', '--user', ANALYST.email]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no_such_table/);
    r = da(['admin', 'grants', 'grant', 'grant_me', '--group', 'nogroup']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "da admin grants grant: no group 'nogroup'\n");

    r = ok(['admin', 'grants', 'revoke', 'grant_me', '--user', analystId]);
    assert.equal(r.stdout, '');
    ok(['admin', 'grants', 'revoke', 'sales.*', '--group', 'finance']);
    assert.deepEqual((await asAdmin('GET', '/api/admin/permissions')).body.permissions, []);
    r = da(['admin', 'grants', 'revoke', 'grant_me', '--user', ANALYST.email]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `da admin grants revoke: ${ANALYST.email} has no grant of 'grant_me'; 'da admin grants list' shows the grants\n`);
  });

  test('tokens: list your own, revoke one; the token in use is marked', async () => {
    const stored = JSON.parse(readFileSync(adminHome.creds, 'utf8')).servers[server.url];
    let r = ok(['admin', 'tokens', 'list', '--json']);
    const listed = JSON.parse(r.stdout).tokens;
    assert.ok(listed.some((t) => t.id === stored.token_id && !t.revoked));
    r = ok(['admin', 'tokens', 'list']);
    const line = r.stdout.split('\n').find((l) => l.startsWith(`${stored.token_id}\t`));
    assert.match(line, /\tactive, in use$/);

    const made = await asAdmin('POST', '/api/tokens', { name: 'for a script', expires_in_days: 7 });
    assert.equal(made.status, 201);
    r = ok(['admin', 'tokens', 'revoke', made.body.id]);
    assert.equal(r.stdout, '');
    assert.equal((await api(server, 'GET', '/api/me', { token: made.body.token })).status, 401);
    r = ok(['admin', 'tokens', 'list']);
    assert.match(r.stdout.split('\n').find((l) => l.startsWith(`${made.body.id}\t`)), /\tfor a script\t.*\trevoked$/);
    r = da(['admin', 'tokens', 'revoke', made.body.id]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`no active token '${made.body.id}'`));
    // an analyst sees only their own tokens, and may
    r = runDa(['admin', 'tokens', 'list', '--json'], { env: analystHome.env });
    assert.equal(r.code, 0, r.stderr);
    const theirs = JSON.parse(r.stdout).tokens.map((t) => t.id);
    assert.ok(!theirs.includes(stored.token_id) && theirs.length >= 1);
  });

  const hasScript = spawnSync('script', ['--version']).status === 0;
  test('on a terminal: aligned columns under a bold header, a sentence for each change',
    { skip: !hasScript && 'script(1) is not installed' }, () => {
      // script(1) gives da a terminal as its standard output
      const onTty = (args, extra = {}) => {
        const r = spawnSync('script', ['-qec', [DA_BIN, ...args].join(' '), '/dev/null'],
          { env: cleanEnv({ ...adminHome.env, TERM: 'xterm', ...extra }), encoding: 'utf8' });
        assert.equal(r.status, 0, r.stdout);
        return r.stdout.replace(/\r/g, '');
      };
      let out = onTty(['admin', 'users', 'list'], { NO_COLOR: '1' });
      assert.ok(!out.includes(ESC));
      const [head, ...rows] = out.trimEnd().split('\n');
      assert.match(head, /^EMAIL +NAME +ROLE +STATUS +PASSWORD +ID$/);
      const root = rows.find((l) => l.startsWith(ADMIN.email));
      for (const [col, value] of [['NAME', 'Admin'], ['ROLE', 'admin'], ['STATUS', 'active']]) {
        assert.equal(root.slice(head.indexOf(col)).split(/ {2,}/)[0], value, col);
      }
      out = onTty(['admin', 'tables', 'list']);
      assert.match(out, /^\x1b\[1mID/);
      out = onTty(['admin', 'users', 'set-role', ANALYST.email, 'analyst']);
      assert.equal(out, `${ANALYST.email} is now analyst.\n`);
    });

  test("an analyst's token gets exit 4 with a clear message; no sign-in gets exit 4", () => {
    const cases = [
      ['users', 'list'], ['users', 'add', 'z@example.com'], ['users', 'deactivate', ADMIN.email],
      ['grants', 'list'], ['grants', 'grant', 'x', '--group', 'finance'], ['tables', 'list'],
      ['tables', 'register', 'sneaky'], ['tables', 'remove', 'grant_me', '--yes'],
    ];
    for (const c of cases) {
      const r = runDa(['admin', ...c], { env: analystHome.env });
      assert.equal(r.code, 4, `${c.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /the server answered 403: Requires role admin\n.*needs an admin's sign-in/, c.join(' '));
      assert.equal(r.stdout, '');
    }
    const nobody = clientHome();
    const r = runDa(['admin', 'users', 'list', '--server', server.url], { env: nobody.env });
    assert.equal(r.code, 4);
    assert.match(r.stderr, /not logged in to/);
    // DA_TOKEN works as for every command
    const stored = JSON.parse(readFileSync(adminHome.creds, 'utf8')).servers[server.url];
    const env = runDa(['admin', 'users', 'list', '--json'],
      { env: { ...nobody.env, DA_SERVER: server.url, DA_TOKEN: stored.token } });
    assert.equal(env.code, 0, env.stderr);
    assert.ok(JSON.parse(env.stdout).some((u) => u.email === ADMIN.email));
    // an unreachable server is exit 3
    const far = runDa(['admin', 'users', 'list', '--server', 'http://127.0.0.1:1'], { env: adminHome.env });
    assert.equal(far.code, 4, 'no credential for that server: not logged in');
    const far2 = runDa(['admin', 'users', 'list'],
      { env: { ...nobody.env, DA_SERVER: 'http://127.0.0.1:1', DA_TOKEN: 'da_pat_x' } });
    assert.equal(far2.code, 3);
  });
});

describe('da completion', () => {
  // Completes `words` (the words after da; the last is the one under the cursor) in bash.
  function bashComplete(words) {
    const script = 'source <("$DA" completion bash) || exit 9\n' +
      'COMP_WORDS=("$DA" "$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n' +
      '_da; printf "%s\\n" "${COMPREPLY[@]}"';
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script, 'bash', ...words],
      { env: { PATH: process.env.PATH, HOME: '/nonexistent', DA: DA_BIN }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split('\n').filter(Boolean);
  }

  test('--help shows how to install it; unknown shells exit 2', () => {
    const h = runDa(['completion', '--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /source <\(da completion bash\)/);
    assert.match(h.stdout, /source <\(da completion zsh\)/);
    const bad = runDa(['completion', 'fish']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bash and zsh/);
    assert.equal(runDa(['completion']).code, 2);
  });

  test('bash: commands, subcommands, options and values, from the tables', () => {
    const r = runDa(['completion', 'bash']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /complete -o default -F _da da/);
    assert.deepEqual(bashComplete(['ad']), ['admin']);
    assert.deepEqual(bashComplete(['admin', 'us']), ['users']);
    assert.deepEqual(bashComplete(['admin', 'users', '']),
      ['list', 'add', 'set-role', 'deactivate', 'activate', 'revoke-sessions', 'setup-link', 'remove']);
    assert.deepEqual(bashComplete(['admin', 'tables', 're']), ['register', 'remove']);
    // every command of da --help completes
    const top = bashComplete(['']);
    for (const name of commandsOf(runDa(['--help']).stdout)) assert.ok(top.includes(name), name);
    // options come from the command's --help
    assert.deepEqual(bashComplete(['admin', 'users', 'add', 'x@example.com', '--r']), ['--role']);
    assert.deepEqual(bashComplete(['login', '--pa']), ['--password-stdin']);
    assert.ok(bashComplete(['admin', 'tables', 'register', '--']).includes('--sync-schedule'));
    // values
    assert.deepEqual(bashComplete(['admin', 'users', 'set-role', 'x', '--role', '']), ['admin', 'analyst', 'viewer']);
    assert.deepEqual(bashComplete(['admin', 'tables', 'register', 'x', '--query-mode', 'r']), ['remote']);
    assert.deepEqual(bashComplete(['completion', '']), ['bash', 'zsh']);
    // da help: topics and commands, then the command's subcommands
    const help = bashComplete(['help', '']);
    for (const t of ['getting-started', 'sync', 'query', 'auth', 'exit-codes', 'admin', 'login']) {
      assert.ok(help.includes(t), t);
    }
    assert.deepEqual(bashComplete(['help', 'admin', 'gr']), ['grants']);
    // a value only the user knows completes nothing
    assert.deepEqual(bashComplete(['login', '--server', '']), []);
  });

  const hasZsh = spawnSync('zsh', ['-c', 'exit 0']).status === 0;
  test('zsh: the same, through the completion functions', { skip: !hasZsh && 'zsh is not installed' }, () => {
    // compinit loads it and registers _da for da
    const zhome = tempDir('da-zsh-');
    const loaded = spawnSync('zsh', ['-f', '-c',
      'autoload -U compinit && compinit -u -D && source <("$DA" completion zsh) && print -r -- $_comps[da]'],
    { env: { PATH: process.env.PATH, HOME: zhome, DA: DA_BIN }, encoding: 'utf8' });
    removeDir(zhome);
    assert.equal(loaded.status, 0, loaded.stderr);
    assert.equal(loaded.stdout, '_da\n');
    // the completion system's functions replaced by ones that print what they are given
    const stubs = [
      'compdef() { : }',
      '_describe() { local a; for a in "${(@P)${@[-1]}}"; do print -r -- "${a%%:*}"; done }',
      'compadd() { if [[ $1 == -a ]]; then print -rl -- "${(@P)2}"; else print -rl -- "$@"; fi }',
      '_files() { print -r -- "<files>" }',
      '_message() { print -r -- "<message ${@[-1]}>" }',
      'eval "$("$DA" completion zsh)"',
      'words=("$DA" "$@"); CURRENT=$#words; _da',
    ].join('\n');
    const z = (words) => {
      const r = spawnSync('zsh', ['-f', '-c', stubs, 'zsh', ...words],
        { env: { PATH: process.env.PATH, HOME: '/nonexistent', DA: DA_BIN }, encoding: 'utf8' });
      assert.equal(r.stderr, '');
      return r.stdout.split('\n').filter(Boolean);
    };
    assert.ok(z(['ad']).includes('admin'));
    // _describe gets every subcommand; zsh itself keeps those that match the prefix
    assert.deepEqual(z(['admin', 'us']),
      ['users', 'grants', 'tables', 'tokens', 'jobs', 'sync', 'packages', 'bootstrap']);
    assert.ok(z(['admin', 'users', '']).includes('revoke-sessions'));
    assert.ok(z(['admin', 'users', 'add', 'x', '--r']).includes('--role'));
    assert.deepEqual(z(['admin', 'users', 'add', 'x', '--role', '']), ['admin', 'analyst', 'viewer']);
    assert.ok(z(['help', '']).includes('getting-started'));
    assert.deepEqual(z(['login', '--server', '']), ['<message URL>']);
    assert.deepEqual(z(['serve', '--data-dir', '']), ['<files>']);
  });
});

describe('da help', () => {
  test('lists the topics and the commands', () => {
    const r = runDa(['help']);
    assert.equal(r.code, 0);
    for (const t of ['getting-started', 'sync', 'query', 'auth', 'exit-codes', 'admin']) {
      assert.match(r.stdout, new RegExp(`^  ${t} `, 'm'));
    }
    assert.deepEqual(commandsOf(r.stdout), commandsOf(runDa(['--help']).stdout));
  });

  test('every topic prints plain text; unknown topics exit 2 naming the topics', () => {
    const pages = {
      'getting-started': /da login --server[\s\S]*da sync[\s\S]*da query/,
      sync: /tables\/<table>\.parquet[\s\S]*da\.duckdb[\s\S]*DATA\.md[\s\S]*\.da\/state\.json[\s\S]*Exit codes/,
      query: /--remote[\s\S]*exactly one SELECT[\s\S]*information_schema/,
      auth: /credentials\.json[\s\S]*DA_TOKEN/,
      'exit-codes': /0 {2}success[\s\S]*3 {2}the server could not be reached[\s\S]*4 {2}not logged in/,
      admin: /da admin users add[\s\S]*da admin grants grant[\s\S]*da admin tables register[\s\S]*da admin tokens list/,
    };
    for (const [topic, re] of Object.entries(pages)) {
      const r = runDa(['help', topic]);
      assert.equal(r.code, 0, topic);
      assert.match(r.stdout, re, topic);
      assert.ok(!r.stdout.includes(ESC), topic);
      assert.ok(r.stdout.split('\n').every((l) => l.length <= 88), `${topic}: a line is too long`);
    }
    const bad = runDa(['help', 'nosuch']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /no topic or command 'nosuch'. Topics: getting-started, sync, query, auth, exit-codes, admin\./);
  });

  test('da help COMMAND is the command\'s --help', () => {
    for (const args of [['login'], ['completion'], ['admin', 'users'], ['admin', 'tables', 'register']]) {
      const viaHelp = runDa(['help', ...args]);
      const direct = runDa([...args, '--help']);
      assert.equal(viaHelp.code, 0, args.join(' '));
      assert.equal(viaHelp.stdout, direct.stdout, args.join(' '));
    }
  });
});
