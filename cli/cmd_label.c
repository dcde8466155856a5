/*
 * aimark label (the generator's step) and aimark propagate (the
 * platform's step): both read the label already in the file, compute the
 * new one, and rewrite the file atomically through the library.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const char LABEL_HELP[] =
    "Usage: aimark label --producer CODE --produce-id ID [options] (-o OUT | --in-place) FILE|DIR...\n"
    "\n"
    "Write the GB 45438 implicit label into each file (WAV, MP3, FLAC, Ogg Vorbis/Opus,\n"
    "MP4/M4A/MOV, PNG, JPEG, WebP), replacing the producer fields of a label already\n"
    "there and keeping the platform's fields. Media data is never changed; the\n"
    "rewrite is atomic. Folders are walked recursively.\n"
    "\n"
    "  --producer CODE      ContentProducer: provider name or code (TC260-PG-20252A)\n"
    "  --produce-id ID      ProduceID: the provider's unique ID for the content\n"
    "  --label 1|2|3        Label element (default 1: AI-generated)\n"
    "  --reserved1 TEXT     ReservedCode1 (integrity data); cleared when not given\n"
    "  --source-type T      IPTC DigitalSourceType in XMP: trained (default),\n"
    "                       composite (compositeWithTrainedAlgorithmicMedia) or none\n"
    "  --composite          same as --source-type composite\n"
    "  --form bare|wrapped  JSON layout (default bare, as the TC260 guides store it)\n"
    "  --watermark          also embed the robust audio watermark (audio files), in\n"
    "                       the same pass: decoded, marked, re-encoded in the same\n"
    "                       format, then labelled (see 'aimark wm --help')\n"
    "  --key KEYFILE        watermark key (from 'aimark wm keygen')\n"
    "  --payload HEX        64-bit payload as 16 hex digits; default: the first 8\n"
    "                       bytes of SHA-256(ProduceID)\n"
    "\n"
    "Explicit labels (GB 45438 section 4), written in the same pass:\n"
    "  --audible rhythm|voice  insert the audible prompt into audio files: the tone\n"
    "                       rhythm short-long-short-short, or a spoken prompt\n"
    "                       (built in: \"本内容由人工智能生成\"; --audible-voice FILE)\n"
    "  --audible-at LIST    where: any of start,end,middle (default start)\n"
    "  --audible-every S    also every S seconds of content (5..3600)\n"
    "  --audible-mode insert|mix  splice the prompt in (default) or mix it over\n"
    "                       the content (the content is ducked while it plays)\n"
    "  --audible-voice FILE your own spoken prompt (any audio file, up to 60 s)\n"
    "  --tone-hz HZ         rhythm tone frequency, 100..3500 (default 1000;\n"
    "                       'aimark check' listens at 1000)\n"
    "  --unit-ms MS         rhythm unit, 60..500: short tone and gaps one unit, long\n"
    "                       tone and the gap between the letters three (default 100;\n"
    "                       'aimark check' listens for 100)\n"
    "  --tone-ramp-ms MS    raised-cosine edge of each tone, 1..unit/4 (default 5)\n"
    "  --prompt-level-db DB prompt RMS relative to the content's loudness, -40..10\n"
    "                       (default -6 for rhythm, 0 for voice)\n"
    "  --prompt-peak-dbfs DB   cap on the prompt's peak, -40..0 (default -1)\n"
    "  --prompt-fallback-dbfs DB  loudness assumed where the content around a\n"
    "                       prompt is silent, -60..-6 (default -23)\n"
    "  --prompt-pad-ms MS   insert mode: silence each side of the prompt, 10..2000\n"
    "                       (default 250)\n"
    "  --mix-duck-db DB     mix mode: content gain while the prompt plays, -40..0\n"
    "                       (default -12)\n"
    "  --visible            draw the visible label on images (PNG, JPEG, WebP) and\n"
    "                       on the first 2 s of MP4/MOV video\n"
    "  --text TEXT          visible label text (default \"AI生成\")\n"
    "  --corner C           br (default), bl, tr, tl, top or bottom\n"
    "  --video-tail S       also label the last S seconds of a video\n"
    "\n"
    "  -o, --output OUT     write to OUT (a folder when several files are given)\n"
    "  --in-place           replace each input file\n"
    "  --json               one JSON object per file per line\n"
    "  -j, --jobs N         worker threads (default: all cores)\n"
    "\n"
    "Audio is decoded and re-encoded in the same format when --watermark or\n"
    "--audible is given; images and video when --visible is given.\n"
    "There is no option to remove a label: Labeling Measures Art. 10 forbids it.\n"
    "Exit status: 0 all written, 2 usage error, 3 some file failed (left untouched).\n";

static const char PROPAGATE_HELP[] =
    "Usage: aimark propagate --propagator CODE --propagate-id ID [options] (-o OUT | --in-place) FILE|DIR...\n"
    "\n"
    "The platform's step (Labeling Measures Art. 6): add ContentPropagator and\n"
    "PropagateID to each file's label, keeping the producer's fields. A file\n"
    "without a label gets one only when AI content was declared (Label 2) or\n"
    "detected (Label 3); otherwise it is left alone and reported as skipped.\n"
    "\n"
    "  --propagator CODE    ContentPropagator: platform name or code\n"
    "  --propagate-id ID    PropagateID: the platform's unique ID for the content\n"
    "  --declared           the uploader declared the content AI-generated (Label 2)\n"
    "  --suspected          a detector or explicit label suggests AI content (Label 3)\n"
    "  --reserved2 TEXT     ReservedCode2 (platform integrity data)\n"
    "  -o, --output OUT / --in-place / --json / -j N   as for 'aimark label'\n"
    "\n"
    "An existing stronger Label is kept (1 over 2 over 3).\n"
    "Exit status: 0 all written or skipped, 2 usage error, 3 some file failed.\n";

typedef struct write_ctx {
    int propagate;
    const char *producer, *produce_id, *label_value, *reserved1;
    const char *propagator, *propagate_id, *reserved2;
    int declared, suspected;
    const char *out;
    int out_is_dir, in_place, json;
    aim_write_opts wopts;
    int watermark, have_payload;
    uint64_t payload;
    cli_keys keys;
    const char *audible;  /* "rhythm" | "voice" | NULL */
    aim_audible_config audible_cfg;
    float *voice;         /* --audible-voice, mono */
    int visible;
    aim_visible_opts vopts;
} write_ctx;

