/* pdf_objects.c — libharu behind pdf_objects.h.
 *
 * libharu's own font and text paths are not used: in 2.3.0 they write a
 * malformed ToUnicode CMap, lose the parts of composite glyphs (Arabic
 * dots, CJK strokes), turn characters beyond the BMP into spaces and
 * reject CFF fonts.  Its internal object API (hpdf_objects.h), which it
 * exports, is what pdfgen builds its fonts, text and tags with. */
#include "pdf_objects.h"

#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <hpdf.h>
#include <hpdf_objects.h>
#include <hpdf_gstate.h>
#include <hpdf_pages.h>
#include <hpdf_streams.h>

#include "alloc.h"
#include "arena.h"
#include "diag.h"
#include "pdf_buf.h"
#include "pdf_pack.h"

/* Saving: our numbers for libharu's objects, given in libharu's order as
 * the objects are made (see scan), and what became of each. */
enum {
    OBJ_LENGTH = 1,  /* a stream's /Length: written direct, not numbered */
    OBJ_WRITTEN = 2, /* handed to pdf_pack (and freed, but for pages) */
    OBJ_LATE = 4,    /* filled in at the end: pdfo_flush leaves it */
};

typedef struct {
    uint32_t *renum;   /* libharu's object number -> ours; 0: left out */
    uint8_t *flags;    /* OBJ_* */
    uint8_t *kind;     /* PackKind, for streams */
    size_t count, cap; /* libharu's numbers below count are numbered */
    uint32_t next;     /* our next number */
    bool unsupported;  /* an object pdf_pack cannot write */
} Saver;

typedef struct {
    uint32_t id; /* libharu's object number */
    Buf data;
} StreamData;

struct PdfDoc {
    HPDF_Doc pdf;
    HPDF_STATUS code, detail; /* the first error: later ones are echoes */
    U16 text;
    Saver sv;
    size_t flush_from; /* libharu's number of the first object pdfo_flush writes */
    char *path;
    FILE *file;
    bool regular; /* the file is a regular file: ours to remove on failure */
    PdfPack *pack;
    /* The one cross-reference entry of every object written and freed:
     * libharu keeps an entry per object number, 32 bytes each. */
    HPDF_XrefEntry freed;
    /* Each stream's data with libharu's object number, until written:
     * kept here, not in libharu's memory stream, which copies byte by
     * byte (1.3% of a whole build) and is read back out whole anyway.
     * Only a few streams wait at a time (a part's pages; the fonts at the
     * end), so a list, not an array by object number: a booklet of a
     * thousand Japanese sheets numbers some 130,000 objects. */
    StreamData *streams;
    size_t stream_count, stream_cap;
};

static void on_error(HPDF_STATUS code, HPDF_STATUS detail, void *data)
{
    PdfDoc *doc = data;
    if (!doc->code) {
        doc->code = code;
        doc->detail = detail;
    }
}

/* libharu makes every object, dictionary entry and list a heap block of
 * its own, and frees each one by one: some 300,000 in a whole build,
 * where malloc and free of them took 3% of the time.  It asks this pool
 * instead: a block of up to POOL_CLASSES * POOL_STEP bytes comes from the
 * free list of its size (in steps of POOL_STEP), else from a slab; a
 * freed block goes back on its list for the next object or document, so
 * memory stays that of the most objects alive at once, as with malloc.
 * Larger blocks are malloc's.  The slabs are freed at exit.  Under
 * AddressSanitizer each block stays a malloc block of its own, so that
 * ASan still sees every object's bounds and lifetime (arena.h does the
 * same). */
#if !PDFGEN_ASAN
enum { POOL_STEP = 16, POOL_CLASSES = 32, POOL_SLAB = 1 << 16 };

/* Before each block: its size class, 0 for a malloc block. */
typedef union PoolHead {
    size_t size_class;
    max_align_t align;
} PoolHead;

typedef struct PoolFree {
    struct PoolFree *next;
} PoolFree;

static PoolFree *pool_free_list[POOL_CLASSES + 1];
static unsigned char **pool_slabs;
static size_t pool_slab_count, pool_slab_cap;
static unsigned char *pool_next; /* the current slab's unused end */
static size_t pool_left;

static void pool_release(void)
{
    for (size_t i = 0; i < pool_slab_count; i++)
        free(pool_slabs[i]);
    free(pool_slabs);
    pool_slabs = NULL;
    pool_slab_count = pool_slab_cap = 0;
    pool_next = NULL;
    pool_left = 0;
    memset(pool_free_list, 0, sizeof pool_free_list);
}

/* NULL when memory ran out: libharu reports it (on_error). */
static void *HPDF_STDCALL pool_alloc(HPDF_UINT size)
{
    size_t size_class = size ? ((size_t)size + POOL_STEP - 1) / POOL_STEP : 1;
    if (size_class > POOL_CLASSES) {
        PoolHead *h = malloc(sizeof *h + size);
        if (!h)
            return NULL;
        h->size_class = 0;
        return h + 1;
    }
    PoolFree *f = pool_free_list[size_class];
    if (f) {
        pool_free_list[size_class] = f->next;
        return f;
    }
    size_t need = sizeof(PoolHead) + size_class * POOL_STEP;
    if (pool_left < need) {
        if (pool_slab_count == pool_slab_cap) {
            size_t cap = pool_slab_cap ? 2 * pool_slab_cap : 16;
            unsigned char **slabs = realloc(pool_slabs, cap * sizeof *slabs);
            if (!slabs)
                return NULL;
            pool_slabs = slabs;
            pool_slab_cap = cap;
        }
        unsigned char *slab = malloc(POOL_SLAB);
        if (!slab)
            return NULL;
        if (pool_slab_count == 0 && atexit(pool_release) != 0) {
            free(slab);
            return NULL;
        }
        pool_slabs[pool_slab_count++] = slab;
        pool_next = slab;
        pool_left = POOL_SLAB;
    }
    PoolHead *h = (PoolHead *)(void *)pool_next;
    h->size_class = size_class;
    pool_next += need;
    pool_left -= need;
    return h + 1;
}

