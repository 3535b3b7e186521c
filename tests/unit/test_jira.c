/* test_jira.c — unit tests of the Jira connector's pure parts and its queue: ADF to plain text
 * (paragraphs, nested lists, mentions, code blocks, unknown node types, hostile depth), issue
 * keys, the webhook signature, Jira's times, the issue → rows mapping under wrong field types,
 * and the webhook intake into the durable queue. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "auth/crypto.h"
#include "base/hex.h"
#include "base/mem.h"
#include "connectors/jira.h"
#include "connectors/jira_adf.h"
#include "connectors/jira_rows.h"
#include "core/jira_intake.h"
#include "helpers.h"
#include "store/jira_repo.h"
#include "store/store.h"

/* The text of the ADF document given as JSON text. */
static char *adf(const char *json)
{
    json_error_t jerr;
    json_t *doc = json_loads(json, 0, &jerr);
    assert_non_null(doc);
    char *text = jira_adf_text(doc);
    json_decref(doc);
    return text;
}

static void assert_adf(const char *json, const char *want)
{
    char *got = adf(json);
    assert_string_equal(got, want);
    free(got);
}

#define P(t)    "{\"type\":\"paragraph\",\"content\":[{\"type\":\"text\",\"text\":\"" t "\"}]}"
#define DOC(c)  "{\"type\":\"doc\",\"version\":1,\"content\":[" c "]}"
#define ITEM(c) "{\"type\":\"listItem\",\"content\":[" c "]}"

static void test_adf_paragraphs(void **state)
{
    (void)state;
    assert_adf(DOC(P("one") "," P("two")), "one\ntwo");
    assert_adf(DOC("{\"type\":\"paragraph\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},"
                   "{\"type\":\"hardBreak\"},{\"type\":\"text\",\"text\":\"b\","
                   "\"marks\":[{\"type\":\"strong\"}]}]},"
                   "{\"type\":\"heading\",\"attrs\":{\"level\":2},\"content\":[{\"type\":\"text\","
                   "\"text\":\"Title\"}]},"
                   "{\"type\":\"rule\"}," P("end")),
               "a\nb\nTitle\n---\nend");
    assert_adf(DOC(""), "");
}

static void test_adf_nested_lists(void **state)
{
    (void)state;
    assert_adf(DOC("{\"type\":\"bulletList\",\"content\":[" ITEM(
                   P("a") ",{\"type\":\"orderedList\",\"attrs\":{\"order\":3},\"content\":[" ITEM(
                       P("b")) "," ITEM(P("c")) "]}") "," ITEM(P("d")) "]}," P("after")),
               "- a\n  3. b\n  4. c\n- d\nafter");
    /* a list with a hostile start number keeps 1 */
    assert_adf(DOC("{\"type\":\"orderedList\",\"attrs\":{\"order\":\"x\"},\"content\":[" ITEM(
                   P("x")) "]}"),
               "1. x");
}

static void test_adf_inline_nodes(void **state)
{
    (void)state;
    assert_adf(DOC("{\"type\":\"paragraph\",\"content\":["
                   "{\"type\":\"mention\",\"attrs\":{\"id\":\"1\",\"text\":\"@Ann\"}},"
                   "{\"type\":\"text\",\"text\":\" and \"},"
                   "{\"type\":\"mention\",\"attrs\":{\"id\":\"2\",\"text\":\"Bob\"}},"
                   "{\"type\":\"text\",\"text\":\" \"},"
                   "{\"type\":\"mention\",\"attrs\":{\"id\":\"3\"}},"
                   "{\"type\":\"emoji\",\"attrs\":{\"shortName\":\":smile:\"}},"
                   "{\"type\":\"inlineCard\",\"attrs\":{\"url\":\"https://x.example/1\"}},"
                   "{\"type\":\"status\",\"attrs\":{\"text\":\"DONE\"}},"
                   "{\"type\":\"date\",\"attrs\":{\"timestamp\":\"1700000000000\"}}]}"),
               "@Ann and @Bob @unknown:smile:https://x.example/1DONE1700000000000");
}