static int is_image(aim_format f)
{
    return f == AIM_FORMAT_PNG || f == AIM_FORMAT_JPEG || f == AIM_FORMAT_WEBP;
}

static int is_audio(aim_format f)
{
    return f == AIM_FORMAT_WAV || f == AIM_FORMAT_MP3 || f == AIM_FORMAT_FLAC || f == AIM_FORMAT_OGG_VORBIS ||
           f == AIM_FORMAT_OGG_OPUS || f == AIM_FORMAT_MP4;
}

/* mkdir -p for the folders leading to `path`. */
static int make_parents(const char *path)
{
    char *p = strdup(path);
    if (!p)
        return -1;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    free(p);
    return 0;
}

/* Stronger of two Label values: "1" beats "2" beats "3". */
static const char *stronger(const char *a, const char *b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    return strcmp(a, b) <= 0 ? a : b;
}

static void fail_line(write_ctx *ctx, job *j, const char *msg, int format)
{
    strbuf sb = {0};
    if (ctx->json) {
        sb_puts(&sb, "{\"file\":");
        sb_json_str(&sb, j->path);
        sb_printf(&sb, ",\"format\":\"%s\",\"error\":", aim_format_name((aim_format)format));
        sb_json_str(&sb, msg);
        sb_puts(&sb, "}\n");
    } else {
        sb_printf(&sb, "error      %s: %s\n", j->path, msg);
    }
    j->line = sb_take(&sb);
    j->status = EXIT_FILE_ERRORS;
}

