/* completion.c — `da completion bash|zsh`: prints a shell script that completes da's
 * command line on Tab.
 *
 * Command and subcommand names (with their summaries, for zsh) are written into the script
 * from the tables themselves: the commands of main.c, their `subs` tables (da admin's
 * groups and actions) and the help topics. A command added to a table completes once the
 * script is generated again; `source <(da completion bash)` does that at every shell start.
 * Options are not listed here: when the word under the cursor starts with '-', the script
 * runs `da CMD ... --help` and offers every --option that text names, so an option added to
 * a command's help completes at once. After an option, a few known value lists apply
 * (option_values below); an option whose help shows FILE, DIR or PATH completes file names;
 * other values (URL, EMAIL, ...) complete nothing. Positional arguments complete file names. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/compat.h"
#include "cmd/cmd.h"

const struct cmd completion_shells[] = {
    { "bash", "print the script for bash" }, /* words to complete only: no run */
    { "zsh", "print the script for zsh" },
    { NULL },
};

/* Options whose value is one of a few words. */
static const struct {
    const char *option;
    const char *values;
} option_values[] = {
    { "--role", "admin analyst viewer" },
    { "--query-mode", "local remote" },
    { "--sync-strategy", "full_refresh incremental append" },
};

static void completion_help(void)
{
    printf("Usage: da completion bash|zsh\n"
           "\n"
           "Print a script with which the shell completes da's commands, subcommands, options\n"
           "and some option values when you press Tab.\n"
           "\n"
           "  bash  in ~/.bashrc:  source <(da completion bash)\n"
           "        or once for every shell (with the bash-completion package):\n"
           "        da completion bash > ~/.local/share/bash-completion/completions/da\n"
           "  zsh   in ~/.zshrc, after compinit:  source <(da completion zsh)\n"
           "        or save it as _da in a folder of $fpath:  da completion zsh > ~/.zfunc/_da\n"
           "\n"
           "Command and subcommand names are written into the script from da's own tables:\n"
           "generate it again after updating da (the source <(...) line does so at every\n"
           "start). Options come from 'da COMMAND --help' when the word starts with '-'; the\n"
           "values of --role, --query-mode and --sync-strategy are known; options that take\n"
           "a FILE, DIR or PATH and positional arguments complete file names.\n"
           "\n"
           "Options:\n"
           "  -h, --help   show this help\n");
}

/* s as one single-quoted shell word: ' becomes '\''. */
static void put_quoted(const char *s)
{
    putchar('\'');
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", stdout);
        else
            putchar(*s);
    }
    putchar('\'');
}

enum shell { BASH, ZSH };

/* One word of a level: a bash word list entry, or a zsh "name:summary" element. */
static void put_word(enum shell sh, const char *name, const char *summary, bool *first)
{
    if (!*first)
        putchar(' ');
    *first = false;
    if (sh == BASH) {
        fputs(name, stdout);
        return;
    }
    char item[512];
    snprintf(item, sizeof(item), "%s:%s", name, summary ? summary : "");
    put_quoted(item);
}

static void level_open(enum shell sh, const char *key)
{
    printf("    ");
    put_quoted(key);
    printf(sh == BASH ? ") echo '" : ") reply=(");
}

static void level_close(enum shell sh)
{
    printf(sh == BASH ? "' ;;\n" : ") ;;\n");
}

/* The case arms for the levels below key (whose words are table), depth first. */
static void put_levels(enum shell sh, const char *key, const struct cmd *table)
{
    bool first = true;
    level_open(sh, key);
    for (const struct cmd *c = table; c->name; c++)
        put_word(sh, c->name, c->summary, &first);
    level_close(sh);
    for (const struct cmd *c = table; c->name; c++) {
        if (!c->subs)
            continue;
        char sub[256];
        snprintf(sub, sizeof(sub), "%s%s%s", key, *key ? " " : "", c->name);
        put_levels(sh, sub, c->subs);
    }
}

