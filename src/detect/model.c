/* Model blob parser and validator, and the per-frame / per-window maths. */
#include "detect/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/bytes.h"
#include "core/diag.h"

typedef struct {
    char name[16];
    uint32_t dtype, ndim, dims[4], offset, nbytes, crc;
    size_t count;
    const unsigned char *data;
} tensor;

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float rdf(const unsigned char *p)
{
    uint32_t u = rd32(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static const tensor *find(const tensor *t, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0)
            return &t[i];
    return NULL;
}

/* The tensor `name` must exist, be f32 and have exactly these dims. */
static int need(const tensor *t, uint32_t n, const char *name, uint32_t ndim, uint32_t d0,
                uint32_t d1, uint32_t d2, const tensor **out, aim_diag *diag)
{
    const tensor *x = find(t, n, name);
    if (!x)
        return diag_fail(diag, AIM_ERR_CORRUPT, "model: tensor '%s' missing", name);
    uint32_t want[4] = {d0, d1, d2, 1};
    if (x->dtype != 0 || x->ndim != ndim)
        return diag_fail(diag, AIM_ERR_CORRUPT, "model: tensor '%s' has the wrong type or rank",
                         name);
    for (uint32_t i = 0; i < ndim; i++)
        if (x->dims[i] != want[i])
            return diag_fail(diag, AIM_ERR_CORRUPT,
                             "model: tensor '%s' dim %u is %u, expected %u", name, i,
                             x->dims[i], want[i]);
    *out = x;
    return AIM_OK;
}

static const float *F(const tensor *x)
{
    return (const float *)(const void *)x->data;
}

static int parse_gmm(aim_detect_model *m, const tensor *t, uint32_t n, aim_diag *diag)
{
    const tensor *w = find(t, n, "bona.logw");
    if (!w || w->ndim != 1)
        return diag_fail(diag, AIM_ERR_CORRUPT, "model: GMM without bona.logw");
    uint32_t c = w->dims[0];
    if (c < 1 || c > DET_MAX_GMM_COMP)
        return diag_fail(diag, AIM_ERR_LIMIT, "model: %u GMM components", c);
    m->ncomp = (int)c;
    static const char *const cls[2] = {"bona", "spoof"};
    for (int k = 0; k < 2; k++) {
        char nm[16];
        const tensor *lw, *mu, *iv;
        int rc;
        snprintf(nm, sizeof nm, "%s.logw", cls[k]);
        if ((rc = need(t, n, nm, 1, c, 1, 1, &lw, diag)) != AIM_OK)
            return rc;
        snprintf(nm, sizeof nm, "%s.mu", cls[k]);
        if ((rc = need(t, n, nm, 2, c, LFCC_DIM, 1, &mu, diag)) != AIM_OK)
            return rc;
        snprintf(nm, sizeof nm, "%s.ivar", cls[k]);
        if ((rc = need(t, n, nm, 2, c, LFCC_DIM, 1, &iv, diag)) != AIM_OK)
            return rc;
        m->mu[k] = F(mu);
        m->ivar[k] = F(iv);
        m->gconst[k] = malloc(c * sizeof(float));
        if (!m->gconst[k])
            return diag_fail(diag, AIM_ERR_NOMEM, "model: out of memory");
        for (uint32_t i = 0; i < c; i++) {
            double g = F(lw)[i] - 0.5 * LFCC_DIM * log(2.0 * 3.14159265358979323846);
            for (int d = 0; d < LFCC_DIM; d++) {
                float v = m->ivar[k][i * LFCC_DIM + d];
                if (!(v > 0))
                    return diag_fail(diag, AIM_ERR_CORRUPT, "model: GMM precision <= 0");
                g += 0.5 * log(v);
            }
            if (!isfinite(g))
                return diag_fail(diag, AIM_ERR_CORRUPT, "model: GMM constant overflows");
            m->gconst[k][i] = (float)g;
        }
    }
    m->emb_dim = 1;
    return AIM_OK;
}

static int parse_nn(aim_detect_model *m, const tensor *t, uint32_t n, aim_diag *diag)
{
    const tensor *arch = find(t, n, "arch");
    if (!arch || arch->dtype != 1 || arch->ndim != 1 || arch->dims[0] < 3)
        return diag_fail(diag, AIM_ERR_CORRUPT, "model: NN without a valid 'arch'");
    const unsigned char *a = arch->data;
    int32_t L = (int32_t)rd32(a);
    if (L < 1 || L > DET_MAX_LAYERS || arch->dims[0] != (uint32_t)(1 + 2 * L))
        return diag_fail(diag, AIM_ERR_LIMIT, "model: bad layer count");
    m->n_layers = L;
    int rc;
    const tensor *x;
    if ((rc = need(t, n, "norm.mean", 1, LFCC_DIM, 1, 1, &x, diag)) != AIM_OK)
        return rc;
    m->norm_mean = F(x);
    if ((rc = need(t, n, "norm.istd", 1, LFCC_DIM, 1, 1, &x, diag)) != AIM_OK)
        return rc;
    m->norm_istd = F(x);
    int in = LFCC_DIM;
    for (int l = 0; l < L; l++) {
        det_conv *c = &m->conv[l];
        int32_t k = (int32_t)rd32(a + 4 * (1 + 2 * l)), d = (int32_t)rd32(a + 4 * (2 + 2 * l));
        if (k < 1 || k > DET_MAX_KERNEL || d < 1 || d > DET_MAX_DILATION)
            return diag_fail(diag, AIM_ERR_LIMIT, "model: layer %d kernel/dilation", l);
        char nm[24]; /* "conv" + any int + ".w" */
        snprintf(nm, sizeof nm, "conv%d.w", l);
        const tensor *w = find(t, n, nm);
        if (!w || w->ndim != 3)
            return diag_fail(diag, AIM_ERR_CORRUPT, "model: '%s' missing", nm);
        uint32_t o2 = w->dims[2];
        if (o2 < 2 || o2 % 2 || o2 > 2 * DET_MAX_CHANNELS)
            return diag_fail(diag, AIM_ERR_LIMIT, "model: layer %d width", l);
        if ((rc = need(t, n, nm, 3, (uint32_t)k, (uint32_t)in, o2, &w, diag)) != AIM_OK)
            return rc;
        snprintf(nm, sizeof nm, "conv%d.b", l);
        const tensor *b;
        if ((rc = need(t, n, nm, 1, o2, 1, 1, &b, diag)) != AIM_OK)
            return rc;
        c->k = k;
        c->dil = d;
        c->in = in;
        c->out = (int)(o2 / 2);
        c->w = F(w);
        c->b = F(b);
        in = c->out;
    }
    m->emb_dim = in;
    const tensor *h1 = find(t, n, "head1.w");
    if (!h1 || h1->ndim != 2 || h1->dims[1] < 2 || h1->dims[1] % 2 ||
        h1->dims[1] > 2 * DET_MAX_HEAD)
        return diag_fail(diag, AIM_ERR_CORRUPT, "model: bad head1.w");
    uint32_t h2 = h1->dims[1];
    if ((rc = need(t, n, "head1.w", 2, 2 * (uint32_t)in, h2, 1, &x, diag)) != AIM_OK)
        return rc;
    m->h1w = F(x);
    if ((rc = need(t, n, "head1.b", 1, h2, 1, 1, &x, diag)) != AIM_OK)
        return rc;
    m->h1b = F(x);
    m->head = (int)(h2 / 2);
    if ((rc = need(t, n, "head2.w", 1, h2 / 2, 1, 1, &x, diag)) != AIM_OK)
        return rc;
    m->h2w = F(x);
    if ((rc = need(t, n, "head2.b", 1, 1, 1, 1, &x, diag)) != AIM_OK)
        return rc;
    m->h2b = F(x);
    return AIM_OK;
}

static int parse(aim_detect_model *m, aim_diag *diag)
{
    const unsigned char *p = m->blob;
    size_t n = m->blob_len;
    if (n < 8 || memcmp(p, DET_MAGIC, 8) != 0)
        return diag_fail(diag, AIM_ERR_UNKNOWN_FORMAT, "model: not an aimark detector model");
    if (n < DET_HEADER_BYTES + 4)
        return diag_fail(diag, AIM_ERR_TRUNCATED, "model: header truncated");
    uint32_t ver = rd32(p + 8), type = rd32(p + 12), nt = rd32(p + 16), total = rd32(p + 20);
    if (ver != DET_FORMAT_VERSION)
        return diag_fail(diag, AIM_ERR_UNSUPPORTED, "model: format version %u", ver);
    if (total != n)
        return diag_fail(diag, total > n ? AIM_ERR_TRUNCATED : AIM_ERR_CORRUPT,
                         "model: size field %u but %zu bytes", total, n);
    uLong crc = crc32(0L, p, (uInt)(n - 4));
    if ((uint32_t)crc != rd32(p + n - 4))
        return diag_fail(diag, AIM_ERR_CORRUPT, "model: checksum mismatch");
    if (type != DET_TYPE_GMM && type != DET_TYPE_NN)
        return diag_fail(diag, AIM_ERR_UNSUPPORTED, "model: type %u", type);
    if (nt < 1 || nt > DET_MAX_TENSORS)
        return diag_fail(diag, AIM_ERR_LIMIT, "model: %u tensors", nt);
    /* name: printable ASCII, NUL-terminated inside 32 bytes */
    size_t nl = 0;
    while (nl < 32 && p[24 + nl])
        if (p[24 + nl] < 0x20 || p[24 + nl] > 0x7e)
            return diag_fail(diag, AIM_ERR_CORRUPT, "model: name not printable");
        else
            nl++;
    if (nl == 0 || nl == 32)
        return diag_fail(diag, AIM_ERR_CORRUPT, "model: bad name");
    uint32_t mver = rd32(p + 56);
    snprintf(m->name, sizeof m->name, "%.*s %u", (int)nl, (const char *)p + 24, mver);
    m->calib_a = rdf(p + 60);
    m->calib_b = rdf(p + 64);
    m->threshold = rdf(p + 68);
    if (!isfinite(m->calib_a) || !(m->calib_a > 0) || !isfinite(m->calib_b) ||
        !isfinite(m->threshold))
        return diag_fail(diag, AIM_ERR_CORRUPT, "model: bad calibration");
    uint32_t fe = rd32(p + 72);
    if (fe != DET_FRONTEND_RAW && fe != DET_FRONTEND_COND)
        return diag_fail(diag, AIM_ERR_UNSUPPORTED, "model: front-end %u", fe);
    m->frontend = (int)fe;
    if (rd32(p + 76))
        return diag_fail(diag, AIM_ERR_CORRUPT, "model: reserved field not zero");
    size_t table_end = DET_HEADER_BYTES + (size_t)nt * DET_TENSOR_BYTES;
    if (table_end > n - 4)
        return diag_fail(diag, AIM_ERR_TRUNCATED, "model: tensor table truncated");
    tensor t[DET_MAX_TENSORS];
    size_t next = table_end;
    for (uint32_t i = 0; i < nt; i++) {
        const unsigned char *e = p + DET_HEADER_BYTES + (size_t)i * DET_TENSOR_BYTES;
        tensor *x = &t[i];
        memcpy(x->name, e, 16);
        if (memchr(x->name, 0, 16) == NULL || x->name[0] == 0)
            return diag_fail(diag, AIM_ERR_CORRUPT, "model: tensor %u name", i);
        x->dtype = rd32(e + 16);
        x->ndim = rd32(e + 20);
        x->offset = rd32(e + 40);
        x->nbytes = rd32(e + 44);
        x->crc = rd32(e + 48);
        if (x->dtype > 1 || x->ndim < 1 || x->ndim > 4)
            return diag_fail(diag, AIM_ERR_CORRUPT, "model: tensor '%s' type/rank", x->name);
        size_t count = 1;
        for (int d = 0; d < 4; d++) {
            x->dims[d] = rd32(e + 24 + 4 * d);
            if (x->dims[d] < 1 || x->dims[d] > DET_MAX_DIM || ((uint32_t)d >= x->ndim && x->dims[d] != 1))
                return diag_fail(diag, AIM_ERR_LIMIT, "model: tensor '%s' dims", x->name);
            count *= x->dims[d]; /* <= 65536^2 before the check below: no overflow */
            if (count > DET_MAX_ELEMS)
                return diag_fail(diag, AIM_ERR_LIMIT, "model: tensor '%s' too large", x->name);
        }
        x->count = count;
        if (x->nbytes != count * 4)
            return diag_fail(diag, AIM_ERR_CORRUPT, "model: tensor '%s' byte count", x->name);
        if (x->offset % 4 || x->offset < next || x->offset > n - 4 ||
            x->nbytes > n - 4 - x->offset)
            return diag_fail(diag, AIM_ERR_CORRUPT, "model: tensor '%s' offset", x->name);
        next = (size_t)x->offset + x->nbytes;
        x->data = p + x->offset;
        if ((uint32_t)crc32(0L, x->data, (uInt)x->nbytes) != x->crc)
            return diag_fail(diag, AIM_ERR_CORRUPT, "model: tensor '%s' checksum", x->name);
        if (x->dtype == 0)
            for (size_t j = 0; j < count; j++)
                if (!isfinite(rdf(x->data + 4 * j)))
                    return diag_fail(diag, AIM_ERR_CORRUPT, "model: tensor '%s' not finite",
                                     x->name);
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(t[j].name, x->name) == 0)
                return diag_fail(diag, AIM_ERR_CORRUPT, "model: tensor '%s' twice", x->name);
    }
    m->type = (int)type;
    return type == DET_TYPE_GMM ? parse_gmm(m, t, nt, diag) : parse_nn(m, t, nt, diag);
}

