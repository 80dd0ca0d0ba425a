/* pdf_buf.h — the bytes of the PDF writer: growable buffers of operators
 * and of UTF-16 text, and numbers written without the C locale's help.
 * In: strings, numbers, UTF-8.  Out: bytes in a Buf, UTF-16 units in a
 *     U16.  Memory follows alloc.h's policy (it never fails here), so
 *     the emitters carry no error plumbing.
 * The bottom layer of pdf*.c: it calls nothing else of the writer. */
#ifndef PDFGEN_PDF_BUF_H
#define PDFGEN_PDF_BUF_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct Buf {
    char *data;
    size_t len, cap;
} Buf;

/* Room for n more bytes. */
void buf_grow(Buf *b, size_t n);

/* Inline: the writer puts millions of pieces a build, most of them a few
 * bytes long, often of a length the compiler knows. */
static inline void buf_put(Buf *b, const char *s, size_t n)
{
    if (n > b->cap - b->len)
        buf_grow(b, n);
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
}

static inline void buf_str(Buf *b, const char *s) { buf_put(b, s, strlen(s)); }
void buf_hex4(Buf *b, unsigned v);
void buf_uint(Buf *b, uint64_t v);
/* m thousandths, with up to three decimals and no trailing zeros. */
void buf_milli(Buf *b, int64_t m);
/* v in thousandths, rounded half away from zero; 0 for NaN and infinity. */
static inline int64_t to_milli(double v)
{
    if (!isfinite(v))
        return 0;
    return (int64_t)(v < 0 ? v * 1000 - 0.5 : v * 1000 + 0.5);
}
void buf_num(Buf *b, double v);
void buf_free(Buf *b);
/* Gives back the room b grew into beyond its bytes: for buffers that are
 * kept, thousands at a time (pdf_pack's objects). */
void buf_fit(Buf *b);
/* a / b rounded half away from zero (b > 0). */
static inline int64_t div_round(int64_t a, int64_t b)
{
    return a >= 0 ? (a + b / 2) / b : -((-a + b / 2) / b);
}

/* PDF text strings, ActualText and ToUnicode are all UTF-16. */
typedef struct U16 {
    uint16_t *units;
    size_t len, cap;
} U16;

/* Room for two more units. */
void u16_grow(U16 *u);
/* Inline: the page writer pushes a unit or two for every glyph. */
static inline void u16_push(U16 *u, uint32_t cp)
{
    if (u->len + 2 > u->cap)
        u16_grow(u);
    if (cp < 0x10000) {
        u->units[u->len++] = (uint16_t)cp;
    } else {
        cp -= 0x10000;
        u->units[u->len++] = (uint16_t)(0xD800 + (cp >> 10));
        u->units[u->len++] = (uint16_t)(0xDC00 + (cp & 0x3FF));
    }
}
/* Replaces u's contents with UTF-8 s[0..n); drop_bidi leaves out bidi
 * controls (they steer layout; in extracted text they are noise).
 * Returns false on invalid UTF-8. */
bool u16_from_utf8(U16 *u, const char *s, size_t n, bool drop_bidi);
void buf_u16_hex(Buf *b, const uint16_t *u, size_t n);
void u16_free(U16 *u);
/* The code point at s (n bytes available) and its length; 0 if invalid. */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

#endif
