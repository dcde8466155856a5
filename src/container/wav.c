/*
 * WAV (RIFF/WAVE, RF64, BW64): the label is a top-level chunk `AIGC` whose
 * payload is the label JSON, no NUL (TC260-PG-202510A).
 *
 * Reading walks the chunk headers only. Writing removes every AIGC chunk,
 * inserts one immediately before the first `data` chunk (so a streaming
 * reader meets the label before the audio; at the end if there is no data
 * chunk), keeps every other chunk byte-exact and in order, and fixes the
 * RIFF size (RF64/BW64: the ds64 riffSize; the header field stays
 * 0xFFFFFFFF).
 *
 * Damaged files: a `data` chunk whose declared size runs past the end of
 * the file (a truncated or streamed recording) is read as extending to the
 * end of the file. A rewrite keeps those bytes and stores the size actually
 * present in the data chunk header (or in ds64 dataSize when the header
 * says 0xFFFFFFFF), so the output is a consistent file. A RIFF size of 0 or
 * 0xFFFFFFFF (streamed) means "up to the end of the file"; bytes after the
 * RIFF area are copied unchanged after it. Any other chunk running past the
 * RIFF area is AIM_ERR_CORRUPT.
 */
#include <stdlib.h>
#include <string.h>

#include "container/handler.h"
#include "container/riff.h"
#include "core/bytes.h"

#define WAV_LOCATION "riff:AIGC"
/* A ds64 chunk is 28 bytes plus 12 per table entry; real ones are tiny. */
#define WAV_MAX_DS64 (1024u * 1024u)
#define WAV_DS64_MIN 28u

typedef struct wav_file {
    const aim_src *src;
    int rf64;            /* RF64 or BW64: sizes come from ds64 */
    uint8_t magic[4];    /* "RIFF", "RF64" or "BW64" */
    uint64_t area_end;   /* end of the RIFF area (clamped to the file) */
    uint8_t *ds64;       /* ds64 payload (rf64 only), owned */
    uint64_t ds64_len;
    uint64_t data_avail; /* set by the counting pass: a clipped ds64-sized data chunk */
    int data_clipped64;
} wav_file;

static int probe(const uint8_t *h, size_t n)
{
    if (n < 12 || !fourcc_is(h + 8, "WAVE"))
        return 0;
    return fourcc_is(h, "RIFF") || fourcc_is(h, "RF64") || fourcc_is(h, "BW64");
}

/* RF64/BW64: a chunk size of 0xFFFFFFFF is looked up in ds64 (dataSize
 * for `data`, else the table of {id, size64} entries). */
static uint64_t ds64_size_of(void *ctx, const uint8_t id[4], uint32_t size32)
{
    const wav_file *wf = ctx;
    if (size32 != UINT32_MAX)
        return size32;
    if (fourcc_is(id, "data"))
        return rd_le64(wf->ds64 + 8);
    uint64_t entries = rd_le32(wf->ds64 + 24);
    uint64_t room = (wf->ds64_len - WAV_DS64_MIN) / 12;
    if (entries > room)
        entries = room;
    for (uint64_t i = 0; i < entries; i++) {
        const uint8_t *e = wf->ds64 + WAV_DS64_MIN + 12 * i;
        if (memcmp(e, id, 4) == 0)
            return rd_le64(e + 4);
    }
    return size32;
}

static void wav_close(wav_file *wf) { free(wf->ds64); }

