/* version.h — the version of da, reported by `da --version` and GET /api/health. */
#ifndef DA_BASE_VERSION_H
#define DA_BASE_VERSION_H

#define DA_VERSION "0.1.0"

#endif
