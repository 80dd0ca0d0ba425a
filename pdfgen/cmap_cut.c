/* cmap_cut.c — a TrueType 'cmap' table cut down to some glyphs.  See
 * cmap_cut.h.  The subtables are read as HarfBuzz 6's collect_mapping
 * reads them, and refused where the two readings could part. */
#include "cmap_cut.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

static unsigned u16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }
static uint32_t u32(const unsigned char *p) { return (uint32_t)u16(p) << 16 | u16(p + 2); }

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void put32(unsigned char *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xFFFF);
}

typedef struct Mapping {
    uint32_t code, gid;
} Mapping;

typedef struct Mappings {
    Mapping *m;
    size_t count, cap;
} Mappings;

static void add_mapping(Mappings *ms, uint32_t code, uint32_t gid)
{
    if (ms->count == ms->cap) {
        ms->cap = ms->cap ? 2 * ms->cap : 256;
        ms->m = xreallocarray(ms->m, ms->cap, sizeof *ms->m);
    }
    ms->m[ms->count++] = (Mapping){code, gid};
}

typedef struct Keep {
    bool (*fn)(unsigned gid, void *context);
    void *context;
} Keep;

/* The kept mappings of a format 4 subtable, in code order. */
static bool read_format4(const unsigned char *t, size_t avail, const Keep *keep, Mappings *out)
{
    if (avail < 16)
        return false;
    size_t length = u16(t + 2);
    unsigned seg_x2 = u16(t + 6);
    if (length > avail || seg_x2 == 0 || seg_x2 % 2 || 16 + 4 * (size_t)seg_x2 > length)
        return false;
    unsigned seg = seg_x2 / 2;
    const unsigned char *ends = t + 14, *starts = ends + seg_x2 + 2, *deltas = starts + seg_x2,
                        *ranges = deltas + seg_x2, *glyphs = ranges + seg_x2;
    size_t glyph_count = (length - 16 - 4 * (size_t)seg_x2) / 2;
    for (unsigned i = 0; i < seg; i++) {
        unsigned start = u16(starts + 2 * i), end = u16(ends + 2 * i);
        unsigned delta = u16(deltas + 2 * i), range = u16(ranges + 2 * i);
        if (start > end || (i > 0 && start <= u16(ends + 2 * (i - 1))))
            return false;
        if (start == 0xFFFF) {
            if (i + 1 != seg)
                return false;
            continue; /* the closing segment, which HarfBuzz passes over */
        }
        if (range && delta)
            return false;
        for (unsigned c = start; c <= end; c++) {
            unsigned gid;
            if (!range) {
                gid = (c + delta) & 0xFFFF;
            } else {
                size_t at = range / 2 + (size_t)(c - start) + i;
                if (at < seg || at - seg >= glyph_count)
                    return false;
                gid = u16(glyphs + 2 * (at - seg));
            }
            if (!gid)
                continue;
            if (c == 0xFFFF)
                return false;
            if (keep->fn(gid, keep->context))
                add_mapping(out, c, gid);
        }
    }
    return true;
}

/* The kept mappings of a format 12 subtable, in code order. */
static bool read_format12(const unsigned char *t, size_t avail, unsigned glyphs, const Keep *keep,
                          Mappings *out)
{
    if (avail < 16)
        return false;
    uint32_t length = u32(t + 4), groups = u32(t + 12);
    if (length > avail || length < 16 || groups > (length - 16) / 12)
        return false;
    for (uint32_t i = 0; i < groups; i++) {
        const unsigned char *g = t + 16 + 12 * (size_t)i;
        uint32_t start = u32(g), end = u32(g + 4), gid = u32(g + 8);
        if (start > end || end > 0x10FFFF || gid == 0 || gid >= glyphs ||
            end - start >= glyphs - gid || (i > 0 && start <= u32(g - 8)))
            return false;
        for (uint32_t c = start; c <= end; c++, gid++)
            if (keep->fn(gid, keep->context))
                add_mapping(out, c, gid);
    }
    return true;
}

typedef struct Out {
    unsigned char *bytes;
    size_t used, cap;
} Out;

static unsigned char *reserve(Out *o, size_t n)
{
    if (o->used + n > o->cap) {
        o->cap = 2 * (o->used + n);
        o->bytes = xrealloc(o->bytes, o->cap);
    }
    unsigned char *p = o->bytes + o->used;
    memset(p, 0, n);
    o->used += n;
    return p;
}

/* Runs of consecutive code points on consecutive glyphs: a format 4
 * segment (the same delta) or a format 12 group each. */
static bool same_run(const Mapping *a, const Mapping *b)
{
    return b->code == a->code + 1 && b->gid == a->gid + 1;
}