static void write_one(void *vctx, job *j)
{
    write_ctx *ctx = vctx;
    aim_diag d;
    memset(&d, 0, sizeof d);
    if (j->open_errno) {
        fail_line(ctx, j, strerror(j->open_errno), 0);
        return;
    }
    aim_meta *m = NULL;
    int rc = aim_meta_read_file(j->path, &m, &d);
    if (rc == AIM_ERR_UNKNOWN_FORMAT && !j->explicit_) {
        j->skipped = 1;
        return;
    }
    if (rc) {
        fail_line(ctx, j, d.message[0] ? d.message : aim_strerror(rc), d.format);
        return;
    }
    aim_format fmt = aim_meta_format(m);
    const aim_label *old = aim_meta_label(m);
    if (!old && aim_meta_raw(m) && ctx->propagate) {
        aim_meta_free(m);
        fail_line(ctx, j, "the file's AIGC field is not label JSON; refusing to replace what cannot be kept", fmt);
        return;
    }
    aim_label *l = old ? aim_label_dup(old) : aim_label_new();
    aim_meta_free(m);
    if (!l) {
        fail_line(ctx, j, "out of memory", fmt);
        return;
    }
    const char *status = "labelled";
    rc = AIM_OK;
    if (!ctx->propagate) {
        rc |= aim_label_set(l, AIM_FIELD_LABEL, ctx->label_value);
        rc |= aim_label_set(l, AIM_FIELD_CONTENT_PRODUCER, ctx->producer);
        rc |= aim_label_set(l, AIM_FIELD_PRODUCE_ID, ctx->produce_id);
        rc |= aim_label_set(l, AIM_FIELD_RESERVED_CODE1, ctx->reserved1);
    } else {
        const char *claim = ctx->declared ? "2" : ctx->suspected ? "3" : NULL;
        const char *cur = aim_label_get(l, AIM_FIELD_LABEL);
        if (cur && strlen(cur) == 1 && cur[0] >= '1' && cur[0] <= '3')
            claim = stronger(cur, claim);
        if (!claim) {
            aim_label_free(l);
            strbuf sb = {0};
            if (ctx->json) {
                sb_puts(&sb, "{\"file\":");
                sb_json_str(&sb, j->path);
                sb_printf(&sb, ",\"format\":\"%s\",\"status\":\"skipped\",\"reason\":"
                               "\"no label, not declared, not suspected\"}\n", aim_format_name(fmt));
            } else {
                sb_printf(&sb, "skipped    %s: no label, not declared, not suspected\n", j->path);
            }
            j->line = sb_take(&sb);
            return;
        }
        char claim_copy[2] = {claim[0], 0};
        rc |= aim_label_set(l, AIM_FIELD_LABEL, claim_copy);
        rc |= aim_label_set(l, AIM_FIELD_CONTENT_PROPAGATOR, ctx->propagator);
        rc |= aim_label_set(l, AIM_FIELD_PROPAGATE_ID, ctx->propagate_id);
        if (ctx->reserved2)
            rc |= aim_label_set(l, AIM_FIELD_RESERVED_CODE2, ctx->reserved2);
        status = "propagated";
    }
    if (rc) {
        aim_label_free(l);
        fail_line(ctx, j, "label value rejected (checked before: internal error)", fmt);
        return;
    }
    char *outpath = NULL;
    if (!ctx->in_place) {
        if (ctx->out_is_dir) {
            size_t n = strlen(ctx->out) + strlen(j->rel) + 2;
            outpath = malloc(n);
            if (outpath) {
                size_t ol = strlen(ctx->out);
                snprintf(outpath, n, "%s%s%s", ctx->out, ol && ctx->out[ol - 1] == '/' ? "" : "/", j->rel);
                make_parents(outpath);
            }
        } else {
            outpath = strdup(ctx->out);
            if (outpath)
                make_parents(outpath);
        }
        if (!outpath) {
            aim_label_free(l);
            fail_line(ctx, j, "out of memory", fmt);
            return;
        }
    }
    uint64_t payload = ctx->payload;
    /* MP4/MOV counts as video for --visible, as audio otherwise. */
    int drawn = ctx->visible && (is_image(fmt) || fmt == AIM_FORMAT_MP4);
    int marked = !drawn && ctx->watermark && is_audio(fmt);
    int prompted = !drawn && ctx->audible && is_audio(fmt);
    if (drawn) {
        /* One pass: decode, draw, re-encode (metadata kept), label, rename. */
        rc = aim_visible_label_file(j->path, outpath, &ctx->vopts, l, &ctx->wopts, &d);
        if (rc == AIM_ERR_UNSUPPORTED && fmt == AIM_FORMAT_MP4 && strstr(d.message, "no decodable video")) {
            /* An audio-only M4A: nothing to see; treat it as audio. */
            drawn = 0;
            marked = ctx->watermark;
            prompted = ctx->audible != NULL;
            memset(&d, 0, sizeof d);
            rc = AIM_OK;
        }
    }
    if (drawn) {
        /* done above */
    } else if (marked || prompted) {
        /* One pass: decode, prompt, mark, re-encode, label, rename. Images
         * get the metadata label only. */
        aim_audio_label_opts o;
        aim_audio_label_opts_init(&o);
        o.label = l;
        o.write = ctx->wopts;
        if (marked) {
            o.watermark = 1;
            o.key = ctx->keys.key[0];
            if (!ctx->have_payload)
                aim_audio_payload_from_id(aim_label_get(l, AIM_FIELD_PRODUCE_ID), &payload);
            o.payload = payload;
        }
        if (prompted) {
            o.audible = 1;
            o.audible_cfg = ctx->audible_cfg;
        }
        rc = aim_audio_label_file(j->path, outpath, &o, &d);
    } else {
        rc = aim_meta_write_file(j->path, outpath, l, &ctx->wopts, &d);
    }
    if (rc) {
        fail_line(ctx, j, d.message[0] ? d.message : aim_strerror(rc), fmt);
    } else {
        strbuf sb = {0};
        const char *dest = outpath ? outpath : j->path;
        if (ctx->json) {
            sb_puts(&sb, "{\"file\":");
            sb_json_str(&sb, j->path);
            sb_puts(&sb, ",\"output\":");
            sb_json_str(&sb, dest);
            sb_printf(&sb, ",\"format\":\"%s\",\"status\":\"%s\",\"label\":", aim_format_name(fmt), status);
            sb_json_label(&sb, l);
            if (marked) {
                sb_printf(&sb, ",\"watermark\":{\"payload\":\"%016" PRIx64 "\",\"key\":", payload);
                sb_json_str(&sb, ctx->keys.name[0]);
                sb_puts(&sb, "}");
            } else if (ctx->watermark) {
                sb_puts(&sb, ",\"watermark\":null");
            }
            if (ctx->audible)
                sb_printf(&sb, ",\"audible\":%s%s%s", prompted ? "\"" : "", prompted ? ctx->audible : "null",
                          prompted ? "\"" : "");
            if (ctx->visible) {
                if (drawn) {
                    sb_puts(&sb, ",\"visible\":{\"text\":");
                    sb_json_str(&sb, ctx->vopts.text ? ctx->vopts.text : "AI\xe7\x94\x9f\xe6\x88\x90");
                    sb_printf(&sb, ",\"corner\":\"%s\"}", aim_vis_place_name(ctx->vopts.place));
                } else {
                    sb_puts(&sb, ",\"visible\":null");
                }
            }
            sb_puts(&sb, "}\n");
        } else {
            char wm[64] = "";
            if (marked)
                snprintf(wm, sizeof wm, "  wm=%016" PRIx64, payload);
            if (prompted || drawn)
                snprintf(wm + strlen(wm), sizeof wm - strlen(wm), "  %s", drawn ? "visible" : ctx->audible);
            if (outpath)
                sb_printf(&sb, "%-10s %-11s %s -> %s%s\n", status, aim_format_name(fmt), j->path, dest, wm);
            else
                sb_printf(&sb, "%-10s %-11s %s%s\n", status, aim_format_name(fmt), j->path, wm);
        }
        j->line = sb_take(&sb);
    }
    free(outpath);
    aim_label_free(l);
}