static void HPDF_STDCALL pool_free(void *p)
{
    if (!p)
        return;
    PoolHead *h = (PoolHead *)p - 1;
    if (!h->size_class) {
        free(h);
        return;
    }
    PoolFree *f = p;
    f->next = pool_free_list[h->size_class];
    pool_free_list[h->size_class] = f;
}
#endif

PdfDoc *pdfo_new(void)
{
    PdfDoc *doc = xcalloc(1, sizeof *doc);
#if PDFGEN_ASAN
    doc->pdf = HPDF_New(on_error, doc);
#else
    doc->pdf = HPDF_NewEx(on_error, pool_alloc, pool_free, 0, doc);
#endif
    if (!doc->pdf)
        oom_abort();
    if (HPDF_SetCompressionMode(doc->pdf, HPDF_COMP_ALL) != HPDF_OK) {
        pdfo_check(doc, "compression", true);
        pdfo_free(doc);
        return NULL;
    }
    /* Tagged PDF for PDF/UA-1 is PDF 1.7; libharu would say 1.3. */
    doc->pdf->pdf_version = HPDF_VER_17;
    /* libharu names itself /Producer, but pdfgen writes the file, its
     * content and its fonts, and /Creator names pdfgen: the key is
     * optional, and its bytes are better spent elsewhere. */
    if (HPDF_Dict_RemoveElement(doc->pdf->info, "Producer") != HPDF_OK) {
        pdfo_check(doc, "document info", true);
        pdfo_free(doc);
        return NULL;
    }
    return doc;
}

static void close_file(PdfDoc *doc, bool keep)
{
    pack_free(doc->pack);
    doc->pack = NULL;
    if (doc->file) {
        fclose(doc->file);
        if (!keep && doc->regular)
            remove(doc->path);
    }
    doc->file = NULL;
    free(doc->path);
    doc->path = NULL;
}

void pdfo_free(PdfDoc *doc)
{
    if (!doc)
        return;
    close_file(doc, false); /* unless saved: no half-written file */
    free(doc->sv.renum);
    free(doc->sv.flags);
    free(doc->sv.kind);
    for (size_t i = 0; i < doc->stream_count; i++)
        buf_free(&doc->streams[i].data);
    free(doc->streams);
    if (doc->freed) {
        /* HPDF_Free frees each entry: the shared one must not be among
         * them.  The order of the entries no longer matters then. */
        HPDF_List entries = doc->pdf->xref->entries;
        HPDF_UINT kept = 0;
        for (HPDF_UINT i = 0; i < entries->count; i++)
            if (entries->obj[i] != doc->freed)
                entries->obj[kept++] = entries->obj[i];
        entries->count = kept;
        free(doc->freed);
    }
    HPDF_Free(doc->pdf);
    u16_free(&doc->text);
    free(doc);
}

