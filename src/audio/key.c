/* Watermark key files and the ProduceID -> payload derivation. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aimark/audio.h"
#include "core/atomic.h"
#include "core/diag.h"

#define KEY_MAGIC "aimark-wm-key-v1 "

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t k = write(fd, c, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

int aim_audio_key_generate(const char *path, int force, aim_diag *d)
{
    if (!path)
        return AIM_ERR_INVALID_ARG;
    if (d)
        memset(d, 0, sizeof *d);
    unsigned char k[AIM_WM_KEY_BYTES];
    for (size_t got = 0; got < sizeof k;) {
        ssize_t n = getrandom(k + got, sizeof k - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return diag_fail(d, AIM_ERR_IO, "key: no random bytes from the system");
        got += (size_t)n;
    }
    char text[sizeof KEY_MAGIC + 2 * AIM_WM_KEY_BYTES + 1];
    size_t len = (size_t)snprintf(text, sizeof text, "%s", KEY_MAGIC);
    for (size_t i = 0; i < sizeof k; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%02x", k[i]);
    text[len++] = '\n';
    memset(k, 0, sizeof k);
    int rc = AIM_OK;
    if (!force) {
        /* O_EXCL: never replace a key by accident, even in a race. */
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
            return diag_fail(d, AIM_ERR_IO, "key: cannot create %s: %s", path,
                             errno == EEXIST ? "it exists (use --force to replace it)" : strerror(errno));
        if (write_all(fd, text, len) != 0 || fsync(fd) != 0)
            rc = diag_fail(d, AIM_ERR_IO, "key: cannot write %s", path);
        if (close(fd) != 0 && rc == AIM_OK)
            rc = diag_fail(d, AIM_ERR_IO, "key: cannot write %s", path);
        if (rc)
            unlink(path);
    } else {
        atomic_file af;
        rc = atomic_open(&af, path, NULL);
        if (rc)
            return diag_fail(d, rc, "key: cannot create a file beside %s", path);
        af.mode = 0600;
        af.have_mode = 1;
        if (write_all(af.fd, text, len) != 0) {
            atomic_abort(&af);
            rc = diag_fail(d, AIM_ERR_IO, "key: cannot write %s", path);
        } else if ((rc = atomic_commit(&af)) != AIM_OK) {
            rc = diag_fail(d, rc, "key: cannot replace %s", path);
        }
    }
    memset(text, 0, sizeof text);
    return rc;
}

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int aim_audio_key_read(const char *path, aim_wm_key *key, aim_diag *d)
{
    if (!path || !key)
        return AIM_ERR_INVALID_ARG;
    if (d)
        memset(d, 0, sizeof *d);
    FILE *f = fopen(path, "rb");
    if (!f)
        return diag_fail(d, AIM_ERR_IO, "key: cannot open %s: %s", path, strerror(errno));
    unsigned char buf[256];
    size_t n = fread(buf, 1, sizeof buf, f);
    int err = ferror(f);
    fclose(f);
    if (err)
        return diag_fail(d, AIM_ERR_IO, "key: cannot read %s", path);
    int rc;
    size_t m = sizeof KEY_MAGIC - 1;
    if (n >= m + 64 && memcmp(buf, KEY_MAGIC, m) == 0) {
        size_t end = m + 64;
        while (end < n && (buf[end] == '\n' || buf[end] == '\r' || buf[end] == ' ' || buf[end] == '\t'))
            end++;
        unsigned char k[AIM_WM_KEY_BYTES];
        int ok = end == n;
        for (size_t i = 0; ok && i < AIM_WM_KEY_BYTES; i++) {
            int hi = hexval(buf[m + 2 * i]), lo = hexval(buf[m + 2 * i + 1]);
            ok = hi >= 0 && lo >= 0;
            k[i] = (unsigned char)(hi << 4 | lo);
        }
        rc = ok ? aim_wm_key_from_bytes(key, k, sizeof k)
                : diag_fail(d, AIM_ERR_CORRUPT, "key: %s: expected 64 hex digits after the header", path);
        memset(k, 0, sizeof k);
    } else if (n == AIM_WM_KEY_BYTES) {
        rc = aim_wm_key_from_bytes(key, buf, n);
    } else {
        rc = diag_fail(d, AIM_ERR_CORRUPT, "key: %s is not an aimark key file (text '%.*s<hex>' or 32 raw bytes)",
                       path, (int)m - 1, KEY_MAGIC);
    }
    memset(buf, 0, sizeof buf);
    return rc;
}

int aim_audio_payload_from_id(const char *id, uint64_t *payload)
{
    if (!id || !payload)
        return AIM_ERR_INVALID_ARG;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(id, strlen(id), md, &mdlen, EVP_sha256(), NULL) || mdlen < 8)
        return AIM_ERR_NOMEM;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | md[i];
    *payload = v;
    return AIM_OK;
}