/* The function _da_subs KEY: the words that may follow the command path KEY ("" for the
 * first word, "help" for the first word after da help: topics and commands). */
static void put_subs_function(enum shell sh)
{
    int n, ntopics;
    const struct cmd *cmds = cmd_table(&n);
    const struct help_topic *topics = cmd_help_topics(&ntopics);
    bool first = true;
    printf("_da_subs() {\n");
    if (sh == ZSH)
        printf("    reply=()\n");
    printf("    case \"$1\" in\n");
    level_open(sh, "");
    for (int i = 0; i < n; i++)
        put_word(sh, cmds[i].name, cmds[i].summary, &first);
    level_close(sh);
    level_open(sh, "help");
    first = true;
    for (int i = 0; i < ntopics; i++)
        put_word(sh, topics[i].name, topics[i].summary, &first);
    for (int i = 0; i < n; i++) {
        bool is_topic = false;
        for (int j = 0; j < ntopics; j++)
            is_topic = is_topic || strcmp(topics[j].name, cmds[i].name) == 0;
        if (!is_topic)
            put_word(sh, cmds[i].name, cmds[i].summary, &first);
    }
    level_close(sh);
    for (int i = 0; i < n; i++)
        if (cmds[i].subs)
            put_levels(sh, cmds[i].name, cmds[i].subs);
    printf("    esac\n}\n\n");
}

static void put_values_function(enum shell sh)
{
    printf("_da_values() {\n");
    if (sh == ZSH)
        printf("    reply=()\n");
    printf("    case \"$1\" in\n");
    for (size_t i = 0; i < ARRAY_LEN(option_values); i++)
        printf(sh == BASH ? "    %s) echo '%s' ;;\n" : "    %s) reply=(%s) ;;\n",
               option_values[i].option, option_values[i].values);
    printf("    esac\n}\n\n");
}

static const char bash_main[] =
    "_da() {\n"
    "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
    "    local da=${COMP_WORDS[0]} cmdpath='' key='' start=1 i w subs ph\n"
    "    da=${da/#\\~/$HOME}\n"
    "    COMPREPLY=()\n"
    "    if [[ $COMP_CWORD -gt 1 && ${COMP_WORDS[1]} == help ]]; then start=2; key=help; fi\n"
    "    # walk the command path typed so far: each word must be a subcommand of the last\n"
    "    for ((i = start; i < COMP_CWORD; i++)); do\n"
    "        w=${COMP_WORDS[i]}\n"
    "        subs=$(_da_subs \"$key\")\n"
    "        [[ -n $subs && \" $subs \" == *\" $w \"* ]] || break\n"
    "        cmdpath=${cmdpath:+$cmdpath }$w\n"
    "        key=$cmdpath\n"
    "    done\n"
    "    subs=$(_da_subs \"$key\")\n"
    "    if [[ $i -eq $COMP_CWORD && -n $subs && $cur != -* ]]; then\n"
    "        COMPREPLY=($(compgen -W \"$subs\" -- \"$cur\"))\n"
    "        return\n"
    "    fi\n"
    "    if [[ $start -eq 2 ]]; then compopt +o default 2>/dev/null; return; fi\n"
    "    subs=$(_da_values \"$prev\")\n"
    "    if [[ -n $subs ]]; then\n"
    "        COMPREPLY=($(compgen -W \"$subs\" -- \"$cur\"))\n"
    "        return\n"
    "    fi\n"
    "    if [[ $cur == -* ]]; then\n"
    "        subs=$(\"$da\" $cmdpath --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]*' |"
    " sort -u)\n"
    "        COMPREPLY=($(compgen -W \"$subs\" -- \"$cur\"))\n"
    "        return\n"
    "    fi\n"
    "    if [[ $prev == --?* ]]; then\n"
    "        # the placeholder the help shows after the option: FILE, DIR, URL, ...\n"
    "        ph=$(\"$da\" $cmdpath --help 2>/dev/null | grep -oE -- \"$prev[ =][A-Z][A-Z_]*\" |"
    " head -n 1)\n"
    "        ph=${ph##*[ =]}\n"
    "        case $ph in\n"
    "        '' | FILE | *_FILE | DIR | *_DIR | PATH) ;;\n"
    "        *) compopt +o default 2>/dev/null; return ;;\n"
    "        esac\n"
    "    fi\n"
    "    # anything else: bash's own file name completion (-o default)\n"
    "}\n"
    "\n"
    "complete -o default -F _da da\n";

