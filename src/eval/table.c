#include "eval/table.h"

#include <stdlib.h>
#include <string.h>

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

int st_add(str_table *t, const char *s, size_t n, size_t *off)
{
    if (n > SIZE_MAX / 2 - t->len - 1)
        return AIM_ERR_NOMEM;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *p = realloc(t->arena, cap);
        if (!p)
            return AIM_ERR_NOMEM;
        t->arena = p;
        t->cap = cap;
    }
    memcpy(t->arena + t->len, s, n);
    t->arena[t->len + n] = 0;
    *off = t->len;
    t->len += n + 1;
    return AIM_OK;
}

int st_map_find(const str_table *t, const size_t *keys, const char *key, size_t *index)
{
    if (!t->nslots)
        return AIM_ERR_NOT_FOUND;
    size_t mask = t->nslots - 1;
    for (size_t i = (size_t)fnv1a(key) & mask;; i = (i + 1) & mask) {
        size_t v = t->slots[i];
        if (!v)
            return AIM_ERR_NOT_FOUND;
        if (strcmp(t->arena + keys[v - 1], key) == 0) {
            *index = v - 1;
            return AIM_OK;
        }
    }
}

static void place(size_t *slots, size_t mask, const char *key, size_t value)
{
    size_t i = (size_t)fnv1a(key) & mask;
    while (slots[i])
        i = (i + 1) & mask;
    slots[i] = value;
}

int st_map_insert(str_table *t, const size_t *keys, size_t count, size_t index)
{
    /* keep the load under 1/2; rebuild from keys[0..count) when growing */
    if ((count + 1) * 2 > t->nslots) {
        size_t ns = t->nslots ? t->nslots * 2 : 1024;
        while ((count + 1) * 2 > ns)
            ns *= 2;
        size_t *s = calloc(ns, sizeof *s);
        if (!s)
            return AIM_ERR_NOMEM;
        for (size_t i = 0; i < count; i++)
            if (i != index)
                place(s, ns - 1, t->arena + keys[i], i + 1);
        free(t->slots);
        t->slots = s;
        t->nslots = ns;
    }
    place(t->slots, t->nslots - 1, t->arena + keys[index], index + 1);
    return AIM_OK;
}

void st_free(str_table *t)
{
    free(t->arena);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

int tok_split(const char *line, size_t len, tok_line *t, const char **why)
{
    t->count = 0;
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)line[i];
        if (c == ' ' || c == '\t') {
            i++;
            continue;
        }
        size_t start = i;
        while (i < len && line[i] != ' ' && line[i] != '\t') {
            unsigned char d = (unsigned char)line[i];
            if (d < 0x20 || d == 0x7f) {
                *why = "control byte";
                return AIM_ERR_CORRUPT;
            }
            i++;
        }
        if (i - start > AIM_EVAL_MAX_FIELD) {
            *why = "field longer than 255 bytes";
            return AIM_ERR_CORRUPT;
        }
        if (t->count == TOK_MAX) {
            *why = "more than 32 fields";
            return AIM_ERR_CORRUPT;
        }
        t->f[t->count] = line + start;
        t->n[t->count] = i - start;
        t->count++;
    }
    return AIM_OK;
}

int next_line(const char *text, size_t total, size_t *pos, const char **line, size_t *len)
{
    if (*pos >= total)
        return 0;
    const char *s = text + *pos;
    const char *nl = memchr(s, '\n', total - *pos);
    size_t n = nl ? (size_t)(nl - s) : total - *pos;
    *pos += n + (nl ? 1 : 0);
    if (n && s[n - 1] == '\r')
        n--;
    *line = s;
    *len = n;
    return 1;
}
