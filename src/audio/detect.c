/* Watermark detection in a file: decode once, feed one detector per key,
 * analyse in overlapping windows, report segments in file time. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio/audio_internal.h"
#include "core/diag.h"

#define MAX_KEYS 16
#define PRESENCE_PFA 1e-12 /* a file's presence decision, as a decode's bound */

void aim_audio_wm_opts_init(aim_audio_wm_opts *o)
{
    if (o) {
        memset(o, 0, sizeof *o);
        o->window_s = 60.0;
    }
}

/* Union of r's segments into acc (same payload), kept sorted. */
static void merge(aim_wm_result *acc, const aim_wm_result *r)
{
    aim_wm_segment all[2 * AIM_WM_MAX_SEGMENTS];
    size_t n = 0;
    for (size_t i = 0; i < acc->n_segments; i++)
        all[n++] = acc->segments[i];
    for (size_t i = 0; i < r->n_segments && i < AIM_WM_MAX_SEGMENTS; i++)
        all[n++] = r->segments[i];
    for (size_t i = 1; i < n; i++) /* insertion sort: n <= 64 */
        for (size_t j = i; j > 0 && all[j].start_s < all[j - 1].start_s; j--) {
            aim_wm_segment t = all[j];
            all[j] = all[j - 1];
            all[j - 1] = t;
        }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && all[i].start_s <= acc->segments[m - 1].end_s + 0.05) {
            if (all[i].end_s > acc->segments[m - 1].end_s)
                acc->segments[m - 1].end_s = all[i].end_s;
        } else if (m < AIM_WM_MAX_SEGMENTS) {
            acc->segments[m++] = all[i];
        }
    }
    acc->n_segments = m;
}

/* Fold one window's result into the file's result for that key. */
static void merge_result(aim_wm_result *acc, const aim_wm_result *r)
{
    if (!r->found) {
        if (!acc->found && r->sync_score > acc->sync_score)
            acc->sync_score = r->sync_score;
        return;
    }
    if (!acc->found) {
        *acc = *r;
    } else if (r->payload == acc->payload) {
        merge(acc, r);
        if (r->sync_score > acc->sync_score)
            acc->sync_score = r->sync_score;
    }
}

/* Fold one window's presence test into the file's: the best z, the
 * hypotheses of every window added (the union bound covers them all). */
static void merge_presence(aim_wm_presence *acc, const aim_wm_presence *p, double t0)
{
    if (p->hypotheses < 1)
        return;
    if (acc->hypotheses < 1 || p->z > acc->z) {
        acc->z = p->z;
        acc->speed = p->speed;
        acc->pitch = p->pitch;
        acc->start_s = p->start_s + t0;
        acc->end_s = p->end_s + t0;
    }
    acc->hypotheses += p->hypotheses;
    double lp = log(acc->hypotheses) - 0.5 * acc->z * acc->z;
    acc->pfa = acc->z > 0 && lp < 0 ? exp(lp) : 1.0;
    acc->present = acc->pfa <= PRESENCE_PFA;
}

/* Run every detector over the current window and merge its results,
 * shifted by the window's start, into results; where a key decodes
 * nothing and pcfg is set, test its presence into presence[]. */
static int run_window(aim_wm_detector **det, size_t n_keys, double t0, aim_wm_result *results,
                      const aim_wm_presence_config *pcfg, aim_wm_presence *presence, aim_diag *d)
{
    for (size_t k = 0; k < n_keys; k++) {
        aim_wm_result r;
        memset(&r, 0, sizeof r);
        int rc = aim_wm_detector_run(det[k], &r);
        if (rc)
            return diag_fail(d, rc, "wm: detector failed");
        for (size_t i = 0; i < r.n_segments && i < AIM_WM_MAX_SEGMENTS; i++) {
            r.segments[i].start_s += t0;
            r.segments[i].end_s += t0;
        }
        merge_result(&results[k], &r);
        if (pcfg && presence && !r.found) {
            aim_wm_presence p;
            if ((rc = aim_wm_detector_presence(det[k], pcfg, &p)) != AIM_OK)
                return diag_fail(d, rc, "wm: presence test failed");
            merge_presence(&presence[k], &p, t0);
        }
    }
    return AIM_OK;
}

int aim_audio_wm_detect_file(const char *path, const aim_wm_key *keys, size_t n_keys,
                             const aim_audio_wm_opts *opts, aim_wm_result *results, double *duration_s,
                             aim_diag *d)
{
    return aim_audio_wm_detect_file_ex(path, keys, n_keys, opts, results, NULL, duration_s, d);
}

