/* pdf_internal.h — what the three files of the PDF writer share; nothing
 * outside them includes it (their one entry point is pdf_write, pdf.h).
 * In: pdf.c validates the Document, registering a FontUse per font
 *     (pdf_fonts.c), then hands pdf_text.c one page at a time.
 * Out: pdf_text.c writes each text box as TJ operators into the page's
 *     content stream and records in the FontUse which glyphs were shown
 *     and what text they stand for; once every page is written,
 *     pdf_fonts.c turns that record into the font dictionaries (subset,
 *     /W, ToUnicode), and pdf.c saves.
 * All three report through diag_error() and return -1 (or NULL) on
 * failure; the Writer is freed by pdf.c whatever happened. */
#ifndef PDFGEN_PDF_INTERNAL_H
#define PDFGEN_PDF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hpdf.h>
#include <hpdf_objects.h>

#include "pages.h"

/* ------------------------------------------------------------------ */
/* Growable byte buffer.  Allocation failure is sticky and checked once
 * per unit of output, which keeps the emitters free of error plumbing. */

typedef struct Buf {
    char *data;
    size_t len, cap;
    bool oom;
} Buf;

/* Defined in pdf.c.  Numbers go out without the C locale's help, so the
 * same Document gives the same bytes everywhere. */
void buf_str(Buf *b, const char *s);
void buf_hex4(Buf *b, unsigned v);
void buf_uint(Buf *b, uint64_t v);
void buf_milli(Buf *b, int64_t m);
int64_t to_milli(double v);
void buf_num(Buf *b, double v);

/* ------------------------------------------------------------------ */
/* UTF-8 / UTF-16 (pdf.c): text strings, ActualText and ToUnicode are all
 * UTF-16. */

typedef struct U16 {
    uint16_t *units;
    size_t len, cap;
} U16;

bool u16_push(U16 *u, uint32_t cp);
int u16_from_utf8(U16 *u, const char *s, size_t n, bool drop_bidi);
void buf_u16_hex(Buf *b, const uint16_t *u, size_t n);

/* ------------------------------------------------------------------ */
/* Per-document state */

/* What this document did with one glyph id of a font. */
typedef struct GlyphUse {
    uint32_t map_off; /* ToUnicode text: FontUse.map.units[map_off...] */
    uint16_t map_len; /* 0: no ToUnicode entry (yet) */
    bool map_weak;    /* the entry came from a cluster covered by ActualText */
    bool used;
    int32_t width; /* /W entry: the font's own advance, 1/1000 em */
} GlyphUse;

typedef struct FontUse {
    const Font *font;
    char key[16];      /* resource name; not F<n>, which libharu hands out */
    HPDF_Dict type0;   /* NULL until first drawn */
    unsigned glyph_count;
    GlyphUse *glyphs;  /* glyph_count entries */
    /* A CFF font's text carries CIDs, a TrueType font's glyph ids.  cids
     * maps glyph id to CID when the two differ (NULL: they are equal, as
     * in Noto Sans CJK, or the font is TrueType). */
    bool cff;
    uint16_t *cids;
    U16 map;           /* pool of ToUnicode texts */
    size_t on_page;    /* 1 + last page whose /Font holds it, 0 = none */
} FontUse;

typedef struct HpdfError {
    HPDF_STATUS code, detail;
} HpdfError;

typedef struct Writer {
    const Document *doc;
    bool rtl_doc; /* the sheet's language is written right to left */
    long strong_balance; /* the page's left-to-right less right-to-left letters so far */
    HPDF_Doc pdf;
    HpdfError herr;
    FontUse *fonts;
    size_t font_count, font_cap;
    Buf out;        /* operators of the text box being written */
    U16 text;       /* scratch: one cluster's text */
    uint32_t *clusters;
    bool *seen;
    size_t clusters_cap;
    uint8_t *units;     /* per glyph of the span: poppler's scan (see RLM, pdf_text.c) */
    size_t units_cap;
    int8_t *line_state; /* per box of the page: state at its left end, -1 unknown */
    size_t line_state_cap;
    /* content-stream state of the current page */
    HPDF_Page page;
    size_t page_no; /* 1-based */
    const FontUse *tf_font;
    int64_t tf_size;
    int64_t rgb[3];
    bool rgb_valid;
} Writer;

/* ------------------------------------------------------------------ */
/* Called across files */

/* pdf.c.  hpdf_check reports a libharu failure and returns -1 (0 when
 * there was none); out_of_memory reports and returns -1.  div_round
 * rounds a / b (b > 0) half away from zero. */
int hpdf_check(Writer *w, const char *what, bool failed);
int out_of_memory(void);
int64_t div_round(int64_t a, int64_t b);
int draw_rect(Writer *w, const RectBox *r);

/* pdf_fonts.c: the FontUse of each font, registered by validation and
 * looked up by the text; the font dictionaries, filled before saving. */
const char *font_name(const Font *f);
int32_t to_1000em(const Font *f, int64_t units);
unsigned glyph_code(const FontUse *fu, uint32_t gid);
FontUse *font_use(Writer *w, const Font *f);
int register_font(Writer *w, const Font *f, FontUse **out);
int write_fonts(Writer *w);

/* pdf_text.c: adds page index of the Document and draws its boxes. */
int write_page(Writer *w, size_t index);

#endif
