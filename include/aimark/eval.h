/*
 * Evaluation of spoofing countermeasures (synthetic speech detectors):
 * protocol and score-file parsers, and the metrics of the ASVspoof
 * evaluation packages: EER, minDCF, actDCF, Cllr, DET curve (with an SVG
 * writer), per-attack breakdown and a threshold for a target false-alarm
 * rate on bona fide speech.
 *
 * Score convention (as in ASVspoof): HIGHER = MORE LIKELY BONA FIDE. For
 * actDCF and Cllr the scores must be calibrated log-likelihood ratios
 * (natural log) of bona fide versus spoof. A detector whose scores are
 * "higher = synthetic" (aim_detect_*) is evaluated with the negated score.
 *
 * Rates are fractions in [0, 1] (the CLI prints EER in percent).
 *
 * Thread-safety: a parsed protocol/score table and a filled aim_eval are
 * read-only for the query functions and may be shared between threads;
 * adding to an aim_eval is for one thread at a time.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef AIMARK_EVAL_H
#define AIMARK_EVAL_H

#include <stddef.h>

#include "aimark/aimark.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Longest protocol or score-file line, field and table accepted. */
#define AIM_EVAL_MAX_LINE 4096
#define AIM_EVAL_MAX_FIELD 255
#define AIM_EVAL_MAX_TRIALS 20000000u
/** Distinct attack names in one evaluation. */
#define AIM_EVAL_MAX_ATTACKS 4096

/* ---- protocol files -------------------------------------------------------- */

/**
 * A parsed protocol in the ASVspoof 2019 LA layout
 * `SPEAKER FILE_ID - ATTACK KEY` (KEY = bonafide|spoof, ATTACK '-' for bona
 * fide). Longer layouts (ASVspoof 2021 LA/DF, ASVspoof 5) are read too: the
 * key is the first field from the third on that is `bonafide`, `bona-fide`
 * or `spoof`, and the attack is the field just before it. Blank lines and
 * lines starting with '#' are skipped.
 */
typedef struct aim_protocol aim_protocol;

/** One trial. Strings are owned by the protocol and live as long as it. */
typedef struct aim_trial {
    const char *speaker;
    const char *file_id;
    const char *attack; /**< "-" for bona fide in 2019 LA files */
    int spoof;          /**< 1 = spoof, 0 = bona fide */
} aim_trial;

/**
 * Parse protocol text (need not be NUL-terminated). Returns AIM_OK and *out,
 * AIM_ERR_CORRUPT (a malformed line: too few fields, no key, a field too
 * long, a control byte, a duplicate FILE_ID), AIM_ERR_LIMIT (a line longer
 * than AIM_EVAL_MAX_LINE or more than AIM_EVAL_MAX_TRIALS trials),
 * AIM_ERR_NOT_FOUND (no trial at all), AIM_ERR_INVALID_ARG or AIM_ERR_NOMEM.
 * On error, diag (may be NULL) names the line: "protocol line 12: ...".
 */
AIM_EXPORT int aim_protocol_parse(const char *text, size_t len, aim_protocol **out,
                                  aim_diag *diag);
/** Number of trials. */
AIM_EXPORT size_t aim_protocol_count(const aim_protocol *p);
/** Trial i (0-based, file order). Returns AIM_OK or AIM_ERR_INVALID_ARG. */
AIM_EXPORT int aim_protocol_get(const aim_protocol *p, size_t i, aim_trial *t);
/** Index of FILE_ID, or AIM_ERR_NOT_FOUND. */
AIM_EXPORT int aim_protocol_find(const aim_protocol *p, const char *file_id, size_t *index);
AIM_EXPORT void aim_protocol_free(aim_protocol *p);

/* ---- score files ----------------------------------------------------------- */

/**
 * A parsed score file: one trial a line, FILE_ID first and the score last
 * (`FILE_ID score`, or the ASVspoof 2019 `FILE_ID ATTACK KEY score`). A
 * first line whose last field is not a number is a header and skipped.
 */
typedef struct aim_scores aim_scores;

/** Parse score text. Errors as aim_protocol_parse, plus AIM_ERR_CORRUPT for
 *  a score that is not a finite number. */
AIM_EXPORT int aim_scores_parse(const char *text, size_t len, aim_scores **out, aim_diag *diag);
AIM_EXPORT size_t aim_scores_count(const aim_scores *s);
/** The score of FILE_ID: AIM_OK, or AIM_ERR_NOT_FOUND. */
AIM_EXPORT int aim_scores_find(const aim_scores *s, const char *file_id, double *score);
AIM_EXPORT void aim_scores_free(aim_scores *s);

/* ---- metrics --------------------------------------------------------------- */

/** Detection costs; aim_eval_costs_init() sets ASVspoof 5's: Pspoof 0.05,
 *  Cmiss 1 (bona fide rejected), Cfa 10 (spoof accepted). */
typedef struct aim_eval_costs {
    double p_spoof;
    double c_miss;
    double c_fa;
} aim_eval_costs;
AIM_EXPORT void aim_eval_costs_init(aim_eval_costs *c);

