/* The label model: validation, JSON in both forms, lenient parsing, classes. */
#include <stdlib.h>
#include <string.h>

#include "aimark/aimark.h"
#include "test.h"

static aim_label *producer_label(void)
{
    aim_label *l = aim_label_new();
    aim_label_set(l, AIM_FIELD_LABEL, "1");
    aim_label_set(l, AIM_FIELD_CONTENT_PRODUCER, "001191110102MACQD9K64010000");
    aim_label_set(l, AIM_FIELD_PRODUCE_ID, "abc-123");
    return l;
}

static void t_field_names(void)
{
    CHECK_STR(aim_field_name(AIM_FIELD_LABEL), "Label");
    CHECK_STR(aim_field_name(AIM_FIELD_RESERVED_CODE2), "ReservedCode2");
    CHECK(aim_field_name(AIM_FIELD_COUNT) == NULL);
    CHECK_STR(aim_class_name(AIM_CLASS_SUSPECTED), "suspected");
    CHECK_STR(aim_form_name(AIM_FORM_WRAPPED), "wrapped");
}

static void t_set_validates(void)
{
    aim_label *l = aim_label_new();
    CHECK_INT(aim_label_set(l, AIM_FIELD_LABEL, "1"), AIM_OK);
    CHECK_INT(aim_label_set(l, AIM_FIELD_LABEL, "4"), AIM_ERR_LABEL_INVALID);
    CHECK_INT(aim_label_set(l, AIM_FIELD_LABEL, "11"), AIM_ERR_LABEL_INVALID);
    CHECK_STR(aim_label_get(l, AIM_FIELD_LABEL), "1"); /* unchanged after rejection */
    CHECK_INT(aim_label_set(l, AIM_FIELD_PRODUCE_ID, "has space"), AIM_ERR_LABEL_INVALID);
    CHECK_INT(aim_label_set(l, AIM_FIELD_PRODUCE_ID, "back\\slash"), AIM_ERR_LABEL_INVALID);
    CHECK_INT(aim_label_set(l, AIM_FIELD_PRODUCE_ID, "tab\there"), AIM_ERR_LABEL_INVALID);
    CHECK_INT(aim_label_set(l, AIM_FIELD_PRODUCE_ID, "\xE4\xB8\xAD"), AIM_ERR_LABEL_INVALID);
    CHECK_INT(aim_label_set(l, AIM_FIELD_PRODUCE_ID, "quote\"ok{}[]!~"), AIM_OK);
    CHECK(aim_label_get(l, AIM_FIELD_PRODUCE_ID) != NULL);
    CHECK_INT(aim_label_set(l, AIM_FIELD_PRODUCE_ID, ""), AIM_OK);
    CHECK(aim_label_get(l, AIM_FIELD_PRODUCE_ID) == NULL);
    char *big = malloc(AIM_LABEL_MAX_VALUE + 2);
    memset(big, 'a', AIM_LABEL_MAX_VALUE + 1);
    big[AIM_LABEL_MAX_VALUE + 1] = 0;
    CHECK_INT(aim_label_set(l, AIM_FIELD_CONTENT_PRODUCER, big), AIM_ERR_LABEL_INVALID);
    big[AIM_LABEL_MAX_VALUE] = 0;
    CHECK_INT(aim_label_set(l, AIM_FIELD_CONTENT_PRODUCER, big), AIM_OK);
    CHECK_INT(aim_label_set(l, AIM_FIELD_RESERVED_CODE1, big), AIM_OK);
    free(big);
    CHECK_INT(aim_label_set(NULL, AIM_FIELD_LABEL, "1"), AIM_ERR_INVALID_ARG);
    CHECK_INT(aim_label_set(l, AIM_FIELD_COUNT, "1"), AIM_ERR_INVALID_ARG);
    aim_label_free(l);
}

