/* Fuzz the detector model blob parser. Each input is parsed as is, then
 * again with its checksums recomputed so mutations reach the structural
 * checks behind the CRCs; a blob that loads is run on 1 s of audio. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "aimark/detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void exercise(const uint8_t *b, size_t n)
{
    aim_detect_model *m = NULL;
    aim_diag dg;
    if (aim_detect_model_load_memory(b, n, &m, &dg) != AIM_OK)
        return;
    static float x[16000];
    for (int i = 0; i < 16000; i++)
        x[i] = (float)((i * 7919) % 2000 - 1000) / 4000.0f;
    aim_detect_result r;
    aim_detect_pcm(m, NULL, x, 16000, &r);
    aim_detect_model_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    exercise(data, size);
    if (size < 84 || size > (1u << 22))
        return 0;
    uint8_t *b = malloc(size);
    if (!b)
        return 0;
    memcpy(b, data, size);
    wr32(b + 20, (uint32_t)size);
    uint32_t nt = rd32(b + 16);
    for (uint32_t i = 0; i < nt && 80 + 52 * (size_t)(i + 1) <= size - 4; i++) {
        uint8_t *e = b + 80 + 52 * (size_t)i;
        uint32_t off = rd32(e + 40), nb = rd32(e + 44);
        if (off <= size - 4 && nb <= size - 4 - off)
            wr32(e + 48, (uint32_t)crc32(0L, b + off, nb));
    }
    wr32(b + size - 4, (uint32_t)crc32(0L, b, (uInt)(size - 4)));
    exercise(b, size);
    free(b);
    return 0;
}