/** A set of scored trials. */
typedef struct aim_eval aim_eval;

AIM_EXPORT int aim_eval_new(aim_eval **out);
AIM_EXPORT void aim_eval_free(aim_eval *e);
/**
 * Add one scored trial. `attack` names the spoof's attack (ignored for bona
 * fide; NULL or "" = "-"), at most AIM_EVAL_MAX_FIELD bytes. Returns AIM_OK,
 * AIM_ERR_INVALID_ARG (non-finite score, bad name), AIM_ERR_LIMIT (too many
 * trials or attacks) or AIM_ERR_NOMEM.
 */
AIM_EXPORT int aim_eval_add(aim_eval *e, double score, int spoof, const char *attack);

/** Results. The EER and minDCF thresholds are reported as the ASVspoof
 *  package does: the operating point rejects (calls spoof) every trial
 *  scoring at or below the threshold. */
typedef struct aim_eval_metrics {
    size_t n_bonafide, n_spoof;
    double eer;           /**< equal error rate (mean of FRR and FAR at the closest point) */
    double eer_threshold;
    double min_dcf;       /**< normalised minimum DCF */
    double min_dcf_threshold;
    double act_dcf;       /**< normalised DCF at the Bayes threshold -ln(beta); LLR scores */
    double cllr;          /**< log-likelihood-ratio cost in bits; LLR scores */
} aim_eval_metrics;

/**
 * Metrics of all bona fide trials against the spoofs of `attack` (NULL =
 * all spoofs pooled), computed as the ASVspoof evaluation packages do.
 * Returns AIM_OK, AIM_ERR_NOT_FOUND (no bona fide trial, no spoof trial, or
 * an unknown attack; diag says which), AIM_ERR_INVALID_ARG or AIM_ERR_NOMEM.
 */
AIM_EXPORT int aim_eval_compute(const aim_eval *e, const char *attack, const aim_eval_costs *costs,
                                aim_eval_metrics *m, aim_diag *diag);

/** Number of distinct spoof attacks, and their names in first-seen order
 *  (owned by e; NULL when i is out of range). */
AIM_EXPORT size_t aim_eval_attack_count(const aim_eval *e);
AIM_EXPORT const char *aim_eval_attack_name(const aim_eval *e, size_t i);

/**
 * Threshold for a target false-alarm rate on bona fide speech (the share of
 * bona fide trials scored below the threshold, i.e. flagged as spoof, is at
 * most `target`, 0..1). *threshold gets the threshold, *bona_rate the
 * achieved bona fide rejection rate and *spoof_miss (may be NULL) the share
 * of spoofs accepted at it (NaN without spoofs). Returns AIM_OK,
 * AIM_ERR_NOT_FOUND (no bona fide trial) or AIM_ERR_INVALID_ARG.
 */
AIM_EXPORT int aim_eval_threshold_at_bona_rate(const aim_eval *e, double target, double *threshold,
                                               double *bona_rate, double *spoof_miss);

/** One point of a DET curve. */
typedef struct aim_det_point {
    double threshold;
    double frr; /**< bona fide rejected (miss) */
    double far; /**< spoof accepted (false alarm) */
} aim_det_point;

/**
 * DET curve of bona fide against `attack` (NULL = pooled): one point per
 * distinct threshold, FRR rising and FAR falling. Ask the size with
 * pts == NULL (*n gets the count), then fill: AIM_ERR_BUFFER_TOO_SMALL if
 * cap < count. Errors as aim_eval_compute.
 */
AIM_EXPORT int aim_eval_det(const aim_eval *e, const char *attack, aim_det_point *pts, size_t cap,
                            size_t *n, aim_diag *diag);

/** Options of the DET-curve SVG; aim_eval_svg_config_init() fills defaults. */
typedef struct aim_eval_svg_config {
    int per_attack;    /**< 1: one curve per attack besides the pooled one (default 1) */
    int width, height; /**< pixels, 200..4000 (default 640 x 600) */
    const char *title; /**< NULL = "DET curve"; escaped for XML */
} aim_eval_svg_config;
AIM_EXPORT void aim_eval_svg_config_init(aim_eval_svg_config *cfg);

/**
 * Render the DET curve(s) as a standalone SVG document on probit (normal
 * deviate) axes from 0.1% to 80%, with grid, axis labels, EER in the legend.
 * *svg gets a NUL-terminated string to release with aim_free(), *len its
 * length. Errors as aim_eval_compute.
 */
AIM_EXPORT int aim_eval_det_svg(const aim_eval *e, const aim_eval_svg_config *cfg, char **svg,
                                size_t *len, aim_diag *diag);

/** aim_eval_det_svg written to `path` atomically (temp file + rename; an
 *  existing file is untouched on error). Extra error: AIM_ERR_IO. */
AIM_EXPORT int aim_eval_det_svg_write(const aim_eval *e, const aim_eval_svg_config *cfg,
                                      const char *path, aim_diag *diag);

#ifdef __cplusplus
}
#endif

#endif
