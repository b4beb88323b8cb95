/* sbpf_filter.c - the filter object the switch holds: a validated private copy of the
 * program plus its native code, falling back to the interpreter when compiling fails. */
#include "sbpf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sbpf_filter *sbpf_filter_create_limited(const struct sbpf_insn *prog, unsigned n,
                                               bool want_jit, size_t code_limit, char *err,
                                               size_t errlen, char *jit_note, size_t notelen)
{
    if (jit_note && notelen)
        jit_note[0] = '\0';
    if (sbpf_validate(prog, n, err, errlen) < 0)
        return NULL;
    struct sbpf_filter *f = calloc(1, sizeof(*f));
    struct sbpf_insn *copy = malloc(sizeof(*copy) * n);
    if (!f || !copy) {
        free(f);
        free(copy);
        if (err && errlen)
            snprintf(err, errlen, "out of memory");
        return NULL;
    }
    memcpy(copy, prog, sizeof(*copy) * n);
    f->prog = copy;
    f->n = n;
    if (!want_jit) {
        if (jit_note && notelen)
            snprintf(jit_note, notelen, "interpreter: JIT not requested");
        return f;
    }
    char why[200];
    if (sbpf_jit_compile(copy, n, code_limit, &f->jit, why, sizeof(why)) < 0) {
        if (jit_note && notelen)
            snprintf(jit_note, notelen, "JIT failed, using the interpreter: %s", why);
        return f;
    }
    f->native = f->jit.fn;
    f->native_burst = f->jit.burst;
    f->code = f->jit.map;
    f->code_size = f->jit.code_size;
    return f;
}

struct sbpf_filter *sbpf_filter_create(const struct sbpf_insn *prog, unsigned n, bool want_jit,
                                       char *err, size_t errlen, char *jit_note, size_t notelen)
{
    return sbpf_filter_create_limited(prog, n, want_jit, SBPF_JIT_MAX_CODE, err, errlen, jit_note,
                                      notelen);
}

void sbpf_filter_destroy(struct sbpf_filter *f)
{
    if (!f)
        return;
    sbpf_jit_free(&f->jit);
    free(f->prog);
    free(f);
}
