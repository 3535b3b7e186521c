/* upload.c — `da upload`: hand files to the server for the team: assistant session
 * transcripts (JSON lines), artifacts (reports, charts, any file) and the analyst's
 * CLAUDE.local.md notes. Files are streamed from disk (multipart/form-data, see
 * hc_upload_file); the server names, checks and stores them (docs/API.md, Uploads). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/format.h"
#include "base/mem.h"
#include "client/client.h"
#include "client/output.h"
#include "cmd/cmd.h"

#define LOCAL_MD_MAX (16 * 1024 * 1024) /* read at most; the server's body cap is lower */

static void upload_help(void)
{
    printf("Usage: da upload session FILE...    [--json] [--server URL]\n"
           "       da upload artifact FILE...   [--json] [--server URL]\n"
           "       da upload local-md FILE      [--json] [--server URL]\n"
           "\n"
           "Upload files to the server, where they are kept under your user:\n"
           "  session    an AI assistant's session transcript, JSON lines (.jsonl); the server\n"
           "             refuses a file with a line that is not JSON\n"
           "  artifact   a report, a chart, any file\n"
           "  local-md   your CLAUDE.local.md notes (UTF-8 text), which replace the ones\n"
           "             uploaded before\n"
           "\n"
           "A file is stored under its own name (characters other than letters, digits, '.',\n"
           "'_' and '-' become '_'); uploading the same name again replaces it. The server\n"
           "limits the size (uploads.max_bytes, 100 MiB by default) and says so when a file\n"
           "is larger. For each file one line says where it was stored and its size.\n"
           "\n"
           "Options:\n"
           "  --json         print the server's answer for each file as one JSON line\n"
           "  --server URL   the server (default: $DA_SERVER, else the current server)\n"
           "  -h, --help     show this help\n"
           "\n"
           "Exit codes:\n"
           "  0  every file was uploaded\n"
           "  1  a file is missing, unreadable or not a regular file, or the server refused\n"
           "     it (too large, not JSON lines); the other files are still uploaded\n"
           "  2  bad command line\n"
           "  3  the server could not be reached\n"
           "  4  not logged in, or the server refused the credential\n");
}

static const char *member(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* Checks that path is a regular file this user may read; prints why not. */
static bool readable_file(const char *path, struct stat *st)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        fprintf(stderr, "da upload: %s: %s\n", path, strerror(errno));
        return false;
    }
    bool ok = fstat(fd, st) == 0 && S_ISREG(st->st_mode);
    close(fd);
    if (!ok)
        fprintf(stderr, "da upload: %s: not a regular file\n", path);
    return ok;
}

static void print_answer(const char *path, const json_t *answer, bool as_json, bool local_md)
{
    if (as_json) {
        char *text = json_dumps(answer, JSON_COMPACT);
        if (text)
            printf("%s\n", text);
        free(text);
        return;
    }
    json_int_t size = json_integer_value(json_object_get(answer, "size"));
    output_print_clean(stdout, path);
    if (local_md) {
        printf(": stored as the CLAUDE.local.md of ");
        output_print_clean(stdout, member(answer, "user") ? member(answer, "user") : "you");
        printf(", %" JSON_INTEGER_FORMAT " characters\n", size);
        return;
    }
    char words[32];
    format_bytes((uint64_t)size, words);
    printf(": stored as ");
    output_print_clean(stdout, member(answer, "name") ? member(answer, "name") : "?");
    printf(", %" JSON_INTEGER_FORMAT " bytes%s%s%s\n", size, size >= 1024 ? " (" : "",
           size >= 1024 ? words : "", size >= 1024 ? ")" : "");
}

/* The body of a local-md upload: {content} of the file's text. */
static int local_md_body(const char *path, json_t **out)
{
    struct err err = { { 0 } };
    char *text = NULL;
    size_t len = 0;
    enum rc rc = file_read_all(path, LOCAL_MD_MAX, &text, &len, &err);
    if (rc) {
        fprintf(stderr, "da upload: %s: %s\n", path, err.msg);
        return CLIENT_EXIT_FAIL;
    }
    json_t *content = json_stringn(text, len); /* NULL unless valid UTF-8 */
    free(text);
    if (!content) {
        fprintf(stderr, "da upload: %s is not UTF-8 text\n", path);
        return CLIENT_EXIT_FAIL;
    }
    *out = json_pack("{s:o}", "content", content);
    return 0;
}

/* Uploads one file; returns its exit code. */
static int upload_one(struct hc *hc, const char *kind, const char *path, bool as_json)
{
    struct err err = { { 0 } };
    struct stat st;
    json_t *answer = NULL, *body = NULL;
    bool local_md = strcmp(kind, "local-md") == 0;
    int code = 0;
    if (!readable_file(path, &st))
        return CLIENT_EXIT_FAIL;
    enum rc rc;
    if (local_md) {
        code = local_md_body(path, &body);
        if (code)
            return code;
        rc = hc_post(hc, "/api/upload/local-md", body, &answer, &err);
    } else {
        rc = hc_upload_file(
            hc, strcmp(kind, "session") == 0 ? "/api/upload/sessions" : "/api/upload/artifacts",
            "file", path, &answer, &err);
    }
    if (rc) {
        fprintf(stderr, "da upload: %s: %s\n", path, err.msg);
        code = client_exit_code(hc, rc);
    } else {
        print_answer(path, answer, as_json, local_md);
    }
    json_decref(answer);
    json_decref(body);
    return code;
}

int cmd_upload(int argc, char **argv)
{
    const char *server = NULL;
    bool as_json = false;
    int usage = cmd_client_opts("upload", upload_help, argc, argv, &server, &as_json, INT_MAX);
    if (usage)
        return usage < 0 ? 0 : usage;
    if (optind >= argc)
        return cmd_usage_error("upload", "what to upload: session, artifact or local-md; see "
                                         "'da upload --help'");
    const char *kind = argv[optind++];
    if (strcmp(kind, "sessions") == 0) /* the API's word */
        kind = "session";
    else if (strcmp(kind, "artifacts") == 0)
        kind = "artifact";
    if (strcmp(kind, "session") != 0 && strcmp(kind, "artifact") != 0 &&
        strcmp(kind, "local-md") != 0)
        return cmd_usage_error("upload", "unknown kind '%s': session, artifact or local-md", kind);
    if (optind >= argc)
        return cmd_usage_error("upload", "no FILE given");
    if (strcmp(kind, "local-md") == 0 && argc - optind > 1)
        return cmd_usage_error("upload", "local-md takes one file");

    struct client cl;
    struct err err = { { 0 } };
    int code = 0;
    enum rc rc = client_open(server, &cl, &err);
    if (rc) {
        code = client_fail("upload", NULL, rc, &err);
        goto out;
    }
    for (int i = optind; i < argc; i++) {
        int one = upload_one(cl.hc, kind, argv[i], as_json);
        if (one == CLIENT_EXIT_UNREACHABLE || one == CLIENT_EXIT_AUTH) {
            code = one; /* the other files would fail the same way */
            break;
        }
        if (one)
            code = one;
    }
    if (fflush(stdout) != 0 && !code)
        code = CLIENT_EXIT_FAIL;
out:
    client_close(&cl);
    return code;
}
