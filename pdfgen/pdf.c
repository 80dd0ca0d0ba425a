/* pdf.c — write a laid-out Document with libharu, fonts through hb-subset.
 *
 * libharu owns the document structure (xref, pages, outlines, info,
 * compression, serialisation).  Its own font and text paths are not used:
 * they mangle ToUnicode, composite glyphs and everything beyond the BMP
 * (see DESIGN.md).  Instead text goes into the page content streams as raw
 * operators with 2-byte glyph ids, and each font is a Type0/Identity-H
 * dictionary built with libharu's exported object API, created on first
 * use and filled (subset, /W, ToUnicode) just before saving, when the
 * whole set of glyphs is known. */
#include "pdf.h"

#include "cff.h"
#include "diag.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hb-subset.h>
#include <hb.h>
#include <hpdf.h>
#include <hpdf_objects.h>
#include <hpdf_pages.h>
#include <hpdf_streams.h>
#include <sys/stat.h>
#include <unicode/uloc.h>

/* A bfchar destination may hold at most 512 bytes; longer cluster text is
 * left to ActualText alone. */
#define MAX_MAP_UNITS 256
/* HPDF_LIMIT_MAX_ARRAY is 32767 items: keep /W sub-arrays well below. */
#define MAX_W_RUN 8000
#define BFCHAR_BLOCK 100
/* /DW, in 1/1000 em: the width of every CJK ideograph. */
#define DEFAULT_WIDTH 1000

/* ------------------------------------------------------------------ */
/* Growable byte buffer.  Allocation failure is sticky and checked once
 * per unit of output, which keeps the emitters free of error plumbing. */

typedef struct Buf {
    char *data;
    size_t len, cap;
    bool oom;
} Buf;

