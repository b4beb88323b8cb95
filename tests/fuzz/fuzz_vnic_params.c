/* fuzz_vnic_params.c - libFuzzer target for the virtual NIC parameters and records that come
 * over the control socket and from the stored configuration: any input is either refused or
 * yields a request whose every generated virtual NIC passes the record check. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "vnic_json.h"
#include "vnic_spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    struct json *j = json_parse(text, size, err, sizeof err);
    free(text);
    if (!j)
        return 0;
    struct vnic_request r;
    if (vnic_request_from_json(j, &r, err, sizeof err) == 0) {
        /* Exercise numbering past existing names, as the switch does. */
        r.first = (unsigned)(r.ip & 0xffff);
        if (vnic_request_check(&r, err, sizeof err) == 0) {
            struct vnic_entry e;
            unsigned picks[3] = {0, r.count / 2, r.count - 1};
            for (int k = 0; k < 3; k++) {
                vnic_request_entry(&r, picks[k], &e);
                if (vnic_entry_check(&e, err, sizeof err) != 0)
                    abort(); /* an accepted request must only make valid virtual NICs */
            }
            vnic_request_conflicts(&r, &e, 1, err, sizeof err);
        }
    }
    struct vnic_entry e;
    if (vnic_entry_from_json(j, &e, err, sizeof err) == 0) {
        struct jw w;
        jw_init(&w);
        jw_obj_begin(&w);
        vnic_entry_write(&w, &e);
        jw_obj_end(&w);
        struct json *again = jw_text(&w) ? json_parse(jw_text(&w), w.tb.len, err, sizeof err) : NULL;
        struct vnic_entry e2;
        if (!again || vnic_entry_from_json(again, &e2, err, sizeof err) != 0 ||
            strcmp(e.name, e2.name) || e.ip != e2.ip || memcmp(e.mac, e2.mac, 6))
            abort(); /* a record written back must read back the same */
        json_free(again);
        jw_free(&w);
    }
    struct vnic_selector sel[8];
    unsigned nsel;
    bool all;
    if (vnic_del_from_json(j, sel, 8, &nsel, &all, err, sizeof err) == 0)
        for (unsigned i = 0; i < nsel; i++)
            vnic_selector_match(&sel[i], "vnic12");
    json_free(j);
    return 0;
}