/* Validate one user-supplied value with the library's rules. */
static int check_value(const char *cmd, aim_field f, const char *v)
{
    aim_label *t = aim_label_new();
    int rc = t ? aim_label_set(t, f, v) : AIM_ERR_NOMEM;
    aim_label_free(t);
    if (rc == AIM_OK)
        return 0;
    char msg[160];
    snprintf(msg, sizeof msg, "%s is not a valid %s (GB 45438 Annex E: printable ASCII, "
             "no spaces or backslashes; Label is 1, 2 or 3)", v, aim_field_name(f));
    usage_error(cmd, msg, NULL);
    return 1;
}

/* "start,end,middle" -> AIM_AUDIBLE_AT_* flags (an interval flag already
 * set by --audible-every is kept). Returns 0, or -1 on a bad word. */
static int parse_positions(const char *v, unsigned *pos)
{
    unsigned p = *pos & AIM_AUDIBLE_AT_INTERVAL;
    const char *s = v;
    while (*s) {
        size_t n = strcspn(s, ",");
        if (n == 5 && strncmp(s, "start", 5) == 0)
            p |= AIM_AUDIBLE_AT_START;
        else if (n == 3 && strncmp(s, "end", 3) == 0)
            p |= AIM_AUDIBLE_AT_END;
        else if (n == 6 && strncmp(s, "middle", 6) == 0)
            p |= AIM_AUDIBLE_AT_MIDDLE;
        else
            return -1;
        s += n;
        if (*s == ',')
            s++;
    }
    if (!(p & ~AIM_AUDIBLE_AT_INTERVAL))
        return -1;
    *pos = p;
    return 0;
}

/* The prompt's tuning options: each sets a field of aim_audible_config (or
 * its rhythm), with the library's range, so a bad value is a usage error
 * naming the option before any file is touched. */
