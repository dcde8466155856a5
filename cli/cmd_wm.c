/*
 * aimark wm: watermark keys, embedding and detection, on files (through
 * the library's audio layer) and live on raw PCM streams (voice rooms, TTS
 * pipelines: s16le on stdin).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char WM_HELP[] =
    "Usage: aimark wm keygen [--force] KEYFILE\n"
    "       aimark wm embed --key KEYFILE [--payload HEX | --produce-id ID] [--snr DB] IN OUT\n"
    "       aimark wm embed --live --rate R --channels C --key KEYFILE --payload HEX [--snr DB]\n"
    "       aimark wm detect --key KEYFILE [--key KEYFILE2 ...] [--payload HEX | --produce-id ID]\n"
    "                        [--json] [-j N] FILE|DIR...\n"
    "       aimark wm detect --live --rate R --channels C --key KEYFILE [--payload HEX | --produce-id ID]\n"
    "                        [--json] [--window S]\n"
    "\n"
    "The robust audio watermark: a keyed, inaudible mark carrying a 64-bit\n"
    "payload that survives re-encoding and stripped metadata (docs/WATERMARK.md).\n"
    "\n"
    "  keygen   write 32 random bytes as a new key file (mode 0600); refuses to\n"
    "           replace a file unless --force. The key's name is the file name\n"
    "           without its extension.\n"
    "  embed    mark IN and write OUT in the same format (WAV keeps its sample\n"
    "           format, FLAC lossless, MP3/Ogg/Opus/M4A re-encoded at the source\n"
    "           bitrate or better). The payload is --payload (16 hex digits), else\n"
    "           SHA-256 of --produce-id, else of the ProduceID in IN's label.\n"
    "           --live: raw s16le interleaved on stdin -> stdout, latency ~70 ms.\n"
    "  detect   look for the mark with each key; report payload, key, segments.\n"
    "           --payload/--produce-id: where no payload decodes (a clip too short\n"
    "           or too damaged), test whether the audio carries this payload's\n"
    "           mark: \"present\" from ~3 s, at a false-alarm bound of 1e-12.\n"
    "           --live: raw s16le on stdin; an event line whenever a mark appears\n"
    "           or disappears (analysis every 1.5 s over the last --window s, 12).\n"
    "\n"
    "Exit status: detect: 0 no mark found, 1 a mark found (decoded or present);\n"
    "others: 0 done; 2 usage error, 3 some file failed (files are left untouched).\n";

/* ---- keys ----------------------------------------------------------------------- */

int cli_keys_add(cli_keys *k, const char *cmd, const char *path)
{
    if (k->n >= CLI_MAX_KEYS)
        return usage_error(cmd, "too many --key options (16 at most)", path);
    aim_diag d;
    int rc = aim_audio_key_read(path, &k->key[k->n], &d);
    if (rc) {
        fprintf(stderr, "aimark %s: %s\n", cmd, d.message[0] ? d.message : aim_strerror(rc));
        return EXIT_USAGE;
    }
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(k->name[k->n], sizeof k->name[k->n], "%s", base);
    char *dot = strrchr(k->name[k->n], '.');
    if (dot && dot != k->name[k->n])
        *dot = 0;
    k->n++;
    return 0;
}

int cli_parse_payload(const char *s, uint64_t *v)
{
    if (strlen(s) != 16)
        return -1;
    uint64_t x = 0;
    for (int i = 0; i < 16; i++) {
        char c = s[i];
        int h = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (h < 0)
            return -1;
        x = x << 4 | (uint64_t)h;
    }
    *v = x;
    return 0;
}

static int keygen(int argc, char **argv)
{
    int force = 0;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--force") == 0)
            force = 1;
        else if (argv[i][0] == '-' && argv[i][1])
            return usage_error("wm keygen", "unknown option", argv[i]);
        else if (path)
            return usage_error("wm keygen", "one KEYFILE only", argv[i]);
        else
            path = argv[i];
    }
    if (!path)
        return usage_error("wm keygen", "no KEYFILE given", NULL);
    aim_diag d;
    int rc = aim_audio_key_generate(path, force, &d);
    if (rc) {
        fprintf(stderr, "aimark wm keygen: %s\n", d.message[0] ? d.message : aim_strerror(rc));
        return EXIT_FILE_ERRORS;
    }
    return 0;
}

