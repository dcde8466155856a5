/* aimark: command-line front end. Dispatches to one file per subcommand. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char HELP[] =
    "Usage: aimark COMMAND [options] FILE...\n"
    "\n"
    "Label, verify and detect AI-generated audio and images (GB 45438-2025,\n"
    "CAC Labeling Measures, EU AI Act Art. 50).\n"
    "\n"
    "Commands:\n"
    "  label       write the implicit AIGC metadata label (generators)\n"
    "  propagate   add the platform's propagation fields (platforms)\n"
    "  check       read labels and classify: confirmed/possible/suspected/none\n"
    "  eval        score a spoofing countermeasure on an ASVspoof protocol\n"
    "  detect      score speech for signs of synthesis (files or a live stream)\n"
    "  wm          audio watermark: keygen, embed, detect (files and live streams)\n"
    "  version     print the version\n"
    "\n"
    "Run 'aimark COMMAND --help' for a command's options. No command removes a\n"
    "label: the Labeling Measures (Art. 10) forbid tools that strip them.\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(HELP, stderr);
        return EXIT_USAGE;
    }
    const char *c = argv[1];
    /* check reads visible labels with tesseract, which parallelises each
     * call with OpenMP; check already runs a file per core, and OpenMP's
     * spinning threads on top of that cost 2-7x the time on a busy machine.
     * libgomp reads OMP_THREAD_LIMIT only when it is loaded, so set it and
     * run again, once (a failed exec just goes on). */
    if (strcmp(c, "check") == 0 && !getenv("OMP_THREAD_LIMIT")) {
        setenv("OMP_THREAD_LIMIT", "1", 1);
        execv("/proc/self/exe", argv);
    }
    if (strcmp(c, "label") == 0)
        return cmd_label(argc - 1, argv + 1);
    if (strcmp(c, "propagate") == 0)
        return cmd_propagate(argc - 1, argv + 1);
    if (strcmp(c, "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    if (strcmp(c, "eval") == 0)
        return cmd_eval(argc - 1, argv + 1);
    if (strcmp(c, "detect") == 0)
        return cmd_detect(argc - 1, argv + 1);
    if (strcmp(c, "wm") == 0)
        return cmd_wm(argc - 1, argv + 1);
    if (strcmp(c, "version") == 0 || strcmp(c, "--version") == 0) {
        printf("aimark %s\n", aim_version());
        return 0;
    }
    if (strcmp(c, "help") == 0 || strcmp(c, "--help") == 0 || strcmp(c, "-h") == 0) {
        fputs(HELP, stdout);
        return 0;
    }
    fprintf(stderr, "aimark: unknown command '%s'\n\n%s", c, HELP);
    return EXIT_USAGE;
}