enum { TUNE_ANY, TUNE_RHYTHM, TUNE_INSERT, TUNE_MIX };
enum { T_TONE, T_UNIT, T_RAMP, T_LEVEL, T_PEAK, T_FALLBACK, T_PAD, T_DUCK, T_COUNT };
static const struct tune_opt {
    const char *name;
    double lo, hi;
    const char *unit;
    int needs; /* TUNE_*: the --audible kind or --audible-mode it goes with */
} TUNE[T_COUNT] = {
    [T_TONE] = {"--tone-hz", 100, 3500, " Hz", TUNE_RHYTHM},
    [T_UNIT] = {"--unit-ms", 60, 500, " ms", TUNE_RHYTHM},
    [T_RAMP] = {"--tone-ramp-ms", 1, 125, " ms", TUNE_RHYTHM},
    [T_LEVEL] = {"--prompt-level-db", -40, 10, " dB", TUNE_ANY},
    [T_PEAK] = {"--prompt-peak-dbfs", -40, 0, " dBFS", TUNE_ANY},
    [T_FALLBACK] = {"--prompt-fallback-dbfs", -60, -6, " dBFS", TUNE_ANY},
    [T_PAD] = {"--prompt-pad-ms", 10, 2000, " ms", TUNE_INSERT},
    [T_DUCK] = {"--mix-duck-db", -40, 0, " dB", TUNE_MIX},
};

/* A number in [lo, hi] for TUNE[k]. Returns 0, or EXIT_USAGE after a message
 * naming the option and its range. */
static int parse_tune(const char *cmd, int k, const char *v, double *out)
{
    char *end = NULL;
    double x = v ? strtod(v, &end) : 0;
    if (v && end != v && !*end && x >= TUNE[k].lo && x <= TUNE[k].hi) {
        *out = x;
        return 0;
    }
    char msg[120];
    snprintf(msg, sizeof msg, "%s takes a number from %g to %g%s", TUNE[k].name, TUNE[k].lo, TUNE[k].hi,
             TUNE[k].unit);
    return usage_error(cmd, msg, v);
}

/* Check the tuning options given (set[k]) against --audible and
 * --audible-mode, and store them in cfg. Returns 0 or EXIT_USAGE. */
static int apply_tune(const char *cmd, const double *val, const int *set, const char *audible,
                      aim_audible_config *cfg)
{
    char msg[120];
    for (int k = 0; k < T_COUNT; k++) {
        if (!set[k])
            continue;
        const char *with = NULL;
        if (!audible)
            with = "--audible";
        else if (TUNE[k].needs == TUNE_RHYTHM && cfg->kind != AIM_AUDIBLE_RHYTHM)
            with = "--audible rhythm";
        else if (TUNE[k].needs == TUNE_INSERT && cfg->mode != AIM_AUDIBLE_INSERT)
            with = "--audible-mode insert (the default)";
        else if (TUNE[k].needs == TUNE_MIX && cfg->mode != AIM_AUDIBLE_MIX)
            with = "--audible-mode mix";
        if (with) {
            snprintf(msg, sizeof msg, "%s goes with %s", TUNE[k].name, with);
            return usage_error(cmd, msg, NULL);
        }
    }
    aim_audible_rhythm *r = &cfg->rhythm;
    if (set[T_TONE])
        r->tone_hz = (float)val[T_TONE];
    if (set[T_UNIT]) {
        /* Morse proportions: dash and letter gap are three units. */
        r->dot_ms = r->gap_ms = (float)val[T_UNIT];
        r->dash_ms = r->letter_gap_ms = 3.0f * (float)val[T_UNIT];
    }
    if (set[T_RAMP])
        r->ramp_ms = (float)val[T_RAMP];
    if (r->ramp_ms > r->dot_ms / 4.0f) {
        snprintf(msg, sizeof msg, "--tone-ramp-ms must be at most a quarter of --unit-ms (%g ms here)",
                 r->dot_ms / 4.0);
        return usage_error(cmd, msg, NULL);
    }
    if (set[T_LEVEL]) {
        cfg->rhythm_level_db = (float)val[T_LEVEL];
        cfg->voice_level_db = (float)val[T_LEVEL];
    }
    if (set[T_PEAK])
        cfg->max_peak_dbfs = (float)val[T_PEAK];
    if (set[T_FALLBACK])
        cfg->fallback_dbfs = (float)val[T_FALLBACK];
    if (set[T_PAD])
        cfg->pad_ms = val[T_PAD];
    if (set[T_DUCK])
        cfg->mix_duck_db = (float)val[T_DUCK];
    return 0;
}

/* Decode the user's spoken prompt (any audio file) to mono float, at most
 * 60 s. Returns 0, or 1 after printing a usage error. */
