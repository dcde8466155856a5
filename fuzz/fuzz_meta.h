/*
 * The shared body of the container fuzzers (fuzz_<format>.c): for an input
 * the probe assigns to the fuzzer's format, read it, write a fixed label
 * into it, require that the output reads back with exactly that label (one
 * carrier), and that it can be labelled again. A failed call must not hand
 * out an object. Inputs of other formats are left to their own fuzzers.
 */
#ifndef AIM_FUZZ_META_H
#define AIM_FUZZ_META_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aimark/aimark.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_has_id(const void *p, size_t n, const char *id, aim_format f1, aim_format f2)
{
    aim_meta *m = NULL;
    int ok = aim_meta_read_mem(p, n, &m, NULL) == AIM_OK && aim_meta_label_count(m) == 1 &&
             aim_meta_label(m) && aim_label_get(aim_meta_label(m), AIM_FIELD_PRODUCE_ID) &&
             strcmp(aim_label_get(aim_meta_label(m), AIM_FIELD_PRODUCE_ID), id) == 0 &&
             (aim_meta_format(m) == f1 || aim_meta_format(m) == f2);
    aim_meta_free(m);
    return ok;
}

/* Run one input for a fuzzer that owns formats f1 and f2 (the same twice
 * for a single format). */
static int fuzz_meta_one(const uint8_t *data, size_t size, aim_format f1, aim_format f2)
{
    aim_format f = aim_format_probe(data, size < 4096 ? size : 4096);
    if (f != f1 && f != f2)
        return 0;
    aim_meta *m = NULL;
    aim_diag diag;
    if (aim_meta_read_mem(data, size, &m, &diag) == AIM_OK) {
        (void)aim_meta_location(m);
        (void)aim_meta_raw(m);
        aim_meta_free(m);
    } else if (m) {
        abort();
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
        if (!fuzz_has_id(out, out_n, "fuzz-0001", f1, f2))
            abort();
        aim_label_set(l, AIM_FIELD_PRODUCE_ID, "fuzz-0002");
        void *out2 = NULL;
        size_t out2_n = 0;
        if (aim_meta_write_mem(out, out_n, l, NULL, &out2, &out2_n, &diag) != AIM_OK ||
            !fuzz_has_id(out2, out2_n, "fuzz-0002", f1, f2))
            abort();
        aim_free(out2);
    } else if (out) {
        abort();
    }
    aim_free(out);
    aim_label_free(l);
    return 0;
}

#endif