static void test_adf_code_block(void **state)
{
    (void)state;
    assert_adf(DOC(P("before") ",{\"type\":\"codeBlock\",\"attrs\":{\"language\":\"sql\"},"
                               "\"content\":[{\"type\":\"text\",\"text\":\"SELECT 1;\\nSELECT "
                               "2;\"}]}," P("after")),
               "before\nSELECT 1;\nSELECT 2;\nafter");
}

static void test_adf_unknown_nodes(void **state)
{
    (void)state;
    /* an unknown node keeps its children's words; a bare text field is kept too */
    assert_adf(DOC("{\"type\":\"futureThing\",\"content\":[" P(
                   "kept") "]},"
                           "{\"type\":\"mystery\",\"text\":\"also kept\"}"),
               "kept\nalso kept");
    /* wrong types are skipped, never crash */
    assert_adf("{\"type\":\"doc\",\"content\":[1, null, \"s\", [], {\"type\":5,\"content\":"
               "{\"x\":1}}, {\"type\":\"text\",\"text\":7}]}",
               "");
    char *t = jira_adf_text(NULL);
    assert_string_equal(t, "");
    free(t);
    json_t *s = json_string("plain text body");
    t = jira_adf_text(s);
    assert_string_equal(t, "plain text body");
    free(t);
    json_decref(s);
    json_t *n = json_integer(5);
    t = jira_adf_text(n);
    assert_string_equal(t, "");
    free(t);
    json_decref(n);
}

/* A document nested far deeper than any real one: read to the depth limit, no deeper. */
static void test_adf_hostile_depth(void **state)
{
    (void)state;
    json_t *leaf = json_pack("{s:s, s:s}", "type", "text", "text", "deep");
    json_t *node = leaf;
    for (int i = 0; i < 5000; i++)
        node = json_pack("{s:s, s:[o]}", "type", "blockquote", "content", node);
    char *t = jira_adf_text(node);
    assert_string_equal(t, "");
    free(t);
    json_decref(node);
    node = json_pack("{s:s, s:s}", "type", "text", "text", "near");
    for (int i = 0; i < JIRA_ADF_MAX_DEPTH - 1; i++)
        node = json_pack("{s:s, s:[o]}", "type", "blockquote", "content", node);
    t = jira_adf_text(node);
    assert_string_equal(t, "near");
    free(t);
    json_decref(node);
}

/* A document with more text than the cap: cut at the cap, on a character boundary. */
static void test_adf_text_cap(void **state)
{
    (void)state;
    size_t n = JIRA_ADF_MAX_TEXT / 2 + 1; /* two-byte characters: one straddles the cap */
    char *big = xmalloc(2 * n + 2);
    for (size_t i = 0; i < n; i++)
        memcpy(big + 2 * i, "\xc3\xa9", 2); /* é */
    big[2 * n] = 'x';
    big[2 * n + 1] = '\0';
    json_t *doc =
        json_pack("{s:s, s:[{s:s, s:[{s:s, s:s}]}, {s:s, s:[{s:s, s:s}]}]}", "type", "doc",
                  "content", "type", "paragraph", "content", "type", "text", "text", big, "type",
                  "paragraph", "content", "type", "text", "text", "after");
    free(big);
    assert_non_null(doc);
    char *t = jira_adf_text(doc);
    size_t len = strlen(t);
    assert_true(len <= JIRA_ADF_MAX_TEXT && len >= JIRA_ADF_MAX_TEXT - 1);
    assert_int_equal(len % 2, 0); /* whole characters only */
    assert_null(strstr(t, "after"));
    free(t);
    json_decref(doc);
}

