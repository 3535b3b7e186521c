/* data_state.h — what a principal may see of the data's state: a table's profile (to a
 * reader who may read the table; to anyone else it does not exist) and the health of the data
 * as the last catalog rebuild recorded it (which tables are served, not served or stale). How
 * much of the health a caller may see (counts and problems are for admins) is the surface's
 * business. */
#ifndef DA_CORE_DATA_STATE_H
#define DA_CORE_DATA_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/isotime.h"
#include "base/rc.h"
#include "core/core.h"
#include "core/principal.h"
#include "store/datastate_repo.h"

/* A table's profile as the profiler stored it. */
struct core_profile {
    char *json; /* the profile, a JSON object as text; owned (free()); NULL: not profiled yet */
    char extracted_at[ISOTIME_SIZE]; /* of the data profiled; "" when unknown */
    char profiled_at[ISOTIME_SIZE];
};

/* The profile of table id, if u may read it: RC_NOTFOUND "Table not found" when u may not
 * (or id is not a table id), exactly as for a missing table; RC_OK with out->json NULL when
 * the table has no profile yet. The caller frees out->json. */
enum rc core_table_profile(struct core *core, const struct user *u, const char *id,
                           struct core_profile *out, struct err *err) WARN_UNUSED;

/* A table the last rebuild did not serve, or serves stale data of. Strings point into the
 * health's rows. */
struct core_table_problem {
    const char *id;
    const char *source;
    const char *status; /* "stale", or sync_state's status (unavailable | error) */
    const char *reason; /* the extraction time when stale, else the error */
};

/* The data's health. Owned; core_data_health_cleanup frees. */
struct core_data_health {
    int served;
    int not_served;
    int stale;                           /* served, local, not the demo data, extracted longer than
                                          * data.stale_after_hours ago */
    struct core_table_problem *problems; /* tables not served or stale, by table id */
    size_t n_problems;
    struct sync_state_row *rows; /* what the problems point into */
};

/* Whether the state store answers, and the health of the data as sync_state records it. An
 * error means the store does not answer (the instance is unhealthy). */
enum rc core_data_health(struct core *core, struct core_data_health *out,
                         struct err *err) WARN_UNUSED;

/* Frees what core_data_health filled; safe on a zeroed struct. */
void core_data_health_cleanup(struct core_data_health *h);

/* The counts an admin's health view adds: the store's schema version, users and admins. */
enum rc core_instance_counts(struct core *core, int *out_schema, int64_t *out_users,
                             int64_t *out_admins, struct err *err) WARN_UNUSED;

#endif