static const char *error_text(HPDF_STATUS code)
{
    switch (code) {
    case HPDF_FAILD_TO_ALLOC_MEM: return "out of memory";
    case HPDF_PAGE_OUT_OF_RANGE: return "value out of range";
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
int pdfo_check(PdfDoc *doc, const char *what, bool failed)
{
    HPDF_STATUS code = doc->code, detail = doc->detail;
    if (!code) {
        code = HPDF_GetError(doc->pdf);
        detail = HPDF_GetErrorDetail(doc->pdf);
    }
    if (!code && !failed)
        return 0;
    if (code == HPDF_FAILD_TO_ALLOC_MEM)
        oom_abort();
    if (code)
        diag_error(NULL, "pdf: %s: %s (libharu error 0x%04lX, detail %lu)", what,
                   error_text(code), (unsigned long)code, (unsigned long)detail);
    else
        diag_error(NULL, "pdf: %s: libharu call failed", what);
    if (!doc->code)
        doc->code = code ? code : HPDF_INVALID_OBJECT;
    return -1;
}

PdfObj pdfo_dict(PdfDoc *doc) { return HPDF_Dict_New(doc->pdf->mmgr); }

PdfObj pdfo_indirect_dict(PdfDoc *doc)
{
    HPDF_Dict d = HPDF_Dict_New(doc->pdf->mmgr);
    if (!d || HPDF_Xref_Add(doc->pdf->xref, d) != HPDF_OK)
        return NULL;
    return d;
}

PdfObj pdfo_array(PdfDoc *doc) { return HPDF_Array_New(doc->pdf->mmgr); }

PdfObj pdfo_indirect_array(PdfDoc *doc)
{
    HPDF_Array a = HPDF_Array_New(doc->pdf->mmgr);
    if (!a || HPDF_Xref_Add(doc->pdf->xref, a) != HPDF_OK)
        return NULL;
    return a;
}

static void scan(PdfDoc *doc);

PdfObj pdfo_late_dict(PdfDoc *doc)
{
    HPDF_Dict d = pdfo_indirect_dict(doc);
    if (d) {
        scan(doc);
        doc->sv.flags[d->header.obj_id & 0x00FFFFFF] |= OBJ_LATE;
    }
    return d;
}

/* A reference by number: a number object of a subclass of pdfgen's own,
 * which the saver writes as "n 0 R". */
#define OSUBCLASS_REF 0x0F00

PdfObj pdfo_ref(PdfDoc *doc, PdfObj obj)
{
    const HPDF_Obj_Header *h = obj;
    if (!h || !(h->obj_id & HPDF_OTYPE_INDIRECT))
        return NULL;
    scan(doc);
    size_t id = h->obj_id & 0x00FFFFFF;
    if (id >= doc->sv.count || !doc->sv.renum[id] || doc->sv.renum[id] > INT32_MAX)
        return NULL;
    HPDF_Number n = HPDF_Number_New(doc->pdf->mmgr, (HPDF_INT32)doc->sv.renum[id]);
    if (n)
        n->header.obj_class = HPDF_OCLASS_NUMBER | OSUBCLASS_REF;
    return n;
}

void pdfo_discard(PdfDoc *doc, PdfObj obj)
{
    if (obj)
        HPDF_Obj_Free(doc->pdf->mmgr, obj);
}

/* DictStream_New ignores the document's compression mode. */
PdfObj pdfo_stream(PdfDoc *doc, bool flate)
{
    HPDF_Dict s = HPDF_DictStream_New(doc->pdf->mmgr, doc->pdf->xref);
    if (s && flate)
        s->filter = HPDF_STREAM_FILTER_FLATE_DECODE;
    return s;
}

/* The data kept for stream id, or NULL (the latest made is looked for
 * most). */
static StreamData *stream_kept(PdfDoc *doc, uint32_t id)
{
    for (size_t i = doc->stream_count; i-- > 0;)
        if (doc->streams[i].id == id)
            return &doc->streams[i];
    return NULL;
}

/* Appends to the data of d, a stream dictionary; -1 when d is not an
 * indirect stream. */
static int stream_append(PdfDoc *doc, HPDF_Dict d, const void *data, size_t len)
{
    if (!d || !d->stream || !(d->header.obj_id & HPDF_OTYPE_INDIRECT) || len > UINT32_MAX)
        return -1;
    uint32_t id = d->header.obj_id & 0x00FFFFFF;
    StreamData *s = stream_kept(doc, id);
    if (!s) {
        if (doc->stream_count == doc->stream_cap) {
            doc->stream_cap = doc->stream_cap ? 2 * doc->stream_cap : 16;
            doc->streams = xreallocarray(doc->streams, doc->stream_cap, sizeof *doc->streams);
        }
        s = &doc->streams[doc->stream_count++];
        *s = (StreamData){id, {0}};
    }
    buf_put(&s->data, data, len);
    return 0;
}

int pdfo_stream_write(PdfDoc *doc, PdfObj stream, const void *data, size_t len)
{
    return stream_append(doc, stream, data, len);
}

PdfObj pdfo_ascii(PdfDoc *doc, const char *s) { return HPDF_String_New(doc->pdf->mmgr, s, NULL); }

/* A text string's bytes: ASCII as it is, anything else UTF-16BE with a
 * byte order mark; false on invalid UTF-8. */
static bool text_bytes(PdfDoc *doc, const char *utf8, Buf *out)
{
    bool ascii = true;
    for (const char *p = utf8; *p && ascii; p++)
        ascii = *p >= 0x20 && *p < 0x7F;
    if (ascii) {
        buf_str(out, utf8);
        return true;
    }
    if (!u16_from_utf8(&doc->text, utf8, strlen(utf8), false)) {
        diag_error(NULL, "pdf: invalid UTF-8 in a text string");
        return false;
    }
    buf_put(out, "\xFE\xFF", 2);
    for (size_t i = 0; i < doc->text.len; i++) {
        char unit[2] = {(char)(doc->text.units[i] >> 8), (char)(doc->text.units[i] & 0xFF)};
        buf_put(out, unit, 2);
    }
    return true;
}

PdfObj pdfo_text(PdfDoc *doc, const char *utf8)
{
    bool ascii = true;
    for (const char *p = utf8; *p && ascii; p++)
        ascii = *p >= 0x20 && *p < 0x7F;
    if (ascii)
        return pdfo_ascii(doc, utf8);
    Buf b = {0};
    HPDF_Binary bin = NULL;
    if (text_bytes(doc, utf8, &b) && b.len <= UINT32_MAX)
        bin = HPDF_Binary_New(doc->pdf->mmgr, (HPDF_BYTE *)b.data, (HPDF_UINT)b.len);
    buf_free(&b);
    return bin;
}

static int ok(HPDF_STATUS s) { return s == HPDF_OK ? 0 : -1; }

int pdfo_put(PdfObj dict, const char *key, PdfObj value)
{
    return dict && value ? ok(HPDF_Dict_Add(dict, key, value)) : -1;
}
int pdfo_put_name(PdfObj dict, const char *key, const char *name)
{
    return dict ? ok(HPDF_Dict_AddName(dict, key, name)) : -1;
}
int pdfo_put_int(PdfObj dict, const char *key, int32_t value)
{
    return dict ? ok(HPDF_Dict_AddNumber(dict, key, value)) : -1;
}
int pdfo_put_real(PdfObj dict, const char *key, double value)
{
    return dict ? ok(HPDF_Dict_AddReal(dict, key, (HPDF_REAL)value)) : -1;
}
int pdfo_put_bool(PdfObj dict, const char *key, bool value)
{
    return dict ? ok(HPDF_Dict_AddBoolean(dict, key, value ? HPDF_TRUE : HPDF_FALSE)) : -1;
}
int pdfo_put_text(PdfDoc *doc, PdfObj dict, const char *key, const char *utf8)
{
    return pdfo_put(dict, key, pdfo_text(doc, utf8));
}
int pdfo_push(PdfObj array, PdfObj value)
{
    return array && value ? ok(HPDF_Array_Add(array, value)) : -1;
}
int pdfo_push_name(PdfObj array, const char *name)
{
    return array ? ok(HPDF_Array_AddName(array, name)) : -1;
}
int pdfo_push_int(PdfObj array, int32_t value)
{
    return array ? ok(HPDF_Array_AddNumber(array, value)) : -1;
}
int pdfo_push_real(PdfObj array, double value)
{
    return array ? ok(HPDF_Array_AddReal(array, (HPDF_REAL)value)) : -1;
}
int pdfo_push_null(PdfDoc *doc, PdfObj array)
{
    return pdfo_push(array, HPDF_Null_New(doc->pdf->mmgr));
}

PdfObj pdfo_catalog(PdfDoc *doc) { return doc->pdf->catalog; }

/* HPDF_New makes the info dictionary (filled with /Producer, which
 * pdfo_new removes), so it exists. */
PdfObj pdfo_info(PdfDoc *doc) { return doc->pdf->info; }

/* "D:YYYYMMDDHHmmSSZ": libharu would add the offset of UTC, "00'00'". */
int pdfo_set_dates(PdfDoc *doc, int year, int month, int day, int hour, int minute, int second)
{
    if (year < 0 || year > 9999 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 ||
        hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59)
        return -1;
    char date[32];
    snprintf(date, sizeof date, "D:%04d%02d%02d%02d%02d%02dZ", year, month, day, hour, minute,
             second);
    PdfObj info = pdfo_info(doc);
    int bad = pdfo_put(info, "CreationDate", pdfo_ascii(doc, date));
    bad |= pdfo_put(info, "ModDate", pdfo_ascii(doc, date));
    return bad;
}

PdfObj pdfo_add_page(PdfDoc *doc, double width, double height)
{
    HPDF_Page page = HPDF_AddPage(doc->pdf);
    if (!page || HPDF_Page_SetWidth(page, (HPDF_REAL)width) != HPDF_OK ||
        HPDF_Page_SetHeight(page, (HPDF_REAL)height) != HPDF_OK)
        return NULL;
    /* libharu lists the procedure sets, which readers have ignored since
     * PDF 1.4 (PDF 32000-1 14.2): dead bytes on every page. */
    HPDF_Dict res = HPDF_Dict_GetItem(page, "Resources", HPDF_OCLASS_DICT);
    if (res && HPDF_Dict_GetItem(res, "ProcSet", HPDF_OCLASS_ARRAY) &&
        HPDF_Dict_RemoveElement(res, "ProcSet") != HPDF_OK)
        return NULL;
    return page;
}

PdfObj pdfo_page(PdfDoc *doc, size_t index)
{
    return index > UINT32_MAX ? NULL : HPDF_GetPageByIndex(doc->pdf, (HPDF_UINT)index);
}

/* Text and graphics go into the content stream as raw operators, so
 * libharu's own position and state bookkeeping is never consulted. */
int pdfo_page_write(PdfDoc *doc, PdfObj page, const void *data, size_t len)
{
    (void)doc;
    HPDF_Page p = page;
    if (!p)
        return -1;
    return stream_append(doc, ((HPDF_PageAttr)p->attr)->contents, data, len);
}

/* libharu keeps the page's /Font dictionary in attr->fonts and would make
 * a second one if it did not find ours there. */
PdfObj pdfo_page_fonts(PdfDoc *doc, PdfObj page)
{
    HPDF_Page p = page;
    HPDF_PageAttr attr = (HPDF_PageAttr)p->attr;
    if (!attr->fonts) {
        HPDF_Dict res = HPDF_Dict_GetItem(p, "Resources", HPDF_OCLASS_DICT);
        HPDF_Dict fonts = HPDF_Dict_New(doc->pdf->mmgr);
        if (!res || !fonts || HPDF_Dict_Add(res, "Font", fonts) != HPDF_OK)
            return NULL;
        attr->fonts = fonts;
    }
    return attr->fonts;
}

/* ------------------------------------------------------------------ */
/* Saving.  libharu 2.3.0 writes only PDF 1.4's layout (every object on its
 * own with a table entry, each stream's /Length an object of its own), so
 * its objects are serialised here and handed to pdf_pack.c, which packs
 * them into object streams.  Numbers are given afresh in libharu's order,
 * leaving out the /Length objects (written direct). */

static bool is_regular(char c)
{
    return !strchr(" \t\r\n\f()<>[]{}/%", c) && c != '\0';
}

/* The first character an object writes, for spacing. */
static char first_char(const void *obj)
{
    const HPDF_Obj_Header *h = obj;
    if (h->obj_class == HPDF_OCLASS_PROXY || (h->obj_id & HPDF_OTYPE_INDIRECT))
        return '0';
    switch (h->obj_class & HPDF_OCLASS_ANY) {
    case HPDF_OCLASS_NAME: return '/';
    case HPDF_OCLASS_STRING:
    case HPDF_OCLASS_BINARY: return '(';
    case HPDF_OCLASS_ARRAY: return '[';
    case HPDF_OCLASS_DICT: return '<';
    default: return '0';
    }
}

/* A space only where two tokens would otherwise run together. */
static void separate(Buf *b, const void *next)
{
    if (b->len && is_regular(b->data[b->len - 1]) && is_regular(first_char(next)))
        buf_put(b, " ", 1);
}

/* The value libharu's HPDF_FToA writes (five decimals at most, computed
 * in its float arithmetic), so no coordinate moves. */
static void put_real(Buf *b, HPDF_REAL val)
{
    if (val > HPDF_LIMIT_MAX_REAL)
        val = HPDF_LIMIT_MAX_REAL;
    else if (val < HPDF_LIMIT_MIN_REAL)
        val = HPDF_LIMIT_MIN_REAL;
    bool negative = val < 0;
    if (negative)
        val = -val;
    HPDF_INT32 int_val = (HPDF_INT32)(val + 0.000005);
    HPDF_INT32 frac = (HPDF_INT32)((HPDF_REAL)(val - int_val + 0.000005) * 100000);
    if (frac >= 100000 || frac < 0)
        frac = 0;
    if (negative && (int_val || frac))
        buf_put(b, "-", 1);
    buf_uint(b, (uint64_t)int_val);
    if (frac) {
        char s[6] = {'.'};
        for (int i = 5; i > 0; i--, frac /= 10)
            s[i] = (char)('0' + frac % 10);
        size_t n = 6;
        while (s[n - 1] == '0')
            n--;
        buf_put(b, s, n);
    }
}

static void put_name(Buf *b, const char *name)
{
    static const char hex[] = "0123456789ABCDEF";
    buf_put(b, "/", 1);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p < 0x21 || *p > 0x7E || *p == '#' || !is_regular((char)*p)) {
            char s[3] = {'#', hex[*p >> 4], hex[*p & 15]};
            buf_put(b, s, 3);
        } else {
            buf_put(b, (const char *)p, 1);
        }
    }
}