static void test_key_valid(void **state)
{
    (void)state;
    const char *good[] = { "PROJ-1", "AB-0", "A1-99", "AB_C-123", "ZZ-123456789012345678" };
    const char *bad[] = { "P-1",
                          "proj-1",
                          "PROJ-",
                          "PROJ-01",
                          "-1",
                          "PROJ1",
                          "PROJ-1 ",
                          " PROJ-1",
                          "PROJ-1/..",
                          "../PROJ-1",
                          "PROJ--1",
                          "PROJ-1-2",
                          "PROJ-1\n",
                          "",
                          "PRÖJ-1",
                          "PROJ-1%2F",
                          "AB-1234567890123456789",
                          "PROJ-1?x" };
    for (size_t i = 0; i < ARRAY_LEN(good); i++)
        assert_true(jira_key_valid(good[i]));
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        if (jira_key_valid(bad[i]))
            fail_msg("accepted '%s'", bad[i]);
    }
    assert_false(jira_key_valid(NULL));
    char longkey[100];
    memset(longkey, 'A', sizeof(longkey));
    memcpy(longkey + 90, "-1", 3);
    assert_false(jira_key_valid(longkey));
}

static void signature_of(const char *secret, const char *body, char out[80], bool upper)
{
    unsigned char mac[SHA256_LEN];
    char hex[2 * SHA256_LEN + 1];
    crypto_hmac_sha256(secret, strlen(secret), body, strlen(body), mac);
    hex_encode(mac, SHA256_LEN, hex);
    for (char *p = hex; upper && *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    snprintf(out, 80, "sha256=%s", hex);
}

static void test_signature(void **state)
{
    (void)state;
    const char *body = "{\"webhookEvent\":\"jira:issue_updated\"}";
    char sig[80];
    signature_of("s3cret", body, sig, false);
    assert_true(jira_signature_valid("s3cret", sig, body, strlen(body)));
    assert_false(jira_signature_valid("other", sig, body, strlen(body)));
    assert_false(jira_signature_valid("s3cret", sig, body, strlen(body) - 1));
    assert_false(jira_signature_valid("", sig, body, strlen(body)));
    assert_false(jira_signature_valid(NULL, sig, body, strlen(body)));
    assert_false(jira_signature_valid("s3cret", NULL, body, strlen(body)));
    assert_false(jira_signature_valid("s3cret", sig + 7, body, strlen(body))); /* no prefix */
    char cut[80];
    snprintf(cut, sizeof(cut), "%.*s", (int)strlen(sig) - 2, sig);
    assert_false(jira_signature_valid("s3cret", cut, body, strlen(body)));
    char longer[90];
    snprintf(longer, sizeof(longer), "%s00", sig);
    assert_false(jira_signature_valid("s3cret", longer, body, strlen(body)));
    signature_of("s3cret", body, sig, true);
    assert_true(jira_signature_valid("s3cret", sig, body, strlen(body)));
    sig[10] = 'g';
    assert_false(jira_signature_valid("s3cret", sig, body, strlen(body)));
}

static void test_time_utc(void **state)
{
    (void)state;
    char out[32];
    assert_true(jira_time_utc("2024-01-15T10:30:00.000+0100", out));
    assert_string_equal(out, "2024-01-15 09:30:00.000");
    assert_true(jira_time_utc("2024-02-29T23:30:05.5-0200", out));
    assert_string_equal(out, "2024-03-01 01:30:05.500");
    assert_true(jira_time_utc("2024-01-01T00:00:00Z", out));
    assert_string_equal(out, "2024-01-01 00:00:00.000");
    assert_true(jira_time_utc("2024-01-01T05:30:00.123456+05:30", out));
    assert_string_equal(out, "2024-01-01 00:00:00.123");
    const char *bad[] = { "",
                          "2024-01-15",
                          "2024-13-01T00:00:00Z",
                          "2024-01-15T25:00:00Z",
                          "2024-01-15T10:30:00.+0100",
                          "2024-01-15T10:30:00+01",
                          "yesterday",
                          "2024-01-15T10:30:00.000+0100x" };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        assert_false(jira_time_utc(bad[i], out));
        assert_string_equal(out, "");
    }
    assert_false(jira_time_utc(NULL, out));
}

static json_t *load(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (!j)
        fail_msg("bad test JSON: %s", jerr.text);
    return j;
}