static int load_voice(const char *cmd, const char *path, write_ctx *ctx)
{
    aim_audio_reader *r = NULL;
    aim_audio_info info;
    aim_diag d;
    if (aim_audio_reader_open(path, &r, &info, &d) != AIM_OK) {
        usage_error(cmd, d.message[0] ? d.message : "cannot read the --audible-voice file", path);
        return 1;
    }
    size_t cap = (size_t)info.sample_rate * 60, n = 0, ch = (size_t)info.channels;
    float *mono = malloc(cap * sizeof *mono), buf[4096];
    int rc = mono ? AIM_OK : AIM_ERR_NOMEM;
    while (rc == AIM_OK) {
        size_t got = 0, want = sizeof buf / sizeof buf[0] / ch;
        rc = aim_audio_reader_read(r, buf, want, &got, &d);
        if (rc != AIM_OK || got == 0)
            break;
        if (n + got > cap) {
            rc = AIM_ERR_TOO_LARGE;
            break;
        }
        for (size_t i = 0; i < got; i++) {
            float acc = 0;
            for (size_t c = 0; c < ch; c++)
                acc += buf[i * ch + c];
            mono[n++] = acc / (float)ch;
        }
    }
    aim_audio_reader_free(r);
    if (rc != AIM_OK || n == 0) {
        free(mono);
        usage_error(cmd, rc == AIM_ERR_TOO_LARGE ? "the --audible-voice prompt is longer than 60 s"
                                                 : "cannot decode the --audible-voice file",
                    path);
        return 1;
    }
    free(ctx->voice);
    ctx->voice = mono;
    ctx->audible_cfg.voice = mono;
    ctx->audible_cfg.voice_frames = n;
    ctx->audible_cfg.voice_rate = info.sample_rate;
    return 0;
}

static int run_write(int argc, char **argv, int propagate)
{
    const char *cmd = propagate ? "propagate" : "label";
    write_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.propagate = propagate;
    ctx.label_value = "1";
    aim_write_opts_init(&ctx.wopts);
    aim_audible_config_init(&ctx.audible_cfg);
    aim_visible_opts_init(&ctx.vopts);
    double tune_val[T_COUNT] = {0};
    int tune_set[T_COUNT] = {0};
    int jobs = default_jobs();
    char **files = calloc((size_t)argc, sizeof *files);
    int nfiles = 0;
    if (!files)
        return EXIT_FILE_ERRORS;
    int rc = 0;
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *v = NULL;
        int r;
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(propagate ? PROPAGATE_HELP : LABEL_HELP, stdout);
            free(files);
            free(ctx.voice);
            return 0;
        }
