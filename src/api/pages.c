/* pages.c — static sign-in pages and their script, served from memory. */
#include "api/pages.h"

#include <string.h>

static const char setup_page[] =
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width\"><title>Set your password</title>"
    "</head><body><main id=\"setup\"><h1>Set your password</h1>"
    "<form><label>New password (at least 12 characters)<br>"
    "<input type=\"password\" name=\"password\" minlength=\"12\" autocomplete=\"new-password\" "
    "required></label><br><button type=\"submit\">Set password</button></form>"
    "<p id=\"status\" role=\"status\"></p></main>"
    "<script src=\"/auth/assets/auth.js\"></script></body></html>\n";

static const char verify_page[] =
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width\"><title>Signing in</title>"
    "</head><body><main id=\"verify\"><h1>Signing you in&hellip;</h1>"
    "<p id=\"status\" role=\"status\"></p></main>"
    "<script src=\"/auth/assets/auth.js\"></script></body></html>\n";

/* Reads the token from the fragment, removes it from the address bar and history, and posts
 * it. Link scanners that fetch the page without running script spend nothing. */
static const char auth_js[] =
    "'use strict';\n"
    "(function () {\n"
    "  var token = new URLSearchParams(location.hash.slice(1)).get('token') || '';\n"
    "  history.replaceState(null, '', location.pathname);\n"
    "  var status = document.getElementById('status');\n"
    "  function post(url, body) {\n"
    "    return fetch(url, { method: 'POST', credentials: 'same-origin',\n"
    "      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })\n"
    "      .then(function (r) { return r.json().then(function (j) {\n"
    "        if (!r.ok) throw new Error(j.detail || r.statusText); return j; }); });\n"
    "  }\n"
    "  function done() { status.textContent = 'Signed in.'; location.replace('/'); }\n"
    "  function fail(e) { status.textContent = e.message; }\n"
    "  if (document.getElementById('verify')) {\n"
    "    post('/auth/email/verify', { token: token }).then(done, fail);\n"
    "  } else {\n"
    "    document.querySelector('form').addEventListener('submit', function (ev) {\n"
    "      ev.preventDefault();\n"
    "      post('/auth/password/setup', { token: token,\n"
    "        password: ev.target.password.value }).then(done, fail);\n"
    "    });\n"
    "  }\n"
    "})();\n";

static void send_static(struct http_req *req, const char *type, const char *body, size_t len)
{
    http_set_header(req, "Cache-Control", "no-store");
    http_respond_bytes(req, 200, type, body, len);
}

void api_page_password_setup(struct http_req *req, void *app)
{
    (void)app;
    send_static(req, "text/html; charset=utf-8", setup_page, sizeof(setup_page) - 1);
}

void api_page_email_verify(struct http_req *req, void *app)
{
    (void)app;
    send_static(req, "text/html; charset=utf-8", verify_page, sizeof(verify_page) - 1);
}

void api_asset_auth_js(struct http_req *req, void *app)
{
    (void)app;
    send_static(req, "text/javascript; charset=utf-8", auth_js, sizeof(auth_js) - 1);
}