/* ---- detect (files) ------------------------------------------------------------------ */

typedef struct detect_ctx {
    cli_keys keys;
    int json;
    int payload_known; /* --payload / --produce-id: presence test with it */
    uint64_t payload;
} detect_ctx;

static void detect_one(void *vctx, job *j)
{
    detect_ctx *ctx = vctx;
    strbuf sb = {0};
    aim_diag d;
    memset(&d, 0, sizeof d);
    aim_wm_result res[CLI_MAX_KEYS];
    aim_wm_presence pres[CLI_MAX_KEYS];
    aim_audio_wm_opts o;
    aim_audio_wm_opts_init(&o);
    o.presence = o.payload_known = ctx->payload_known;
    o.payload = ctx->payload;
    int rc = j->open_errno ? AIM_ERR_IO
                           : aim_audio_wm_detect_file_ex(j->path, ctx->keys.key, ctx->keys.n, &o, res, pres,
                                                         NULL, &d);
    if (j->open_errno)
        snprintf(d.message, sizeof d.message, "cannot read folder: %s", strerror(j->open_errno));
    if ((rc == AIM_ERR_UNKNOWN_FORMAT || rc == AIM_ERR_UNSUPPORTED) && !j->explicit_) {
        j->skipped = 1;
        return;
    }
    if (rc) {
        const char *msg = d.message[0] ? d.message : aim_strerror(rc);
        if (ctx->json) {
            sb_puts(&sb, "{\"file\":");
            sb_json_str(&sb, j->path);
            sb_puts(&sb, ",\"found\":false,\"error\":");
            sb_json_str(&sb, msg);
            sb_puts(&sb, "}\n");
        } else {
            sb_printf(&sb, "%-8s %-16s %s: %s\n", "ERROR", "-", j->path, msg);
        }
        j->line = sb_take(&sb);
        j->status = EXIT_FILE_ERRORS;
        return;
    }
    int hit = cli_wm_best(res, ctx->keys.n);
    int pk = hit < 0 && ctx->payload_known ? cli_wm_best_present(pres, ctx->keys.n) : -1;
    if (ctx->json) {
        sb_puts(&sb, "{\"file\":");
        sb_json_str(&sb, j->path);
        sb_puts(&sb, ",");
        sb_json_wm_fields(&sb, hit >= 0 ? &res[hit] : NULL, hit >= 0 ? ctx->keys.name[hit] : NULL);
        /* present: the wanted payload's mark, decoded or found by the
         * presence test (another payload decoded is "found", not this) */
        if (ctx->payload_known)
            sb_printf(&sb, ",\"present\":%s",
                      (hit >= 0 && res[hit].payload == ctx->payload) || pk >= 0 ? "true" : "false");
        if (pk >= 0)
            sb_json_presence(&sb, &pres[pk], ctx->keys.name[pk], ctx->payload);
        sb_puts(&sb, "}\n");
    } else if (pk >= 0) {
        sb_printf(&sb, "%-8s %016" PRIx64 " %s  key=%s  pfa=%.2g  %.2f-%.2f\n", "present", ctx->payload, j->path,
                  ctx->keys.name[pk], pres[pk].pfa, pres[pk].start_s, pres[pk].end_s);
    } else if (hit >= 0) {
        sb_printf(&sb, "%-8s %016" PRIx64 " %s  key=%s  ", "found", res[hit].payload, j->path, ctx->keys.name[hit]);
        for (size_t s = 0; s < res[hit].n_segments; s++)
            sb_printf(&sb, "%s%.2f-%.2f", s ? "," : "", res[hit].segments[s].start_s, res[hit].segments[s].end_s);
        sb_puts(&sb, "\n");
    } else {
        sb_printf(&sb, "%-8s %-16s %s\n", "none", "-", j->path);
    }
    j->line = sb_take(&sb);
    j->status = hit >= 0 || pk >= 0 ? EXIT_AI_FOUND : EXIT_NONE_FOUND;
}

