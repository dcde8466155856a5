#include "core/atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aimark/aimark.h"

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    size_t n = (size_t)(slash - path);
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, path, n);
        d[n] = 0;
    }
    return d;
}

int atomic_open(atomic_file *a, const char *dest, const char *mode_from)
{
    memset(a, 0, sizeof *a);
    a->fd = -1;
    struct stat st;
    if (mode_from && stat(mode_from, &st) == 0) {
        a->mode = st.st_mode & 07777;
        a->have_mode = 1;
    } else if (stat(dest, &st) == 0) {
        a->mode = st.st_mode & 07777;
        a->have_mode = 1;
    }
    const char *slash = strrchr(dest, '/');
    const char *base = slash ? slash + 1 : dest;
    size_t dlen = (size_t)(base - dest);
    size_t n = dlen + 1 + strlen(base) + sizeof(".aimark-XXXXXX");
    a->tmp_path = malloc(n);
    a->dest_path = strdup(dest);
    if (!a->tmp_path || !a->dest_path) {
        atomic_abort(a);
        return AIM_ERR_NOMEM;
    }
    snprintf(a->tmp_path, n, "%.*s.%s.aimark-XXXXXX", (int)dlen, dest, base);
    a->fd = mkstemp(a->tmp_path);
    if (a->fd < 0) {
        free(a->tmp_path);
        a->tmp_path = NULL;
        atomic_abort(a);
        return AIM_ERR_IO;
    }
    return AIM_OK;
}

int atomic_commit(atomic_file *a)
{
    int rc = AIM_OK;
    if (a->have_mode && fchmod(a->fd, a->mode) != 0)
        rc = AIM_ERR_IO;
    if (rc == AIM_OK && fsync(a->fd) != 0)
        rc = AIM_ERR_IO;
    if (close(a->fd) != 0 && rc == AIM_OK)
        rc = AIM_ERR_IO;
    a->fd = -1;
    if (rc == AIM_OK && rename(a->tmp_path, a->dest_path) != 0)
        rc = AIM_ERR_IO;
    if (rc != AIM_OK) {
        atomic_abort(a);
        return rc;
    }
    char *dir = dir_of(a->dest_path);
    if (dir) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY);
        if (dfd >= 0) {
            fsync(dfd); /* best effort: the rename itself has happened */
            close(dfd);
        }
        free(dir);
    }
    free(a->tmp_path);
    free(a->dest_path);
    a->tmp_path = a->dest_path = NULL;
    return AIM_OK;
}

void atomic_abort(atomic_file *a)
{
    if (a->fd >= 0)
        close(a->fd);
    a->fd = -1;
    if (a->tmp_path)
        unlink(a->tmp_path);
    free(a->tmp_path);
    free(a->dest_path);
    a->tmp_path = a->dest_path = NULL;
}
