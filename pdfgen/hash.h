/* hash.h — a 64-bit hash of a byte string, for the process's in-memory
 * caches (never written out: it may change between versions).
 * In: bytes and their count.  Out: the hash. */
#ifndef PDFGEN_HASH_H
#define PDFGEN_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Eight bytes a step: keys run to kilobytes (a paragraph's glyphs). */
static inline uint64_t hash_bytes(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 0x9e3779b97f4a7c15u ^ n;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, sizeof w);
        h = (h ^ w) * 0xff51afd7ed558ccdu;
        h ^= h >> 29;
    }
    for (; n; p++, n--)
        h = (h ^ *p) * 0x100000001b3u;
    return h;
}

#endif