static void test_rows_types_checked(void **state)
{
    (void)state;
    struct jira_rows r;
    struct err err;
    jira_rows_init(&r);
    /* every field of the wrong type: one issue row, no child rows, no crash */
    json_t *issue =
        load("{\"key\":\"PROJ-7\",\"id\":7,\"fields\":{\"summary\":5,\"created\":[],\"updated\":7,"
             "\"status\":\"Done\",\"project\":{\"key\":1},\"reporter\":\"ann\",\"labels\":{},"
             "\"comment\":\"none\",\"worklog\":{\"worklogs\":{}},\"attachment\":{},"
             "\"issuelinks\":[1,null,{\"type\":5}],\"customfield_1\":{\"type\":\"doc\","
             "\"content\":\"x\"},\"timespent\":\"1h\"},\"changelog\":{\"histories\":\"no\"}}");
    assert_int_equal(jira_rows_add_issue(&r, issue, "https://x.example", &err), RC_OK);
    json_decref(issue);
    assert_int_equal(r.issues, 1);
    assert_int_equal(r.n[JIRA_ISSUES], 1);
    for (int t = JIRA_COMMENTS; t < JIRA_N_TABLES; t++)
        assert_int_equal(r.n[t], 0);
    json_t *row = load(buf_cstr(&r.lines[JIRA_ISSUES]));
    assert_string_equal(json_string_value(json_object_get(row, "issue_id")), "7");
    assert_true(json_is_null(json_object_get(row, "summary")));
    assert_true(json_is_null(json_object_get(row, "created_at")));
    assert_true(json_is_null(json_object_get(row, "reporter_email")));
    assert_true(json_is_null(json_object_get(row, "time_spent_seconds")));
    assert_string_equal(json_string_value(json_object_get(row, "labels")), "[]");
    assert_string_equal(json_string_value(json_object_get(row, "issue_url")),
                        "https://x.example/browse/PROJ-7");
    assert_int_equal(json_string_length(json_object_get(row, "_month")), 7);
    json_decref(row);

    /* no valid key: nothing is added */
    const char *no_key[] = { "{\"key\":\"../../x\"}", "{\"key\":5}", "{}", "[]" };
    for (size_t i = 0; i < ARRAY_LEN(no_key); i++) {
        issue = load(no_key[i]);
        assert_int_equal(jira_rows_add_issue(&r, issue, "https://x.example", &err), RC_BADVALUE);
        json_decref(issue);
    }
    assert_int_equal(r.issues, 1);
    jira_rows_cleanup(&r);
}

static void test_rows_children(void **state)
{
    (void)state;
    struct jira_rows r;
    struct err err;
    jira_rows_init(&r);
    json_t *issue = load(
        "{\"key\":\"PROJ-8\",\"id\":\"10008\",\"fields\":{\"created\":"
        "\"2024-03-31T23:30:00.000-0100\",\"comment\":{\"total\":1,\"comments\":[{\"id\":\"1\","
        "\"author\":{\"emailAddress\":\"a@x\",\"displayName\":\"A\"},\"body\":" DOC(
            P("hi")) "}]},"
                     "\"issuelinks\":[{\"id\":\"9\",\"type\":{\"name\":\"Blocks\"},\"inwardIssue\":"
                     "{\"key\":"
                     "\"OTHER-1\",\"fields\":{\"summary\":\"o\"}}}],\"worklog\":{\"worklogs\":[{"
                     "\"id\":\"3\","
                     "\"timeSpentSeconds\":60}]},\"attachment\":[{\"id\":\"4\",\"filename\":\"a."
                     "txt\","
                     "\"size\":10}]},\"changelog\":{\"histories\":[{\"id\":\"5\",\"created\":"
                     "\"2024-04-01T00:00:00.000+0000\",\"items\":[{\"field\":\"status\","
                     "\"fromString\":\"A\","
                     "\"toString\":\"B\"},{\"field\":\"priority\"}]}]}}");
    assert_int_equal(jira_rows_add_issue(&r, issue, "https://x.example", &err), RC_OK);
    json_decref(issue);
    assert_int_equal(r.n[JIRA_COMMENTS], 1);
    assert_int_equal(r.n[JIRA_ISSUELINKS], 1);
    assert_int_equal(r.n[JIRA_WORKLOGS], 1);
    assert_int_equal(r.n[JIRA_ATTACHMENTS], 1);
    assert_int_equal(r.n[JIRA_CHANGELOG], 2);
    json_t *c = load(buf_cstr(&r.lines[JIRA_COMMENTS]));
    assert_string_equal(json_string_value(json_object_get(c, "body")), "hi");
    /* the month as Jira reported the time, not the UTC one (2024-04-01 00:30 UTC) */
    assert_string_equal(json_string_value(json_object_get(c, "_month")), "2024-03");
    json_decref(c);
    json_t *l = load(buf_cstr(&r.lines[JIRA_ISSUELINKS]));
    assert_string_equal(json_string_value(json_object_get(l, "direction")), "inward");
    assert_string_equal(json_string_value(json_object_get(l, "linked_issue_key")), "OTHER-1");
    json_decref(l);
    jira_rows_cleanup(&r);
}