#define OPT(name, dst)                                                                   \
    if ((r = arg_value(argc, argv, &i, name, &v)) != 0) {                                \
        if (r < 0)                                                                       \
            rc = EXIT_USAGE;                                                             \
        else                                                                             \
            dst = v;                                                                     \
        continue;                                                                        \
    }
        if (!propagate) {
            OPT("--producer", ctx.producer)
            OPT("--produce-id", ctx.produce_id)
            OPT("--label", ctx.label_value)
            OPT("--reserved1", ctx.reserved1)
            if ((r = arg_value(argc, argv, &i, "--source-type", &v)) != 0) {
                if (r < 0 || (strcmp(v, "trained") && strcmp(v, "composite") && strcmp(v, "none")))
                    rc = usage_error(cmd, "--source-type must be trained, composite or none", v);
                else
                    ctx.wopts.source_type = !strcmp(v, "trained")     ? AIM_SOURCE_TRAINED_ALGORITHMIC
                                            : !strcmp(v, "composite") ? AIM_SOURCE_COMPOSITE_TRAINED
                                                                      : AIM_SOURCE_NONE;
                continue;
            }
            if (strcmp(a, "--watermark") == 0) {
                ctx.watermark = 1;
                continue;
            }
            if ((r = arg_value(argc, argv, &i, "--key", &v)) != 0) {
                rc = r < 0 ? EXIT_USAGE : cli_keys_add(&ctx.keys, cmd, v);
                continue;
            }
            if ((r = arg_value(argc, argv, &i, "--payload", &v)) != 0) {
                if (r < 0 || cli_parse_payload(v, &ctx.payload))
                    rc = usage_error(cmd, "--payload must be 16 hex digits", r < 0 ? NULL : v);
                ctx.have_payload = 1;
                continue;
            }
            if ((r = arg_value(argc, argv, &i, "--audible", &v)) != 0) {
                if (r < 0 || (strcmp(v, "rhythm") && strcmp(v, "voice")))
                    rc = usage_error(cmd, "--audible must be rhythm or voice", r < 0 ? NULL : v);
                else {
                    ctx.audible = v;
                    ctx.audible_cfg.kind = strcmp(v, "voice") == 0 ? AIM_AUDIBLE_VOICE : AIM_AUDIBLE_RHYTHM;
                }
                continue;
            }
            if ((r = arg_value(argc, argv, &i, "--audible-at", &v)) != 0) {
                if (r < 0 || parse_positions(v, &ctx.audible_cfg.positions))
                    rc = usage_error(cmd, "--audible-at takes start, end and/or middle, comma-separated",
                                     r < 0 ? NULL : v);
                continue;
            }
            if ((r = arg_value(argc, argv, &i, "--audible-every", &v)) != 0) {
                char *end = NULL;
                double sec = r < 0 ? 0 : strtod(v, &end);
                if (r < 0 || !end || *end || !(sec >= 5 && sec <= 3600))
                    rc = usage_error(cmd, "--audible-every takes seconds, 5 to 3600", r < 0 ? NULL : v);
                ctx.audible_cfg.positions |= AIM_AUDIBLE_AT_INTERVAL;
                ctx.audible_cfg.interval_s = sec;
                continue;
            }
            if ((r = arg_value(argc, argv, &i, "--audible-mode", &v)) != 0) {
                if (r < 0 || (strcmp(v, "insert") && strcmp(v, "mix")))
                    rc = usage_error(cmd, "--audible-mode must be insert or mix", r < 0 ? NULL : v);
                else
                    ctx.audible_cfg.mode = strcmp(v, "mix") == 0 ? AIM_AUDIBLE_MIX : AIM_AUDIBLE_INSERT;
                continue;
            }
            if ((r = arg_value(argc, argv, &i, "--audible-voice", &v)) != 0) {
                if (r < 0 || load_voice(cmd, v, &ctx))
                    rc = EXIT_USAGE;
                continue;
            }
            int tuned = 0;
            for (int k = 0; k < T_COUNT && !tuned; k++) {
                if ((r = arg_value(argc, argv, &i, TUNE[k].name, &v)) != 0) {
                    rc = r < 0 ? EXIT_USAGE : parse_tune(cmd, k, v, &tune_val[k]);
                    tune_set[k] = 1;
                    tuned = 1;
                }
            }
            if (tuned)
                continue;
            if (strcmp(a, "--visible") == 0) {
                ctx.visible = 1;
                continue;
            }
            if ((r = arg_value(argc, argv, &i, "--text", &v)) != 0) {
                if (r < 0)
                    rc = EXIT_USAGE;
                ctx.vopts.text = v;
                continue;
            }
            if ((r = arg_value(argc, argv, &i, "--corner", &v)) != 0) {
                if (r < 0 || aim_vis_place_parse(v, &ctx.vopts.place) != AIM_OK)
                    rc = usage_error(cmd, "--corner must be br, bl, tr, tl, top or bottom", r < 0 ? NULL : v);
                continue;
            }
            if ((r = arg_value(argc, argv, &i, "--video-tail", &v)) != 0) {
                char *end = NULL;
                double sec = r < 0 ? 0 : strtod(v, &end);
                if (r < 0 || !end || *end || !(sec > 0 && sec <= 600))
                    rc = usage_error(cmd, "--video-tail takes seconds, up to 600", r < 0 ? NULL : v);
                ctx.vopts.video_tail_s = sec;
                continue;
            }
            if (strcmp(a, "--composite") == 0) {
                ctx.wopts.source_type = AIM_SOURCE_COMPOSITE_TRAINED;
                continue;
            }
            if ((r = arg_value(argc, argv, &i, "--form", &v)) != 0) {
                if (r < 0 || (strcmp(v, "bare") && strcmp(v, "wrapped")))
                    rc = usage_error(cmd, "--form must be bare or wrapped", v);
                else
                    ctx.wopts.form = strcmp(v, "wrapped") == 0 ? AIM_FORM_WRAPPED : AIM_FORM_BARE;
                continue;
            }
        } else {
            OPT("--propagator", ctx.propagator)
            OPT("--propagate-id", ctx.propagate_id)
            OPT("--reserved2", ctx.reserved2)
            if (strcmp(a, "--declared") == 0) {
                ctx.declared = 1;
                continue;
            }
            if (strcmp(a, "--suspected") == 0) {
                ctx.suspected = 1;
                continue;
            }
        }
        OPT("-o", ctx.out)
        OPT("--output", ctx.out)
