/*
 * The format-independent half of the metadata layer: recognise the format,
 * hand the file to its handler, turn what it found into an aim_meta, and
 * run writes through the atomic temp-file path with a read-back check.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aimark/aimark.h"
#include "container/handler.h"
#include "core/atomic.h"

/* Probe order matters only where signatures could overlap: every format
 * with a fixed magic comes first, MP3 (frame-sync heuristics) last. */
static const container_handler *const HANDLERS[] = {
    &wav_handler, &webp_handler, &flac_handler, &ogg_handler, &png_handler,
    &jpeg_handler, &mp4_handler, &mp3_handler,
};
#define N_HANDLERS (sizeof HANDLERS / sizeof HANDLERS[0])

/* Bytes of the file handed to probe(). */
#define PROBE_BYTES 4096

struct aim_meta {
    aim_format format;
    aim_label *label;
    aim_label_form form;
    char *raw;
    char location[64];
    unsigned count;
    char *source_type;
    int label_error;
};

const char *aim_format_name(aim_format f)
{
    static const char *const names[AIM_FORMAT_COUNT] = {
        "unknown", "wav", "mp3", "flac", "ogg-vorbis", "ogg-opus", "mp4", "png", "jpeg", "webp",
    };
    return (unsigned)f < AIM_FORMAT_COUNT ? names[f] : "unknown";
}

const container_handler *handler_for(const uint8_t *head, size_t n)
{
    for (size_t i = 0; i < N_HANDLERS; i++)
        if (HANDLERS[i]->probe(head, n))
            return HANDLERS[i];
    return NULL;
}

aim_format aim_format_probe(const void *head, size_t n)
{
    if (!head)
        return AIM_FORMAT_UNKNOWN;
    const container_handler *h = handler_for(head, n);
    if (!h)
        return AIM_FORMAT_UNKNOWN;
    /* Ogg's handler covers two formats: look at the first packet. */
    if (h->format == AIM_FORMAT_OGG_VORBIS && n >= 36 && memcmp((const uint8_t *)head + 28, "OpusHead", 8) == 0)
        return AIM_FORMAT_OGG_OPUS;
    return h->format;
}

const char *aim_source_type_uri(aim_source_type t)
{
    switch (t) {
    case AIM_SOURCE_TRAINED_ALGORITHMIC:
        return "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";
    case AIM_SOURCE_COMPOSITE_TRAINED:
        return "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia";
    default:
        return NULL;
    }
}

/* ---- meta_found ---------------------------------------------------------- */

int found_label(meta_found *f, const char *location, const void *text, size_t len)
{
    f->count++;
    if (f->text)
        return AIM_OK;
    if (len > AIM_MAX_LABEL_TEXT)
        return AIM_ERR_LIMIT;
    f->text = malloc(len + 1);
    if (!f->text)
        return AIM_ERR_NOMEM;
    memcpy(f->text, text, len);
    f->text[len] = 0;
    f->text_len = len;
    size_t n = strlen(location);
    if (n >= sizeof f->location)
        n = sizeof f->location - 1;
    memcpy(f->location, location, n);
    f->location[n] = 0;
    return AIM_OK;
}

int found_source_type(meta_found *f, const void *uri, size_t len)
{
    if (f->source_type)
        return AIM_OK;
    if (len > 1024)
        return AIM_OK; /* not a URI we would report */
    f->source_type = malloc(len + 1);
    if (!f->source_type)
        return AIM_ERR_NOMEM;
    memcpy(f->source_type, uri, len);
    f->source_type[len] = 0;
    return AIM_OK;
}

void found_clear(meta_found *f)
{
    free(f->text);
    free(f->source_type);
    memset(f, 0, sizeof *f);
}

/* ---- reading ------------------------------------------------------------- */

