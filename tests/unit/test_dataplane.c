/* test_dataplane.c — the background work of the data plane ends when the server stops: file
 * hashing gives up between reads once cancelled (a large file does not hold up a shutdown),
 * and stopping the data plane while it profiles and hashes returns. */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "base/isotime.h"
#include "base/mem.h"
#include "data/dataplane.h"
#include "data/demo.h"
#include "data/filehash.h"
#include "helpers.h"
#include "store/store.h"

struct hash_job {
    struct filehash *fh;
    const char *path;
    enum rc rc;
};

static void *hash_thread(void *p)
{
    struct hash_job *j = p;
    struct file_digest d;
    struct err err;
    j->rc = filehash_get(j->fh, j->path, &d, &err);
    return NULL;
}

static void test_cancel_ends_a_long_hash(void **state)
{
    (void)state;
    char *dir = test_tmpdir();
    char *big = xasprintf("%s/big.parquet", dir);
    char *small = xasprintf("%s/small.parquet", dir);
    /* sparse: 16 GiB that take no disk, but must all be read to be hashed */
    int fd = open(big, O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)16 << 30), 0);
    close(fd);
    fd = open(small, O_CREAT | O_WRONLY, 0600);
    assert_int_equal(write(fd, "PAR1", 4), 4);
    close(fd);

    struct filehash *fh = filehash_new();
    struct file_digest d;
    struct err err;
    assert_int_equal(filehash_get(fh, small, &d, &err), RC_OK);

    struct hash_job job = { fh, big, RC_OK };
    pthread_t t;
    int64_t t0 = clock_mono_us();
    assert_int_equal(pthread_create(&t, NULL, hash_thread, &job), 0);
    usleep(100 * 1000);
    filehash_cancel(fh);
    pthread_join(t, NULL);
    printf("hashing 16 GiB ended %.0f ms after it began (cancelled after 100 ms)\n",
           (double)(clock_mono_us() - t0) / 1000.0);
    assert_int_equal(job.rc, RC_CONFLICT);
    /* a digest already known is still answered; a new one is not computed */
    assert_int_equal(filehash_get(fh, small, &d, &err), RC_OK);
    assert_int_equal(filehash_get(fh, big, &d, &err), RC_CONFLICT);
    filehash_free(&fh);
    test_rm_rf(dir);
    free(big);
    free(small);
    free(dir);
}

static void test_stop_while_profiling_returns(void **state)
{
    (void)state;
    char *dir = test_tmpdir();
    char *state_dir = xasprintf("%s/state", dir);
    char *db = xasprintf("%s/system.sqlite", state_dir);
    assert_int_equal(mkdir(state_dir, 0700), 0);
    struct demo_result demo = { 0 };
    struct err err;
    assert_int_equal(demo_ensure(dir, 1, &demo, &err), RC_OK);
    struct store *store = NULL;
    assert_int_equal(store_open(db, 4, &store, &err), RC_OK);
    for (int round = 0; round < 3; round++) {
        struct dataplane_options opt = {
            .data_dir = dir, .store = store, .profile = true, .stop_grace_ms = 10000
        };
        struct dataplane *dp = NULL;
        assert_int_equal(dataplane_start(&opt, &dp, &err), RC_OK);
        usleep((useconds_t)round * 50 * 1000); /* stop at once, then while it works */
        int64_t t0 = clock_mono_us();
        dataplane_stop(&dp);
        assert_null(dp);
        printf("dataplane stopped in %.0f ms (round %d)\n", (double)(clock_mono_us() - t0) / 1000.0,
               round);
    }
    store_close(&store);
    test_rm_rf(dir);
    free(db);
    free(state_dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cancel_ends_a_long_hash),
        cmocka_unit_test(test_stop_while_profiling_returns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
