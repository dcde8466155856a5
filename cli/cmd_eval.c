/*
 * aimark eval: score an ASVspoof-format protocol and report EER, minDCF,
 * actDCF, Cllr, a per-attack breakdown and (optionally) a DET curve SVG.
 * Scores come from a score file (--scores) or from the detector run on the
 * audio files of --audio DIR.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "aimark/audio.h"
#include "aimark/detect.h"
#include "aimark/eval.h"
#include "cli.h"

static const char EVAL_HELP[] =
    "Usage: aimark eval --protocol PROTOCOL (--scores SCORES | --audio DIR)\n"
    "                   [--json] [--det OUT.svg] [--higher-is-spoof]\n"
    "                   [--model PATH] [--save-scores FILE] [-j N]\n"
    "\n"
    "Evaluate a spoofing countermeasure on a protocol in the ASVspoof 2019 LA\n"
    "format ('SPEAKER FILE_ID - ATTACK bonafide|spoof'; ASVspoof 2021 and 5\n"
    "layouts are read too): EER, minDCF (ASVspoof 5 costs: Pspoof 0.05,\n"
    "Cmiss 1, Cfa 10), actDCF and Cllr for calibrated scores, the threshold\n"
    "for 1% false alarms on bona fide speech, and a per-attack breakdown.\n"
    "\n"
    "  --protocol FILE     the trial list\n"
    "  --scores FILE       precomputed scores, 'FILE_ID score' lines; higher =\n"
    "                      more likely bona fide (the ASVspoof convention)\n"
    "  --higher-is-spoof   the score file is 'higher = more likely synthetic'\n"
    "                      (like 'aimark detect'); scores are negated\n"
    "  --audio DIR         score FILE_ID.{flac,wav,ogg,mp3,m4a,opus} in DIR with the\n"
    "                      detector (its LLR, negated: higher = bona fide)\n"
    "  --model PATH        a detector model blob instead of the built-in one\n"
    "  --save-scores FILE  write the detector's scores ('FILE_ID score', higher =\n"
    "                      bona fide) for a later --scores run\n"
    "  -j, --jobs N        detector threads (default: all cores)\n"
    "  --json              one JSON object on stdout\n"
    "  --det FILE          write the DET curve (pooled and per attack) as SVG\n"
    "\n"
    "Trials without a score or an audio file, and clips in which the detector\n"
    "finds no voiced window, are left out and counted as \"missing\".\n"
    "Metrics and the corpus: docs/EVALUATION.md.\n"
    "\n"
    "Exit status: 0 done, 2 usage error, 3 unreadable input or too few\n"
    "trials to evaluate.\n";

#define MAX_INPUT_BYTES (1024u * 1024u * 1024u)

/* Whole file into memory (bounded). Returns NULL with a message printed. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "aimark eval: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *p = malloc(cap);
    while (p) {
        if (n == cap) {
            if (cap >= MAX_INPUT_BYTES) {
                fprintf(stderr, "aimark eval: %s: larger than %u MiB\n", path,
                        MAX_INPUT_BYTES >> 20);
                free(p);
                fclose(f);
                return NULL;
            }
            char *q = realloc(p, cap * 2);
            if (!q)
                break;
            p = q;
            cap *= 2;
        }
        size_t got = fread(p + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                fprintf(stderr, "aimark eval: %s: read error\n", path);
                free(p);
                fclose(f);
                return NULL;
            }
            fclose(f);
            *len = n;
            return p;
        }
    }
    free(p);
    fclose(f);
    fprintf(stderr, "aimark eval: out of memory reading %s\n", path);
    return NULL;
}

static void print_error(const char *what, int rc, const aim_diag *d)
{
    fprintf(stderr, "aimark eval: %s: %s\n", what, d->message[0] ? d->message : aim_strerror(rc));
}

static void json_num(strbuf *sb, const char *key, double v)
{
    sb_json_str(sb, key);
    if (isfinite(v))
        sb_printf(sb, ":%.6g", v);
    else
        sb_puts(sb, ":null");
}

static int report(const aim_eval *e, int json, size_t missing, const char *det_path)
{
    aim_eval_metrics m;
    aim_diag d = {0};
    int rc = aim_eval_compute(e, NULL, NULL, &m, &d);
    if (rc != AIM_OK) {
        print_error("cannot evaluate", rc, &d);
        return EXIT_FILE_ERRORS;
    }
    double thr = NAN, brate = NAN, smiss = NAN;
    aim_eval_threshold_at_bona_rate(e, 0.01, &thr, &brate, &smiss);
    size_t na = aim_eval_attack_count(e);
    strbuf sb = {0};
    if (json) {
        sb_puts(&sb, "{");
        json_num(&sb, "eer", m.eer * 100);
        sb_puts(&sb, ",");
        json_num(&sb, "eer_threshold", m.eer_threshold);
        sb_puts(&sb, ",");
        json_num(&sb, "min_dcf", m.min_dcf);
        sb_puts(&sb, ",");
        json_num(&sb, "act_dcf", m.act_dcf);
        sb_puts(&sb, ",");
        json_num(&sb, "cllr", m.cllr);
        sb_printf(&sb, ",\"n_bonafide\":%zu,\"n_spoof\":%zu,\"missing\":%zu,", m.n_bonafide,
                  m.n_spoof, missing);
        sb_puts(&sb, "\"at_1pct_bonafide_rejected\":{");
        json_num(&sb, "threshold", thr);
        sb_puts(&sb, ",");
        json_num(&sb, "bonafide_rejected", brate * 100);
        sb_puts(&sb, ",");
        json_num(&sb, "spoof_accepted", smiss * 100);
        sb_puts(&sb, "},\"per_attack\":{");
        for (size_t i = 0; i < na; i++) {
            const char *name = aim_eval_attack_name(e, i);
            aim_eval_metrics am;
            if (aim_eval_compute(e, name, NULL, &am, NULL) != AIM_OK)
                continue;
            sb_puts(&sb, i ? "," : "");
            sb_json_str(&sb, name);
            sb_puts(&sb, ":{");
            json_num(&sb, "eer", am.eer * 100);
            sb_puts(&sb, ",");
            json_num(&sb, "min_dcf", am.min_dcf);
            sb_printf(&sb, ",\"n_spoof\":%zu}", am.n_spoof);
        }
        sb_puts(&sb, "}}\n");
    } else {
        sb_printf(&sb, "trials      %zu bona fide, %zu spoof, %zu missing\n", m.n_bonafide,
                  m.n_spoof, missing);
        sb_printf(&sb, "EER         %.2f %% (threshold %.6g)\n", m.eer * 100, m.eer_threshold);
        sb_printf(&sb, "minDCF      %.4f (Pspoof 0.05, Cmiss 1, Cfa 10)\n", m.min_dcf);
        sb_printf(&sb, "actDCF      %.4f   Cllr %.4f bits (meaningful for calibrated LLRs)\n",
                  m.act_dcf, m.cllr);
        sb_printf(&sb, "at 1%% bona fide rejected: threshold %.6g, %.2f %% rejected, %.2f %% of "
                       "spoofs accepted\n\n",
                  thr, brate * 100, smiss * 100);
        sb_printf(&sb, "%-24s %8s %8s %8s\n", "attack", "spoofs", "EER %", "minDCF");
        for (size_t i = 0; i < na; i++) {
            const char *name = aim_eval_attack_name(e, i);
            aim_eval_metrics am;
            if (aim_eval_compute(e, name, NULL, &am, NULL) != AIM_OK)
                continue;
            sb_printf(&sb, "%-24s %8zu %8.2f %8.4f\n", name, am.n_spoof, am.eer * 100, am.min_dcf);
        }
        sb_printf(&sb, "%-24s %8zu %8.2f %8.4f\n", "pooled", m.n_spoof, m.eer * 100, m.min_dcf);
    }
    char *out = sb_take(&sb);
    if (!out) {
        fputs("aimark eval: out of memory\n", stderr);
        return EXIT_FILE_ERRORS;
    }
    fputs(out, stdout);
    free(out);
    if (det_path) {
        aim_eval_svg_config cfg;
        aim_eval_svg_config_init(&cfg);
        memset(&d, 0, sizeof d);
        rc = aim_eval_det_svg_write(e, &cfg, det_path, &d);
        if (rc != AIM_OK) {
            print_error(det_path, rc, &d);
            return EXIT_FILE_ERRORS;
        }
    }
    return 0;
}

/* ---- scoring the audio of a protocol with the detector ---------------------- */

