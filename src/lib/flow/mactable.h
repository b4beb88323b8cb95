/* mactable.h - the MAC learning table: (MAC, VLAN) -> port, with aging, static entries, and
 * a bound enforced by evicting the entry seen longest ago. One thread owns it. */
#ifndef SLUICE_MACTABLE_H
#define SLUICE_MACTABLE_H

#include <stdbool.h>
#include <stdint.h>

#define MACTABLE_DEFAULT_MAX 8192
#define MACTABLE_DEFAULT_AGING 300

struct mactable;

struct mac_entry_info {
    uint8_t mac[6];
    uint16_t vlan;
    uint32_t port;
    uint32_t age_s; /* seconds since last seen */
    bool is_static;
};

struct mactable *mactable_create(uint32_t max_entries, uint32_t aging_s);
void mactable_destroy(struct mactable *t);
void mactable_set_aging(struct mactable *t, uint32_t aging_s);

/* Port for (mac, vlan), or false if unknown or aged out at `now` (seconds). */
bool mactable_lookup(const struct mactable *t, const uint8_t *mac, uint16_t vlan, uint32_t now,
                     uint32_t *port);
/* Records that mac was seen on port. Static entries are not moved. Evicts the oldest
 * learned entry when the table is full. */
void mactable_learn(struct mactable *t, const uint8_t *mac, uint16_t vlan, uint32_t port,
                    uint32_t now);
int mactable_add_static(struct mactable *t, const uint8_t *mac, uint16_t vlan, uint32_t port);
/* Removes learned entries not seen for the aging time; returns how many. */
unsigned mactable_expire(struct mactable *t, uint32_t now);
/* Removes entries on `port` (all ports if port is UINT32_MAX); static ones only if asked. */
unsigned mactable_flush(struct mactable *t, uint32_t port, bool include_static);
uint32_t mactable_count(const struct mactable *t);
uint64_t mactable_evictions(const struct mactable *t);
/* Calls fn for each entry, oldest learned first, then static ones. */
void mactable_foreach(const struct mactable *t, uint32_t now,
                      void (*fn)(const struct mac_entry_info *e, void *arg), void *arg);

#endif
