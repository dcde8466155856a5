/*
 * Growable byte buffer with a sticky error and a hard size limit: append
 * freely, check `b->err` (or the return of buf_take) once at the end.
 */
#ifndef AIM_CORE_BUF_H
#define AIM_CORE_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct aim_buf {
    uint8_t *p;
    size_t len, cap;
    size_t limit; /* 0 = AIM_BUF_DEFAULT_LIMIT */
    int err;      /* first error (AIM_ERR_NOMEM / AIM_ERR_LIMIT), sticky */
} aim_buf;

#define AIM_BUF_INIT {0}

int buf_reserve(aim_buf *b, size_t extra);
int buf_put(aim_buf *b, const void *data, size_t n);
int buf_putc(aim_buf *b, uint8_t c);
int buf_puts(aim_buf *b, const char *s);
int buf_zero(aim_buf *b, size_t n);
int buf_be16(aim_buf *b, uint16_t v);
int buf_be32(aim_buf *b, uint32_t v);
int buf_be64(aim_buf *b, uint64_t v);
int buf_le16(aim_buf *b, uint16_t v);
int buf_le32(aim_buf *b, uint32_t v);
/* Reset length to 0, keep memory. */
void buf_clear(aim_buf *b);
void buf_free(aim_buf *b);

#endif
