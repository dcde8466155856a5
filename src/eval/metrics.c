/* Countermeasure metrics, computed as the ASVspoof evaluation packages do
 * (asvspoof5 evaluation-package calculate_modules.py): a stable ascending
 * sort of bona fide then spoof scores, FRR/FAR by cumulative counts, EER at
 * the index minimising |FRR - FAR|, minDCF over the same points. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aimark/eval.h"
#include "core/diag.h"
#include "eval/eval_internal.h"
#include "eval/table.h"

struct aim_eval {
    double *score;
    uint32_t *attack; /* index into names; UINT32_MAX for bona fide */
    size_t n, cap;
    str_table st;
    size_t *names; /* attack name offsets */
    size_t nattack, attack_cap;
    size_t n_bona;
};

void aim_eval_costs_init(aim_eval_costs *c)
{
    if (!c)
        return;
    c->p_spoof = 0.05;
    c->c_miss = 1.0;
    c->c_fa = 10.0;
}

int aim_eval_new(aim_eval **out)
{
    if (!out)
        return AIM_ERR_INVALID_ARG;
    *out = calloc(1, sizeof **out);
    return *out ? AIM_OK : AIM_ERR_NOMEM;
}

void aim_eval_free(aim_eval *e)
{
    if (!e)
        return;
    free(e->score);
    free(e->attack);
    free(e->names);
    st_free(&e->st);
    free(e);
}

static int attack_index(aim_eval *e, const char *name, uint32_t *idx)
{
    size_t i;
    if (st_map_find(&e->st, e->names, name, &i) == AIM_OK) {
        *idx = (uint32_t)i;
        return AIM_OK;
    }
    if (e->nattack >= AIM_EVAL_MAX_ATTACKS)
        return AIM_ERR_LIMIT;
    if (e->nattack == e->attack_cap) {
        size_t c = e->attack_cap ? e->attack_cap * 2 : 16;
        size_t *p = realloc(e->names, c * sizeof *p);
        if (!p)
            return AIM_ERR_NOMEM;
        e->names = p;
        e->attack_cap = c;
    }
    int rc = st_add(&e->st, name, strlen(name), &e->names[e->nattack]);
    if (rc == AIM_OK)
        rc = st_map_insert(&e->st, e->names, e->nattack + 1, e->nattack);
    if (rc != AIM_OK)
        return rc;
    *idx = (uint32_t)e->nattack++;
    return AIM_OK;
}

int aim_eval_add(aim_eval *e, double score, int spoof, const char *attack)
{
    if (!e || !isfinite(score))
        return AIM_ERR_INVALID_ARG;
    if (!attack || !*attack)
        attack = "-";
    size_t an = strlen(attack);
    if (an > AIM_EVAL_MAX_FIELD)
        return AIM_ERR_INVALID_ARG;
    if (e->n >= AIM_EVAL_MAX_TRIALS)
        return AIM_ERR_LIMIT;
    if (e->n == e->cap) {
        size_t c = e->cap ? e->cap * 2 : 1024;
        double *s = realloc(e->score, c * sizeof *s);
        if (!s)
            return AIM_ERR_NOMEM;
        e->score = s;
        uint32_t *a = realloc(e->attack, c * sizeof *a);
        if (!a)
            return AIM_ERR_NOMEM;
        e->attack = a;
        e->cap = c;
    }
    uint32_t idx = UINT32_MAX;
    if (spoof) {
        int rc = attack_index(e, attack, &idx);
        if (rc != AIM_OK)
            return rc;
    } else {
        e->n_bona++;
    }
    e->score[e->n] = score;
    e->attack[e->n] = idx;
    e->n++;
    return AIM_OK;
}

size_t aim_eval_attack_count(const aim_eval *e)
{
    return e ? e->nattack : 0;
}

const char *aim_eval_attack_name(const aim_eval *e, size_t i)
{
    if (!e || i >= e->nattack)
        return NULL;
    return e->st.arena + e->names[i];
}

typedef struct keyed {
    double s;
    size_t pos; /* position in (bona fide..., spoof...): the stable-sort tie-break */
    int bona;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->s < y->s)
        return -1;
    if (x->s > y->s)
        return 1;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

