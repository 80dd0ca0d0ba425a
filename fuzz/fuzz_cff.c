/* fuzz_cff.c — libFuzzer harness for cff.c: any bytes as a 'CFF ' table.
 * cff_cids must answer CFF_OK, CFF_MALFORMED or CFF_NOT_CID_KEYED without
 * reading outside the table; with CFF_OK every CID it returns is checked
 * against a set built from them, as pdf_fonts.c does. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "cff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint16_t *cids = NULL;
    unsigned count = 0;
    if (cff_cids((const char *)data, size, &cids, &count) == CFF_OK) {
        bool twice;
        unsigned char *set = cid_set(cids, count, &twice);
        for (unsigned i = 0; i < count; i++)
            if (!cid_in(set, cids[i]))
                abort();
        free(set);
        free(cids);
    }
    return 0;
}
