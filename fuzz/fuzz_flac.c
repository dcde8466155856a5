/* Fuzz the flac handler: read, label, read back, relabel (see fuzz_meta.h). */
#include "fuzz_meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_meta_one(data, size, AIM_FORMAT_FLAC, AIM_FORMAT_FLAC);
}
