/* test_http.c — unit tests of the router (src/http/router.c): literal and parameter
 * segments, 404 versus 405 with the Allow list, HEAD on GET routes, bad patterns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "http/router.h"

static void h_a(struct http_req *req, void *app)
{
    (void)req;
    (void)app;
}

static void h_b(struct http_req *req, void *app)
{
    (void)req;
    (void)app;
}

static const struct http_route routes[] = {
    { "GET", "/api/health", h_a },
    { "GET", "/api/users", h_a },
    { "POST", "/api/users", h_b },
    { "DELETE", "/api/users/{id}", h_b },
    { "PATCH", "/api/users/{id}", h_a },
    { "GET", "/api/data/{table}/download", h_a },
    { "GET", "/", h_b },
};

static struct router *make_router(void)
{
    struct router *r = NULL;
    struct err err;
    assert_int_equal(router_new(routes, sizeof(routes) / sizeof(routes[0]), &r, &err), RC_OK);
    return r;
}

static void test_literal_and_params(void **state)
{
    (void)state;
    struct router *r = make_router();
    struct route_match m;
    assert_int_equal(router_match(r, "GET", "/api/health", &m), ROUTER_FOUND);
    assert_ptr_equal(m.route, &routes[0]);
    assert_int_equal(router_match(r, "DELETE", "/api/users/u-42", &m), ROUTER_FOUND);
    assert_ptr_equal(m.route, &routes[3]);
    assert_int_equal(m.params_len, 1);
    assert_int_equal(m.params[0].value.len, 4);
    assert_memory_equal(m.params[0].value.ptr, "u-42", 4);
    assert_int_equal(router_match(r, "GET", "/api/data/orders/download", &m), ROUTER_FOUND);
    assert_memory_equal(m.params[0].value.ptr, "orders", 6);
    assert_int_equal(router_match(r, "GET", "/", &m), ROUTER_FOUND);
    assert_ptr_equal(m.route, &routes[6]);
    router_free(&r);
    assert_null(r);
}

static void test_not_found_shapes(void **state)
{
    (void)state;
    struct router *r = make_router();
    struct route_match m;
    const char *paths[] = { "/api/healthz",
                            "/api/health/",
                            "/api//health",
                            "api/health",
                            "/api/users/1/2",
                            "/api/data/orders",
                            "" };
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        assert_int_equal(router_match(r, "GET", paths[i], &m), ROUTER_NOT_FOUND);
    router_free(&r);
}

static void test_method_not_allowed_lists_methods(void **state)
{
    (void)state;
    struct router *r = make_router();
    struct route_match m;
    assert_int_equal(router_match(r, "PUT", "/api/users", &m), ROUTER_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "GET, HEAD, POST");
    assert_int_equal(router_match(r, "GET", "/api/users/7", &m), ROUTER_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "DELETE, PATCH");
    assert_int_equal(router_match(r, "POST", "/api/health", &m), ROUTER_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "GET, HEAD");
    router_free(&r);
}

static void test_head_matches_get(void **state)
{
    (void)state;
    struct router *r = make_router();
    struct route_match m;
    assert_int_equal(router_match(r, "HEAD", "/api/health", &m), ROUTER_FOUND);
    assert_ptr_equal(m.route, &routes[0]);
    router_free(&r);
}

static void test_bad_tables_are_refused(void **state)
{
    (void)state;
    struct router *r = NULL;
    struct err err;
    const struct http_route relative[] = { { "GET", "api", h_a } };
    assert_int_equal(router_new(relative, 1, &r, &err), RC_INVALID);
    assert_null(r);
    const struct http_route twice[] = { { "GET", "/x", h_a }, { "GET", "/x", h_b } };
    assert_int_equal(router_new(twice, 2, &r, &err), RC_INVALID);
    assert_non_null(strstr(err.msg, "duplicate"));
    const struct http_route many[] = { { "GET", "/{a}/{b}/{c}/{d}/{e}", h_a } };
    assert_int_equal(router_new(many, 1, &r, &err), RC_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal_and_params),
        cmocka_unit_test(test_not_found_shapes),
        cmocka_unit_test(test_method_not_allowed_lists_methods),
        cmocka_unit_test(test_head_matches_get),
        cmocka_unit_test(test_bad_tables_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