void det_free(det_arrays *d)
{
    free(d->frr);
    free(d->far);
    free(d->thr);
    free(d->bona);
    free(d->spoof);
    memset(d, 0, sizeof *d);
}

int det_build(const aim_eval *e, const char *attack, det_arrays *d, aim_diag *diag)
{
    memset(d, 0, sizeof *d);
    if (!e)
        return AIM_ERR_INVALID_ARG;
    uint32_t want = UINT32_MAX;
    if (attack) {
        size_t i;
        if (st_map_find(&e->st, e->names, attack, &i) != AIM_OK)
            return diag_fail(diag, AIM_ERR_NOT_FOUND, "eval: no spoof trials of attack '%.80s'",
                             attack);
        want = (uint32_t)i;
    }
    size_t nb = 0, ns = 0;
    for (size_t i = 0; i < e->n; i++) {
        if (e->attack[i] == UINT32_MAX)
            nb++;
        else if (want == UINT32_MAX || e->attack[i] == want)
            ns++;
    }
    if (nb == 0)
        return diag_fail(diag, AIM_ERR_NOT_FOUND, "eval: no bona fide trials");
    if (ns == 0)
        return diag_fail(diag, AIM_ERR_NOT_FOUND, "eval: no spoof trials");
    size_t n = nb + ns;
    keyed *k = malloc(n * sizeof *k);
    d->frr = malloc((n + 1) * sizeof *d->frr);
    d->far = malloc((n + 1) * sizeof *d->far);
    d->thr = malloc((n + 1) * sizeof *d->thr);
    d->bona = malloc(nb * sizeof *d->bona);
    d->spoof = malloc(ns * sizeof *d->spoof);
    if (!k || !d->frr || !d->far || !d->thr || !d->bona || !d->spoof) {
        free(k);
        det_free(d);
        return AIM_ERR_NOMEM;
    }
    size_t ib = 0, is = 0;
    for (size_t i = 0; i < e->n; i++) {
        if (e->attack[i] == UINT32_MAX) {
            k[ib] = (keyed){e->score[i], ib, 1};
            d->bona[ib++] = e->score[i];
        } else if (want == UINT32_MAX || e->attack[i] == want) {
            k[nb + is] = (keyed){e->score[i], nb + is, 0};
            d->spoof[is++] = e->score[i];
        }
    }
    qsort(k, n, sizeof *k, cmp_keyed);
    d->frr[0] = 0.0;
    d->far[0] = 1.0;
    d->thr[0] = k[0].s - 0.001;
    /* Tied scores form one threshold (one point after the whole run): the
     * package's per-trial points inside a run depend on the arbitrary order
     * of the ties and report e.g. 100% EER for constant scores. Without ties
     * the points are exactly the package's. */
    size_t tar = 0, m = 1;
    for (size_t i = 0; i < n; i++) {
        tar += (size_t)k[i].bona;
        if (i + 1 < n && k[i + 1].s == k[i].s)
            continue;
        size_t non_below = (i + 1) - tar;
        d->frr[m] = (double)tar / (double)nb;
        d->far[m] = (double)(ns - non_below) / (double)ns;
        d->thr[m] = k[i].s;
        m++;
    }
    free(k);
    d->n = m;
    d->nb = nb;
    d->ns = ns;
    return AIM_OK;
}

