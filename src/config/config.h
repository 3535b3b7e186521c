/* config.h — the instance configuration: one struct config, filled in this order: defaults,
 * config/instance.yaml, environment, command line. Validated once at startup and read-only
 * afterwards. A bad file stops startup with a message that names the key; it is never silently
 * replaced by defaults. One static table in config.c drives parsing, environment overrides,
 * validation and the help text. */
#ifndef DA_CONFIG_CONFIG_H
#define DA_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/compat.h"
#include "base/log.h"
#include "base/rc.h"

/* One entry of the `sources:` list: a source the scheduler runs that the table registry does
 * not describe (e.g. a folder of files). Strings owned by the config; schedule and from may be
 * NULL. */
struct config_source {
    char *name;     /* the source (extracts/<name>), an identifier */
    char *type;     /* the connector: `da extract <type>` */
    char *schedule; /* "every 15m", "daily 05:30": checked by the scheduler at startup */
    char *from;     /* files: the folder read */
};

/* sync.default_enabled: whether a table a user first sees syncs (auto: iff it is no larger
 * than sync.large_table_bytes). */
enum sync_default { SYNC_DEFAULT_AUTO, SYNC_DEFAULT_TRUE, SYNC_DEFAULT_FALSE };

struct config {
    /* instance */
    char *instance_name; /* instance.name; env DA_INSTANCE_NAME */
    char *timezone;      /* instance.timezone; env DA_TIMEZONE; IANA name, default UTC */
    /* server */
    char *host;                   /* server.host; env DA_HOST; default 127.0.0.1 */
    int port;                     /* server.port; env DA_PORT; default 8000; 0 = any free port */
    char *data_dir;               /* server.data_dir; env DA_DATA_DIR; default ./data */
    int threads;                  /* server.threads; env DA_THREADS; HTTP worker threads */
    int64_t max_body_bytes;       /* server.max_body_bytes; env DA_MAX_BODY_BYTES */
    int connection_timeout_s;     /* server.connection_timeout_s; idle connections close after */
    int max_connections_per_ip;   /* server.max_connections_per_ip; 0: no limit */
    int header_timeout_s;         /* server.header_timeout_s: deadline of a request head */
    int64_t body_min_bytes_per_s; /* server.body_min_bytes_per_s: slower bodies are cut */
    int body_rate_window_s;       /* server.body_rate_window_s: over windows this long */
    int shutdown_grace_s;         /* server.shutdown_grace_s; env DA_SHUTDOWN_GRACE_S */
    bool behind_tls_proxy;        /* server.behind_tls_proxy; env DA_BEHIND_TLS_PROXY */
    char *public_url;             /* server.public_url; env DA_PUBLIC_URL */
    /* log */
    enum log_level log_level;   /* log.level; env DA_LOG_LEVEL */
    enum log_format log_format; /* log.format; env DA_LOG_FORMAT */
    /* auth */
    char *jwt_secret;       /* env JWT_SECRET_KEY only; NULL when unset */
    char **allowed_domains; /* auth.allowed_domains (list); env DA_ALLOWED_DOMAINS (commas) */
    size_t allowed_domains_len;
    int login_rate_per_ip;      /* auth.login_rate_per_ip: login attempts a minute per address */
    int login_rate_per_account; /* auth.login_rate_per_account: attempts per 15 min per account */
    char *google_client_id;     /* auth.google_client_id; env GOOGLE_CLIENT_ID; NULL: off */
    char *google_client_secret; /* env GOOGLE_CLIENT_SECRET only */
    char *google_issuer;        /* auth.google_issuer */
    char *google_authorization_endpoint; /* auth.google_authorization_endpoint */
    char *google_token_endpoint;         /* auth.google_token_endpoint */
    char *google_jwks_uri;               /* auth.google_jwks_uri */
    char *seed_admin_email;              /* env SEED_ADMIN_EMAIL only */
    char *seed_admin_password;           /* env SEED_ADMIN_PASSWORD only */
    /* mail */
    char *smtp_url;        /* mail.smtp_url; env DA_SMTP_URL; NULL: no mail is sent */
    char *mail_from;       /* mail.from; env DA_MAIL_FROM */
    char *smtp_user;       /* env SMTP_USER only */
    char *smtp_password;   /* env SMTP_PASSWORD only */
    bool smtp_require_tls; /* mail.require_tls; env DA_SMTP_REQUIRE_TLS */
    /* data */
    int stale_after_hours; /* data.stale_after_hours; env DA_STALE_AFTER_HOURS */
    /* query */
    int query_timeout_s;      /* query.timeout_s; env DA_QUERY_TIMEOUT_S */
    int query_default_rows;   /* query.default_rows; env DA_QUERY_DEFAULT_ROWS */
    int query_max_rows;       /* query.max_rows; env DA_QUERY_MAX_ROWS */
    int query_max_bytes;      /* query.max_bytes; env DA_QUERY_MAX_BYTES */
    int query_max_concurrent; /* query.max_concurrent; env DA_QUERY_MAX_CONCURRENT */
    char *query_memory_limit; /* query.memory_limit; env DA_QUERY_MEMORY_LIMIT */
    int query_threads;        /* query.threads; env DA_QUERY_THREADS; 0: DuckDB's default */
    int query_workers;        /* query.workers; env DA_QUERY_WORKERS */
    /* metrics */
    int64_t upload_max_bytes;   /* uploads.max_bytes; env DA_UPLOAD_MAX_BYTES */
    bool metrics_require_admin; /* metrics.require_admin; env DA_METRICS_REQUIRE_ADMIN */
    /* jira */
    char *jira_base_url;       /* jira.base_url; env JIRA_BASE_URL; NULL: not configured */
    char *jira_email;          /* jira.email; env JIRA_EMAIL: the API user */
    char *jira_api_token;      /* env JIRA_API_TOKEN only */
    char *jira_webhook_secret; /* env JIRA_WEBHOOK_SECRET only; NULL: webhooks refused */
    /* keboola (the token is KEBOOLA_STORAGE_TOKEN, read by the connector's command only) */
    char *keboola_stack_url;        /* keboola.stack_url; env KEBOOLA_STACK_URL; NULL: unset */
    int keboola_parallel_downloads; /* keboola.parallel_downloads */
    int keboola_retries;            /* keboola.retries */
    int keboola_backoff_ms;         /* keboola.retry_backoff_ms */
    int keboola_job_timeout_s;      /* keboola.job_timeout_s */
    char *keboola_s3_endpoint;      /* keboola.s3_endpoint (tests only); NULL: AWS */
    /* scheduler */
    int sched_max_attempts;         /* scheduler.max_attempts: tries of a job before it fails */
    int sched_backoff_base_s;       /* scheduler.backoff_base_s: first retry delay (doubling) */
    int sched_job_timeout_s;        /* scheduler.job_timeout_s: a job is killed after this */
    int64_t sched_job_memory_limit; /* scheduler.job_memory_limit (bytes): a job is killed past */
    int sched_keep_jobs_days;       /* scheduler.keep_jobs_days: ended jobs kept this long */
    int sched_log_max_kib;          /* scheduler.log_max_kib: the end of a job's log kept */
    /* sync selection (core/sync_selection.h) */
    enum sync_default sync_default_enabled; /* sync.default_enabled; env DA_SYNC_DEFAULT_ENABLED */
    int64_t sync_large_table_bytes; /* sync.large_table_bytes; env DA_SYNC_LARGE_TABLE_BYTES */
    /* sources: (a list of mappings, not in the key table) */
    struct config_source *sources;
    size_t sources_len;
};

