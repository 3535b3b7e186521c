/* test_keboola.c — unit tests of the Keboola connector's parsing of answers, which are hostile
 * input: ids that reach a URL, column names that reach SQL, job and file objects of the wrong
 * shape, manifests pointing at other schemes, control characters in messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/mem.h"
#include "connectors/keboola_int.h"
#include "net/sigv4.h"

static void test_ids(void **state)
{
    (void)state;
    assert_true(kbc_id_valid("in.c-main.orders"));
    assert_true(kbc_id_valid("out.c-x_y.T1"));
    const char *bad[] = { "",    "../x", "a/b",    "a?b", ".x",   "-x",
                          "a b", "a\nb", "%2e%2e", "a#b", "a\\b", "tokens?x=1" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(kbc_id_valid(bad[i]));
    assert_false(kbc_id_valid(NULL));
    char longid[KBC_ID_MAX + 2];
    memset(longid, 'a', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    assert_false(kbc_id_valid(longid));
    longid[KBC_ID_MAX] = '\0';
    assert_true(kbc_id_valid(longid));
}

static void test_identifiers(void **state)
{
    (void)state;
    char out[IDENT_MAX_LEN + 1];
    assert_true(kbc_column_ident("Amount", out));
    assert_string_equal(out, "Amount");
    assert_true(kbc_column_ident("a b", out));
    assert_string_equal(out, "a_b");
    assert_true(kbc_column_ident("1st", out));
    assert_string_equal(out, "c_1st");
    assert_true(kbc_column_ident("\"; DROP TABLE x; --", out));
    assert_string_equal(out, "___DROP_TABLE_x____");
    assert_false(kbc_column_ident("\xc3\xbc", out)); /* nothing but '_' is left */
    assert_string_equal(out, "");
    assert_false(kbc_column_ident("", out));
    char longname[200];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_true(kbc_column_ident(longname, out));
    assert_int_equal(strlen(out), IDENT_MAX_LEN);
    assert_true(kbc_table_ident("in.c-main.Orders", out));
    assert_string_equal(out, "in_c_main_orders");
    assert_true(kbc_table_ident("1x", out));
    assert_string_equal(out, "t_1x");
    assert_string_equal(kbc_duck_type("INTEGER"), "BIGINT");
    assert_string_equal(kbc_duck_type("TIMESTAMP"), "TIMESTAMP");
    assert_null(kbc_duck_type("STRING"));
    assert_null(kbc_duck_type("BIGINT); DROP"));
    assert_null(kbc_duck_type(NULL));
}

static enum rc parse(const char *text, struct kbc_table *t, struct err *err)
{
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    enum rc rc = kbc_parse_table(j, t, err);
    json_decref(j);
    return rc;
}

