#include "core/diag.h"

#include <stdarg.h>
#include <stdio.h>

int diag_fail(aim_diag *d, int err, const char *fmt, ...)
{
    if (d && d->message[0] == 0) { /* keep the innermost (first) message */
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->message, sizeof d->message, fmt, ap);
        va_end(ap);
    }
    return err;
}
