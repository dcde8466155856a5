/* Eval layer: metrics against hand-computed values, parsers on good and bad
 * input, DET points and SVG. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aimark/eval.h"
#include "test.h"

#define CHECK_NEAR(a, b, tol) CHECK(fabs((double)(a) - (double)(b)) <= (tol))

static aim_eval *make(const double *bona, size_t nb, const double *spoof, size_t ns,
                      const char *attack)
{
    aim_eval *e = NULL;
    CHECK_INT(aim_eval_new(&e), AIM_OK);
    for (size_t i = 0; i < nb; i++)
        CHECK_INT(aim_eval_add(e, bona[i], 0, "-"), AIM_OK);
    for (size_t i = 0; i < ns; i++)
        CHECK_INT(aim_eval_add(e, spoof[i], 1, attack), AIM_OK);
    return e;
}

/* bona {0.9 0.8 0.4}, spoof {0.5 0.3 0.1}. Sorted: .1s .3s .4b .5s .8b .9b.
 * FRR = 0 0 0 1/3 1/3 2/3 1, FAR = 1 2/3 1/3 1/3 0 0 0: EER 1/3 at 0.4.
 * DCF = 0.95 FRR + 0.5 FAR: min 1/6 at 0.3, / min(0.95, 0.5) = 1/3.
 * actDCF: threshold -ln(1.9) = -0.642 accepts all: FAR 1 -> 0.5/0.5 = 1. */
static void t_known_set(void)
{
    const double b[] = {0.9, 0.8, 0.4}, s[] = {0.5, 0.3, 0.1};
    aim_eval *e = make(b, 3, s, 3, "A01");
    aim_eval_metrics m;
    CHECK_INT(aim_eval_compute(e, NULL, NULL, &m, NULL), AIM_OK);
    CHECK_INT(m.n_bonafide, 3);
    CHECK_INT(m.n_spoof, 3);
    CHECK_NEAR(m.eer, 1.0 / 3, 1e-12);
    CHECK_NEAR(m.eer_threshold, 0.4, 1e-12);
    CHECK_NEAR(m.min_dcf, 1.0 / 3, 1e-12);
    CHECK_NEAR(m.min_dcf_threshold, 0.3, 1e-12);
    CHECK_NEAR(m.act_dcf, 1.0, 1e-12);
    double cllr = 0;
    for (int i = 0; i < 3; i++)
        cllr += log1p(exp(-b[i])) / 3 + log1p(exp(s[i])) / 3;
    CHECK_NEAR(m.cllr, 0.5 * cllr / log(2.0), 1e-12);
    /* the same attack by name gives the same numbers; unknown -> NOT_FOUND */
    aim_eval_metrics ma;
    CHECK_INT(aim_eval_compute(e, "A01", NULL, &ma, NULL), AIM_OK);
    CHECK_NEAR(ma.eer, m.eer, 0);
    aim_diag d = {0};
    CHECK_INT(aim_eval_compute(e, "A99", NULL, &ma, &d), AIM_ERR_NOT_FOUND);
    CHECK(strstr(d.message, "A99") != NULL);
    aim_eval_free(e);
}

static void t_perfect(void)
{
    const double b[] = {1, 2, 3}, s[] = {-1, -2};
    aim_eval *e = make(b, 3, s, 2, "x");
    aim_eval_metrics m;
    CHECK_INT(aim_eval_compute(e, NULL, NULL, &m, NULL), AIM_OK);
    CHECK_NEAR(m.eer, 0, 0);
    CHECK_NEAR(m.min_dcf, 0, 0);
    CHECK_NEAR(m.act_dcf, 0, 0);
    /* inverted polarity: everything wrong */
    aim_eval *r = make(s, 2, b, 3, "x");
    CHECK_INT(aim_eval_compute(r, NULL, NULL, &m, NULL), AIM_OK);
    CHECK_NEAR(m.eer, 1.0, 0);
    /* minDCF never exceeds the cost of a fixed decision: 1 */
    CHECK_NEAR(m.min_dcf, 1.0, 1e-12);
    aim_eval_free(e);
    aim_eval_free(r);
}

