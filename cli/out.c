#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

void sb_put(strbuf *s, const char *text, size_t n)
{
    if (s->oom)
        return;
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 256;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *p = realloc(s->p, cap);
        if (!p) {
            s->oom = 1;
            return;
        }
        s->p = p;
        s->cap = cap;
    }
    memcpy(s->p + s->len, text, n);
    s->len += n;
    s->p[s->len] = 0;
}

void sb_puts(strbuf *s, const char *text) { sb_put(s, text, strlen(text)); }

void sb_printf(strbuf *s, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        sb_put(s, tmp, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        s->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_put(s, big, (size_t)n);
    free(big);
}

/* Length of a valid UTF-8 sequence at p (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    size_t n = (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || (n == 2 && p[0] < 0xC2))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

void sb_json_str(strbuf *s, const char *text)
{
    static const char hex[] = "0123456789abcdef";
    sb_put(s, "\"", 1);
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            sb_put(s, e, 2);
            p++;
        } else if (c < 0x20 || c == 0x7F) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            sb_put(s, e, 6);
            p++;
        } else {
            size_t n = utf8_len(p);
            if (n == 0) {
                sb_puts(s, "\\ufffd");
                p++;
            } else {
                sb_put(s, (const char *)p, n);
                p += n;
            }
        }
    }
    sb_put(s, "\"", 1);
}

void sb_json_label(strbuf *s, const aim_label *l)
{
    sb_put(s, "{", 1);
    for (int i = 0; i < AIM_FIELD_COUNT; i++) {
        if (i)
            sb_put(s, ",", 1);
        sb_json_str(s, aim_field_name((aim_field)i));
        sb_put(s, ":", 1);
        const char *v = aim_label_get(l, (aim_field)i);
        sb_json_str(s, v ? v : "");
    }
    sb_put(s, "}", 1);
}

void sb_json_wm_fields(strbuf *s, const aim_wm_result *r, const char *key_name)
{
    if (!r || !r->found) {
        sb_puts(s, "\"found\":false,\"payload\":null,\"key\":null,\"segments\":[]");
        return;
    }
    sb_printf(s, "\"found\":true,\"payload\":\"%016llx\",\"key\":", (unsigned long long)r->payload);
    sb_json_str(s, key_name ? key_name : "");
    sb_puts(s, ",\"segments\":[");
    for (size_t i = 0; i < r->n_segments && i < AIM_WM_MAX_SEGMENTS; i++)
        sb_printf(s, "%s[%.2f,%.2f]", i ? "," : "", r->segments[i].start_s, r->segments[i].end_s);
    /* time and frequency factors of the clip against the marked original:
     * a tempo change or pitch shift shows here */
    sb_printf(s, "],\"speed\":%.4f,\"pitch\":%.4f", r->speed, r->pitch);
}

void sb_json_presence(strbuf *s, const aim_wm_presence *p, const char *key_name, uint64_t payload)
{
    sb_puts(s, ",\"presence\":{\"key\":");
    sb_json_str(s, key_name ? key_name : "");
    sb_printf(s, ",\"payload\":\"%016llx\",\"z\":%.2f,\"pfa\":%.3g,\"window\":[%.2f,%.2f],"
                 "\"speed\":%.4f,\"pitch\":%.4f}",
              (unsigned long long)payload, p->z, p->pfa, p->start_s, p->end_s, p->speed, p->pitch);
}

int cli_wm_best_present(const aim_wm_presence *p, size_t n)
{
    int best = -1;
    for (size_t i = 0; i < n; i++)
        if (p[i].present && (best < 0 || p[i].z > p[best].z))
            best = (int)i;
    return best;
}

int cli_wm_best(const aim_wm_result *res, size_t n)
{
    int best = -1;
    for (size_t i = 0; i < n; i++)
        if (res[i].found && (best < 0 || res[i].sync_score > res[best].sync_score))
            best = (int)i;
    return best;
}

char *sb_take(strbuf *s)
{
    if (s->oom) {
        sb_free(s);
        return NULL;
    }
    char *p = s->p;
    s->p = NULL;
    s->len = s->cap = 0;
    return p;
}

void sb_free(strbuf *s)
{
    free(s->p);
    memset(s, 0, sizeof *s);
}

/* ---- progress ---------------------------------------------------------------- */

struct progress {
    const char *verb;
    double start, last;
    int shown;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

progress *progress_new(const char *verb)
{
    if (!isatty(STDERR_FILENO))
        return NULL;
    progress *p = calloc(1, sizeof *p);
    if (p) {
        p->verb = verb;
        p->start = p->last = now_s();
    }
    return p;
}

void progress_tick(progress *p, unsigned long done, unsigned long errors)
{
    if (!p)
        return;
    double t = now_s();
    /* Quiet for short runs; then at most ten redraws a second. */
    if (t - p->start < 0.5 || t - p->last < 0.1)
        return;
    p->last = t;
    p->shown = 1;
    double rate = done / (t - p->start);
    fprintf(stderr, "\r\033[K%s %lu files  %.0f files/s  %lu errors  %.1f s", p->verb, done, rate,
            errors, t - p->start);
    fflush(stderr);
}

void progress_done(progress *p)
{
    if (!p)
        return;
    if (p->shown)
        fprintf(stderr, "\r\033[K");
    free(p);
}

int parse_jobs(const char *s)
{
    if (strcmp(s, "auto") == 0)
        return default_jobs();
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < 1 || v > 256)
        return 0;
    return (int)v;
}

int default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}
