/* Filling an aim_diag: `return diag_fail(d, AIM_ERR_CORRUPT, "wav: ...", ...);` */
#ifndef AIM_CORE_DIAG_H
#define AIM_CORE_DIAG_H

#include "aimark/aimark.h"

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int diag_fail(aim_diag *d, int err, const char *fmt, ...);

#endif