int aim_audio_wm_detect_file_ex(const char *path, const aim_wm_key *keys, size_t n_keys,
                                const aim_audio_wm_opts *opts, aim_wm_result *results,
                                aim_wm_presence *presence, double *duration_s, aim_diag *d)
{
    if (!path || !keys || !results || n_keys == 0)
        return AIM_ERR_INVALID_ARG;
    if (n_keys > MAX_KEYS)
        return diag_fail(d, AIM_ERR_LIMIT, "wm: at most %d keys per run", MAX_KEYS);
    aim_audio_wm_opts def;
    aim_audio_wm_opts_init(&def);
    double window = opts ? opts->window_s : def.window_s;
    if (!(window >= 12.0 && window <= 600.0))
        return AIM_ERR_INVALID_ARG;
    memset(results, 0, n_keys * sizeof *results);
    aim_wm_presence_config pcfg_v, *pcfg = NULL;
    if (presence) {
        memset(presence, 0, n_keys * sizeof *presence);
        for (size_t k = 0; k < n_keys; k++)
            presence[k].pfa = 1.0;
        if (opts && opts->presence) {
            aim_wm_presence_config_init(&pcfg_v);
            pcfg_v.payload_known = opts->payload_known != 0;
            pcfg_v.payload = opts->payload;
            pcfg_v.max_pfa = PRESENCE_PFA;
            pcfg = &pcfg_v;
        }
    }
    if (duration_s)
        *duration_s = 0;
    aim_audio_reader *r = NULL;
    aim_audio_info info;
    int rc = aim_audio_reader_open(path, &r, &info, d);
    if (rc)
        return rc;
    aim_wm_detector *det[MAX_KEYS] = {0};
    float *buf = NULL, *mono = NULL, *ring = NULL;
    if (info.sample_rate < AIM_WM_MIN_RATE || info.sample_rate > AIM_WM_MAX_RATE) {
        rc = diag_fail(d, AIM_ERR_UNSUPPORTED, "wm: %d Hz is outside the watermark's %d-%d Hz",
                       info.sample_rate, AIM_WM_MIN_RATE, AIM_WM_MAX_RATE);
        goto out;
    }
    /* Windows of `window` seconds overlapping by a quarter (at least 10 s
     * so a mark that needs ~8 s is whole in one of them). The detectors
     * are fed a mono downmix (they downmix anyway), so the overlap kept
     * for re-feeding is one channel whatever the channel count. */
    uint64_t rate = (uint64_t)info.sample_rate;
    uint64_t win = (uint64_t)(window * (double)rate);
    uint64_t ov = win / 4 > 10 * rate ? win / 4 : 10 * rate;
    aim_wm_detect_config cfg;
    aim_wm_detect_config_init(&cfg);
    cfg.sample_rate = info.sample_rate;
    cfg.channels = 1;
    cfg.max_seconds = window + 1.0 <= 600.0 ? window + 1.0 : 600.0;
    for (size_t k = 0; k < n_keys && rc == AIM_OK; k++)
        rc = aim_wm_detector_new(&cfg, &keys[k], &det[k]);
    if (rc) {
        rc = diag_fail(d, rc, "wm: cannot create a detector");
        goto out;
    }
    size_t ch = (size_t)info.channels;
    buf = malloc((size_t)AUD_BLOCK * ch * sizeof *buf);
    mono = malloc((size_t)AUD_BLOCK * sizeof *mono);
    ring = malloc((size_t)ov * sizeof *ring);
    if (!buf || !mono || !ring) {
        rc = AIM_ERR_NOMEM;
        goto out;
    }
    uint64_t total = 0, start = 0, fed = 0; /* frames: decoded, window start, in window */
    for (;;) {
        size_t got = 0;
        if ((rc = aim_audio_reader_read(r, buf, AUD_BLOCK, &got, d)) != AIM_OK || got == 0)
            break;
        for (size_t i = 0; i < got; i++) {
            float s = 0;
            for (size_t c = 0; c < ch; c++)
                s += buf[i * ch + c];
            mono[i] = s / (float)ch;
        }
        for (size_t i = 0; i < got;) {
            size_t n = got - i;
            if (n > win - fed)
                n = (size_t)(win - fed);
            for (size_t k = 0; k < n_keys && rc == AIM_OK; k++)
                rc = aim_wm_detector_feed(det[k], mono + i, n);
            for (size_t j = 0; j < n; j++)
                ring[(total + j) % ov] = mono[i + j];
            if (rc)
                goto out;
            total += n;
            fed += n;
            i += n;
            if (fed < win)
                continue;
            if ((rc = run_window(det, n_keys, (double)start / (double)rate, results, pcfg, presence, d)) != AIM_OK)
                goto out;
            /* Next window: starts `ov` frames before the end of this one. */
            start = total - ov;
            for (size_t k = 0; k < n_keys; k++) {
                aim_wm_detector_reset(det[k]);
                size_t a = (size_t)(total % ov); /* oldest kept frame */
                rc = aim_wm_detector_feed(det[k], ring + a, (size_t)ov - a);
                if (rc == AIM_OK && a)
                    rc = aim_wm_detector_feed(det[k], ring, a);
                if (rc)
                    goto out;
            }
            fed = ov;
        }
    }
    /* The last, partial window (unless it is only the overlap, already seen). */
    if (rc == AIM_OK && (start == 0 || fed > ov))
        rc = run_window(det, n_keys, (double)start / (double)rate, results, pcfg, presence, d);
    if (duration_s)
        *duration_s = (double)total / (double)rate;
    /* a key that decoded is present; its earlier windows' presence tests
     * (before the decode) are moot */
    for (size_t k = 0; presence && k < n_keys; k++)
        if (results[k].found) {
            memset(&presence[k], 0, sizeof presence[k]);
            presence[k].present = 1;
        }
out:
    for (size_t k = 0; k < n_keys; k++)
        aim_wm_detector_free(det[k]);
    free(buf);
    free(mono);
    free(ring);
    aim_audio_reader_free(r);
    return rc;
}
