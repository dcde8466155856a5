#include <string.h>

#include "cli.h"

int arg_value(int argc, char **argv, int *i, const char *name, const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n] != 0)
        return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "aimark: option %s needs a value\n", name);
        return -1;
    }
    *val = argv[++*i];
    return 1;
}

int usage_error(const char *cmd, const char *msg, const char *arg)
{
    if (arg)
        fprintf(stderr, "aimark %s: %s: %s\n", cmd, msg, arg);
    else
        fprintf(stderr, "aimark %s: %s\n", cmd, msg);
    fprintf(stderr, "Try 'aimark %s --help'.\n", cmd);
    return EXIT_USAGE;
}