static void test_date_valid(void **state)
{
    (void)state;
    assert_true(jira_date_valid("2024-02-01"));
    assert_false(jira_date_valid("2024-02-01\" OR project = X"));
    assert_false(jira_date_valid("2024-2-01"));
    assert_false(jira_date_valid("2024-13-01"));
    assert_false(jira_date_valid(NULL));
}

static void test_intake_queue(void **state)
{
    (void)state;
    char *dir = test_tmpdir();
    char *path = xasprintf("%s/system.sqlite", dir);
    struct store *s = NULL;
    struct err err;
    assert_int_equal(store_open(path, 2, &s, &err), RC_OK);
    struct core core = { .store = s };
    struct jira_intake in;
    const char *body = "{\"webhookEvent\":\"jira:issue_updated\",\"issue\":{\"key\":\"PROJ-1\"}}";
    char sig[80];
    signature_of("k", body, sig, false);
    assert_int_equal(core_jira_webhook(&core, "k", NULL, body, strlen(body), &in, &err),
                     RC_UNAUTHORIZED);
    assert_int_equal(core_jira_webhook(&core, "other", sig, body, strlen(body), &in, &err),
                     RC_UNAUTHORIZED);
    assert_int_equal(core_jira_webhook(&core, "k", sig, body, strlen(body), &in, &err), RC_OK);
    assert_string_equal(in.issue_key, "PROJ-1");
    assert_string_equal(in.event, "jira:issue_updated");
    /* signed but bad: not JSON, no key, a hostile key, a hostile event name */
    const char *bad[] = {
        "{\"webhookEvent\":",
        "[]",
        "{\"webhookEvent\":\"x\"}",
        "{\"webhookEvent\":\"x\",\"issue\":{\"key\":\"../a-1\"}}",
        "{\"webhookEvent\":\"x y\",\"issue\":{\"key\":\"PROJ-2\"}}",
        "{\"webhookEvent\":\"a\",\"webhookEvent\":\"b\",\"issue_key\":\"PROJ-2\"}"
    };
    const enum rc want[] = { RC_INVALID,  RC_INVALID,  RC_BADVALUE,
                             RC_BADVALUE, RC_BADVALUE, RC_INVALID };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        signature_of("k", bad[i], sig, false);
        assert_int_equal(core_jira_webhook(&core, "k", sig, bad[i], strlen(bad[i]), &in, &err),
                         want[i]);
    }
    /* the original's issue_key form */
    const char *alt = "{\"webhookEvent\":\"jira:issue_deleted\",\"issue_key\":\"PROJ-3\"}";
    signature_of("k", alt, sig, false);
    assert_int_equal(core_jira_webhook(&core, "k", sig, alt, strlen(alt), &in, &err), RC_OK);
    int64_t n = 0;
    assert_int_equal(jira_events_count(s, &n, &err), RC_OK);
    assert_int_equal(n, 2);
    struct jira_event *ev = NULL;
    size_t len = 0;
    assert_int_equal(jira_events_list(s, 0, 10, &ev, &len, &err), RC_OK);
    assert_int_equal(len, 2);
    assert_string_equal(ev[0].issue_key, "PROJ-1");
    assert_string_equal(ev[1].event, "jira:issue_deleted");
    assert_int_equal(jira_events_delete_upto(s, ev[0].id, &err), RC_OK);
    free(ev);
    assert_int_equal(jira_events_count(s, &n, &err), RC_OK);
    assert_int_equal(n, 1);
    assert_int_equal(jira_event_enqueue(s, "bad key", "x", &err), RC_INVALID);
    store_close(&s);
    free(path);
    test_rm_rf(dir);
    free(dir);
}

