/* seed.h — what `da serve` sets up at startup before it listens: the seeded admin
 * (SEED_ADMIN_EMAIL + SEED_ADMIN_PASSWORD), the demo's tables and users (--demo), and, while
 * no admin exists, a one-time bootstrap code printed in the log. */
#ifndef DA_CMD_SEED_H
#define DA_CMD_SEED_H

#include <stdbool.h>

#include "core/core.h"

enum rc seed_run(struct core *core, bool demo, struct err *err) WARN_UNUSED;

#endif
