/*
 * aimark check: for each file, the implicit label found (or none), where,
 * in which form, and the platform class of Labeling Measures Art. 6.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char CHECK_HELP[] =
    "Usage: aimark check [--key KEYFILE ...] [--meta-only] [--no-ocr] [--json] [-j N] FILE|DIR...\n"
    "\n"
    "Read the GB 45438 implicit label (AIGC) of each file and classify it as\n"
    "Labeling Measures Art. 6 asks: confirmed (Label 1), possible (Label 2),\n"
    "suspected (Label 3, or other AI traces) or none. Folders are walked\n"
    "recursively; files of unknown format found there are skipped silently.\n"
    "\n"
    "Audio files are also decoded and analysed (one pass): the audible rhythm\n"
    "prompt (explicit label, GB 45438 section 4) and the synthetic speech detector;\n"
    "speech the detector flags makes an unlabelled file suspected.\n"
    "\n"
    "Images (PNG, JPEG, WebP) and the opening 2 s of MP4/MOV video are read\n"
    "with OCR (tesseract, chi_sim) for a visible label such as \"AI生成\" at an\n"
    "edge or corner (GB 45438 section 5.2/5.4); one found on a file without a\n"
    "metadata label makes it suspected.\n"
    "\n"
    "  --key KEYFILE  also look for the audio watermark with this key (repeatable);\n"
    "               a valid watermark makes the file confirmed even when the\n"
    "               metadata label was stripped, with the recovered identifier;\n"
    "               where no payload decodes, the label's own ProduceID mark is\n"
    "               tested for presence (from ~3 s: matches_label)\n"
    "  --meta-only  read the metadata label only (no decoding: the fast path)\n"
    "  --no-detect  analyse audio for the rhythm prompt but skip the detector\n"
    "  --no-ocr     do not read images and video for a visible label\n"
    "  --model PATH detector model blob (default: the built-in one)\n"
    "  --json       one JSON object per file per line\n"
    "  -j, --jobs N worker threads (default: all cores)\n"
    "\n"
    "Exit status: 0 no AI indication, 1 some file is confirmed/possible/\n"
    "suspected, 2 usage error, 3 some file could not be read.\n";

typedef struct check_ctx {
    int json;
    int meta_only, no_detect, no_ocr;
    pthread_key_t reader_key;      /* one visible-label reader per worker, made lazily */
    int ocr_failed;                /* a reader could not be made: OCR off, said once */
    char ocr_err[240];
    const aim_detect_model *model; /* shared read-only by the workers */
    cli_keys keys;
    pthread_mutex_t mu;
    unsigned long counts[4], errors;
} check_ctx;

static void add_warning(strbuf *w, const char *text)
{
    sb_puts(w, w->len ? "," : "");
    sb_json_str(w, text);
}

/* What one decoding pass over an audio file found. */
typedef struct content {
    int done;               /* 1: analysed; 0: not audio or --meta-only */
    char err[240];          /* decode failure, when done and not empty */
    aim_audible_hit *hits;  /* rhythm prompts */
    size_t n_hits;
    int scored;             /* detector ran and scored at least one window */
    aim_detect_result det;
} content;

static int is_audio_format(aim_format f)
{
    return f == AIM_FORMAT_WAV || f == AIM_FORMAT_MP3 || f == AIM_FORMAT_FLAC || f == AIM_FORMAT_OGG_VORBIS ||
           f == AIM_FORMAT_OGG_OPUS || f == AIM_FORMAT_MP4;
}

