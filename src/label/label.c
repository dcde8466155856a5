/*
 * The label model: seven string fields, Annex E validation, JSON in both
 * forms, and the Art. 6 class. Knows nothing of files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aimark/aimark.h"
#include "label/label_internal.h"

static const char *const FIELD_NAMES[AIM_FIELD_COUNT] = {
    "Label", "ContentProducer", "ProduceID", "ReservedCode1",
    "ContentPropagator", "PropagateID", "ReservedCode2",
};

const char *aim_field_name(aim_field f)
{
    return (unsigned)f < AIM_FIELD_COUNT ? FIELD_NAMES[f] : NULL;
}

const char *aim_form_name(aim_label_form form)
{
    return form == AIM_FORM_WRAPPED ? "wrapped" : "bare";
}

const char *aim_class_name(aim_class c)
{
    switch (c) {
    case AIM_CLASS_CONFIRMED: return "confirmed";
    case AIM_CLASS_POSSIBLE: return "possible";
    case AIM_CLASS_SUSPECTED: return "suspected";
    default: return "none";
    }
}

aim_label *aim_label_new(void) { return calloc(1, sizeof(aim_label)); }

void aim_label_free(aim_label *l)
{
    if (!l)
        return;
    for (int i = 0; i < AIM_FIELD_COUNT; i++)
        free(l->v[i]);
    free(l);
}

aim_label *aim_label_dup(const aim_label *l)
{
    if (!l)
        return NULL;
    aim_label *c = aim_label_new();
    if (!c)
        return NULL;
    for (int i = 0; i < AIM_FIELD_COUNT; i++) {
        if (l->v[i] && label_set_raw(c, (aim_field)i, l->v[i], strlen(l->v[i])) != AIM_OK) {
            aim_label_free(c);
            return NULL;
        }
    }
    return c;
}

int label_set_raw(aim_label *l, aim_field f, const char *value, size_t len)
{
    if (!l || (unsigned)f >= AIM_FIELD_COUNT)
        return AIM_ERR_INVALID_ARG;
    char *copy = NULL;
    if (value && len > 0) {
        copy = malloc(len + 1);
        if (!copy)
            return AIM_ERR_NOMEM;
        memcpy(copy, value, len);
        copy[len] = 0;
    }
    free(l->v[f]);
    l->v[f] = copy;
    return AIM_OK;
}

int label_check_value(aim_field f, const char *value, size_t len, char *why, size_t why_cap)
{
    const char *name = FIELD_NAMES[f];
    if (f == AIM_FIELD_LABEL) {
        if (len == 1 && value[0] >= '1' && value[0] <= '3')
            return AIM_OK;
        if (why)
            snprintf(why, why_cap, "Label must be \"1\", \"2\" or \"3\"");
        return AIM_ERR_LABEL_INVALID;
    }
    size_t max = (f == AIM_FIELD_RESERVED_CODE1 || f == AIM_FIELD_RESERVED_CODE2)
                     ? AIM_LABEL_MAX_RESERVED
                     : AIM_LABEL_MAX_VALUE;
    if (len > max) {
        if (why)
            snprintf(why, why_cap, "%s is longer than %zu characters", name, max);
        return AIM_ERR_LABEL_INVALID;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        /* GB 45438 Annex E: 0x21, 0x23-0x5B, 0x5D-0x7E, plus the escaped quote. */
        if (c < 0x21 || c > 0x7E || c == '\\') {
            if (why)
                snprintf(why, why_cap,
                         "%s has a character not allowed by GB 45438 Annex E "
                         "(byte 0x%02X at %zu; allowed: printable ASCII without space or backslash)",
                         name, c, i);
            return AIM_ERR_LABEL_INVALID;
        }
    }
    return AIM_OK;
}

int aim_label_set(aim_label *l, aim_field f, const char *value)
{
    if (!l || (unsigned)f >= AIM_FIELD_COUNT)
        return AIM_ERR_INVALID_ARG;
    size_t len = value ? strlen(value) : 0;
    if (len > 0) {
        int rc = label_check_value(f, value, len, NULL, 0);
        if (rc)
            return rc;
    }
    return label_set_raw(l, f, value, len);
}

const char *aim_label_get(const aim_label *l, aim_field f)
{
    if (!l || (unsigned)f >= AIM_FIELD_COUNT)
        return NULL;
    return l->v[f];
}

int aim_label_validate(const aim_label *l, char *why, size_t why_cap)
{
    if (why && why_cap)
        why[0] = 0;
    if (!l)
        return AIM_ERR_INVALID_ARG;
    if (!l->v[AIM_FIELD_LABEL]) {
        if (why)
            snprintf(why, why_cap, "Label is missing");
        return AIM_ERR_LABEL_INVALID;
    }
    for (int i = 0; i < AIM_FIELD_COUNT; i++) {
        if (!l->v[i])
            continue;
        int rc = label_check_value((aim_field)i, l->v[i], strlen(l->v[i]), why, why_cap);
        if (rc)
            return rc;
    }
    return AIM_OK;
}

aim_class aim_label_class(const aim_label *l)
{
    const char *v = l ? l->v[AIM_FIELD_LABEL] : NULL;
    if (!v || v[1] != 0)
        return AIM_CLASS_NONE;
    switch (v[0]) {
    case '1': return AIM_CLASS_CONFIRMED;
    case '2': return AIM_CLASS_POSSIBLE;
    case '3': return AIM_CLASS_SUSPECTED;
    default: return AIM_CLASS_NONE;
    }
}

/* Append s to the output as JSON string content; counts length always. */
static void emit(char *buf, size_t cap, size_t *pos, const char *s, size_t n)
{
    if (buf && *pos < cap) {
        size_t room = cap - *pos;
        memcpy(buf + *pos, s, n < room ? n : room);
    }
    *pos += n;
}

static void emit_escaped(char *buf, size_t cap, size_t *pos, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            emit(buf, cap, pos, e, 2);
        } else if (c < 0x20) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            emit(buf, cap, pos, e, 6);
        } else {
            emit(buf, cap, pos, (const char *)&c, 1);
        }
    }
}

int aim_label_to_json(const aim_label *l, aim_label_form form, char *buf, size_t cap,
                      size_t *len_out)
{
    if (!l)
        return AIM_ERR_INVALID_ARG;
    size_t pos = 0;
    if (form == AIM_FORM_WRAPPED)
        emit(buf, cap, &pos, "{\"AIGC\":", 8);
    emit(buf, cap, &pos, "{", 1);
    for (int i = 0; i < AIM_FIELD_COUNT; i++) {
        if (i)
            emit(buf, cap, &pos, ",", 1);
        emit(buf, cap, &pos, "\"", 1);
        emit(buf, cap, &pos, FIELD_NAMES[i], strlen(FIELD_NAMES[i]));
        emit(buf, cap, &pos, "\":\"", 3);
        if (l->v[i])
            emit_escaped(buf, cap, &pos, l->v[i]);
        emit(buf, cap, &pos, "\"", 1);
    }
    emit(buf, cap, &pos, "}", 1);
    if (form == AIM_FORM_WRAPPED)
        emit(buf, cap, &pos, "}", 1);
    if (len_out)
        *len_out = pos;
    if (!buf || cap <= pos)
        return AIM_ERR_BUFFER_TOO_SMALL;
    buf[pos] = 0;
    return AIM_OK;
}
