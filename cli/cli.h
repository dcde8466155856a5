/*
 * The aimark command-line tool. Each subcommand lives in its own file
 * (cmd_*.c); shared plumbing: argument helpers and output (out.c), file
 * walking (walk.c) and the ordered worker pool (pool.c). The CLI uses only
 * the public API in include/aimark/.
 */
#ifndef AIM_CLI_H
#define AIM_CLI_H

#include <stdio.h>

#include "aimark/aimark.h"
#include "aimark/audio.h"

/* Exit codes shared by all subcommands (documented in docs/CLI.md). */
enum {
    EXIT_NONE_FOUND = 0, /* success; for check: no AI indication in any file */
    EXIT_AI_FOUND = 1,   /* check: at least one file is confirmed/possible/suspected */
    EXIT_USAGE = 2,      /* bad command line */
    EXIT_FILE_ERRORS = 3 /* at least one file could not be processed */
};

int cmd_label(int argc, char **argv);
int cmd_propagate(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_detect(int argc, char **argv);
int cmd_wm(int argc, char **argv);

/* ---- cmd_wm.c: watermark keys shared by wm, label and check ------------------ */

#define CLI_MAX_KEYS 16
typedef struct cli_keys {
    size_t n;
    aim_wm_key key[CLI_MAX_KEYS];
    char name[CLI_MAX_KEYS][64]; /* file basename without extension */
} cli_keys;

/* Load a key file; on failure print why and return EXIT_USAGE, else 0. */
int cli_keys_add(cli_keys *k, const char *cmd, const char *path);
/* Parse exactly 16 hex digits; -1 when malformed. */
int cli_parse_payload(const char *s, uint64_t *v);

/* ---- out.c: JSON lines, tables, progress ------------------------------------ */

/* A growable string for building one output line. */
typedef struct strbuf {
    char *p;
    size_t len, cap;
    int oom;
} strbuf;

void sb_put(strbuf *s, const char *text, size_t n);
void sb_puts(strbuf *s, const char *text);
void sb_printf(strbuf *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Append a JSON string literal (quoted, escaped; invalid UTF-8 bytes as U+FFFD). */
void sb_json_str(strbuf *s, const char *text);
/* Append the label as a JSON object with the seven fields (unset = ""). */
void sb_json_label(strbuf *s, const aim_label *l);
/* Append "found":..,"payload":..,"key":..,"segments":[[s,e],..] for a
 * watermark result (NULL: not found; payload and key are then null). */
void sb_json_wm_fields(strbuf *s, const aim_wm_result *r, const char *key_name);
/* Index of the key whose result was found (best sync score), or -1. */
int cli_wm_best(const aim_wm_result *res, size_t n);
/* ,"presence":{key, payload, z, pfa, window} for a presence-only finding */
void sb_json_presence(strbuf *s, const aim_wm_presence *p, const char *key_name, uint64_t payload);
/* The key whose presence test is strongest among those present, or -1. */
int cli_wm_best_present(const aim_wm_presence *p, size_t n);
/* Detach the string (caller frees); NULL on out-of-memory. */
char *sb_take(strbuf *s);
void sb_free(strbuf *s);

/* Progress on stderr, only when it is a terminal; rate-limited redraws. */
typedef struct progress progress;
progress *progress_new(const char *verb);
void progress_tick(progress *p, unsigned long done, unsigned long errors);
void progress_done(progress *p);

/* Parse a thread count ("auto" or 1..256); 0 on error. */
int parse_jobs(const char *s);
int default_jobs(void);

/* ---- walk.c: files and folders, recursively, in a stable order -------------- */

typedef struct walker walker;
/* `paths` are the command-line operands. */
walker *walker_new(char **paths, int n);
/*
 * Next regular file: *path is the path to open, *rel its path relative to
 * the operand it came from (the basename for a file operand), *explicit_
 * is 1 when the file was named on the command line. Strings are valid until
 * the next call. Returns 1, 0 at the end, -1 with *path set to an operand
 * that could not be read (reported as an error by the caller).
 */
int walker_next(walker *w, const char **path, const char **rel, int *explicit_, int *err);
void walker_free(walker *w);

/* ---- pool.c: parallel work, results printed in input order ------------------ */

typedef struct job {
    char *path;
    char *rel;
    int explicit_;
    int open_errno; /* walker error for this operand (0 = none) */
    /* filled by the worker: */
    char *line;     /* output line(s) to print, may be NULL */
    int status;     /* EXIT_* contribution of this file */
    int skipped;    /* 1: print nothing, count nothing */
} job;

typedef void (*job_fn)(void *ctx, job *j);

/*
 * Run fn over every file the walker yields on `jobs` threads. Lines are
 * written to stdout in walk order while work proceeds; memory stays bounded
 * (a window of in-flight jobs). Returns the worst status seen.
 */
int pool_run(walker *w, int jobs, job_fn fn, void *ctx, const char *verb);

#endif

/* ---- args.c: tiny option matcher --------------------------------------------- */

/*
 * If argv[*i] is `name` followed by a value, or `name=value`, store the
 * value, advance *i past it and return 1. Returns -1 (after printing a
 * message) when the value is missing, 0 when argv[*i] is not `name`.
 */
int arg_value(int argc, char **argv, int *i, const char *name, const char **val);
/* Print "aimark CMD: MSG" and a hint; returns EXIT_USAGE. */
int usage_error(const char *cmd, const char *msg, const char *arg);
