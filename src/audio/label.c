/* One pass for generators: decode, transform, encode, label, rename. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audio/audio_internal.h"
#include "audio/chain.h"
#include "core/atomic.h"
#include "core/diag.h"

void aim_audio_label_opts_init(aim_audio_label_opts *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    aim_write_opts_init(&o->write);
    o->copy_tags = 1;
    aim_audible_config_init(&o->audible_cfg);
}

/* Decode `in` through the chain into the file `tmp`. */
static int transcode(const char *in, const char *tmp, const aim_audio_label_opts *o, aim_diag *d)
{
    aim_audio_reader *r = NULL;
    aim_audio_writer *w = NULL;
    aud_stage *head = NULL, *sink = NULL;
    float *buf = NULL;
    aim_audio_info info;
    aim_audio_writer_config wc;
    int rc = aim_audio_reader_open(in, &r, &info, d);
    if (rc)
        return rc;
    if (r->has_video) {
        rc = diag_fail(d, AIM_ERR_UNSUPPORTED, "audio: the file also holds video, which is not re-encoded");
        goto out;
    }
    if ((rc = aim_audio_writer_config_like(&wc, &info)) != AIM_OK) {
        rc = diag_fail(d, rc, "audio: cannot re-encode this format (%s)", info.codec ? info.codec : "?");
        goto out;
    }
    if ((rc = aim_audio_writer_open(tmp, &wc, &w, d)) != AIM_OK)
        goto out;
    if (o->copy_tags && (rc = aim_audio_writer_copy_tags(w, r)) != AIM_OK)
        goto out;
    if ((rc = aud_stage_writer(w, &sink)) != AIM_OK)
        goto out;
    rc = aud_chain_build(o, &info, sink, &head, d);
    if (rc)
        goto out;
    buf = malloc((size_t)AUD_BLOCK * (size_t)info.channels * sizeof *buf);
    if (!buf) {
        rc = AIM_ERR_NOMEM;
        goto out;
    }
    for (;;) {
        size_t got = 0;
        if ((rc = aim_audio_reader_read(r, buf, AUD_BLOCK, &got, d)) != AIM_OK || got == 0)
            break;
        if ((rc = head->push(head, buf, got, d)) != AIM_OK)
            break;
    }
    if (rc == AIM_OK)
        rc = head->finish(head, d);
out:
    aud_chain_free(head ? head : sink);
    aim_audio_writer_free(w);
    aim_audio_reader_free(r);
    free(buf);
    return rc;
}

int aim_audio_label_file(const char *in, const char *out, const aim_audio_label_opts *o, aim_diag *d)
{
    if (!in || !o || o->struct_size < sizeof *o)
        return AIM_ERR_INVALID_ARG;
    if (d)
        memset(d, 0, sizeof *d);
    const char *dest = out ? out : in;
    if (!aud_chain_needed(o)) {
        /* Nothing to do to the sound: a metadata-only rewrite keeps the
         * audio bit for bit. */
        if (!o->label)
            return diag_fail(d, AIM_ERR_INVALID_ARG, "audio: nothing to write (no label, no transform)");
        return aim_meta_write_file(in, out, o->label, &o->write, d);
    }
    if (o->label) {
        char why[200];
        if (aim_label_validate(o->label, why, sizeof why) != AIM_OK)
            return diag_fail(d, AIM_ERR_LABEL_INVALID, "label: %s", why);
    }
    atomic_file af;
    int rc = atomic_open(&af, dest, in);
    if (rc)
        return diag_fail(d, rc, "audio: cannot create a temporary file beside %s", dest);
    rc = transcode(in, af.tmp_path, o, d);
    if (rc == AIM_OK && o->label) {
        /* The label writer makes its own temp file and renames it over
         * dest; give ours the final mode first, since its mode is copied. */
        if (af.have_mode)
            fchmod(af.fd, af.mode);
        rc = aim_meta_write_file(af.tmp_path, dest, o->label, &o->write, d);
        atomic_abort(&af); /* removes the intermediate file */
        return rc;
    }
    if (rc != AIM_OK) {
        atomic_abort(&af);
        return rc;
    }
    rc = atomic_commit(&af);
    if (rc)
        return diag_fail(d, rc, "audio: cannot rename the result over %s", dest);
    return AIM_OK;
}
