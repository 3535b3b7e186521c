/* data_state.c — profiles and the data's health as a principal may see them (see
 * data_state.h). */
#include "core/data_state.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/ident.h"
#include "base/mem.h"
#include "core/access.h"
#include "data/demo.h"

enum rc core_table_profile(struct core *core, const struct user *u, const char *id,
                           struct core_profile *out, struct err *err)
{
    *out = (struct core_profile){ 0 };
    if (!ident_is_table_id(id) || !core_can_read(core, u, id))
        return err_set(err, RC_NOTFOUND, "Table not found");
    enum rc rc =
        profiles_get(core->store, id, &out->json, out->extracted_at, out->profiled_at, err);
    if (rc == RC_NOTFOUND) {
        out->json = NULL;
        return RC_OK;
    }
    return rc;
}

enum rc core_data_health(struct core *core, struct core_data_health *out, struct err *err)
{
    size_t n = 0;
    *out = (struct core_data_health){ 0 };
    enum rc rc = store_ping(core->store, err);
    if (!rc)
        rc = sync_state_list(core->store, &out->rows, &n, err);
    if (rc)
        return rc;
    out->problems = xcalloc(n ? n : 1, sizeof(*out->problems));
    time_t now = time(NULL), at = 0;
    int64_t stale_s = (int64_t)core->cfg->stale_after_hours * 3600;
    for (size_t i = 0; i < n; i++) {
        const struct sync_state_row *r = &out->rows[i];
        bool ok = strcmp(r->status, "ok") == 0;
        /* remote tables are live, and the demo data is made once on purpose: for neither
         * does the extraction time say anything about freshness */
        bool stale = ok && strcmp(r->query_mode, "local") == 0 &&
                     strcmp(r->source, DEMO_SOURCE_NAME) != 0 &&
                     isotime_parse(r->extracted_at, &at) && now - at > stale_s;
        out->served += ok;
        out->not_served += !ok;
        out->stale += stale;
        if (!ok || stale)
            out->problems[out->n_problems++] = (struct core_table_problem){
                .id = r->table_id,
                .source = r->source,
                .status = stale ? "stale" : r->status,
                .reason = stale ? r->extracted_at : r->error,
            };
    }
    return RC_OK;
}

void core_data_health_cleanup(struct core_data_health *h)
{
    free(h->problems);
    free(h->rows);
    *h = (struct core_data_health){ 0 };
}

enum rc core_instance_counts(struct core *core, int *out_schema, int64_t *out_users,
                             int64_t *out_admins, struct err *err)
{
    *out_schema = store_schema_version(core->store);
    return users_count(core->store, out_users, out_admins, err);
}
