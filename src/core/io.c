#include "core/io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aimark/aimark.h"

#define SINK_CACHE (256u * 1024u)
#define COPY_BLOCK (1024u * 1024u)

int src_read(const aim_src *s, uint64_t off, void *dst, size_t n)
{
    if (off > s->size || n > s->size - off)
        return AIM_ERR_TRUNCATED;
    if (n == 0)
        return AIM_OK;
    if (s->fd < 0) {
        memcpy(dst, s->mem + off, n);
        return AIM_OK;
    }
    uint8_t *p = dst;
    while (n > 0) {
        ssize_t got = pread(s->fd, p, n, (off_t)off);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return AIM_ERR_IO;
        }
        if (got == 0)
            return AIM_ERR_TRUNCATED; /* file shrank under us */
        p += got;
        n -= (size_t)got;
        off += (uint64_t)got;
    }
    return AIM_OK;
}

int src_dup(const aim_src *s, uint64_t off, uint64_t n, uint64_t limit, uint8_t **out)
{
    *out = NULL;
    if (n > limit)
        return AIM_ERR_LIMIT;
    if (off > s->size || n > s->size - off)
        return AIM_ERR_TRUNCATED;
    uint8_t *p = malloc((size_t)n + 1);
    if (!p)
        return AIM_ERR_NOMEM;
    int rc = src_read(s, off, p, (size_t)n);
    if (rc) {
        free(p);
        return rc;
    }
    p[n] = 0;
    *out = p;
    return AIM_OK;
}

void sink_init_fd(aim_sink *k, int fd)
{
    memset(k, 0, sizeof *k);
    k->fd = fd;
}

void sink_init_mem(aim_sink *k, aim_buf *mem)
{
    memset(k, 0, sizeof *k);
    k->fd = -1;
    k->mem = mem;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return AIM_ERR_IO;
        }
        p += w;
        n -= (size_t)w;
    }
    return AIM_OK;
}

static int sink_flush(aim_sink *k)
{
    if (k->cache_len) {
        int rc = write_all(k->fd, k->cache, k->cache_len);
        k->cache_len = 0;
        if (rc)
            return k->err = rc;
    }
    return AIM_OK;
}

int sink_write(aim_sink *k, const void *data, size_t n)
{
    if (k->err)
        return k->err;
    if (n == 0)
        return AIM_OK;
    if (k->fd < 0) {
        int rc = buf_put(k->mem, data, n);
        if (rc)
            return k->err = rc;
        k->off += n;
        return AIM_OK;
    }
    if (!k->cache) {
        k->cache = malloc(SINK_CACHE);
        if (!k->cache)
            return k->err = AIM_ERR_NOMEM;
        k->cache_cap = SINK_CACHE;
    }
    if (k->cache_len + n > k->cache_cap) {
        int rc = sink_flush(k);
        if (rc)
            return rc;
    }
    if (n >= k->cache_cap) {
        int rc = write_all(k->fd, data, n);
        if (rc)
            return k->err = rc;
    } else {
        memcpy(k->cache + k->cache_len, data, n);
        k->cache_len += n;
    }
    k->off += n;
    return AIM_OK;
}

int sink_copy(aim_sink *k, const aim_src *s, uint64_t off, uint64_t n)
{
    if (k->err)
        return k->err;
    if (off > s->size || n > s->size - off)
        return k->err = AIM_ERR_TRUNCATED;
    if (s->fd < 0)
        return sink_write(k, s->mem + off, (size_t)n);
    size_t blk = n < COPY_BLOCK ? (size_t)n : COPY_BLOCK;
    if (blk == 0)
        return AIM_OK;
    uint8_t *tmp = malloc(blk);
    if (!tmp)
        return k->err = AIM_ERR_NOMEM;
    int rc = AIM_OK;
    while (n > 0 && rc == AIM_OK) {
        size_t part = n < blk ? (size_t)n : blk;
        rc = src_read(s, off, tmp, part);
        if (rc == AIM_OK)
            rc = sink_write(k, tmp, part);
        off += part;
        n -= part;
    }
    free(tmp);
    if (rc)
        k->err = rc;
    return rc;
}

int sink_finish(aim_sink *k)
{
    if (k->fd >= 0 && !k->err)
        sink_flush(k);
    free(k->cache);
    k->cache = NULL;
    k->cache_len = k->cache_cap = 0;
    return k->err;
}
