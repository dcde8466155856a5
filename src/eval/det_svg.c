/* DET curves as SVG: miss (bona fide rejected) against false alarm (spoof
 * accepted) on normal-deviate axes, as in Martin et al. (1997). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aimark/eval.h"
#include "core/atomic.h"
#include "core/buf.h"
#include "core/diag.h"
#include "eval/eval_internal.h"

#define P_LO 0.001 /* axis range: 0.1% .. 80% */
#define P_HI 0.80
#define MAX_CURVES 16 /* pooled + this many attacks at most */
#define MAX_POINTS 1500 /* per curve, after thinning */

/* Inverse of the standard normal CDF by bisection on erfc (|error| < 1e-12
 * for p in [1e-12, 1 - 1e-12]; cheap enough for a few thousand points). */
static double probit(double p)
{
    if (p < 1e-12)
        p = 1e-12;
    if (p > 1 - 1e-12)
        p = 1 - 1e-12;
    double lo = -8.0, hi = 8.0;
    for (int i = 0; i < 60; i++) {
        double mid = 0.5 * (lo + hi);
        if (0.5 * erfc(-mid / sqrt(2.0)) < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void bprintf(aim_buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        buf_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void put_escaped(aim_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': buf_puts(b, "&amp;"); break;
        case '<': buf_puts(b, "&lt;"); break;
        case '>': buf_puts(b, "&gt;"); break;
        case '"': buf_puts(b, "&quot;"); break;
        case '\'': buf_puts(b, "&apos;"); break;
        default:
            if ((unsigned char)*s >= 0x20)
                buf_putc(b, (unsigned char)*s);
        }
    }
}

typedef struct frame {
    double x0, y0, w, h; /* plot area in pixels */
    double lo, hi;       /* probit range */
} frame;

static double px(const frame *f, double p)
{
    double v = (probit(p) - f->lo) / (f->hi - f->lo);
    if (v < -0.02)
        v = -0.02;
    if (v > 1.02)
        v = 1.02;
    return v;
}

static const char *COLORS[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                               "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"};

static void curve(aim_buf *b, const frame *f, const det_arrays *d, const char *color, double width,
                  const char *dash)
{
    size_t step = d->n > MAX_POINTS ? (d->n + MAX_POINTS - 1) / MAX_POINTS : 1;
    bprintf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\"%s%s%s points=\"", color,
            width, dash ? " stroke-dasharray=\"" : "", dash ? dash : "", dash ? "\"" : "");
    for (size_t i = 0; i < d->n; i += step) {
        size_t j = i + step >= d->n ? d->n - 1 : i;
        double x = f->x0 + px(f, d->far[j]) * f->w;
        double y = f->y0 + f->h - px(f, d->frr[j]) * f->h;
        bprintf(b, "%.1f,%.1f ", x, y);
        if (j == d->n - 1)
            break;
    }
    buf_puts(b, "\"/>\n");
}

void aim_eval_svg_config_init(aim_eval_svg_config *cfg)
{
    if (!cfg)
        return;
    cfg->per_attack = 1;
    cfg->width = 640;
    cfg->height = 600;
    cfg->title = NULL;
}

int aim_eval_det_svg(const aim_eval *e, const aim_eval_svg_config *cfg_in, char **svg,
                     size_t *len, aim_diag *diag)
{
    if (!e || !svg)
        return AIM_ERR_INVALID_ARG;
    *svg = NULL;
    aim_eval_svg_config cfg;
    aim_eval_svg_config_init(&cfg);
    if (cfg_in)
        cfg = *cfg_in;
    if (cfg.width < 200 || cfg.width > 4000 || cfg.height < 200 || cfg.height > 4000)
        return AIM_ERR_INVALID_ARG;
    det_arrays pooled;
    int rc = det_build(e, NULL, &pooled, diag);
    if (rc != AIM_OK)
        return rc;
    aim_eval_metrics m;
    rc = aim_eval_compute(e, NULL, NULL, &m, diag);
    if (rc != AIM_OK) {
        det_free(&pooled);
        return rc;
    }
    size_t legend_rows = 1;
    size_t na = cfg.per_attack ? aim_eval_attack_count(e) : 0;
    if (na > MAX_CURVES)
        na = MAX_CURVES;
    legend_rows += na;
    frame f = {70, 40, cfg.width - 90.0, 0, probit(P_LO), probit(P_HI)};
    double legend_h = 16.0 * (double)legend_rows + 10;
    f.h = cfg.height - 100.0 - legend_h;
    if (f.h < 100)
        f.h = 100;
    double H = f.y0 + f.h + 60 + legend_h;

    aim_buf b = AIM_BUF_INIT;
    bprintf(&b,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" "
            "viewBox=\"0 0 %d %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            cfg.width, H, cfg.width, H);
    bprintf(&b, "<text x=\"%.1f\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">",
            f.x0 + f.w / 2);
    put_escaped(&b, cfg.title ? cfg.title : "DET curve");
    buf_puts(&b, "</text>\n");
    /* grid and ticks */
    static const double ticks[] = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8};
    for (size_t i = 0; i < sizeof ticks / sizeof ticks[0]; i++) {
        double t = ticks[i];
        double x = f.x0 + px(&f, t) * f.w, y = f.y0 + f.h - px(&f, t) * f.h;
        bprintf(&b,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n"
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
                x, f.y0, x, f.y0 + f.h, f.x0, y, f.x0 + f.w, y);
        bprintf(&b,
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                x, f.y0 + f.h + 16, t * 100, f.x0 - 6, y + 4, t * 100);
    }
    bprintf(&b,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
            "stroke=\"black\"/>\n",
            f.x0, f.y0, f.w, f.h);
    /* the EER line (miss = false alarm) */
    bprintf(&b,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#aaa\" "
            "stroke-dasharray=\"2,3\"/>\n",
            f.x0, f.y0 + f.h, f.x0 + f.w, f.y0);
    bprintf(&b,
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">False alarm rate: spoof accepted "
            "(%%)</text>\n",
            f.x0 + f.w / 2, f.y0 + f.h + 36);
    bprintf(&b,
            "<text transform=\"translate(18 %.1f) rotate(-90)\" text-anchor=\"middle\">Miss "
            "rate: bona fide rejected (%%)</text>\n",
            f.y0 + f.h / 2);
    bprintf(&b,
            "<defs><clipPath id=\"plot\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
            "height=\"%.1f\"/></clipPath></defs>\n<g clip-path=\"url(#plot)\">\n",
            f.x0, f.y0, f.w, f.h);
    double ly = f.y0 + f.h + 58;
    aim_buf legend = AIM_BUF_INIT;
    for (size_t a = 0; a < na; a++) {
        const char *name = aim_eval_attack_name(e, a);
        det_arrays d;
        aim_eval_metrics am;
        if (det_build(e, name, &d, NULL) != AIM_OK)
            continue;
        if (aim_eval_compute(e, name, NULL, &am, NULL) != AIM_OK) {
            det_free(&d);
            continue;
        }
        const char *col = COLORS[a % 10];
        curve(&b, &f, &d, col, 1.2, a >= 10 ? "5,3" : NULL);
        det_free(&d);
        ly += 16;
        bprintf(&legend,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                "stroke-width=\"2\"%s/>\n<text x=\"%.1f\" y=\"%.1f\">",
                f.x0, ly - 4, f.x0 + 24, ly - 4, col, a >= 10 ? " stroke-dasharray=\"5,3\"" : "",
                f.x0 + 30, ly);
        put_escaped(&legend, name);
        bprintf(&legend, " (EER %.2f%%, %zu spoofs)</text>\n", am.eer * 100, am.n_spoof);
    }
    curve(&b, &f, &pooled, "black", 2.2, NULL);
    det_free(&pooled);
    buf_puts(&b, "</g>\n");
    bprintf(&b,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\" "
            "stroke-width=\"2.5\"/>\n<text x=\"%.1f\" y=\"%.1f\">pooled (EER %.2f%%, minDCF "
            "%.4f, %zu bona fide, %zu spoofs)</text>\n",
            f.x0, f.y0 + f.h + 54, f.x0 + 24, f.y0 + f.h + 54, f.x0 + 30, f.y0 + f.h + 58,
            m.eer * 100, m.min_dcf, m.n_bonafide, m.n_spoof);
    if (legend.err)
        b.err = legend.err;
    else if (legend.len)
        buf_put(&b, legend.p, legend.len);
    buf_free(&legend);
    buf_puts(&b, "</svg>\n");
    buf_putc(&b, 0);
    if (b.err) {
        rc = b.err;
        buf_free(&b);
        return rc;
    }
    *svg = (char *)b.p;
    if (len)
        *len = b.len - 1;
    return AIM_OK;
}

int aim_eval_det_svg_write(const aim_eval *e, const aim_eval_svg_config *cfg, const char *path,
                           aim_diag *diag)
{
    if (!e || !path)
        return AIM_ERR_INVALID_ARG;
    char *svg;
    size_t n;
    int rc = aim_eval_det_svg(e, cfg, &svg, &n, diag);
    if (rc != AIM_OK)
        return rc;
    atomic_file a;
    rc = atomic_open(&a, path, NULL);
    if (rc != AIM_OK) {
        free(svg);
        return diag_fail(diag, rc, "eval: cannot create a temporary file beside %s", path);
    }
    if (!a.have_mode) { /* a new file: readable like any document */
        a.mode = 0644;
        a.have_mode = 1;
    }
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(a.fd, svg + off, n - off);
        if (w <= 0) {
            free(svg);
            atomic_abort(&a);
            return diag_fail(diag, AIM_ERR_IO, "eval: write to %s failed", path);
        }
        off += (size_t)w;
    }
    free(svg);
    rc = atomic_commit(&a);
    if (rc != AIM_OK)
        return diag_fail(diag, rc, "eval: cannot replace %s", path);
    return AIM_OK;
}
