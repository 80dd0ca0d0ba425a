/* pdf_buf.c — buffers and numbers for the PDF writer.  See pdf_buf.h. */
#include "pdf_buf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/utf8.h>

#include "alloc.h"

void buf_grow(Buf *b, size_t n)
{
    if (n > SIZE_MAX / 2 - b->len)
        oom_abort();
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
    }
}

void buf_fit(Buf *b)
{
    if (b->len && b->cap > b->len) {
        b->data = xrealloc(b->data, b->len);
        b->cap = b->len;
    }
}

void buf_hex4(Buf *b, unsigned v)
{
    static const char digits[] = "0123456789ABCDEF";
    char s[4] = {digits[(v >> 12) & 15], digits[(v >> 8) & 15],
                 digits[(v >> 4) & 15], digits[v & 15]};
    buf_put(b, s, 4);
}

void buf_uint(Buf *b, uint64_t v)
{
    if (v < 10) { /* most numbers a PDF writer puts: a digit, or two */
        char c = (char)('0' + v);
        buf_put(b, &c, 1);
        return;
    }
    if (v < 100) {
        char s[2] = {(char)('0' + v / 10), (char)('0' + v % 10)};
        buf_put(b, s, 2);
        return;
    }
    char s[24];
    size_t i = sizeof s;
    do {
        s[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    buf_put(b, s + i, sizeof s - i);
}

/* Integer formatting keeps the output independent of the C locale and
 * never produces "-0". */
void buf_milli(Buf *b, int64_t m)
{
    uint64_t a = m < 0 ? (uint64_t)0 - (uint64_t)m : (uint64_t)m;
    if (m < 0)
        buf_put(b, "-", 1);
    buf_uint(b, a / 1000);
    unsigned frac = (unsigned)(a % 1000);
    if (frac) {
        char s[4] = {'.', (char)('0' + frac / 100), (char)('0' + frac / 10 % 10),
                     (char)('0' + frac % 10)};
        size_t n = 4;
        while (s[n - 1] == '0')
            n--;
        buf_put(b, s, n);
    }
}

void buf_num(Buf *b, double v) { buf_milli(b, to_milli(v)); }

void buf_free(Buf *b)
{
    free(b->data);
    *b = (Buf){0};
}

/* ICU's U8_NEXT, as in the text stage: strict (no overlongs, surrogates
 * or values past U+10FFFF). */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    int32_t i = 0;
    UChar32 c;
    U8_NEXT(s, i, (int32_t)(n > INT32_MAX ? INT32_MAX : n), c);
    if (c < 0)
        return 0;
    *cp = (uint32_t)c;
    return (size_t)i;
}

static bool is_bidi_control(uint32_t c)
{
    return c == 0x061C || c == 0x200E || c == 0x200F ||
           (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

void u16_grow(U16 *u)
{
    size_t cap = u->cap ? u->cap * 2 : 64;
    u->units = xreallocarray(u->units, cap, sizeof *u->units);
    u->cap = cap;
}

bool u16_from_utf8(U16 *u, const char *s, size_t n, bool drop_bidi)
{
    const unsigned char *p = (const unsigned char *)s;
    u->len = 0;
    while (n) {
        uint32_t cp;
        size_t k = utf8_decode(p, n, &cp);
        if (!k)
            return false;
        if (!(drop_bidi && is_bidi_control(cp)))
            u16_push(u, cp);
        p += k;
        n -= k;
    }
    return true;
}

void buf_u16_hex(Buf *b, const uint16_t *u, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf_hex4(b, u[i]);
}

void u16_free(U16 *u)
{
    free(u->units);
    *u = (U16){0};
}
