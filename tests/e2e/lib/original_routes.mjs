// original_routes.mjs — the original system's 75 HTTP routes (66 JSON API + 9 HTML pages), as
// the tables of /work/shared/spec/original-server.md §5 list them: method, path, the role the
// original needs (ANON, USER, KM = km_admin or admin, ADMIN), and where da stands. One list for
// the route-table test (compat_routes.test.mjs) and the compatibility table of docs/API.md
// (scripts/compat-table.mjs prints it; the test checks that the two agree).
//
// pending: the issue whose feature brings the route; until it lands, da's router answers it
// with its own 404/405, and the test insists on that, so a route that lands must leave this list
// (the list shrinks visibly). call: a concrete path for the test (placeholders filled by
// fillPath). body: a JSON body to send (an empty object unless given; null: none). daRole: the
// role da needs where it asks more than the original. da: a note for the table when da's
// answer differs in a way a client should know.

export const ISSUES = {
  '#15': 'web UI',
  '#17': 'corporate memory',
  '#18': 'scripts',
  'telegram': 'Telegram bot (no issue filed yet)',
};

export const ROUTES = [
  // §5.1 auth
  { method: 'POST', path: '/auth/token', role: 'ANON' },
  { method: 'POST', path: '/auth/bootstrap', role: 'ANON', da: '403 once a user exists, as the original' },
  // §5.2 Google
  { method: 'GET', path: '/auth/google/login', role: 'ANON', da: '404 "Google sign-in is not configured" without OIDC settings' },
  { method: 'GET', path: '/auth/google/callback', role: 'ANON' },
  // §5.3 password
  { method: 'POST', path: '/auth/password/login', role: 'ANON' },
  { method: 'POST', path: '/auth/password/setup', role: 'ANON' },
  // §5.4 e-mail link
  { method: 'POST', path: '/auth/email/send-link', role: 'ANON' },
  { method: 'POST', path: '/auth/email/verify', role: 'ANON' },
  // §5.5 health
  { method: 'GET', path: '/api/health', role: 'ANON' },
  // §5.6 sync
  { method: 'GET', path: '/api/sync/manifest', role: 'USER' },
  { method: 'POST', path: '/api/sync/trigger', role: 'ADMIN', body: null },
  { method: 'GET', path: '/api/sync/settings', role: 'USER' },
  { method: 'POST', path: '/api/sync/settings', role: 'USER' },
  { method: 'GET', path: '/api/sync/table-subscriptions', role: 'USER' },
  { method: 'POST', path: '/api/sync/table-subscriptions', role: 'USER' },
  // §5.7 data
  { method: 'GET', path: '/api/data/{table_id}/download', role: 'USER', table: true },
  // §5.8 query
  { method: 'POST', path: '/api/query', role: 'USER' },
  // §5.9 users
  { method: 'GET', path: '/api/users', role: 'ADMIN' },
  { method: 'POST', path: '/api/users', role: 'ADMIN' },
  { method: 'DELETE', path: '/api/users/{user_id}', role: 'ADMIN', call: '/api/users/no-such-user' },
  // §5.10 corporate memory
  { method: 'GET', path: '/api/memory', role: 'USER', pending: '#17' },
  { method: 'GET', path: '/api/memory/stats', role: 'USER', pending: '#17' },
  { method: 'POST', path: '/api/memory', role: 'USER', pending: '#17' },
  { method: 'POST', path: '/api/memory/{item_id}/vote', role: 'USER', pending: '#17' },
  { method: 'GET', path: '/api/memory/my-votes', role: 'USER', pending: '#17' },
  { method: 'POST', path: '/api/memory/admin/approve', role: 'KM', pending: '#17' },
  { method: 'POST', path: '/api/memory/admin/reject', role: 'KM', pending: '#17' },
  { method: 'POST', path: '/api/memory/admin/mandate', role: 'KM', pending: '#17' },
  { method: 'POST', path: '/api/memory/admin/revoke', role: 'KM', pending: '#17' },
  { method: 'POST', path: '/api/memory/admin/edit', role: 'KM', pending: '#17' },
  { method: 'POST', path: '/api/memory/admin/batch', role: 'KM', pending: '#17' },
  { method: 'GET', path: '/api/memory/admin/pending', role: 'KM', pending: '#17' },
  { method: 'GET', path: '/api/memory/admin/audit', role: 'KM', pending: '#17' },
  // §5.11 upload
  { method: 'POST', path: '/api/upload/sessions', role: 'USER' },
  { method: 'POST', path: '/api/upload/artifacts', role: 'USER' },
  { method: 'POST', path: '/api/upload/local-md', role: 'USER' },
  // §5.12 scripts
  { method: 'GET', path: '/api/scripts', role: 'USER', pending: '#18' },
  { method: 'POST', path: '/api/scripts/deploy', role: 'USER', pending: '#18' },
  { method: 'POST', path: '/api/scripts/{script_id}/run', role: 'USER', pending: '#18' },
  { method: 'POST', path: '/api/scripts/run', role: 'USER', pending: '#18' },
  { method: 'DELETE', path: '/api/scripts/{script_id}', role: 'USER', pending: '#18' },
  // §5.13 settings
  { method: 'GET', path: '/api/settings', role: 'USER' },
  { method: 'PUT', path: '/api/settings/dataset', role: 'USER' },
  // §5.14 catalog
  { method: 'GET', path: '/api/catalog/profile/{table_name}', role: 'USER' },
  { method: 'GET', path: '/api/catalog/tables', role: 'USER' },
  { method: 'GET', path: '/api/catalog/metrics/{metric_path}', role: 'USER', da: 'plus GET /api/catalog/metrics (the list) and ?format=yaml' },
  { method: 'POST', path: '/api/catalog/profile/{table_name}/refresh', role: 'USER', daRole: 'ADMIN', da: 'admin only in da (it recomputes a profile every reader sees)' },
  // §5.15 Telegram
  { method: 'POST', path: '/api/telegram/verify', role: 'USER', pending: 'telegram' },
  { method: 'POST', path: '/api/telegram/unlink', role: 'USER', pending: 'telegram' },
  { method: 'GET', path: '/api/telegram/status', role: 'USER', pending: 'telegram' },
  // §5.16 admin registry
  { method: 'GET', path: '/api/admin/discover-tables', role: 'ADMIN' },
  { method: 'GET', path: '/api/admin/registry', role: 'ADMIN' },
  { method: 'POST', path: '/api/admin/register-table', role: 'ADMIN' },
  { method: 'PUT', path: '/api/admin/registry/{table_id}', role: 'ADMIN', call: '/api/admin/registry/no_such_table' },
  { method: 'DELETE', path: '/api/admin/registry/{table_id}', role: 'ADMIN', call: '/api/admin/registry/no_such_table' },
  // §5.17 permissions
  { method: 'POST', path: '/api/admin/permissions', role: 'ADMIN' },
  { method: 'DELETE', path: '/api/admin/permissions', role: 'ADMIN' },
  { method: 'GET', path: '/api/admin/permissions/{user_id}', role: 'ADMIN' },
  { method: 'GET', path: '/api/admin/permissions', role: 'ADMIN' },
  // §5.18 access requests
  { method: 'POST', path: '/api/access-requests', role: 'USER' },
  { method: 'GET', path: '/api/access-requests/my', role: 'USER' },
  { method: 'GET', path: '/api/access-requests/pending', role: 'ADMIN' },
  { method: 'POST', path: '/api/access-requests/{request_id}/approve', role: 'ADMIN' },
  { method: 'POST', path: '/api/access-requests/{request_id}/deny', role: 'ADMIN' },
  // §5.19 Jira webhooks
  { method: 'POST', path: '/webhooks/jira', role: 'ANON', da: 'HMAC always required: 503 without JIRA_WEBHOOK_SECRET; 202 (queued) instead of 200' },
  { method: 'GET', path: '/webhooks/jira/health', role: 'ANON' },
  // §5.20 pages
  { method: 'GET', path: '/', role: 'ANON', pending: '#15' },
  { method: 'GET', path: '/login', role: 'ANON', pending: '#15' },
  { method: 'GET', path: '/dashboard', role: 'USER', pending: '#15' },
  { method: 'GET', path: '/catalog', role: 'USER', pending: '#15' },
  { method: 'GET', path: '/corporate-memory', role: 'USER', pending: '#15' },
  { method: 'GET', path: '/corporate-memory/admin', role: 'USER', pending: '#15' },
  { method: 'GET', path: '/activity-center', role: 'USER', pending: '#15' },
  { method: 'GET', path: '/admin/tables', role: 'USER', pending: '#15' },
  { method: 'GET', path: '/admin/permissions', role: 'USER', pending: '#15' },
];