/* A literal string, bytes as they are: shorter than hex, and only the
 * delimiters and line ends (which readers would normalise) escaped. */
static void put_string(Buf *b, const HPDF_BYTE *s, size_t len)
{
    buf_put(b, "(", 1);
    for (size_t i = 0; i < len; i++) {
        char c = (char)s[i];
        if (c == '(' || c == ')' || c == '\\')
            buf_put(b, "\\", 1);
        else if (c == '\r' || c == '\n') {
            buf_put(b, c == '\r' ? "\\r" : "\\n", 2);
            continue;
        }
        buf_put(b, &c, 1);
    }
    buf_put(b, ")", 1);
}

static void put_ref(Saver *sv, Buf *b, const HPDF_Obj_Header *h)
{
    uint32_t id = h->obj_id & 0x00FFFFFF;
    if (id >= sv->count || !sv->renum[id] || h->gen_no) {
        sv->unsupported = true;
        return;
    }
    buf_uint(b, sv->renum[id]);
    buf_str(b, " 0 R");
}

static void put_value(Saver *sv, Buf *b, void *obj);

/* obj inside an array or dictionary: a reference if it is indirect. */
static void put_element(Saver *sv, Buf *b, void *obj)
{
    const HPDF_Obj_Header *h = obj;
    separate(b, obj);
    if (h->obj_class == HPDF_OCLASS_PROXY)
        put_ref(sv, b, ((HPDF_Proxy)obj)->obj);
    else if (h->obj_id & HPDF_OTYPE_INDIRECT)
        put_ref(sv, b, h);
    else
        put_value(sv, b, obj);
}