/* Decode once, feeding the rhythm-prompt detector and the speech detector. */
static void analyse(const check_ctx *ctx, const char *path, content *c)
{
    aim_audio_reader *r = NULL;
    aim_audio_info info;
    aim_diag d;
    memset(&d, 0, sizeof d);
    c->done = 1;
    int rc = aim_audio_reader_open(path, &r, &info, &d);
    if (rc != AIM_OK) {
        if (rc == AIM_ERR_UNSUPPORTED || rc == AIM_ERR_UNKNOWN_FORMAT) {
            c->done = 0; /* e.g. an MP4 with video only: nothing to hear */
            return;
        }
        snprintf(c->err, sizeof c->err, "%s", d.message[0] ? d.message : aim_strerror(rc));
        return;
    }
    aim_audible_detector *ad = NULL;
    aim_detector *sd = NULL;
    aim_audible_detect_config acfg;
    aim_audible_detect_config_init(&acfg);
    acfg.sample_rate = info.sample_rate;
    acfg.channels = info.channels;
    if (aim_audible_detector_new(&acfg, &ad) != AIM_OK)
        ad = NULL; /* a rate it does not take: no rhythm search */
    if (ctx->model) {
        aim_detect_config dcfg;
        aim_detect_config_init(&dcfg);
        dcfg.sample_rate = info.sample_rate;
        dcfg.channels = info.channels;
        if (aim_detector_new(ctx->model, &dcfg, &sd) != AIM_OK)
            sd = NULL;
    }
    enum { BLOCK = 4096 };
    float *buf = malloc((size_t)BLOCK * (size_t)info.channels * sizeof *buf);
    rc = buf ? AIM_OK : AIM_ERR_NOMEM;
    while (rc == AIM_OK) {
        size_t got = 0;
        rc = aim_audio_reader_read(r, buf, BLOCK, &got, &d);
        if (rc != AIM_OK || got == 0)
            break;
        if (ad)
            aim_audible_detector_feed(ad, buf, got);
        if (sd) {
            aim_detector_push(sd, buf, got);
            aim_detect_window w; /* drain: only the running result is used */
            while (aim_detector_next_window(sd, &w) == 1)
                ;
        }
    }
    if (rc != AIM_OK)
        snprintf(c->err, sizeof c->err, "%s", d.message[0] ? d.message : aim_strerror(rc));
    if (ad && aim_audible_detector_finish(ad) == AIM_OK) {
        size_t n = 0;
        const aim_audible_hit *h = aim_audible_detector_hits(ad, &n);
        if (n && (c->hits = malloc(n * sizeof *c->hits)) != NULL) {
            memcpy(c->hits, h, n * sizeof *h);
            c->n_hits = n;
        }
    }
    if (sd && aim_detector_finish(sd) == AIM_OK) {
        aim_detector_result(sd, &c->det);
        c->scored = c->det.n_windows > 0;
    }
    free(buf);
    aim_detector_free(sd);
    aim_audible_detector_free(ad);
    aim_audio_reader_free(r);
}

static void reader_dtor(void *p) { aim_visible_reader_free(p); }

/* This worker's reader, made on first use; NULL (err filled) when OCR is
 * unavailable, e.g. the chi_sim data is missing. */
static aim_visible_reader *thread_reader(check_ctx *ctx, char *err, size_t cap)
{
    aim_visible_reader *r = pthread_getspecific(ctx->reader_key);
    if (r)
        return r;
    pthread_mutex_lock(&ctx->mu);
    int failed = ctx->ocr_failed;
    if (failed)
        snprintf(err, cap, "%s", ctx->ocr_err);
    pthread_mutex_unlock(&ctx->mu);
    if (failed)
        return NULL;
    aim_diag d;
    memset(&d, 0, sizeof d);
    int rc = aim_visible_reader_new(NULL, &r, &d);
    if (rc == AIM_OK && pthread_setspecific(ctx->reader_key, r) == 0)
        return r;
    aim_visible_reader_free(r);
    snprintf(err, cap, "%s", d.message[0] ? d.message : aim_strerror(rc));
    pthread_mutex_lock(&ctx->mu);
    if (!ctx->ocr_failed) {
        ctx->ocr_failed = 1;
        snprintf(ctx->ocr_err, sizeof ctx->ocr_err, "%s", err);
        fprintf(stderr, "aimark check: visible labels are not read: %s (--no-ocr skips them)\n", err);
    }
    pthread_mutex_unlock(&ctx->mu);
    return NULL;
}