/* ---- live forms --------------------------------------------------------------------- */

typedef struct live_opts {
    int rate, channels;
    double window;
} live_opts;

/* Read up to `cap` bytes; returns bytes read, 0 at EOF, -1 on error. */
static ssize_t read_some(int fd, void *buf, size_t cap)
{
    for (;;) {
        ssize_t n = read(fd, buf, cap);
        if (n >= 0 || errno != EINTR)
            return n;
    }
}

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

static void to_s16(const float *x, size_t n, int16_t *o)
{
    for (size_t i = 0; i < n; i++) {
        float v = x[i] * 32768.0f;
        v = v > 32767.0f ? 32767.0f : v < -32768.0f ? -32768.0f : v;
        o[i] = (int16_t)(v < 0 ? v - 0.5f : v + 0.5f);
    }
}

/* Raw s16le stdin -> marked s16le stdout. Input is processed as soon as
 * it arrives (blocks of at most 20 ms), so the added delay is the
 * embedder's latency plus one block. */
static int embed_live(const live_opts *lo, const aim_wm_key *key, uint64_t payload, float snr)
{
    aim_wm_embed_config cfg;
    aim_wm_embed_config_init(&cfg);
    cfg.sample_rate = lo->rate;
    cfg.channels = lo->channels;
    if (snr > 0)
        cfg.target_snr_db = snr;
    aim_wm_embedder *e = NULL;
    int rc = aim_wm_embedder_new(&cfg, key, payload, &e);
    if (rc) {
        fprintf(stderr, "aimark wm embed: %s\n", aim_strerror(rc));
        return EXIT_USAGE;
    }
    size_t ch = (size_t)lo->channels, block = (size_t)lo->rate / 50;
    size_t cap = block > aim_wm_embedder_latency(e) ? block : aim_wm_embedder_latency(e);
    unsigned char *raw = malloc(block * ch * 2 + 2 * ch);
    float *in = malloc(block * ch * sizeof *in), *out = malloc(cap * ch * sizeof *out);
    int16_t *pcm = malloc(cap * ch * sizeof *pcm);
    size_t have = 0, fsz = 2 * ch;
    int status = 0;
    if (!raw || !in || !out || !pcm)
        status = EXIT_FILE_ERRORS;
    while (!status) {
        ssize_t n = read_some(STDIN_FILENO, raw + have, block * fsz - have);
        if (n < 0) {
            status = EXIT_FILE_ERRORS;
            break;
        }
        if (n == 0)
            break;
        have += (size_t)n;
        size_t frames = have / fsz;
        for (size_t i = 0; i < frames * ch; i++)
            in[i] = (float)(int16_t)(raw[2 * i] | raw[2 * i + 1] << 8) / 32768.0f;
        memmove(raw, raw + frames * fsz, have - frames * fsz); /* keep a partial frame */
        have -= frames * fsz;
        size_t got = 0;
        if (aim_wm_embedder_process(e, in, frames, out, &got) != AIM_OK) {
            status = EXIT_FILE_ERRORS;
            break;
        }
        to_s16(out, got * ch, pcm);
        if (write_all(STDOUT_FILENO, pcm, got * fsz) != 0)
            status = EXIT_FILE_ERRORS;
    }
    size_t got = 0;
    if (!status && aim_wm_embedder_flush(e, out, cap, &got) == AIM_OK) {
        to_s16(out, got * ch, pcm);
        if (write_all(STDOUT_FILENO, pcm, got * fsz) != 0)
            status = EXIT_FILE_ERRORS;
    }
    if (status)
        fprintf(stderr, "aimark wm embed: stream error\n");
    aim_wm_embedder_free(e);
    free(raw);
    free(in);
    free(out);
    free(pcm);
    return status;
}

/* Raw s16le stdin: run the detectors every 1.5 s of audio over the last
 * window; print an event when a mark appears, changes or is lost (after
 * two runs without it, so one bad window does not flap). */
/* Live detection. Every 1.5 s the detectors run over the last --window
 * seconds; a decoded payload is an event "mark". Where nothing decodes,
 * the payload expected (--payload, else the one decoded last) is tested
 * for presence, which decides from ~3 s: a mark that stays present keeps
 * its key, and with --payload a mark is reported before a decode is
 * possible. Two analyses in a row with neither: "lost". */