/* All scores equal: one threshold, FRR 0/FAR 1 or FRR 1/FAR 0 -> EER 50%,
 * Cllr exactly 1 bit (score 0 carries no information). */
static void t_all_equal(void)
{
    const double b[] = {0, 0, 0}, s[] = {0, 0};
    aim_eval *e = make(b, 3, s, 2, "x");
    aim_eval_metrics m;
    CHECK_INT(aim_eval_compute(e, NULL, NULL, &m, NULL), AIM_OK);
    CHECK_NEAR(m.eer, 0.5, 0);
    CHECK_NEAR(m.cllr, 1.0, 1e-12);
    CHECK_NEAR(m.min_dcf, 1.0, 1e-12);
    size_t n = 0;
    CHECK_INT(aim_eval_det(e, NULL, NULL, 0, &n, NULL), AIM_OK);
    CHECK_INT(n, 2);
    aim_eval_free(e);
}

/* bona {1, 0}, spoof {0, -1}: thresholds below -1, at -1, at 0 (the tie),
 * at 1: (FRR, FAR) = (0,1) (0,.5) (.5,0) (1,0); closest |FRR-FAR| first at
 * (0, .5): EER 0.25. */
static void t_ties(void)
{
    const double b[] = {1, 0}, s[] = {0, -1};
    aim_eval *e = make(b, 2, s, 2, "x");
    aim_eval_metrics m;
    CHECK_INT(aim_eval_compute(e, NULL, NULL, &m, NULL), AIM_OK);
    CHECK_NEAR(m.eer, 0.25, 1e-15);
    aim_det_point p[8];
    size_t n = 0;
    CHECK_INT(aim_eval_det(e, NULL, NULL, 0, &n, NULL), AIM_OK);
    CHECK_INT(n, 4);
    CHECK_INT(aim_eval_det(e, NULL, p, 3, &n, NULL), AIM_ERR_BUFFER_TOO_SMALL);
    CHECK_INT(aim_eval_det(e, NULL, p, 8, &n, NULL), AIM_OK);
    CHECK_NEAR(p[1].far, 0.5, 0);
    CHECK_NEAR(p[2].frr, 0.5, 0);
    CHECK_NEAR(p[2].far, 0.0, 0);
    CHECK_NEAR(p[2].threshold, 0.0, 0);
    CHECK_NEAR(p[3].frr, 1.0, 0);
    aim_eval_free(e);
}

static void t_per_attack(void)
{
    aim_eval *e = NULL;
    CHECK_INT(aim_eval_new(&e), AIM_OK);
    for (int i = 0; i < 10; i++)
        CHECK_INT(aim_eval_add(e, i, 0, NULL), AIM_OK);
    for (int i = 0; i < 10; i++) {
        CHECK_INT(aim_eval_add(e, i - 20, 1, "easy"), AIM_OK); /* all below */
        CHECK_INT(aim_eval_add(e, i, 1, "hard"), AIM_OK);      /* same as bona fide */
    }
    CHECK_INT(aim_eval_attack_count(e), 2);
    CHECK_STR(aim_eval_attack_name(e, 0), "easy");
    CHECK_STR(aim_eval_attack_name(e, 1), "hard");
    CHECK(aim_eval_attack_name(e, 2) == NULL);
    aim_eval_metrics m;
    CHECK_INT(aim_eval_compute(e, "easy", NULL, &m, NULL), AIM_OK);
    CHECK_NEAR(m.eer, 0, 0);
    CHECK_INT(m.n_spoof, 10);
    CHECK_INT(aim_eval_compute(e, "hard", NULL, &m, NULL), AIM_OK);
    CHECK_NEAR(m.eer, 0.5, 0); /* identical distributions, every score tied */
    CHECK_INT(aim_eval_compute(e, NULL, NULL, &m, NULL), AIM_OK);
    CHECK_INT(m.n_spoof, 20);
    /* pooled: 10 easy spoofs, then tied groups k = 0..9 of one bona fide and one
     * hard spoof: FRR (k+1)/10, FAR (9-k)/20, closest at k = 2: (0.3 + 0.35) / 2 */
    CHECK_NEAR(m.eer, 0.325, 1e-15);
    aim_eval_free(e);
}