int det_model_parse(const void *data, size_t n, aim_detect_model **out, aim_diag *diag)
{
    if (!out || (!data && n))
        return AIM_ERR_INVALID_ARG;
    *out = NULL;
    if (diag)
        diag->message[0] = 0;
    if (n > AIM_DETECT_MAX_MODEL_BYTES)
        return diag_fail(diag, AIM_ERR_LIMIT, "model: larger than %u bytes",
                         AIM_DETECT_MAX_MODEL_BYTES);
    aim_detect_model *m = calloc(1, sizeof *m);
    /* float tensors are read in place: the copy must be 4-aligned (malloc is) */
    if (!m || !(m->blob = malloc(n ? n : 1))) {
        free(m);
        return AIM_ERR_NOMEM;
    }
    if (n)
        memcpy(m->blob, data, n);
    m->blob_len = n;
    int rc = parse(m, diag);
    if (rc != AIM_OK) {
        aim_detect_model_free(m);
        return rc;
    }
    *out = m;
    return AIM_OK;
}

void aim_detect_model_free(aim_detect_model *m)
{
    if (!m)
        return;
    free(m->gconst[0]);
    free(m->gconst[1]);
    free(m->blob);
    free(m);
}

/* ---- per-frame ----------------------------------------------------------- */

struct det_frame_state {
    /* per layer: ring of span = (k-1)*dil + 1 input frames */
    float *ring[DET_MAX_LAYERS];
    size_t span[DET_MAX_LAYERS];
    size_t pos; /* frames seen */
    float *tmp; /* 2 * max width */
    float *act; /* layer input buffer, max width */
};