static const char zsh_main[] =
    "_da() {\n"
    "    local da=${words[1]} cmdpath= key= w ph cur=${words[CURRENT]} prev=${words[CURRENT-1]}\n"
    "    local -i i start=2\n"
    "    local -a reply names\n"
    "    da=${da/#\\~/$HOME}\n"
    "    if (( CURRENT > 2 )) && [[ ${words[2]} == help ]]; then start=3; key=help; fi\n"
    "    # walk the command path typed so far: each word must be a subcommand of the last\n"
    "    for (( i = start; i < CURRENT; i++ )); do\n"
    "        w=${words[i]}\n"
    "        _da_subs \"$key\"\n"
    "        names=(${reply%%:*})\n"
    "        (( ${names[(Ie)$w]} )) || break\n"
    "        cmdpath=${cmdpath:+$cmdpath }$w\n"
    "        key=$cmdpath\n"
    "    done\n"
    "    _da_subs \"$key\"\n"
    "    if (( i == CURRENT && $#reply )) && [[ $cur != -* ]]; then\n"
    "        _describe -t commands 'da command' reply\n"
    "        return\n"
    "    fi\n"
    "    (( start == 3 )) && return 1\n"
    "    _da_values \"$prev\"\n"
    "    if (( $#reply )); then compadd -a reply; return; fi\n"
    "    if [[ $cur == -* ]]; then\n"
    "        reply=(${(f)\"$($da ${=cmdpath} --help 2>/dev/null |"
    " grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)\"})\n"
    "        compadd -a reply\n"
    "        return\n"
    "    fi\n"
    "    if [[ $prev == --?* ]]; then\n"
    "        # the placeholder the help shows after the option: FILE, DIR, URL, ...\n"
    "        ph=$($da ${=cmdpath} --help 2>/dev/null | grep -oE -- \"${prev}[ =][A-Z][A-Z_]*\" |"
    " head -n 1)\n"
    "        ph=${ph##*[ =]}\n"
    "        case $ph in\n"
    "        '') ;;\n"
    "        DIR | *_DIR) _files -/; return ;;\n"
    "        FILE | *_FILE | PATH) _files; return ;;\n"
    "        *) _message -e values \"$ph\"; return 1 ;;\n"
    "        esac\n"
    "    fi\n"
    "    _files\n"
    "}\n"
    "\n"
    "if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then\n"
    "    _da \"$@\"\n"
    "else\n"
    "    compdef _da da\n"
    "fi\n";

int cmd_completion(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            completion_help();
            return 0;
        }
    if (argc != 2)
        return cmd_usage_error("completion", "give the shell: bash or zsh; see 'da completion "
                                             "--help'");
    enum shell sh;
    if (strcmp(argv[1], "bash") == 0)
        sh = BASH;
    else if (strcmp(argv[1], "zsh") == 0)
        sh = ZSH;
    else
        return cmd_usage_error("completion",
                               "no completion for '%s': the shells are bash and "
                               "zsh",
                               argv[1]);
    if (sh == ZSH)
        printf("#compdef da\n");
    printf("# %s completion for da, generated by 'da completion %s'. Install: see\n"
           "# 'da completion --help'. Command names come from da's tables; options from\n"
           "# 'da COMMAND --help' at completion time.\n\n",
           argv[1], argv[1]);
    put_subs_function(sh);
    put_values_function(sh);
    fputs(sh == BASH ? bash_main : zsh_main, stdout);
    return 0;
}
