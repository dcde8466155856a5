/*
 * Fuzz the Ogg handler (pages, Vorbis/Opus comment headers, re-pagination): read any input the probe sends to it, write a fixed label
 * into it, and check that the output reads back with exactly that label and
 * can be labelled again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aimark/aimark.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int has_id(const void *p, size_t n, const char *id)
{
    aim_meta *m = NULL;
    int ok = aim_meta_read_mem(p, n, &m, NULL) == AIM_OK && aim_meta_label_count(m) == 1 &&
             aim_meta_label(m) && strcmp(aim_label_get(aim_meta_label(m), AIM_FIELD_PRODUCE_ID), id) == 0;
    if (ok && aim_meta_format(m) != AIM_FORMAT_OGG_VORBIS && aim_meta_format(m) != AIM_FORMAT_OGG_OPUS)
        ok = 0;
    aim_meta_free(m);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Other formats belong to their own fuzzers. */
    aim_format f = aim_format_probe(data, size < 4096 ? size : 4096);
    if (f != AIM_FORMAT_OGG_VORBIS && f != AIM_FORMAT_OGG_OPUS)
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
        if (!has_id(out, out_n, "fuzz-0001"))
            abort();
        aim_label_set(l, AIM_FIELD_PRODUCE_ID, "fuzz-0002");
        void *out2 = NULL;
        size_t out2_n = 0;
        if (aim_meta_write_mem(out, out_n, l, NULL, &out2, &out2_n, &diag) != AIM_OK ||
            !has_id(out2, out2_n, "fuzz-0002"))
            abort();
        aim_free(out2);
    } else if (out) {
        abort();
    }
    aim_free(out);
    aim_label_free(l);
    return 0;
}
