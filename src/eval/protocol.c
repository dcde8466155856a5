/* ASVspoof-format protocol and score-file parsers (untrusted text: every
 * line, field and count is bounded; errors name the line). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aimark/eval.h"
#include "core/diag.h"
#include "eval/table.h"

typedef struct proto_entry {
    size_t speaker, file_id, attack; /* offsets into the arena */
    int spoof;
} proto_entry;

struct aim_protocol {
    str_table st;
    proto_entry *e;
    size_t *keys; /* file_id offsets, parallel to e, for the hash map */
    size_t n, cap;
};

struct aim_scores {
    str_table st;
    size_t *keys;
    double *score;
    size_t n, cap;
};

static int is_key(const char *f, size_t n, int *spoof)
{
    if ((n == 8 && memcmp(f, "bonafide", 8) == 0) || (n == 9 && memcmp(f, "bona-fide", 9) == 0)) {
        *spoof = 0;
        return 1;
    }
    if (n == 5 && memcmp(f, "spoof", 5) == 0) {
        *spoof = 1;
        return 1;
    }
    return 0;
}

/* Grow two or three parallel arrays to hold one more entry. */
static int grow(void **a, size_t sa, void **b, size_t sb, size_t *cap, size_t n)
{
    if (n < *cap)
        return AIM_OK;
    if (n >= AIM_EVAL_MAX_TRIALS)
        return AIM_ERR_LIMIT;
    size_t c = *cap ? *cap * 2 : 256;
    void *pa = realloc(*a, c * sa);
    if (!pa)
        return AIM_ERR_NOMEM;
    *a = pa;
    void *pb = realloc(*b, c * sb);
    if (!pb)
        return AIM_ERR_NOMEM;
    *b = pb;
    *cap = c;
    return AIM_OK;
}

static int line_too_long(aim_diag *diag, const char *what, size_t lineno)
{
    return diag_fail(diag, AIM_ERR_LIMIT, "%s line %zu: longer than %d bytes", what, lineno,
                     AIM_EVAL_MAX_LINE);
}

int aim_protocol_parse(const char *text, size_t len, aim_protocol **out, aim_diag *diag)
{
    if (!out || (!text && len))
        return AIM_ERR_INVALID_ARG;
    *out = NULL;
    aim_protocol *p = calloc(1, sizeof *p);
    if (!p)
        return AIM_ERR_NOMEM;
    size_t pos = 0, lineno = 0;
    const char *line;
    size_t ll;
    int rc = AIM_OK;
    while (next_line(text, len, &pos, &line, &ll)) {
        lineno++;
        if (ll > AIM_EVAL_MAX_LINE) {
            rc = line_too_long(diag, "protocol", lineno);
            goto fail;
        }
        tok_line t;
        const char *why = NULL;
        if (tok_split(line, ll, &t, &why) != AIM_OK) {
            rc = diag_fail(diag, AIM_ERR_CORRUPT, "protocol line %zu: %s", lineno, why);
            goto fail;
        }
        if (t.count == 0 || t.f[0][0] == '#')
            continue;
        size_t k = 0;
        int spoof = 0;
        for (size_t i = 2; i < t.count; i++)
            if (is_key(t.f[i], t.n[i], &spoof)) {
                k = i;
                break;
            }
        if (t.count < 3 || k == 0) {
            rc = diag_fail(diag, AIM_ERR_CORRUPT,
                           "protocol line %zu: expected 'SPEAKER FILE_ID - ATTACK bonafide|spoof'",
                           lineno);
            goto fail;
        }
        if ((rc = grow((void **)&p->e, sizeof *p->e, (void **)&p->keys, sizeof *p->keys, &p->cap,
                       p->n)) != AIM_OK) {
            if (rc == AIM_ERR_LIMIT)
                diag_fail(diag, rc, "protocol line %zu: more than %u trials", lineno,
                          AIM_EVAL_MAX_TRIALS);
            goto fail;
        }
        proto_entry *e = &p->e[p->n];
        e->spoof = spoof;
        size_t ai = k - 1; /* the attack is the field before the key (2019 LA: "-" for bona fide) */
        if ((rc = st_add(&p->st, t.f[0], t.n[0], &e->speaker)) != AIM_OK ||
            (rc = st_add(&p->st, t.f[1], t.n[1], &e->file_id)) != AIM_OK ||
            (rc = st_add(&p->st, ai >= 2 ? t.f[ai] : "-", ai >= 2 ? t.n[ai] : 1, &e->attack)) !=
                AIM_OK)
            goto fail;
        size_t dup;
        if (st_map_find(&p->st, p->keys, p->st.arena + e->file_id, &dup) == AIM_OK) {
            rc = diag_fail(diag, AIM_ERR_CORRUPT, "protocol line %zu: duplicate FILE_ID '%.80s'",
                           lineno, p->st.arena + e->file_id);
            goto fail;
        }
        p->keys[p->n] = e->file_id;
        if ((rc = st_map_insert(&p->st, p->keys, p->n + 1, p->n)) != AIM_OK)
            goto fail;
        p->n++;
    }
    if (p->n == 0) {
        rc = diag_fail(diag, AIM_ERR_NOT_FOUND, "protocol: no trials");
        goto fail;
    }
    *out = p;
    return AIM_OK;
fail:
    aim_protocol_free(p);
    return rc;
}