/* The entries of a dictionary without its brackets; a stream's /Length
 * and /Filter are pdf_pack's. */
static void put_entries(Saver *sv, Buf *b, HPDF_Dict d)
{
    for (HPDF_UINT i = 0; i < d->list->count; i++) {
        HPDF_DictElement e = HPDF_List_ItemAt(d->list, i);
        const HPDF_Obj_Header *h = e ? e->value : NULL;
        if (!h) {
            sv->unsupported = true;
            continue;
        }
        if ((h->obj_id & HPDF_OTYPE_HIDDEN) ||
            (d->stream && (!strcmp(e->key, "Length") || !strcmp(e->key, "Filter"))))
            continue;
        put_name(b, e->key);
        put_element(sv, b, e->value);
    }
}

static void put_value(Saver *sv, Buf *b, void *obj)
{
    const HPDF_Obj_Header *h = obj;
    switch (h->obj_class & HPDF_OCLASS_ANY) {
    case HPDF_OCLASS_NULL: buf_str(b, "null"); break;
    case HPDF_OCLASS_BOOLEAN: buf_str(b, ((HPDF_Boolean)obj)->value ? "true" : "false"); break;
    case HPDF_OCLASS_NUMBER: {
        HPDF_INT32 v = ((HPDF_Number)obj)->value;
        if (h->obj_class == (HPDF_OCLASS_NUMBER | OSUBCLASS_REF)) {
            buf_uint(b, (uint64_t)v);
            buf_str(b, " 0 R");
            break;
        }
        if (v < 0)
            buf_put(b, "-", 1);
        buf_uint(b, v < 0 ? (uint64_t)0 - (uint64_t)(int64_t)v : (uint64_t)v);
        break;
    }
    case HPDF_OCLASS_REAL: put_real(b, ((HPDF_Real)obj)->value); break;
    case HPDF_OCLASS_NAME: put_name(b, ((HPDF_Name)obj)->value); break;
    case HPDF_OCLASS_STRING: {
        HPDF_String s = obj;
        if (s->encoder) /* pdfgen makes none: text strings are UTF-16 binaries */
            sv->unsupported = true;
        put_string(b, s->value, s->len);
        break;
    }
    case HPDF_OCLASS_BINARY: put_string(b, ((HPDF_Binary)obj)->value, ((HPDF_Binary)obj)->len); break;
    case HPDF_OCLASS_ARRAY: {
        HPDF_Array a = obj;
        buf_put(b, "[", 1);
        for (HPDF_UINT i = 0; i < a->list->count; i++) {
            void *item = HPDF_List_ItemAt(a->list, i);
            if (!item || (((HPDF_Obj_Header *)item)->obj_id & HPDF_OTYPE_HIDDEN)) {
                sv->unsupported |= !item;
                continue;
            }
            put_element(sv, b, item);
        }
        buf_put(b, "]", 1);
        break;
    }
    case HPDF_OCLASS_DICT: {
        HPDF_Dict d = obj;
        if (d->stream || d->write_fn) /* a stream is an indirect object */
            sv->unsupported = true;
        buf_put(b, "<<", 2);
        put_entries(sv, b, d);
        buf_put(b, ">>", 2);
        break;
    }
    default: sv->unsupported = true;
    }
}

static void *xref_obj(HPDF_Xref xref, size_t id)
{
    HPDF_XrefEntry e = HPDF_List_ItemAt(xref->entries, (HPDF_UINT)id);
    return e && e->entry_typ == HPDF_IN_USE_ENTRY ? e->obj : NULL;
}

/* The object id of dict's key, if it is an indirect object.  (Not
 * HPDF_Dict_GetItem: it wants the class, and marks the document failed
 * on any other.) */
