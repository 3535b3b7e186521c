/* limits.h — every named input limit of da in one place. docs/API.md lists them. */
#ifndef DA_BASE_LIMITS_H
#define DA_BASE_LIMITS_H

#define DA_CONFIG_FILE_MAX (1024 * 1024) /* instance.yaml */
#define DA_HTTP_BODY_MAX   (1024 * 1024) /* default JSON request body cap */
#define DA_HTTP_DRAIN_MAX                                                                          \
    (8 * 1024 * 1024)                         /* a refused body up to this is read and dropped     \
                                                 before the answer, so the client sees it */
#define DA_HTTP_CONN_MEMORY      (128 * 1024) /* MHD per-connection memory: headers */
#define DA_HTTP_CONNS_PER_THREAD 32           /* connections at once per server.threads */
#define DA_HTTP_RESPONSE_MAX     (64 * 1024 * 1024) /* a JSON response built in memory */
#define DA_HTTP_PATH_SEGMENTS    16 /* a route or path has at most this many parts */
#define DA_HTTP_PARAMS_MAX       4  /* path parameters per route */
#define DA_REQUEST_ID_MAX        64 /* X-Request-Id accepted from a client */
#define DA_JWT_SECRET_MIN        32 /* bytes */
#define GUARD_SQL_MAX                                                                              \
    (64 * 1024) /* SQL text the guard parses, the server and `da query`                            \
                   accept, in bytes */

#endif
