/* datadir.c — the server lock of a data folder (see datadir.h). flock(2) locks vanish with
 * the process, so a killed server never leaves a stale lock behind; the pid in the file is
 * only information, never trusted without the lock being held. */
#include "data/datadir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/mem.h"

#define LOCK_WAIT_MS 2000

static int open_lock(const char *data_dir, bool create)
{
    char *path = xasprintf("%s/state/serve.lock", data_dir);
    int fd = open(path, (create ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC, 0644);
    free(path);
    return fd;
}

static pid_t read_pid(int fd)
{
    char text[32] = { 0 };
    ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
    if (n <= 0)
        return 0;
    long v = strtol(text, NULL, 10);
    return v > 0 ? (pid_t)v : 0;
}

enum rc datadir_lock_server(const char *data_dir, int *out_fd, struct err *err)
{
    *out_fd = -1;
    int fd = open_lock(data_dir, true);
    if (fd < 0)
        return err_set(err, RC_IO, "cannot open %s/state/serve.lock: %s", data_dir,
                       strerror(errno));
    for (int waited = 0; flock(fd, LOCK_EX | LOCK_NB) != 0; waited += 50) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            close(fd);
            return err_set(err, RC_IO, "cannot lock %s/state/serve.lock: %s", data_dir,
                           strerror(errno));
        }
        if (waited >= LOCK_WAIT_MS) {
            pid_t other = read_pid(fd);
            close(fd);
            return err_set(err, RC_CONFLICT, "another da serve (pid %ld) is using %s", (long)other,
                           data_dir);
        }
        struct timespec ts = { 0, 50 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    char text[32];
    int len = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)len, 0) != len) {
        close(fd);
        return err_set(err, RC_IO, "cannot write %s/state/serve.lock: %s", data_dir,
                       strerror(errno));
    }
    *out_fd = fd;
    return RC_OK;
}

pid_t datadir_server_pid(const char *data_dir)
{
    int fd = open_lock(data_dir, false);
    if (fd < 0)
        return 0;
    pid_t pid = 0;
    if (flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK)
        pid = read_pid(fd);
    close(fd); /* releases a shared lock taken above */
    return pid;
}

int datadir_hold_if_no_server(const char *data_dir)
{
    char *state = xasprintf("%s/state", data_dir);
    struct err ignored;
    enum rc rc = file_mkdir_p(state, 0755, &ignored);
    free(state);
    if (rc)
        return -1;
    int fd = open_lock(data_dir, true);
    if (fd < 0)
        return -1;
    if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}