#define BLOCK 16384
static const char *const EXTS[] = {".flac", ".wav", ".ogg", ".mp3", ".m4a", ".opus", ""};

typedef struct audio_ctx {
    const aim_protocol *p;
    const aim_detect_model *model;
    const char *dir;
    double *score; /* per trial, NAN = missing */
    size_t next, no_file, no_voice, errors;
    pthread_mutex_t mu;
} audio_ctx;

/* The detector's file-level LLR (higher = synthetic); NAN with *why set. */
static double score_file(const aim_detect_model *model, const char *path, int *why,
                         aim_diag *dg)
{
    aim_audio_reader *ar = NULL;
    aim_audio_info info;
    aim_detector *d = NULL;
    float *buf = NULL;
    double v = NAN;
    int rc = aim_audio_reader_open(path, &ar, &info, dg);
    if (rc == AIM_OK) {
        aim_detect_config cfg;
        aim_detect_config_init(&cfg);
        cfg.sample_rate = info.sample_rate;
        cfg.channels = info.channels;
        rc = aim_detector_new(model, &cfg, &d);
    }
    if (rc == AIM_OK && !(buf = malloc(BLOCK * (size_t)info.channels * sizeof *buf)))
        rc = AIM_ERR_NOMEM;
    while (rc == AIM_OK) {
        size_t n = 0;
        rc = aim_audio_reader_read(ar, buf, BLOCK, &n, dg);
        if (rc != AIM_OK)
            break;
        rc = n ? aim_detector_push(d, buf, n) : aim_detector_finish(d);
        aim_detect_window w;
        while (aim_detector_next_window(d, &w))
            ; /* only the file-level score is used */
        if (!n)
            break;
    }
    if (rc == AIM_OK) {
        aim_detect_result r;
        aim_detector_result(d, &r);
        if (r.n_windows > 0)
            v = r.score;
        else
            *why = 1;
    } else {
        *why = 2;
        if (!dg->message[0])
            snprintf(dg->message, sizeof dg->message, "%s", aim_strerror(rc));
    }
    free(buf);
    aim_detector_free(d);
    aim_audio_reader_free(ar);
    return v;
}