// The concrete path of a route for the test: ctx has userId (an existing user) and table (a
// served table); other ids are made up, so that a write can only fail on its own "not found".
export function fillPath(route, ctx) {
  if (route.call) return route.call;
  return route.path
    .replace('{user_id}', ctx.userId)
    .replace('{table_id}', ctx.table)
    .replace('{table_name}', ctx.table)
    .replace('{metric_path}', 'finance/revenue.yml')
    .replace('{request_id}', 'no-such-request')
    .replace('{item_id}', 'no-such-item')
    .replace('{script_id}', 'no-such-script');
}

// The compatibility table of docs/API.md (markdown), generated from ROUTES.
export function compatTable() {
  const lines = [
    '| original route | role | da |',
    '| --- | --- | --- |',
  ];
  for (const r of ROUTES) {
    const status = r.pending
      ? `pending: ${r.pending === 'telegram' ? ISSUES.telegram : `${r.pending} (${ISSUES[r.pending]})`}`
      : `same path${r.da ? `; ${r.da}` : ''}`;
    lines.push(`| \`${r.method} ${r.path}\` | ${r.role} | ${status} |`);
  }
  const pending = ROUTES.filter((r) => r.pending).length;
  lines.push('');
  lines.push(`${ROUTES.length} routes: ${ROUTES.length - pending} answer in da, ${pending} pending.`);
  return lines.join('\n');
}
