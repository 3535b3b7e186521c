/* client_opts.c — the options most client commands share (see cmd.h). */
#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "cmd/cmd.h"

int cmd_client_opts(const char *name, void (*help)(void), int argc, char **argv,
                    const char **server, bool *json, int max_args)
{
    enum { OPT_SERVER = 256, OPT_JSON };
    static const struct option opts[] = {
        { "server", required_argument, NULL, OPT_SERVER },
        { "json", no_argument, NULL, OPT_JSON },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, ":h", opts, NULL)) != -1;) {
        switch (c) {
        case 'h':
            help();
            return -1;
        case OPT_SERVER:
            *server = optarg;
            break;
        case OPT_JSON:
            if (json) {
                *json = true;
                break;
            }
            return cmd_usage_error(name, "unknown option '--json'; see 'da %s --help'", name);
        case ':':
            return cmd_usage_error(name, "option '%s' needs a value", argv[optind - 1]);
        default:
            return cmd_usage_error(name, "unknown option '%s'; see 'da %s --help'",
                                   argv[optind - 1], name);
        }
    }
    if (argc - optind > max_args)
        return cmd_usage_error(name, "unexpected argument '%s'", argv[optind + max_args]);
    return 0;
}