/* Parse the RIFF header (and ds64 for RF64/BW64). */
static int wav_open(const aim_src *src, wav_file *wf, aim_diag *diag)
{
    memset(wf, 0, sizeof *wf);
    wf->src = src;
    uint8_t h[12];
    int rc = src_read(src, 0, h, sizeof h);
    if (rc)
        return diag_fail(diag, rc, "wav: file shorter than the 12-byte RIFF header");
    memcpy(wf->magic, h, 4);
    wf->rf64 = !fourcc_is(h, "RIFF");
    uint64_t riff_size = rd_le32(h + 4);
    if (wf->rf64) {
        uint8_t ch[8];
        rc = src_read(src, 12, ch, sizeof ch);
        if (rc)
            return diag_fail(diag, rc, "wav: %.4s file without its ds64 chunk", (const char *)h);
        if (!fourcc_is(ch, "ds64"))
            return diag_fail(diag, AIM_ERR_CORRUPT,
                             "wav: %.4s file whose first chunk is '%.4s', not ds64",
                             (const char *)h, (const char *)ch);
        uint32_t n = rd_le32(ch + 4);
        if (n < WAV_DS64_MIN)
            return diag_fail(diag, AIM_ERR_CORRUPT, "wav: ds64 chunk of %u bytes is too short", n);
        rc = src_dup(src, 20, n, WAV_MAX_DS64, &wf->ds64);
        if (rc)
            return diag_fail(diag, rc, "wav: ds64 chunk of %u bytes %s", n,
                             rc == AIM_ERR_LIMIT ? "exceeds the limit"
                                                 : "runs past the end of the file");
        wf->ds64_len = n;
        riff_size = rd_le64(wf->ds64);
        if (riff_size == UINT64_MAX)
            riff_size = 0;
    } else if (riff_size == UINT32_MAX) {
        riff_size = 0;
    }
    if (riff_size == 0 || riff_size > src->size - 8)
        wf->area_end = src->size; /* streamed (unknown) or truncated */
    else if (riff_size < 4)
        return diag_fail(diag, AIM_ERR_CORRUPT, "wav: RIFF size %llu is too small",
                         (unsigned long long)riff_size);
    else
        wf->area_end = 8 + riff_size;
    return AIM_OK;
}

static void wav_walk_init(wav_file *wf, riff_walk *w)
{
    riff_walk_init(w, wf->src, "wav", 12, wf->area_end);
    w->clip_id = "data";
    if (wf->rf64) {
        w->size_of = ds64_size_of;
        w->ctx = wf;
    }
}

static int wav_read(const aim_src *src, meta_found *found, aim_diag *diag)
{
    wav_file wf;
    int rc = wav_open(src, &wf, diag);
    riff_walk w;
    riff_chunk c;
    if (rc == AIM_OK)
        wav_walk_init(&wf, &w);
    while (rc == AIM_OK && (rc = riff_next(&w, &c, diag)) == 1) {
        rc = AIM_OK;
        if (!fourcc_is(c.id, "AIGC"))
            continue;
        if (found->text) { /* only the first text is kept: just count */
            rc = found_label(found, WAV_LOCATION, "", 0);
            continue;
        }
        uint8_t *text = NULL;
        rc = src_dup(src, c.off + 8, c.size, AIM_MAX_LABEL_TEXT, &text);
        if (rc) {
            rc = diag_fail(diag, rc, "wav: AIGC chunk of %llu bytes is too large",
                           (unsigned long long)c.size);
            break;
        }
        size_t n = (size_t)c.size;
        while (n && (text[n - 1] == ' ' || text[n - 1] == 0)) /* RF64 evening space, C NULs */
            n--;
        rc = found_label(found, WAV_LOCATION, text, n);
        free(text);
    }
    wav_close(&wf);
    return rc < 0 ? rc : AIM_OK;
}

/* The AIGC chunk. In RF64/BW64 it is kept even-sized with a trailing JSON
 * space: libsndfile's RF64 reader does not skip the pad byte after an
 * odd-sized chunk and then fails to find `data`. */
static int wav_put_label(riff_out *o, const wav_file *wf, const meta_write_req *req)
{
    if (!wf->rf64 || !(req->json_len & 1))
        return riff_out_chunk(o, "AIGC", req->json, req->json_len);
    if (req->json_len >= UINT32_MAX)
        return AIM_ERR_TOO_LARGE;
    uint8_t h[8];
    memcpy(h, "AIGC", 4);
    wr_le32(h + 4, (uint32_t)(req->json_len + 1));
    int rc = riff_out_bytes(o, h, sizeof h);
    if (rc == AIM_OK)
        rc = riff_out_bytes(o, req->json, req->json_len);
    if (rc == AIM_OK)
        rc = riff_out_bytes(o, " ", 1);
    return rc;
}

/*
 * One pass of the rewrite. With o->sink NULL it only counts the bytes (and
 * notes a clipped ds64-sized data chunk); with a sink it writes the file
 * whose RIFF area holds `riff_size` bytes.
 */
