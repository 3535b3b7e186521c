/* config.c — the instance configuration: built-in defaults, config/instance.yaml (read with
 * libyaml's event parser), environment overrides, cross-field checks and the --help table.
 * One static table (config_table) drives all of them, so a key cannot exist in one place and
 * be missing in another. Owns every string in struct config. Called by `da serve` (cmd/serve.c)
 * once at startup; nothing here logs: errors go to the caller's struct err. */
#include "config/config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "base/ident.h"
#include "base/limits.h"
#include "base/mem.h"
#include "base/parse.h"

enum config_type {
    CONFIG_STRING,
    CONFIG_INT,
    CONFIG_INT64,
    CONFIG_BOOL,
    CONFIG_LOG_LEVEL,
    CONFIG_LOG_FORMAT,
    CONFIG_STRING_LIST,
    CONFIG_SIZE,         /* bytes, also "500MiB", "2GB" (parse_size) within [min, max] */
    CONFIG_SYNC_DEFAULT, /* auto | true | false */
};

#define CONFIG_SECRET   0x1u /* never echoed in a message; wiped before it is freed */
#define CONFIG_NONEMPTY 0x2u /* config_validate refuses "" */
#define CONFIG_LOWER    0x4u /* list items are lowercased when stored */
#define CONFIG_DOMAINS  0x8u /* list items must look like domain names */

struct config_entry {
    const char *key; /* "section.key" in the YAML file; NULL for environment-only settings */
    const char *env; /* environment variable, or NULL */
    enum config_type type;
    size_t offset;     /* of the field in struct config */
    size_t len_offset; /* CONFIG_STRING_LIST only: of the size_t item count */
    int64_t min, max;  /* integers: the allowed range; lists: the allowed number of items */
    const char *def;   /* default as text, parsed like any other value; NULL = unset */
    unsigned flags;
    const char *help;
};

/* offsetof that fails to compile when the field does not have type T, so a row of the table
 * cannot point a converter at a field of another type. */
#define FIELD(f, T) _Generic(((struct config *)0)->f, T : offsetof(struct config, f))

#define LIST_MAX 1024 /* items in a list setting */