static void t_threshold_at_rate(void)
{
    aim_eval *e = NULL;
    CHECK_INT(aim_eval_new(&e), AIM_OK);
    for (int i = 0; i < 100; i++)
        CHECK_INT(aim_eval_add(e, i, 0, NULL), AIM_OK);
    CHECK_INT(aim_eval_add(e, 0.5, 1, "a"), AIM_OK);
    CHECK_INT(aim_eval_add(e, 1.0, 1, "a"), AIM_OK);
    CHECK_INT(aim_eval_add(e, 5.0, 1, "a"), AIM_OK);
    double thr, rate, miss;
    CHECK_INT(aim_eval_threshold_at_bona_rate(e, 0.01, &thr, &rate, &miss), AIM_OK);
    CHECK_NEAR(thr, 1.0, 0);  /* only the bona fide 0 scores below */
    CHECK_NEAR(rate, 0.01, 1e-15);
    CHECK_NEAR(miss, 2.0 / 3, 1e-15); /* spoofs 1 and 5 pass */
    CHECK_INT(aim_eval_threshold_at_bona_rate(e, 0.0, &thr, &rate, NULL), AIM_OK);
    CHECK_NEAR(thr, 0.0, 0);
    CHECK_NEAR(rate, 0.0, 0);
    CHECK_INT(aim_eval_threshold_at_bona_rate(e, 1.0, &thr, &rate, NULL), AIM_OK);
    CHECK_NEAR(rate, 1.0, 0);
    CHECK_INT(aim_eval_threshold_at_bona_rate(e, 1.5, &thr, &rate, NULL), AIM_ERR_INVALID_ARG);
    aim_eval_free(e);
}

static void t_empty_and_bad(void)
{
    aim_eval *e = NULL;
    aim_eval_metrics m;
    aim_diag d = {0};
    CHECK_INT(aim_eval_new(&e), AIM_OK);
    CHECK_INT(aim_eval_compute(e, NULL, NULL, &m, &d), AIM_ERR_NOT_FOUND);
    CHECK(strstr(d.message, "bona fide") != NULL);
    CHECK_INT(aim_eval_add(e, 1.0, 0, NULL), AIM_OK);
    memset(&d, 0, sizeof d);
    CHECK_INT(aim_eval_compute(e, NULL, NULL, &m, &d), AIM_ERR_NOT_FOUND);
    CHECK(strstr(d.message, "spoof") != NULL);
    CHECK_INT(aim_eval_add(e, NAN, 1, "a"), AIM_ERR_INVALID_ARG);
    CHECK_INT(aim_eval_add(e, INFINITY, 1, "a"), AIM_ERR_INVALID_ARG);
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    CHECK_INT(aim_eval_add(e, 1.0, 1, longname), AIM_ERR_INVALID_ARG);
    double thr, rate;
    aim_eval *empty = NULL;
    CHECK_INT(aim_eval_new(&empty), AIM_OK);
    CHECK_INT(aim_eval_threshold_at_bona_rate(empty, 0.01, &thr, &rate, NULL), AIM_ERR_NOT_FOUND);
    char *svg = NULL;
    size_t n;
    CHECK_INT(aim_eval_det_svg(empty, NULL, &svg, &n, NULL), AIM_ERR_NOT_FOUND);
    CHECK(svg == NULL);
    aim_eval_costs c;
    aim_eval_costs_init(&c);
    CHECK_NEAR(c.p_spoof, 0.05, 0);
    CHECK_NEAR(c.c_fa, 10, 0);
    CHECK_INT(aim_eval_add(e, -1.0, 1, "a"), AIM_OK);
    c.p_spoof = 0;
    CHECK_INT(aim_eval_compute(e, NULL, &c, &m, NULL), AIM_ERR_INVALID_ARG);
    CHECK_INT(aim_eval_compute(NULL, NULL, NULL, &m, NULL), AIM_ERR_INVALID_ARG);
    aim_eval_free(e);
    aim_eval_free(empty);
    aim_eval_free(NULL);
}

