/*
 * Fuzz the visible-label image path: decode a PNG, JPEG or WebP, draw the
 * label, re-encode with the metadata kept, add the implicit label. Any
 * input must give AIM_OK with an output that reads back with the label, or
 * an error with no output. Pixels are capped so each run stays fast.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aimark/aimark.h"
#include "aimark/visible.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    aim_label *l = aim_label_new();
    if (!l)
        return 0;
    aim_label_set(l, AIM_FIELD_LABEL, "1");
    aim_label_set(l, AIM_FIELD_CONTENT_PRODUCER, "fuzz");
    aim_label_set(l, AIM_FIELD_PRODUCE_ID, "fuzz-visible-1");
    aim_visible_opts o;
    aim_visible_opts_init(&o);
    o.max_pixels = 1u << 18; /* 512x512: keeps each run in milliseconds */
    void *out = NULL;
    size_t out_n = 0;
    aim_diag d;
    int rc = aim_visible_label_mem(data, size, &o, l, NULL, &out, &out_n, &d);
    if (rc == AIM_OK) {
        if (!out || out_n == 0)
            abort();
        aim_meta *m = NULL;
        if (aim_meta_read_mem(out, out_n, &m, NULL) != AIM_OK || !aim_meta_label(m))
            abort();
        const char *id = aim_label_get(aim_meta_label(m), AIM_FIELD_PRODUCE_ID);
        if (!id || strcmp(id, "fuzz-visible-1") != 0)
            abort();
        aim_meta_free(m);
    } else if (out) {
        abort(); /* a failed call must not hand out a buffer */
    }
    aim_free(out);
    aim_label_free(l);
    return 0;
}