static const struct config_entry config_table[] = {
    { "instance.name", "DA_INSTANCE_NAME", CONFIG_STRING, FIELD(instance_name, char *), 0, 0, 0,
      "da", CONFIG_NONEMPTY, "name of this instance, shown to users" },
    { "instance.timezone", "DA_TIMEZONE", CONFIG_STRING, FIELD(timezone, char *), 0, 0, 0, "UTC",
      CONFIG_NONEMPTY, "IANA time zone of daily schedules, e.g. Europe/Prague" },
    { "server.host", "DA_HOST", CONFIG_STRING, FIELD(host, char *), 0, 0, 0, "127.0.0.1",
      CONFIG_NONEMPTY, "address to listen on" },
    { "server.port", "DA_PORT", CONFIG_INT, FIELD(port, int), 0, 0, 65535, "8000", 0,
      "port to listen on; 0 picks any free port" },
    { "server.data_dir", "DA_DATA_DIR", CONFIG_STRING, FIELD(data_dir, char *), 0, 0, 0, "./data",
      CONFIG_NONEMPTY, "data folder: state/, extracts/, uploads/" },
    { "server.threads", "DA_THREADS", CONFIG_INT, FIELD(threads, int), 0, 1, 256, "8", 0,
      "HTTP worker threads" },
    { "server.max_body_bytes", "DA_MAX_BODY_BYTES", CONFIG_INT64, FIELD(max_body_bytes, int64_t), 0,
      1024, 1073741824, "1048576", 0, "largest request body accepted, in bytes" },
    { "server.connection_timeout_s", "DA_CONNECTION_TIMEOUT_S", CONFIG_INT,
      FIELD(connection_timeout_s, int), 0, 1, 3600, "30", 0,
      "idle connections close after this many seconds" },
    { "server.max_connections_per_ip", "DA_MAX_CONNECTIONS_PER_IP", CONFIG_INT,
      FIELD(max_connections_per_ip, int), 0, 0, 100000, "128", 0,
      "connections at once from one address (behind a proxy: the proxy's); 0: no limit" },
    { "server.header_timeout_s", "DA_HEADER_TIMEOUT_S", CONFIG_INT, FIELD(header_timeout_s, int), 0,
      1, 3600, "10", 0, "a request head must be complete within this many seconds" },
    { "server.body_min_bytes_per_s", "DA_BODY_MIN_BYTES_PER_S", CONFIG_INT64,
      FIELD(body_min_bytes_per_s, int64_t), 0, 0, 1073741824, "1024", 0,
      "a body slower than this on average over body_rate_window_s is cut (408); 0: off" },
    { "server.body_rate_window_s", "DA_BODY_RATE_WINDOW_S", CONFIG_INT,
      FIELD(body_rate_window_s, int), 0, 1, 3600, "10", 0,
      "seconds over which a body's arrival rate is measured" },
    { "server.shutdown_grace_s", "DA_SHUTDOWN_GRACE_S", CONFIG_INT, FIELD(shutdown_grace_s, int), 0,
      0, 600, "10", 0, "seconds requests in flight get to finish on SIGTERM" },
    { "server.behind_tls_proxy", "DA_BEHIND_TLS_PROXY", CONFIG_BOOL, FIELD(behind_tls_proxy, bool),
      0, 0, 0, "false", 0, "true when a TLS proxy is in front (sends HSTS)" },
    { "server.public_url", "DA_PUBLIC_URL", CONFIG_STRING, FIELD(public_url, char *), 0, 0, 0,
      "http://127.0.0.1:8000", 0, "URL users reach this server at (http:// or https://)" },
    { "log.level", "DA_LOG_LEVEL", CONFIG_LOG_LEVEL, FIELD(log_level, enum log_level), 0, 0, 0,
      "info", 0, "lowest level logged: debug, info, warn or error" },
    { "log.format", "DA_LOG_FORMAT", CONFIG_LOG_FORMAT, FIELD(log_format, enum log_format), 0, 0, 0,
      "human", 0, "log line format: human or json" },
    /* No YAML key: a secret does not belong in a file that gets committed. */
    { NULL, "JWT_SECRET_KEY", CONFIG_STRING, FIELD(jwt_secret, char *), 0, 0, 0, NULL,
      CONFIG_SECRET, "token signing key, at least 32 bytes; unset: a key file in state/" },
    { "auth.allowed_domains", "DA_ALLOWED_DOMAINS", CONFIG_STRING_LIST,
      FIELD(allowed_domains, char **), FIELD(allowed_domains_len, size_t), 0, LIST_MAX, "",
      CONFIG_LOWER | CONFIG_DOMAINS,
      "domains whose users may join via Google (env: commas); empty: none" },
    { "auth.login_rate_per_ip", "DA_LOGIN_RATE_PER_IP", CONFIG_INT, FIELD(login_rate_per_ip, int),
      0, 1, 100000, "30", 0, "login and token attempts allowed per minute from one address" },
    { "auth.login_rate_per_account", "DA_LOGIN_RATE_PER_ACCOUNT", CONFIG_INT,
      FIELD(login_rate_per_account, int), 0, 1, 100000, "10", 0,
      "login attempts allowed per 15 minutes for one account" },
    { "auth.google_client_id", "GOOGLE_CLIENT_ID", CONFIG_STRING, FIELD(google_client_id, char *),
      0, 0, 0, NULL, 0, "Google OAuth client id; unset: Google sign-in is off" },
    { NULL, "GOOGLE_CLIENT_SECRET", CONFIG_STRING, FIELD(google_client_secret, char *), 0, 0, 0,
      NULL, CONFIG_SECRET, "Google OAuth client secret" },
    { "auth.google_issuer", "DA_GOOGLE_ISSUER", CONFIG_STRING, FIELD(google_issuer, char *), 0, 0,
      0, "https://accounts.google.com", CONFIG_NONEMPTY, "issuer of Google ID tokens" },
    { "auth.google_authorization_endpoint", "DA_GOOGLE_AUTHORIZATION_ENDPOINT", CONFIG_STRING,
      FIELD(google_authorization_endpoint, char *), 0, 0, 0,
      "https://accounts.google.com/o/oauth2/v2/auth", CONFIG_NONEMPTY,
      "where browsers sign in to Google" },
    { "auth.google_token_endpoint", "DA_GOOGLE_TOKEN_ENDPOINT", CONFIG_STRING,
      FIELD(google_token_endpoint, char *), 0, 0, 0, "https://oauth2.googleapis.com/token",
      CONFIG_NONEMPTY, "where the server exchanges the sign-in code" },
    { "auth.google_jwks_uri", "DA_GOOGLE_JWKS_URI", CONFIG_STRING, FIELD(google_jwks_uri, char *),
      0, 0, 0, "https://www.googleapis.com/oauth2/v3/certs", CONFIG_NONEMPTY,
      "Google's token signing keys" },
    { NULL, "SEED_ADMIN_EMAIL", CONFIG_STRING, FIELD(seed_admin_email, char *), 0, 0, 0, NULL, 0,
      "with SEED_ADMIN_PASSWORD: create this admin at startup if missing" },
    { NULL, "SEED_ADMIN_PASSWORD", CONFIG_STRING, FIELD(seed_admin_password, char *), 0, 0, 0, NULL,
      CONFIG_SECRET, "password of the seeded admin" },
    { "mail.smtp_url", "DA_SMTP_URL", CONFIG_STRING, FIELD(smtp_url, char *), 0, 0, 0, NULL, 0,
      "smtp://host:587 or smtps://host:465; unset: no mail is sent" },
    { "mail.from", "DA_MAIL_FROM", CONFIG_STRING, FIELD(mail_from, char *), 0, 0, 0,
      "da <noreply@localhost>", CONFIG_NONEMPTY, "sender of sign-in mail" },
    { NULL, "SMTP_USER", CONFIG_STRING, FIELD(smtp_user, char *), 0, 0, 0, NULL, 0,
      "SMTP user name, if the server wants one" },
    { NULL, "SMTP_PASSWORD", CONFIG_STRING, FIELD(smtp_password, char *), 0, 0, 0, NULL,
      CONFIG_SECRET, "SMTP password" },
    { "mail.require_tls", "DA_SMTP_REQUIRE_TLS", CONFIG_BOOL, FIELD(smtp_require_tls, bool), 0, 0,
      0, "true", 0, "refuse to send mail over smtp:// without STARTTLS" },
    { "data.stale_after_hours", "DA_STALE_AFTER_HOURS", CONFIG_INT, FIELD(stale_after_hours, int),
      0, 1, 8760, "24", 0, "an extract older than this many hours is reported stale" },
    { "query.timeout_s", "DA_QUERY_TIMEOUT_S", CONFIG_INT, FIELD(query_timeout_s, int), 0, 1, 3600,
      "30", 0, "a query running longer is cancelled" },
    { "query.default_rows", "DA_QUERY_DEFAULT_ROWS", CONFIG_INT, FIELD(query_default_rows, int), 0,
      1, 10000000, "1000", 0, "rows a query returns when it does not say" },
    { "query.max_rows", "DA_QUERY_MAX_ROWS", CONFIG_INT, FIELD(query_max_rows, int), 0, 1, 10000000,
      "100000", 0, "the most rows a query may return" },
    { "query.max_bytes", "DA_QUERY_MAX_BYTES", CONFIG_INT, FIELD(query_max_bytes, int), 0, 1024,
      1073741824, "67108864", 0, "the most bytes of rows a query may return" },
    { "query.max_concurrent", "DA_QUERY_MAX_CONCURRENT", CONFIG_INT,
      FIELD(query_max_concurrent, int), 0, 1, 1000, "8", 0,
      "queries one user may run at once; more get 429" },
    { "query.memory_limit", "DA_QUERY_MEMORY_LIMIT", CONFIG_STRING,
      FIELD(query_memory_limit, char *), 0, 0, 0, "4GB", CONFIG_NONEMPTY,
      "memory of one query: its worker's DuckDB memory_limit; killed past 1.25x + 256MiB" },
    { "query.threads", "DA_QUERY_THREADS", CONFIG_INT, FIELD(query_threads, int), 0, 0, 256, "0", 0,
      "DuckDB threads of the serving database; 0: one per core" },
    { "query.workers", "DA_QUERY_WORKERS", CONFIG_INT, FIELD(query_workers, int), 0, 1, 256, "8", 0,
      "query worker processes at most: queries running at once; more wait for one" },
    { "uploads.max_bytes", "DA_UPLOAD_MAX_BYTES", CONFIG_INT64, FIELD(upload_max_bytes, int64_t), 0,
      1024, 17179869184LL, "104857600", 0,
      "largest file accepted by /api/upload/sessions and /api/upload/artifacts, in bytes" },
    { "metrics.require_admin", "DA_METRICS_REQUIRE_ADMIN", CONFIG_BOOL,
      FIELD(metrics_require_admin, bool), 0, 0, 0, "false", 0,
      "GET /metrics: false serves it to loopback callers only, true to admins only" },
    { "jira.base_url", "JIRA_BASE_URL", CONFIG_STRING, FIELD(jira_base_url, char *), 0, 0, 0, NULL,
      0, "Jira Cloud site, https://your-org.atlassian.net; unset: no Jira connector" },
    { "jira.email", "JIRA_EMAIL", CONFIG_STRING, FIELD(jira_email, char *), 0, 0, 0, NULL, 0,
      "the Jira account the connector reads as (basic auth with JIRA_API_TOKEN)" },
    { NULL, "JIRA_API_TOKEN", CONFIG_STRING, FIELD(jira_api_token, char *), 0, 0, 0, NULL,
      CONFIG_SECRET, "Jira API token of jira.email" },
    { NULL, "JIRA_WEBHOOK_SECRET", CONFIG_STRING, FIELD(jira_webhook_secret, char *), 0, 0, 0, NULL,
      CONFIG_SECRET, "HMAC key of POST /webhooks/jira; unset: every webhook is refused" },
    { "keboola.stack_url", "KEBOOLA_STACK_URL", CONFIG_STRING, FIELD(keboola_stack_url, char *), 0,
      0, 0, NULL, 0, "Keboola Storage API of the project, e.g. https://connection.keboola.com" },
    { "keboola.parallel_downloads", "DA_KEBOOLA_PARALLEL_DOWNLOADS", CONFIG_INT,
      FIELD(keboola_parallel_downloads, int), 0, 1, 16, "4", 0,
      "slices of one Keboola export downloaded at once" },
    { "keboola.retries", "DA_KEBOOLA_RETRIES", CONFIG_INT, FIELD(keboola_retries, int), 0, 0, 10,
      "4", 0, "retries of a Keboola call that got a 5xx or no answer" },
    { "keboola.retry_backoff_ms", "DA_KEBOOLA_RETRY_BACKOFF_MS", CONFIG_INT,
      FIELD(keboola_backoff_ms, int), 0, 1, 600000, "500", 0,
      "wait before the first retry, doubled for each next one" },
    { "keboola.job_timeout_s", "DA_KEBOOLA_JOB_TIMEOUT_S", CONFIG_INT,
      FIELD(keboola_job_timeout_s, int), 0, 1, 86400, "3600", 0,
      "the longest wait for one Keboola export job" },
    { "keboola.s3_endpoint", "DA_KEBOOLA_S3_ENDPOINT", CONFIG_STRING,
      FIELD(keboola_s3_endpoint, char *), 0, 0, 0, NULL, 0,
      "for tests; leave unset (S3 slices are then read from AWS)" },
    { "scheduler.max_attempts", "DA_SCHEDULER_MAX_ATTEMPTS", CONFIG_INT,
      FIELD(sched_max_attempts, int), 0, 1, 20, "3", 0,
      "tries of a connector job before it stays failed" },
    { "scheduler.backoff_base_s", "DA_SCHEDULER_BACKOFF_BASE_S", CONFIG_INT,
      FIELD(sched_backoff_base_s, int), 0, 1, 86400, "60", 0,
      "delay before the first retry; doubles each time, plus up to half again of jitter" },
    { "scheduler.job_timeout_s", "DA_SCHEDULER_JOB_TIMEOUT_S", CONFIG_INT,
      FIELD(sched_job_timeout_s, int), 0, 1, 604800, "3600", 0,
      "a connector job running longer is killed and fails" },
    { "scheduler.job_memory_limit", "DA_SCHEDULER_JOB_MEMORY_LIMIT", CONFIG_SIZE,
      FIELD(sched_job_memory_limit, int64_t), 0, 16LL << 20, INT64_MAX / 2, "4GB", 0,
      "a connector job using more memory (resident) is killed and fails" },
    { "scheduler.log_max_kib", "DA_SCHEDULER_LOG_MAX_KIB", CONFIG_INT,
      FIELD(sched_log_max_kib, int), 0, 4, 1048576, "256", 0,
      "KiB of the end of each job's log kept in state/jobs/" },
    { "scheduler.keep_jobs_days", "DA_SCHEDULER_KEEP_JOBS_DAYS", CONFIG_INT,
      FIELD(sched_keep_jobs_days, int), 0, 1, 36500, "90", 0,
      "ended jobs and their logs older than this are deleted (each source's newest stay)" },
    { "sync.default_enabled", "DA_SYNC_DEFAULT_ENABLED", CONFIG_SYNC_DEFAULT,
      FIELD(sync_default_enabled, enum sync_default), 0, 0, 0, "auto", 0,
      "whether a table a user first sees syncs: true, false, or auto (iff no larger than"
      " sync.large_table_bytes)" },
    { "sync.large_table_bytes", "DA_SYNC_LARGE_TABLE_BYTES", CONFIG_SIZE,
      FIELD(sync_large_table_bytes, int64_t), 0, 0, INT64_MAX / 2, "1GiB", 0,
      "with sync.default_enabled auto, larger tables are off until a user enables them"
      " (bytes, or a size such as 500MiB or 2GB)" },
};