/* Fills c with the built-in defaults. Call it on a zeroed or cleaned-up struct only (it does
 * not free earlier values). Every string field is heap-owned by c afterwards. */
void config_defaults(struct config *c);

/* Reads a YAML file over c. Unknown keys, wrong types, out-of-range values, YAML aliases,
 * an empty file and an unset ${VAR} (without a ${VAR:-default}) are errors whose message
 * starts with "PATH:LINE: KEY:". RC_NOTFOUND when the file does not exist. On failure c may
 * be partly updated: callers stop (or config_cleanup) rather than use it. */
enum rc config_load_file(struct config *c, const char *path, struct err *err) WARN_UNUSED;

/* Applies the environment overrides of the table (DA_* and JWT_SECRET_KEY). A bad value is an
 * error naming the variable. */
enum rc config_apply_env(struct config *c, struct err *err) WARN_UNUSED;

/* The configuration every command of the server side reads: defaults, then the file at path
 * (a missing file is fine unless path_explicit: the user named it), then the environment.
 * Not validated: a command applies its own options first, then calls config_validate. */
enum rc config_load(struct config *c, const char *path, bool path_explicit,
                    struct err *err) WARN_UNUSED;

/* Checks the cross-field rules that single keys cannot (for example a JWT secret shorter than
 * 32 bytes). The message names the key or variable. */
enum rc config_validate(const struct config *c, struct err *err) WARN_UNUSED;

/* Writes one line per key (YAML key, environment variable, default, meaning) to f, for
 * `da serve --help`. */
void config_print_keys(FILE *f);

/* Frees everything c owns (wiping the secret first) and zeroes it. Accepts a zeroed struct. */
void config_cleanup(struct config *c);

#endif
