/*
 * Lenient parser for label JSON as found in files: the bare object or the
 * {"AIGC":{...}} wrapper. Strict JSON syntax (RFC 8259) with bounded depth;
 * lenient content: unknown keys skipped, numbers accepted for values.
 */
#include <stdlib.h>
#include <string.h>

#include "aimark/aimark.h"
#include "core/buf.h"
#include "core/limits.h"
#include "label/label_internal.h"

typedef struct jp {
    const char *p, *end;
    int depth;
} jp;

static void skip_ws(jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int read_hex4(jp *j, unsigned *out)
{
    if (j->end - j->p < 4)
        return AIM_ERR_JSON;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(j->p[i]);
        if (h < 0)
            return AIM_ERR_JSON;
        v = v << 4 | (unsigned)h;
    }
    j->p += 4;
    *out = v;
    return AIM_OK;
}

static int put_utf8(aim_buf *b, unsigned cp)
{
    uint8_t t[4];
    size_t n;
    if (cp < 0x80) { t[0] = (uint8_t)cp; n = 1; }
    else if (cp < 0x800) { t[0] = (uint8_t)(0xC0 | cp >> 6); t[1] = (uint8_t)(0x80 | (cp & 63)); n = 2; }
    else if (cp < 0x10000) {
        t[0] = (uint8_t)(0xE0 | cp >> 12); t[1] = (uint8_t)(0x80 | ((cp >> 6) & 63));
        t[2] = (uint8_t)(0x80 | (cp & 63)); n = 3;
    } else {
        t[0] = (uint8_t)(0xF0 | cp >> 18); t[1] = (uint8_t)(0x80 | ((cp >> 12) & 63));
        t[2] = (uint8_t)(0x80 | ((cp >> 6) & 63)); t[3] = (uint8_t)(0x80 | (cp & 63)); n = 4;
    }
    return buf_put(b, t, n);
}

/* Parse a JSON string at j->p (which is at the opening quote) into b. */
static int parse_string(jp *j, aim_buf *b)
{
    buf_clear(b);
    if (j->p >= j->end || *j->p != '"')
        return AIM_ERR_JSON;
    j->p++;
    while (j->p < j->end) {
        unsigned char c = (unsigned char)*j->p++;
        if (c == '"')
            return buf_putc(b, 0) ? AIM_ERR_NOMEM : (b->len--, AIM_OK);
        if (c < 0x20)
            return AIM_ERR_JSON;
        if (c != '\\') {
            if (buf_putc(b, c))
                return b->err;
            continue;
        }
        if (j->p >= j->end)
            return AIM_ERR_JSON;
        char e = *j->p++;
        unsigned cp;
        switch (e) {
        case '"': case '\\': case '/': cp = (unsigned char)e; break;
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u':
            if (read_hex4(j, &cp))
                return AIM_ERR_JSON;
            if (cp >= 0xD800 && cp < 0xDC00) {
                unsigned lo;
                if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u')
                    return AIM_ERR_JSON;
                j->p += 2;
                if (read_hex4(j, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                    return AIM_ERR_JSON;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                return AIM_ERR_JSON;
            }
            break;
        default:
            return AIM_ERR_JSON;
        }
        if (cp == 0)
            return AIM_ERR_JSON; /* embedded NUL cannot be a label value */
        if (put_utf8(b, cp))
            return b->err;
    }
    return AIM_ERR_JSON;
}

static int skip_value(jp *j);

/* Numbers, true/false/null: copied as text (numbers) or skipped. */
static int parse_scalar(jp *j, aim_buf *b)
{
    buf_clear(b);
    const char *s = j->p;
    if (j->p < j->end && (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))) {
        while (j->p < j->end && strchr("+-0123456789.eE", *j->p))
            j->p++;
        if (buf_put(b, s, (size_t)(j->p - s)) || buf_putc(b, 0))
            return AIM_ERR_NOMEM;
        b->len--;
        return AIM_OK;
    }
    static const char *const words[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(words[i]);
        if ((size_t)(j->end - j->p) >= n && memcmp(j->p, words[i], n) == 0) {
            j->p += n;
            return AIM_OK;
        }
    }
    return AIM_ERR_JSON;
}

static int skip_container(jp *j, char open, char close)
{
    if (++j->depth > AIM_MAX_DEPTH)
        return AIM_ERR_LIMIT;
    j->p++; /* open */
    skip_ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        j->depth--;
        return AIM_OK;
    }
    aim_buf tmp = AIM_BUF_INIT;
    int rc = AIM_OK;
    for (;;) {
        skip_ws(j);
        if (open == '{') {
            if ((rc = parse_string(j, &tmp)))
                break;
            skip_ws(j);
            if (j->p >= j->end || *j->p != ':') { rc = AIM_ERR_JSON; break; }
            j->p++;
        }
        if ((rc = skip_value(j)))
            break;
        skip_ws(j);
        if (j->p < j->end && *j->p == ',') { j->p++; continue; }
        if (j->p < j->end && *j->p == close) { j->p++; break; }
        rc = AIM_ERR_JSON;
        break;
    }
    buf_free(&tmp);
    j->depth--;
    return rc;
}

