/* pages.h — the few HTML pages the sign-in links open (password setup, magic link) and their
 * script. The secret arrives in the URL fragment, which browsers never send to a server, and
 * the script posts it; the Content-Security-Policy forbids inline script, hence the file. */
#ifndef DA_API_PAGES_H
#define DA_API_PAGES_H

#include "http/http.h"

void api_page_password_setup(struct http_req *req, void *app);
void api_page_email_verify(struct http_req *req, void *app);
void api_asset_auth_js(struct http_req *req, void *app);

#endif
