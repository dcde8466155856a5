/*
 * Yields the files named on the command line, and every regular file under
 * the folders named there (recursively, depth-first, in directory order).
 * Memory is bounded by the folder depth, not the number of files: nothing
 * is collected or sorted. Symlinks to folders are not followed (no loops);
 * our own stray temp files (".NAME.aimark-XXXXXX") are skipped.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

#define MAX_DEPTH 128

typedef struct frame {
    DIR *dir;
    size_t path_len; /* length of this folder's path in w->path */
    size_t rel_len;
} frame;

struct walker {
    char **ops;
    int n_ops, next_op;
    frame stack[MAX_DEPTH];
    int depth;
    char *path, *rel; /* current path buffers */
    size_t path_cap, rel_cap;
};

walker *walker_new(char **paths, int n)
{
    walker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->ops = paths;
    w->n_ops = n;
    return w;
}

static int set_str(char **buf, size_t *cap, size_t at, const char *s)
{
    size_t n = strlen(s);
    if (at + n + 2 > *cap) {
        size_t c = (at + n + 2) * 2;
        char *p = realloc(*buf, c);
        if (!p)
            return -1;
        *buf = p;
        *cap = c;
    }
    memcpy(*buf + at, s, n + 1);
    return 0;
}

static int is_temp_name(const char *name)
{
    return name[0] == '.' && strstr(name, ".aimark-") != NULL;
}

void walker_free(walker *w)
{
    if (!w)
        return;
    while (w->depth > 0)
        closedir(w->stack[--w->depth].dir);
    free(w->path);
    free(w->rel);
    free(w);
}

int walker_next(walker *w, const char **path, const char **rel, int *explicit_, int *err)
{
    *err = 0;
    for (;;) {
        if (w->depth > 0) {
            frame *f = &w->stack[w->depth - 1];
            errno = 0;
            struct dirent *e = readdir(f->dir);
            if (!e) {
                closedir(f->dir);
                w->depth--;
                continue;
            }
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || is_temp_name(e->d_name))
                continue;
            w->path[f->path_len] = '/';
            if (set_str(&w->path, &w->path_cap, f->path_len + 1, e->d_name))
                return -1;
            if (f->rel_len) {
                w->rel[f->rel_len] = '/';
                if (set_str(&w->rel, &w->rel_cap, f->rel_len + 1, e->d_name))
                    return -1;
            } else if (set_str(&w->rel, &w->rel_cap, 0, e->d_name)) {
                return -1;
            }
            int type = e->d_type;
            if (type == DT_UNKNOWN || type == DT_LNK) {
                struct stat st;
                if (lstat(w->path, &st) != 0)
                    continue;
                if (S_ISLNK(st.st_mode)) {
                    if (stat(w->path, &st) != 0 || !S_ISREG(st.st_mode))
                        continue; /* dangling or a link to a folder */
                    type = DT_REG;
                } else {
                    type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
                }
            }
            if (type == DT_DIR) {
                if (w->depth >= MAX_DEPTH)
                    continue;
                DIR *d = opendir(w->path);
                if (!d) {
                    *err = errno;
                    *path = w->path;
                    *rel = w->rel;
                    *explicit_ = 0;
                    return -1;
                }
                frame *nf = &w->stack[w->depth++];
                nf->dir = d;
                nf->path_len = strlen(w->path);
                nf->rel_len = strlen(w->rel);
                continue;
            }
            if (type != DT_REG)
                continue;
            *path = w->path;
            *rel = w->rel;
            *explicit_ = 0;
            return 1;
        }
        if (w->next_op >= w->n_ops)
            return 0;
        const char *op = w->ops[w->next_op++];
        if (set_str(&w->path, &w->path_cap, 0, op))
            return -1;
        /* Drop trailing slashes so joined paths stay tidy. */
        size_t n = strlen(w->path);
        while (n > 1 && w->path[n - 1] == '/')
            w->path[--n] = 0;
        struct stat st;
        if (stat(w->path, &st) == 0 && S_ISDIR(st.st_mode)) {
            DIR *d = opendir(w->path);
            if (!d) {
                *err = errno;
                *path = op;
                *rel = op;
                *explicit_ = 1;
                return -1;
            }
            if (set_str(&w->rel, &w->rel_cap, 0, ""))
                return -1;
            frame *nf = &w->stack[w->depth++];
            nf->dir = d;
            nf->path_len = n;
            nf->rel_len = 0;
            continue;
        }
        const char *slash = strrchr(w->path, '/');
        if (set_str(&w->rel, &w->rel_cap, 0, slash ? slash + 1 : w->path))
            return -1;
        *path = w->path;
        *rel = w->rel;
        *explicit_ = 1;
        return 1;
    }
}
