/* principal.h — who a call is made as: a user as the state store has it now, and how they
 * proved it. Every rule of the domain layer takes one. */
#ifndef DA_CORE_PRINCIPAL_H
#define DA_CORE_PRINCIPAL_H

#include <stdbool.h>

#include "store/identity_repo.h"

struct principal {
    struct user user;
    bool via_cookie; /* a browser session: writes need a same-origin check */
    bool via_pat;    /* a personal access token */
    char jti[65];    /* the session behind a JWT; "" for a token */
};

#endif