static void *audio_worker(void *arg)
{
    audio_ctx *c = arg;
    size_t cap = strlen(c->dir) + AIM_EVAL_MAX_FIELD + 16;
    char *path = malloc(cap);
    for (;;) {
        pthread_mutex_lock(&c->mu);
        size_t i = c->next++;
        pthread_mutex_unlock(&c->mu);
        if (i >= aim_protocol_count(c->p) || !path)
            break;
        aim_trial t;
        aim_protocol_get(c->p, i, &t);
        c->score[i] = NAN;
        struct stat st;
        int found = 0;
        for (size_t k = 0; k < sizeof EXTS / sizeof EXTS[0] && !found; k++) {
            snprintf(path, cap, "%s/%s%s", c->dir, t.file_id, EXTS[k]);
            found = stat(path, &st) == 0 && S_ISREG(st.st_mode);
        }
        int why = 0;
        aim_diag dg = {0};
        if (found) {
            double v = score_file(c->model, path, &why, &dg);
            if (why == 0)
                c->score[i] = -v; /* bona fide LLR: the ASVspoof polarity */
        } else {
            why = 3;
        }
        if (why) {
            pthread_mutex_lock(&c->mu);
            if (why == 1)
                c->no_voice++;
            else if (why == 3)
                c->no_file++;
            else {
                c->errors++;
                fprintf(stderr, "aimark eval: %s: %s\n", path, dg.message);
            }
            pthread_mutex_unlock(&c->mu);
        }
    }
    free(path);
    return NULL;
}

/* Score every trial's audio; returns the per-trial scores (NAN = missing). */
static double *score_audio(const aim_protocol *p, const char *dir, const char *model_path,
                           int jobs)
{
    aim_detect_model *m = NULL;
    aim_diag dg = {0};
    int rc = model_path ? aim_detect_model_load_file(model_path, &m, &dg)
                        : aim_detect_model_default(&m);
    if (rc != AIM_OK) {
        print_error(model_path ? model_path : "built-in model", rc, &dg);
        return NULL;
    }
    audio_ctx c = {p, m, dir, NULL, 0, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER};
    c.score = malloc(aim_protocol_count(p) * sizeof *c.score);
    pthread_t th[256];
    int started = 0;
    if (c.score) {
        for (; started < jobs; started++)
            if (pthread_create(&th[started], NULL, audio_worker, &c) != 0)
                break;
        if (started == 0)
            audio_worker(&c);
        for (int k = 0; k < started; k++)
            pthread_join(th[k], NULL);
    }
    aim_detect_model_free(m);
    if (c.no_file || c.no_voice || c.errors)
        fprintf(stderr,
                "aimark eval: left out %zu trials without an audio file in %s, %zu without "
                "voiced audio, %zu unreadable\n",
                c.no_file, dir, c.no_voice, c.errors);
    return c.score;
}

