/* fuzz_ofparse.c - libFuzzer target for the ovs-ofctl flow syntax: any text under every command,
 * and whatever parses must format and parse back to the same flow. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ofparse.h"

static bool resolve(void *arg, const char *name, uint32_t *index)
{
    (void)arg;
    if (strcmp(name, "p1") == 0) {
        *index = 1;
        return true;
    }
    return false;
}

static void check_round_trip(const struct flow_mod *fm)
{
    struct flow_stats stats = {0};
    struct flow_rule r;
    memset(&r, 0, sizeof(r));
    r.cr.value = fm->value;
    r.cr.mask = fm->mask;
    r.cr.priority = fm->priority;
    r.cookie = fm->set_cookie ? fm->new_cookie : 0;
    r.idle_timeout = fm->idle_timeout;
    r.hard_timeout = fm->hard_timeout;
    r.actions = fm->actions;
    r.stats = &stats;
    char text[OFP_LINE_MAX];
    if (ofp_format_flow(&r, text, sizeof(text)) >= sizeof(text))
        __builtin_trap();
    char line[2 * OFP_LINE_MAX];
    ofp_format_flow_stats(&r, 5000000000ull, line, sizeof(line));

    struct flow_mod again;
    char err[256];
    if (ofp_parse_flow(text, FLOW_CMD_ADD, NULL, &again, err, sizeof(err)) != 0)
        __builtin_trap();
    if (!flowkey_equal(&again.value, &fm->value) || !flowkey_equal(&again.mask, &fm->mask) ||
        again.priority != fm->priority || again.idle_timeout != fm->idle_timeout ||
        again.hard_timeout != fm->hard_timeout || !flow_actions_equal(again.actions, fm->actions))
        __builtin_trap();
    flow_mod_release(&again);
    /* The dump line parses too (statistics are ignored). */
    if (ofp_parse_flow(line, FLOW_CMD_ADD, NULL, &again, err, sizeof(err)) != 0)
        __builtin_trap();
    flow_mod_release(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    enum flow_cmd cmd = (enum flow_cmd)(data[0] % 5);
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    struct ofp_ports ports = {resolve, NULL};
    struct flow_mod fm;
    char err[256];
    if (ofp_parse_flow(text, cmd, &ports, &fm, err, sizeof(err)) == 0) {
        /* Every value is masked and within its field. */
        for (int i = 0; i < FLOW_KEY_WORDS; i++)
            if (fm.value.w[i] & ~fm.mask.w[i])
                __builtin_trap();
        if (fm.actions)
            check_round_trip(&fm);
    } else if (!err[0]) {
        __builtin_trap(); /* an error always says something */
    }
    flow_mod_release(&fm);
    if (ofp_parse_flow_line(text, &ports, &fm, err, sizeof(err)) == 0 && fm.actions)
        check_round_trip(&fm);
    flow_mod_release(&fm);
    free(text);
    return 0;
}