det_frame_state *det_frame_state_new(const aim_detect_model *m)
{
    det_frame_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (m->type == DET_TYPE_NN) {
        size_t wmax = LFCC_DIM;
        for (int l = 0; l < m->n_layers; l++) {
            const det_conv *c = &m->conv[l];
            s->span[l] = (size_t)(c->k - 1) * (size_t)c->dil + 1;
            s->ring[l] = calloc(s->span[l] * (size_t)c->in, sizeof(float));
            if (!s->ring[l]) {
                det_frame_state_free(s);
                return NULL;
            }
            if ((size_t)c->out * 2 > wmax)
                wmax = (size_t)c->out * 2;
        }
        s->tmp = malloc(wmax * sizeof(float));
        s->act = malloc(wmax * sizeof(float));
        if (!s->tmp || !s->act) {
            det_frame_state_free(s);
            return NULL;
        }
    }
    return s;
}

void det_frame_state_free(det_frame_state *s)
{
    if (!s)
        return;
    for (int l = 0; l < DET_MAX_LAYERS; l++)
        free(s->ring[l]);
    free(s->tmp);
    free(s->act);
    free(s);
}

void det_frame_state_reset(det_frame_state *s)
{
    s->pos = 0;
}

static double gmm_ll(const aim_detect_model *m, int k, const float *x)
{
    /* log-sum-exp over components, in double */
    double best = -INFINITY, sum = 0;
    for (int i = 0; i < m->ncomp; i++) {
        const float *mu = m->mu[k] + (size_t)i * LFCC_DIM, *iv = m->ivar[k] + (size_t)i * LFCC_DIM;
        float q = 0;
        for (int d = 0; d < LFCC_DIM; d++) {
            float z = x[d] - mu[d];
            q += z * z * iv[d];
        }
        double l = (double)m->gconst[k][i] - 0.5 * (double)q;
        if (l > best) {
            sum = sum * exp(best - l) + 1.0;
            best = l;
        } else {
            sum += exp(l - best);
        }
    }
    return best + log(sum);
}