static int skip_value(jp *j)
{
    skip_ws(j);
    if (j->p >= j->end)
        return AIM_ERR_JSON;
    if (*j->p == '{')
        return skip_container(j, '{', '}');
    if (*j->p == '[')
        return skip_container(j, '[', ']');
    aim_buf tmp = AIM_BUF_INIT;
    int rc = *j->p == '"' ? parse_string(j, &tmp) : parse_scalar(j, &tmp);
    buf_free(&tmp);
    return rc;
}

static int field_by_name(const char *name)
{
    for (int i = 0; i < AIM_FIELD_COUNT; i++)
        if (strcmp(name, aim_field_name((aim_field)i)) == 0)
            return i;
    return -1;
}

/*
 * Parse an object. If it has an "AIGC" member whose value is an object and
 * no label fields of its own, that inner object is the label (wrapped form).
 */
static int parse_object(jp *j, aim_label *l, int allow_wrap, int *wrapped)
{
    skip_ws(j);
    if (j->p >= j->end || *j->p != '{')
        return AIM_ERR_JSON;
    if (++j->depth > AIM_MAX_DEPTH)
        return AIM_ERR_LIMIT;
    j->p++;
    aim_buf key = AIM_BUF_INIT, val = AIM_BUF_INIT;
    int rc = AIM_OK, first = 1;
    skip_ws(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
        goto out;
    }
    for (;;) {
        skip_ws(j);
        if ((rc = parse_string(j, &key)))
            break;
        skip_ws(j);
        if (j->p >= j->end || *j->p != ':') { rc = AIM_ERR_JSON; break; }
        j->p++;
        skip_ws(j);
        if (j->p >= j->end) { rc = AIM_ERR_JSON; break; }
        int f = field_by_name((const char *)key.p);
        if (allow_wrap && *j->p == '{' && strcmp((const char *)key.p, "AIGC") == 0) {
            rc = parse_object(j, l, 0, NULL);
            if (rc)
                break;
            *wrapped = 1;
        } else if (f >= 0 && (*j->p == '"' || *j->p == '-' || (*j->p >= '0' && *j->p <= '9'))) {
            rc = *j->p == '"' ? parse_string(j, &val) : parse_scalar(j, &val);
            if (rc)
                break;
            if ((rc = label_set_raw(l, (aim_field)f, (const char *)val.p, val.len)))
                break;
        } else {
            if ((rc = skip_value(j)))
                break;
        }
        first = 0;
        skip_ws(j);
        if (j->p < j->end && *j->p == ',') { j->p++; continue; }
        if (j->p < j->end && *j->p == '}') { j->p++; break; }
        rc = AIM_ERR_JSON;
        break;
    }
    (void)first;
out:
    buf_free(&key);
    buf_free(&val);
    j->depth--;
    return rc;
}

int aim_label_parse(const char *json, size_t len, aim_label **out, aim_label_form *form_out)
{
    if (!out || (!json && len))
        return AIM_ERR_INVALID_ARG;
    *out = NULL;
    if (len > AIM_MAX_LABEL_TEXT)
        return AIM_ERR_LIMIT;
    jp j = {json, json + len, 0};
    /* Tolerate a UTF-8 BOM and trailing NULs, both seen in real tags. */
    if (len >= 3 && memcmp(json, "\xEF\xBB\xBF", 3) == 0)
        j.p += 3;
    while (j.end > j.p && j.end[-1] == 0)
        j.end--;
    aim_label *l = aim_label_new();
    if (!l)
        return AIM_ERR_NOMEM;
    int wrapped = 0;
    int rc = parse_object(&j, l, 1, &wrapped);
    if (rc == AIM_OK) {
        skip_ws(&j);
        if (j.p != j.end)
            rc = AIM_ERR_JSON;
    }
    if (rc == AIM_OK) {
        int any = 0;
        for (int i = 0; i < AIM_FIELD_COUNT; i++)
            any |= l->v[i] != NULL;
        if (!any)
            rc = AIM_ERR_JSON; /* an object with none of the seven elements */
    }
    if (rc) {
        aim_label_free(l);
        return rc == AIM_ERR_NOMEM || rc == AIM_ERR_LIMIT ? rc : AIM_ERR_JSON;
    }
    if (form_out)
        *form_out = wrapped ? AIM_FORM_WRAPPED : AIM_FORM_BARE;
    *out = l;
    return AIM_OK;
}
