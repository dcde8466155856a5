/*
 * aimark eval: score an ASVspoof-format protocol and report EER, minDCF,
 * actDCF, Cllr, a per-attack breakdown and (optionally) a DET curve SVG.
 * Scores come from a score file (--scores) or from the detector run on the
 * audio files of --audio DIR.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "aimark/eval.h"
#include "cli.h"

static const char EVAL_HELP[] =
    "Usage: aimark eval --protocol PROTOCOL (--scores SCORES | --audio DIR)\n"
    "                   [--json] [--det OUT.svg] [--higher-is-spoof]\n"
    "\n"
    "Evaluate a spoofing countermeasure on a protocol in the ASVspoof 2019 LA\n"
    "format ('SPEAKER FILE_ID - ATTACK bonafide|spoof'; ASVspoof 2021 and 5\n"
    "layouts are read too): EER, minDCF (ASVspoof 5 costs: Pspoof 0.05,\n"
    "Cmiss 1, Cfa 10), actDCF and Cllr for calibrated scores, the threshold\n"
    "for 1%% false alarms on bona fide speech, and a per-attack breakdown.\n"
    "\n"
    "  --protocol FILE     the trial list\n"
    "  --scores FILE       precomputed scores, 'FILE_ID score' lines; higher =\n"
    "                      more likely bona fide (the ASVspoof convention)\n"
    "  --higher-is-spoof   the score file is 'higher = more likely synthetic'\n"
    "                      (like 'aimark detect'); scores are negated\n"
    "  --audio DIR         score FILE_ID.{flac,wav,...} in DIR with the detector\n"
    "  --json              one JSON object on stdout\n"
    "  --det FILE          write the DET curve (pooled and per attack) as SVG\n"
    "\n"
    "Trials without a score or an audio file are left out and counted as\n"
    "\"missing\". Exit status: 0 done, 2 usage error, 3 unreadable input or\n"
    "too few trials to evaluate.\n";

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

int cmd_eval(int argc, char **argv)
{
    const char *protocol = NULL, *scores = NULL, *audio = NULL, *det = NULL;
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
        } else {
            return usage_error("eval", "unknown argument", a);
        }
    }
    if (!protocol)
        return usage_error("eval", "--protocol is required", NULL);
    if (!scores && !audio)
        return usage_error("eval", "give --scores FILE or --audio DIR", NULL);
    if (!scores)
        return usage_error("eval", "scoring audio needs the detector, not in this build; use "
                                   "--scores", NULL);

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
    char *stext = slurp(scores, &slen);
    if (!stext) {
        aim_protocol_free(p);
        return EXIT_FILE_ERRORS;
    }
    aim_scores *s = NULL;
    memset(&d, 0, sizeof d);
    rc = aim_scores_parse(stext, slen, &s, &d);
    free(stext);
    if (rc != AIM_OK) {
        print_error(scores, rc, &d);
        aim_protocol_free(p);
        return EXIT_FILE_ERRORS;
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
        if (aim_scores_find(s, t.file_id, &v) != AIM_OK) {
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
    if (missing)
        fprintf(stderr, "aimark eval: %zu of %zu trials have no score and are left out\n",
                missing, aim_protocol_count(p));
    status = report(e, json, missing, det);
done:
    aim_eval_free(e);
    aim_scores_free(s);
    aim_protocol_free(p);
    return status;
}
