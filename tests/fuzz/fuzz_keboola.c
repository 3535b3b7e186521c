/* fuzz_keboola.c — the Keboola connector's parsers of Keboola's answers (table and bucket
 * lists, jobs, files, slice manifests, error bodies), which are hostile input. Invariants: a table
 * that is not skipped has an id fit for a URL and columns whose names are identifiers; a file's and
 * a manifest's URLs are http(s); text kept for messages has no control characters; everything is
 * released cleanly (ASan checks for leaks and double frees). */
#include <strings.h>

#include "connectors/keboola_int.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static void no_control(const char *s)
{
    for (; *s; s++)
        FUZZ_ASSERT((unsigned char)*s >= 0x20 && *s != 0x7f);
}

static bool http_url(const char *u)
{
    return strncasecmp(u, "https://", 8) == 0 || strncasecmp(u, "http://", 7) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    struct err err;
    struct kbc_table *v = NULL;
    size_t n = 0;
    if (kbc_parse_tables(body, size, &v, &n, &err) == RC_OK) {
        for (size_t i = 0; i < n; i++) {
            const struct kbc_table *t = &v[i];
            no_control(t->name);
            no_control(t->bucket);
            no_control(t->last_change);
            if (!t->skip[0]) {
                FUZZ_ASSERT(kbc_id_valid(t->id));
                FUZZ_ASSERT(ident_valid(t->da_id));
                for (size_t c = 0; c < t->n_cols; c++)
                    FUZZ_ASSERT(ident_valid(t->cols[c].ident));
            }
            kbc_table_cleanup(&v[i]);
        }
        free(v);
    } else {
        FUZZ_ASSERT(v == NULL);
    }
    struct kbc_job job;
    if (kbc_parse_job(body, size, &job, &err) == RC_OK) {
        FUZZ_ASSERT(job.id > 0);
        FUZZ_ASSERT(job.state != KBC_JOB_SUCCESS || job.file_id > 0);
        no_control(job.message);
    }
    struct kbc_file f;
    if (kbc_parse_file(body, size, &f, &err) == RC_OK)
        FUZZ_ASSERT(f.url && http_url(f.url));
    kbc_file_cleanup(&f);
    char **urls = NULL;
    if (kbc_parse_manifest(body, size, &urls, &n, &err) == RC_OK) {
        /* a slice is an http(s) URL or, on AWS stacks, s3://bucket/key with a valid bucket */
        char bucket[64], key[KBC_S3_KEY_MAX + 1];
        for (size_t i = 0; i < n; i++)
            FUZZ_ASSERT(http_url(urls[i]) || kbc_s3_split(urls[i], bucket, key));
        kbc_strings_free(urls, n);
    } else {
        FUZZ_ASSERT(urls == NULL);
    }
    json_t *buckets = NULL;
    if (kbc_parse_buckets(body, size, &buckets, &err) == RC_OK) {
        size_t i;
        const json_t *b;
        json_array_foreach(buckets, i, b) no_control(json_string_value(json_object_get(b, "id")));
        json_decref(buckets);
    }
    char msg[128];
    kbc_answer_message(body, size, msg, sizeof(msg));
    no_control(msg);
    return 0;
}