#define CONFIG_N ARRAY_LEN(config_table)

static void *field_of(struct config *c, const struct config_entry *e)
{
    return (char *)c + e->offset;
}

static const void *cfield_of(const struct config *c, const struct config_entry *e)
{
    return (const char *)c + e->offset;
}

/* The name a message uses for an entry: its YAML key, else its variable. */
static const char *entry_name(const struct config_entry *e)
{
    return e->key ? e->key : e->env;
}

static void free_string(char **field, unsigned flags)
{
    if (*field && (flags & CONFIG_SECRET))
        mem_wipe(*field, strlen(*field));
    free(*field);
    *field = NULL;
}

static void free_list(char ***items, size_t *len)
{
    for (size_t i = 0; *items && i < *len; i++)
        free((*items)[i]);
    free(*items);
    *items = NULL;
    *len = 0;
}

/* Replaces a list setting with items (taking ownership of the array and its strings). */
static void set_list(struct config *c, const struct config_entry *e, char **items, size_t len)
{
    char ***field = field_of(c, e);
    size_t *field_len = (size_t *)((char *)c + e->len_offset);
    free_list(field, field_len);
    if (e->flags & CONFIG_LOWER) {
        for (size_t i = 0; i < len; i++)
            for (char *p = items[i]; *p; p++)
                *p = (char)tolower((unsigned char)*p);
    }
    *field = items;
    *field_len = len;
}

/* Splits "a, b,,c" into trimmed items, dropping empty ones (the environment form of a list). */
static enum rc split_list(const struct config_entry *e, const char *s, char ***out_items,
                          size_t *out_len, struct err *err)
{
    enum rc rc = RC_OK;
    char **items = NULL;
    size_t len = 0, cap = 0;
    const char *p = s;
    for (;;) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        const char *q = end;
        while (p < q && (*p == ' ' || *p == '\t'))
            p++;
        while (q > p && (q[-1] == ' ' || q[-1] == '\t'))
            q--;
        if (q > p) {
            if ((int64_t)len >= e->max) {
                rc = err_set(err, RC_INVALID, "must have at most %lld items", (long long)e->max);
                goto out;
            }
            items = xgrow(items, &cap, len + 1, sizeof(*items));
            items[len++] = xstrndup(p, (size_t)(q - p));
        }
        if (!*end)
            break;
        p = end + 1;
    }
out:
    if (rc) {
        free_list(&items, &len);
        return rc;
    }
    *out_items = items;
    *out_len = len;
    return RC_OK;
}

/* Converts the text s to the type of e and stores it in c; the one converter for defaults, the
 * file and the environment. The message says what is wrong without a prefix: the caller adds
 * where the value came from. */