static void test_table(void **state)
{
    (void)state;
    struct kbc_table t;
    struct err err;
    assert_int_equal(
        parse("{\"id\":\"in.c-a.t\",\"name\":\"t\",\"bucket\":{\"id\":\"in.c-a\"},"
              "\"rowsCount\":5,\"lastChangeDate\":\"2026-01-01T00:00:00+0100\","
              "\"primaryKey\":[\"id\"],\"columns\":[\"id\",\"v\",\"w\",\"x\"],"
              "\"columnMetadata\":{\"id\":[{\"key\":\"KBC.datatype.basetype\","
              "\"value\":\"STRING\",\"provider\":\"ex\"},{\"key\":"
              "\"KBC.datatype.basetype\",\"value\":\"INTEGER\",\"provider\":\"user\"}],"
              "\"v\":[{\"key\":\"KBC.datatype.basetype\",\"value\":\"ARRAY<INT>\"}],"
              "\"w\":[{\"key\":\"KBC.datatype.basetype\",\"value\":\"date\"}],"
              "\"x\":\"not a list\"}}",
              &t, &err),
        RC_OK);
    assert_string_equal(t.skip, "");
    assert_string_equal(t.da_id, "in_c_a_t");
    assert_string_equal(t.bucket, "in.c-a");
    assert_int_equal(t.rows, 5);
    assert_int_equal(t.n_cols, 4);
    assert_string_equal(t.cols[0].basetype, "INTEGER"); /* the user's value wins */
    assert_string_equal(t.cols[1].basetype, "STRING");  /* unknown: text */
    assert_string_equal(t.cols[2].basetype, "DATE");
    assert_string_equal(t.cols[3].basetype, "STRING");
    assert_int_equal(t.n_pk, 1);
    kbc_table_cleanup(&t);

    /* an unsafe id: skipped, not an error, and its columns are never looked at */
    assert_int_equal(parse("{\"id\":\"../../x\",\"columns\":[1]}", &t, &err), RC_OK);
    assert_string_not_equal(t.skip, "");
    kbc_table_cleanup(&t);
    /* two columns that give one identifier */
    assert_int_equal(parse("{\"id\":\"in.c-a.t\",\"columns\":[\"a b\",\"a_b\"]}", &t, &err), RC_OK);
    assert_non_null(strstr(t.skip, "same column name"));
    kbc_table_cleanup(&t);
    assert_int_equal(parse("{\"id\":\"in.c-a.t\",\"columns\":[\"A\",\"a\"]}", &t, &err), RC_OK);
    assert_non_null(strstr(t.skip, "same column name"));
    kbc_table_cleanup(&t);
    /* shapes that are wrong */
    assert_int_equal(parse("{\"name\":\"t\"}", &t, &err), RC_INVALID);
    kbc_table_cleanup(&t);
    assert_int_equal(parse("{\"id\":\"in.c-a.t\",\"columns\":\"id\"}", &t, &err), RC_INVALID);
    kbc_table_cleanup(&t);
    assert_int_equal(parse("{\"id\":\"in.c-a.t\",\"columns\":[\"a\",{}]}", &t, &err), RC_INVALID);
    kbc_table_cleanup(&t);
    assert_int_equal(parse("[]", &t, &err), RC_INVALID);
    kbc_table_cleanup(&t);
    /* control characters in kept text are replaced; a negative count is unknown */
    assert_int_equal(parse("{\"id\":\"in.c-a.t\",\"name\":\"a\\u001b[31mb\",\"rowsCount\":-4,"
                           "\"primaryKey\":{\"x\":1}}",
                           &t, &err),
                     RC_OK);
    assert_string_equal(t.name, "a?[31mb");
    assert_int_equal(t.rows, -1);
    assert_int_equal(t.n_pk, 0);
    kbc_table_cleanup(&t);

    struct kbc_table *v;
    size_t n;
    const char *list = "[{\"id\":\"in.c-a.t\",\"columns\":[\"a\"]},{\"id\":\"x y\"}]";
    assert_int_equal(kbc_parse_tables(list, strlen(list), &v, &n, &err), RC_OK);
    assert_int_equal(n, 2);
    assert_string_not_equal(v[1].skip, "");
    for (size_t i = 0; i < n; i++)
        kbc_table_cleanup(&v[i]);
    free(v);
    assert_int_equal(kbc_parse_tables("{}", 2, &v, &n, &err), RC_INVALID);
    assert_int_equal(kbc_parse_tables("[{\"name\":1}]", 12, &v, &n, &err), RC_INVALID);
    assert_null(v);
    assert_int_equal(kbc_parse_tables("not json", 8, &v, &n, &err), RC_INVALID);
}

static enum rc job(const char *text, struct kbc_job *out, struct err *err)
{
    return kbc_parse_job(text, strlen(text), out, err);
}

