/*
 * Atomic file replacement: write everything to a temporary file in the
 * destination's folder, fsync it, give it the mode of the file it replaces,
 * rename it over the destination and fsync the folder. Until the rename the
 * destination is untouched; a crash leaves at most a stray temp file
 * (named ".<name>.aimark-XXXXXX").
 */
#ifndef AIM_CORE_ATOMIC_H
#define AIM_CORE_ATOMIC_H

#include <sys/types.h>

typedef struct atomic_file {
    int fd;
    char *tmp_path;
    char *dest_path;
    mode_t mode;
    int have_mode;
} atomic_file;

/* Open a temp file for dest. `mode_from` (may be NULL) names the file whose
 * permission bits the result gets (the input when replacing in place). */
int atomic_open(atomic_file *a, const char *dest, const char *mode_from);
/* fsync, chmod, rename over dest, fsync dir. Closes and frees either way. */
int atomic_commit(atomic_file *a);
/* Remove the temp file, leave dest alone. Safe after a failed commit. */
void atomic_abort(atomic_file *a);

#endif
