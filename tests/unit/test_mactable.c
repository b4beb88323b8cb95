/* test_mactable.c - MAC learning: lookup, moves, per-VLAN isolation, aging, eviction of the
 * least recently seen entry, static entries, flushes, and a randomized check against a model. */
#include "check.h"
#include "mactable.h"

#include <stdlib.h>

static void mac_of(uint32_t n, uint8_t mac[6])
{
    mac[0] = 0x02;
    mac[1] = 0;
    mac[2] = (uint8_t)(n >> 24);
    mac[3] = (uint8_t)(n >> 16);
    mac[4] = (uint8_t)(n >> 8);
    mac[5] = (uint8_t)n;
}

static void count_cb(const struct mac_entry_info *e, void *arg)
{
    (void)e;
    (*(unsigned *)arg)++;
}

int main(void)
{
    uint8_t a[6], b[6];
    uint32_t port;
    mac_of(1, a);
    mac_of(2, b);

    struct mactable *t = mactable_create(4, 300);
    CHECK(t != NULL);
    CHECK(!mactable_lookup(t, a, 0, 10, &port));
    mactable_learn(t, a, 0, 3, 10);
    CHECK(mactable_lookup(t, a, 0, 10, &port) && port == 3);
    /* Per-VLAN isolation: the same MAC on VLAN 5 is a different entry. */
    CHECK(!mactable_lookup(t, a, 5, 10, &port));
    mactable_learn(t, a, 5, 7, 10);
    CHECK(mactable_lookup(t, a, 5, 10, &port) && port == 7);
    CHECK(mactable_lookup(t, a, 0, 10, &port) && port == 3);
    /* A station that moves is relearned. */
    mactable_learn(t, a, 0, 4, 11);
    CHECK(mactable_lookup(t, a, 0, 11, &port) && port == 4);
    CHECK_EQ(mactable_count(t), 2);

    /* Aging: seen at 11, aging 300: valid at 310, gone at 311 and expired by the sweep. */
    CHECK(mactable_lookup(t, a, 0, 310, &port));
    CHECK(!mactable_lookup(t, a, 0, 311, &port));
    CHECK_EQ(mactable_expire(t, 311), 2); /* (a,0) seen at 11 and (a,5) at 10 */
    CHECK_EQ(mactable_count(t), 0);

    /* Eviction: table of 4, the least recently seen goes first, refreshes count. */
    for (uint32_t i = 0; i < 4; i++) {
        uint8_t m[6];
        mac_of(100 + i, m);
        mactable_learn(t, m, 0, i, 1000 + i);
    }
    uint8_t m100[6], m101[6], m104[6];
    mac_of(100, m100);
    mac_of(101, m101);
    mac_of(104, m104);
    mactable_learn(t, m100, 0, 0, 1010); /* refresh the oldest */
    mactable_learn(t, m104, 0, 9, 1011); /* table full: evicts 101, now the oldest */
    CHECK_EQ(mactable_count(t), 4);
    CHECK_EQ(mactable_evictions(t), 1);
    CHECK(!mactable_lookup(t, m101, 0, 1011, &port));
    CHECK(mactable_lookup(t, m100, 0, 1011, &port) && port == 0);
    CHECK(mactable_lookup(t, m104, 0, 1011, &port) && port == 9);

    /* Static entries never age, are not moved by learning, survive a plain flush. */
    CHECK_EQ(mactable_flush(t, UINT32_MAX, false), 4);
    CHECK_EQ(mactable_add_static(t, b, 0, 42), 0);
    mactable_learn(t, b, 0, 1, 5000);
    CHECK(mactable_lookup(t, b, 0, 900000, &port) && port == 42);
    CHECK_EQ(mactable_expire(t, 900000), 0);
    CHECK_EQ(mactable_flush(t, UINT32_MAX, false), 0);
    unsigned n = 0;
    mactable_foreach(t, 0, count_cb, &n);
    CHECK_EQ(n, 1);
    CHECK_EQ(mactable_flush(t, 42, true), 1);
    mactable_destroy(t);

    /* Flush by port. */
    t = mactable_create(64, 300);
    for (uint32_t i = 0; i < 20; i++) {
        uint8_t m[6];
        mac_of(i, m);
        mactable_learn(t, m, 0, i % 2, 1);
    }
    CHECK_EQ(mactable_flush(t, 1, false), 10);
    CHECK_EQ(mactable_count(t), 10);
    mactable_destroy(t);

    /* Randomized: against a direct-indexed model with deletions by expiry and flush. */
    enum { KEYS = 512, MAX = 256 };
    t = mactable_create(MAX, 50);
    static uint32_t model_port[KEYS], model_seen[KEYS];
    static bool model_has[KEYS];
    srand(7);
    unsigned mismatches = 0;
    uint32_t now = 1;
    for (int step = 0; step < 200000; step++) {
        uint32_t k = (uint32_t)rand() % KEYS;
        uint8_t m[6];
        mac_of(k, m);
        int op = rand() % 100;
        if (op < 60) {
            bool hit = mactable_lookup(t, m, (uint16_t)(k % 3), now, &port);
            bool model_hit = model_has[k] && now - model_seen[k] < 50;
            /* Eviction may have removed a model entry; a hit must still agree on the port. */
            if (hit && (!model_hit || port != model_port[k]))
                mismatches++;
        } else if (op < 98) {
            mactable_learn(t, m, (uint16_t)(k % 3), k & 7, now);
            model_has[k] = true;
            model_port[k] = k & 7;
            model_seen[k] = now;
        } else {
            now++;
            mactable_expire(t, now);
        }
        if (mactable_count(t) > MAX)
            mismatches++;
    }
    CHECK_EQ(mismatches, 0);
    mactable_destroy(t);
    return check_exit();
}
