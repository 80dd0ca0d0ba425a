/* pdf.c — write a laid-out Document with libharu, fonts through hb-subset.
 *
 * libharu owns the document structure (xref, pages, outlines, info,
 * compression, serialisation).  Its own font and text paths are not used:
 * in libharu 2.3.0 they write a malformed ToUnicode CMap, lose the parts
 * of composite glyphs (Arabic dots, CJK strokes), turn characters beyond
 * the BMP into spaces and reject CFF fonts.  Instead text goes into the page content streams as raw
 * operators with 2-byte glyph ids, and each font is a Type0/Identity-H
 * dictionary built with libharu's exported object API, created on first
 * use and filled (subset, /W, ToUnicode) just before saving, when the
 * whole set of glyphs is known.
 *
 * This file has the document around them: validation, metadata, the
 * catalog, rectangles, the outline and saving.  The text is pdf_text.c,
 * the fonts pdf_fonts.c; pdf_internal.h is what the three share. */
#include "pdf.h"

#include "diag.h"
#include "pdf_internal.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hpdf.h>
#include <hpdf_objects.h>
#include <hpdf_streams.h>
#include <sys/stat.h>
#include <unicode/uloc.h>
#include <unicode/utf8.h>

/* ------------------------------------------------------------------ */
/* Growable byte buffer (Buf, pdf_internal.h) */

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

void buf_str(Buf *b, const char *s) { buf_put(b, s, strlen(s)); }

void buf_hex4(Buf *b, unsigned v)
{
    static const char digits[] = "0123456789ABCDEF";
    char s[4] = {digits[(v >> 12) & 15], digits[(v >> 8) & 15],
                 digits[(v >> 4) & 15], digits[v & 15]};
    buf_put(b, s, 4);
}

void buf_uint(Buf *b, uint64_t v)
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

int64_t to_milli(double v)
{
    if (!isfinite(v))
        return 0;
    return (int64_t)(v < 0 ? v * 1000 - 0.5 : v * 1000 + 0.5);
}

void buf_num(Buf *b, double v) { buf_milli(b, to_milli(v)); }

int64_t div_round(int64_t a, int64_t b) /* b > 0 */
{
    return a >= 0 ? (a + b / 2) / b : -((-a + b / 2) / b);
}

/* ------------------------------------------------------------------ */
/* UTF-8 / UTF-16 */

/* ICU's U8_NEXT, as in the text stage: strict (no overlongs, surrogates
 * or values past U+10FFFF).  Returns the sequence's length, 0 if invalid. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    int32_t i = 0;
    UChar32 c;
    U8_NEXT(s, i, (int32_t)(n > INT32_MAX ? INT32_MAX : n), c);
    if (c < 0)
        return 0;
    *cp = (uint32_t)c;
    return (size_t)i;
}

/* Bidi controls steer layout; in extracted text they are noise. */
static bool is_bidi_control(uint32_t c)
{
    return c == 0x061C || c == 0x200E || c == 0x200F ||
           (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

bool u16_push(U16 *u, uint32_t cp)
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
int u16_from_utf8(U16 *u, const char *s, size_t n, bool drop_bidi)
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

void buf_u16_hex(Buf *b, const uint16_t *u, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf_hex4(b, u[i]);
}

/* ------------------------------------------------------------------ */
/* Errors */

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
int hpdf_check(Writer *w, const char *what, bool failed)
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

int out_of_memory(void)
{
    diag_error(NULL, "pdf: out of memory");
    return -1;
}

/* ------------------------------------------------------------------ */
/* Validation: everything a writer could trip over, checked before any
 * output exists. */

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

int draw_rect(Writer *w, const RectBox *r)
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
