/* promtext.h - a writer of the Prometheus text exposition format (version 0.0.4): metric
 * families with their HELP and TYPE lines, then samples with escaped label values. */
#ifndef SLUICE_PROMTEXT_H
#define SLUICE_PROMTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "textbuf.h"

#define PROMTEXT_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct promtext {
    struct textbuf tb; /* tb.oom: an allocation failed, the text must not be served */
};

struct pt_label {
    const char *name;  /* a constant of the caller's: [a-zA-Z_][a-zA-Z0-9_]* */
    const char *value; /* any bytes: escaped, and bytes that are not UTF-8 become U+FFFD */
};

void pt_init(struct promtext *pt);
void pt_free(struct promtext *pt);
/* Starts a family: "# HELP name help" and "# TYPE name type" (counter, gauge, histogram).
 * All samples of a family must follow it before the next family starts. */
void pt_family(struct promtext *pt, const char *name, const char *type, const char *help);
/* One sample line: name{labels} value. */
void pt_sample(struct promtext *pt, const char *name, const struct pt_label *labels,
               unsigned nlabels, uint64_t value);
/* The same with a floating-point value (NaN and infinities in Prometheus' spelling). */
void pt_sample_double(struct promtext *pt, const char *name, const struct pt_label *labels,
                      unsigned nlabels, double value);

/* Whether a name is a valid metric name (labels: a valid label name). */
bool pt_valid_metric_name(const char *name);
bool pt_valid_label_name(const char *name);

#endif