static void buf_put(Buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

static void buf_str(Buf *b, const char *s) { buf_put(b, s, strlen(s)); }

static void buf_hex4(Buf *b, unsigned v)
{
    static const char digits[] = "0123456789ABCDEF";
    char s[4] = {digits[(v >> 12) & 15], digits[(v >> 8) & 15],
                 digits[(v >> 4) & 15], digits[v & 15]};
    buf_put(b, s, 4);
}

static void buf_uint(Buf *b, uint64_t v)
{
    char s[24];
    size_t i = sizeof s;
    do {
        s[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    buf_put(b, s + i, sizeof s - i);
}

/* m thousandths, printed with up to three decimals and no trailing zeros.
 * Integer formatting keeps the output independent of the C locale and
 * never produces "-0". */
static void buf_milli(Buf *b, int64_t m)
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

static int64_t to_milli(double v)
{
    if (!isfinite(v))
        return 0;
    return (int64_t)(v < 0 ? v * 1000 - 0.5 : v * 1000 + 0.5);
}

static void buf_num(Buf *b, double v) { buf_milli(b, to_milli(v)); }

/* ------------------------------------------------------------------ */
/* UTF-8 / UTF-16 */

/* Decodes one strict UTF-8 sequence; returns its length, 0 if invalid. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    size_t len;
    uint32_t c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        c &= 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        c &= 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        c &= 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min[len] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

/* Bidi controls steer layout; in extracted text they are noise. */
static bool is_bidi_control(uint32_t c)
{
    return c == 0x061C || c == 0x200E || c == 0x200F ||
           (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

typedef struct U16 {
    uint16_t *units;
    size_t len, cap;
} U16;

static bool u16_push(U16 *u, uint32_t cp)
{
    if (u->len + 2 > u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 64;
        uint16_t *p = realloc(u->units, cap * sizeof *p);
        if (!p)
            return false;
        u->units = p;
        u->cap = cap;
    }
    if (cp < 0x10000) {
        u->units[u->len++] = (uint16_t)cp;
    } else {
        cp -= 0x10000;
        u->units[u->len++] = (uint16_t)(0xD800 + (cp >> 10));
        u->units[u->len++] = (uint16_t)(0xDC00 + (cp & 0x3FF));
    }
    return true;
}

/* 1: ok; 0: invalid UTF-8; -1: out of memory. */
static int u16_from_utf8(U16 *u, const char *s, size_t n, bool drop_bidi)
{
    const unsigned char *p = (const unsigned char *)s;
    u->len = 0;
    while (n) {
        uint32_t cp;
        size_t k = utf8_decode(p, n, &cp);
        if (!k)
            return 0;
        if (!(drop_bidi && is_bidi_control(cp)) && !u16_push(u, cp))
            return -1;
        p += k;
        n -= k;
    }
    return 1;
}

static void buf_u16_hex(Buf *b, const uint16_t *u, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf_hex4(b, u[i]);
}

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
    uint8_t *units;     /* per glyph of the span: poppler's scan (see RLM) */
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

static void on_hpdf_error(HPDF_STATUS code, HPDF_STATUS detail, void *data)
{
    HpdfError *e = data;
    if (!e->code) { /* the first error is the cause; later ones are echoes */
        e->code = code;
        e->detail = detail;
    }
}

static const char *hpdf_error_text(HPDF_STATUS code)
{
    switch (code) {
    case HPDF_FAILD_TO_ALLOC_MEM: return "out of memory";
    case HPDF_PAGE_OUT_OF_RANGE: return "value out of range (colour, line width?)";
    case HPDF_REAL_OUT_OF_RANGE: return "number out of range";
    case HPDF_PAGE_INVALID_SIZE: return "invalid page size";
    case HPDF_INVALID_DATE_TIME: return "invalid date";
    case HPDF_STRING_OUT_OF_RANGE: return "string too long";
    case HPDF_ARRAY_COUNT_ERR:
    case HPDF_DICT_COUNT_ERR:
    case HPDF_XREF_COUNT_ERR: return "too many objects";
    case HPDF_ZLIB_ERROR: return "compression failed";
    default: return "libharu error";
    }
}

/* libharu's internal API records failures in the document's error state
 * without calling the handler, so both are consulted. */
static int hpdf_check(Writer *w, const char *what, bool failed)
{
    HPDF_STATUS code = w->herr.code, detail = w->herr.detail;
    if (!code && w->pdf) {
        code = HPDF_GetError(w->pdf);
        detail = HPDF_GetErrorDetail(w->pdf);
    }
    if (!code && !failed)
        return 0;
    if (code)
        diag_error(NULL, "pdf: %s: %s (libharu error 0x%04lX, detail %lu)", what,
                   hpdf_error_text(code), (unsigned long)code, (unsigned long)detail);
    else
        diag_error(NULL, "pdf: %s: libharu call failed", what);
    return -1;
}

static int out_of_memory(void)
{
    diag_error(NULL, "pdf: out of memory");
    return -1;
}

static const char *font_name(const Font *f)
{
    return f->postscript_name ? f->postscript_name : f->path ? f->path : "?";
}

static int64_t div_round(int64_t a, int64_t b) /* b > 0 */
{
    return a >= 0 ? (a + b / 2) / b : -((-a + b / 2) / b);
}

static int32_t to_1000em(const Font *f, int64_t units)
{
    return (int32_t)div_round(units * 1000, f->upem);
}


/* Reads the font's charset; keeps the map only when some CID differs from
 * its glyph id. */
static int cff_prepare(FontUse *fu)
{
    const Font *f = fu->font;
    hb_blob_t *blob = hb_face_reference_table(f->face, HB_TAG('C', 'F', 'F', ' '));
    unsigned len;
    const char *data = hb_blob_get_data(blob, &len);
    uint16_t *cids;
    unsigned count;
    CffStatus st = cff_cids(data, len, &cids, &count);
    hb_blob_destroy(blob);
    if (st == CFF_NO_MEMORY)
        return out_of_memory();
    if (st == CFF_NOT_CID_KEYED) {
        diag_error(NULL, "pdf: font %s: CFF fonts that are not CID-keyed are not "
                   "supported", font_name(f));
        return -1;
    }
    if (st != CFF_OK || count != fu->glyph_count) {
        free(cids);
        diag_error(NULL, "pdf: font %s: malformed CFF table", font_name(f));
        return -1;
    }
    fu->cff = true;
    bool identity = true;
    for (unsigned gid = 0; gid < count && identity; gid++)
        identity = cids[gid] == gid;
    if (identity) {
        free(cids);
        return 0;
    }
    bool twice;
    unsigned char *set = cid_set(cids, count, &twice);
    free(set);
    if (!set || twice) {
        free(cids);
        if (!set)
            return out_of_memory();
        /* the PDF could not tell the two glyphs apart */
        diag_error(NULL, "pdf: font %s: CFF charset gives two glyphs one CID",
                   font_name(f));
        return -1;
    }
    fu->cids = cids;
    return 0;
}

/* What the content, /W and ToUnicode call glyph gid. */
static unsigned glyph_code(const FontUse *fu, uint32_t gid)
{
    return fu->cids ? fu->cids[gid] : gid;
}

/* ------------------------------------------------------------------ */
/* Validation: everything a writer could trip over, checked before any
 * output exists. */

static FontUse *font_use(Writer *w, const Font *f)
{
    for (size_t i = 0; i < w->font_count; i++)
        if (w->fonts[i].font == f)
            return &w->fonts[i];
    return NULL;
}

static FontUse *font_use_add(Writer *w, const Font *f)
{
    if (w->font_count == w->font_cap) {
        size_t cap = w->font_cap ? w->font_cap * 2 : 4;
        FontUse *p = realloc(w->fonts, cap * sizeof *p);
        if (!p)
            return NULL;
        w->fonts = p;
        w->font_cap = cap;
    }
    FontUse *fu = &w->fonts[w->font_count];
    memset(fu, 0, sizeof *fu);
    fu->font = f;
    fu->glyph_count = hb_face_get_glyph_count(f->face);
    fu->glyphs = calloc(fu->glyph_count ? fu->glyph_count : 1, sizeof *fu->glyphs);
    if (!fu->glyphs)
        return NULL;
    snprintf(fu->key, sizeof fu->key, "P%zu", w->font_count);
    w->font_count++;
    return fu;
}

static bool is_truetype(const Font *f)
{
    hb_blob_t *glyf = hb_face_reference_table(f->face, HB_TAG('g', 'l', 'y', 'f'));
    bool yes = hb_blob_get_length(glyf) > 0;
    hb_blob_destroy(glyf);
    return yes;
}

static int register_font(Writer *w, const Font *f, FontUse **out)
{
    if (!f || !f->face || !f->hb || f->upem == 0) {
        diag_error(NULL, "pdf: text box without a font");
        return -1;
    }
    if ((*out = font_use(w, f)))
        return 0;
    if (!f->cff && !is_truetype(f)) {
        diag_error(NULL, "pdf: font %s has neither TrueType nor CFF outlines",
                   font_name(f));
        return -1;
    }
    if (!(*out = font_use_add(w, f)))
        return out_of_memory();
    return f->cff ? cff_prepare(*out) : 0;
}

/* "U+00E9 'é'" for the character at byte at, for error messages. */
static void describe_char(const GlyphSpan *s, uint32_t at, char out[32])
{
    uint32_t cp = 0;
    size_t len = at < s->text_end ? utf8_decode((const unsigned char *)s->text + at,
                                                s->text_end - at, &cp) : 0;
    if (len && cp >= 0x20 && cp != 0x7F)
        snprintf(out, 32, "U+%04X '%.*s'", (unsigned)cp, (int)len, s->text + at);
    else if (len)
        snprintf(out, 32, "U+%04X", (unsigned)cp);
    else
        snprintf(out, 32, "byte %u", (unsigned)at);
}

static int check_span(Writer *w, const GlyphSpan *s, size_t page)
{
    FontUse *fu;
    if (s->glyph_count == 0)
        return 0;
    if (register_font(w, s->font, &fu))
        return -1;
    if (!s->text || s->text_begin > s->text_end || !(s->size > 0) ||
        !isfinite(s->size) || !isfinite(s->x) || !isfinite(s->y)) {
        diag_error(NULL, "pdf: malformed text box on page %zu", page + 1);
        return -1;
    }
    for (size_t i = 0; i < s->glyph_count; i++) {
        const Glyph *g = &s->glyphs[i];
        if (g->cluster < s->text_begin || g->cluster > s->text_end) {
            diag_error(NULL, "pdf: glyph cluster %u outside its text [%u, %u) "
                       "on page %zu", g->cluster, s->text_begin, s->text_end, page + 1);
            return -1;
        }
        if (g->gid == 0 || g->gid >= fu->glyph_count) {
            char what[32];
            describe_char(s, g->cluster, what);
            if (g->gid == 0)
                diag_error(NULL, "pdf: font %s has no glyph for %s (page %zu)",
                           font_name(s->font), what, page + 1);
            else
                diag_error(NULL, "pdf: glyph id %u out of range for font %s (%s)",
                           g->gid, font_name(s->font), what);
            return -1;
        }
    }
    return 0;
}

static int validate(Writer *w)
{
    const Document *d = w->doc;
    if (d->page_count == 0 || !(d->width >= 3 && d->width <= 14400) ||
        !(d->height >= 3 && d->height <= 14400)) {
        diag_error(NULL, "pdf: document has no pages or an invalid page size");
        return -1;
    }
    for (size_t p = 0; p < d->page_count; p++)
        for (size_t i = 0; i < d->pages[p].box_count; i++) {
            const Box *b = &d->pages[p].boxes[i];
            if (b->kind == BOX_TEXT && check_span(w, &b->u.text, p))
                return -1;
        }
    for (size_t i = 0; i < d->bookmark_count; i++)
        if (d->bookmarks[i].page >= d->page_count || !d->bookmarks[i].title) {
            diag_error(NULL, "pdf: bookmark %zu has no title or points past the "
                       "last page", i + 1);
            return -1;
        }
    return 0;
}

/* ------------------------------------------------------------------ */
/* PDF text strings: plain ASCII stays readable, anything else becomes
 * UTF-16BE with a byte order mark (which also covers non-BMP text that
 * libharu's UTF-8 encoder cannot express). */

static void *text_string(Writer *w, const char *utf8, const char *what)
{
    HPDF_MMgr mmgr = w->pdf->mmgr;
    bool ascii = true;
    for (const char *p = utf8; *p && ascii; p++)
        ascii = *p >= 0x20 && *p < 0x7F;
    if (ascii) {
        HPDF_String str = HPDF_String_New(mmgr, utf8, NULL);
        if (!str)
            hpdf_check(w, what, true);
        return str;
    }

    int ok = u16_from_utf8(&w->text, utf8, strlen(utf8), false);
    if (ok <= 0) {
        if (ok == 0)
            diag_error(NULL, "pdf: invalid UTF-8 in %s", what);
        else
            out_of_memory();
        return NULL;
    }
    size_t n = 2 + 2 * w->text.len;
    HPDF_BYTE *bytes = malloc(n);
    if (!bytes) {
        out_of_memory();
        return NULL;
    }
    bytes[0] = 0xFE;
    bytes[1] = 0xFF;
    for (size_t i = 0; i < w->text.len; i++) {
        bytes[2 + 2 * i] = (HPDF_BYTE)(w->text.units[i] >> 8);
        bytes[3 + 2 * i] = (HPDF_BYTE)(w->text.units[i] & 0xFF);
    }
    HPDF_Binary bin = HPDF_Binary_New(mmgr, bytes, (HPDF_UINT)n);
    free(bytes);
    if (!bin)
        hpdf_check(w, what, true);
    return bin;
}

static int add_text(Writer *w, HPDF_Dict dict, const char *key,
                    const char *utf8, const char *what)
{
    void *s = text_string(w, utf8, what);
    if (!s)
        return -1; /* reported */
    return hpdf_check(w, what, HPDF_Dict_Add(dict, key, s) != HPDF_OK);
}

/* ------------------------------------------------------------------ */
/* Metadata and catalog */

static int write_dates(Writer *w)
{
    const DocInfo *in = &w->doc->info;
    if (in->year <= 0)
        return 0;
    HPDF_Date d = {in->year, in->month, in->day, in->hour, in->minute, in->second, 'Z', 0, 0};
    bool bad = HPDF_SetInfoDateAttr(w->pdf, HPDF_INFO_CREATION_DATE, d) != HPDF_OK;
    bad |= HPDF_SetInfoDateAttr(w->pdf, HPDF_INFO_MOD_DATE, d) != HPDF_OK;
    return hpdf_check(w, "document dates", bad);
}

static int write_info(Writer *w)
{
    const DocInfo *in = &w->doc->info;
    const struct {
        const char *key, *value;
    } items[] = {{"Title", in->title},
                 {"Author", in->author},
                 {"Subject", in->subject},
                 {"Creator", in->creator}};
    /* HPDF_New fills the info dictionary with /Producer, so it exists. */
    HPDF_Dict info = w->pdf->info;
    if (!info)
        return hpdf_check(w, "document info", true);
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++)
        if (items[i].value && add_text(w, info, items[i].key, items[i].value,
                                       items[i].key))
            return -1;
    return write_dates(w);
}

static int write_catalog(Writer *w)
{
    HPDF_Dict catalog = w->pdf->catalog;
    if (w->doc->info.lang && add_text(w, catalog, "Lang", w->doc->info.lang, "Lang"))
        return -1;
    HPDF_Dict prefs = HPDF_Dict_New(w->pdf->mmgr);
    bool bad = !prefs ||
               HPDF_Dict_AddBoolean(prefs, "DisplayDocTitle", HPDF_TRUE) != HPDF_OK ||
               HPDF_Dict_Add(catalog, "ViewerPreferences", prefs) != HPDF_OK;
    return hpdf_check(w, "viewer preferences", bad);
}

/* ------------------------------------------------------------------ */
/* Rectangles, through libharu's public path API */

static void rounded_path(HPDF_Page page, const RectBox *r)
{
    double x0 = r->x, y0 = r->y, x1 = r->x + r->width, y1 = r->y + r->height;
    double rad = r->radius;
    if (rad > r->width / 2)
        rad = r->width / 2;
    if (rad > r->height / 2)
        rad = r->height / 2;
    double k = rad * 0.5522847498; /* Bézier handle for a quarter circle */
    HPDF_Page_MoveTo(page, (HPDF_REAL)(x0 + rad), (HPDF_REAL)y0);
    HPDF_Page_LineTo(page, (HPDF_REAL)(x1 - rad), (HPDF_REAL)y0);
    HPDF_Page_CurveTo(page, (HPDF_REAL)(x1 - rad + k), (HPDF_REAL)y0, (HPDF_REAL)x1,
                      (HPDF_REAL)(y0 + rad - k), (HPDF_REAL)x1, (HPDF_REAL)(y0 + rad));
    HPDF_Page_LineTo(page, (HPDF_REAL)x1, (HPDF_REAL)(y1 - rad));
    HPDF_Page_CurveTo(page, (HPDF_REAL)x1, (HPDF_REAL)(y1 - rad + k),
                      (HPDF_REAL)(x1 - rad + k), (HPDF_REAL)y1, (HPDF_REAL)(x1 - rad),
                      (HPDF_REAL)y1);
    HPDF_Page_LineTo(page, (HPDF_REAL)(x0 + rad), (HPDF_REAL)y1);
    HPDF_Page_CurveTo(page, (HPDF_REAL)(x0 + rad - k), (HPDF_REAL)y1, (HPDF_REAL)x0,
                      (HPDF_REAL)(y1 - rad + k), (HPDF_REAL)x0, (HPDF_REAL)(y1 - rad));
    HPDF_Page_LineTo(page, (HPDF_REAL)x0, (HPDF_REAL)(y0 + rad));
    HPDF_Page_CurveTo(page, (HPDF_REAL)x0, (HPDF_REAL)(y0 + rad - k),
                      (HPDF_REAL)(x0 + rad - k), (HPDF_REAL)y0, (HPDF_REAL)(x0 + rad),
                      (HPDF_REAL)y0);
    HPDF_Page_ClosePath(page);
}

static int draw_rect(Writer *w, const RectBox *r)
{
    HPDF_Page page = w->page;
    bool stroke = r->line_width > 0;
    if (!r->fill && !stroke)
        return 0;
    if (r->fill)
        HPDF_Page_SetRGBFill(page, r->fill_color.r, r->fill_color.g, r->fill_color.b);
    if (stroke) {
        HPDF_Page_SetRGBStroke(page, r->stroke.r, r->stroke.g, r->stroke.b);
        HPDF_Page_SetLineWidth(page, (HPDF_REAL)r->line_width);
    }
    if (r->radius > 0)
        rounded_path(page, r);
    else
        HPDF_Page_Rectangle(page, (HPDF_REAL)r->x, (HPDF_REAL)r->y,
                            (HPDF_REAL)r->width, (HPDF_REAL)r->height);
    if (r->fill && stroke)
        HPDF_Page_FillStroke(page);
    else if (r->fill)
        HPDF_Page_Fill(page);
    else
        HPDF_Page_Stroke(page);
    w->rgb_valid = false; /* the text's fill colour is no longer current */
    return hpdf_check(w, "rectangle", false);
}

/* ------------------------------------------------------------------ */
/* Text: one TJ stream per span, positions kept exact */

/* The pen as shaped (font units) and as the viewer will place it
 * (micro-em: 1/1000 of a TJ unit), so every adjustment is computed from
 * absolute positions and rounding never accumulates. */
typedef struct Tj {
    Buf *b;
    const Font *font;
    double size;
    bool in_array, in_hex;
    int64_t pen;   /* font units: where the next cluster starts */
    int64_t shown; /* micro-em */
    int64_t rise;  /* Ts in effect, milli-points */
    int64_t tc;    /* Tc in effect, milli-points */
} Tj;

static void tj_close(Tj *t)
{
    if (t->in_hex)
        buf_str(t->b, ">");
    if (t->in_array)
        buf_str(t->b, "]TJ\n");
    t->in_hex = t->in_array = false;
}

/* Ts and Tc are operators of their own, so the TJ array is closed first. */
static void tj_set(Tj *t, int64_t *state, int64_t value, const char *op)
{
    if (*state == value)
        return;
    tj_close(t);
    buf_milli(t->b, value);
    buf_str(t->b, op);
    *state = value;
}

static int64_t font_units_to_micro_em(const Tj *t, int64_t units)
{
    return div_round(units * 1000000, t->font->upem);
}

/* A glyph moved by x_offset (a mark, typically) ends its advance away from
 * where the next glyph starts.  Extractors such as poppler read that gap
 * as a word space, so character spacing stretches the glyph's own advance
 * to end exactly at end (font units).  Returns Tc in milli-points. */
static int64_t end_spacing(const Tj *t, int64_t start, int32_t width, int64_t end)
{
    return to_milli((double)(font_units_to_micro_em(t, end) - start - (int64_t)width * 1000) *
                    t->size / 1e6);
}

/* Shows glyph g with its pen at pen (font units); natural_end says
 * whether it may end where its own advance takes it or must be stretched
 * to end. */
static void tj_glyph(Tj *t, const Glyph *g, unsigned code, int32_t width, int64_t pen,
                     int64_t end, bool natural_end)
{
    int64_t want = font_units_to_micro_em(t, pen + g->x_offset);
    tj_set(t, &t->rise, to_milli((double)g->y_offset * t->size / t->font->upem), " Ts\n");
    tj_set(t, &t->tc, natural_end ? 0 : end_spacing(t, want, width, end), " Tc\n");
    int64_t adjust = t->shown - want; /* TJ numbers move the pen left */
    if (!t->in_array) {
        buf_str(t->b, "[");
        t->in_array = true;
    }
    if (adjust) {
        if (t->in_hex)
            buf_str(t->b, ">");
        t->in_hex = false;
        buf_milli(t->b, adjust);
    }
    if (!t->in_hex) {
        buf_str(t->b, "<");
        t->in_hex = true;
    }
    buf_hex4(t->b, code);
    t->shown = want + (int64_t)width * 1000 + to_milli((double)t->tc / t->size);
}

/* The text state the next span assumes. */
static void tj_end(Tj *t)
{
    tj_close(t);
    tj_set(t, &t->rise, 0, " Ts\n");
    tj_set(t, &t->tc, 0, " Tc\n");
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The span's distinct cluster values, ascending, so that "the next larger
 * cluster" is found the same way for LTR and RTL runs. */
static int sort_clusters(Writer *w, const GlyphSpan *s, size_t *count)
{
    size_t n = s->glyph_count;
    if (n > w->clusters_cap) {
        uint32_t *c = realloc(w->clusters, n * sizeof *c);
        if (c)
            w->clusters = c;
        bool *seen = realloc(w->seen, n * sizeof *seen);
        if (seen)
            w->seen = seen;
        if (!c || !seen)
            return out_of_memory();
        w->clusters_cap = n;
    }
    bool sorted = true;
    for (size_t i = 0; i < n; i++) {
        w->clusters[i] = s->glyphs[i].cluster;
        sorted &= i == 0 || w->clusters[i - 1] <= w->clusters[i];
    }
    if (!sorted)
        qsort(w->clusters, n, sizeof *w->clusters, cmp_u32);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || w->clusters[u - 1] != w->clusters[i])
            w->clusters[u++] = w->clusters[i];
    memset(w->seen, 0, u * sizeof *w->seen);
    *count = u;
    return 0;
}

static size_t cluster_index(const uint32_t *c, size_t n, uint32_t v)
{
    size_t lo = 0, hi = n;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (c[mid] <= v)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static GlyphUse *use_glyph(FontUse *fu, uint32_t gid)
{
    GlyphUse *u = &fu->glyphs[gid];
    if (!u->used) {
        u->used = true;
        u->width = to_1000em(fu->font, font_glyph_advance(fu->font, gid));
    }
    return u;
}

static bool map_equals(const FontUse *fu, const GlyphUse *u, const U16 *t)
{
    return u->map_len == t->len &&
           memcmp(fu->map.units + u->map_off, t->units, t->len * sizeof *t->units) == 0;
}

static int map_assign(FontUse *fu, GlyphUse *u, const U16 *t)
{
    size_t need = fu->map.len + t->len;
    if (need > UINT32_MAX)
        return out_of_memory();
    if (need > fu->map.cap) {
        size_t cap = fu->map.cap ? fu->map.cap : 1024;
        while (cap < need)
            cap *= 2;
        uint16_t *p = realloc(fu->map.units, cap * sizeof *p);
        if (!p)
            return out_of_memory();
        fu->map.units = p;
        fu->map.cap = cap;
    }
    memcpy(fu->map.units + fu->map.len, t->units, t->len * sizeof *t->units);
    u->map_off = (uint32_t)fu->map.len;
    u->map_len = (uint16_t)t->len;
    fu->map.len = need;
    return 0;
}

static void begin_actual_text(Tj *t, const U16 *text)
{
    tj_close(t);
    buf_str(t->b, "/Span<</ActualText");
    if (text->len) {
        buf_str(t->b, "<FEFF");
        buf_u16_hex(t->b, text->units, text->len);
        buf_str(t->b, ">");
    } else {
        buf_str(t->b, "()");
    }
    buf_str(t->b, ">>BDC\n");
}

/* Decides the ToUnicode entry of a cluster's first glyph; returns whether
 * the cluster needs ActualText.  An entry made for a multi-glyph cluster
 * is weak: that cluster carries ActualText anyway, so a later one-glyph
 * cluster may take the entry over instead of being wrapped itself (one
 * "n" + combining diaeresis early on must not wrap every later "n"). */
static int map_cluster(FontUse *fu, GlyphUse *first, const U16 *text, bool single,
                       bool *wrap)
{
    *wrap = !single || text->len == 0 || text->len > MAX_MAP_UNITS;
    if (text->len == 0 || text->len > MAX_MAP_UNITS)
        return 0;
    bool same = first->map_len && map_equals(fu, first, text);
    if (same) {
        first->map_weak &= !single;
        return 0;
    }
    if (first->map_len && !(first->map_weak && single)) {
        *wrap = true;
        return 0;
    }
    first->map_weak = !single;
    return map_assign(fu, first, text);
}

/* The first code point of t with a script of its own decides. */
static bool is_rtl_text(const U16 *t)
{
    hb_unicode_funcs_t *uf = hb_unicode_funcs_get_default();
    for (size_t i = 0; i < t->len; i++) {
        uint32_t cp = t->units[i];
        if (cp >= 0xD800 && cp < 0xDC00 && i + 1 < t->len)
            cp = 0x10000 + ((cp - 0xD800) << 10) + (t->units[++i] - 0xDC00);
        hb_script_t script = hb_unicode_script(uf, cp);
        if (script != HB_SCRIPT_COMMON && script != HB_SCRIPT_INHERITED &&
            script != HB_SCRIPT_UNKNOWN)
            return hb_script_get_horizontal_direction(script) == HB_DIRECTION_RTL;
    }
    return false;
}

/* Reverses by code point: surrogate pairs stay in order. */
static void reverse_text(U16 *t)
{
    for (size_t a = 0, b = t->len; a + 1 < b; a++, b--) {
        uint16_t x = t->units[a];
        t->units[a] = t->units[b - 1];
        t->units[b - 1] = x;
    }
    for (size_t i = 0; i + 1 < t->len; i++)
        if (t->units[i] >= 0xDC00 && t->units[i] < 0xE000 && t->units[i + 1] >= 0xD800 &&
            t->units[i + 1] < 0xDC00) {
            uint16_t x = t->units[i];
            t->units[i] = t->units[i + 1];
            t->units[++i] = x;
        }
}

/* Lam + alef as one glyph: the presentation form (U+FEF5, FEF7, FEF9,
 * FEFB; NFKC gives the two letters back, in logical order), or 0. */
static uint16_t lam_alef_form(const U16 *t)
{
    if (t->len != 2 || t->units[0] != 0x0644)
        return 0;
    switch (t->units[1]) {
    case 0x0622: return 0xFEF5; /* alef with madda above */
    case 0x0623: return 0xFEF7; /* alef with hamza above */
    case 0x0625: return 0xFEF9; /* alef with hamza below */
    case 0x0627: return 0xFEFB;
    default: return 0;
    }
}

/* Right-to-left glyphs are in visual order, and so extractors read them:
 * mupdf outputs them so, poppler reverses each line to logical order, and
 * either takes a glyph's or a span's text along as it stands, so
 * "logical" text for one glyph or cluster would come out backwards
 * (poppler 22.12: lam-alef as alef-lam, every vowel mark before its
 * letter).  Such text is therefore written in visual order, except that
 * lam-alef becomes its presentation form, which reads right either way. */
static void rtl_cluster_text(U16 *t, bool single_glyph)
{
    if (t->len < 2 || !is_rtl_text(t))
        return;
    uint16_t form = single_glyph ? lam_alef_form(t) : 0;
    if (form) {
        t->units[0] = form;
        t->len = 1;
    } else {
        reverse_text(t);
    }
}

/* poppler puts a marked-content span's text at its first glyph's origin,
 * rise included, and ends it where its last glyph ends.  So a cluster that
 * carries ActualText starts with a glyph that sits at the pen on the
 * baseline, if it has one (its base: right to left, the marks come first
 * and a raised one would make the text a stray word above the line). */
static size_t lead_glyph(const Glyph *g, size_t i, size_t j)
{
    for (size_t l = i; l < j; l++)
        if (g[l].x_advance != 0 && g[l].x_offset == 0 && g[l].y_offset == 0)
            return l;
    return i;
}

/* Shows g with its pen at pen; stretched, it ends at end instead of where
 * its advance takes it. */
static void show_glyph(Tj *t, FontUse *fu, const Glyph *g, int64_t pen, bool stretch,
                       int64_t end)
{
    tj_glyph(t, g, glyph_code(fu, g->gid), use_glyph(fu, g->gid)->width, pen,
             stretch ? end : pen + g->x_advance, g->x_offset == 0 && !stretch);
}

/* poppler (22.12) puts a line in reading order by character type alone,
 * over the text as it stands on the page from left to right.  Its types
 * (UnicodeTypeTable.cc) are right-to-left letters, left-to-right letters,
 * "numbers" (digits, Arabic-Indic ones too, and also # $ % + , - . / :
 * and the Arabic comma) and neutrals (the rest: spaces, brackets, quotes,
 * bullets, Arabic vowel marks).  On a page it reads right to left it goes
 * from the right end: a right-to-left piece runs leftwards up to a
 * left-to-right letter or a number, and from there a left-to-right piece
 * runs leftwards over everything but right-to-left letters and comes out
 * as it stands.  So a character set right to left that stands just left
 * of a left-to-right letter or a number (comes right after it in the
 * text) ends up in that piece, on the wrong side: the space after a full
 * stop ("مؤهل. في" came out "مؤهل .في"), or the bracket after a Latin
 * word ("(NETs)" came out "()NETs").  Such a character, and only such a
 * one, is given the ActualText RLM + itself + RLM: the marks are
 * right-to-left characters of their own, invisible and without meaning
 * beyond saying that this stands in right-to-left text, and they end the
 * piece there.  Every mark is also in the text viewers search (a space
 * between two Arabic words with marks around it would make a two-word
 * search fail), so spaces and punctuation with right-to-left letters on
 * both sides carry none.  A line of a left-to-right paragraph on a
 * right-to-left sheet ending in a bracket or quote gets LRM marks there
 * for a like reason ("(Islet Cell Tumors)" came out ")… (Islet Cell
 * Tumors").  Extractors that apply the bidi algorithm themselves read the
 * same text either way. */
#define RLM 0x200F
#define LRM 0x200E

/* Neither a letter nor a mark of some script: punctuation, spaces and
 * digits, Arabic-Indic ones and the Arabic comma and separators included
 * (poppler moves them too). */
static bool is_weak(uint32_t cp)
{
    if (cp == RLM || cp == LRM)
        return false;
    if ((cp >= 0x0660 && cp <= 0x066C) || (cp >= 0x06F0 && cp <= 0x06F9) || cp == 0x060C ||
        cp == 0x061B)
        return true;
    hb_script_t sc = hb_unicode_script(hb_unicode_funcs_get_default(), cp);
    return sc == HB_SCRIPT_COMMON || sc == HB_SCRIPT_UNKNOWN;
}

static bool has_weak(const U16 *t)
{
    for (size_t i = 0; i < t->len; i++)
        if (is_weak(t->units[i]))
            return true;
    return false;
}

/* Weak throughout, digits aside (poppler keeps a digit with the text on
 * its left by itself). */
static bool all_weak_not_digits(const U16 *t)
{
    hb_unicode_funcs_t *uf = hb_unicode_funcs_get_default();
    for (size_t i = 0; i < t->len; i++)
        if (!is_weak(t->units[i]) || hb_unicode_general_category(uf, t->units[i]) ==
                                         HB_UNICODE_GENERAL_CATEGORY_DECIMAL_NUMBER)
            return false;
    return t->len > 0;
}

/* poppler's character types (see RLM). */
typedef enum PopplerType { PT_NEUTRAL, PT_LTR, PT_RTL, PT_NUMBER } PopplerType;

/* The "numbers" of poppler 22.12's type table (as in libpoppler.so.126),
 * in the blocks a sheet may use next to right-to-left text. */
static bool poppler_number(uint32_t cp)
{
    static const uint32_t ranges[][2] = {
        {0x0023, 0x0025}, {0x002B, 0x003A}, {0x00A0, 0x00A0}, {0x00A2, 0x00A5},
        {0x00B0, 0x00B3}, {0x00B9, 0x00B9}, {0x0604, 0x060C}, {0x0659, 0x066C},
        {0x06F0, 0x06F9}, {0x2030, 0x2034}, {0x2044, 0x2044}, {0x2070, 0x2070},
        {0x2072, 0x207B}, {0x2080, 0x208B}, {0x208F, 0x20B1}, {0x2212, 0x2213},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof *ranges; i++)
        if (cp >= ranges[i][0] && cp <= ranges[i][1])
            return true;
    return false;
}

static PopplerType poppler_type(uint32_t cp)
{
    if (poppler_number(cp))
        return PT_NUMBER;
    if (cp == RLM)
        return PT_RTL;
    if (cp == LRM)
        return PT_LTR;
    hb_unicode_funcs_t *uf = hb_unicode_funcs_get_default();
    hb_unicode_general_category_t gc = hb_unicode_general_category(uf, cp);
    bool letter = gc == HB_UNICODE_GENERAL_CATEGORY_DECIMAL_NUMBER ||
                  (gc >= HB_UNICODE_GENERAL_CATEGORY_LOWERCASE_LETTER &&
                   gc <= HB_UNICODE_GENERAL_CATEGORY_UPPERCASE_LETTER);
    if (!letter)
        return PT_NEUTRAL;
    hb_script_t sc = hb_unicode_script(uf, cp);
    bool rtl_block = (cp >= 0x0590 && cp <= 0x08FF) || (cp >= 0xFB1D && cp <= 0xFDFF) ||
                     (cp >= 0xFE70 && cp <= 0xFEFF); /* tatweel is Common */
    if (rtl_block || hb_script_get_horizontal_direction(sc) == HB_DIRECTION_RTL)
        return PT_RTL;
    return PT_LTR;
}

/* poppler's scan passing over one unit's text from right to left; *ltr:
 * a left-to-right piece is open (the nearest character on the right that
 * is not neutral is a left-to-right letter or a number).  A unit set
 * right to left (rtl) that the open piece would take in is to be fenced,
 * and then closes it; one that is not fenced and holds a number opens a
 * piece itself.  A unit with LRM marks (lrm) leaves a piece open.
 * Returns whether the unit is to be fenced; updates *ltr. */
static bool scan_unit(const U16 *t, bool rtl, bool lrm, bool *ltr)
{
    if (lrm) {
        *ltr = true;
        return false;
    }
    bool state = *ltr;
    for (size_t i = t->len; i-- > 0;) {
        uint32_t cp = t->units[i];
        if (cp >= 0xDC00 && cp < 0xE000 && i > 0 && t->units[i - 1] >= 0xD800 &&
            t->units[i - 1] < 0xDC00) {
            i--;
            cp = 0x10000 + ((uint32_t)(t->units[i] - 0xD800) << 10) + (cp - 0xDC00);
        }
        PopplerType ty = poppler_type(cp);
        if (ty == PT_RTL) {
            state = false;
        } else if (rtl && state) {
            *ltr = false;
            return true;
        } else if (ty != PT_NEUTRAL) {
            state = true;
        }
    }
    *ltr = state;
    return false;
}

/* mark + t + mark */
static bool fence(U16 *t, uint16_t mark)
{
    if (!u16_push(t, mark) || !u16_push(t, mark))
        return false;
    memmove(t->units + 1, t->units, (t->len - 2) * sizeof *t->units);
    t->units[0] = mark;
    return true;
}

/* Tallies the page's strong characters as poppler weighs them. */
static void count_strong(Writer *w, const U16 *t)
{
    hb_unicode_funcs_t *uf = hb_unicode_funcs_get_default();
    for (size_t i = 0; i < t->len; i++) {
        uint32_t cp = t->units[i];
        if (cp == RLM) {
            w->strong_balance--;
            continue;
        }
        if (cp == LRM) {
            w->strong_balance++;
            continue;
        }
        hb_unicode_general_category_t gc = hb_unicode_general_category(uf, cp);
        hb_script_t sc = hb_unicode_script(uf, cp);
        if (gc < HB_UNICODE_GENERAL_CATEGORY_LOWERCASE_LETTER ||
            gc > HB_UNICODE_GENERAL_CATEGORY_UPPERCASE_LETTER || sc == HB_SCRIPT_COMMON ||
            sc == HB_SCRIPT_INHERITED || sc == HB_SCRIPT_UNKNOWN)
            continue;
        w->strong_balance += hb_script_get_horizontal_direction(sc) == HB_DIRECTION_RTL ? -1 : 1;
    }
}

static bool only_spaces(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ')
            return false;
    return true;
}

/* Whether a span is set right to left.  A run of several glyphs says so
 * by its clusters, descending on the page.  One glyph alone (a space or a
 * bracket in a fallback font, a lone digit) is judged by its neighbours
 * on the line in the same paragraph: right to left, what stands on its
 * left comes later in the text and what stands on its right earlier. */
static bool span_is_rtl(const Page *p, size_t k)
{
    const GlyphSpan *s = &p->boxes[k].u.text;
    size_t n = s->glyph_count;
    if (n > 1)
        return s->glyphs[0].cluster > s->glyphs[n - 1].cluster;
    if (n == 0)
        return false;
    const GlyphSpan *left = NULL, *right = NULL;
    for (size_t i = 0; i < p->box_count; i++) {
        const GlyphSpan *o = &p->boxes[i].u.text;
        if (i == k || p->boxes[i].kind != BOX_TEXT || o->text != s->text || o->y != s->y ||
            o->glyph_count == 0)
            continue;
        if (o->x < s->x && (!left || o->x > left->x))
            left = o;
        if (o->x > s->x && (!right || o->x < right->x))
            right = o;
    }
    uint32_t c = s->glyphs[0].cluster;
    if (left && left->glyphs[left->glyph_count - 1].cluster > c)
        return true;
    if (right && right->glyphs[0].cluster < c)
        return true;
    return false;
}

static size_t cluster_end(const GlyphSpan *s, size_t i)
{
    size_t j = i + 1;
    while (j < s->glyph_count && s->glyphs[j].cluster == s->glyphs[i].cluster)
        j++;
    return j;
}

static bool takes_no_room(const GlyphSpan *s, size_t i, size_t j)
{
    for (; i < j; i++)
        if (s->glyphs[i].x_advance != 0)
            return false;
    return true;
}

/* The glyphs extracted as one: a cluster, and with it the marks that the
 * shaper made clusters of their own (HarfBuzz's character cluster
 * levels).  poppler takes a zero-width glyph that starts within 0.1 em of
 * the next for a duplicate and breaks the word there ("दे खभाल"), and a
 * raised one for a line of its own, but reads them right inside their
 * base's ActualText.  The base comes before its marks in logical order:
 * right to left, they precede it on the page. */
static size_t unit_end(const GlyphSpan *s, size_t i, bool rtl)
{
    size_t n = s->glyph_count, j = cluster_end(s, i);
    if (rtl) {
        while (j < n && takes_no_room(s, i, j)) {
            i = j;
            j = cluster_end(s, j);
        }
    } else {
        while (j < n && takes_no_room(s, j, cluster_end(s, j)))
            j = cluster_end(s, j);
    }
    return j;
}

/* The text glyphs [i, j) of s stand for, in w->text as extractors are to
 * read it (see rtl_cluster_text), without marks; *end: the byte after it
 * in s->text.  sort_clusters(s) must have been called. */
static int unit_text(Writer *w, const GlyphSpan *s, size_t i, size_t j, size_t nclusters,
                     uint32_t *end)
{
    const Glyph *g = s->glyphs;
    uint32_t lo = g[i].cluster, hi = g[i].cluster;
    for (size_t l = i + 1; l < j; l++) {
        lo = g[l].cluster < lo ? g[l].cluster : lo;
        hi = g[l].cluster > hi ? g[l].cluster : hi;
    }
    size_t k = cluster_index(w->clusters, nclusters, lo);
    size_t k_hi = cluster_index(w->clusters, nclusters, hi);
    *end = k_hi + 1 < nclusters ? w->clusters[k_hi + 1] : s->text_end;
    int ok = u16_from_utf8(&w->text, s->text + lo, *end - lo, true);
    if (ok <= 0) {
        if (ok == 0)
            diag_error(NULL, "pdf: invalid UTF-8 in text at byte %u", lo);
        return ok == 0 ? -1 : out_of_memory();
    }
    /* A cluster split into two runs (unusual shaping) must not be
     * extracted twice: its second run stands for nothing. */
    if (w->seen[k])
        w->text.len = 0;
    for (; k <= k_hi; k++)
        w->seen[k] = true;
    rtl_cluster_text(&w->text, j - i == 1);
    return 0;
}

/* A unit of a left-to-right span gets LRM marks (see RLM). */
static bool wants_lrm(const Writer *w, const GlyphSpan *s, uint32_t end)
{
    return w->rtl_doc && only_spaces(s->text + end, s->text_end - end) &&
           all_weak_not_digits(&w->text);
}

/* w->units, per glyph of the span: */
enum {
    UNIT_START = 1, /* the first glyph of a unit */
    UNIT_FENCE = 2, /* ... and the unit is to be fenced */
    /* While scanning, what scan_unit says for the unit entered with no
     * piece open (SCAN_FENCE, SCAN_OPEN: the state it leaves), and the
     * same shifted by SCAN_IF_OPEN for it entered with one. */
    SCAN_FENCE = 2,
    SCAN_OPEN = 4,
    SCAN_IF_OPEN = 2
};

/* Runs poppler's scan over span s of a right-to-left sheet, entered from
 * the right in state *ltr (see scan_unit): marks in w->units each unit's
 * first glyph, and those of the units to be fenced; leaves in *ltr the
 * state at the span's left end. */
static int scan_span(Writer *w, const GlyphSpan *s, bool rtl, bool *ltr)
{
    size_t n = s->glyph_count, nclusters;
    if (n > w->units_cap) {
        uint8_t *u = realloc(w->units, n);
        if (!u)
            return out_of_memory();
        w->units = u;
        w->units_cap = n;
    }
    if (sort_clusters(w, s, &nclusters))
        return -1;
    memset(w->units, 0, n);
    /* The texts come in the order emit_glyphs makes them (a split
     * cluster's text goes with its first run), the state right to left. */
    for (size_t i = 0, j; i < n; i = j) {
        j = unit_end(s, i, rtl);
        uint32_t end;
        if (unit_text(w, s, i, j, nclusters, &end))
            return -1;
        bool lrm = !rtl && wants_lrm(w, s, end);
        unsigned u = UNIT_START;
        for (int open = 0; open < 2; open++) {
            bool state = open;
            bool f = scan_unit(&w->text, rtl, lrm, &state);
            u |= ((f ? SCAN_FENCE : 0u) | (state ? SCAN_OPEN : 0u)) << (open ? SCAN_IF_OPEN : 0);
        }
        w->units[i] = (uint8_t)u;
    }
    bool state = *ltr;
    for (size_t i = n; i-- > 0;) {
        unsigned u = w->units[i];
        if (!(u & UNIT_START))
            continue;
        u >>= state ? SCAN_IF_OPEN : 0;
        state = u & SCAN_OPEN;
        w->units[i] = UNIT_START | (u & SCAN_FENCE ? UNIT_FENCE : 0);
    }
    *ltr = state;
    return 0;
}

/* The next text box on the right of box k on the same baseline, or
 * SIZE_MAX.  All of them count: a span of another paragraph or column on
 * the line at worst costs a mark poppler would not have needed. */
static size_t right_neighbour(const Page *p, size_t k)
{
    const GlyphSpan *s = &p->boxes[k].u.text;
    size_t r = SIZE_MAX;
    for (size_t i = 0; i < p->box_count; i++) {
        const GlyphSpan *o = &p->boxes[i].u.text;
        if (p->boxes[i].kind != BOX_TEXT || o->glyph_count == 0 || fabs(o->y - s->y) > 0.01 ||
            o->x <= s->x)
            continue;
        if (r == SIZE_MAX || o->x < p->boxes[r].u.text.x)
            r = i;
    }
    return r;
}

/* poppler's scan over box k of page p and the line on its right: fills
 * w->units for box k, and leaves in *ltr the state at its left end. */
static int scan_line(Writer *w, const Page *p, size_t k, bool *ltr)
{
    bool state = false;
    size_t r = right_neighbour(p, k);
    if (r != SIZE_MAX) {
        if (w->line_state[r] < 0 && scan_line(w, p, r, &state))
            return -1;
        state = w->line_state[r] == 1;
    }
    if (scan_span(w, &p->boxes[k].u.text, span_is_rtl(p, k), &state))
        return -1;
    w->line_state[k] = state;
    *ltr = state;
    return 0;
}

/* Glyphs [i, j) are extracted as one (see unit_end).  The lead glyph's
 * ToUnicode entry carries their text when that is unambiguous; otherwise
 * (the glyph already means something else, or there are several glyphs)
 * ActualText says what the glyphs stand for. */
static int emit_cluster(Writer *w, Tj *t, FontUse *fu, const GlyphSpan *s,
                        size_t i, size_t j, size_t nclusters, bool rtl)
{
    const Glyph *g = s->glyphs;
    uint32_t end;
    if (unit_text(w, s, i, j, nclusters, &end))
        return -1;
    bool single = j - i == 1, wrap;
    size_t lead = single ? i : lead_glyph(g, i, j);
    if (map_cluster(fu, use_glyph(fu, g[lead].gid), &w->text, single, &wrap))
        return -1;
    /* Marks for poppler (see RLM); the ToUnicode entry stays plain.  On a
     * left-to-right sheet every weak character set right to left gets
     * them. */
    if (rtl ? (w->rtl_doc ? w->units[i] & UNIT_FENCE : has_weak(&w->text))
            : wants_lrm(w, s, end)) {
        if (!fence(&w->text, rtl ? RLM : LRM))
            return out_of_memory();
        wrap = true;
    }
    count_strong(w, &w->text);
    if (wrap)
        begin_actual_text(t, &w->text);
    /* The lead glyph first, then the others in order, each at its own pen
     * position; when that changed the order, the last one shown is
     * stretched to end where the cluster ends. */
    int64_t lead_pen = t->pen, cluster_end = t->pen;
    for (size_t l = i; l < j; l++) {
        if (l < lead)
            lead_pen += g[l].x_advance;
        cluster_end += g[l].x_advance;
    }
    size_t last = lead == j - 1 && !single ? j - 2 : j - 1;
    show_glyph(t, fu, &g[lead], lead_pen, false, cluster_end);
    int64_t pen = t->pen;
    for (size_t l = i; l < j; l++) {
        if (l != lead)
            show_glyph(t, fu, &g[l], pen, l == last && lead != i, cluster_end);
        pen += g[l].x_advance;
    }
    t->pen = cluster_end;
    if (wrap) {
        /* poppler takes the span's extent from its last glyph, minus the
         * Tc in effect at EMC: reset first, or the stretch is lost. */
        tj_close(t);
        tj_set(t, &t->tc, 0, " Tc\n");
        buf_str(t->b, "EMC\n");
    }
    return 0;
}

static int emit_glyphs(Writer *w, Tj *t, FontUse *fu, const GlyphSpan *s, bool rtl)
{
    size_t nclusters, n = s->glyph_count;
    if (sort_clusters(w, s, &nclusters))
        return -1;
    for (size_t i = 0, j; i < n; i = j) {
        j = unit_end(s, i, rtl);
        if (emit_cluster(w, t, fu, s, i, j, nclusters, rtl))
            return -1;
    }
    tj_end(t);
    return 0;
}

static int font_resource(Writer *w, FontUse *fu)
{
    HPDF_Doc pdf = w->pdf;
    if (!fu->type0) {
        fu->type0 = HPDF_Dict_New(pdf->mmgr);
        if (hpdf_check(w, "font", !fu->type0 || HPDF_Xref_Add(pdf->xref, fu->type0) != HPDF_OK))
            return -1;
    }
    if (fu->on_page == w->page_no)
        return 0;
    /* libharu keeps the page's /Font dictionary in attr->fonts and would
     * make a second one if it did not find ours there. */
    HPDF_PageAttr attr = (HPDF_PageAttr)w->page->attr;
    if (!attr->fonts) {
        HPDF_Dict res = HPDF_Dict_GetItem(w->page, "Resources", HPDF_OCLASS_DICT);
        HPDF_Dict fonts = HPDF_Dict_New(pdf->mmgr);
        if (hpdf_check(w, "font resources",
                       !res || !fonts || HPDF_Dict_Add(res, "Font", fonts) != HPDF_OK))
            return -1;
        attr->fonts = fonts;
    }
    fu->on_page = w->page_no;
    return hpdf_check(w, "font resources",
                      HPDF_Dict_Add(attr->fonts, fu->key, fu->type0) != HPDF_OK);
}

/* Tf and rg persist across text objects, so they are only written when
 * they change. */
static void text_state(Writer *w, const FontUse *fu, const GlyphSpan *s)
{
    Buf *b = &w->out;
    int64_t size = to_milli(s->size);
    if (w->tf_font != fu || w->tf_size != size) {
        buf_str(b, "/");
        buf_str(b, fu->key);
        buf_str(b, " ");
        buf_milli(b, size);
        buf_str(b, " Tf\n");
        w->tf_font = fu;
        w->tf_size = size;
    }
    int64_t rgb[3] = {to_milli(s->color.r), to_milli(s->color.g), to_milli(s->color.b)};
    if (!w->rgb_valid || memcmp(rgb, w->rgb, sizeof rgb) != 0) {
        for (int i = 0; i < 3; i++) {
            buf_milli(b, rgb[i]);
            buf_str(b, " ");
        }
        buf_str(b, "rg\n");
        memcpy(w->rgb, rgb, sizeof rgb);
        w->rgb_valid = true;
    }
}

static int draw_text(Writer *w, const Page *p, size_t k)
{
    const GlyphSpan *s = &p->boxes[k].u.text;
    if (s->glyph_count == 0)
        return 0;
    bool rtl = span_is_rtl(p, k), ltr;
    if (w->rtl_doc && scan_line(w, p, k, &ltr))
        return -1;
    FontUse *fu = font_use(w, s->font);
    if (font_resource(w, fu))
        return -1;
    Buf *b = &w->out;
    b->len = 0;
    buf_str(b, "BT\n");
    text_state(w, fu, s);
    buf_str(b, "1 0 0 1 ");
    buf_num(b, s->x);
    buf_str(b, " ");
    buf_num(b, s->y);
    buf_str(b, " Tm\n");
    Tj t = {.b = b, .font = fu->font, .size = s->size};
    if (emit_glyphs(w, &t, fu, s, rtl))
        return -1;
    buf_str(b, "ET\n");
    if (b->oom)
        return out_of_memory();
    HPDF_Stream stream = ((HPDF_PageAttr)w->page->attr)->stream;
    return hpdf_check(w, "page content",
                      HPDF_Stream_Write(stream, (const HPDF_BYTE *)b->data,
                                        (HPDF_UINT)b->len) != HPDF_OK);
}

/* poppler (22.12) reads a whole page in one direction, that of the
 * majority of its letters (RLM and LRM count).  On a right-to-left sheet a
 * page that is mostly Latin citations would be read left to right, and
 * every Arabic line on it would come out in visual order, words and all.
 * So such a page ends with one invisible glyph (a space, no ink, in render
 * mode 3) whose ActualText holds enough RLMs to tip the balance, with a
 * margin because poppler may classify a few characters differently from
 * HarfBuzz, placed at the right end of the page's first right-to-left
 * line.  They are formatting characters only: no reader gets other words
 * from them. */
enum { DIRECTION_MARGIN = 16 };

static int draw_direction_marker(Writer *w, const Page *p)
{
    long balance = w->strong_balance;
    const GlyphSpan *anchor = NULL;
    for (size_t i = 0; i < p->box_count && !anchor; i++) {
        const GlyphSpan *s = &p->boxes[i].u.text;
        size_t n = s->glyph_count;
        if (p->boxes[i].kind == BOX_TEXT && n > 1 &&
            s->glyphs[0].cluster > s->glyphs[n - 1].cluster)
            anchor = s;
    }
    if (!anchor || balance < -DIRECTION_MARGIN)
        return 0;
    hb_codepoint_t gid;
    if (!hb_font_get_nominal_glyph(anchor->font->hb, ' ', &gid))
        return 0;
    FontUse *fu = font_use(w, anchor->font);
    if (font_resource(w, fu))
        return -1;
    int64_t adv = 0;
    for (size_t i = 0; i < anchor->glyph_count; i++)
        adv += anchor->glyphs[i].x_advance;
    Buf *b = &w->out;
    b->len = 0;
    buf_str(b, "BT\n");
    text_state(w, fu, anchor);
    buf_str(b, "3 Tr\n1 0 0 1 ");
    buf_num(b, anchor->x + (double)adv * anchor->size / anchor->font->upem);
    buf_str(b, " ");
    buf_num(b, anchor->y);
    buf_str(b, " Tm\n/Span<</ActualText<FEFF");
    for (long i = 0; i <= balance + DIRECTION_MARGIN; i++)
        buf_hex4(b, RLM);
    buf_str(b, ">>>BDC\n<");
    use_glyph(fu, gid);
    unsigned code = glyph_code(fu, gid);
    buf_hex4(b, code);
    buf_str(b, ">Tj\nEMC\n0 Tr\nET\n");
    if (b->oom)
        return out_of_memory();
    HPDF_Stream stream = ((HPDF_PageAttr)w->page->attr)->stream;
    return hpdf_check(w, "page content",
                      HPDF_Stream_Write(stream, (const HPDF_BYTE *)b->data,
                                        (HPDF_UINT)b->len) != HPDF_OK);
}

static int write_page(Writer *w, size_t index)
{
    const Page *p = &w->doc->pages[index];
    w->page = HPDF_AddPage(w->pdf);
    if (hpdf_check(w, "page", !w->page))
        return -1;
    bool bad = HPDF_Page_SetWidth(w->page, (HPDF_REAL)w->doc->width) != HPDF_OK;
    bad |= HPDF_Page_SetHeight(w->page, (HPDF_REAL)w->doc->height) != HPDF_OK;
    if (hpdf_check(w, "page size", bad))
        return -1;
    w->page_no = index + 1;
    w->strong_balance = 0;
    w->tf_font = NULL;
    w->rgb_valid = false;
    if (p->box_count > w->line_state_cap) {
        int8_t *ls = realloc(w->line_state, p->box_count);
        if (!ls)
            return out_of_memory();
        w->line_state = ls;
        w->line_state_cap = p->box_count;
    }
    if (p->box_count)
        memset(w->line_state, -1, p->box_count);
    for (size_t i = 0; i < p->box_count; i++) {
        const Box *box = &p->boxes[i];
        int rc = box->kind == BOX_TEXT ? draw_text(w, p, i) : draw_rect(w, &box->u.rect);
        if (rc)
            return -1;
    }
    return w->rtl_doc ? draw_direction_marker(w, p) : 0;
}

/* ------------------------------------------------------------------ */
/* Outline */

static int write_bookmark(Writer *w, const Bookmark *bm)
{
    HPDF_Doc pdf = w->pdf;
    HPDF_Page page = HPDF_GetPageByIndex(pdf, (HPDF_UINT)bm->page);
    HPDF_Outline item = page ? HPDF_CreateOutline(pdf, NULL, "", NULL) : NULL;
    if (hpdf_check(w, "outline", !item))
        return -1;
    if (add_text(w, item, "Title", bm->title, "bookmark title"))
        return -1;
    /* libharu marks every item /Type /Outlines; only the root may be. */
    HPDF_Dict_RemoveElement(item, "Type");
    /* /XYZ with a null zoom keeps the reader's zoom, which
     * HPDF_Destination_SetXYZ cannot express. */
    HPDF_Destination dst = HPDF_Page_CreateDestination(page);
    if (hpdf_check(w, "outline destination", !dst))
        return -1;
    HPDF_Array_Clear(dst);
    bool bad = HPDF_Array_Add(dst, page) != HPDF_OK;
    bad |= HPDF_Array_AddName(dst, "XYZ") != HPDF_OK;
    bad |= HPDF_Array_AddReal(dst, 0) != HPDF_OK;
    bad |= HPDF_Array_AddReal(dst, (HPDF_REAL)bm->y) != HPDF_OK;
    bad |= HPDF_Array_Add(dst, HPDF_Null_New(pdf->mmgr)) != HPDF_OK;
    bad |= HPDF_Outline_SetDestination(item, dst) != HPDF_OK;
    return hpdf_check(w, "outline destination", bad);
}

static int write_outline(Writer *w)
{
    for (size_t i = 0; i < w->doc->bookmark_count; i++)
        if (write_bookmark(w, &w->doc->bookmarks[i]))
            return -1;
    if (w->doc->bookmark_count == 0)
        return 0;
    return hpdf_check(w, "page mode",
                      HPDF_SetPageMode(w->pdf, HPDF_PAGE_MODE_USE_OUTLINE) != HPDF_OK);
}

/* ------------------------------------------------------------------ */
/* Fonts, filled once all pages are written */

/* Same glyph set, same tag: the output stays reproducible while two
 * different subsets of one font in one reader do not collide. */
static void subset_tag(const FontUse *fu, char *tag)
{
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
    for (const char *p = font_name(fu->font); *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3u;
    for (unsigned gid = 0; gid < fu->glyph_count; gid++)
        if (fu->glyphs[gid].used) {
            h = (h ^ (gid & 0xFF)) * 0x100000001b3u;
            h = (h ^ (gid >> 8)) * 0x100000001b3u;
        }
    for (int i = 0; i < 6; i++) {
        tag[i] = (char)('A' + h % 26);
        h /= 26;
    }
}

static hb_subset_input_t *subset_input(const FontUse *fu)
{
    hb_subset_input_t *in = hb_subset_input_create_or_fail();
    if (!in)
        return NULL;
    hb_set_t *glyphs = hb_subset_input_glyph_set(in);
    hb_set_add(glyphs, 0);
    for (unsigned gid = 1; gid < fu->glyph_count; gid++)
        if (fu->glyphs[gid].used)
            hb_set_add(glyphs, gid);
    hb_set_t *drop = hb_subset_input_set(in, HB_SUBSET_SETS_DROP_TABLE_TAG);
    /* Only what the PDF reads is kept.  A CFF font is embedded as its bare
     * 'CFF ' table; every other table would be subset for nothing (cmap
     * and vmtx of a CJK face take milliseconds).  A TrueType font program
     * under a CIDFont needs six tables (PDF 32000 9.9); cmap, OS/2 and post
     * are kept too because some readers' font loaders insist on them.
     * Names and layout tables go: the latter would also drag in every
     * glyph reachable by substitution. */
    static const hb_tag_t truetype_keep[] = {
        HB_TAG('g', 'l', 'y', 'f'), HB_TAG('l', 'o', 'c', 'a'), HB_TAG('h', 'e', 'a', 'd'),
        HB_TAG('h', 'h', 'e', 'a'), HB_TAG('h', 'm', 't', 'x'), HB_TAG('m', 'a', 'x', 'p'),
        HB_TAG('c', 'm', 'a', 'p'), HB_TAG('O', 'S', '/', '2'), HB_TAG('p', 'o', 's', 't'),
    };
    hb_tag_t tags[64];
    unsigned offset = 0, count;
    do {
        count = sizeof tags / sizeof tags[0];
        hb_face_get_table_tags(fu->font->face, offset, &count, tags);
        for (unsigned i = 0; i < count; i++) {
            bool keep = fu->cff && tags[i] == HB_TAG('C', 'F', 'F', ' ');
            for (size_t k = 0; !fu->cff && k < sizeof truetype_keep / sizeof truetype_keep[0]; k++)
                keep |= tags[i] == truetype_keep[k];
            if (!keep)
                hb_set_add(drop, tags[i]);
        }
        offset += count;
    } while (count == sizeof tags / sizeof tags[0]);
    /* TrueType keeps the used glyphs (plus .notdef) under their original
     * ids, so the content written earlier stays valid and /CIDToGIDMap is
     * /Identity; the padding compresses away.  A CFF font's content is in
     * CIDs, which survive renumbering, and retained ids would cost an empty
     * charstring per skipped glyph: 65,535 in a CJK face.  Subroutines
     * shared by a few hundred glyphs save less than their indexes cost:
     * inlined, a CJK sheet's font is 5-10% smaller after Flate. */
    hb_subset_input_set_flags(in, fu->cff ? HB_SUBSET_FLAGS_NO_HINTING |
                                                HB_SUBSET_FLAGS_DESUBROUTINIZE
                                          : HB_SUBSET_FLAGS_RETAIN_GIDS |
                                                HB_SUBSET_FLAGS_NO_HINTING);
    return in;
}

/* hb-subset keeps a CID-keyed font's CIDs, and the content depends on it:
 * checked, so that a change in HarfBuzz shows up as an error rather than
 * as wrong glyphs. */
static bool subset_keeps_cids(const FontUse *fu, const char *data, unsigned len)
{
    uint16_t *cids;
    unsigned count;
    if (cff_cids(data, len, &cids, &count) != CFF_OK)
        return false;
    bool twice;
    unsigned char *set = cid_set(cids, count, &twice);
    free(cids);
    bool ok = set != NULL;
    for (unsigned gid = 1; gid < fu->glyph_count && ok; gid++)
        ok = !fu->glyphs[gid].used || cid_in(set, glyph_code(fu, gid));
    free(set);
    return ok;
}

/* The font program to embed: the whole subset font for TrueType, the bare
 * 'CFF ' table for CFF (FontFile3 /CIDFontType0C; poppler 22.12 draws
 * wrong glyphs from FontFile3 /OpenType). */
static hb_blob_t *subset_font(const FontUse *fu)
{
    hb_subset_input_t *in = subset_input(fu);
    if (!in)
        return NULL;
    hb_face_t *face = hb_subset_or_fail(fu->font->face, in);
    hb_subset_input_destroy(in);
    if (!face)
        return NULL;
    hb_blob_t *blob = fu->cff ? hb_face_reference_table(face, HB_TAG('C', 'F', 'F', ' '))
                              : hb_face_reference_blob(face);
    hb_face_destroy(face);
    unsigned len;
    const char *data = hb_blob_get_data(blob, &len);
    if (len == 0 || (fu->cff && !subset_keeps_cids(fu, data, len))) {
        hb_blob_destroy(blob);
        return NULL;
    }
    return blob;
}

/* DictStream_New ignores the document's compression mode. */
static HPDF_Dict new_stream(Writer *w)
{
    HPDF_Dict s = HPDF_DictStream_New(w->pdf->mmgr, w->pdf->xref);
    if (s)
        s->filter = HPDF_STREAM_FILTER_FLATE_DECODE;
    return s;
}

static HPDF_Dict font_file(Writer *w, const FontUse *fu)
{
    hb_blob_t *blob = subset_font(fu);
    if (!blob) {
        diag_error(NULL, "pdf: hb-subset failed for font %s", font_name(fu->font));
        return NULL;
    }
    unsigned len;
    const char *data = hb_blob_get_data(blob, &len);
    HPDF_Dict s = new_stream(w);
    bool bad = !s || HPDF_Stream_Write(s->stream, (const HPDF_BYTE *)data, len) != HPDF_OK;
    if (!bad && fu->cff)
        bad = HPDF_Dict_AddName(s, "Subtype", "CIDFontType0C") != HPDF_OK;
    else if (!bad)
        bad = HPDF_Dict_AddNumber(s, "Length1", (HPDF_INT32)len) != HPDF_OK;
    hb_blob_destroy(blob);
    if (hpdf_check(w, "font file", bad))
        return NULL;
    return s;
}

/* StemV is not stored in TrueType fonts; this estimate from the weight
 * class is the one many PDF producers use. */
static int stem_v(const Font *f)
{
    double weight = hb_style_get_value(f->hb, HB_STYLE_TAG_WEIGHT);
    if (!(weight > 0))
        weight = f->bold ? 700 : 400;
    return 50 + (int)(weight * weight / 4225.0);
}

static HPDF_Dict font_descriptor(Writer *w, const FontUse *fu, const char *name,
                                 HPDF_Dict file)
{
    const Font *f = fu->font;
    HPDF_MMgr mmgr = w->pdf->mmgr;
    HPDF_Dict d = HPDF_Dict_New(mmgr);
    if (!d || HPDF_Xref_Add(w->pdf->xref, d) != HPDF_OK)
        return NULL;
    int flags = 4 /* symbolic: glyphs beyond the standard Latin set */;
    flags |= f->fixed_pitch ? 1 : 0;
    flags |= f->serif ? 2 : 0;
    flags |= f->italic ? 64 : 0;
    HPDF_Array bbox = HPDF_Array_New(mmgr);
    bool bad = !bbox;
    for (int i = 0; i < 4 && bbox; i++)
        bad |= HPDF_Array_AddNumber(bbox, to_1000em(f, f->bbox[i])) != HPDF_OK;
    bad |= HPDF_Dict_AddName(d, "Type", "FontDescriptor") != HPDF_OK;
    bad |= HPDF_Dict_AddName(d, "FontName", name) != HPDF_OK;
    bad |= HPDF_Dict_AddNumber(d, "Flags", flags) != HPDF_OK;
    bad |= HPDF_Dict_Add(d, "FontBBox", bbox) != HPDF_OK;
    bad |= HPDF_Dict_AddReal(d, "ItalicAngle", (HPDF_REAL)f->italic_angle) != HPDF_OK;
    bad |= HPDF_Dict_AddNumber(d, "Ascent", to_1000em(f, f->ascender)) != HPDF_OK;
    bad |= HPDF_Dict_AddNumber(d, "Descent", to_1000em(f, f->descender)) != HPDF_OK;
    bad |= HPDF_Dict_AddNumber(d, "CapHeight",
                               to_1000em(f, f->cap_height ? f->cap_height : f->ascender)) != HPDF_OK;
    if (f->x_height)
        bad |= HPDF_Dict_AddNumber(d, "XHeight", to_1000em(f, f->x_height)) != HPDF_OK;
    bad |= HPDF_Dict_AddNumber(d, "StemV", stem_v(f)) != HPDF_OK;
    bad |= HPDF_Dict_Add(d, fu->cff ? "FontFile3" : "FontFile2", file) != HPDF_OK;
    return bad ? NULL : d;
}

/* /W as "first [w w w ...]" over runs of consecutive codes.  Glyphs as
 * wide as /DW need no entry: in CJK text that is nearly all of them. */
static HPDF_Array widths(Writer *w, const FontUse *fu)
{
    HPDF_MMgr mmgr = w->pdf->mmgr;
    HPDF_Array list = HPDF_Array_New(mmgr);
    HPDF_Array run = NULL;
    unsigned prev = 0, run_len = 0;
    bool bad = !list;
    for (unsigned gid = 1; gid < fu->glyph_count && !bad; gid++) {
        const GlyphUse *u = &fu->glyphs[gid];
        if (!u->used || u->width == DEFAULT_WIDTH) {
            run = NULL;
            continue;
        }
        unsigned code = glyph_code(fu, gid);
        if (!run || code != prev + 1 || run_len == MAX_W_RUN) {
            run = HPDF_Array_New(mmgr);
            bad |= HPDF_Array_AddNumber(list, (HPDF_INT32)code) != HPDF_OK;
            bad |= HPDF_Array_Add(list, run) != HPDF_OK;
            run_len = 0;
        }
        bad |= HPDF_Array_AddNumber(run, u->width) != HPDF_OK;
        prev = code;
        run_len++;
    }
    return bad ? NULL : list;
}

static HPDF_Dict cid_system_info(Writer *w)
{
    HPDF_MMgr mmgr = w->pdf->mmgr;
    HPDF_Dict d = HPDF_Dict_New(mmgr);
    if (!d)
        return NULL;
    bool bad = HPDF_Dict_Add(d, "Registry", HPDF_String_New(mmgr, "Adobe", NULL)) != HPDF_OK;
    bad |= HPDF_Dict_Add(d, "Ordering", HPDF_String_New(mmgr, "Identity", NULL)) != HPDF_OK;
    bad |= HPDF_Dict_AddNumber(d, "Supplement", 0) != HPDF_OK;
    return bad ? NULL : d;
}

static HPDF_Dict cid_font(Writer *w, const FontUse *fu, const char *name,
                          HPDF_Dict descriptor)
{
    HPDF_Dict d = HPDF_Dict_New(w->pdf->mmgr);
    if (!d || HPDF_Xref_Add(w->pdf->xref, d) != HPDF_OK)
        return NULL;
    bool bad = HPDF_Dict_AddName(d, "Type", "Font") != HPDF_OK;
    /* A CFF font finds its glyphs by CID through its own charset. */
    bad |= HPDF_Dict_AddName(d, "Subtype", fu->cff ? "CIDFontType0" : "CIDFontType2") != HPDF_OK;
    bad |= HPDF_Dict_AddName(d, "BaseFont", name) != HPDF_OK;
    bad |= HPDF_Dict_Add(d, "CIDSystemInfo", cid_system_info(w)) != HPDF_OK;
    bad |= HPDF_Dict_Add(d, "FontDescriptor", descriptor) != HPDF_OK;
    bad |= HPDF_Dict_AddNumber(d, "DW", DEFAULT_WIDTH) != HPDF_OK;
    bad |= HPDF_Dict_Add(d, "W", widths(w, fu)) != HPDF_OK;
    if (!fu->cff)
        bad |= HPDF_Dict_AddName(d, "CIDToGIDMap", "Identity") != HPDF_OK;
    return bad ? NULL : d;
}

static const char cmap_head[] =
    "/CIDInit /ProcSet findresource begin\n"
    "12 dict begin\n"
    "begincmap\n"
    "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
    "/CMapName /Adobe-Identity-UCS def\n"
    "/CMapType 2 def\n"
    "1 begincodespacerange\n"
    "<0000> <FFFF>\n"
    "endcodespacerange\n";

static const char cmap_tail[] =
    "endcmap\n"
    "CMapName currentdict /CMap defineresource pop\n"
    "end\n"
    "end\n";

static unsigned mapped_from(const FontUse *fu, unsigned gid, unsigned max, unsigned *next)
{
    unsigned n = 0;
    for (; gid < fu->glyph_count && n < max; gid++)
        n += fu->glyphs[gid].map_len > 0;
    *next = gid;
    return n;
}

static void cmap_text(const FontUse *fu, Buf *b)
{
    buf_str(b, cmap_head);
    unsigned gid = 1, next;
    unsigned n;
    while ((n = mapped_from(fu, gid, BFCHAR_BLOCK, &next)) > 0) {
        buf_uint(b, n);
        buf_str(b, " beginbfchar\n");
        for (; gid < next; gid++) {
            const GlyphUse *u = &fu->glyphs[gid];
            if (!u->map_len)
                continue;
            buf_str(b, "<");
            buf_hex4(b, glyph_code(fu, gid));
            buf_str(b, "> <");
            buf_u16_hex(b, fu->map.units + u->map_off, u->map_len);
            buf_str(b, ">\n");
        }
        buf_str(b, "endbfchar\n");
    }
    buf_str(b, cmap_tail);
}

static HPDF_Dict to_unicode(Writer *w, const FontUse *fu)
{
    Buf *b = &w->out;
    b->len = 0;
    cmap_text(fu, b);
    if (b->oom) {
        out_of_memory();
        return NULL;
    }
    HPDF_Dict s = new_stream(w);
    if (!s || HPDF_Stream_Write(s->stream, (const HPDF_BYTE *)b->data,
                                (HPDF_UINT)b->len) != HPDF_OK)
        return NULL;
    return s;
}

/* TAG+PostScriptName, keeping only what a PostScript name may contain. */
static void base_font_name(const FontUse *fu, char name[HPDF_LIMIT_MAX_NAME_LEN + 1])
{
    subset_tag(fu, name);
    size_t n = 6;
    name[n++] = '+';
    const char *ps = fu->font->postscript_name ? fu->font->postscript_name : "Font";
    for (; *ps && n < HPDF_LIMIT_MAX_NAME_LEN; ps++)
        if (*ps > 0x20 && *ps < 0x7F && !strchr("[](){}<>/%#", *ps))
            name[n++] = *ps;
    name[n] = '\0';
}

static int fill_font(Writer *w, const FontUse *fu)
{
    char name[HPDF_LIMIT_MAX_NAME_LEN + 1];
    base_font_name(fu, name);
    HPDF_Dict file = font_file(w, fu);
    if (!file)
        return -1; /* reported */
    HPDF_Dict desc = font_descriptor(w, fu, name, file);
    HPDF_Dict cid = desc ? cid_font(w, fu, name, desc) : NULL;
    HPDF_Dict cmap = cid ? to_unicode(w, fu) : NULL;
    if (hpdf_check(w, "font", !cmap))
        return -1;
    HPDF_Dict t0 = fu->type0;
    HPDF_Array descendants = HPDF_Array_New(w->pdf->mmgr);
    bool bad = !descendants || HPDF_Array_Add(descendants, cid) != HPDF_OK;
    bad |= HPDF_Dict_AddName(t0, "Type", "Font") != HPDF_OK;
    bad |= HPDF_Dict_AddName(t0, "Subtype", "Type0") != HPDF_OK;
    bad |= HPDF_Dict_AddName(t0, "BaseFont", name) != HPDF_OK;
    bad |= HPDF_Dict_AddName(t0, "Encoding", "Identity-H") != HPDF_OK;
    bad |= HPDF_Dict_Add(t0, "DescendantFonts", descendants) != HPDF_OK;
    bad |= HPDF_Dict_Add(t0, "ToUnicode", cmap) != HPDF_OK;
    return hpdf_check(w, "font", bad);
}

static int write_fonts(Writer *w)
{
    for (size_t i = 0; i < w->font_count; i++)
        if (w->fonts[i].type0 && fill_font(w, &w->fonts[i]))
            return -1;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Saving: libharu serialises into memory; the file is written with stdio
 * so that every write error, including the one fclose reports, is seen,
 * and a partial file can be removed. */

static bool write_chunks(HPDF_Stream s, FILE *f)
{
    size_t total = 0;
    HPDF_UINT count = HPDF_MemStream_GetBufCount(s);
    for (HPDF_UINT i = 0; i < count; i++) {
        HPDF_UINT len = 0;
        HPDF_BYTE *p = HPDF_MemStream_GetBufPtr(s, i, &len);
        if (!p || fwrite(p, 1, len, f) != len)
            return false;
        total += len;
    }
    if (total != HPDF_Stream_Size(s)) {
        errno = EIO;
        return false;
    }
    return true;
}

static int write_file(Writer *w, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        diag_error(NULL, "pdf: cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    /* Only a regular file is ours to remove on failure (not /dev/...). */
    struct stat st;
    bool regular = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
    errno = 0;
    bool ok = write_chunks(w->pdf->stream, f);
    int err = errno;
    if (fclose(f) != 0 && ok) {
        ok = false;
        err = errno;
    }
    if (ok)
        return 0;
    diag_error(NULL, "pdf: cannot write %s: %s", path, strerror(err ? err : EIO));
    if (regular)
        remove(path);
    return -1;
}

static int save(Writer *w, const char *path)
{
    if (hpdf_check(w, "saving", HPDF_SaveToStream(w->pdf) != HPDF_OK))
        return -1;
    return write_file(w, path);
}

static int build(Writer *w)
{
    w->pdf = HPDF_New(on_hpdf_error, &w->herr);
    if (!w->pdf)
        return out_of_memory();
    if (hpdf_check(w, "compression",
                   HPDF_SetCompressionMode(w->pdf, HPDF_COMP_ALL) != HPDF_OK))
        return -1;
    /* ActualText marked content is PDF 1.5; libharu would say 1.3. */
    w->pdf->pdf_version = HPDF_VER_15;
    if (write_info(w) || write_catalog(w))
        return -1;
    for (size_t i = 0; i < w->doc->page_count; i++)
        if (write_page(w, i))
            return -1;
    return write_outline(w) || write_fonts(w) ? -1 : 0;
}

static void writer_free(Writer *w)
{
    if (w->pdf)
        HPDF_Free(w->pdf);
    for (size_t i = 0; i < w->font_count; i++) {
        free(w->fonts[i].glyphs);
        free(w->fonts[i].cids);
        free(w->fonts[i].map.units);
    }
    free(w->fonts);
    free(w->out.data);
    free(w->text.units);
    free(w->clusters);
    free(w->seen);
    free(w->units);
    free(w->line_state);
}

int pdf_write(const Document *doc, const char *path)
{
    Writer w = {.doc = doc, .rtl_doc = doc->info.lang && uloc_isRightToLeft(doc->info.lang)};
    int rc = validate(&w) || build(&w) || save(&w, path) ? -1 : 0;
    writer_free(&w);
    return rc;
}