static void test_job(void **state)
{
    (void)state;
    struct kbc_job j;
    struct err err;
    assert_int_equal(job("{\"id\":7,\"status\":\"waiting\"}", &j, &err), RC_OK);
    assert_int_equal(j.state, KBC_JOB_WAITING);
    assert_int_equal(job("{\"id\":\"8\",\"status\":\"processing\"}", &j, &err), RC_OK);
    assert_int_equal(j.id, 8);
    assert_int_equal(
        job("{\"id\":7,\"status\":\"success\",\"results\":{\"file\":{\"id\":9}}}", &j, &err),
        RC_OK);
    assert_int_equal(j.file_id, 9);
    assert_int_equal(job("{\"id\":7,\"status\":\"success\",\"results\":null}", &j, &err),
                     RC_INVALID);
    assert_int_equal(
        job("{\"id\":7,\"status\":\"success\",\"results\":{\"file\":{\"id\":-1}}}", &j, &err),
        RC_INVALID);
    assert_int_equal(
        job("{\"id\":7,\"status\":\"error\",\"error\":{\"message\":\"bad\\n\\u001b\"}}", &j, &err),
        RC_OK);
    assert_int_equal(j.state, KBC_JOB_ERROR);
    assert_string_equal(j.message, "bad??");
    assert_int_equal(job("{\"id\":7,\"status\":\"error\"}", &j, &err), RC_OK);
    assert_string_equal(j.message, "no message given");
    assert_int_equal(job("{\"id\":7,\"status\":\"\\u001bdone\"}", &j, &err), RC_INVALID);
    assert_non_null(strstr(err.msg, "'?done'"));
    assert_int_equal(job("{\"id\":-7,\"status\":\"waiting\"}", &j, &err), RC_INVALID);
    assert_int_equal(job("{\"id\":\"7; rm\",\"status\":\"waiting\"}", &j, &err), RC_INVALID);
    assert_int_equal(job("{\"status\":\"waiting\"}", &j, &err), RC_INVALID);
    assert_int_equal(job("{\"id\":7}", &j, &err), RC_INVALID);
    assert_int_equal(job("{\"id\":7,\"id\":8,\"status\":\"waiting\"}", &j, &err), RC_INVALID);
    assert_int_equal(job("", &j, &err), RC_INVALID);
}

static void test_file_and_manifest(void **state)
{
    (void)state;
    struct kbc_file f;
    struct err err;
    const char *ok = "{\"id\":3,\"url\":\"https://s3.example/x?sig=1\",\"isSliced\":true}";
    assert_int_equal(kbc_parse_file(ok, strlen(ok), &f, &err), RC_OK);
    assert_true(f.sliced);
    assert_string_equal(f.url, "https://s3.example/x?sig=1");
    kbc_file_cleanup(&f);
    const char *bad[] = { "{\"url\":\"file:///etc/passwd\"}", "{\"url\":\"s3://b/k\"}",
                          "{\"url\":42}", "{\"url\":\"https://x\",\"isSliced\":\"yes\"}", "[]" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(kbc_parse_file(bad[i], strlen(bad[i]), &f, &err), RC_INVALID);
        assert_null(f.url);
    }

    char **urls;
    size_t n;
    const char *m = "{\"entries\":[{\"url\":\"https://a/1.gz\"},{\"url\":\"http://a/2\"}]}";
    assert_int_equal(kbc_parse_manifest(m, strlen(m), &urls, &n, &err), RC_OK);
    assert_int_equal(n, 2);
    assert_string_equal(urls[1], "http://a/2");
    kbc_strings_free(urls, n);
    const char *empty = "{\"entries\":[]}";
    assert_int_equal(kbc_parse_manifest(empty, strlen(empty), &urls, &n, &err), RC_OK);
    assert_int_equal(n, 0);
    kbc_strings_free(urls, n);
    const char *badm[] = { "{\"entries\":{}}", "{}", "{\"entries\":[{\"url\":\"s3://b/k\"}]}",
                           "{\"entries\":[\"https://a\"]}",
                           "{\"entries\":[{\"url\":\"https://a\"},{\"url\":\"gopher://x\"}]}" };
    for (size_t i = 0; i < sizeof(badm) / sizeof(badm[0]); i++) {
        assert_int_not_equal(kbc_parse_manifest(badm[i], strlen(badm[i]), &urls, &n, &err), RC_OK);
        assert_null(urls);
    }
    assert_non_null(strstr(err.msg, "slice 2"));

    char msg[64];
    const char *e = "{\"error\":\"Invalid\\u0007 token\",\"code\":\"x\"}";
    kbc_answer_message(e, strlen(e), msg, sizeof(msg));
    assert_string_equal(msg, "Invalid? token");
    kbc_answer_message("<html>", 6, msg, sizeof(msg));
    assert_string_equal(msg, "");
}

/* region and credentials of an AWS stack's file answer: hostile input that reaches a host
 * name and a signature; a bad one is reported by field name, never by value. */
