/* jobs_repo.h — connector runs in the state store (table jobs, migration 6): one row per job,
 * from queued to succeeded, failed or cancelled. A failed attempt that will be retried goes
 * back to queued with attempt + 1 and a next_attempt_at, so one row tells the whole story of
 * one request. The scheduler (src/sched) is the only writer besides cancellation. */
#ifndef DA_STORE_JOBS_REPO_H
#define DA_STORE_JOBS_REPO_H

#include <stddef.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/ident.h"
#include "base/isotime.h"
#include "base/rc.h"

struct store;

#define JOB_TABLES_MAX 2048 /* bytes of the JSON array of table ids */
#define JOB_ERROR_MAX  512
#define JOB_PATH_MAX   512

struct job {
    int64_t id;
    char source[IDENT_MAX_LEN + 1];
    char type[IDENT_MAX_LEN + 1];    /* the connector: files, keboola, jira */
    char tables[JOB_TABLES_MAX + 1]; /* JSON array of registry ids; "" = every table */
    char trigger[12];                /* schedule | manual | webhook | startup */
    char state[12];                  /* queued | running | succeeded | failed | cancelled */
    int attempt;                     /* 1 for the first try */
    int64_t next_attempt_at;         /* epoch seconds: a queued job does not start before */
    char created_at[ISOTIME_SIZE];
    char started_at[ISOTIME_SIZE];  /* "" until it runs */
    char finished_at[ISOTIME_SIZE]; /* "" until it ends */
    int64_t rows;                   /* -1 when unknown */
    int64_t bytes;                  /* -1 when unknown */
    char error[JOB_ERROR_MAX + 1];  /* "" unless failed (or queued for a retry: the last error) */
    char log_path[JOB_PATH_MAX + 1];
    char requested_by[256]; /* who asked (an email), "" for the scheduler */
};

/* Inserts j as a queued job (source, type, tables, trigger, attempt, next_attempt_at,
 * requested_by are read; created_at becomes now) and sets *out_id. */
enum rc jobs_create(struct store *s, const struct job *j, int64_t *out_id,
                    struct err *err) WARN_UNUSED;

/* RC_NOTFOUND "Job not found". */
enum rc jobs_get(struct store *s, int64_t id, struct job *out, struct err *err) WARN_UNUSED;

/* The newest jobs first, at most limit, filtered by source and state when not NULL. The caller
 * frees *out. */
enum rc jobs_list(struct store *s, const char *source, const char *state, int limit,
                  struct job **out, size_t *out_len, struct err *err) WARN_UNUSED;

/* The queued or running job of source (the oldest); RC_NOTFOUND when it has none. */
enum rc jobs_active(struct store *s, const char *source, struct job *out,
                    struct err *err) WARN_UNUSED;

/* queued -> running, with the start time and log path. RC_CONFLICT when it is not queued
 * (cancelled meanwhile). */
enum rc jobs_mark_running(struct store *s, int64_t id, const char *log_path,
                          struct err *err) WARN_UNUSED;

/* running or queued -> state (succeeded, failed, cancelled), with the finish time, the counts
 * (-1: unknown, stored as NULL) and the error ("" or NULL: none). A job already cancelled stays
 * cancelled: RC_CONFLICT. */
enum rc jobs_finish(struct store *s, int64_t id, const char *state, int64_t rows, int64_t bytes,
                    const char *error, struct err *err) WARN_UNUSED;

/* running -> queued for another attempt at next_attempt_at, keeping error as the last one. */
enum rc jobs_requeue(struct store *s, int64_t id, int attempt, int64_t next_attempt_at,
                     const char *error, struct err *err) WARN_UNUSED;

/* The newest job that succeeded for source: its finish time (epoch seconds) in *out_t.
 * RC_NOTFOUND when none did. */
enum rc jobs_last_success(struct store *s, const char *source, int64_t *out_t,
                          struct err *err) WARN_UNUSED;

/* Deletes the jobs that ended before `before` (an ISO time), keeping each source's newest job
 * and newest success, and returns the deleted ids (for their logs) in a new array the caller
 * frees. */
enum rc jobs_prune(struct store *s, const char *before, int64_t **out_ids, size_t *out_len,
                   struct err *err) WARN_UNUSED;

/* When the newest job of source was created (epoch seconds). RC_NOTFOUND when it has none. */
enum rc jobs_last_created(struct store *s, const char *source, int64_t *out_t,
                          struct err *err) WARN_UNUSED;

#endif
