/* config.c - the stored configuration: every registered section written together into
 * STATE_DIR/config.json after each change, and replayed in section order at start. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "daemon.h"
#include "log.h"
#include "statefile.h"

#define CONFIG_FILE "config.json"
#define CONFIG_MAX (64u * 1024 * 1024)

static char state_dir[4096];
bool config_restoring;

int config_init(const char *dir)
{
    char err[256];
    snprintf(state_dir, sizeof(state_dir), "%s", dir);
    if (statefile_dir(dir, err, sizeof(err)) < 0) {
        log_err("%s", err);
        return -1;
    }
    return 0;
}

int config_save(void)
{
    char err[512];
    return config_save_err(err, sizeof(err));
}

int config_save_err(char *why, size_t whylen)
{
    if (config_restoring || !state_dir[0])
        return 0;
    struct jw w;
    jw_init(&w);
    jw_obj_begin(&w);
    jw_kint(&w, "format", 1);
    jw_key(&w, "sections");
    jw_obj_begin(&w);
    SLUICE_FOREACH(sluice_config, struct config_section, it)
    {
        jw_key(&w, (*it)->name);
        (*it)->save(&w);
    }
    jw_obj_end(&w);
    jw_obj_end(&w);
    const char *text = jw_text(&w);
    char err[256];
    int rc =
        text ? statefile_write(state_dir, CONFIG_FILE, text, strlen(text), err, sizeof(err)) : -1;
    if (rc < 0) {
        snprintf(why, whylen, "%s", text ? err : "out of memory");
        log_err("configuration not saved: %s", why);
    }
    jw_free(&w);
    return rc;
}

int config_restore(void)
{
    char *text = NULL, err[256];
    size_t len;
    int rc = statefile_read(state_dir, CONFIG_FILE, CONFIG_MAX, &text, &len, err, sizeof(err));
    if (rc == 1) {
        log_info("no stored configuration in %s: starting empty", state_dir);
        return 0;
    }
    if (rc < 0) {
        log_err("%s", err);
        return -1;
    }
    struct json *root = json_parse(text, len, err, sizeof(err));
    free(text);
    if (!root || root->type != JSON_OBJECT) {
        log_err("%s/%s is not valid: %s", state_dir, CONFIG_FILE, root ? "not an object" : err);
        json_free(root);
        return -1;
    }
    const struct json *sections = json_get(root, "sections");
    config_restoring = true;
    int failures = 0;
    /* Restore in ascending order: ports exist before the flows and captures that name them. */
    int done_order = -1000000;
    for (;;) {
        int next = 1000000;
        SLUICE_FOREACH(sluice_config, struct config_section, it)
        {
            if ((*it)->order > done_order && (*it)->order < next)
                next = (*it)->order;
        }
        if (next == 1000000)
            break;
        SLUICE_FOREACH(sluice_config, struct config_section, it)
        {
            const struct json *v = json_get(sections, (*it)->name);
            if ((*it)->order != next || !v)
                continue;
            if ((*it)->restore(v, err, sizeof(err)) < 0) {
                log_err("restoring %s: %s", (*it)->name, err);
                failures++;
            }
        }
        done_order = next;
    }
    config_restoring = false;
    json_free(root);
    log_info("configuration restored from %s/%s%s", state_dir, CONFIG_FILE,
             failures ? " with errors (see above)" : "");
    return 0;
}
