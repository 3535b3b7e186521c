/* migrations.c — the schema of the state store as an append-only list of steps. store_open
 * applies the missing ones in one transaction. Never edit a released step; add a new one. */
#include "store/store_int.h"

#include "base/compat.h"

static const struct store_migration steps[] = {
    { 1, "server metadata",
      "CREATE TABLE server_meta ("
      "  key TEXT PRIMARY KEY,"
      "  value TEXT NOT NULL,"
      "  updated_at TEXT NOT NULL"
      ") STRICT;" },
};

const struct store_migration *store_migrations(int *out_count)
{
    *out_count = (int)ARRAY_LEN(steps);
    return steps;
}