static uint32_t item_id(HPDF_Dict d, const char *key)
{
    for (HPDF_UINT i = 0; i < d->list->count; i++) {
        HPDF_DictElement e = HPDF_List_ItemAt(d->list, i);
        if (!e || !e->value || strcmp(e->key, key))
            continue;
        const HPDF_Obj_Header *h = e->value;
        if (h->obj_class == HPDF_OCLASS_PROXY)
            h = ((HPDF_Proxy)e->value)->obj;
        return h->obj_id & HPDF_OTYPE_INDIRECT ? h->obj_id & 0x00FFFFFF : 0;
    }
    return 0;
}

static void mark(Saver *sv, uint32_t id, PackKind kind)
{
    if (id && id < sv->count)
        sv->kind[id] = (uint8_t)kind;
}

/* Numbers the objects made since the last scan, in libharu's order,
 * leaving out the /Length objects (written direct).  A stream's /Length
 * is made right after it, so every number is known for good once its
 * object exists. */
static void scan(PdfDoc *doc)
{
    Saver *sv = &doc->sv;
    HPDF_Xref xref = doc->pdf->xref;
    size_t n = xref->entries->count;
    if (n > sv->cap) {
        size_t cap = sv->cap ? sv->cap : 1024;
        while (cap < n)
            cap *= 2;
        sv->renum = xreallocarray(sv->renum, cap, sizeof *sv->renum);
        sv->flags = xreallocarray(sv->flags, cap, sizeof *sv->flags);
        sv->kind = xreallocarray(sv->kind, cap, sizeof *sv->kind);
        memset(sv->renum + sv->cap, 0, (cap - sv->cap) * sizeof *sv->renum);
        memset(sv->flags + sv->cap, 0, cap - sv->cap);
        memset(sv->kind + sv->cap, 0, cap - sv->cap);
        sv->cap = cap;
    }
    if (sv->count == 0) {
        sv->count = 1; /* libharu's object 0 is the free list's head */
        sv->next = 1;
    }
    for (size_t id = sv->count; id < n; id++) {
        HPDF_Dict d = xref_obj(xref, id);
        if (d && (d->header.obj_class & HPDF_OCLASS_ANY) == HPDF_OCLASS_DICT && d->stream) {
            uint32_t len_id = item_id(d, "Length");
            if (len_id > id && len_id < sv->cap)
                sv->flags[len_id] |= OBJ_LENGTH;
        }
        sv->renum[id] = sv->flags[id] & OBJ_LENGTH ? 0 : sv->next++;
    }
    sv->count = n;
}

/* Runs libharu's before-write hooks (page counts, outline counts) of the
 * objects from..to-1 that are to be written now, and learns each stream's
 * kind. */
static int prepare(PdfDoc *doc, size_t from, size_t to, uint8_t skip)
{
    Saver *sv = &doc->sv;
    HPDF_Xref xref = doc->pdf->xref;
    for (size_t id = from; id < to; id++) {
        if (sv->flags[id] & (skip | OBJ_LENGTH | OBJ_WRITTEN))
            continue;
        HPDF_Dict d = xref_obj(xref, id);
        if (!d)
            return -1;
        if ((d->header.obj_class & HPDF_OCLASS_ANY) != HPDF_OCLASS_DICT)
            continue;
        if (d->before_write_fn && d->before_write_fn(d) != HPDF_OK)
            return -1;
        if (d->stream && !sv->kind[id])
            sv->kind[id] = d->filter == HPDF_STREAM_FILTER_NONE ? PACK_RAW : PACK_OTHER;
        if ((d->header.obj_class & 0xFF00) == HPDF_OSUBCLASS_PAGE)
            mark(sv, item_id(d, "Contents"), PACK_CONTENT);
        mark(sv, item_id(d, "ToUnicode"), PACK_CMAP);
        mark(sv, item_id(d, "FontFile2"), PACK_FONT);
        mark(sv, item_id(d, "FontFile3"), PACK_FONT);
    }
    return 0;
}

/* The stream's data as libharu holds it: uncompressed, in memory. */
static bool stream_data(HPDF_Stream s, Buf *out)
{
    HPDF_UINT count = HPDF_MemStream_GetBufCount(s);
    for (HPDF_UINT i = 0; i < count; i++) {
        HPDF_UINT len = 0;
        HPDF_BYTE *p = HPDF_MemStream_GetBufPtr(s, i, &len);
        if (!p)
            return false;
        buf_put(out, (const char *)p, len);
    }
    return out->len == HPDF_Stream_Size(s);
}

/* Hands the objects from..to-1 (but skip's) to pdf_pack, in number
 * order. */
static int pack_range(PdfDoc *doc, size_t from, size_t to, uint8_t skip)
{
    Saver *sv = &doc->sv;
    HPDF_Xref xref = doc->pdf->xref;
    Buf value = {0}, data = {0};
    int rc = 0;
    for (size_t id = from; id < to && !rc; id++) {
        if (!sv->renum[id] || (sv->flags[id] & (skip | OBJ_WRITTEN)))
            continue;
        HPDF_Dict d = xref_obj(xref, id);
        value.len = 0;
        bool is_dict = (d->header.obj_class & HPDF_OCLASS_ANY) == HPDF_OCLASS_DICT;
        if (is_dict && d->stream) {
            /* The data pdfo_stream_write kept, or what libharu wrote itself,
             * not both. */
            StreamData *held = stream_kept(doc, (uint32_t)id);
            Buf *kept = held ? &held->data : NULL;
            data.len = 0;
            if (d->write_fn || (d->filter & ~(HPDF_UINT)HPDF_STREAM_FILTER_FLATE_DECODE) ||
                d->filterParams || !stream_data(d->stream, &data) ||
                (kept && kept->len && data.len)) {
                rc = -1;
                break;
            }
            const Buf *source = kept && kept->len ? kept : &data;
            put_entries(sv, &value, d);
            pack_stream(doc->pack, sv->renum[id], value.data, value.len, source->data, source->len,
                        sv->kind[id]);
            if (held) {
                buf_free(kept);
                *held = doc->streams[--doc->stream_count];
            }
        } else {
            put_value(sv, &value, d);
            pack_object(doc->pack, sv->renum[id], value.data, value.len);
        }
        sv->flags[id] |= OBJ_WRITTEN;
        rc = sv->unsupported ? -1 : 0;
    }
    buf_free(&value);
    buf_free(&data);
    return rc;
}