struct burst_arg {
    struct store *s;
    int thread;
    int failures;
};

static void *burst_thread(void *arg)
{
    struct burst_arg *a = arg;
    for (int i = 0; i < 200; i++) {
        char key[32];
        struct err err;
        snprintf(key, sizeof(key), "T%d-%d", a->thread, i);
        if (jira_event_enqueue(a->s, key, "jira:issue_updated", &err) != RC_OK)
            a->failures++;
    }
    return NULL;
}

/* Many threads at once (the HTTP threads of a burst): their events are committed in shared
 * transactions, each exactly once, each thread's in its own order. */
static void test_queue_group_commit(void **state)
{
    (void)state;
    char *dir = test_tmpdir();
    char *path = xasprintf("%s/system.sqlite", dir);
    struct store *s = NULL;
    struct err err;
    assert_int_equal(store_open(path, 8, &s, &err), RC_OK);
    pthread_t th[8];
    struct burst_arg args[8];
    for (int t = 0; t < 8; t++) {
        args[t] = (struct burst_arg){ .s = s, .thread = t + 1 };
        assert_int_equal(pthread_create(&th[t], NULL, burst_thread, &args[t]), 0);
    }
    for (int t = 0; t < 8; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(args[t].failures, 0);
    }
    struct jira_event *ev = NULL;
    size_t len = 0;
    assert_int_equal(jira_events_list(s, 0, 10000, &ev, &len, &err), RC_OK);
    assert_int_equal(len, 1600);
    int next[9] = { 0 };
    for (size_t i = 0; i < len; i++) {
        int t = 0, n = 0;
        assert_int_equal(sscanf(ev[i].issue_key, "T%d-%d", &t, &n), 2);
        assert_int_equal(n, next[t]); /* once each, in the thread's order */
        next[t]++;
    }
    free(ev);
    /* every event of every batch counted once, and the count outlives the processed rows */
    struct jira_intake_stats st;
    assert_int_equal(jira_intake_stats(s, &st, &err), RC_OK);
    assert_int_equal(st.events_total, 1600);
    assert_int_equal(st.queued, 1600);
    assert_true(st.last_event_at[0] != '\0');
    assert_int_equal(jira_events_delete_upto(s, INT64_MAX, &err), RC_OK);
    assert_int_equal(jira_intake_stats(s, &st, &err), RC_OK);
    assert_int_equal(st.events_total, 1600);
    assert_int_equal(st.queued, 0);
    store_close(&s);
    free(path);
    test_rm_rf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adf_paragraphs),     cmocka_unit_test(test_adf_nested_lists),
        cmocka_unit_test(test_adf_inline_nodes),   cmocka_unit_test(test_adf_code_block),
        cmocka_unit_test(test_adf_unknown_nodes),  cmocka_unit_test(test_adf_hostile_depth),
        cmocka_unit_test(test_adf_text_cap),       cmocka_unit_test(test_key_valid),
        cmocka_unit_test(test_signature),          cmocka_unit_test(test_time_utc),
        cmocka_unit_test(test_rows_types_checked), cmocka_unit_test(test_rows_children),
        cmocka_unit_test(test_date_valid),         cmocka_unit_test(test_intake_queue),
        cmocka_unit_test(test_queue_group_commit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