static int wav_emit(wav_file *wf, const meta_write_req *req, riff_out *o, uint64_t riff_size,
                    aim_diag *diag)
{
    uint8_t h[12];
    memcpy(h, wf->magic, 4);
    wr_le32(h + 4, wf->rf64 ? UINT32_MAX : (uint32_t)riff_size);
    memcpy(h + 8, "WAVE", 4);
    int rc = riff_out_bytes(o, h, sizeof h);
    riff_walk w;
    riff_chunk c;
    int inserted = 0, ds64_data_seen = 0;
    wav_walk_init(wf, &w);
    while (rc == AIM_OK && (rc = riff_next(&w, &c, diag)) == 1) {
        rc = AIM_OK;
        if (fourcc_is(c.id, "AIGC"))
            continue; /* every old label goes */
        if (wf->rf64 && c.off == 12) { /* ds64: new riffSize (and dataSize) */
            uint8_t *p = malloc((size_t)wf->ds64_len);
            if (!p)
                return AIM_ERR_NOMEM;
            memcpy(p, wf->ds64, (size_t)wf->ds64_len);
            wr_le64(p, riff_size);
            if (wf->data_clipped64)
                wr_le64(p + 8, wf->data_avail);
            rc = riff_out_chunk(o, "ds64", p, (size_t)wf->ds64_len);
            free(p);
            continue;
        }
        if (fourcc_is(c.id, "data") && !inserted) {
            rc = wav_put_label(o, wf, req);
            inserted = 1;
            if (rc)
                break;
        }
        /* ds64's dataSize sizes every `data` chunk whose header says
         * 0xFFFFFFFF (a damaged file may have several): only the first may
         * have it changed, or the earlier ones would be misread */
        int ds64_sized = wf->rf64 && fourcc_is(c.id, "data") && c.size32 == UINT32_MAX;
        int first_ds64_data = ds64_sized && !ds64_data_seen;
        ds64_data_seen |= ds64_sized;
        if (!c.clipped) {
            rc = riff_out_copy_chunk(o, wf->src, &c);
            continue;
        }
        /* data running past the end of the file: store the size present */
        uint8_t ch[8];
        memcpy(ch, "data", 4);
        if (first_ds64_data) {
            wr_le32(ch + 4, UINT32_MAX);
            wf->data_clipped64 = 1;
            wf->data_avail = c.avail;
        } else if (c.avail < UINT32_MAX) {
            wr_le32(ch + 4, (uint32_t)c.avail); /* avail < size */
        } else {
            rc = diag_fail(diag, AIM_ERR_CORRUPT,
                           "wav: a second ds64-sized data chunk, past the end of the file");
            break;
        }
        rc = riff_out_bytes(o, ch, sizeof ch);
        if (rc == AIM_OK)
            rc = riff_out_copy(o, wf->src, c.off + 8, c.avail);
        o->pad_pending = (c.avail & 1) != 0;
    }
    if (rc < 0)
        return rc;
    if (!inserted)
        rc = wav_put_label(o, wf, req);
    if (rc == AIM_OK) /* fewer than 8 unparsed bytes at the end of the area */
        rc = riff_out_copy(o, wf->src, w.pos, w.end - w.pos);
    if (rc == AIM_OK && o->sink && w.end < wf->src->size) /* bytes after the RIFF area */
        rc = sink_copy(o->sink, wf->src, w.end, wf->src->size - w.end);
    return rc;
}

static int wav_write(const aim_src *src, const meta_write_req *req, aim_sink *out, aim_diag *diag)
{
    wav_file wf;
    int rc = wav_open(src, &wf, diag);
    if (rc) {
        wav_close(&wf);
        return rc;
    }
    riff_out count = {NULL, 0, 0};
    rc = wav_emit(&wf, req, &count, 0, diag);
    if (rc == AIM_OK) {
        uint64_t riff_size = count.len - 8;
        if (!wf.rf64 && riff_size >= UINT32_MAX) {
            rc = diag_fail(diag, AIM_ERR_TOO_LARGE,
                           "wav: the labelled file would exceed the 4 GiB RIFF limit");
        } else {
            riff_out o = {out, 0, 0};
            rc = wav_emit(&wf, req, &o, riff_size, diag);
            if (rc == AIM_OK && o.len != count.len)
                rc = diag_fail(diag, AIM_ERR_IO, "wav: the file changed while it was rewritten");
        }
    }
    wav_close(&wf);
    return rc;
}

const container_handler wav_handler = {AIM_FORMAT_WAV, probe, wav_read, wav_write};