static int detect_live(const live_opts *lo, const detect_ctx *ctx, int json)
{
    const cli_keys *keys = &ctx->keys;
    aim_wm_detect_config cfg;
    aim_wm_detect_config_init(&cfg);
    cfg.sample_rate = lo->rate;
    cfg.channels = lo->channels;
    cfg.max_seconds = lo->window;
    aim_wm_detector *det[CLI_MAX_KEYS] = {0};
    int status = 0, seen = 0;
    for (size_t k = 0; k < keys->n && !status; k++)
        if (aim_wm_detector_new(&cfg, &keys->key[k], &det[k]) != AIM_OK)
            status = usage_error("wm detect", "bad --rate/--channels/--window for the detector", NULL);
    size_t ch = (size_t)lo->channels, block = (size_t)lo->rate / 10, fsz = 2 * ch;
    unsigned char *raw = malloc(block * fsz);
    float *in = malloc(block * ch * sizeof *in);
    if (!raw || !in)
        status = EXIT_FILE_ERRORS;
    uint64_t total = 0, since = 0, every = (uint64_t)(1.5 * lo->rate);
    int cur = -1, misses = 0, cur_decoded = 0;
    uint64_t cur_payload = 0;
    size_t have = 0;
    while (!status) {
        ssize_t n = read_some(STDIN_FILENO, raw + have, block * fsz - have);
        if (n < 0)
            status = EXIT_FILE_ERRORS;
        if (n <= 0)
            break;
        have += (size_t)n;
        size_t frames = have / fsz;
        for (size_t i = 0; i < frames * ch; i++)
            in[i] = (float)(int16_t)(raw[2 * i] | raw[2 * i + 1] << 8) / 32768.0f;
        memmove(raw, raw + frames * fsz, have - frames * fsz);
        have -= frames * fsz;
        for (size_t k = 0; k < keys->n; k++)
            aim_wm_detector_feed(det[k], in, frames);
        total += frames;
        since += frames;
        if (since < every)
            continue;
        since = 0;
        aim_wm_result res[CLI_MAX_KEYS];
        for (size_t k = 0; k < keys->n; k++) {
            memset(&res[k], 0, sizeof res[k]);
            aim_wm_detector_run(det[k], &res[k]);
        }
        int hit = cli_wm_best(res, keys->n);
        double t = (double)total / lo->rate;
        strbuf sb = {0};
        int pk = -1; /* presence of the expected payload, nothing decoded */
        if (hit < 0 && (ctx->payload_known || cur >= 0)) {
            aim_wm_presence_config pc;
            aim_wm_presence_config_init(&pc);
            pc.payload_known = 1;
            pc.payload = cur >= 0 ? cur_payload : ctx->payload;
            aim_wm_presence pres[CLI_MAX_KEYS];
            for (size_t k = 0; k < keys->n; k++)
                if (cur >= 0 ? k == (size_t)cur : 1)
                    aim_wm_detector_presence(det[k], &pc, &pres[k]);
                else
                    memset(&pres[k], 0, sizeof pres[k]);
            pk = cli_wm_best_present(pres, keys->n);
            if (pk >= 0 && cur < 0) { /* first sign of the expected mark */
                cur = pk;
                cur_payload = pc.payload;
                cur_decoded = 0;
                seen = 1;
                if (json) {
                    sb_printf(&sb, "{\"event\":\"present\",\"t\":%.2f,\"found\":false", t);
                    sb_json_presence(&sb, &pres[pk], keys->name[pk], pc.payload);
                    sb_puts(&sb, "}\n");
                } else {
                    sb_printf(&sb, "%9.2f s  present  %016" PRIx64 "  key=%s  pfa=%.2g\n", t, pc.payload,
                              keys->name[pk], pres[pk].pfa);
                }
            }
        }
        if (pk >= 0) {
            misses = 0;
        } else if (hit >= 0 && (cur != hit || res[hit].payload != cur_payload || !cur_decoded)) {
            cur = hit;
            cur_payload = res[hit].payload;
            cur_decoded = 1;
            misses = 0;
            seen = 1;
            if (json) {
                sb_printf(&sb, "{\"event\":\"mark\",\"t\":%.2f,", t);
                sb_json_wm_fields(&sb, &res[hit], keys->name[hit]);
                sb_puts(&sb, "}\n");
            } else {
                sb_printf(&sb, "%9.2f s  mark  %016" PRIx64 "  key=%s\n", t, res[hit].payload, keys->name[hit]);
            }
        } else if (hit >= 0) {
            misses = 0;
        } else if (cur >= 0 && ++misses >= 2) {
            if (json)
                sb_printf(&sb, "{\"event\":\"lost\",\"t\":%.2f,\"key\":\"%s\"}\n", t, keys->name[cur]);
            else
                sb_printf(&sb, "%9.2f s  lost  key=%s\n", t, keys->name[cur]);
            cur = -1;
        }
        if (sb.len) {
            fputs(sb.p, stdout);
            fflush(stdout);
        }
        sb_free(&sb);
    }
    for (size_t k = 0; k < keys->n; k++)
        aim_wm_detector_free(det[k]);
    free(raw);
    free(in);
    return status ? status : seen ? EXIT_AI_FOUND : EXIT_NONE_FOUND;
}