static bool write_format4(Out *o, unsigned language, const Mappings *ms)
{
    size_t runs = 0;
    for (size_t i = 0; i < ms->count; i++)
        runs += i == 0 || !same_run(&ms->m[i - 1], &ms->m[i]);
    size_t seg = runs + 1; /* and the closing 0xFFFF segment */
    size_t length = 16 + 8 * seg;
    if (length > 0xFFFF)
        return false;
    unsigned char *t = reserve(o, length);
    unsigned log2 = 0;
    while ((2u << log2) <= seg)
        log2++;
    put16(t, 4);
    put16(t + 2, (unsigned)length);
    put16(t + 4, language);
    put16(t + 6, (unsigned)(2 * seg));
    put16(t + 8, 2u << log2);
    put16(t + 10, log2);
    put16(t + 12, (unsigned)(2 * seg) - (2u << log2));
    unsigned char *ends = t + 14, *starts = ends + 2 * seg + 2, *deltas = starts + 2 * seg;
    size_t s = 0;
    for (size_t i = 0; i < ms->count; i++) {
        const Mapping *m = &ms->m[i];
        if (i == 0 || !same_run(&ms->m[i - 1], m)) {
            if (i > 0)
                s++;
            put16(starts + 2 * s, m->code);
            put16(deltas + 2 * s, (m->gid - m->code) & 0xFFFF);
        }
        put16(ends + 2 * s, m->code);
    }
    if (ms->count)
        s++;
    put16(starts + 2 * s, 0xFFFF);
    put16(ends + 2 * s, 0xFFFF);
    put16(deltas + 2 * s, 1);
    return true;
}

static void write_format12(Out *o, uint32_t language, const Mappings *ms)
{
    size_t groups = 0;
    for (size_t i = 0; i < ms->count; i++)
        groups += i == 0 || !same_run(&ms->m[i - 1], &ms->m[i]);
    unsigned char *t = reserve(o, 16 + 12 * groups);
    put16(t, 12);
    put32(t + 4, (uint32_t)(16 + 12 * groups));
    put32(t + 8, language);
    put32(t + 12, (uint32_t)groups);
    unsigned char *g = t + 16 - 12;
    for (size_t i = 0; i < ms->count; i++) {
        const Mapping *m = &ms->m[i];
        if (i == 0 || !same_run(&ms->m[i - 1], m)) {
            g += 12;
            put32(g, m->code);
            put32(g + 8, m->gid);
        }
        put32(g + 4, m->code);
    }
}

/* The length of a subtable kept as it is, or 0 when unknown. */
static size_t subtable_length(const unsigned char *t, size_t avail)
{
    if (avail < 8)
        return 0;
    size_t n;
    switch (u16(t)) {
    case 0: case 2: case 4: case 6:
        n = u16(t + 2);
        break;
    case 8: case 10: case 12: case 13:
        n = u32(t + 4);
        break;
    case 14:
        n = u32(t + 2);
        break;
    default:
        return 0;
    }
    return n <= avail ? n : 0;
}

char *cmap_cut(const unsigned char *cmap, size_t len, unsigned glyphs,
               bool (*keep)(unsigned gid, void *context), void *context, size_t *out_len)
{
    if (len < 4 || u16(cmap) != 0)
        return NULL;
    unsigned records = u16(cmap + 2);
    if (4 + 8 * (size_t)records > len)
        return NULL;
    Keep k = {keep, context};
    Out o = {0};
    reserve(&o, 4 + 8 * (size_t)records);
    put16(o.bytes + 2, records);
    /* a subtable that several records share stays shared */
    uint32_t *from = xreallocarray(NULL, records ? records : 1, sizeof *from);
    uint32_t *to = xreallocarray(NULL, records ? records : 1, sizeof *to);
    bool ok = true;
    for (unsigned r = 0; r < records && ok; r++) {
        const unsigned char *rec = cmap + 4 + 8 * (size_t)r;
        uint32_t offset = u32(rec + 4);
        put16(o.bytes + 4 + 8 * r, u16(rec));
        put16(o.bytes + 4 + 8 * r + 2, u16(rec + 2));
        uint32_t written = UINT32_MAX;
        for (unsigned s = 0; s < r && written == UINT32_MAX; s++)
            if (from[s] == offset)
                written = to[s];
        if (written == UINT32_MAX) {
            if (offset >= len || o.used > UINT32_MAX) {
                ok = false;
                break;
            }
            written = (uint32_t)o.used;
            const unsigned char *t = cmap + offset;
            size_t avail = len - offset;
            Mappings ms = {0};
            unsigned format = avail >= 2 ? u16(t) : 0xFFFF;
            if (format == 4) {
                ok = read_format4(t, avail, &k, &ms) && write_format4(&o, u16(t + 4), &ms);
            } else if (format == 12) {
                ok = read_format12(t, avail, glyphs, &k, &ms);
                if (ok)
                    write_format12(&o, u32(t + 8), &ms);
            } else {
                size_t n = subtable_length(t, avail);
                ok = n > 0;
                if (ok)
                    memcpy(reserve(&o, n + n % 2), t, n);
            }
            free(ms.m);
        }
        from[r] = offset;
        to[r] = written;
        put32(o.bytes + 4 + 8 * r + 4, written);
    }
    free(from);
    free(to);
    if (!ok) {
        free(o.bytes);
        return NULL;
    }
    *out_len = o.used;
    return (char *)o.bytes;
}