static int read_src(const aim_src *src, aim_meta **out, aim_diag *diag)
{
    *out = NULL;
    uint8_t head[PROBE_BYTES];
    size_t n = src->size < PROBE_BYTES ? (size_t)src->size : PROBE_BYTES;
    int rc = src_read(src, 0, head, n);
    if (rc)
        return diag_fail(diag, rc, "cannot read the file header");
    const container_handler *h = handler_for(head, n);
    if (!h)
        return diag_fail(diag, AIM_ERR_UNKNOWN_FORMAT, "not a WAV, MP3, FLAC, Ogg, MP4, PNG, JPEG or WebP file");
    meta_found found;
    memset(&found, 0, sizeof found);
    found.format = aim_format_probe(head, n);
    if (diag)
        diag->format = found.format;
    rc = h->read(src, &found, diag);
    if (diag)
        diag->format = found.format;
    if (rc) {
        found_clear(&found);
        return rc;
    }
    aim_meta *m = calloc(1, sizeof *m);
    if (!m) {
        found_clear(&found);
        return AIM_ERR_NOMEM;
    }
    m->format = found.format;
    m->count = found.count;
    m->source_type = found.source_type;
    found.source_type = NULL;
    if (found.text) {
        memcpy(m->location, found.location, sizeof m->location);
        m->raw = found.text;
        found.text = NULL;
        int prc = aim_label_parse(m->raw, found.text_len, &m->label, &m->form);
        if (prc == AIM_ERR_NOMEM) {
            found_clear(&found);
            aim_meta_free(m);
            return AIM_ERR_NOMEM;
        }
        m->label_error = prc;
    }
    found_clear(&found);
    *out = m;
    return AIM_OK;
}

int aim_meta_read_mem(const void *data, size_t n, aim_meta **out, aim_diag *diag)
{
    if (diag)
        memset(diag, 0, sizeof *diag);
    if (!out || (!data && n))
        return AIM_ERR_INVALID_ARG;
    aim_src src = {-1, data, n};
    return read_src(&src, out, diag);
}

static int open_input(const char *path, aim_src *src, aim_diag *diag)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return diag_fail(diag, AIM_ERR_IO, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return diag_fail(diag, AIM_ERR_IO, "not a regular file");
    }
    src->fd = fd;
    src->mem = NULL;
    src->size = (uint64_t)st.st_size;
    return AIM_OK;
}

int aim_meta_read_file(const char *path, aim_meta **out, aim_diag *diag)
{
    if (diag)
        memset(diag, 0, sizeof *diag);
    if (!path || !out)
        return AIM_ERR_INVALID_ARG;
    *out = NULL;
    aim_src src;
    int rc = open_input(path, &src, diag);
    if (rc)
        return rc;
    rc = read_src(&src, out, diag);
    close(src.fd);
    return rc;
}

void aim_meta_free(aim_meta *m)
{
    if (!m)
        return;
    aim_label_free(m->label);
    free(m->raw);
    free(m->source_type);
    free(m);
}

aim_format aim_meta_format(const aim_meta *m) { return m ? m->format : AIM_FORMAT_UNKNOWN; }
const aim_label *aim_meta_label(const aim_meta *m) { return m ? m->label : NULL; }
const char *aim_meta_location(const aim_meta *m) { return m && m->raw ? m->location : NULL; }
aim_label_form aim_meta_form(const aim_meta *m) { return m ? m->form : AIM_FORM_BARE; }
const char *aim_meta_raw(const aim_meta *m) { return m ? m->raw : NULL; }
unsigned aim_meta_label_count(const aim_meta *m) { return m ? m->count : 0; }
const char *aim_meta_source_type(const aim_meta *m) { return m ? m->source_type : NULL; }
int aim_meta_label_error(const aim_meta *m) { return m ? m->label_error : AIM_OK; }

/* ---- writing ------------------------------------------------------------- */

void aim_write_opts_init(aim_write_opts *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->form = AIM_FORM_BARE;
    o->source_type = AIM_SOURCE_TRAINED_ALGORITHMIC;
}

typedef struct write_job {
    const container_handler *h;
    meta_write_req req;
    char *json;
} write_job;

static int prepare(const aim_src *src, const aim_label *label, const aim_write_opts *opts,
                   write_job *job, aim_diag *diag)
{
    memset(job, 0, sizeof *job);
    aim_write_opts defaults;
    aim_write_opts_init(&defaults);
    if (!opts)
        opts = &defaults;
    char why[200];
    if (aim_label_validate(label, why, sizeof why) != AIM_OK)
        return diag_fail(diag, AIM_ERR_LABEL_INVALID, "label: %s", why);
    uint8_t head[PROBE_BYTES];
    size_t n = src->size < PROBE_BYTES ? (size_t)src->size : PROBE_BYTES;
    int rc = src_read(src, 0, head, n);
    if (rc)
        return diag_fail(diag, rc, "cannot read the file header");
    job->h = handler_for(head, n);
    if (!job->h)
        return diag_fail(diag, AIM_ERR_UNKNOWN_FORMAT, "not a WAV, MP3, FLAC, Ogg, MP4, PNG, JPEG or WebP file");
    if (diag)
        diag->format = aim_format_probe(head, n);
    size_t len = 0;
    aim_label_to_json(label, opts->form, NULL, 0, &len);
    job->json = malloc(len + 1);
    if (!job->json)
        return AIM_ERR_NOMEM;
    rc = aim_label_to_json(label, opts->form, job->json, len + 1, &len);
    if (rc)
        return rc;
    job->req.label = label;
    job->req.json = job->json;
    job->req.json_len = len;
    job->req.source_type = aim_source_type_uri(opts->source_type);
    return AIM_OK;
}

