#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

#include "aimark/aimark.h"
#include "core/bytes.h"
#include "core/limits.h"

#define AIM_BUF_DEFAULT_LIMIT ((size_t)AIM_MAX_META_BYTES * 2)

int buf_reserve(aim_buf *b, size_t extra)
{
    if (b->err)
        return b->err;
    size_t limit = b->limit ? b->limit : AIM_BUF_DEFAULT_LIMIT;
    if (extra > limit || b->len > limit - extra)
        return b->err = AIM_ERR_LIMIT;
    size_t need = b->len + extra;
    if (need <= b->cap)
        return AIM_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p)
        return b->err = AIM_ERR_NOMEM;
    b->p = p;
    b->cap = cap;
    return AIM_OK;
}

int buf_put(aim_buf *b, const void *data, size_t n)
{
    if (n == 0)
        return b->err;
    int rc = buf_reserve(b, n);
    if (rc)
        return rc;
    memcpy(b->p + b->len, data, n);
    b->len += n;
    return AIM_OK;
}

int buf_putc(aim_buf *b, uint8_t c) { return buf_put(b, &c, 1); }
int buf_puts(aim_buf *b, const char *s) { return buf_put(b, s, strlen(s)); }

int buf_zero(aim_buf *b, size_t n)
{
    int rc = buf_reserve(b, n);
    if (rc)
        return rc;
    memset(b->p + b->len, 0, n);
    b->len += n;
    return AIM_OK;
}

int buf_be16(aim_buf *b, uint16_t v) { uint8_t t[2]; wr_be16(t, v); return buf_put(b, t, 2); }
int buf_be32(aim_buf *b, uint32_t v) { uint8_t t[4]; wr_be32(t, v); return buf_put(b, t, 4); }
int buf_be64(aim_buf *b, uint64_t v) { uint8_t t[8]; wr_be64(t, v); return buf_put(b, t, 8); }
int buf_le16(aim_buf *b, uint16_t v) { uint8_t t[2]; wr_le16(t, v); return buf_put(b, t, 2); }
int buf_le32(aim_buf *b, uint32_t v) { uint8_t t[4]; wr_le32(t, v); return buf_put(b, t, 4); }

void buf_clear(aim_buf *b)
{
    b->len = 0;
    b->err = 0;
}

void buf_free(aim_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->err = 0;
}