/* ---- argument handling ------------------------------------------------------------- */

static int parse_int(const char *s, int lo, int hi, int *v)
{
    char *end;
    long x = strtol(s, &end, 10);
    if (!*s || *end || x < lo || x > hi)
        return -1;
    *v = (int)x;
    return 0;
}

static int run_wm(int argc, char **argv, int detect)
{
    const char *cmd = detect ? "wm detect" : "wm embed";
    detect_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    live_opts lo = {0, 0, 12.0};
    int live = 0, jobs = default_jobs(), have_payload = 0;
    uint64_t payload = 0;
    const char *produce_id = NULL;
    double snr = 0;
    char **files = calloc((size_t)argc, sizeof *files);
    int nfiles = 0, rc = 0;
    if (!files)
        return EXIT_FILE_ERRORS;
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *v, *a = argv[i];
        int r;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(WM_HELP, stdout);
            free(files);
            return 0;
        }
        if ((r = arg_value(argc, argv, &i, "--key", &v)) != 0) {
            rc = r < 0 ? EXIT_USAGE : cli_keys_add(&ctx.keys, cmd, v);
        } else if (strcmp(a, "--live") == 0) {
            live = 1;
        } else if (strcmp(a, "--json") == 0 && detect) {
            ctx.json = 1;
        } else if ((r = arg_value(argc, argv, &i, "--rate", &v)) != 0) {
            if (r < 0 || parse_int(v, AIM_WM_MIN_RATE, AIM_WM_MAX_RATE, &lo.rate))
                rc = usage_error(cmd, "--rate must be 8000..96000", r < 0 ? NULL : v);
        } else if ((r = arg_value(argc, argv, &i, "--channels", &v)) != 0) {
            if (r < 0 || parse_int(v, 1, AIM_WM_MAX_CHANNELS, &lo.channels))
                rc = usage_error(cmd, "--channels must be 1..64", r < 0 ? NULL : v);
        } else if (detect && (r = arg_value(argc, argv, &i, "--window", &v)) != 0) {
            char *end;
            lo.window = r < 0 ? 0 : strtod(v, &end);
            if (r < 0 || *end || !(lo.window >= 4 && lo.window <= 600))
                rc = usage_error(cmd, "--window must be 4..600 seconds", r < 0 ? NULL : v);
        } else if ((r = arg_value(argc, argv, &i, "--payload", &v)) != 0) {
            if (r < 0 || cli_parse_payload(v, &payload))
                rc = usage_error(cmd, "--payload must be 16 hex digits", r < 0 ? NULL : v);
            have_payload = 1;
        } else if ((r = arg_value(argc, argv, &i, "--produce-id", &v)) != 0) {
            if (r < 0)
                rc = EXIT_USAGE;
            produce_id = v;
        } else if (!detect && (r = arg_value(argc, argv, &i, "--snr", &v)) != 0) {
            char *end;
            snr = r < 0 ? 0 : strtod(v, &end);
            if (r < 0 || *end || !(snr >= 20 && snr <= 60))
                rc = usage_error(cmd, "--snr must be 20..60 dB", r < 0 ? NULL : v);
        } else if (detect && ((r = arg_value(argc, argv, &i, "--jobs", &v)) || (r = arg_value(argc, argv, &i, "-j", &v)))) {
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
    if (rc == 0 && ctx.keys.n == 0)
        rc = usage_error(cmd, "--key KEYFILE is required", NULL);
    if (rc == 0 && live) {
        if (!lo.rate || !lo.channels)
            rc = usage_error(cmd, "--live needs --rate and --channels", NULL);
        else if (nfiles)
            rc = usage_error(cmd, "--live reads stdin; no FILE operands", files[0]);
        else if (!detect && ctx.keys.n != 1)
            rc = usage_error(cmd, "embed takes one --key", NULL);
        else if (!detect && !have_payload && !produce_id)
            rc = usage_error(cmd, "--live embedding needs --payload or --produce-id", NULL);
    }
    if (rc == 0 && produce_id && !have_payload)
        aim_audio_payload_from_id(produce_id, &payload), have_payload = 1;
    ctx.payload_known = detect && have_payload;
    ctx.payload = payload;
    if (rc == 0 && live) {
        rc = detect ? detect_live(&lo, &ctx, ctx.json) : embed_live(&lo, &ctx.keys.key[0], payload, (float)snr);
    } else if (rc == 0 && detect) {
        if (nfiles == 0) {
            rc = usage_error(cmd, "no FILE or DIR given", NULL);
        } else {
            walker *w = walker_new(files, nfiles);
            rc = w ? pool_run(w, jobs, detect_one, &ctx, "checked") : EXIT_FILE_ERRORS;
            walker_free(w);
        }
    } else if (rc == 0) {
        if (nfiles != 2) {
            rc = usage_error(cmd, "give IN and OUT", NULL);
        } else if (ctx.keys.n != 1) {
            rc = usage_error(cmd, "embed takes one --key", NULL);
        } else {
            aim_diag d;
            memset(&d, 0, sizeof d);
            if (!have_payload) {
                /* The ProduceID of the label already in the file. */
                aim_meta *m = NULL;
                const aim_label *l = NULL;
                const char *id = NULL;
                if (aim_meta_read_file(files[0], &m, &d) == AIM_OK && (l = aim_meta_label(m)) != NULL)
                    id = aim_label_get(l, AIM_FIELD_PRODUCE_ID);
                if (id)
                    aim_audio_payload_from_id(id, &payload), have_payload = 1;
                aim_meta_free(m);
                if (!have_payload)
                    rc = usage_error(cmd, "no --payload or --produce-id, and IN has no ProduceID", NULL);
            }
            if (rc == 0) {
                aim_audio_label_opts o;
                aim_audio_label_opts_init(&o);
                o.watermark = 1;
                o.key = ctx.keys.key[0];
                o.payload = payload;
                o.wm_snr_db = (float)snr;
                int e = aim_audio_label_file(files[0], files[1], &o, &d);
                if (e) {
                    fprintf(stderr, "aimark wm embed: %s: %s\n", files[0], d.message[0] ? d.message : aim_strerror(e));
                    rc = EXIT_FILE_ERRORS;
                } else {
                    printf("marked   %016" PRIx64 " %s -> %s  key=%s\n", payload, files[0], files[1], ctx.keys.name[0]);
                }
            }
        }
    }
    free(files);
    return rc;
}

int cmd_wm(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(WM_HELP, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "keygen") == 0)
        return keygen(argc - 1, argv + 1);
    if (strcmp(argv[1], "embed") == 0)
        return run_wm(argc - 1, argv + 1, 0);
    if (strcmp(argv[1], "detect") == 0)
        return run_wm(argc - 1, argv + 1, 1);
    fprintf(stderr, "aimark wm: unknown subcommand '%s'\n\n%s", argv[1], WM_HELP);
    return EXIT_USAGE;
}
