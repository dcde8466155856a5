/* Fuzz the label JSON parser and re-serialisation. */
#include <stdint.h>
#include <stdlib.h>

#include "aimark/aimark.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    aim_label *l = NULL;
    aim_label_form form;
    if (aim_label_parse((const char *)data, size, &l, &form) == AIM_OK) {
        size_t n = 0;
        aim_label_to_json(l, form, NULL, 0, &n);
        char *buf = malloc(n + 1);
        if (buf && aim_label_to_json(l, form, buf, n + 1, &n) == AIM_OK) {
            aim_label *again = NULL;
            /* Our own output must always parse back. */
            if (aim_label_parse(buf, n, &again, NULL) != AIM_OK)
                abort();
            aim_label_free(again);
        }
        free(buf);
        aim_label_validate(l, NULL, 0);
        aim_label_free(l);
    }
    return 0;
}
