/* migrations.c — the schema of the state store as an append-only list of steps. store_open
 * applies the missing ones in one transaction. Never edit a released step; add a new one. */
#include "base/compat.h"
#include "store/store_int.h"

static const struct store_migration steps[] = {
    { 1, "server metadata",
      "CREATE TABLE server_meta ("
      "  key TEXT PRIMARY KEY,"
      "  value TEXT NOT NULL,"
      "  updated_at TEXT NOT NULL"
      ") STRICT;" },
    { 2, "identity: users, groups, sessions, tokens, grants, access requests, audit",
      "CREATE TABLE users ("
      "  id TEXT PRIMARY KEY,"
      "  email TEXT NOT NULL,"
      "  email_norm TEXT NOT NULL UNIQUE," /* lowercased: unique case-insensitively */
      "  name TEXT NOT NULL,"
      "  role TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'viewer')),"
      "  km_admin INTEGER NOT NULL DEFAULT 0 CHECK (km_admin IN (0, 1)),"
      "  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),"
      "  password_hash TEXT,"
      "  created_at TEXT NOT NULL,"
      "  updated_at TEXT NOT NULL"
      ") STRICT;"
      "CREATE TABLE groups ("
      "  id TEXT PRIMARY KEY,"
      "  name TEXT NOT NULL UNIQUE,"
      "  created_at TEXT NOT NULL"
      ") STRICT;"
      "CREATE TABLE group_members ("
      "  group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
      "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
      "  PRIMARY KEY (group_id, user_id)"
      ") STRICT;"
      "CREATE TABLE sessions ("
      "  jti TEXT PRIMARY KEY,"
      "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
      "  created_at TEXT NOT NULL,"
      "  expires_at INTEGER NOT NULL,"
      "  revoked_at TEXT,"
      "  ip TEXT NOT NULL DEFAULT '',"
      "  method TEXT NOT NULL"
      ") STRICT;"
      "CREATE INDEX sessions_user ON sessions(user_id);"
      "CREATE TABLE personal_tokens ("
      "  id TEXT PRIMARY KEY,"
      "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
      "  name TEXT NOT NULL,"
      "  token_hash TEXT NOT NULL UNIQUE,"
      "  created_at TEXT NOT NULL,"
      "  expires_at INTEGER NOT NULL,"
      "  last_used_at TEXT,"
      "  revoked_at TEXT"
      ") STRICT;"
      "CREATE INDEX personal_tokens_user ON personal_tokens(user_id);"
      "CREATE TABLE one_time_tokens ("
      "  token_hash TEXT PRIMARY KEY,"
      "  purpose TEXT NOT NULL CHECK (purpose IN ('setup', 'magic_link', 'bootstrap')),"
      "  user_id TEXT REFERENCES users(id) ON DELETE CASCADE,"
      "  created_at TEXT NOT NULL,"
      "  expires_at INTEGER NOT NULL,"
      "  used_at TEXT"
      ") STRICT;"
      "CREATE TABLE table_registry ("
      "  id TEXT PRIMARY KEY,"
      "  name TEXT NOT NULL,"
      "  source_type TEXT,"
      "  bucket TEXT,"
      "  source_table TEXT,"
      "  sync_strategy TEXT NOT NULL DEFAULT 'full_refresh',"
      "  query_mode TEXT NOT NULL DEFAULT 'local' CHECK (query_mode IN ('local', 'remote')),"
      "  sync_schedule TEXT,"
      "  profile_after_sync INTEGER NOT NULL DEFAULT 1,"
      "  primary_key TEXT,"
      "  folder TEXT,"
      "  description TEXT,"
      "  registered_by TEXT,"
      "  is_public INTEGER NOT NULL DEFAULT 0 CHECK (is_public IN (0, 1)),"
      "  registered_at TEXT NOT NULL"
      ") STRICT;"
      "CREATE TABLE grants ("
      "  id INTEGER PRIMARY KEY,"
      "  user_id TEXT REFERENCES users(id) ON DELETE CASCADE,"
      "  group_id TEXT REFERENCES groups(id) ON DELETE CASCADE,"
      "  dataset TEXT NOT NULL," /* a table id or "<bucket>.*" */
      "  access TEXT NOT NULL DEFAULT 'read' CHECK (access = 'read'),"
      "  created_at TEXT NOT NULL,"
      "  created_by TEXT,"
      "  CHECK ((user_id IS NULL) <> (group_id IS NULL))"
      ") STRICT;"
      "CREATE UNIQUE INDEX grants_user ON grants(user_id, dataset) WHERE user_id IS NOT NULL;"
      "CREATE UNIQUE INDEX grants_group ON grants(group_id, dataset) WHERE group_id IS NOT NULL;"
      "CREATE TABLE access_requests ("
      "  id TEXT PRIMARY KEY,"
      "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
      "  table_id TEXT NOT NULL,"
      "  reason TEXT NOT NULL DEFAULT '',"
      "  status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied')),"
      "  reviewed_by TEXT,"
      "  reviewed_at TEXT,"
      "  created_at TEXT NOT NULL"
      ") STRICT;"
      "CREATE UNIQUE INDEX access_requests_pending ON access_requests(user_id, table_id)"
      "  WHERE status = 'pending';"
      /* No foreign keys: the audit trail outlives the users and tables it names. */
      "CREATE TABLE audit_log ("
      "  id INTEGER PRIMARY KEY,"
      "  at TEXT NOT NULL,"
      "  actor_id TEXT,"
      "  actor_email TEXT,"
      "  action TEXT NOT NULL,"
      "  target TEXT,"
      "  ip TEXT,"
      "  result TEXT NOT NULL,"
      "  detail TEXT"
      ") STRICT;"
      "CREATE INDEX audit_log_at ON audit_log(at);"
      "CREATE INDEX audit_log_action ON audit_log(action, at);" },
    /* The data plane's state. Keyed by the canonical table id, which is also the view name in
     * the catalog and _meta.table_name in the extract; no foreign key to table_registry,
     * because the catalog serves every valid table of every extract, registered or not. */
    { 3, "sync state and profiles",
      "CREATE TABLE sync_state ("
      "  table_id TEXT PRIMARY KEY,"
      "  source TEXT NOT NULL,"
      "  query_mode TEXT NOT NULL,"
      "  extracted_at TEXT," /* _meta.extracted_at: when the connector read the data */
      "  rows INTEGER NOT NULL DEFAULT 0,"
      "  size_bytes INTEGER NOT NULL DEFAULT 0,"
      "  status TEXT NOT NULL CHECK (status IN ('ok', 'unavailable', 'error')),"
      "  error TEXT,"
      "  checked_at TEXT NOT NULL" /* the catalog rebuild that wrote this row */
      ") STRICT;"
      "CREATE INDEX sync_state_source ON sync_state(source);"
      "CREATE TABLE table_profiles ("
      "  table_id TEXT PRIMARY KEY,"
      "  profile TEXT NOT NULL," /* JSON, see data/table_profile.h */
      "  extracted_at TEXT,"     /* of the data profiled: unchanged data is not profiled again */
      "  profiled_at TEXT NOT NULL"
      ") STRICT;" },
    /* PUT /api/admin/registry/{id} records when a row last changed; NULL until then. */
    { 4, "table registry: updated_at", "ALTER TABLE table_registry ADD COLUMN updated_at TEXT;" },
    /* Browser sign-in for the CLI (RFC 8628 device authorization grants). The device code is
     * a bearer secret, so only its SHA-256 is kept; the user code is short, shown to people,
     * and useless without a signed-in user's approval, so it is kept as is for lookup.
     * last_poll_ms drives slow_down; a grant is spent by moving it to 'used'. */
    { 5, "device sign-in grants",
      "CREATE TABLE device_grants ("
      "  device_hash TEXT PRIMARY KEY,"
      "  user_code TEXT NOT NULL UNIQUE,"
      "  client_name TEXT NOT NULL,"
      "  client_ip TEXT NOT NULL DEFAULT '',"
      "  created_at TEXT NOT NULL,"
      "  expires_at INTEGER NOT NULL,"
      "  interval_s INTEGER NOT NULL,"
      "  last_poll_ms INTEGER,"
      "  status TEXT NOT NULL DEFAULT 'pending'"
      "    CHECK (status IN ('pending', 'approved', 'denied', 'used')),"
      "  user_id TEXT REFERENCES users(id) ON DELETE CASCADE,"
      "  decided_at TEXT"
      ") STRICT;"
      "CREATE INDEX device_grants_expires ON device_grants(expires_at);" },
    /* Connector runs (src/sched). One row per job; a failed attempt that will be retried goes
     * back to 'queued' with attempt + 1 and next_attempt_at (epoch seconds), so the row is the
     * whole story of one request. tables is a JSON array of registry ids, NULL for all. */
    { 6, "jobs",
      "CREATE TABLE jobs ("
      "  id INTEGER PRIMARY KEY,"
      "  source TEXT NOT NULL,"
      "  type TEXT NOT NULL,"
      "  tables TEXT,"
      "  trigger TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual', 'webhook', 'startup')),"
      "  state TEXT NOT NULL"
      "    CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),"
      "  attempt INTEGER NOT NULL DEFAULT 1,"
      "  next_attempt_at INTEGER NOT NULL DEFAULT 0,"
      "  created_at TEXT NOT NULL,"
      "  started_at TEXT,"
      "  finished_at TEXT,"
      "  rows INTEGER,"
      "  bytes INTEGER,"
      "  error TEXT,"
      "  log_path TEXT,"
      "  requested_by TEXT"
      ") STRICT;"
      "CREATE INDEX jobs_source ON jobs(source, id);"
      "CREATE INDEX jobs_state ON jobs(state);" },
    /* The durable queue of Jira webhook events: POST /webhooks/jira adds a row and answers
     * 202 at once; `da extract jira` processes every row and deletes it only after its
     * extract has committed, so a kill loses no event and processing one again is harmless.
     * event is the webhookEvent ("jira:issue_updated", "jira:issue_deleted", ...). */
    { 7, "jira webhook queue",
      "CREATE TABLE jira_events ("
      "  id INTEGER PRIMARY KEY,"
      "  issue_key TEXT NOT NULL,"
      "  event TEXT NOT NULL,"
      "  received_at TEXT NOT NULL"
      ") STRICT;" },
    /* Sync selection (docs/API.md "Sync selection"). A switch is a user's choice of a table or
     * a bucket (origin 'user'), or the default a table got when the user first saw it (origin
     * 'default', kind 'table'), kept so a table that later grows past the size threshold does
     * not vanish from a laptop. Names are not foreign keys: a switch may outlive its table. A
     * package names tables and buckets (package_items); subscriptions go with their package
     * and, like every per-user row here, with their user. */
    { 8, "sync selection and packages",
      "CREATE TABLE sync_switches ("
      "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
      "  kind TEXT NOT NULL CHECK (kind IN ('table', 'bucket')),"
      "  name TEXT NOT NULL,"
      "  origin TEXT NOT NULL CHECK (origin IN ('user', 'default')),"
      "  enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),"
      "  updated_at TEXT NOT NULL,"
      "  PRIMARY KEY (user_id, kind, name, origin)"
      ") STRICT;"
      "CREATE TABLE sync_prefs ("
      "  user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"
      "  table_mode TEXT NOT NULL CHECK (table_mode IN ('all', 'explicit')),"
      "  updated_at TEXT NOT NULL"
      ") STRICT;"
      "CREATE TABLE packages ("
      "  name TEXT PRIMARY KEY,"
      "  description TEXT NOT NULL DEFAULT '',"
      "  created_by TEXT,"
      "  created_at TEXT NOT NULL,"
      "  updated_at TEXT NOT NULL"
      ") STRICT;"
      "CREATE TABLE package_items ("
      "  package TEXT NOT NULL REFERENCES packages(name) ON DELETE CASCADE,"
      "  kind TEXT NOT NULL CHECK (kind IN ('table', 'bucket')),"
      "  name TEXT NOT NULL,"
      "  PRIMARY KEY (package, kind, name)"
      ") STRICT;"
      "CREATE TABLE package_subscriptions ("
      "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
      "  package TEXT NOT NULL REFERENCES packages(name) ON DELETE CASCADE,"
      "  created_at TEXT NOT NULL,"
      "  PRIMARY KEY (user_id, package)"
      ") STRICT;"
      "CREATE INDEX package_subscriptions_package ON package_subscriptions(package);" },
};

const struct store_migration *store_migrations(int *out_count)
{
    *out_count = (int)ARRAY_LEN(steps);
    return steps;
}
