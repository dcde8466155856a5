/*
 * aimark detect: synthetic-speech detection on audio files (per-file
 * verdict, optional per-window timeline) and on a live raw PCM stream.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aimark/audio.h"
#include "aimark/detect.h"
#include "cli.h"

static const char DETECT_HELP[] =
    "Usage: aimark detect [--json] [--segments] [--model PATH] [--threshold X] [-j N] FILE|DIR...\n"
    "       aimark detect --live --rate R [--channels C] [--json] [--model PATH] [--threshold X]\n"
    "\n"
    "Score speech for signs of synthesis (text-to-speech, vocoders). The score is\n"
    "a calibrated log-likelihood ratio: higher = more likely synthetic, 0 = no\n"
    "evidence either way. A file is called synthetic when its score is above the\n"
    "threshold (the model's own, set for at most 1% false alarms on bona fide\n"
    "speech of its development set). Audio is scored in 2 s windows every 0.5 s;\n"
    "windows without voice are skipped. This is evidence, not proof: see\n"
    "docs/DETECTOR.md for what the shipped model was trained on and where it fails.\n"
    "\n"
    "  --json          one JSON object per file per line\n"
    "  --segments      add the per-window scores (the timeline)\n"
    "  --model PATH    a model blob instead of the built-in one\n"
    "  --threshold X   verdict threshold instead of the model's\n"
    "  -j, --jobs N    worker threads (default: all cores)\n"
    "  --live          read raw signed 16-bit little-endian PCM on stdin and print\n"
    "                  each window's score as it comes, then a summary\n"
    "  --rate R        sample rate of the live stream (8000..192000)\n"
    "  --channels C    channels of the live stream (default 1)\n"
    "\n"
    "Files: anything the audio layer decodes (WAV, FLAC, MP3, Ogg, MP4/M4A, ...);\n"
    "in folders, files that are not audio are skipped. Exit status: 0 nothing synthetic,\n"
    "1 some file (or the live stream) scored synthetic, 2 usage error, 3 some file\n"
    "could not be read.\n";

typedef struct detect_ctx {
    const aim_detect_model *model;
    double threshold;
    int json, segments;
} detect_ctx;

/* ---- files ------------------------------------------------------------------- */

#define BLOCK 4096

static void put_num(strbuf *sb, double v)
{
    if (isfinite(v))
        sb_printf(sb, "%.4f", v);
    else
        sb_puts(sb, "null");
}

