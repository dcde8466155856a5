/*
 * Fuzz the audio reader: whatever libsndfile/FFmpeg make of the bytes, the
 * layer must check what they report (rates, channels, frame sizes) and
 * never crash, hang or grow without bound. The reader takes a path, so
 * each input is written to one temp file first.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aimark/audio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/fuzz_audio.%ld", (long)getpid());
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    aim_audio_reader *r = NULL;
    aim_audio_info info;
    aim_diag d;
    if (aim_audio_reader_open(path, &r, &info, &d) == AIM_OK) {
        /* A bounded amount of decoding: enough to walk every frame of a
         * small input, capped so a long-but-valid stream does not time out. */
        float *buf = malloc(1024u * (size_t)info.channels * sizeof *buf);
        size_t total = 0, got = 0;
        while (buf && total < (1u << 20) && aim_audio_reader_read(r, buf, 1024, &got, &d) == AIM_OK && got)
            total += got;
        free(buf);
        aim_audio_reader_free(r);
    }
    unlink(path);
    return 0;
}
