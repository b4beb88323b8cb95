/* vnic_json.c - strict conversion between virtual NIC requests and records and their JSON
 * forms, and of sluicectl's vnic arguments into control parameters. */
#include "vnic_json.h"

#include <stdio.h>
#include <string.h>

#include "eth.h"

static bool known_key(const char *key, const char *const *allowed)
{
    for (; *allowed; allowed++)
        if (strcmp(key, *allowed) == 0)
            return true;
    return false;
}

/* Refuses members outside `allowed`, so a misspelt option is an error, not a default. */
static int only_keys(const struct json *j, const char *const *allowed, char *err, size_t errlen)
{
    if (!j || j->type != JSON_OBJECT) {
        snprintf(err, errlen, "parameters must be an object");
        return -1;
    }
    for (size_t i = 0; i < j->n; i++) {
        if (!known_key(j->keys[i], allowed)) {
            snprintf(err, errlen, "unknown parameter '%.64s'", j->keys[i]);
            return -1;
        }
    }
    return 0;
}

/* A string member copied into buf (cap bytes with the NUL); absent leaves buf as it is. */
static int get_string(const struct json *j, const char *key, char *buf, size_t cap, bool required,
                      char *err, size_t errlen)
{
    const struct json *v = json_get(j, key);
    if (!v) {
        if (!required)
            return 0;
        snprintf(err, errlen, "missing '%s'", key);
        return -1;
    }
    if (v->type != JSON_STRING) {
        snprintf(err, errlen, "'%s' must be a string", key);
        return -1;
    }
    if (strlen(v->str) >= cap) {
        snprintf(err, errlen, "'%s' is longer than %zu characters", key, cap - 1);
        return -1;
    }
    strcpy(buf, v->str);
    return 0;
}

static int get_bool(const struct json *j, const char *key, bool *out, char *err, size_t errlen)
{
    const struct json *v = json_get(j, key);
    if (!v)
        return 0;
    if (v->type != JSON_BOOL) {
        snprintf(err, errlen, "'%s' must be true or false", key);
        return -1;
    }
    *out = v->b;
    return 0;
}

static int get_mac(const struct json *j, const char *key, uint8_t mac[6], char *err, size_t errlen)
{
    char text[18];
    if (get_string(j, key, text, sizeof text, true, err, errlen) < 0)
        return -1;
    /* Exactly six two-digit groups: the parser alone would take " 2:0:..." too. */
    bool ok = strlen(text) == 17;
    for (int i = 0; ok && i < 17; i++)
        ok = (i % 3 == 2) ? text[i] == ':' : strchr("0123456789abcdefABCDEF", text[i]) != NULL;
    if (!ok || !eth_addr_parse(text, mac)) {
        snprintf(err, errlen, "'%s' must be a MAC like 02:00:00:00:00:01", key);
        return -1;
    }
    return 0;
}

static int get_ip(const struct json *j, const char *key, uint32_t *ip, unsigned *prefix, char *err,
                  size_t errlen)
{
    char text[19];
    if (get_string(j, key, text, sizeof text, true, err, errlen) < 0)
        return -1;
    if (!vnic_parse_ipv4_prefix(text, ip, prefix)) {
        snprintf(err, errlen, "'%s' must be an IPv4 address with a prefix, like 10.0.0.1/16", key);
        return -1;
    }
    return 0;
}

int vnic_request_from_json(const struct json *params, struct vnic_request *r, char *err,
                           size_t errlen)
{
    static const char *const keys[] = {"count", "mac", "ip", "name", "netns", "ipv6", NULL};
    memset(r, 0, sizeof *r);
    strcpy(r->name_prefix, VNIC_DEFAULT_PREFIX);
    if (only_keys(params, keys, err, errlen) < 0)
        return -1;
    int64_t count;
    if (!json_get(params, "count")) {
        snprintf(err, errlen, "missing 'count'");
        return -1;
    }
    if (!json_get_int(params, "count", 1, VNIC_MAX, &count)) {
        snprintf(err, errlen, "'count' must be a whole number from 1 to %d", VNIC_MAX);
        return -1;
    }
    r->count = (unsigned)count;
    if (get_mac(params, "mac", r->mac, err, errlen) < 0 ||
        get_ip(params, "ip", &r->ip, &r->prefix, err, errlen) < 0 ||
        get_string(params, "name", r->name_prefix, sizeof r->name_prefix, false, err, errlen) < 0 ||
        get_string(params, "netns", r->netns_prefix, sizeof r->netns_prefix, false, err, errlen) <
            0 ||
        get_bool(params, "ipv6", &r->ipv6, err, errlen) < 0)
        return -1;
    return 0;
}

void vnic_entry_write(struct jw *w, const struct vnic_entry *e)
{
    char mac[18], ip[16], cidr[24];
    vnic_format_ipv4(e->ip, ip);
    snprintf(cidr, sizeof cidr, "%s/%u", ip, e->prefix);
    jw_kstr(w, "name", e->name);
    jw_kstr(w, "mac", eth_addr_format(e->mac, mac));
    jw_kstr(w, "ip", cidr);
    if (e->netns[0])
        jw_kstr(w, "netns", e->netns);
    jw_kbool(w, "ipv6", e->ipv6);
}

