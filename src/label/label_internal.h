/* Internal to the label module and its tests. */
#ifndef AIM_LABEL_INTERNAL_H
#define AIM_LABEL_INTERNAL_H

#include "aimark/label.h"

struct aim_label {
    char *v[AIM_FIELD_COUNT]; /* NULL = unset; NUL-terminated, owned */
};

/* Store a value without validation (used by the lenient parser). */
int label_set_raw(aim_label *l, aim_field f, const char *value, size_t len);

/* Check one value against the Annex E rules; returns AIM_OK or
 * AIM_ERR_LABEL_INVALID with a reason in why. */
int label_check_value(aim_field f, const char *value, size_t len, char *why, size_t why_cap);

#endif
