/* Fuzz the ASVspoof protocol and score-file parsers: parse the input both
 * ways; on success every trial must be retrievable and findable by its own
 * FILE_ID, and the trials must evaluate (or fail cleanly) with scores from
 * the same input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aimark/eval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    aim_diag d;
    memset(&d, 0, sizeof d);
    aim_protocol *p = NULL;
    aim_scores *s = NULL;
    int rp = aim_protocol_parse((const char *)data, size, &p, &d);
    int rs = aim_scores_parse((const char *)data, size, &s, &d);
    if ((rp == AIM_OK) != (p != NULL) || (rs == AIM_OK) != (s != NULL))
        abort();
    if (p) {
        aim_eval *e = NULL;
        if (aim_eval_new(&e) != AIM_OK)
            abort();
        for (size_t i = 0; i < aim_protocol_count(p); i++) {
            aim_trial t;
            size_t j;
            if (aim_protocol_get(p, i, &t) != AIM_OK || aim_protocol_find(p, t.file_id, &j) != AIM_OK ||
                j != i || strlen(t.file_id) > AIM_EVAL_MAX_FIELD || (t.spoof != 0 && t.spoof != 1))
                abort();
            double v = (double)(i % 7);
            if (s)
                aim_scores_find(s, t.file_id, &v);
            if (aim_eval_add(e, v, t.spoof, t.attack) != AIM_OK)
                abort();
        }
        aim_eval_metrics m;
        if (aim_eval_compute(e, NULL, NULL, &m, NULL) == AIM_OK &&
            (!(m.eer >= 0 && m.eer <= 1) || !(m.min_dcf >= 0) || m.n_bonafide + m.n_spoof != aim_protocol_count(p)))
            abort();
        char *svg = NULL;
        size_t n;
        if (aim_eval_det_svg(e, NULL, &svg, &n, NULL) == AIM_OK && strlen(svg) != n)
            abort();
        aim_free(svg);
        aim_eval_free(e);
    }
    aim_protocol_free(p);
    aim_scores_free(s);
    return 0;
}