int vnic_entry_from_json(const struct json *j, struct vnic_entry *e, char *err, size_t errlen)
{
    static const char *const keys[] = {"name", "mac", "ip", "netns", "ipv6", NULL};
    memset(e, 0, sizeof *e);
    unsigned prefix;
    if (only_keys(j, keys, err, errlen) < 0 ||
        get_string(j, "name", e->name, sizeof e->name, true, err, errlen) < 0 ||
        get_mac(j, "mac", e->mac, err, errlen) < 0 ||
        get_ip(j, "ip", &e->ip, &prefix, err, errlen) < 0 ||
        get_string(j, "netns", e->netns, sizeof e->netns, false, err, errlen) < 0 ||
        get_bool(j, "ipv6", &e->ipv6, err, errlen) < 0)
        return -1;
    e->prefix = (uint8_t)prefix;
    return vnic_entry_check(e, err, errlen);
}

int vnic_del_from_json(const struct json *params, struct vnic_selector *sel, unsigned max,
                       unsigned *nsel, bool *all, char *err, size_t errlen)
{
    static const char *const keys[] = {"select", "all", NULL};
    *nsel = 0;
    *all = false;
    if (only_keys(params, keys, err, errlen) < 0 || get_bool(params, "all", all, err, errlen) < 0)
        return -1;
    const struct json *list = json_get(params, "select");
    if (*all == (list != NULL)) {
        snprintf(err, errlen, "give either 'select' (names or ranges) or 'all'");
        return -1;
    }
    if (*all)
        return 0;
    if (list->type != JSON_ARRAY || list->n == 0) {
        snprintf(err, errlen, "'select' must be a non-empty array of names or ranges");
        return -1;
    }
    if (list->n > max) {
        snprintf(err, errlen, "at most %u names or ranges at once", max);
        return -1;
    }
    for (size_t i = 0; i < list->n; i++) {
        if (list->items[i]->type != JSON_STRING) {
            snprintf(err, errlen, "'select' must hold strings");
            return -1;
        }
        if (vnic_selector_parse(list->items[i]->str, &sel[i], err, errlen) < 0)
            return -1;
    }
    *nsel = (unsigned)list->n;
    return 0;
}

/* Splits "--opt=value" or "--opt value"; returns the value or NULL when it is missing. */
static const char *option_value(int argc, char **argv, int *i, const char *opt)
{
    size_t len = strlen(opt);
    if (strncmp(argv[*i], opt, len) != 0)
        return NULL;
    if (argv[*i][len] == '=')
        return argv[*i] + len + 1;
    if (argv[*i][len] == '\0' && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

static bool is_option(const char *arg, const char *opt)
{
    size_t len = strlen(opt);
    return strncmp(arg, opt, len) == 0 && (arg[len] == '\0' || arg[len] == '=');
}

int vnic_add_args_to_json(int argc, char **argv, struct jw *w, char *err, size_t errlen)
{
    static const char *const opts[] = {"--count", "--mac", "--ip", "--netns", "--name"};
    static const char *const keys[] = {"count", "mac", "ip", "netns", "name"};
    const char *vals[5] = {NULL};
    bool ipv6 = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--ipv6") == 0) {
            ipv6 = true;
            continue;
        }
        int k = 0;
        while (k < 5 && !is_option(argv[i], opts[k]))
            k++;
        if (k == 5) {
            snprintf(err, errlen, "unknown argument '%s'", argv[i]);
            return -1;
        }
        if (vals[k]) {
            snprintf(err, errlen, "%s given twice", opts[k]);
            return -1;
        }
        vals[k] = option_value(argc, argv, &i, opts[k]);
        if (!vals[k]) {
            snprintf(err, errlen, "%s needs a value", opts[k]);
            return -1;
        }
    }
    for (int k = 0; k < 3; k++) {
        if (!vals[k]) {
            snprintf(err, errlen, "%s is required", opts[k]);
            return -1;
        }
    }
    unsigned long long count = 0;
    const char *c = vals[0];
    bool digits_only = *c != '\0' && strlen(c) <= 9;
    for (; digits_only && *c; c++)
        digits_only = *c >= '0' && *c <= '9';
    if (!digits_only || sscanf(vals[0], "%llu", &count) != 1) {
        snprintf(err, errlen, "--count '%s' is not a number", vals[0]);
        return -1;
    }
    jw_obj_begin(w);
    jw_kuint(w, keys[0], count);
    for (int k = 1; k < 5; k++)
        if (vals[k])
            jw_kstr(w, keys[k], vals[k]);
    if (ipv6)
        jw_kbool(w, "ipv6", true);
    jw_obj_end(w);
    return 0;
}

int vnic_del_args_to_json(int argc, char **argv, struct jw *w, char *err, size_t errlen)
{
    bool all = false;
    int names = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--all") == 0) {
            all = true;
        } else if (argv[i][0] == '-') {
            snprintf(err, errlen, "unknown argument '%s'", argv[i]);
            return -1;
        } else {
            names++;
        }
    }
    if (all == (names > 0)) {
        snprintf(err, errlen, "give names or ranges (vnic3, vnic5..vnic9), or --all");
        return -1;
    }
    jw_obj_begin(w);
    if (all) {
        jw_kbool(w, "all", true);
    } else {
        jw_key(w, "select");
        jw_arr_begin(w);
        for (int i = 1; i < argc; i++)
            jw_str(w, argv[i]);
        jw_arr_end(w);
    }
    jw_obj_end(w);
    return 0;
}
