#include <stdlib.h>

#include "aimark/aimark.h"

const char *aim_version(void) { return AIM_VERSION_STRING; }

const char *aim_strerror(int err)
{
    switch (err) {
    case AIM_OK: return "success";
    case AIM_ERR_INVALID_ARG: return "invalid argument";
    case AIM_ERR_NOMEM: return "out of memory";
    case AIM_ERR_IO: return "input/output error";
    case AIM_ERR_UNKNOWN_FORMAT: return "unrecognised file format";
    case AIM_ERR_CORRUPT: return "malformed file structure";
    case AIM_ERR_TRUNCATED: return "file is truncated";
    case AIM_ERR_LIMIT: return "a safety limit was exceeded";
    case AIM_ERR_UNSUPPORTED: return "unsupported variant of the format";
    case AIM_ERR_LABEL_INVALID: return "label breaks the GB 45438 rules";
    case AIM_ERR_JSON: return "label text is not valid label JSON";
    case AIM_ERR_TOO_LARGE: return "result too large for the format";
    case AIM_ERR_BAD_STATE: return "object refused the call after an earlier error";
    case AIM_ERR_NOT_FOUND: return "not found";
    case AIM_ERR_BUFFER_TOO_SMALL: return "buffer too small";
    default: return "unknown error";
    }
}

void aim_free(void *p) { free(p); }