static void test_file_s3_credentials(void **state)
{
    (void)state;
    struct kbc_file f;
    struct err err;
    const char *ok =
        "{\"id\":3,\"url\":\"https://x/m\",\"isSliced\":true,\"region\":\"eu-central-1\","
        "\"credentials\":{\"AccessKeyId\":\"ASIAEXAMPLEKEY12345\",\"SecretAccessKey\":"
        "\"s3cr3t/Key+x\",\"SessionToken\":\"VG9rZW4=\",\"Expiration\":\"2030\"}}";
    assert_int_equal(kbc_parse_file(ok, strlen(ok), &f, &err), RC_OK);
    assert_true(f.s3.ok);
    assert_string_equal(f.s3.region, "eu-central-1");
    assert_string_equal(f.s3.access_key, "ASIAEXAMPLEKEY12345");
    assert_string_equal(f.s3.secret, "s3cr3t/Key+x");
    assert_string_equal(f.s3.token, "VG9rZW4=");
    kbc_file_cleanup(&f);
    assert_null(f.s3.secret);

    /* no credentials at all (a GCP or Azure stack, or https slices): not an error */
    const char *none = "{\"url\":\"https://x/m\",\"isSliced\":true,\"region\":\"x\"}";
    assert_int_equal(kbc_parse_file(none, strlen(none), &f, &err), RC_OK);
    assert_false(f.s3.ok);
    assert_string_equal(f.s3.problem, "");
    kbc_file_cleanup(&f);

    struct {
        const char *json, *field;
    } bad[] = {
        { "\"region\":\"eu.evil.com\",\"credentials\":{\"AccessKeyId\":\"ASIAEXAMPLEKEY12345\","
          "\"SecretAccessKey\":\"LEAKME\",\"SessionToken\":\"T\"}",
          "region" },
        { "\"credentials\":{\"AccessKeyId\":\"ASIAEXAMPLEKEY12345\",\"SecretAccessKey\":\"LEAKME\","
          "\"SessionToken\":\"T\"}",
          "region" },
        { "\"region\":\"eu-west-1\",\"credentials\":\"LEAKME\"", "credentials" },
        { "\"region\":\"eu-west-1\",\"credentials\":{\"AccessKeyId\":\"ASIA/../x12345678\","
          "\"SecretAccessKey\":\"LEAKME\",\"SessionToken\":\"T\"}",
          "AccessKeyId" },
        { "\"region\":\"eu-west-1\",\"credentials\":{\"AccessKeyId\":\"ASIAEXAMPLEKEY12345\","
          "\"SecretAccessKey\":\"LEAK ME\",\"SessionToken\":\"T\"}",
          "SecretAccessKey" },
        { "\"region\":\"eu-west-1\",\"credentials\":{\"AccessKeyId\":\"ASIAEXAMPLEKEY12345\","
          "\"SecretAccessKey\":42,\"SessionToken\":\"T\"}",
          "SecretAccessKey" },
        { "\"region\":\"eu-west-1\",\"credentials\":{\"AccessKeyId\":\"ASIAEXAMPLEKEY12345\","
          "\"SecretAccessKey\":\"LEAKME\",\"SessionToken\":\"T\\r\\nX-Evil: 1\"}",
          "SessionToken" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *j = xasprintf("{\"url\":\"https://x/m\",\"isSliced\":true,%s}", bad[i].json);
        assert_int_equal(kbc_parse_file(j, strlen(j), &f, &err), RC_OK);
        assert_false(f.s3.ok);
        assert_null(f.s3.secret);
        assert_non_null(strstr(f.s3.problem, bad[i].field));
        assert_null(strstr(f.s3.problem, "LEAK"));
        kbc_file_cleanup(&f);
        free(j);
    }

    /* s3:// manifest entries: bucket checked before it becomes a host name */
    char **urls;
    size_t n;
    const char *m = "{\"entries\":[{\"url\":\"s3://kbc-files/exp/1.csv.gz\"},"
                    "{\"url\":\"https://a/2\"}]}";
    assert_int_equal(kbc_parse_manifest(m, strlen(m), &urls, &n, &err), RC_OK);
    assert_int_equal(n, 2);
    assert_string_equal(urls[0], "s3://kbc-files/exp/1.csv.gz");
    kbc_strings_free(urls, n);
    const char *badm[] = { "s3://evil.com:80@x/k", "s3://kbc-files/",      "s3://kbc-files",
                           "s3://Kbc/k",           "s3://kbc-files/a\\nb", "s3:///k",
                           "s3://a..b/k" };
    for (size_t i = 0; i < sizeof(badm) / sizeof(badm[0]); i++) {
        char *j = xasprintf("{\"entries\":[{\"url\":\"%s\"}]}", badm[i]);
        assert_int_equal(kbc_parse_manifest(j, strlen(j), &urls, &n, &err), RC_INVALID);
        free(j);
    }
    char bucket[64], key[KBC_S3_KEY_MAX + 1];
    assert_true(kbc_s3_split("s3://kbc-files/a/b c.gz", bucket, key));
    assert_string_equal(bucket, "kbc-files");
    assert_string_equal(key, "a/b c.gz");
}

static void test_buckets(void **state)
{
    (void)state;
    json_t *v;
    struct err err;
    const char *b = "[{\"id\":\"in.c-a\",\"name\":\"a\\u001b\",\"stage\":\"in\"},{\"id\":5},"
                    "\"x\",{\"name\":\"no id\"}]";
    assert_int_equal(kbc_parse_buckets(b, strlen(b), &v, &err), RC_OK);
    assert_int_equal(json_array_size(v), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(v, 0), "name")), "a?");
    json_decref(v);
    assert_int_equal(kbc_parse_buckets("{}", 2, &v, &err), RC_INVALID);
    assert_null(v);
    assert_int_equal(kbc_parse_buckets("[", 1, &v, &err), RC_INVALID);
}

