/*
 * Opening optional shared libraries at first use (dlopen), for the heavy
 * dependencies whose mere linking costs every process start-up time; the
 * tables of what is resolved live in ffmpeg.h and ocr.h.
 */
#ifndef AIM_DEPS_DL_H
#define AIM_DEPS_DL_H

#include <stddef.h>

typedef struct dl_sym {
    size_t lib;       /* index into the soname list */
    const char *name; /* symbol */
    void *slot;       /* where the address goes: a function pointer variable */
} dl_sym;

/* Opens sonames[0..nlib) in order (RTLD_NOW | RTLD_LOCAL; handles are kept
 * for the life of the process) and stores the address of every syms[i] in
 * its slot. 0, or -1 with a one-line reason in err (the library or symbol
 * that is missing, and the loader's message). */
int dl_load(const char *const *sonames, size_t nlib, const dl_sym *syms, size_t nsym, char *err,
            size_t errcap);

#endif
