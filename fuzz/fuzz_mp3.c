/*
 * Fuzz the MP3/ID3v2 handler: read any input the MP3 probe accepts, write a
 * fixed label into it, and check the output reads back with exactly that
 * label and can be labelled again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aimark/aimark.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Other formats probe first; their inputs belong to their own fuzzers. */
    if (aim_format_probe(data, size < 4096 ? size : 4096) != AIM_FORMAT_MP3)
        return 0;
    aim_meta *m = NULL;
    aim_diag diag;
    if (aim_meta_read_mem(data, size, &m, &diag) == AIM_OK) {
        (void)aim_meta_label(m);
        (void)aim_meta_raw(m);
        (void)aim_meta_location(m);
        aim_meta_free(m);
    } else if (m) {
        abort(); /* a failed read must not hand out an object */
    }

    aim_label *l = aim_label_new();
    if (!l)
        return 0;
    aim_label_set(l, AIM_FIELD_LABEL, "1");
    aim_label_set(l, AIM_FIELD_CONTENT_PRODUCER, "001191110102MACQD9K64010000");
    aim_label_set(l, AIM_FIELD_PRODUCE_ID, "fuzz-0001");
    void *out = NULL;
    size_t out_n = 0;
    if (aim_meta_write_mem(data, size, l, NULL, &out, &out_n, &diag) == AIM_OK) {
        /* The output holds our label once and takes a second label. */
        aim_meta *m2 = NULL;
        if (aim_meta_read_mem(out, out_n, &m2, &diag) != AIM_OK || aim_meta_label_count(m2) != 1 ||
            aim_meta_format(m2) != AIM_FORMAT_MP3 || !aim_meta_label(m2) ||
            strcmp(aim_label_get(aim_meta_label(m2), AIM_FIELD_PRODUCE_ID), "fuzz-0001") != 0)
            abort();
        aim_meta_free(m2);
        aim_label_set(l, AIM_FIELD_PRODUCE_ID, "fuzz-0002");
        void *out2 = NULL;
        size_t out2_n = 0;
        if (aim_meta_write_mem(out, out_n, l, NULL, &out2, &out2_n, &diag) != AIM_OK)
            abort();
        aim_free(out2);
        aim_free(out);
    }
    aim_label_free(l);
    return 0;
}
