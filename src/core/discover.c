/* discover.c — the domain side of GET /api/admin/discover-tables (see discover.h). */
#include "core/discover.h"

#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "connectors/keboola.h"
#include "store/registry_repo.h"

enum rc core_discover_tables(struct core *core, const char *source, json_t **out, struct err *err)
{
    *out = NULL;
    if (!source || strcmp(source, KEBOOLA_SOURCE) != 0)
        return err_set(err, RC_NOTFOUND, "Discovery knows the source keboola only");
    const struct config *cfg = core->cfg;
    struct keboola_settings s = {
        .stack_url = cfg ? cfg->keboola_stack_url : NULL,
        .token = getenv("KEBOOLA_STORAGE_TOKEN"),
        .parallel = cfg ? cfg->keboola_parallel_downloads : 0,
        .retries = cfg ? cfg->keboola_retries : -1,
        .backoff_ms = cfg ? cfg->keboola_backoff_ms : 0,
        .job_timeout_s = cfg ? cfg->keboola_job_timeout_s : 0,
    };
    json_t *tables = NULL;
    enum rc rc = keboola_discover(&s, &tables, err);
    if (rc)
        return rc == RC_INVALID && (!s.stack_url || !s.token) ? RC_CONFLICT : RC_IO;
    struct registry_table *rows = NULL;
    size_t n = 0;
    rc = registry_list(core->store, &rows, &n, err);
    if (rc) {
        json_decref(tables);
        return rc;
    }
    size_t i;
    json_t *t;
    json_array_foreach(tables, i, t)
    {
        const char *id = json_string_value(json_object_get(t, "id"));
        json_t *registered = json_null();
        for (size_t k = 0; k < n && id; k++)
            if (strcmp(rows[k].source_type, KEBOOLA_SOURCE) == 0 &&
                strcmp(rows[k].source_table, id) == 0) {
                json_decref(registered);
                registered = json_string(rows[k].id);
                break;
            }
        json_object_set_new(t, "registered", registered);
    }
    free(rows);
    *out = tables;
    return RC_OK;
}