size_t aim_protocol_count(const aim_protocol *p)
{
    return p ? p->n : 0;
}

int aim_protocol_get(const aim_protocol *p, size_t i, aim_trial *t)
{
    if (!p || !t || i >= p->n)
        return AIM_ERR_INVALID_ARG;
    const proto_entry *e = &p->e[i];
    t->speaker = p->st.arena + e->speaker;
    t->file_id = p->st.arena + e->file_id;
    t->attack = p->st.arena + e->attack;
    t->spoof = e->spoof;
    return AIM_OK;
}

int aim_protocol_find(const aim_protocol *p, const char *file_id, size_t *index)
{
    if (!p || !file_id || !index)
        return AIM_ERR_INVALID_ARG;
    return st_map_find(&p->st, p->keys, file_id, index);
}

void aim_protocol_free(aim_protocol *p)
{
    if (!p)
        return;
    st_free(&p->st);
    free(p->e);
    free(p->keys);
    free(p);
}

/* Exactly the n bytes of f as a number: 1 finite, -1 a number but not
 * finite (nan, inf, overflow), 0 not a number. */
static int parse_num(const char *f, size_t n, double *v)
{
    char tmp[AIM_EVAL_MAX_FIELD + 1];
    if (n == 0 || n > AIM_EVAL_MAX_FIELD)
        return 0;
    memcpy(tmp, f, n);
    tmp[n] = 0;
    char *end;
    errno = 0;
    double d = strtod(tmp, &end);
    if (end != tmp + n)
        return 0;
    if (!isfinite(d) || errno == ERANGE)
        return errno == ERANGE && isfinite(d) ? (*v = d, 1) : -1; /* underflow is fine */
    *v = d;
    return 1;
}

int aim_scores_parse(const char *text, size_t len, aim_scores **out, aim_diag *diag)
{
    if (!out || (!text && len))
        return AIM_ERR_INVALID_ARG;
    *out = NULL;
    aim_scores *s = calloc(1, sizeof *s);
    if (!s)
        return AIM_ERR_NOMEM;
    size_t pos = 0, lineno = 0, seen = 0;
    const char *line;
    size_t ll;
    int rc = AIM_OK;
    while (next_line(text, len, &pos, &line, &ll)) {
        lineno++;
        if (ll > AIM_EVAL_MAX_LINE) {
            rc = line_too_long(diag, "scores", lineno);
            goto fail;
        }
        tok_line t;
        const char *why = NULL;
        if (tok_split(line, ll, &t, &why) != AIM_OK) {
            rc = diag_fail(diag, AIM_ERR_CORRUPT, "scores line %zu: %s", lineno, why);
            goto fail;
        }
        if (t.count == 0 || t.f[0][0] == '#')
            continue;
        seen++;
        double v = 0;
        int num = t.count < 2 ? 0 : parse_num(t.f[t.count - 1], t.n[t.count - 1], &v);
        if (num != 1) {
            if (seen == 1 && t.count >= 2 && num == 0)
                continue; /* a header line */
            rc = diag_fail(diag, AIM_ERR_CORRUPT,
                           "scores line %zu: expected 'FILE_ID score' with a finite number",
                           lineno);
            goto fail;
        }
        if ((rc = grow((void **)&s->keys, sizeof *s->keys, (void **)&s->score, sizeof *s->score,
                       &s->cap, s->n)) != AIM_OK) {
            if (rc == AIM_ERR_LIMIT)
                diag_fail(diag, rc, "scores line %zu: more than %u scores", lineno,
                          AIM_EVAL_MAX_TRIALS);
            goto fail;
        }
        if ((rc = st_add(&s->st, t.f[0], t.n[0], &s->keys[s->n])) != AIM_OK)
            goto fail;
        size_t dup;
        if (st_map_find(&s->st, s->keys, s->st.arena + s->keys[s->n], &dup) == AIM_OK) {
            rc = diag_fail(diag, AIM_ERR_CORRUPT, "scores line %zu: duplicate FILE_ID '%.80s'",
                           lineno, s->st.arena + s->keys[s->n]);
            goto fail;
        }
        s->score[s->n] = v;
        if ((rc = st_map_insert(&s->st, s->keys, s->n + 1, s->n)) != AIM_OK)
            goto fail;
        s->n++;
    }
    if (s->n == 0) {
        rc = diag_fail(diag, AIM_ERR_NOT_FOUND, "scores: no scores");
        goto fail;
    }
    *out = s;
    return AIM_OK;
fail:
    aim_scores_free(s);
    return rc;
}

size_t aim_scores_count(const aim_scores *s)
{
    return s ? s->n : 0;
}

int aim_scores_find(const aim_scores *s, const char *file_id, double *score)
{
    if (!s || !file_id || !score)
        return AIM_ERR_INVALID_ARG;
    size_t i;
    int rc = st_map_find(&s->st, s->keys, file_id, &i);
    if (rc == AIM_OK)
        *score = s->score[i];
    return rc;
}

void aim_scores_free(aim_scores *s)
{
    if (!s)
        return;
    st_free(&s->st);
    free(s->keys);
    free(s->score);
    free(s);
}
