/* keboola_int.h — the parts of the Keboola connector shared by its files (and the unit tests):
 * the parsed shapes of Keboola's answers (keboola_json.c, which treats every answer as hostile
 * input), the API calls (keboola_api.c), the slice downloads (keboola_fetch.c) and the load
 * into typed Parquet (keboola_load.c). keboola.h is the connector's public face. */
#ifndef DA_CONNECTORS_KEBOOLA_INT_H
#define DA_CONNECTORS_KEBOOLA_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/ident.h"
#include "base/rc.h"
#include "connectors/keboola.h"

struct extract_writer;

#define KBC_ID_MAX      256  /* bytes of a Keboola table or bucket id we accept */
#define KBC_COLUMNS_MAX 1000 /* columns of one table */
#define KBC_SLICES_MAX  10000
#define KBC_TEXT_MAX    512 /* a name, a date, a message kept from an answer */

/* ---- answers (keboola_json.c) ---- */

/* True when id is a Keboola table or bucket id we put in a URL: 1 to KBC_ID_MAX characters of
 * [A-Za-z0-9_.-], not starting with '.' or '-'. It is still escaped in the URL. */
bool kbc_id_valid(const char *id);

/* The safe identifier for a Keboola column name: kept when it is one; otherwise each character
 * other than [A-Za-z0-9_] becomes '_', a leading digit gets "c_", and the result is cut to
 * IDENT_MAX_LEN. false (out "") for an empty name or one that gives an empty identifier. */
bool kbc_column_ident(const char *name, char out[IDENT_MAX_LEN + 1]);

/* The da table id suggested for a Keboola table id: lower-cased, every character other than
 * [a-z0-9_] as '_' ("in.c-main.orders" -> "in_c_main_orders"), "t_" before a leading digit,
 * cut to IDENT_MAX_LEN. false when nothing is left. */
bool kbc_table_ident(const char *kbc_id, char out[IDENT_MAX_LEN + 1]);

/* The DuckDB type of a KBC.datatype.basetype, e.g. "INTEGER" -> "BIGINT"; NULL for STRING and
 * for anything unknown (the column stays VARCHAR). Static storage. */
const char *kbc_duck_type(const char *basetype);

struct kbc_column {
    char name[KBC_TEXT_MAX];       /* Keboola's name, as sent in columns[i] */
    char ident[IDENT_MAX_LEN + 1]; /* the column's name in da */
    char basetype[16];             /* STRING, INTEGER, ...; "STRING" when not given */
};

/* One table as discovery and the export see it. */
struct kbc_table {
    char id[KBC_ID_MAX + 1];
    char name[KBC_TEXT_MAX];
    char bucket[KBC_ID_MAX + 1];
    char da_id[IDENT_MAX_LEN + 1]; /* kbc_table_ident of id */
    char last_change[KBC_TEXT_MAX];
    int64_t rows;
    struct kbc_column *cols; /* owned */
    size_t n_cols;
    char **pk; /* Keboola column names of primaryKey; owned */
    size_t n_pk;
    char skip[KBC_TEXT_MAX]; /* "" when usable; else why the table cannot be loaded */
};

void kbc_table_cleanup(struct kbc_table *t);

/* Parses one table object (GET /v2/storage/tables/{id}, or an element of the list) into *out
 * (cleaned up by the caller, also on failure). A table whose id is not kbc_id_valid, or whose
 * columns map to one identifier twice, is not an error: out->skip says why. RC_INVALID for an
 * object without an id or with columns that are not strings. */
enum rc kbc_parse_table(const json_t *j, struct kbc_table *out, struct err *err) WARN_UNUSED;

/* Parses a JSON array of tables (GET /v2/storage/tables) into *out and *out_len (the caller
 * cleans up each and frees the array). */
enum rc kbc_parse_tables(const char *body, size_t len, struct kbc_table **out, size_t *out_len,
                         struct err *err) WARN_UNUSED;

enum kbc_job_state { KBC_JOB_WAITING, KBC_JOB_PROCESSING, KBC_JOB_SUCCESS, KBC_JOB_ERROR };

struct kbc_job {
    int64_t id;
    enum kbc_job_state state;
    int64_t file_id;            /* results.file.id of a successful export */
    char message[KBC_TEXT_MAX]; /* error.message of a failed job, cleaned */
};

/* Parses a job object (export-async's answer and GET /v2/storage/jobs/{id}). RC_INVALID for a
 * missing id, an unknown status or a success without a file id. */
enum rc kbc_parse_job(const char *body, size_t len, struct kbc_job *out,
                      struct err *err) WARN_UNUSED;

/* The temporary AWS credentials of a file on an AWS stack (GET .../files/{id}?federationToken=1
 * answers them with region). secret and token are never logged nor put in a message; they are
 * wiped by kbc_file_cleanup. */
struct kbc_s3 {
    bool ok;                    /* all of the below parsed and valid */
    char region[33];            /* s3_region_valid */
    char access_key[129];       /* [A-Z0-9], 16..128 */
    char *secret;               /* heap; printable ASCII, no space, 1..256 */
    char *token;                /* heap; [A-Za-z0-9+/=], 1..8192 */
    char problem[KBC_TEXT_MAX]; /* why not ok, when the answer had credentials (no values) */
};

struct kbc_file {
    int64_t id;
    char *url; /* heap */
    bool sliced;
    struct kbc_s3 s3;
};

/* Parses GET /v2/storage/files/{id}: url (http or https), isSliced, and region + credentials
 * into out->s3 (credentials of a wrong shape leave s3.ok false with s3.problem saying which
 * field, never its value: only s3:// slices need them). */