static void detect_one(void *vctx, job *j)
{
    detect_ctx *ctx = vctx;
    strbuf sb = {0}, seg = {0};
    aim_diag dg;
    int rc;
    aim_audio_reader *ar = NULL;
    aim_audio_info info;
    aim_detector *d = NULL;
    float *buf = NULL;
    size_t nseg = 0;
    memset(&dg, 0, sizeof dg);
    if (j->open_errno) {
        rc = AIM_ERR_IO;
        snprintf(dg.message, sizeof dg.message, "cannot read folder: %s", strerror(j->open_errno));
    } else {
        rc = aim_audio_reader_open(j->path, &ar, &info, &dg);
    }
    if ((rc == AIM_ERR_UNKNOWN_FORMAT || rc == AIM_ERR_UNSUPPORTED) && !j->explicit_) {
        j->skipped = 1;
        goto done;
    }
    if (rc == AIM_OK) {
        aim_detect_config cfg;
        aim_detect_config_init(&cfg);
        cfg.sample_rate = info.sample_rate;
        cfg.channels = info.channels;
        cfg.threshold = ctx->threshold;
        rc = aim_detector_new(ctx->model, &cfg, &d);
        if (rc == AIM_ERR_INVALID_ARG)
            snprintf(dg.message, sizeof dg.message, "%d Hz, %d channels: not supported",
                     info.sample_rate, info.channels);
        buf = malloc(BLOCK * (size_t)info.channels * sizeof *buf);
        if (rc == AIM_OK && !buf)
            rc = AIM_ERR_NOMEM;
        size_t n = 0;
        aim_detect_window win;
        while (rc == AIM_OK) {
            rc = aim_audio_reader_read(ar, buf, BLOCK, &n, &dg);
            if (rc != AIM_OK)
                break;
            rc = n ? aim_detector_push(d, buf, n) : aim_detector_finish(d);
            while (ctx->segments && aim_detector_next_window(d, &win)) {
                if (ctx->json) {
                    sb_printf(&seg, "%s{\"start\":%.2f,\"end\":%.2f,\"score\":",
                              nseg++ ? "," : "", win.start_s, win.end_s);
                    put_num(&seg, win.score);
                    sb_puts(&seg, "}");
                } else {
                    sb_printf(&seg, "  %7.2f-%7.2f s %8.2f\n", win.start_s, win.end_s, win.score);
                }
            }
            if (!n)
                break;
        }
    }
    if (rc != AIM_OK) {
        const char *msg = dg.message[0] ? dg.message : aim_strerror(rc);
        if (ctx->json) {
            sb_puts(&sb, "{\"file\":");
            sb_json_str(&sb, j->path);
            sb_puts(&sb, ",\"error\":");
            sb_json_str(&sb, msg);
            sb_puts(&sb, "}\n");
        } else {
            sb_printf(&sb, "%s: error: %s\n", j->path, msg);
        }
        j->status = EXIT_FILE_ERRORS;
        goto done;
    }
    aim_detect_result r;
    aim_detector_result(d, &r);
    if (ctx->json) {
        sb_puts(&sb, "{\"file\":");
        sb_json_str(&sb, j->path);
        sb_puts(&sb, ",\"score\":");
        put_num(&sb, r.score);
        sb_printf(&sb, ",\"synthetic\":%s,\"threshold\":", r.synthetic ? "true" : "false");
        put_num(&sb, r.threshold);
        sb_printf(&sb, ",\"windows\":%zu,\"seconds\":%.2f,\"model\":", r.n_windows, r.seconds);
        sb_json_str(&sb, aim_detect_model_name(ctx->model));
        if (ctx->segments) {
            sb_puts(&sb, ",\"segments\":[");
            if (seg.len)
                sb_put(&sb, seg.p, seg.len);
            sb_puts(&sb, "]");
        }
        sb_puts(&sb, "}\n");
    } else {
        if (r.n_windows)
            sb_printf(&sb, "%-9s %8.2f  %s\n", r.synthetic ? "SYNTHETIC" : "bona-fide", r.score,
                      j->path);
        else
            sb_printf(&sb, "%-9s %8s  %s\n", "no-speech", "-", j->path);
        if (seg.len)
            sb_put(&sb, seg.p, seg.len);
    }
    j->status = r.synthetic ? EXIT_AI_FOUND : EXIT_NONE_FOUND;
done:
    aim_audio_reader_free(ar);
    aim_detector_free(d);
    free(buf);
    sb_free(&seg);
    j->line = sb_take(&sb);
}

/* ---- live -------------------------------------------------------------------- */

static int live(const detect_ctx *ctx, int rate, int channels)
{
    aim_detect_config cfg;
    aim_detect_config_init(&cfg);
    cfg.sample_rate = rate;
    cfg.channels = channels;
    cfg.threshold = ctx->threshold;
    aim_detector *d = NULL;
    if (aim_detector_new(ctx->model, &cfg, &d) != AIM_OK)
        return usage_error("detect", "bad --rate or --channels", NULL);
    size_t fb = 2 * (size_t)channels, cap = (size_t)rate / 10; /* 0.1 s blocks */
    unsigned char *raw = malloc(cap * fb);
    float *buf = malloc(cap * (size_t)channels * sizeof *buf);
    if (!raw || !buf) {
        free(raw);
        free(buf);
        aim_detector_free(d);
        return EXIT_FILE_ERRORS;
    }
    size_t have = 0;
    for (int eof = 0; !eof;) {
        ssize_t g = read(STDIN_FILENO, raw + have, cap * fb - have);
        if (g < 0 && errno == EINTR)
            continue;
        if (g <= 0)
            eof = 1;
        else
            have += (size_t)g;
        size_t frames = have / fb;
        if (frames && (eof || have == cap * fb || g > 0)) {
            for (size_t i = 0; i < frames * (size_t)channels; i++)
                buf[i] = (float)(int16_t)(raw[2 * i] | raw[2 * i + 1] << 8) / 32768.0f;
            aim_detector_push(d, buf, frames);
            memmove(raw, raw + frames * fb, have - frames * fb);
            have -= frames * fb;
        }
        if (eof)
            aim_detector_finish(d);
        aim_detect_window w;
        aim_detect_result r;
        while (aim_detector_next_window(d, &w)) {
            aim_detector_result(d, &r);
            int syn = w.score > r.threshold;
            if (ctx->json)
                printf("{\"start\":%.2f,\"end\":%.2f,\"score\":%.4f,\"synthetic\":%s,"
                       "\"running\":%.4f}\n",
                       w.start_s, w.end_s, w.score, syn ? "true" : "false", r.score);
            else
                printf("%8.2f-%8.2f s  %8.2f  %s  (running %.2f)\n", w.start_s, w.end_s, w.score,
                       syn ? "SYNTHETIC" : "bona-fide", r.score);
            fflush(stdout);
        }
    }
    aim_detect_result r;
    aim_detector_result(d, &r);
    if (ctx->json) {
        printf("{\"live\":true,\"score\":");
        if (isfinite(r.score))
            printf("%.4f", r.score);
        else
            printf("null");
        printf(",\"synthetic\":%s,\"windows\":%zu,\"seconds\":%.2f,\"model\":\"%s\"}\n",
               r.synthetic ? "true" : "false", r.n_windows, r.seconds,
               aim_detect_model_name(ctx->model));
    } else {
        printf("total %.2f s, %zu windows, score %.2f: %s\n", r.seconds, r.n_windows, r.score,
               r.n_windows ? (r.synthetic ? "SYNTHETIC" : "bona-fide") : "no speech");
    }
    free(raw);
    free(buf);
    aim_detector_free(d);
    return r.synthetic ? EXIT_AI_FOUND : EXIT_NONE_FOUND;
}