/* log(1 + exp(x)) without overflow */
static double softplus(double x)
{
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

int aim_eval_compute(const aim_eval *e, const char *attack, const aim_eval_costs *costs,
                     aim_eval_metrics *m, aim_diag *diag)
{
    if (!e || !m)
        return AIM_ERR_INVALID_ARG;
    aim_eval_costs c;
    aim_eval_costs_init(&c);
    if (costs)
        c = *costs;
    if (!(c.p_spoof > 0 && c.p_spoof < 1) || !(c.c_miss > 0) || !(c.c_fa > 0))
        return AIM_ERR_INVALID_ARG;
    det_arrays d;
    int rc = det_build(e, attack, &d, diag);
    if (rc != AIM_OK)
        return rc;
    memset(m, 0, sizeof *m);
    m->n_bonafide = d.nb;
    m->n_spoof = d.ns;
    size_t best = 0, bestdcf = 0;
    double bestdiff = INFINITY, mindcf = INFINITY;
    double pt = 1.0 - c.p_spoof;
    for (size_t i = 0; i < d.n; i++) {
        double diff = fabs(d.frr[i] - d.far[i]);
        if (diff < bestdiff) {
            bestdiff = diff;
            best = i;
        }
        double dcf = c.c_miss * d.frr[i] * pt + c.c_fa * d.far[i] * c.p_spoof;
        if (dcf < mindcf) {
            mindcf = dcf;
            bestdcf = i;
        }
    }
    double cdef = fmin(c.c_miss * pt, c.c_fa * c.p_spoof);
    m->eer = (d.frr[best] + d.far[best]) / 2.0;
    m->eer_threshold = d.thr[best];
    m->min_dcf = mindcf / cdef;
    m->min_dcf_threshold = d.thr[bestdcf];

    double beta = c.c_miss * pt / (c.c_fa * c.p_spoof);
    double thr = -log(beta);
    size_t miss = 0, fa = 0;
    double lb = 0, ls = 0;
    for (size_t i = 0; i < d.nb; i++) {
        miss += d.bona[i] < thr;
        lb += softplus(-d.bona[i]);
    }
    for (size_t i = 0; i < d.ns; i++) {
        fa += d.spoof[i] >= thr;
        ls += softplus(d.spoof[i]);
    }
    m->act_dcf = (c.c_miss * pt * (double)miss / (double)d.nb +
                  c.c_fa * c.p_spoof * (double)fa / (double)d.ns) / cdef;
    m->cllr = 0.5 * (lb / (double)d.nb + ls / (double)d.ns) / log(2.0);
    det_free(&d);
    return AIM_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int aim_eval_threshold_at_bona_rate(const aim_eval *e, double target, double *threshold,
                                    double *bona_rate, double *spoof_miss)
{
    if (!e || !threshold || !bona_rate || !(target >= 0.0 && target <= 1.0))
        return AIM_ERR_INVALID_ARG;
    if (e->n_bona == 0)
        return AIM_ERR_NOT_FOUND;
    double *b = malloc(e->n_bona * sizeof *b);
    if (!b)
        return AIM_ERR_NOMEM;
    size_t nb = 0, ns = 0;
    for (size_t i = 0; i < e->n; i++)
        if (e->attack[i] == UINT32_MAX)
            b[nb++] = e->score[i];
    qsort(b, nb, sizeof *b, cmp_double);
    /* at most floor(target * nb) bona fide trials may score below */
    double kk = floor(target * (double)nb + 1e-9);
    size_t k = kk >= (double)nb ? nb : (size_t)kk;
    double thr = k < nb ? b[k] : nextafter(b[nb - 1], INFINITY);
    size_t below = 0;
    while (below < nb && b[below] < thr)
        below++;
    free(b);
    size_t acc = 0;
    for (size_t i = 0; i < e->n; i++)
        if (e->attack[i] != UINT32_MAX) {
            ns++;
            acc += e->score[i] >= thr;
        }
    *threshold = thr;
    *bona_rate = (double)below / (double)nb;
    if (spoof_miss)
        *spoof_miss = ns ? (double)acc / (double)ns : NAN;
    return AIM_OK;
}

int aim_eval_det(const aim_eval *e, const char *attack, aim_det_point *pts, size_t cap, size_t *n,
                 aim_diag *diag)
{
    if (!e || !n)
        return AIM_ERR_INVALID_ARG;
    det_arrays d;
    int rc = det_build(e, attack, &d, diag);
    if (rc != AIM_OK)
        return rc;
    size_t count = d.n;
    for (size_t i = 0; pts && i < d.n && i < cap; i++)
        pts[i] = (aim_det_point){d.thr[i], d.frr[i], d.far[i]};
    det_free(&d);
    *n = count;
    if (pts && cap < count)
        return AIM_ERR_BUFFER_TOO_SMALL;
    return AIM_OK;
}