static enum rc convert(struct config *c, const struct config_entry *e, const char *s,
                       struct err *err)
{
    /* a secret that failed to parse must not end up in a log line */
    const char *shown = (e->flags & CONFIG_SECRET) ? "(hidden)" : s;
    void *field = field_of(c, e);
    int64_t v = 0;
    bool b = false;
    enum log_level level = LOG_INFO;
    enum log_format format = LOG_HUMAN;
    char **items = NULL;
    size_t len = 0;

    switch (e->type) {
    case CONFIG_STRING:
        free_string(field, e->flags);
        *(char **)field = xstrdup(s);
        return RC_OK;
    case CONFIG_INT:
    case CONFIG_INT64:
        if (!parse_i64(s, e->min, e->max, &v))
            return err_set(err, RC_INVALID,
                           "must be an integer between %lld and %lld (got '%.64s')",
                           (long long)e->min, (long long)e->max, shown);
        if (e->type == CONFIG_INT)
            *(int *)field = (int)v;
        else
            *(int64_t *)field = v;
        return RC_OK;
    case CONFIG_BOOL:
        if (!parse_bool(s, &b))
            return err_set(err, RC_INVALID,
                           "must be true or false (also yes/no, on/off, 1/0) (got '%.64s')", shown);
        *(bool *)field = b;
        return RC_OK;
    case CONFIG_LOG_LEVEL:
        if (!log_level_parse(s, &level))
            return err_set(err, RC_INVALID, "must be one of debug, info, warn, error (got '%.64s')",
                           shown);
        *(enum log_level *)field = level;
        return RC_OK;
    case CONFIG_LOG_FORMAT:
        if (!log_format_parse(s, &format))
            return err_set(err, RC_INVALID, "must be one of human, json (got '%.64s')", shown);
        *(enum log_format *)field = format;
        return RC_OK;
    case CONFIG_SIZE:
        if (!parse_size(s, &v) || v < e->min || v > e->max)
            return err_set(err, RC_INVALID,
                           "must be a size in bytes or with a unit such as 500MiB or 2GB"
                           " (got '%.64s')",
                           shown);
        *(int64_t *)field = v;
        return RC_OK;
    case CONFIG_SYNC_DEFAULT:
        if (strcmp(s, "auto") == 0)
            *(enum sync_default *)field = SYNC_DEFAULT_AUTO;
        else if (strcmp(s, "true") == 0)
            *(enum sync_default *)field = SYNC_DEFAULT_TRUE;
        else if (strcmp(s, "false") == 0)
            *(enum sync_default *)field = SYNC_DEFAULT_FALSE;
        else
            return err_set(err, RC_INVALID, "must be one of auto, true, false (got '%.64s')",
                           shown);
        return RC_OK;
    case CONFIG_STRING_LIST:
        if (split_list(e, s, &items, &len, err))
            return RC_INVALID;
        set_list(c, e, items, len);
        return RC_OK;
    }
    return err_set(err, RC_INTERNAL, "unknown setting type %d", (int)e->type);
}

void config_defaults(struct config *c)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < CONFIG_N; i++) {
        const struct config_entry *e = &config_table[i];
        if (!e->def)
            continue;
        struct err err;
        if (convert(c, e, e->def, &err)) {
            /* a default that does not parse is a bug in the table, caught by every test run */
            fprintf(stderr, "da: bad built-in default for %s: %s\n", entry_name(e), err.msg);
            abort();
        }
    }
}

/* ---- ${NAME} interpolation ------------------------------------------------------------- */

static bool is_name_start(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_';
}

static bool is_name_char(char ch)
{
    return is_name_start(ch) || (ch >= '0' && ch <= '9');
}

/* True when [p, end) holds "${": nested references are not supported, so say so rather than
 * cut the fallback at the inner '}'. */
static bool contains_ref(const char *p, const char *end)
{
    for (; p + 1 < end; p++)
        if (p[0] == '$' && p[1] == '{')
            return true;
    return false;
}

/* Expands the environment references in s: ${NAME} (an error when NAME is unset),
 * ${NAME:-fallback} (fallback when NAME is unset or empty) and $${ (a literal "${"). Any other
 * '$' is kept. Substituted text is not scanned again, so a variable cannot inject another
 * reference. *out_s gets a string the caller frees with free(). */
static enum rc interpolate(const char *s, char **out_s, struct err *err)
{
    enum rc rc = RC_OK;
    char *name = NULL;
    struct buf b;
    buf_init(&b, DA_CONFIG_FILE_MAX);
    *out_s = NULL;

    const char *p = s;
    while (*p) {
        const char *dollar = strchr(p, '$');
        if (!dollar) {
            rc = buf_append_str(&b, p);
            break;
        }
        rc = buf_append(&b, p, (size_t)(dollar - p));
        if (rc)
            break;
        if (dollar[1] == '$' && dollar[2] == '{') {
            rc = buf_append_str(&b, "${");
            p = dollar + 3;
            if (rc)
                break;
            continue;
        }
        if (dollar[1] != '{') {
            rc = buf_append_str(&b, "$");
            p = dollar + 1;
            if (rc)
                break;
            continue;
        }
        const char *start = dollar + 2;
        const char *close = strchr(start, '}');
        if (!close) {
            rc = err_set(err, RC_INVALID,
                         "unterminated '${' (no closing '}'; write $${ for a "
                         "literal ${)");
            goto out;
        }
        size_t n = 0;
        if (is_name_start(start[0]))
            while (is_name_char(start[n]))
                n++;
        bool has_fallback = start[n] == ':' && start[n + 1] == '-';
        if (n == 0 || (start + n != close && !has_fallback)) {
            rc = err_set(err, RC_INVALID,
                         "'${%.*s}' is not a variable reference: write ${NAME} or "
                         "${NAME:-fallback}, NAME being letters, digits and '_'",
                         (int)(close - start), start);
            goto out;
        }
        const char *fallback = start + n + 2;
        if (has_fallback && contains_ref(fallback, close)) {
            rc = err_set(err, RC_INVALID, "'${%.*s}': a fallback cannot contain '${'",
                         (int)(close - start), start);
            goto out;
        }
        name = xstrndup(start, n);
        const char *value = getenv(name);
        if (has_fallback && (!value || !*value)) {
            rc = buf_append(&b, fallback, (size_t)(close - fallback));
        } else if (!value) {
            rc = err_set(err, RC_INVALID,
                         "environment variable %s is not set (write ${%s:-fallback} for a "
                         "default)",
                         name, name);
            goto out;
        } else {
            rc = buf_append_str(&b, value);
        }
        free(name);
        name = NULL;
        if (rc)
            break;
        p = close + 1;
    }
    if (rc) /* only buf_append fails here */
        rc = err_set(err, RC_INVALID, "longer than %d bytes after ${...} expansion",
                     DA_CONFIG_FILE_MAX);
out:
    free(name);
    if (rc) {
        buf_cleanup(&b);
        return rc;
    }
    *out_s = buf_take(&b, NULL);
    return RC_OK;
}