static void t_protocol(void)
{
    const char *txt = "# comment\n"
                      "LA_0079 LA_T_1138215 - - bonafide\r\n"
                      "\n"
                      "LA_0079 LA_T_1271820 - A01 spoof\n"
                      "LA_0009 LA_E_9332881 alaw ita_tx A07 spoof notrim eval\n"
                      "ID1 F4 bona-fide";
    aim_protocol *p = NULL;
    CHECK_INT(aim_protocol_parse(txt, strlen(txt), &p, NULL), AIM_OK);
    CHECK_INT(aim_protocol_count(p), 4);
    aim_trial t;
    CHECK_INT(aim_protocol_get(p, 0, &t), AIM_OK);
    CHECK_STR(t.speaker, "LA_0079");
    CHECK_STR(t.file_id, "LA_T_1138215");
    CHECK_STR(t.attack, "-");
    CHECK_INT(t.spoof, 0);
    CHECK_INT(aim_protocol_get(p, 2, &t), AIM_OK);
    CHECK_STR(t.attack, "A07");
    CHECK_INT(t.spoof, 1);
    CHECK_INT(aim_protocol_get(p, 3, &t), AIM_OK);
    CHECK_STR(t.attack, "-"); /* three fields: no attack column */
    CHECK_INT(t.spoof, 0);
    CHECK_INT(aim_protocol_get(p, 4, &t), AIM_ERR_INVALID_ARG);
    size_t i = 99;
    CHECK_INT(aim_protocol_find(p, "LA_T_1271820", &i), AIM_OK);
    CHECK_INT(i, 1);
    CHECK_INT(aim_protocol_find(p, "nope", &i), AIM_ERR_NOT_FOUND);
    aim_protocol_free(p);

    struct {
        const char *text;
        int rc;
        const char *msg;
    } bad[] = {
        {"A B - - bonafide\nA C - x maybe\n", AIM_ERR_CORRUPT, "line 2"},
        {"A B\n", AIM_ERR_CORRUPT, "line 1"},
        {"A B - - bonafide\nA B - A1 spoof\n", AIM_ERR_CORRUPT, "duplicate"},
        {"A B\x01 - - bonafide\n", AIM_ERR_CORRUPT, "control"},
        {"# only comments\n\n", AIM_ERR_NOT_FOUND, "no trials"},
        {"", AIM_ERR_NOT_FOUND, "no trials"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        aim_diag d = {0};
        p = (aim_protocol *)1;
        CHECK_INT(aim_protocol_parse(bad[k].text, strlen(bad[k].text), &p, &d), bad[k].rc);
        CHECK(p == NULL);
        CHECK(strstr(d.message, bad[k].msg) != NULL);
    }
    /* a field over 255 bytes and a line over 4096 bytes */
    char big[5000];
    memset(big, 'x', sizeof big);
    memcpy(big, "S ", 2);
    memcpy(big + 300, " - - bonafide\n", 14);
    aim_diag d = {0};
    CHECK_INT(aim_protocol_parse(big, 314, &p, &d), AIM_ERR_CORRUPT);
    CHECK(strstr(d.message, "255") != NULL);
    memset(&d, 0, sizeof d);
    memset(big, 'x', sizeof big); /* one 5000-byte line */
    CHECK_INT(aim_protocol_parse(big, sizeof big, &p, &d), AIM_ERR_LIMIT);
    CHECK(strstr(d.message, "line 1") != NULL);
    /* NUL inside a line */
    CHECK_INT(aim_protocol_parse("A B\0 - - bonafide", 17, &p, NULL), AIM_ERR_CORRUPT);
    CHECK_INT(aim_protocol_parse(NULL, 3, &p, NULL), AIM_ERR_INVALID_ARG);
}

static void t_scores(void)
{
    const char *txt = "filename cm-score\n"
                      "F1 1.5\n"
                      "F2 A07 spoof -2.25\n"
                      "F3\t1e-3\n";
    aim_scores *s = NULL;
    CHECK_INT(aim_scores_parse(txt, strlen(txt), &s, NULL), AIM_OK);
    CHECK_INT(aim_scores_count(s), 3);
    double v = 0;
    CHECK_INT(aim_scores_find(s, "F2", &v), AIM_OK);
    CHECK_NEAR(v, -2.25, 0);
    CHECK_INT(aim_scores_find(s, "F3", &v), AIM_OK);
    CHECK_NEAR(v, 1e-3, 0);
    CHECK_INT(aim_scores_find(s, "filename", &v), AIM_ERR_NOT_FOUND);
    aim_scores_free(s);
    const char *bad[] = {"F1 1\nF2 x\n", "F1 nan\n", "F1 1\nF1 2\n", "F1 inf\n", "F1 1\nF2\n",
                         "F1 1.5e400\n"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        aim_diag d = {0};
        CHECK_INT(aim_scores_parse(bad[k], strlen(bad[k]), &s, &d), AIM_ERR_CORRUPT);
        CHECK(strstr(d.message, "line") != NULL);
    }
}

static void t_svg(void)
{
    aim_eval *e = NULL;
    CHECK_INT(aim_eval_new(&e), AIM_OK);
    for (int i = 0; i < 200; i++) {
        CHECK_INT(aim_eval_add(e, sin(i * 1.7) + 1.0, 0, NULL), AIM_OK);
        CHECK_INT(aim_eval_add(e, cos(i * 1.3) - 0.5, 1, i % 2 ? "A<1>" : "B&2"), AIM_OK);
    }
    aim_eval_svg_config cfg;
    aim_eval_svg_config_init(&cfg);
    cfg.title = "test \"DET\"";
    char *svg = NULL;
    size_t n = 0;
    CHECK_INT(aim_eval_det_svg(e, &cfg, &svg, &n, NULL), AIM_OK);
    CHECK(svg && n == strlen(svg));
    CHECK(svg && strncmp(svg, "<?xml", 5) == 0);
    CHECK(svg && strstr(svg, "</svg>\n") != NULL);
    CHECK(svg && strstr(svg, "A&lt;1&gt;") != NULL);
    CHECK(svg && strstr(svg, "B&amp;2") != NULL);
    CHECK(svg && strstr(svg, "test &quot;DET&quot;") != NULL);
    CHECK(svg && strstr(svg, "<polyline") != NULL);
    aim_free(svg);
    cfg.width = 10;
    CHECK_INT(aim_eval_det_svg(e, &cfg, &svg, &n, NULL), AIM_ERR_INVALID_ARG);
    aim_eval_svg_config_init(&cfg);
    aim_diag d = {0};
    CHECK_INT(aim_eval_det_svg_write(e, &cfg, "/nonexistent-dir/x.svg", &d), AIM_ERR_IO);
    CHECK_INT(aim_eval_det_svg_write(e, &cfg, "test_eval_det.svg", NULL), AIM_OK);
    FILE *f = fopen("test_eval_det.svg", "rb");
    CHECK(f != NULL);
    if (f) {
        char head[6] = {0};
        CHECK_INT(fread(head, 1, 5, f), 5);
        CHECK_STR(head, "<?xml");
        fclose(f);
    }
    remove("test_eval_det.svg");
    aim_eval_free(e);
}

TEST_MAIN(t_known_set, t_perfect, t_all_equal, t_ties, t_per_attack, t_threshold_at_rate,
          t_empty_and_bad, t_protocol, t_scores, t_svg)
