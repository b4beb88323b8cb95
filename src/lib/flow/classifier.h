/* classifier.h - tuple space search over flow keys: immutable classifier versions built from
 * one another, looked up by the data plane while the management thread builds the next one.
 *
 * Rules with the same mask share a subtable: a hash table of the masked values. A lookup
 * visits subtables in decreasing order of the best rule each holds and stops as soon as the
 * next subtable's best rule cannot beat the match in hand.
 *
 * Winner among several matching rules: the highest priority; among equal priorities, the rule
 * with the smallest sequence number (the one added first). Every rule has a distinct rank
 * (priority, then reversed sequence) so the answer is a deterministic function of the rule set.
 *
 * Versions: a classifier is never changed once built. cls_builder starts from a version, takes
 * inserts and removals, and produces a new version that shares every untouched part of the old
 * one (subtables are split into pages; only changed pages are copied), so a single change to a
 * large table costs a small fraction of it. Sharing is counted with plain (non-atomic)
 * reference counts: building and freeing happen on one (management) thread; other threads only
 * call cls_lookup on versions they were handed, and a version must stay alive until they are
 * done with it (the data plane's quiescence). */
#ifndef SLUICE_CLASSIFIER_H
#define SLUICE_CLASSIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowkey.h"

#define CLS_SEQ_BITS 48
#define CLS_SEQ_MAX ((1ull << CLS_SEQ_BITS) - 2)

/* A rule as the classifier sees it; embed it in a larger object. Fields are set by the owner
 * before insertion and never change while the rule is in any version. */
struct cls_rule {
    struct flow_key value; /* already masked: value & mask == value */
    struct flow_key mask;
    uint32_t priority; /* 0..65535 */
    uint64_t seq;      /* unique, <= CLS_SEQ_MAX; smaller wins ties */
    /* Maintained by the classifier. */
    uint32_t hash;   /* of value over the mask's words */
    uint32_t refcnt; /* pages (in any live version) that hold the rule */
};

/* Called once a rule is in no version any more (and for rules dropped by a builder before
 * they were ever published). */
typedef void (*cls_release_fn)(struct cls_rule *rule);

struct classifier;
struct cls_builder;

/* An empty classifier version. */
struct classifier *cls_create(cls_release_fn release);
/* Drops a version. Parts shared with other versions stay; rules no version holds are released. */
void cls_free(struct classifier *c);

/* The best rule matching key, or NULL. Safe from any thread on a live version. */
const struct cls_rule *cls_lookup(const struct classifier *c, const struct flow_key *key);

size_t cls_count(const struct classifier *c);
unsigned cls_subtable_count(const struct classifier *c);

/* The rule with exactly this mask, value and priority, or NULL. */
const struct cls_rule *cls_find_exact(const struct classifier *c, const struct flow_key *value,
                                      const struct flow_key *mask, uint32_t priority);

/* Calls fn for every rule (in no particular order). */
void cls_foreach(const struct classifier *c, void (*fn)(const struct cls_rule *r, void *arg),
                 void *arg);

/* The rank that orders rules: higher wins. */
static inline uint64_t cls_rank(const struct cls_rule *r)
{
    return (uint64_t)r->priority << CLS_SEQ_BITS | (CLS_SEQ_MAX + 1 - r->seq);
}

/* Building a new version. Every call is on the management thread; base is not changed. */
struct cls_builder *cls_builder_new(const struct classifier *base);
/* Adds a rule that is in no version yet (value masked, seq unique). The builder owns it from
 * now on: it is released if removed again before the build finishes, or if the build is
 * abandoned. */
void cls_builder_insert(struct cls_builder *b, struct cls_rule *rule);
/* Removes a rule present in the builder's current state (from base or inserted earlier). */
void cls_builder_remove(struct cls_builder *b, const struct cls_rule *rule);
/* Is the rule in the builder's current state? */
bool cls_builder_contains(const struct cls_builder *b, const struct cls_rule *rule);
/* The rule with exactly this mask, value and priority in the current state, or NULL. */
const struct cls_rule *cls_builder_find_exact(const struct cls_builder *b,
                                              const struct flow_key *value,
                                              const struct flow_key *mask, uint32_t priority);
/* Calls fn for every rule in the current state. fn must not change the builder. */
void cls_builder_foreach(const struct cls_builder *b,
                         void (*fn)(const struct cls_rule *r, void *arg), void *arg);
size_t cls_builder_count(const struct cls_builder *b);
/* The new version; the builder is gone. (Running out of memory aborts the process.) */
struct classifier *cls_builder_finish(struct cls_builder *b);
void cls_builder_abort(struct cls_builder *b);

#endif
