/* Internal to src/eval: the DET arrays shared by the metrics and the SVG. */
#ifndef AIM_EVAL_INTERNAL_H
#define AIM_EVAL_INTERNAL_H

#include <stddef.h>

#include "aimark/eval.h"

typedef struct det_arrays {
    double *frr, *far, *thr; /* n points, ASVspoof's compute_det_curve */
    size_t n;
    double *bona, *spoof; /* the scores, unsorted */
    size_t nb, ns;
} det_arrays;

int det_build(const aim_eval *e, const char *attack, det_arrays *d, aim_diag *diag);
void det_free(det_arrays *d);

#endif
