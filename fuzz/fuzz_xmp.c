/* Fuzz the XMP scanner and writer directly: read the input as a packet,
 * update it, and check that the result reads back with exactly our label. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "container/xmp.h"

#define JSON "{\"Label\":\"1\",\"ContentProducer\":\"001191110102MACQD9K64010000\",\"ProduceID\":\"f&<'>\"}"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    meta_found f;
    memset(&f, 0, sizeof f);
    aim_diag d;
    xmp_read((const char *)data, size, "xmp:TC260:AIGC", &f, &d);
    found_clear(&f);

    meta_write_req req = {NULL, JSON, strlen(JSON),
                          size & 1 ? NULL : "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"};
    aim_buf out = AIM_BUF_INIT;
    if (xmp_write((const char *)data, size, &req, &out, &d) == AIM_OK) {
        memset(&f, 0, sizeof f);
        int rc = xmp_read((const char *)out.p, out.len, "xmp:TC260:AIGC", &f, &d);
        /* what we wrote must parse and hold exactly one label, ours */
        if (rc != AIM_OK || f.count != 1 || f.text_len != req.json_len ||
            memcmp(f.text, req.json, req.json_len) != 0)
            abort();
        found_clear(&f);
    }
    buf_free(&out);
    return 0;
}