/* Frees what was written of from..to-1.  A page stays, emptied: the page
 * tree, outline and destinations point at it. */
static void release(PdfDoc *doc, size_t from, size_t to)
{
    Saver *sv = &doc->sv;
    HPDF_Xref xref = doc->pdf->xref;
    HPDF_MMgr mmgr = doc->pdf->mmgr;
    for (size_t id = from; id < to; id++) {
        if (!(sv->flags[id] & (OBJ_WRITTEN | OBJ_LENGTH)) || (sv->flags[id] & OBJ_LATE))
            continue;
        HPDF_XrefEntry e = HPDF_List_ItemAt(xref->entries, (HPDF_UINT)id);
        HPDF_Dict d = e ? e->obj : NULL;
        if (!d)
            continue;
        if (d->header.obj_class == (HPDF_OCLASS_DICT | HPDF_OSUBCLASS_PAGE)) {
            for (HPDF_UINT i = 0; i < d->list->count; i++) {
                HPDF_DictElement el = HPDF_List_ItemAt(d->list, i);
                if (el) {
                    HPDF_Obj_Free(mmgr, el->value);
                    HPDF_FreeMem(mmgr, el);
                }
            }
            HPDF_List_Clear(d->list);
            HPDF_PageAttr attr = d->attr;
            attr->fonts = attr->xobjects = attr->ext_gstates = NULL;
            attr->contents = NULL;
            attr->stream = NULL;
            if (attr->gstate)
                HPDF_GState_Free(mmgr, attr->gstate);
            attr->gstate = NULL;
            continue;
        }
        HPDF_Obj_ForceFree(mmgr, d);
        if (!doc->freed)
            doc->freed = xcalloc(1, sizeof *doc->freed);
        *doc->freed = *e;
        doc->freed->obj = NULL;
        HPDF_FreeMem(mmgr, e);
        xref->entries->obj[id] = doc->freed;
    }
}