void det_frame(const aim_detect_model *m, det_frame_state *s, const float *feat, float *emb)
{
    if (m->type == DET_TYPE_GMM) {
        emb[0] = (float)(gmm_ll(m, 1, feat) - gmm_ll(m, 0, feat));
        return;
    }
    float *x = s->act;
    for (int d = 0; d < LFCC_DIM; d++)
        x[d] = (feat[d] - m->norm_mean[d]) * m->norm_istd[d];
    size_t t = s->pos++;
    for (int l = 0; l < m->n_layers; l++) {
        const det_conv *c = &m->conv[l];
        size_t span = s->span[l], in = (size_t)c->in, o2 = 2 * (size_t)c->out;
        memcpy(s->ring[l] + (t % span) * in, x, in * sizeof *x);
        float *y = s->tmp;
        const float *hist[DET_MAX_KERNEL];
        int taps = 0;
        for (int j = 0; j < c->k; j++) {
            size_t back = (size_t)j * (size_t)c->dil;
            if (back > t)
                break; /* before the first frame: zero padding */
            hist[taps++] = s->ring[l] + ((t - back) % span) * in;
        }
        /* blocks of 16 outputs kept in registers; each output accumulates
         * bias + taps x inputs in a fixed order (no reassociation) */
        for (size_t ob = 0; ob < o2; ob += 16) {
            size_t nb = o2 - ob < 16 ? o2 - ob : 16;
            float acc[16];
            memcpy(acc, c->b + ob, nb * sizeof *acc);
            for (int j = 0; j < taps; j++) {
                const float *h = hist[j], *w = c->w + (size_t)j * in * o2 + ob;
                if (nb == 16) {
                    for (size_t i = 0; i < in; i++) {
                        const float hv = h[i], *wr = w + i * o2;
                        for (int q = 0; q < 16; q++)
                            acc[q] += hv * wr[q];
                    }
                } else {
                    for (size_t i = 0; i < in; i++)
                        for (size_t q = 0; q < nb; q++)
                            acc[q] += h[i] * w[i * o2 + q];
                }
            }
            memcpy(y + ob, acc, nb * sizeof *acc);
        }
        size_t half = (size_t)c->out;
        for (size_t o = 0; o < half; o++)
            x[o] = y[o] > y[o + half] ? y[o] : y[o + half];
    }
    memcpy(emb, x, (size_t)m->emb_dim * sizeof *emb);
}