static int is_picture_format(aim_format f)
{
    return f == AIM_FORMAT_PNG || f == AIM_FORMAT_JPEG || f == AIM_FORMAT_WEBP || f == AIM_FORMAT_MP4;
}

static void check_one(void *vctx, job *j)
{
    check_ctx *ctx = vctx;
    strbuf sb = {0}, warn = {0};
    aim_diag d;
    aim_meta *m = NULL;
    int rc;
    if (j->open_errno) {
        rc = AIM_ERR_IO;
        memset(&d, 0, sizeof d);
        snprintf(d.message, sizeof d.message, "cannot read folder: %s", strerror(j->open_errno));
    } else {
        rc = aim_meta_read_file(j->path, &m, &d);
    }
    if (rc == AIM_ERR_UNKNOWN_FORMAT && !j->explicit_) {
        j->skipped = 1;
        return;
    }
    if (rc != AIM_OK) {
        const char *msg = d.message[0] ? d.message : aim_strerror(rc);
        if (ctx->json) {
            sb_puts(&sb, "{\"file\":");
            sb_json_str(&sb, j->path);
            sb_printf(&sb, ",\"format\":\"%s\",\"error\":", aim_format_name((aim_format)d.format));
            sb_json_str(&sb, msg);
            sb_puts(&sb, "}\n");
        } else {
            sb_printf(&sb, "%-10s %-11s %-26s %s: %s\n", "ERROR", aim_format_name((aim_format)d.format),
                      "-", j->path, msg);
        }
        j->line = sb_take(&sb);
        j->status = EXIT_FILE_ERRORS;
        pthread_mutex_lock(&ctx->mu);
        ctx->errors++;
        pthread_mutex_unlock(&ctx->mu);
        return;
    }

    const aim_label *l = aim_meta_label(m);
    const char *raw = aim_meta_raw(m);
    aim_class cls = l ? aim_label_class(l) : AIM_CLASS_NONE;
    int valid = 0;
    if (l) {
        char why[200];
        valid = aim_label_validate(l, why, sizeof why) == AIM_OK;
        if (!valid)
            add_warning(&warn, why);
        if (cls == AIM_CLASS_NONE) {
            /* An AIGC field with an unknown Label value is still a trace. */
            cls = AIM_CLASS_SUSPECTED;
        }
    } else if (raw) {
        add_warning(&warn, "an AIGC field is present but its text is not label JSON");
        cls = AIM_CLASS_SUSPECTED;
    }
    const char *dst = aim_meta_source_type(m);
    if (cls == AIM_CLASS_NONE && dst &&
        (strstr(dst, "trainedAlgorithmicMedia") || strstr(dst, "algorithmicMedia"))) {
        add_warning(&warn, "no AIGC label, but IPTC DigitalSourceType declares AI content");
        cls = AIM_CLASS_SUSPECTED;
    }
    /* The watermark: survives re-encoding and stripped metadata. */
    aim_format fmt = aim_meta_format(m);
    int wm_tried = 0, wm_hit = -1, wm_match = -1, wm_present = -1;
    aim_wm_result wres[CLI_MAX_KEYS];
    aim_wm_presence wpres[CLI_MAX_KEYS];
    uint64_t label_payload = 0;
    char wm_err[240] = "";
    if (ctx->keys.n && (fmt == AIM_FORMAT_WAV || fmt == AIM_FORMAT_MP3 || fmt == AIM_FORMAT_FLAC ||
                        fmt == AIM_FORMAT_OGG_VORBIS || fmt == AIM_FORMAT_OGG_OPUS || fmt == AIM_FORMAT_MP4)) {
        aim_diag wd;
        memset(&wd, 0, sizeof wd);
        /* With a label, where no payload decodes (a short or damaged clip),
         * test for the mark of the label's own payload: from ~3 s. */
        aim_audio_wm_opts wo;
        aim_audio_wm_opts_init(&wo);
        const char *lid = l ? aim_label_get(l, AIM_FIELD_PRODUCE_ID) : NULL;
        if (lid && aim_audio_payload_from_id(lid, &label_payload) == AIM_OK) {
            wo.presence = wo.payload_known = 1;
            wo.payload = label_payload;
        }
        int wrc = aim_audio_wm_detect_file_ex(j->path, ctx->keys.key, ctx->keys.n, &wo, wres, wpres, NULL, &wd);
        wm_tried = 1;
        if (wrc == AIM_ERR_UNSUPPORTED && fmt == AIM_FORMAT_MP4) {
            wm_tried = 0; /* a video with no (decodable) audio track: nothing to search */
        } else if (wrc) {
            snprintf(wm_err, sizeof wm_err, "%s", wd.message[0] ? wd.message : aim_strerror(wrc));
            add_warning(&warn, "watermark detection failed");
        } else if ((wm_hit = cli_wm_best(wres, ctx->keys.n)) < 0 && wo.payload_known) {
            if ((wm_present = cli_wm_best_present(wpres, ctx->keys.n)) >= 0)
                wm_match = 1; /* the label's own payload's mark is there */
        } else if (wm_hit >= 0) {
            const char *id = l ? aim_label_get(l, AIM_FIELD_PRODUCE_ID) : NULL;
            uint64_t want;
            if (id && aim_audio_payload_from_id(id, &want) == AIM_OK)
                wm_match = want == wres[wm_hit].payload;
            if (wm_match == 0)
                add_warning(&warn, "the watermark payload does not match the label's ProduceID");
            if (cls != AIM_CLASS_CONFIRMED) {
                if (!l)
                    add_warning(&warn, "no metadata label, but a valid watermark: confirmed AI-generated");
                cls = AIM_CLASS_CONFIRMED;
            }
        }
    }
    content ct;
    memset(&ct, 0, sizeof ct);
    if (!ctx->meta_only && is_audio_format(fmt)) {
        analyse(ctx, j->path, &ct);
        if (ct.err[0])
            add_warning(&warn, "audio analysis stopped: the audio could not be fully decoded");
        if (ct.n_hits) {
            add_warning(&warn, "an audible AI-generation prompt (rhythm short-long-short-short) was heard");
            if (cls == AIM_CLASS_NONE)
                cls = AIM_CLASS_SUSPECTED;
        }
        if (ct.scored && ct.det.synthetic) {
            add_warning(&warn, "the synthetic speech detector flags this audio");
            if (cls == AIM_CLASS_NONE)
                cls = AIM_CLASS_SUSPECTED;
        }
    }
    /* The visible label: OCR of the picture's edges (video: its opening). */
    int vis_state = 0; /* 0 not searched, 1 none found, 2 found, -1 error */
    aim_visible_found vis;
    char vis_err[240] = "";
    memset(&vis, 0, sizeof vis);
    if (!ctx->meta_only && !ctx->no_ocr && is_picture_format(fmt)) {
        aim_visible_reader *vr = thread_reader(ctx, vis_err, sizeof vis_err);
        if (vr) {
            aim_diag vd;
            memset(&vd, 0, sizeof vd);
            int vrc = aim_visible_read_file(vr, j->path, &vis, &vd);
            if (vrc == AIM_OK) {
                vis_state = vis.found ? 2 : 1;
            } else if (!(fmt == AIM_FORMAT_MP4 && vrc == AIM_ERR_UNSUPPORTED)) {
                /* (an MP4 without video has nothing to see) */
                vis_state = -1;
                snprintf(vis_err, sizeof vis_err, "%s", vd.message[0] ? vd.message : aim_strerror(vrc));
                add_warning(&warn, "visible-label reading failed: the picture could not be decoded");
            }
            if (vrc == AIM_ERR_BAD_STATE || vrc == AIM_ERR_NOMEM) {
                pthread_setspecific(ctx->reader_key, NULL); /* a fresh one next time */
                aim_visible_reader_free(vr);
            }
        } else {
            vis_state = -1;
        }
        if (vis_state == 2) {
            add_warning(&warn, "a visible AI-generation label was read on the picture");
            if (cls == AIM_CLASS_NONE)
                cls = AIM_CLASS_SUSPECTED;
        }
    }
    if (aim_meta_label_count(m) > 1) {
        char t[120];
        snprintf(t, sizeof t, "%u AIGC labels in one file (GB 45438 allows one); reporting the first",
                 aim_meta_label_count(m));
        add_warning(&warn, t);
    }

    if (ctx->json) {
        sb_puts(&sb, "{\"file\":");
        sb_json_str(&sb, j->path);
        sb_printf(&sb, ",\"format\":\"%s\",\"label\":", aim_format_name(aim_meta_format(m)));
        if (l)
            sb_json_label(&sb, l);
        else
            sb_puts(&sb, "null");
        sb_puts(&sb, ",\"location\":");
        if (raw)
            sb_json_str(&sb, aim_meta_location(m));
        else
            sb_puts(&sb, "null");
        sb_printf(&sb, ",\"form\":%s", l ? (aim_meta_form(m) == AIM_FORM_WRAPPED ? "\"wrapped\"" : "\"bare\"") : "null");
        sb_printf(&sb, ",\"class\":\"%s\"", aim_class_name(cls));
        if (l)
            sb_printf(&sb, ",\"valid\":%s", valid ? "true" : "false");
        if (aim_meta_label_count(m) > 1)
            sb_printf(&sb, ",\"label_count\":%u", aim_meta_label_count(m));
        if (dst) {
            sb_puts(&sb, ",\"digital_source_type\":");
            sb_json_str(&sb, dst);
        }
        if (raw && !l) {
            sb_puts(&sb, ",\"raw\":");
            sb_json_str(&sb, raw);
        }
        if (ctx->keys.n && !wm_tried) {
            sb_puts(&sb, ",\"watermark\":null"); /* no audio: not searched */
        } else if (wm_tried) {
            sb_puts(&sb, ",\"watermark\":{");
            if (wm_err[0]) {
                sb_puts(&sb, "\"found\":false,\"error\":");
                sb_json_str(&sb, wm_err);
            } else {
                sb_json_wm_fields(&sb, wm_hit >= 0 ? &wres[wm_hit] : NULL, wm_hit >= 0 ? ctx->keys.name[wm_hit] : NULL);
                if (wm_present >= 0) {
                    sb_puts(&sb, ",\"present\":true");
                    sb_json_presence(&sb, &wpres[wm_present], ctx->keys.name[wm_present], label_payload);
                }
                if (wm_match >= 0)
                    sb_printf(&sb, ",\"matches_label\":%s", wm_match ? "true" : "false");
            }
            sb_puts(&sb, "}");
            if (wm_hit >= 0 && !l)
                sb_printf(&sb, ",\"confirmed_by\":\"watermark\",\"identifier\":\"%016" PRIx64 "\"",
                          wres[wm_hit].payload);
        }
        if (ct.done) {
            sb_puts(&sb, ",\"audible\":[");
            for (size_t k = 0; k < ct.n_hits; k++)
                sb_printf(&sb, "%s[%.2f,%.2f]", k ? "," : "", ct.hits[k].start_s, ct.hits[k].end_s);
            sb_puts(&sb, "]");
            if (ctx->model) {
                if (ct.scored) {
                    sb_printf(&sb, ",\"detector\":{\"score\":%.3f,\"synthetic\":%s,\"threshold\":%.3f,\"model\":",
                              ct.det.score, ct.det.synthetic ? "true" : "false", ct.det.threshold);
                    sb_json_str(&sb, aim_detect_model_name(ctx->model));
                    sb_puts(&sb, "}");
                } else {
                    sb_puts(&sb, ",\"detector\":null"); /* no voiced audio to score */
                }
            }
            if (ct.err[0]) {
                sb_puts(&sb, ",\"audio_error\":");
                sb_json_str(&sb, ct.err);
            }
        }
        if (vis_state == 2) {
            sb_puts(&sb, ",\"visible\":{\"text\":");
            sb_json_str(&sb, vis.text);
            sb_printf(&sb, ",\"region\":\"%s\"", aim_vis_region_name(vis.region));
            if (fmt == AIM_FORMAT_MP4)
                sb_printf(&sb, ",\"time_s\":%.2f", vis.time_s);
            sb_puts(&sb, "}");
        } else if (vis_state != 0) {
            sb_puts(&sb, ",\"visible\":null");
            if (vis_state < 0) {
                sb_puts(&sb, ",\"visible_error\":");
                sb_json_str(&sb, vis_err);
            }
        }
        if (warn.len)
            sb_printf(&sb, ",\"warnings\":[%s]", warn.p);
        sb_puts(&sb, "}\n");
    } else {
        char who[320] = "";
        if (l) {
            const char *p = aim_label_get(l, AIM_FIELD_CONTENT_PRODUCER);
            const char *id = aim_label_get(l, AIM_FIELD_PRODUCE_ID);
            const char *pp = aim_label_get(l, AIM_FIELD_CONTENT_PROPAGATOR);
            const char *pid = aim_label_get(l, AIM_FIELD_PROPAGATE_ID);
            int n = snprintf(who, sizeof who, "  [%.60s %.60s]", p ? p : "-", id ? id : "-");
            if (pp && n > 0 && (size_t)n < sizeof who)
                snprintf(who + n, sizeof who - (size_t)n, " via [%.40s %.40s]", pp, pid ? pid : "-");
        }
        char wm[120] = "";
        if (wm_hit >= 0)
            snprintf(wm, sizeof wm, "  wm=%016" PRIx64 " key=%.40s", wres[wm_hit].payload, ctx->keys.name[wm_hit]);
        else if (wm_present >= 0)
            snprintf(wm, sizeof wm, "  wm=present(%016" PRIx64 ") key=%.40s", label_payload,
                     ctx->keys.name[wm_present]);
        else if (wm_tried)
            snprintf(wm, sizeof wm, "  wm=%s", wm_err[0] ? "error" : "none");
        char extra[160] = "";
        if (ct.n_hits)
            snprintf(extra, sizeof extra, "  audible=%.1fs", ct.hits[0].start_s);
        if (ct.scored)
            snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "  speech=%s(%.2f)",
                     ct.det.synthetic ? "synthetic" : "bona-fide", ct.det.score);
        if (vis_state == 2) {
            size_t el = strlen(extra);
            if (fmt == AIM_FORMAT_MP4)
                snprintf(extra + el, sizeof extra - el, "  visible=%s@%.1fs", aim_vis_region_name(vis.region), vis.time_s);
            else
                snprintf(extra + el, sizeof extra - el, "  visible=%s", aim_vis_region_name(vis.region));
        } else if (vis_state < 0) {
            size_t el = strlen(extra);
            snprintf(extra + el, sizeof extra - el, "  visible=error");
        }
        const char *where = raw ? aim_meta_location(m)
                            : wm_hit >= 0 ? "watermark"
                            : ct.n_hits  ? "audible"
                            : (ct.scored && ct.det.synthetic) ? "detector"
                            : vis_state == 2 ? "visible" : "-";
        sb_printf(&sb, "%-10s %-11s %-26s %s%s%s%s\n", aim_class_name(cls), aim_format_name(aim_meta_format(m)),
                  where, j->path, who, wm, extra);
    }
    sb_free(&warn);
    free(ct.hits);
    aim_meta_free(m);
    j->line = sb_take(&sb);
    j->status = cls == AIM_CLASS_NONE ? EXIT_NONE_FOUND : EXIT_AI_FOUND;
    pthread_mutex_lock(&ctx->mu);
    ctx->counts[cls]++;
    pthread_mutex_unlock(&ctx->mu);
}

