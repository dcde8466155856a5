/* Watermark detection in a file: decode once, feed one detector per key,
 * analyse in overlapping windows, report segments in file time. */
#include <stdlib.h>
#include <string.h>

#include "audio/audio_internal.h"
#include "core/diag.h"

#define MAX_KEYS 16

void aim_audio_wm_opts_init(aim_audio_wm_opts *o)
{
    if (o)
        o->window_s = 30.0;
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

static int run_all(aim_wm_detector **det, size_t n_keys, aim_wm_result *results, aim_diag *d)
{
    for (size_t k = 0; k < n_keys; k++) {
        aim_wm_result r;
        memset(&r, 0, sizeof r);
        int rc = aim_wm_detector_run(det[k], &r);
        if (rc)
            return diag_fail(d, rc, "wm: detector failed");
        if (r.sync_score > results[k].sync_score && !results[k].found)
            results[k].sync_score = r.sync_score;
        if (!r.found)
            continue;
        if (!results[k].found) {
            results[k] = r;
        } else if (r.payload == results[k].payload) {
            merge(&results[k], &r);
            if (r.sync_score > results[k].sync_score)
                results[k].sync_score = r.sync_score;
        }
    }
    return AIM_OK;
}

int aim_audio_wm_detect_file(const char *path, const aim_wm_key *keys, size_t n_keys,
                             const aim_audio_wm_opts *opts, aim_wm_result *results, double *duration_s,
                             aim_diag *d)
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
    if (duration_s)
        *duration_s = 0;
    aim_audio_reader *r = NULL;
    aim_audio_info info;
    int rc = aim_audio_reader_open(path, &r, &info, d);
    if (rc)
        return rc;
    aim_wm_detector *det[MAX_KEYS] = {0};
    float *buf = NULL;
    if (info.sample_rate < AIM_WM_MIN_RATE || info.sample_rate > AIM_WM_MAX_RATE ||
        info.channels > AIM_WM_MAX_CHANNELS) {
        rc = diag_fail(d, AIM_ERR_UNSUPPORTED, "wm: %d Hz is outside the watermark's %d-%d Hz",
                       info.sample_rate, AIM_WM_MIN_RATE, AIM_WM_MAX_RATE);
        goto out;
    }
    aim_wm_detect_config cfg;
    aim_wm_detect_config_init(&cfg);
    cfg.sample_rate = info.sample_rate;
    cfg.channels = info.channels;
    cfg.max_seconds = window;
    for (size_t k = 0; k < n_keys && rc == AIM_OK; k++)
        rc = aim_wm_detector_new(&cfg, &keys[k], &det[k]);
    if (rc) {
        rc = diag_fail(d, rc, "wm: cannot create a detector");
        goto out;
    }
    buf = malloc((size_t)AUD_BLOCK * (size_t)info.channels * sizeof *buf);
    if (!buf) {
        rc = AIM_ERR_NOMEM;
        goto out;
    }
    /* The detector keeps the last `window` seconds (dropping a quarter at
     * a time); analysing every half window gives overlapping views, so a
     * mark is never seen only across a window edge. */
    uint64_t total = 0, since = 0;
    uint64_t win = (uint64_t)(window * info.sample_rate), hop = win / 2;
    for (;;) {
        size_t got = 0;
        if ((rc = aim_audio_reader_read(r, buf, AUD_BLOCK, &got, d)) != AIM_OK || got == 0)
            break;
        for (size_t k = 0; k < n_keys && rc == AIM_OK; k++)
            rc = aim_wm_detector_feed(det[k], buf, got);
        if (rc)
            break;
        total += got;
        since += got;
        if (total >= win && since >= hop) {
            if ((rc = run_all(det, n_keys, results, d)) != AIM_OK)
                break;
            since = 0;
        }
    }
    if (rc == AIM_OK && (since > 0 || total < win))
        rc = run_all(det, n_keys, results, d);
    if (duration_s)
        *duration_s = (double)total / info.sample_rate;
out:
    for (size_t k = 0; k < n_keys; k++)
        aim_wm_detector_free(det[k]);
    free(buf);
    aim_audio_reader_free(r);
    return rc;
}