size_t det_scratch_floats(const aim_detect_model *m)
{
    return 2 * (size_t)m->emb_dim + 2 * (size_t)(m->head > 0 ? m->head : 1);
}

double det_window_raw(const aim_detect_model *m, const float *emb, const unsigned char *voiced,
                      size_t cap, size_t start, size_t n, float *scratch)
{
    size_t E = (size_t)m->emb_dim, cnt = 0;
    if (m->type == DET_TYPE_GMM) {
        double s = 0;
        for (size_t i = 0; i < n; i++) {
            size_t r = (start + i) % cap;
            if (voiced[r]) {
                s += emb[r];
                cnt++;
            }
        }
        return cnt ? s / (double)cnt : 0.0;
    }
    /* mean and std (population, + 1e-5 inside the root) in double */
    double mean[DET_MAX_CHANNELS], sq[DET_MAX_CHANNELS];
    for (size_t e = 0; e < E; e++)
        mean[e] = sq[e] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t r = (start + i) % cap;
        if (!voiced[r])
            continue;
        const float *v = emb + r * E;
        for (size_t e = 0; e < E; e++) {
            mean[e] += v[e];
            sq[e] += (double)v[e] * v[e];
        }
        cnt++;
    }
    if (!cnt)
        return 0.0;
    float *z = scratch, *h = scratch + 2 * E;
    for (size_t e = 0; e < E; e++) {
        double mu = mean[e] / (double)cnt, var = sq[e] / (double)cnt - mu * mu;
        z[e] = (float)mu;
        z[E + e] = (float)sqrt((var > 0 ? var : 0) + 1e-5);
    }
    size_t H2 = 2 * (size_t)m->head;
    memcpy(h, m->h1b, H2 * sizeof *h);
    for (size_t i = 0; i < 2 * E; i++) {
        const float zi = z[i], *wr = m->h1w + i * H2;
        for (size_t o = 0; o < H2; o++)
            h[o] += zi * wr[o];
    }
    double s = m->h2b[0];
    for (size_t o = 0; o < (size_t)m->head; o++) {
        float v = h[o] > h[o + (size_t)m->head] ? h[o] : h[o + (size_t)m->head];
        s += (double)v * m->h2w[o];
    }
    return s;
}