int cmd_detect(int argc, char **argv)
{
    detect_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.threshold = NAN;
    int jobs = default_jobs(), live_mode = 0, rate = 0, channels = 1, nfiles = 0;
    const char *model_path = NULL;
    char **files = calloc((size_t)argc + 1, sizeof *files);
    if (!files)
        return EXIT_FILE_ERRORS;
    int rc = -1;
    for (int i = 1; i < argc && rc < 0; i++) {
        const char *v;
        int r;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(DETECT_HELP, stdout);
            rc = 0;
        } else if (strcmp(argv[i], "--json") == 0) {
            ctx.json = 1;
        } else if (strcmp(argv[i], "--segments") == 0) {
            ctx.segments = 1;
        } else if (strcmp(argv[i], "--live") == 0) {
            live_mode = 1;
        } else if ((r = arg_value(argc, argv, &i, "--model", &v))) {
            if (r < 0)
                rc = EXIT_USAGE;
            model_path = v;
        } else if ((r = arg_value(argc, argv, &i, "--threshold", &v))) {
            char *end = NULL;
            if (r < 0 || !*v || (ctx.threshold = strtod(v, &end), *end) || !isfinite(ctx.threshold))
                rc = usage_error("detect", "bad --threshold value", r < 0 ? NULL : v);
        } else if ((r = arg_value(argc, argv, &i, "--rate", &v))) {
            if (r < 0 || (rate = atoi(v)) < AIM_DETECT_MIN_RATE || rate > AIM_DETECT_MAX_RATE)
                rc = usage_error("detect", "bad --rate value", r < 0 ? NULL : v);
        } else if ((r = arg_value(argc, argv, &i, "--channels", &v))) {
            if (r < 0 || (channels = atoi(v)) < 1 || channels > AIM_DETECT_MAX_CHANNELS)
                rc = usage_error("detect", "bad --channels value", r < 0 ? NULL : v);
        } else if ((r = arg_value(argc, argv, &i, "--jobs", &v)) ||
                   (r = arg_value(argc, argv, &i, "-j", &v))) {
            if (r < 0 || !(jobs = parse_jobs(v)))
                rc = usage_error("detect", "bad --jobs value", r < 0 ? NULL : v);
        } else if (strcmp(argv[i], "--") == 0) {
            for (i++; i < argc; i++)
                files[nfiles++] = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            rc = usage_error("detect", "unknown option", argv[i]);
        } else {
            files[nfiles++] = argv[i];
        }
    }
    if (rc < 0 && live_mode && (rate == 0 || nfiles))
        rc = usage_error("detect", "--live needs --rate and no FILE", NULL);
    if (rc < 0 && !live_mode && nfiles == 0)
        rc = usage_error("detect", "no FILE or DIR given", NULL);
    aim_detect_model *m = NULL;
    if (rc < 0) {
        aim_diag dg;
        memset(&dg, 0, sizeof dg);
        int e = model_path ? aim_detect_model_load_file(model_path, &m, &dg)
                           : aim_detect_model_default(&m);
        if (e != AIM_OK) {
            fprintf(stderr, "aimark detect: cannot load model %s: %s\n",
                    model_path ? model_path : "(built-in)", dg.message[0] ? dg.message : aim_strerror(e));
            rc = EXIT_FILE_ERRORS;
        }
    }
    if (rc < 0) {
        ctx.model = m;
        if (live_mode) {
            rc = live(&ctx, rate, channels);
        } else {
            walker *w = walker_new(files, nfiles);
            rc = w ? pool_run(w, jobs, detect_one, &ctx, "scored") : EXIT_FILE_ERRORS;
            walker_free(w);
        }
    }
    aim_detect_model_free(m);
    free(files);
    return rc;
}