/* AWS's published example ("GET Object" in the S3 SigV4 header-authentication docs): the
 * signature must match theirs byte for byte, or S3 refuses every slice. */
static void test_sigv4_aws_example(void **state)
{
    (void)state;
    const char *empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const struct sigv4_header h[] = {
        { "host", "examplebucket.s3.amazonaws.com" },
        { "range", "bytes=0-9" },
        { "x-amz-content-sha256", empty },
        { "x-amz-date", "20130524T000000Z" },
    };
    struct sigv4_request r = {
        .method = "GET",
        .path = "/test.txt",
        .query = "",
        .headers = h,
        .n_headers = 4,
        .payload_hash = empty,
        .access_key = "AKIAIOSFODNN7EXAMPLE",
        .secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        .region = "us-east-1",
        .service = "s3",
        .amz_date = "20130524T000000Z",
    };
    char *a = sigv4_authorization(&r);
    assert_string_equal(a, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/"
                           "s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;"
                           "x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba"
                           "48dd91039c6036bdb41");
    free(a);
    r.secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ"; /* one byte off: another signature */
    a = sigv4_authorization(&r);
    assert_null(strstr(a, "f0e8bdb87c964420"));
    assert_null(strstr(a, "EXAMPLEKE")); /* the secret never shows */
    free(a);
}

static void test_s3_names(void **state)
{
    (void)state;
    assert_true(s3_bucket_valid("kbc-sapi-files"));
    assert_true(s3_bucket_valid("a.b-c"));
    const char *bad[] = { "",          "ab",  "A-bucket", "-ab",   "ab-",         "a..b",
                          "a_b",       "a/b", "a b",      "a.b?x", "192.168.5.4", "evil.com:80",
                          "x@evil.com" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(s3_bucket_valid(bad[i]));
    char longb[65];
    memset(longb, 'a', 64);
    longb[64] = '\0';
    assert_false(s3_bucket_valid(longb));
    assert_false(s3_bucket_valid(NULL));
    assert_true(s3_region_valid("eu-central-1"));
    assert_false(s3_region_valid(""));
    assert_false(s3_region_valid("eu.evil.com"));
    assert_false(s3_region_valid("EU-central-1"));
    assert_false(s3_region_valid("eu/x"));
    assert_false(s3_region_valid(NULL));
    char *e = sigv4_uri_encode("exp/a b+c~_.-%/ü", true);
    assert_string_equal(e, "exp/a%20b%2Bc~_.-%25/%C3%BC");
    free(e);
    e = sigv4_uri_encode("a/b", false);
    assert_string_equal(e, "a%2Fb");
    free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_identifiers),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_job),
        cmocka_unit_test(test_file_and_manifest),
        cmocka_unit_test(test_file_s3_credentials),
        cmocka_unit_test(test_buckets),
        cmocka_unit_test(test_sigv4_aws_example),
        cmocka_unit_test(test_s3_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
