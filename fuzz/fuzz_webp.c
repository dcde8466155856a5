/*
 * Fuzz the WEBP handler through the public API: read the input, then write
 * a fixed valid label into it (which also re-reads the output).
 */
#include <stddef.h>
#include <stdint.h>

#include "aimark/aimark.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    aim_meta *m = NULL;
    aim_diag d;
    if (aim_meta_read_mem(data, size, &m, &d) == AIM_OK)
        aim_meta_free(m);
    aim_label *l = aim_label_new();
    if (!l)
        return 0;
    aim_label_set(l, AIM_FIELD_LABEL, "1");
    aim_label_set(l, AIM_FIELD_CONTENT_PRODUCER, "001191110102MACQD9K64010000");
    aim_label_set(l, AIM_FIELD_PRODUCE_ID, "fuzz-webp-0001");
    void *out = NULL;
    size_t out_n = 0;
    if (aim_meta_write_mem(data, size, l, NULL, &out, &out_n, &d) == AIM_OK) {
        /* the output is readable (meta.c already checked the label) */
        if (aim_meta_read_mem(out, out_n, &m, &d) == AIM_OK)
            aim_meta_free(m);
        aim_free(out);
    }
    aim_label_free(l);
    return 0;
}