static void t_json_bare_and_wrapped(void)
{
    aim_label *l = producer_label();
    char buf[512];
    size_t n = 0;
    CHECK_INT(aim_label_to_json(l, AIM_FORM_BARE, buf, sizeof buf, &n), AIM_OK);
    CHECK_STR(buf, "{\"Label\":\"1\",\"ContentProducer\":\"001191110102MACQD9K64010000\","
                   "\"ProduceID\":\"abc-123\",\"ReservedCode1\":\"\",\"ContentPropagator\":\"\","
                   "\"PropagateID\":\"\",\"ReservedCode2\":\"\"}");
    CHECK_INT(n, strlen(buf));
    CHECK_INT(aim_label_to_json(l, AIM_FORM_WRAPPED, buf, sizeof buf, &n), AIM_OK);
    CHECK(strncmp(buf, "{\"AIGC\":{\"Label\":\"1\"", 20) == 0);
    CHECK(buf[n - 1] == '}' && buf[n - 2] == '}');
    /* size-then-fill */
    size_t need = 0;
    CHECK_INT(aim_label_to_json(l, AIM_FORM_BARE, NULL, 0, &need), AIM_ERR_BUFFER_TOO_SMALL);
    CHECK_INT(need, n - 9); /* wrapped adds {"AIGC": and } */
    char small[10];
    CHECK_INT(aim_label_to_json(l, AIM_FORM_BARE, small, sizeof small, &need), AIM_ERR_BUFFER_TOO_SMALL);
    aim_label_free(l);
}

static void t_quote_escaped(void)
{
    aim_label *l = producer_label();
    CHECK_INT(aim_label_set(l, AIM_FIELD_RESERVED_CODE1, "{\"sig\":\"x\"}"), AIM_OK);
    char buf[512];
    size_t n;
    CHECK_INT(aim_label_to_json(l, AIM_FORM_BARE, buf, sizeof buf, &n), AIM_OK);
    CHECK(strstr(buf, "\"ReservedCode1\":\"{\\\"sig\\\":\\\"x\\\"}\"") != NULL);
    aim_label *back = NULL;
    CHECK_INT(aim_label_parse(buf, n, &back, NULL), AIM_OK);
    CHECK_STR(aim_label_get(back, AIM_FIELD_RESERVED_CODE1), "{\"sig\":\"x\"}");
    aim_label_free(back);
    aim_label_free(l);
}

static void t_parse_forms(void)
{
    aim_label *l = NULL;
    aim_label_form form = AIM_FORM_WRAPPED;
    const char *bare = "{\"Label\":\"1\",\"ContentProducer\":\"P\",\"ProduceID\":\"I\"}";
    CHECK_INT(aim_label_parse(bare, strlen(bare), &l, &form), AIM_OK);
    CHECK_INT(form, AIM_FORM_BARE);
    CHECK_STR(aim_label_get(l, AIM_FIELD_CONTENT_PRODUCER), "P");
    CHECK_INT(aim_label_class(l), AIM_CLASS_CONFIRMED);
    aim_label_free(l);

    const char *wrapped = " {\"AIGC\" : {\"Label\":\"3\", \"ContentPropagator\":\"plat\"}}\n";
    CHECK_INT(aim_label_parse(wrapped, strlen(wrapped), &l, &form), AIM_OK);
    CHECK_INT(form, AIM_FORM_WRAPPED);
    CHECK_INT(aim_label_class(l), AIM_CLASS_SUSPECTED);
    CHECK_STR(aim_label_get(l, AIM_FIELD_CONTENT_PROPAGATOR), "plat");
    aim_label_free(l);

    /* Lenient: number Label, unknown keys, unicode escapes, BOM. */
    const char *odd = "\xEF\xBB\xBF{\"Label\":2,\"x\":[1,{\"y\":null}],\"ProduceID\":\"\\u0041\\u00e9\"}";
    CHECK_INT(aim_label_parse(odd, strlen(odd), &l, &form), AIM_OK);
    CHECK_STR(aim_label_get(l, AIM_FIELD_LABEL), "2");
    CHECK_STR(aim_label_get(l, AIM_FIELD_PRODUCE_ID), "A\xC3\xA9");
    CHECK_INT(aim_label_class(l), AIM_CLASS_POSSIBLE);
    char why[200];
    CHECK_INT(aim_label_validate(l, why, sizeof why), AIM_ERR_LABEL_INVALID); /* é */
    CHECK(strstr(why, "ProduceID") != NULL);
    aim_label_free(l);
}

