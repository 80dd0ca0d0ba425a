/* cff.c — CFF charsets.  See cff.h. */
#include "cff.h"

#include <stdlib.h>

#include "alloc.h"

typedef struct CffReader {
    const unsigned char *d;
    size_t n;
} CffReader;

static bool cff_card(const CffReader *r, size_t at, unsigned size, uint32_t *v)
{
    if (size < 1 || size > 4 || at > r->n || r->n - at < size)
        return false;
    *v = 0;
    for (unsigned i = 0; i < size; i++)
        *v = *v << 8 | r->d[at + i];
    return true;
}

/* An INDEX at *at: the bounds of its first item, and *at moved past it. */
static bool cff_index(const CffReader *r, size_t *at, unsigned *count, size_t *first,
                      size_t *first_end)
{
    uint32_t n, off_size, lo, hi, last;
    if (!cff_card(r, *at, 2, &n))
        return false;
    *count = n;
    if (n == 0) {
        *at += 2;
        *first = *first_end = *at;
        return true;
    }
    if (!cff_card(r, *at + 2, 1, &off_size) || off_size < 1 || off_size > 4)
        return false;
    size_t offsets = *at + 3;
    size_t data = offsets + ((size_t)n + 1) * off_size - 1; /* offsets count from 1 */
    if (!cff_card(r, offsets, off_size, &lo) || !cff_card(r, offsets + off_size, off_size, &hi) ||
        !cff_card(r, offsets + (size_t)n * off_size, off_size, &last) ||
        lo < 1 || lo > hi || hi > last || last > r->n - data)
        return false;
    *first = data + lo;
    *first_end = data + hi;
    *at = data + last;
    return true;
}

/* The operands of the Top DICT that matter here. */
typedef struct CffTop {
    bool ros;              /* has ROS: CID-keyed */
    int64_t charset, charstrings;
} CffTop;

static bool cff_top_dict(const CffReader *r, size_t at, size_t end, CffTop *top)
{
    int64_t operand = 0; /* the last integer operand: the ones read take one */
    *top = (CffTop){false, 0, -1};
    while (at < end) {
        unsigned b = r->d[at];
        uint32_t v;
        if (b <= 21) { /* operator */
            unsigned op = b;
            if (b == 12) {
                if (at + 1 >= end)
                    return false;
                op = 1200 + r->d[++at];
            }
            at++;
            if (op == 15)
                top->charset = operand;
            else if (op == 17)
                top->charstrings = operand;
            else if (op == 1230)
                top->ros = true;
            operand = 0;
        } else if (b == 28 && cff_card(r, at + 1, 2, &v) && at + 3 <= end) {
            operand = (int16_t)v;
            at += 3;
        } else if (b == 29 && cff_card(r, at + 1, 4, &v) && at + 5 <= end) {
            operand = (int32_t)v;
            at += 5;
        } else if (b == 30) { /* real: nibbles up to an 0xF nibble */
            for (at++; at < end && (r->d[at] & 0x0F) != 0x0F && (r->d[at] >> 4) != 0x0F;)
                at++;
            at++;
            operand = 0;
        } else if (b >= 32 && b <= 246) {
            operand = (int64_t)b - 139;
            at++;
        } else if (b >= 247 && b <= 254 && at + 1 < end) {
            int64_t w = ((int64_t)(b & 3) << 8) + r->d[at + 1] + 108;
            operand = b <= 250 ? w : -w;
            at += 2;
        } else {
            return false;
        }
    }
    return at == end;
}



CffStatus cff_cids(const char *data, size_t len, uint16_t **cids, unsigned *count)
{
    CffReader r = {(const unsigned char *)data, len};
    *cids = NULL;
    *count = 0;
    uint32_t hdr_size;
    size_t at, item, item_end;
    unsigned n;
    if (!cff_card(&r, 2, 1, &hdr_size) || (at = hdr_size) < 4 ||
        !cff_index(&r, &at, &n, &item, &item_end) || /* Name INDEX */
        !cff_index(&r, &at, &n, &item, &item_end) || n < 1) /* Top DICT INDEX */
        return CFF_MALFORMED;
    CffTop top;
    if (!cff_top_dict(&r, item, item_end, &top))
        return CFF_MALFORMED;
    if (!top.ros)
        return CFF_NOT_CID_KEYED;
    if (top.charstrings < 0 || (uint64_t)top.charstrings >= len ||
        top.charset <= 2 /* the predefined charsets are for name-keyed fonts */ ||
        (uint64_t)top.charset >= len)
        return CFF_MALFORMED;
    at = (size_t)top.charstrings;
    if (!cff_index(&r, &at, &n, &item, &item_end) || n == 0)
        return CFF_MALFORMED;
    uint16_t *map = xreallocarray(NULL, n, sizeof *map);
    map[0] = 0; /* .notdef */
    at = (size_t)top.charset;
    uint32_t format = 3; /* stays invalid if unreadable */
    cff_card(&r, at++, 1, &format);
    unsigned gid = 1;
    while (gid < n) {
        uint32_t first, left = 0;
        if (format > 2 || !cff_card(&r, at, 2, &first) ||
            (format > 0 && !cff_card(&r, at + 2, format, &left))) {
            free(map);
            return CFF_MALFORMED;
        }
        at += format == 0 ? 2 : 2 + format;
        for (uint32_t k = 0; k <= left && gid < n; k++) {
            if (first + k > UINT16_MAX) {
                free(map);
                return CFF_MALFORMED;
            }
            map[gid++] = (uint16_t)(first + k);
        }
    }
    *cids = map;
    *count = n;
    return CFF_OK;
}

unsigned char *cid_set(const uint16_t *cids, unsigned n, bool *twice)
{
    unsigned char *set = xcalloc(UINT16_MAX / 8 + 1, 1);
    *twice = false;
    for (unsigned k = 0; k < n; k++) {
        unsigned char bit = (unsigned char)(1u << (cids[k] & 7));
        *twice |= (set[cids[k] >> 3] & bit) != 0;
        set[cids[k] >> 3] |= bit;
    }
    return set;
}

bool cid_in(const unsigned char *set, unsigned cid)
{
    return (set[cid >> 3] & (1u << (cid & 7))) != 0;
}
