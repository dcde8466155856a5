/* Internals of the detector shared with the unit tests. */
#ifndef AIM_DETECT_INTERNAL_H
#define AIM_DETECT_INTERNAL_H

#include "aimark/detect.h"
#include "detect/lfcc.h"
#include "detect/model.h"

/* Feed one frame of 60 LFCC features straight to the model and the
 * windowing, bypassing resampling and the front-end (tests, parity). */
void det_feed_feature(aim_detector *d, const float *feat, int voiced);

#endif