int cmd_check(int argc, char **argv)
{
    check_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    int jobs = default_jobs();
    int i = 1, nfiles = 0;
    const char *model_path = NULL;
    aim_detect_model *model = NULL;
    char **files = calloc((size_t)argc, sizeof *files);
    if (!files)
        return EXIT_FILE_ERRORS;
    for (; i < argc; i++) {
        const char *v;
        int r;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(CHECK_HELP, stdout);
            free(files);
            return 0;
        } else if (strcmp(argv[i], "--json") == 0) {
            ctx.json = 1;
        } else if (strcmp(argv[i], "--meta-only") == 0) {
            ctx.meta_only = 1;
        } else if (strcmp(argv[i], "--no-detect") == 0) {
            ctx.no_detect = 1;
        } else if (strcmp(argv[i], "--no-ocr") == 0) {
            ctx.no_ocr = 1;
        } else if ((r = arg_value(argc, argv, &i, "--model", &v)) != 0) {
            if (r < 0) {
                free(files);
                return EXIT_USAGE;
            }
            model_path = v;
        } else if ((r = arg_value(argc, argv, &i, "--key", &v)) != 0) {
            if (r < 0 || cli_keys_add(&ctx.keys, "check", v)) {
                free(files);
                return EXIT_USAGE;
            }
        } else if ((r = arg_value(argc, argv, &i, "--jobs", &v)) || (r = arg_value(argc, argv, &i, "-j", &v))) {
            if (r < 0 || !(jobs = parse_jobs(v))) {
                free(files);
                return usage_error("check", "bad --jobs value", r < 0 ? NULL : v);
            }
        } else if (strcmp(argv[i], "--") == 0) {
            for (i++; i < argc; i++)
                files[nfiles++] = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            free(files);
            return usage_error("check", "unknown option", argv[i]);
        } else {
            files[nfiles++] = argv[i];
        }
    }
    if (nfiles == 0) {
        free(files);
        return usage_error("check", "no FILE or DIR given", NULL);
    }
    if (!ctx.meta_only && !ctx.no_detect) {
        aim_diag md;
        memset(&md, 0, sizeof md);
        int mrc = model_path ? aim_detect_model_load_file(model_path, &model, &md) : aim_detect_model_default(&model);
        if (mrc != AIM_OK) {
            free(files);
            return usage_error("check", md.message[0] ? md.message : "cannot load the detector model", model_path);
        }
        ctx.model = model;
    }
    pthread_mutex_init(&ctx.mu, NULL);
    /* Workers free their readers when they exit (the key's destructor). */
    if (pthread_key_create(&ctx.reader_key, reader_dtor) != 0) {
        pthread_mutex_destroy(&ctx.mu);
        aim_detect_model_free(model);
        free(files);
        fprintf(stderr, "aimark check: cannot create thread-local storage\n");
        return EXIT_FILE_ERRORS;
    }
    if (!ctx.json && isatty(STDOUT_FILENO))
        printf("%-10s %-11s %-26s %s\n", "CLASS", "FORMAT", "LOCATION", "FILE");
    walker *w = walker_new(files, nfiles);
    int rc = w ? pool_run(w, jobs, check_one, &ctx, "checked") : EXIT_FILE_ERRORS;
    walker_free(w);
    if (!ctx.json && isatty(STDOUT_FILENO))
        fprintf(stderr, "%lu confirmed, %lu possible, %lu suspected, %lu none, %lu errors\n",
                ctx.counts[AIM_CLASS_CONFIRMED], ctx.counts[AIM_CLASS_POSSIBLE],
                ctx.counts[AIM_CLASS_SUSPECTED], ctx.counts[AIM_CLASS_NONE], ctx.errors);
    pthread_key_delete(ctx.reader_key);
    pthread_mutex_destroy(&ctx.mu);
    aim_detect_model_free(model);
    free(files);
    return rc;
}