enum rc kbc_parse_file(const char *body, size_t len, struct kbc_file *out,
                       struct err *err) WARN_UNUSED;

/* Parses a slice manifest {"entries":[{"url": ...}, ...]} into a heap array of heap URLs
 * (the caller frees each and the array). Every URL must be http, https or s3://BUCKET/KEY
 * (kbc_s3_split accepts it); at most
 * KBC_SLICES_MAX. An empty list is valid (an empty table). */
enum rc kbc_parse_manifest(const char *body, size_t len, char ***out, size_t *out_len,
                           struct err *err) WARN_UNUSED;

/* The "error" text of a Keboola error answer (cleaned of control characters, cut), or "". */
void kbc_answer_message(const char *body, size_t len, char *out, size_t size);

/* ---- the API (keboola_api.c) ---- */

struct kbc_client;

/* A client of the stack at stack_url with token (both copied; the token is wiped on free). */
enum rc kbc_client_new(const char *stack_url, const char *token, struct kbc_client **out,
                       struct err *err) WARN_UNUSED;
void kbc_client_free(struct kbc_client **c);

/* Tuning for the tests and the server: retries of 5xx and timeouts, their first backoff, and
 * the longest wait for an export job. */
void kbc_client_set_limits(struct kbc_client *c, int retries, int backoff_ms, int job_timeout_s);

/* GET /v2/storage/buckets: the buckets as {id, name, stage} objects with text cleaned of
 * control characters (a JSON array; the caller decrefs it). Entries without a text id are
 * left out. */
enum rc kbc_list_buckets(struct kbc_client *c, json_t **out, struct err *err) WARN_UNUSED;

/* The bucket list's parsing, for tests: RC_INVALID when body is not a JSON array. */
enum rc kbc_parse_buckets(const char *body, size_t len, json_t **out, struct err *err) WARN_UNUSED;

enum rc kbc_list_tables(struct kbc_client *c, struct kbc_table **out, size_t *out_len,
                        struct err *err) WARN_UNUSED;
enum rc kbc_get_table(struct kbc_client *c, const char *id, struct kbc_table *out,
                      struct err *err) WARN_UNUSED;

/* Starts the export of t's columns (all of them, in order; changed_since NULL: every row),
 * waits for the job and reads its file. *out is cleaned with kbc_file_cleanup. */
enum rc kbc_export(struct kbc_client *c, const struct kbc_table *t, const char *changed_since,
                   struct kbc_file *out, struct err *err) WARN_UNUSED;
void kbc_file_cleanup(struct kbc_file *f);

/* The URLs of f's data: its slices from the manifest, or its one url. *out as for
 * kbc_parse_manifest. */
enum rc kbc_file_urls(struct kbc_client *c, const struct kbc_file *f, char ***out, size_t *out_len,
                      struct err *err) WARN_UNUSED;

/* ---- downloads (keboola_fetch.c) ---- */

#define KBC_S3_KEY_MAX 1024

/* Splits "s3://BUCKET/KEY" (BUCKET s3_bucket_valid, KEY 1..KBC_S3_KEY_MAX bytes with no control
 * character) into bucket and key. false for anything else. */
bool kbc_s3_split(const char *url, char bucket[64], char key[KBC_S3_KEY_MAX + 1]);

/* What s3:// slices are read with: the file's credentials and, in tests only, a fake S3's base
 * URL (path-style: ENDPOINT/BUCKET/KEY; NULL: https://BUCKET.s3.REGION.amazonaws.com/KEY). */
struct kbc_s3_access {
    const struct kbc_s3 *creds;
    const char *endpoint;
};

/* Downloads urls into folder dir (existing, empty) with up to parallel transfers at once, as
 * dir/slice-NNNNN.csv or .csv.gz (gzip told by its first bytes), each retried as the API calls
 * are. *out_paths (heap array of heap paths, in the order of urls) and *out_bytes. All or
 * nothing: the first failure stops the others and is the result. */
/* s3:// urls are signed with s3 (AWS SigV4); without usable credentials they fail. */
enum rc kbc_fetch(const char *const *urls, size_t n, const char *dir,
                  const struct kbc_s3_access *s3, int parallel, int retries, int backoff_ms,
                  char ***out_paths, int64_t *out_bytes, struct err *err) WARN_UNUSED;

void kbc_strings_free(char **v, size_t n);

/* ---- the load (keboola_load.c) ---- */

enum kbc_strategy { KBC_FULL_REFRESH, KBC_INCREMENTAL, KBC_APPEND };

struct kbc_load {
    const char *da_id;         /* the table's name in the extract */
    const struct kbc_table *t; /* its columns and types */
    char *const *paths;        /* the downloaded CSV files */
    size_t n_paths;
    bool header; /* the files start with a header line (an unsliced export) */
    enum kbc_strategy strategy;
    char *const *old_files; /* Parquet files of the table in the live extract, or NULL */
    size_t n_old;
    char *const *pk; /* incremental: the key's da column names */
    size_t n_pk;
};

/* Reads the CSV files with the columns of l->t as text, casts each to its type and adds the
 * table to the writer: replaced, appended to the old rows, or upserted into them by the key.
 * A value that does not cast fails with "table T, column C, row N: 'v' is not a TYPE".
 * *out_rows gets the rows read from the export, or -1 when they went straight into the
 * table's file (a full refresh, or no old rows): the extract's _meta has them. */
enum rc kbc_load_table(struct extract_writer *w, const struct kbc_load *l, int64_t *out_rows,
                       struct err *err) WARN_UNUSED;

#endif