static void t_parse_rejects(void)
{
    static const char *const bad[] = {
        "", "{", "{}", "[]", "\"Label\"", "{\"Label\":\"1\"", "{\"Label\":\"1\",}",
        "{\"Label\":\"1\"} x", "{\"Label\":\"\\x\"}", "{\"Label\":\"\\ud800\"}",
        "{\"Label\":\"a\x01\"}", "{\"Other\":\"1\"}", "{\"Label\":\"\\u0000\"}",
        "{\"AIGC\":{\"Label\":\"1\"}", "nul",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        aim_label *l = (aim_label *)1;
        int rc = aim_label_parse(bad[i], strlen(bad[i]), &l, NULL);
        if (rc != AIM_ERR_JSON)
            fprintf(stderr, "case %zu: %s\n", i, bad[i]);
        CHECK_INT(rc, AIM_ERR_JSON);
        CHECK(l == NULL);
    }
    /* Depth bomb: bounded, no crash. */
    char deep[4000];
    size_t n = 0;
    n += (size_t)sprintf(deep, "{\"Label\":\"1\",\"x\":");
    for (int i = 0; i < 1000; i++)
        deep[n++] = '[';
    deep[n] = 0;
    aim_label *l = NULL;
    int rc = aim_label_parse(deep, n, &l, NULL);
    CHECK(rc == AIM_ERR_LIMIT || rc == AIM_ERR_JSON);
    CHECK(l == NULL);
}

static void t_roundtrip_all_fields(void)
{
    aim_label *l = producer_label();
    aim_label_set(l, AIM_FIELD_RESERVED_CODE1, "e862483430d978cbf828b8b24296ef9328d843a0");
    aim_label_set(l, AIM_FIELD_CONTENT_PROPAGATOR, "PLATFORM01");
    aim_label_set(l, AIM_FIELD_PROPAGATE_ID, "up-9");
    aim_label_set(l, AIM_FIELD_RESERVED_CODE2, "r2");
    for (int form = 0; form < 2; form++) {
        char buf[1024];
        size_t n;
        CHECK_INT(aim_label_to_json(l, (aim_label_form)form, buf, sizeof buf, &n), AIM_OK);
        aim_label *b = NULL;
        aim_label_form got;
        CHECK_INT(aim_label_parse(buf, n, &b, &got), AIM_OK);
        CHECK_INT(got, form);
        for (int f = 0; f < AIM_FIELD_COUNT; f++)
            CHECK_STR(aim_label_get(b, (aim_field)f), aim_label_get(l, (aim_field)f));
        CHECK_INT(aim_label_validate(b, NULL, 0), AIM_OK);
        aim_label_free(b);
    }
    aim_label *d = aim_label_dup(l);
    CHECK_STR(aim_label_get(d, AIM_FIELD_RESERVED_CODE2), "r2");
    aim_label_free(d);
    aim_label_free(l);
}

static void t_validate_requires_label(void)
{
    aim_label *l = aim_label_new();
    aim_label_set(l, AIM_FIELD_CONTENT_PRODUCER, "P");
    char why[100];
    CHECK_INT(aim_label_validate(l, why, sizeof why), AIM_ERR_LABEL_INVALID);
    CHECK_STR(why, "Label is missing");
    CHECK_INT(aim_label_class(l), AIM_CLASS_NONE);
    CHECK_INT(aim_label_class(NULL), AIM_CLASS_NONE);
    aim_label_free(l);
}

static void t_errors_and_version(void)
{
    CHECK_STR(aim_version(), AIM_VERSION_STRING);
    CHECK_STR(aim_strerror(AIM_OK), "success");
    CHECK_STR(aim_strerror(AIM_ERR_CORRUPT), "malformed file structure");
    CHECK_STR(aim_strerror(-999), "unknown error");
    CHECK_INT(AIM_ERR_BUFFER_TOO_SMALL, -14); /* codes are ABI: never renumbered */
}

TEST_MAIN(t_field_names, t_set_validates, t_json_bare_and_wrapped, t_quote_escaped, t_parse_forms,
          t_parse_rejects, t_roundtrip_all_fields, t_validate_requires_label, t_errors_and_version)