/* Read the freshly written output back: exactly one label, ours. */
static int verify(const container_handler *h, const aim_src *out, const write_job *job,
                  aim_diag *diag)
{
    meta_found f;
    memset(&f, 0, sizeof f);
    int rc = h->read(out, &f, diag);
    if (rc == AIM_OK && (f.count != 1 || f.text_len != job->req.json_len ||
                         memcmp(f.text, job->req.json, f.text_len) != 0))
        rc = diag_fail(diag, AIM_ERR_CORRUPT,
                       "%s: read-back check failed: the written label was not found intact",
                       aim_format_name(f.format));
    found_clear(&f);
    return rc;
}

int aim_meta_write_mem(const void *in, size_t n, const aim_label *label,
                       const aim_write_opts *opts, void **out, size_t *out_n, aim_diag *diag)
{
    if (diag)
        memset(diag, 0, sizeof *diag);
    if (!label || !out || !out_n || (!in && n))
        return AIM_ERR_INVALID_ARG;
    *out = NULL;
    *out_n = 0;
    aim_src src = {-1, in, n};
    write_job job;
    int rc = prepare(&src, label, opts, &job, diag);
    if (rc) {
        free(job.json);
        return rc;
    }
    aim_buf b = AIM_BUF_INIT;
    b.limit = n + 2 * (size_t)AIM_MAX_META_BYTES;
    aim_sink sink;
    sink_init_mem(&sink, &b);
    rc = job.h->write(&src, &job.req, &sink, diag);
    int frc = sink_finish(&sink);
    if (rc == AIM_OK)
        rc = frc;
    if (rc == AIM_OK) {
        aim_src check = {-1, b.p, b.len};
        rc = verify(job.h, &check, &job, diag);
    }
    free(job.json);
    if (rc) {
        buf_free(&b);
        return rc;
    }
    *out = b.p;
    *out_n = b.len;
    return AIM_OK;
}

int aim_meta_write_file(const char *in_path, const char *out_path, const aim_label *label,
                        const aim_write_opts *opts, aim_diag *diag)
{
    if (diag)
        memset(diag, 0, sizeof *diag);
    if (!in_path || !label)
        return AIM_ERR_INVALID_ARG;
    if (!out_path)
        out_path = in_path;
    aim_src src;
    int rc = open_input(in_path, &src, diag);
    if (rc)
        return rc;
    write_job job;
    rc = prepare(&src, label, opts, &job, diag);
    if (rc) {
        free(job.json);
        close(src.fd);
        return rc;
    }
    atomic_file af;
    rc = atomic_open(&af, out_path, in_path);
    if (rc) {
        free(job.json);
        close(src.fd);
        return diag_fail(diag, rc, "cannot create a temporary file beside %s: %s", out_path,
                         strerror(errno));
    }
    aim_sink sink;
    sink_init_fd(&sink, af.fd);
    rc = job.h->write(&src, &job.req, &sink, diag);
    int frc = sink_finish(&sink);
    if (rc == AIM_OK && frc)
        rc = diag_fail(diag, frc, "cannot write the output: %s", strerror(errno));
    if (rc == AIM_OK) {
        struct stat st;
        if (fstat(af.fd, &st) != 0) {
            rc = AIM_ERR_IO;
        } else {
            aim_src check = {af.fd, NULL, (uint64_t)st.st_size};
            rc = verify(job.h, &check, &job, diag);
        }
    }
    free(job.json);
    close(src.fd);
    if (rc) {
        atomic_abort(&af);
        return rc;
    }
    rc = atomic_commit(&af);
    if (rc)
        return diag_fail(diag, rc, "cannot replace %s: %s", out_path, strerror(errno));
    return AIM_OK;
}
