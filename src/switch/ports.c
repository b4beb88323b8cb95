/* ports.c - creating and removing ports in configuration drafts, common port options
 * (access tag, trunks), lookups by name and index, and the port-kind registry. */
#include "ports.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

const char *const drop_reason_names[DROP_MAX] = {
    [DROP_MALFORMED] = "malformed",
    [DROP_VLAN] = "vlan",
    [DROP_NO_OUTPUT] = "no_output",
    [DROP_FLOW] = "flow",
    [DROP_TTL] = "ttl",
    [DROP_TX_FULL] = "tx_full",
    [DROP_TX_ERROR] = "tx_error",
    [DROP_PORT_DOWN] = "port_down",
    [DROP_NO_BUFFER] = "no_buffer",
    [DROP_PEER] = "peer_error",
    [DROP_RING_FULL] = "rx_ring_full",
};

const struct port_kind *port_kind_find(const char *name)
{
    SLUICE_FOREACH(sluice_port_kinds, struct port_kind, it)
    {
        if (strcmp((*it)->name, name) == 0)
            return *it;
    }
    return NULL;
}

const char *port_arg(const struct port_args *a, const char *key)
{
    for (unsigned i = 0; i < a->n; i++)
        if (strcmp(a->key[i], key) == 0)
            return a->val[i];
    return NULL;
}

int port_args_set(struct port_args *a, const char *key, const char *val)
{
    if (strlen(key) >= sizeof(a->key[0]) || strlen(val) >= sizeof(a->val[0]))
        return -1;
    for (unsigned i = 0; i < a->n; i++) {
        if (strcmp(a->key[i], key) == 0) {
            strcpy(a->val[i], val);
            return 0;
        }
    }
    if (a->n == PORT_MAX_ARGS)
        return -1;
    strcpy(a->key[a->n], key);
    strcpy(a->val[a->n], val);
    a->n++;
    return 0;
}

int port_args_parse(struct port_args *a, char **words, int nwords, char *err, size_t errlen)
{
    for (int i = 0; i < nwords; i++) {
        char *eq = strchr(words[i], '=');
        if (!eq || eq == words[i]) {
            snprintf(err, errlen, "expected key=value, got '%s'", words[i]);
            return -1;
        }
        *eq = '\0';
        int rc = port_args_set(a, words[i], eq + 1);
        *eq = '=';
        if (rc < 0) {
            snprintf(err, errlen, "option '%s' is too long or there are too many options",
                     words[i]);
            return -1;
        }
    }
    return 0;
}

static bool valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= PORT_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && !strchr("_.-", name[i]))
            return false;
    return true;
}

static int parse_vid(const char *s, uint16_t *out, bool allow_zero)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < (allow_zero ? 0 : 1) || v > 4094)
        return -1;
    *out = (uint16_t)v;
    return 0;
}

static int apply_vlan_options(struct port *p, char *err, size_t errlen)
{
    const char *tag = port_arg(&p->args, "tag");
    const char *trunks = port_arg(&p->args, "trunks");
    if (tag && trunks) {
        snprintf(err, errlen, "a port is either an access port (tag=) or a trunk (trunks=)");
        return -1;
    }
    if (tag && parse_vid(tag, &p->tag, false) < 0) {
        snprintf(err, errlen, "tag=%s: expected a VLAN id 1..4094", tag);
        return -1;
    }
    if (trunks) {
        char buf[256];
        snprintf(buf, sizeof(buf), "%s", trunks);
        char *save = NULL;
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            uint16_t vid;
            if (parse_vid(t, &vid, true) < 0) {
                snprintf(err, errlen, "trunks=%s: '%s' is not a VLAN id 0..4094", trunks, t);
                return -1;
            }
            p->trunks[vid >> 3] |= (uint8_t)(1u << (vid & 7));
        }
        p->trunk = true;
    }
    return 0;
}

static struct dp_port *find_in(struct dp_config *c, const char *name)
{
    for (uint32_t i = 0; i < c->nslots; i++)
        if (c->slots[i].port && strcmp(c->slots[i].port->name, name) == 0)
            return &c->slots[i];
    return NULL;
}

static int claim_slot(struct dp_config *c, uint32_t *index)
{
    for (uint32_t i = 0; i < c->nslots; i++) {
        if (!c->slots[i].port) {
            *index = i;
            return 0;
        }
    }
    if (c->nslots >= PORT_MAX)
        return -1;
    uint32_t n = c->nslots ? c->nslots * 2 : 16;
    if (n > PORT_MAX)
        n = PORT_MAX;
    struct dp_port *s = realloc(c->slots, n * sizeof(*s));
    if (!s)
        return -1;
    memset(s + c->nslots, 0, (n - c->nslots) * sizeof(*s));
    *index = c->nslots;
    c->slots = s;
    c->nslots = n;
    return 0;
}

struct port *port_create(struct dp_config *draft, const char *name, const char *kind_name,
                         const struct port_args *args, char *err, size_t errlen)
{
    if (!valid_name(name)) {
        snprintf(err, errlen, "invalid port name '%s' (1-%d of A-Z a-z 0-9 _ . -)", name,
                 PORT_NAME_MAX - 1);
        return NULL;
    }
    if (find_in(draft, name)) {
        snprintf(err, errlen, "port exists: %s", name);
        return NULL;
    }
    const struct port_kind *kind = port_kind_find(kind_name);
    if (!kind) {
        snprintf(err, errlen, "unknown port type '%s'", kind_name);
        return NULL;
    }
    struct port *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(p->name, sizeof(p->name), "%s", name);
    p->kind = kind;
    p->args = *args;
    uint32_t index;
    if (apply_vlan_options(p, err, errlen) < 0) {
        free(p);
        return NULL;
    }
    if (claim_slot(draft, &index) < 0) {
        snprintf(err, errlen, "too many ports (at most %d)", PORT_MAX);
        free(p);
        return NULL;
    }
    p->index = index;
    if (kind->open(p, err, errlen) < 0) {
        free(p);
        return NULL;
    }
    if (dp_watch_port(p) < 0) {
        snprintf(err, errlen, "cannot watch port: %s", strerror(errno));
        if (kind->close)
            kind->close(p);
        free(p);
        return NULL;
    }
    draft->slots[index] = (struct dp_port){.port = p};
    log_info("port %s (%s) added as number %u", p->name, kind->name, index);
    return p;
}

int port_remove(struct dp_config *draft, const char *name, char *err, size_t errlen)
{
    struct dp_port *dp_port = find_in(draft, name);
    if (!dp_port) {
        snprintf(err, errlen, "no such port: %s", name);
        return -1;
    }
    struct port **r = realloc(draft->removed, (draft->nremoved + 1) * sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    draft->removed = r;
    draft->removed[draft->nremoved++] = dp_port->port;
    *dp_port = (struct dp_port){0};
    return 0;
}

struct port *ports_find(const char *name)
{
    const struct dp_config *c = dp_current();
    for (uint32_t i = 0; i < c->nslots; i++)
        if (c->slots[i].port && strcmp(c->slots[i].port->name, name) == 0)
            return c->slots[i].port;
    return NULL;
}

struct port *ports_by_index(uint32_t index)
{
    const struct dp_config *c = dp_current();
    return index < c->nslots ? c->slots[index].port : NULL;
}