/* ---- the YAML file ------------------------------------------------------------------------ */

struct loader {
    const char *path;
    const char *data; /* the file, to find the line of a reader (encoding) error */
    size_t data_len;
    struct config *c;
    struct err *err;
    yaml_parser_t parser;
    yaml_event_t ev; /* the current event, valid when has_ev */
    bool has_ev;
    char *ctx;                   /* the key or section the current event belongs to, for messages */
    size_t key_line;             /* line of the key whose value is being read */
    size_t first_line[CONFIG_N]; /* where each key was set, to report duplicates */
    size_t section_line[CONFIG_N]; /* per section, at the index of its first table entry */
    size_t sources_line;           /* where `sources:` was, to report a second one */
};

/* Sets the message "PATH:LINE: KEY: what" (or without KEY when NULL) and returns RC_INVALID. */
PRINTF_FMT(4, 5)
static enum rc file_error(struct loader *ld, size_t line, const char *key, const char *fmt, ...)
{
    char what[ERR_MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap); /* a truncated message is still useful */
    va_end(ap);
    if (key)
        return err_set(ld->err, RC_INVALID, "%s:%zu: %s: %s", ld->path, line, key, what);
    return err_set(ld->err, RC_INVALID, "%s:%zu: %s", ld->path, line, what);
}

static size_t event_line(const struct loader *ld)
{
    return ld->ev.start_mark.line + 1;
}

static void set_ctx(struct loader *ld, char *ctx)
{
    free(ld->ctx);
    ld->ctx = ctx;
}

static enum rc syntax_error(struct loader *ld)
{
    const yaml_parser_t *pa = &ld->parser;
    const char *problem = pa->problem ? pa->problem : "unknown problem";
    size_t line = pa->problem_mark.line + 1;
    if (pa->error == YAML_MEMORY_ERROR)
        return err_set(ld->err, RC_NOMEM, "%s: out of memory while parsing", ld->path);
    if (pa->error == YAML_READER_ERROR) {
        /* the reader reports a byte offset, not a mark: count the lines up to it */
        line = 1;
        for (size_t i = 0; i < pa->problem_offset && i < ld->data_len; i++)
            if (ld->data[i] == '\n')
                line++;
        return file_error(ld, line, NULL, "YAML syntax error: %s", problem);
    }
    if (pa->context)
        return file_error(ld, line, NULL, "YAML syntax error: %s (%s started on line %zu)", problem,
                          pa->context, (size_t)pa->context_mark.line + 1);
    return file_error(ld, line, NULL, "YAML syntax error: %s", problem);
}

/* Moves to the next event. Anchors and aliases are refused here, in one place: a config file
 * has no use for them, and refusing them rules out alias-expansion bombs. */
static enum rc next_event(struct loader *ld)
{
    if (ld->has_ev) {
        yaml_event_delete(&ld->ev);
        ld->has_ev = false;
    }
    if (!yaml_parser_parse(&ld->parser, &ld->ev))
        return syntax_error(ld);
    ld->has_ev = true;
    const yaml_char_t *anchor = NULL;
    switch (ld->ev.type) {
    case YAML_ALIAS_EVENT:
        return file_error(ld, event_line(ld), ld->ctx,
                          "YAML anchors and aliases are not allowed (found *%s)",
                          (const char *)ld->ev.data.alias.anchor);
    case YAML_SCALAR_EVENT:
        anchor = ld->ev.data.scalar.anchor;
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = ld->ev.data.sequence_start.anchor;
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = ld->ev.data.mapping_start.anchor;
        break;
    default:
        break;
    }
    if (anchor)
        return file_error(ld, event_line(ld), ld->ctx,
                          "YAML anchors and aliases are not allowed (found &%s)",
                          (const char *)anchor);
    return RC_OK;
}

static const char *scalar_text(const struct loader *ld)
{
    return (const char *)ld->ev.data.scalar.value;
}

