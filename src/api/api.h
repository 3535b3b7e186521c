/* api.h — the HTTP API of da: the application state every handler shares and the one route
 * table. One file per resource (health.c, ...) holds its handlers. */
#ifndef DA_API_API_H
#define DA_API_API_H

#include <stddef.h>

#include "auth/server_key.h"
#include "config/config.h"
#include "http/http.h"
#include "store/store.h"

/* What handlers share. Built by `da serve` before the server starts and read-only while it
 * runs (the parts that change, like the store, guard themselves). */
struct app {
    const struct config *cfg;
    struct store *store;
    const char *data_dir;
    char *extracts_dir; /* <data_dir>/extracts; owned */
    struct server_key key;
};

/* The route table (static storage) and its length. */
const struct http_route *api_routes(size_t *out_len);

/* Handlers, one group per resource file. */
void api_health(struct http_req *req, void *app);

#endif
