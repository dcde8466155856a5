/* Shared pieces of the eval layer: a string arena with an id -> index hash
 * map, and the line tokenizer used by the protocol and score parsers. */
#ifndef AIM_EVAL_TABLE_H
#define AIM_EVAL_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "aimark/eval.h"

typedef struct str_table {
    char *arena; /* NUL-separated strings; offsets stay valid across growth */
    size_t len, cap;
    size_t *slots; /* open addressing: entry index + 1, 0 = empty */
    size_t nslots;
} str_table;

/* Append a string of n bytes; *off gets its offset. AIM_OK or AIM_ERR_NOMEM. */
int st_add(str_table *t, const char *s, size_t n, size_t *off);
/* Hash map over caller-held keys: find(key) -> index of the entry whose key
 * offset is keys[index]; insert requires that the key is absent. */
int st_map_find(const str_table *t, const size_t *keys, const char *key, size_t *index);
int st_map_insert(str_table *t, const size_t *keys, size_t count, size_t index);
void st_free(str_table *t);

#define TOK_MAX 32
typedef struct tok_line {
    const char *f[TOK_MAX];
    size_t n[TOK_MAX];
    size_t count;
} tok_line;

/* Split one line (no newline) on blanks. Returns AIM_OK, or AIM_ERR_CORRUPT
 * with a reason in *why (control byte, field too long, too many fields). */
int tok_split(const char *line, size_t len, tok_line *t, const char **why);

/* Next line of text from *pos: sets *line and *len (without "\n" or "\r\n").
 * Returns 1, or 0 at the end. */
int next_line(const char *text, size_t total, size_t *pos, const char **line, size_t *len);

#endif