static int open_pack(PdfDoc *doc, const char *path)
{
    if (doc->pack)
        return 0;
    FILE *f = fopen(path, "wb");
    if (!f) {
        diag_error(NULL, "pdf: cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    /* Only a regular file is ours to remove on failure (not /dev/...). */
    struct stat st;
    doc->regular = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
    doc->file = f;
    doc->path = xstrdup(path);
    doc->pack = pack_new(f);
    return 0;
}

/* A number set aside for an object stream: a libharu object, so that no
 * object of libharu's takes it, written at once. */
static uint32_t objstm_number(void *ctx)
{
    PdfDoc *doc = ctx;
    HPDF_Null n = HPDF_Null_New(doc->pdf->mmgr);
    if (!n || HPDF_Xref_Add(doc->pdf->xref, n) != HPDF_OK)
        oom_abort(); /* libharu fails here only for want of memory */
    scan(doc);
    size_t id = doc->sv.count - 1;
    doc->sv.flags[id] |= OBJ_WRITTEN;
    return doc->sv.renum[id];
}

static int save_failed(PdfDoc *doc, const char *what, int rc)
{
    if (doc->sv.unsupported && !doc->code)
        diag_error(NULL, "pdf: saving: an object the writer cannot serialise");
    if ((doc->sv.unsupported && !doc->code) || pdfo_check(doc, what, rc != 0))
        return -1;
    return 0;
}

void pdfo_mark(PdfDoc *doc) { doc->flush_from = doc->pdf->xref->entries->count; }

int pdfo_flush(PdfDoc *doc, const char *path)
{
    if (pdfo_check(doc, "saving", false) || open_pack(doc, path))
        return -1;
    scan(doc);
    size_t from = doc->flush_from, to = doc->sv.count;
    int rc = prepare(doc, from, to, OBJ_LATE);
    if (!rc)
        rc = pack_range(doc, from, to, OBJ_LATE);
    if (save_failed(doc, "saving", rc))
        return -1;
    release(doc, from, to);
    if (pack_objects_full(doc->pack))
        pack_flush_objects(doc->pack, objstm_number, doc);
    doc->flush_from = doc->pdf->xref->entries->count;
    return 0;
}

static uint32_t number_of(PdfDoc *doc, void *obj)
{
    const HPDF_Obj_Header *h = obj;
    uint32_t id = h && (h->obj_id & HPDF_OTYPE_INDIRECT) ? h->obj_id & 0x00FFFFFF : 0;
    return id < doc->sv.count ? doc->sv.renum[id] : 0;
}

int pdfo_save(PdfDoc *doc, const char *path)
{
    HPDF_Xref xref = doc->pdf->xref;
    if (pdfo_check(doc, "saving", xref->prev || xref->start_offset) || open_pack(doc, path))
        return -1;
    scan(doc);
    int rc = prepare(doc, 1, doc->sv.count, 0);
    if (!rc)
        rc = pack_range(doc, 1, doc->sv.count, 0);
    uint32_t root = number_of(doc, doc->pdf->catalog), info = number_of(doc, doc->pdf->info);
    if (save_failed(doc, "saving", rc || !root || !info))
        return -1;
    rc = pack_finish(doc->pack, root, info);
    int err = errno;
    if (fflush(doc->file) != 0 && rc == 0) {
        rc = -1;
        err = errno;
    }
    if (rc == -1)
        diag_error(NULL, "pdf: cannot write %s: %s", path, strerror(err ? err : EIO));
    if (rc == 0) {
        int closed = fclose(doc->file);
        doc->file = NULL;
        if (closed != 0) {
            diag_error(NULL, "pdf: cannot write %s: %s", path, strerror(errno));
            if (doc->regular)
                remove(path);
            rc = -1;
        }
    }
    close_file(doc, rc == 0);
    return rc == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* The outline, serialised here as it is written rather than made of
 * libharu's objects: a booklet's has ten entries a sheet, each a
 * dictionary of 1 KB in libharu, all held until the end. */

/* A number set aside for an object made here, not by libharu. */
static uint32_t reserve_number(PdfDoc *doc)
{
    scan(doc);
    return doc->sv.next++;
}

static PdfObj ref_number(PdfDoc *doc, uint32_t num)
{
    HPDF_Number n = HPDF_Number_New(doc->pdf->mmgr, (HPDF_INT32)num);
    if (n)
        n->header.obj_class = HPDF_OCLASS_NUMBER | OSUBCLASS_REF;
    return n;
}

static void put_key_ref(Buf *b, const char *key, uint32_t num)
{
    put_name(b, key);
    buf_put(b, " ", 1);
    buf_uint(b, num);
    buf_str(b, " 0 R");
}

/* Links of item i, as 0-based indexes (SIZE_MAX: none; parent SIZE_MAX:
 * the root). */
typedef struct {
    size_t parent, prev, next, first, last;
    int64_t count; /* visible descendants when open */
} Links;

int pdfo_outline_write(PdfDoc *doc, const PdfOutlineItem *items, size_t n, const char *path)
{
    if (n == 0)
        return 0;
    if (pdfo_check(doc, "outline", n > INT32_MAX) || open_pack(doc, path))
        return -1;
    Links *l = xreallocarray(NULL, n, sizeof *l);
    size_t last_at[64]; /* the last item of each level so far */
    for (size_t k = 0; k < 64; k++)
        last_at[k] = SIZE_MAX;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned level = items[i].level;
        bad |= level >= 64 || (level > 0 && last_at[level - 1] == SIZE_MAX);
        if (bad)
            break;
        l[i] = (Links){level ? last_at[level - 1] : SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX,
                       SIZE_MAX, 0};
        size_t prev = last_at[level];
        if (prev != SIZE_MAX && l[prev].parent == l[i].parent) {
            l[i].prev = prev;
            l[prev].next = i;
        }
        if (l[i].parent != SIZE_MAX) {
            Links *p = &l[l[i].parent];
            if (p->first == SIZE_MAX)
                p->first = i;
            p->last = i;
        }
        last_at[level] = i;
        for (unsigned k = level + 1; k < 64; k++)
            last_at[k] = SIZE_MAX;
    }
    /* Counts from the last item back: children before their parents. */
    int64_t root_count = 0;
    for (size_t i = n; i-- > 0 && !bad;) {
        int64_t seen = 1 + (items[i].open ? l[i].count : 0);
        if (l[i].parent == SIZE_MAX)
            root_count += seen;
        else
            l[l[i].parent].count += seen;
    }
    PdfObj root = bad ? NULL : pdfo_indirect_dict(doc);
    uint32_t first = root ? reserve_number(doc) : 0;
    for (size_t i = 1; i < n && root; i++)
        reserve_number(doc); /* items are first, first + 1, ... */
    size_t top_last = 0;
    for (size_t i = 0; i < n; i++)
        if (l[i].parent == SIZE_MAX)
            top_last = i;
    uint32_t root_num = root ? number_of(doc, root) : 0;
    bad |= !root || !root_num;
    if (!bad) {
        bad |= pdfo_put_name(root, "Type", "Outlines");
        bad |= pdfo_put(root, "First", ref_number(doc, first));
        bad |= pdfo_put(root, "Last", ref_number(doc, first + (uint32_t)top_last));
        bad |= pdfo_put_int(root, "Count", (int32_t)root_count);
        bad |= pdfo_put(pdfo_catalog(doc), "Outlines", root);
        bad |= ok(HPDF_SetPageMode(doc->pdf, HPDF_PAGE_MODE_USE_OUTLINE));
    }
    Buf b = {0}, title = {0};
    for (size_t i = 0; i < n && !bad; i++) {
        const PdfOutlineItem *it = &items[i];
        uint32_t page = number_of(doc, pdfo_page(doc, it->page));
        title.len = 0;
        bad |= !page || !text_bytes(doc, it->title, &title);
        if (bad)
            break;
        b.len = 0;
        buf_str(&b, "<</Title");
        put_string(&b, (const HPDF_BYTE *)title.data, title.len);
        put_key_ref(&b, "Parent", l[i].parent == SIZE_MAX ? root_num
                                                           : first + (uint32_t)l[i].parent);
        if (l[i].prev != SIZE_MAX)
            put_key_ref(&b, "Prev", first + (uint32_t)l[i].prev);
        if (l[i].next != SIZE_MAX)
            put_key_ref(&b, "Next", first + (uint32_t)l[i].next);
        if (l[i].first != SIZE_MAX) {
            put_key_ref(&b, "First", first + (uint32_t)l[i].first);
            put_key_ref(&b, "Last", first + (uint32_t)l[i].last);
            buf_str(&b, "/Count ");
            if (!it->open)
                buf_put(&b, "-", 1);
            buf_uint(&b, (uint64_t)l[i].count);
        }
        /* /XYZ with a null zoom keeps the reader's zoom. */
        buf_str(&b, "/Dest[");
        buf_uint(&b, page);
        buf_str(&b, " 0 R/XYZ 0 ");
        put_real(&b, (HPDF_REAL)it->y);
        buf_str(&b, " null]>>");
        pack_object(doc->pack, first + (uint32_t)i, b.data, b.len);
        if (pack_objects_full(doc->pack))
            pack_flush_objects(doc->pack, objstm_number, doc);
    }
    buf_free(&b);
    buf_free(&title);
    free(l);
    return pdfo_check(doc, "outline", bad);
}