#undef OPT
        if (strcmp(a, "--in-place") == 0) {
            ctx.in_place = 1;
        } else if (strcmp(a, "--json") == 0) {
            ctx.json = 1;
        } else if ((r = arg_value(argc, argv, &i, "--jobs", &v)) || (r = arg_value(argc, argv, &i, "-j", &v))) {
            if (r < 0 || !(jobs = parse_jobs(v)))
                rc = usage_error(cmd, "bad --jobs value", r < 0 ? NULL : v);
        } else if (strcmp(a, "--") == 0) {
            for (i++; i < argc; i++)
                files[nfiles++] = argv[i];
        } else if (a[0] == '-' && a[1]) {
            rc = usage_error(cmd, "unknown option", a);
        } else {
            files[nfiles++] = argv[i];
        }
    }
    if (rc == 0) {
        if (!propagate && (!ctx.producer || !ctx.produce_id))
            rc = usage_error(cmd, "--producer and --produce-id are required", NULL);
        else if (propagate && (!ctx.propagator || !ctx.propagate_id))
            rc = usage_error(cmd, "--propagator and --propagate-id are required", NULL);
        else if (nfiles == 0)
            rc = usage_error(cmd, "no FILE or DIR given", NULL);
        else if (!ctx.out == !ctx.in_place)
            rc = usage_error(cmd, "choose exactly one of -o OUT and --in-place", NULL);
        else if (ctx.watermark && ctx.keys.n != 1)
            rc = usage_error(cmd, "--watermark needs exactly one --key KEYFILE", NULL);
        else if (!ctx.watermark && (ctx.keys.n || ctx.have_payload))
            rc = usage_error(cmd, "--key and --payload go with --watermark", NULL);
        else if (!ctx.audible && (ctx.voice || ctx.audible_cfg.positions != AIM_AUDIBLE_AT_START ||
                                  ctx.audible_cfg.mode != AIM_AUDIBLE_INSERT))
            rc = usage_error(cmd, "--audible-at/-every/-mode/-voice go with --audible", NULL);
        else if (ctx.voice && ctx.audible_cfg.kind != AIM_AUDIBLE_VOICE)
            rc = usage_error(cmd, "--audible-voice goes with --audible voice", NULL);
        else if (!ctx.visible && (ctx.vopts.text || ctx.vopts.place != AIM_VIS_BOTTOM_RIGHT ||
                                  ctx.vopts.video_tail_s > 0))
            rc = usage_error(cmd, "--text, --corner and --video-tail go with --visible", NULL);
        else
            rc = apply_tune(cmd, tune_val, tune_set, ctx.audible, &ctx.audible_cfg);
    }
    if (rc == 0) {
        if (!propagate)
            rc = check_value(cmd, AIM_FIELD_LABEL, ctx.label_value) ||
                 check_value(cmd, AIM_FIELD_CONTENT_PRODUCER, ctx.producer) ||
                 check_value(cmd, AIM_FIELD_PRODUCE_ID, ctx.produce_id) ||
                 (ctx.reserved1 && check_value(cmd, AIM_FIELD_RESERVED_CODE1, ctx.reserved1));
        else
            rc = check_value(cmd, AIM_FIELD_CONTENT_PROPAGATOR, ctx.propagator) ||
                 check_value(cmd, AIM_FIELD_PROPAGATE_ID, ctx.propagate_id) ||
                 (ctx.reserved2 && check_value(cmd, AIM_FIELD_RESERVED_CODE2, ctx.reserved2));
        if (rc)
            rc = EXIT_USAGE;
    }
    if (rc == 0 && ctx.out) {
        struct stat st;
        int is_dir = stat(ctx.out, &st) == 0 && S_ISDIR(st.st_mode);
        size_t n = strlen(ctx.out);
        int several = nfiles > 1 || (stat(files[0], &st) == 0 && S_ISDIR(st.st_mode));
        if (!is_dir && (several || ctx.out[n - 1] == '/')) {
            if (mkdir(ctx.out, 0777) != 0 && errno != EEXIST)
                rc = usage_error(cmd, "cannot create output folder", ctx.out);
            is_dir = 1;
        }
        ctx.out_is_dir = is_dir;
    }
    if (rc) {
        free(files);
        free(ctx.voice);
        return rc;
    }
    walker *w = walker_new(files, nfiles);
    rc = w ? pool_run(w, jobs, write_one, &ctx, propagate ? "propagated" : "labelled") : EXIT_FILE_ERRORS;
    walker_free(w);
    free(files);
    free(ctx.voice);
    return rc;
}

int cmd_label(int argc, char **argv) { return run_write(argc, argv, 0); }
int cmd_propagate(int argc, char **argv) { return run_write(argc, argv, 1); }