/* 'FILE_ID score' lines, written to a temporary file and renamed. */
static int save_scores(const char *path, const aim_protocol *p, const double *score)
{
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    if (!tmp)
        return -1;
    snprintf(tmp, n, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    int ok = f != NULL;
    for (size_t i = 0; ok && i < aim_protocol_count(p); i++) {
        aim_trial t;
        aim_protocol_get(p, i, &t);
        if (!isnan(score[i]))
            ok = fprintf(f, "%s %.6f\n", t.file_id, score[i]) > 0;
    }
    if (f && fclose(f) != 0)
        ok = 0;
    if (ok && rename(tmp, path) != 0)
        ok = 0;
    if (!ok) {
        fprintf(stderr, "aimark eval: cannot write %s: %s\n", path, strerror(errno));
        remove(tmp);
    }
    free(tmp);
    return ok ? 0 : -1;
}

int cmd_eval(int argc, char **argv)
{
    const char *protocol = NULL, *scores = NULL, *audio = NULL, *det = NULL;
    const char *model = NULL, *save = NULL, *jobs_s = NULL;
    int json = 0, negate = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(EVAL_HELP, stdout);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "--higher-is-spoof") == 0) {
            negate = 1;
        } else if ((r = arg_value(argc, argv, &i, "--protocol", &protocol)) != 0) {
            if (r < 0)
                return EXIT_USAGE;
        } else if ((r = arg_value(argc, argv, &i, "--scores", &scores)) != 0) {
            if (r < 0)
                return EXIT_USAGE;
        } else if ((r = arg_value(argc, argv, &i, "--audio", &audio)) != 0) {
            if (r < 0)
                return EXIT_USAGE;
        } else if ((r = arg_value(argc, argv, &i, "--det", &det)) != 0) {
            if (r < 0)
                return EXIT_USAGE;
        } else if ((r = arg_value(argc, argv, &i, "--model", &model)) != 0) {
            if (r < 0)
                return EXIT_USAGE;
        } else if ((r = arg_value(argc, argv, &i, "--save-scores", &save)) != 0) {
            if (r < 0)
                return EXIT_USAGE;
        } else if ((r = arg_value(argc, argv, &i, "-j", &jobs_s)) != 0 ||
                   (r = arg_value(argc, argv, &i, "--jobs", &jobs_s)) != 0) {
            if (r < 0)
                return EXIT_USAGE;
        } else {
            return usage_error("eval", "unknown argument", a);
        }
    }
    if (!protocol)
        return usage_error("eval", "--protocol is required", NULL);
    if (!scores == !audio)
        return usage_error("eval", "give one of --scores FILE or --audio DIR", NULL);
    if (save && !audio)
        return usage_error("eval", "--save-scores needs --audio", NULL);
    int jobs = jobs_s ? parse_jobs(jobs_s) : default_jobs();
    if (jobs <= 0)
        return usage_error("eval", "bad job count", jobs_s);
    if (jobs > 256)
        jobs = 256;

    size_t plen = 0, slen = 0;
    char *ptext = slurp(protocol, &plen);
    if (!ptext)
        return EXIT_FILE_ERRORS;
    aim_protocol *p = NULL;
    aim_diag d = {0};
    int rc = aim_protocol_parse(ptext, plen, &p, &d);
    free(ptext);
    if (rc != AIM_OK) {
        print_error(protocol, rc, &d);
        return EXIT_FILE_ERRORS;
    }
    aim_scores *s = NULL;
    double *dscore = NULL;
    if (scores) {
        char *stext = slurp(scores, &slen);
        if (!stext) {
            aim_protocol_free(p);
            return EXIT_FILE_ERRORS;
        }
        memset(&d, 0, sizeof d);
        rc = aim_scores_parse(stext, slen, &s, &d);
        free(stext);
        if (rc != AIM_OK) {
            print_error(scores, rc, &d);
            aim_protocol_free(p);
            return EXIT_FILE_ERRORS;
        }
    } else {
        dscore = score_audio(p, audio, model, jobs);
        if (!dscore || (save && save_scores(save, p, dscore) != 0)) {
            free(dscore);
            aim_protocol_free(p);
            return EXIT_FILE_ERRORS;
        }
    }
    aim_eval *e = NULL;
    int status = 0;
    size_t missing = 0;
    if (aim_eval_new(&e) != AIM_OK) {
        fputs("aimark eval: out of memory\n", stderr);
        status = EXIT_FILE_ERRORS;
        goto done;
    }
    for (size_t i = 0; i < aim_protocol_count(p); i++) {
        aim_trial t;
        double v;
        aim_protocol_get(p, i, &t);
        if (dscore ? isnan(v = dscore[i]) : aim_scores_find(s, t.file_id, &v) != AIM_OK) {
            missing++;
            continue;
        }
        rc = aim_eval_add(e, negate ? -v : v, t.spoof, t.attack);
        if (rc != AIM_OK) {
            fprintf(stderr, "aimark eval: %s: %s\n", t.file_id, aim_strerror(rc));
            status = EXIT_FILE_ERRORS;
            goto done;
        }
    }
    if (missing && s)
        fprintf(stderr, "aimark eval: %zu of %zu trials have no score and are left out\n",
                missing, aim_protocol_count(p));
    status = report(e, json, missing, det);
done:
    aim_eval_free(e);
    free(dscore);
    aim_scores_free(s);
    aim_protocol_free(p);
    return status;
}