/* A plain empty, ~ or null scalar: "no value here, keep the default". */
static bool scalar_is_null(const struct loader *ld)
{
    if (ld->ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *s = scalar_text(ld);
    return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
           strcmp(s, "NULL") == 0;
}

/* Reads the current scalar event as text with ${...} expanded. *out_s is NULL (and RC_OK) when
 * the scalar means "keep the default": null, or plain and empty after expansion. */
static enum rc scalar_value(struct loader *ld, char **out_s)
{
    *out_s = NULL;
    if (scalar_is_null(ld))
        return RC_OK;
    const char *raw = scalar_text(ld);
    if (strlen(raw) != ld->ev.data.scalar.length)
        return file_error(ld, event_line(ld), ld->ctx, "must not contain NUL characters");
    struct err inner;
    char *s = NULL;
    if (interpolate(raw, &s, &inner))
        return file_error(ld, event_line(ld), ld->ctx, "%s", inner.msg);
    if (!*s && ld->ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        free(s); /* `port: ${PORT:-}` with PORT unset leaves the default */
        return RC_OK;
    }
    *out_s = s;
    return RC_OK;
}

static const char *node_kind(const struct loader *ld)
{
    switch (ld->ev.type) {
    case YAML_SEQUENCE_START_EVENT:
        return "a list";
    case YAML_MAPPING_START_EVENT:
        return "a mapping";
    default:
        return "something else";
    }
}

/* The one loop over a YAML collection: calls member(ld, arg) with each event directly inside
 * the mapping or sequence whose start is the current event (for a mapping, each key: the
 * callback reads the key's value itself, so the walk goes on after it), until the end event.
 * Sections, their keys and list items are all read through it. */
static enum rc each_member(struct loader *ld, yaml_event_type_t end,
                           enum rc (*member)(struct loader *ld, void *arg), void *arg)
{
    for (;;) {
        enum rc rc = next_event(ld);
        if (rc)
            return rc;
        if (ld->ev.type == end)
            return RC_OK;
        rc = member(ld, arg);
        if (rc)
            return rc;
    }
}

/* A list being read: the setting and the items so far (owned). */
struct list_read {
    const struct config_entry *e;
    char **items;
    size_t len, cap;
};

/* One list item (the current event). */
static enum rc list_item(struct loader *ld, void *arg)
{
    struct list_read *l = arg;
    char *s = NULL;
    if (ld->ev.type != YAML_SCALAR_EVENT)
        return file_error(ld, event_line(ld), l->e->key,
                          "list items must be single values (got %s)", node_kind(ld));
    enum rc rc = scalar_value(ld, &s);
    if (rc)
        return rc;
    if (!s || !*s) {
        free(s);
        return RC_OK; /* empty items are dropped, as in the environment form */
    }
    if ((int64_t)l->len >= l->e->max) {
        free(s);
        return file_error(ld, event_line(ld), l->e->key, "must have at most %lld items",
                          (long long)l->e->max);
    }
    l->items = xgrow(l->items, &l->cap, l->len + 1, sizeof(*l->items));
    l->items[l->len++] = s;
    return RC_OK;
}

/* Reads a YAML list (the current event is its start) into a list setting. */
static enum rc load_list(struct loader *ld, const struct config_entry *e)
{
    struct list_read l = { .e = e };
    enum rc rc = each_member(ld, YAML_SEQUENCE_END_EVENT, list_item, &l);
    if (rc) {
        free_list(&l.items, &l.len);
        return rc;
    }
    set_list(ld->c, e, l.items, l.len);
    return RC_OK;
}

/* Reads the value of key e (the current event) into the config. */
static enum rc load_value(struct loader *ld, const struct config_entry *e)
{
    enum rc rc = RC_OK;
    char *s = NULL;
    struct err inner;
    bool is_list = e->type == CONFIG_STRING_LIST;

    switch (ld->ev.type) {
    case YAML_SCALAR_EVENT:
        if (is_list && !scalar_is_null(ld)) {
            rc = file_error(ld, event_line(ld), e->key,
                            "must be a list such as [example.com] (got '%.64s')", scalar_text(ld));
            goto out;
        }
        rc = scalar_value(ld, &s);
        if (rc || !s)
            goto out;
        if (convert(ld->c, e, s, &inner))
            rc = file_error(ld, event_line(ld), e->key, "%s", inner.msg);
        goto out;
    case YAML_SEQUENCE_START_EVENT:
        if (is_list) {
            rc = load_list(ld, e);
            goto out;
        }
        rc = file_error(ld, ld->key_line, e->key, "must be a single value (got a list)");
        goto out;
    case YAML_MAPPING_START_EVENT:
        rc = file_error(ld, ld->key_line, e->key, "must be %s (got a mapping)",
                        is_list ? "a list" : "a single value");
        goto out;
    default:
        rc = file_error(ld, event_line(ld), e->key, "unexpected YAML event %d", (int)ld->ev.type);
        goto out;
    }
out:
    free(s);
    return rc;
}

/* Index of the first table entry of section name (len bytes), or -1. */
static int section_index(const char *name, size_t len)
{
    for (size_t i = 0; i < CONFIG_N; i++) {
        const char *k = config_table[i].key;
        if (k && strncmp(k, name, len) == 0 && k[len] == '.')
            return (int)i;
    }
    return -1;
}

/* The known sections, comma-separated, from the table itself. */
static char *section_names(void)
{
    struct buf b;
    buf_init(&b, 1024);
    for (size_t i = 0; i < CONFIG_N; i++) {
        const char *k = config_table[i].key;
        if (!k)
            continue;
        size_t len = (size_t)(strchr(k, '.') - k);
        if (section_index(k, len) != (int)i)
            continue; /* not the first key of its section */
        if ((b.len && buf_append_str(&b, ", ")) || buf_append(&b, k, len))
            break; /* cannot happen within 1024 bytes; the list is only for a message */
    }
    return buf_take(&b, NULL);
}

static int key_index(const char *key)
{
    for (size_t i = 0; i < CONFIG_N; i++)
        if (config_table[i].key && strcmp(config_table[i].key, key) == 0)
            return (int)i;
    return -1;
}

/* One key of section (the current event), then its value. */
static enum rc section_key(struct loader *ld, void *arg)
{
    const char *section = arg;
    if (ld->ev.type != YAML_SCALAR_EVENT)
        return file_error(ld, event_line(ld), section, "keys must be plain names (got %s)",
                          node_kind(ld));
    char *key = xasprintf("%s.%s", section, scalar_text(ld));
    size_t line = event_line(ld);
    int i = key_index(key);
    enum rc rc = RC_OK;
    if (i < 0) {
        /* the one key people will try: say where it goes instead */
        bool secret = strstr(scalar_text(ld), "secret") != NULL;
        rc = file_error(ld, line, key, "unknown key%s",
                        secret ? " (secrets are not read from the file: set JWT_SECRET_KEY "
                                 "in the environment)"
                               : "");
    } else if (ld->first_line[i]) {
        rc = file_error(ld, line, key, "duplicate key (first set on line %zu)", ld->first_line[i]);
    }
    if (rc) {
        free(key);
        return rc;
    }
    ld->first_line[i] = line;
    ld->key_line = line;
    set_ctx(ld, key);
    rc = next_event(ld);
    return rc ? rc : load_value(ld, &config_table[i]);
}

/* ---- sources: a list of mappings {name, type, schedule, from} ---- */

static void source_free(struct config_source *src)
{
    free(src->name);
    free(src->type);
    free(src->schedule);
    free(src->from);
    *src = (struct config_source){ 0 };
}

/* One key of a source item (the current event), then its value. */
static enum rc source_key(struct loader *ld, void *arg)
{
    struct config_source *src = arg;
    static const char *const names[] = { "name", "type", "schedule", "from" };
    char **fields[] = { &src->name, &src->type, &src->schedule, &src->from };
    if (ld->ev.type != YAML_SCALAR_EVENT)
        return file_error(ld, event_line(ld), "sources", "keys must be plain names (got %s)",
                          node_kind(ld));
    size_t line = event_line(ld);
    int k = -1;
    for (int i = 0; i < (int)ARRAY_LEN(names); i++)
        if (strcmp(scalar_text(ld), names[i]) == 0)
            k = i;
    if (k < 0)
        return file_error(ld, line, "sources",
                          "unknown key '%.64s' (known: name, type, "
                          "schedule, from)",
                          scalar_text(ld));
    if (*fields[k])
        return file_error(ld, line, "sources", "duplicate key '%s'", names[k]);
    enum rc rc = next_event(ld);
    if (rc)
        return rc;
    if (ld->ev.type != YAML_SCALAR_EVENT)
        return file_error(ld, line, "sources", "%s must be a single value (got %s)", names[k],
                          node_kind(ld));
    return scalar_value(ld, fields[k]);
}

/* One item of the sources list (the current event). */
static enum rc source_item(struct loader *ld, void *arg)
{
    (void)arg;
    size_t line = event_line(ld);
    if (ld->ev.type != YAML_MAPPING_START_EVENT)
        return file_error(ld, line, "sources",
                          "each source must be a mapping such as {name: x, type: files} (got %s)",
                          ld->ev.type == YAML_SCALAR_EVENT ? "a single value" : node_kind(ld));
    struct config_source src = { 0 };
    enum rc rc = each_member(ld, YAML_MAPPING_END_EVENT, source_key, &src);
    if (!rc && (!src.name || !src.type))
        rc = file_error(ld, line, "sources", "a source needs a name and a type");
    if (!rc && ld->c->sources_len >= LIST_MAX)
        rc = file_error(ld, line, "sources", "at most %d sources", LIST_MAX);
    if (rc) {
        source_free(&src);
        return rc;
    }
    struct config *c = ld->c;
    c->sources = xrealloc(c->sources, (c->sources_len + 1) * sizeof(*c->sources));
    c->sources[c->sources_len++] = src;
    return RC_OK;
}

static enum rc load_sources(struct loader *ld, size_t line)
{
    if (ld->sources_line)
        return file_error(ld, line, "sources", "duplicate section (first on line %zu)",
                          ld->sources_line);
    ld->sources_line = line;
    enum rc rc = next_event(ld);
    if (rc)
        return rc;
    if (ld->ev.type == YAML_SCALAR_EVENT && scalar_is_null(ld))
        return RC_OK;
    if (ld->ev.type != YAML_SEQUENCE_START_EVENT)
        return file_error(ld, line, "sources", "must be a list of sources (got %s)",
                          ld->ev.type == YAML_SCALAR_EVENT ? "a single value" : node_kind(ld));
    return each_member(ld, YAML_SEQUENCE_END_EVENT, source_item, NULL);
}

/* One section name of the root mapping (the current event), then its mapping of keys. */
static enum rc load_section(struct loader *ld, void *arg)
{
    size_t *n = arg;
    if (ld->ev.type != YAML_SCALAR_EVENT)
        return file_error(ld, event_line(ld), "top level",
                          "section names must be plain names (got %s)", node_kind(ld));
    char *name = xstrdup(scalar_text(ld));
    char *known = NULL;
    size_t line = event_line(ld);
    int i = section_index(name, strlen(name));
    enum rc rc = RC_OK;
    if (strcmp(name, "sources") == 0) {
        (*n)++;
        set_ctx(ld, xstrdup("sources"));
        rc = load_sources(ld, line);
        set_ctx(ld, xstrdup("top level"));
        goto out;
    }
    if (i < 0) {
        known = section_names(); /* sources: is the one list, not in the key table */
        rc = file_error(ld, line, name, "unknown section (known: %s)", known);
        goto out;
    }
    if (ld->section_line[i]) {
        rc = file_error(ld, line, name, "duplicate section (first on line %zu)",
                        ld->section_line[i]);
        goto out;
    }
    ld->section_line[i] = line;
    (*n)++;
    set_ctx(ld, xstrdup(name));
    rc = next_event(ld);
    if (rc)
        goto out;
    if (ld->ev.type == YAML_MAPPING_START_EVENT)
        rc = each_member(ld, YAML_MAPPING_END_EVENT, section_key, name);
    else if (ld->ev.type == YAML_SCALAR_EVENT && scalar_is_null(ld))
        rc = RC_OK; /* `server:` alone: nothing to change */
    else if (ld->ev.type == YAML_SCALAR_EVENT)
        rc = file_error(ld, line, name, "must be a mapping of keys (got '%.64s')", scalar_text(ld));
    else
        rc = file_error(ld, line, name, "must be a mapping of keys (got %s)", node_kind(ld));
    set_ctx(ld, xstrdup("top level")); /* for the next section name */
out:
    free(known);
    free(name);
    return rc;
}

/* Reads the root mapping of sections (the current event is its start). */
static enum rc load_sections(struct loader *ld)
{
    size_t n = 0;
    enum rc rc = each_member(ld, YAML_MAPPING_END_EVENT, load_section, &n);
    if (!rc && n == 0)
        rc = err_set(ld->err, RC_INVALID, "%s: empty configuration", ld->path);
    return rc;
}

/* stream-start, one document whose root is a mapping of sections, stream-end. */
static enum rc load_stream(struct loader *ld)
{
    enum rc rc = next_event(ld);
    if (rc)
        return rc;
    if (ld->ev.type != YAML_STREAM_START_EVENT)
        return file_error(ld, event_line(ld), NULL, "not a YAML stream");
    rc = next_event(ld);
    if (rc)
        return rc;
    /* an empty file, or one with only comments, has no document at all */
    if (ld->ev.type == YAML_STREAM_END_EVENT)
        return err_set(ld->err, RC_INVALID, "%s: empty configuration", ld->path);
    set_ctx(ld, xstrdup("top level"));
    rc = next_event(ld); /* past document-start, to the root node */
    if (rc)
        return rc;
    switch (ld->ev.type) {
    case YAML_MAPPING_START_EVENT:
        rc = load_sections(ld);
        break;
    case YAML_SCALAR_EVENT:
        if (scalar_is_null(ld))
            return err_set(ld->err, RC_INVALID, "%s: empty configuration", ld->path);
        return file_error(ld, event_line(ld), "top level",
                          "must be a mapping of sections such as server: (got '%.64s')",
                          scalar_text(ld));
    default:
        return file_error(ld, event_line(ld), "top level",
                          "must be a mapping of sections such as server: (got %s)", node_kind(ld));
    }
    if (rc)
        return rc;
    rc = next_event(ld); /* document-end */
    if (rc)
        return rc;
    rc = next_event(ld);
    if (rc)
        return rc;
    if (ld->ev.type != YAML_STREAM_END_EVENT)
        return file_error(ld, event_line(ld), NULL,
                          "only one YAML document is allowed (found a second '---')");
    return RC_OK;
}

enum rc config_load_file(struct config *c, const char *path, struct err *err)
{
    struct loader ld = { .path = path, .c = c, .err = err };
    struct err inner;
    char *data = NULL;
    size_t len = 0;
    bool parser_ready = false;

    enum rc rc = file_read_all(path, DA_CONFIG_FILE_MAX, &data, &len, &inner);
    if (rc == RC_NOTFOUND) {
        rc = err_set(err, RC_NOTFOUND, "%s: configuration file not found", path);
        goto out;
    }
    if (rc == RC_TOOBIG) {
        rc = err_set(err, RC_INVALID,
                     "%s: larger than %d bytes, the limit for a configuration "
                     "file",
                     path, DA_CONFIG_FILE_MAX);
        goto out;
    }
    if (rc) {
        rc = err_set(err, rc, "%s", inner.msg); /* already names the path and the cause */
        goto out;
    }
    ld.data = data;
    ld.data_len = len;
    if (!yaml_parser_initialize(&ld.parser)) {
        rc = err_set(err, RC_NOMEM, "%s: cannot set up the YAML parser", path);
        goto out;
    }
    parser_ready = true;
    yaml_parser_set_input_string(&ld.parser, (const unsigned char *)data, len);
    rc = load_stream(&ld);
out:
    if (ld.has_ev)
        yaml_event_delete(&ld.ev);
    if (parser_ready)
        yaml_parser_delete(&ld.parser);
    free(ld.ctx);
    free(data);
    return rc;
}

/* ---- environment, validation, help, cleanup --------------------------------------------- */

enum rc config_apply_env(struct config *c, struct err *err)
{
    for (size_t i = 0; i < CONFIG_N; i++) {
        const struct config_entry *e = &config_table[i];
        if (!e->env)
            continue;
        const char *v = getenv(e->env);
        /* Empty counts as unset, so an env file can list `DA_PORT=` without overriding the
         * file. The price: the environment cannot set a value to "" (or a list to empty). */
        if (!v || !*v)
            continue;
        struct err inner;
        enum rc rc = convert(c, e, v, &inner);
        if (rc)
            return err_set(err, rc, "environment %s: %s", e->env, inner.msg);
    }
    return RC_OK;
}

enum rc config_load(struct config *c, const char *path, bool path_explicit, struct err *err)
{
    config_defaults(c);
    enum rc rc = config_load_file(c, path, err);
    if (rc == RC_NOTFOUND && !path_explicit)
        rc = RC_OK; /* no file at the default place: defaults and environment */
    return rc ? rc : config_apply_env(c, err);
}

/* letters, digits, '-' and '.', at least one dot, no empty label, no label edge '-'. */
static bool domain_valid(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > 253 || !strchr(s, '.'))
        return false;
    char prev = '.';
    for (const char *p = s; *p; p++) {
        char ch = *p;
        bool alnum = isalnum((unsigned char)ch) != 0;
        if (!alnum && ch != '-' && ch != '.')
            return false;
        if (ch == '.' && (prev == '.' || prev == '-'))
            return false;
        if (ch == '-' && prev == '.')
            return false;
        prev = ch;
    }
    return prev != '.' && prev != '-';
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

enum rc config_validate(const struct config *c, struct err *err)
{
    for (size_t i = 0; i < CONFIG_N; i++) {
        const struct config_entry *e = &config_table[i];
        const void *field = cfield_of(c, e);
        const char *name = entry_name(e);
        int64_t v = 0;
        if (e->type == CONFIG_INT || e->type == CONFIG_INT64) {
            /* the command line sets some of these after the file and the environment */
            v = e->type == CONFIG_INT ? *(const int *)field : *(const int64_t *)field;
            if (v < e->min || v > e->max)
                return err_set(err, RC_INVALID,
                               "%s: must be an integer between %lld and %lld "
                               "(got %lld)",
                               name, (long long)e->min, (long long)e->max, (long long)v);
        }
        if (e->type == CONFIG_STRING && (e->flags & CONFIG_NONEMPTY)) {
            const char *s = *(char *const *)field;
            if (!s || !*s)
                return err_set(err, RC_INVALID, "%s: must not be empty", name);
        }
        if (e->type == CONFIG_STRING_LIST && (e->flags & CONFIG_DOMAINS)) {
            char *const *items = *(char **const *)field;
            size_t len = *(const size_t *)((const char *)c + e->len_offset);
            for (size_t j = 0; j < len; j++) {
                if (items[j][0] == '@')
                    return err_set(err, RC_INVALID, "%s: '%.64s': write the domain without '@'",
                                   name, items[j]);
                if (!domain_valid(items[j]))
                    return err_set(err, RC_INVALID,
                                   "%s: '%.64s' is not a domain name such as example.com", name,
                                   items[j]);
            }
        }
    }
    if (!c->public_url ||
        !(has_prefix(c->public_url, "http://") || has_prefix(c->public_url, "https://")))
        return err_set(err, RC_INVALID,
                       "server.public_url: must start with http:// or https:// "
                       "(got '%.64s')",
                       c->public_url ? c->public_url : "");
    const char *endpoints[][2] = {
        { "auth.google_issuer", c->google_issuer },
        { "auth.google_authorization_endpoint", c->google_authorization_endpoint },
        { "auth.google_token_endpoint", c->google_token_endpoint },
        { "auth.google_jwks_uri", c->google_jwks_uri },
        { "jira.base_url", c->jira_base_url },
    };
    for (size_t i = 0; i < ARRAY_LEN(endpoints); i++) {
        const char *v = endpoints[i][1];
        if (v && !(has_prefix(v, "https://") || has_prefix(v, "http://")))
            return err_set(err, RC_INVALID, "%s: must start with https:// (got '%.64s')",
                           endpoints[i][0], v);
    }
    if (c->google_client_id && !c->google_client_secret)
        return err_set(err, RC_INVALID,
                       "auth.google_client_id is set but GOOGLE_CLIENT_SECRET is not");
    if (c->smtp_url && !(has_prefix(c->smtp_url, "smtp://") || has_prefix(c->smtp_url, "smtps://")))
        return err_set(err, RC_INVALID,
                       "mail.smtp_url: must start with smtp:// or smtps:// (got '%.64s')",
                       c->smtp_url);
    if ((c->seed_admin_email != NULL) != (c->seed_admin_password != NULL))
        return err_set(err, RC_INVALID,
                       "SEED_ADMIN_EMAIL and SEED_ADMIN_PASSWORD must be set together");
    for (size_t i = 0; i < c->sources_len; i++) {
        const struct config_source *src = &c->sources[i];
        if (!ident_valid(src->name))
            return err_set(err, RC_INVALID,
                           "sources: name '%.64s' must be letters, digits and '_', not starting "
                           "with a digit",
                           src->name);
        if (!ident_valid(src->type))
            return err_set(err, RC_INVALID, "sources: %s: type '%.64s' is not a connector name",
                           src->name, src->type);
        for (size_t j = 0; j < i; j++)
            if (strcmp(c->sources[j].name, src->name) == 0)
                return err_set(err, RC_INVALID, "sources: name '%s' is listed twice", src->name);
        if (strcmp(src->type, "files") == 0 && (!src->from || !*src->from))
            return err_set(err, RC_INVALID, "sources: %s: a files source needs 'from' (a folder)",
                           src->name);
    }
    if (c->jwt_secret && strlen(c->jwt_secret) < DA_JWT_SECRET_MIN)
        return err_set(err, RC_INVALID, "JWT_SECRET_KEY: must be at least %d bytes (got %zu)",
                       DA_JWT_SECRET_MIN, strlen(c->jwt_secret));
    return RC_OK;
}

void config_print_keys(FILE *f)
{
    fprintf(f, "  %-28s %-24s %-22s %s\n", "KEY", "ENVIRONMENT", "DEFAULT", "MEANING");
    for (size_t i = 0; i < CONFIG_N; i++) {
        const struct config_entry *e = &config_table[i];
        const char *def = e->def ? e->def : "(unset)";
        if (e->def && !*e->def)
            def = "(none)";
        fprintf(f, "  %-28s %-24s %-22s %s", e->key ? e->key : "(environment only)",
                e->env ? e->env : "-", def, e->help);
        if (e->type == CONFIG_INT || e->type == CONFIG_INT64)
            fprintf(f, " (%lld..%lld)", (long long)e->min, (long long)e->max);
        fputc('\n', f);
    }
}

void config_cleanup(struct config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < CONFIG_N; i++) {
        const struct config_entry *e = &config_table[i];
        if (e->type == CONFIG_STRING)
            free_string(field_of(c, e), e->flags);
        else if (e->type == CONFIG_STRING_LIST)
            free_list(field_of(c, e), (size_t *)((char *)c + e->len_offset));
    }
    for (size_t i = 0; i < c->sources_len; i++)
        source_free(&c->sources[i]);
    free(c->sources);
    memset(c, 0, sizeof(*c));
}
