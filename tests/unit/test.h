/*
 * Minimal test harness: CHECK* record failures and go on; TEST_MAIN runs
 * the listed cases and prints "N passed, N failed" (the line CI reads).
 *
 *   static void t_roundtrip(void) { CHECK_INT(f(), 0); }
 *   TEST_MAIN(t_roundtrip, t_other)
 */
#ifndef AIM_TEST_H
#define AIM_TEST_H

#include <stdio.h>
#include <string.h>

static int test_checks_failed_;

#define CHECK(cond)                                                                     \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);    \
            test_checks_failed_++;                                                      \
        }                                                                               \
    } while (0)

#define CHECK_INT(a, b)                                                                 \
    do {                                                                                \
        long long va_ = (long long)(a), vb_ = (long long)(b);                           \
        if (va_ != vb_) {                                                               \
            fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__,       \
                    __LINE__, #a, va_, #b, vb_);                                        \
            test_checks_failed_++;                                                      \
        }                                                                               \
    } while (0)

#define CHECK_STR(a, b)                                                                 \
    do {                                                                                \
        const char *sa_ = (a), *sb_ = (b);                                              \
        if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0) {                                    \
            fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__,          \
                    __LINE__, #a, sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");          \
            test_checks_failed_++;                                                      \
        }                                                                               \
    } while (0)

typedef void (*test_fn_)(void);

static inline int test_run_(const char *names, test_fn_ *fns, int n)
{
    int passed = 0, failed = 0;
    const char *p = names;
    for (int i = 0; i < n; i++) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        int before = test_checks_failed_;
        fns[i]();
        int ok = test_checks_failed_ == before;
        printf("%s %.*s\n", ok ? "ok  " : "FAIL", (int)(e - p), p);
        if (ok)
            passed++;
        else
            failed++;
        p = e;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

#define TEST_MAIN(...)                                                                  \
    int main(void)                                                                      \
    {                                                                                   \
        test_fn_ fns_[] = {__VA_ARGS__};                                                \
        return test_run_(#__VA_ARGS__, fns_, (int)(sizeof fns_ / sizeof fns_[0]));      \
    }

#endif
