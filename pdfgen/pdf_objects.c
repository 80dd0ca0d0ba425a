/* pdf_objects.c — libharu behind pdf_objects.h.
 *
 * libharu's own font and text paths are not used: in 2.3.0 they write a
 * malformed ToUnicode CMap, lose the parts of composite glyphs (Arabic
 * dots, CJK strokes), turn characters beyond the BMP into spaces and
 * reject CFF fonts.  Its internal object API (hpdf_objects.h), which it
 * exports, is what pdfgen builds its fonts, text and tags with. */
#include "pdf_objects.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <hpdf.h>
#include <hpdf_objects.h>
#include <hpdf_pages.h>
#include <hpdf_streams.h>

#include "alloc.h"
#include "diag.h"
#include "pdf_buf.h"
#include "pdf_pack.h"

struct PdfDoc {
    HPDF_Doc pdf;
    HPDF_STATUS code, detail; /* the first error: later ones are echoes */
    U16 text;
};

static void on_error(HPDF_STATUS code, HPDF_STATUS detail, void *data)
{
    PdfDoc *doc = data;
    if (!doc->code) {
        doc->code = code;
        doc->detail = detail;
    }
}

PdfDoc *pdfo_new(void)
{
    PdfDoc *doc = xcalloc(1, sizeof *doc);
    doc->pdf = HPDF_New(on_error, doc);
    if (!doc->pdf)
        oom_abort();
    if (HPDF_SetCompressionMode(doc->pdf, HPDF_COMP_ALL) != HPDF_OK) {
        pdfo_check(doc, "compression", true);
        pdfo_free(doc);
        return NULL;
    }
    /* Tagged PDF for PDF/UA-1 is PDF 1.7; libharu would say 1.3. */
    doc->pdf->pdf_version = HPDF_VER_17;
    return doc;
}

void pdfo_free(PdfDoc *doc)
{
    if (!doc)
        return;
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

/* DictStream_New ignores the document's compression mode. */
PdfObj pdfo_stream(PdfDoc *doc, bool flate)
{
    HPDF_Dict s = HPDF_DictStream_New(doc->pdf->mmgr, doc->pdf->xref);
    if (s && flate)
        s->filter = HPDF_STREAM_FILTER_FLATE_DECODE;
    return s;
}

int pdfo_stream_write(PdfObj stream, const void *data, size_t len)
{
    HPDF_Dict s = stream;
    if (!s || len > UINT32_MAX)
        return -1;
    return HPDF_Stream_Write(s->stream, data, (HPDF_UINT)len) == HPDF_OK ? 0 : -1;
}

PdfObj pdfo_ascii(PdfDoc *doc, const char *s) { return HPDF_String_New(doc->pdf->mmgr, s, NULL); }

PdfObj pdfo_text(PdfDoc *doc, const char *utf8)
{
    bool ascii = true;
    for (const char *p = utf8; *p && ascii; p++)
        ascii = *p >= 0x20 && *p < 0x7F;
    if (ascii)
        return pdfo_ascii(doc, utf8);
    if (!u16_from_utf8(&doc->text, utf8, strlen(utf8), false)) {
        diag_error(NULL, "pdf: invalid UTF-8 in a text string");
        return NULL;
    }
    size_t n = 2 + 2 * doc->text.len;
    if (n > UINT32_MAX)
        return NULL;
    HPDF_BYTE *bytes = xmalloc(n);
    bytes[0] = 0xFE;
    bytes[1] = 0xFF;
    for (size_t i = 0; i < doc->text.len; i++) {
        bytes[2 + 2 * i] = (HPDF_BYTE)(doc->text.units[i] >> 8);
        bytes[3 + 2 * i] = (HPDF_BYTE)(doc->text.units[i] & 0xFF);
    }
    HPDF_Binary bin = HPDF_Binary_New(doc->pdf->mmgr, bytes, (HPDF_UINT)n);
    free(bytes);
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

/* HPDF_New fills the info dictionary with /Producer, so it exists. */
PdfObj pdfo_info(PdfDoc *doc) { return doc->pdf->info; }

int pdfo_set_dates(PdfDoc *doc, int year, int month, int day, int hour, int minute, int second)
{
    HPDF_Date d = {year, month, day, hour, minute, second, 'Z', 0, 0};
    int bad = ok(HPDF_SetInfoDateAttr(doc->pdf, HPDF_INFO_CREATION_DATE, d));
    bad |= ok(HPDF_SetInfoDateAttr(doc->pdf, HPDF_INFO_MOD_DATE, d));
    return bad;
}

const char *pdfo_producer(PdfDoc *doc) { return HPDF_GetInfoAttr(doc->pdf, HPDF_INFO_PRODUCER); }

PdfObj pdfo_add_page(PdfDoc *doc, double width, double height)
{
    HPDF_Page page = HPDF_AddPage(doc->pdf);
    if (!page || HPDF_Page_SetWidth(page, (HPDF_REAL)width) != HPDF_OK ||
        HPDF_Page_SetHeight(page, (HPDF_REAL)height) != HPDF_OK)
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
    if (!p || len > UINT32_MAX)
        return -1;
    HPDF_Stream stream = ((HPDF_PageAttr)p->attr)->stream;
    return ok(HPDF_Stream_Write(stream, data, (HPDF_UINT)len));
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

int pdfo_outline(PdfDoc *doc, size_t page_index, double y, const char *title_utf8)
{
    return pdfo_outline_under(doc, NULL, page_index, y, title_utf8, false) ? 0 : -1;
}

PdfObj pdfo_outline_under(PdfDoc *doc, PdfObj parent, size_t page_index, double y,
                          const char *title_utf8, bool open)
{
    HPDF_Doc pdf = doc->pdf;
    HPDF_Page page = pdfo_page(doc, page_index);
    HPDF_Outline item = page ? HPDF_CreateOutline(pdf, parent, "", NULL) : NULL;
    if (!item || pdfo_put_text(doc, item, "Title", title_utf8))
        return NULL;
    /* libharu marks every item /Type /Outlines; only the root may be. */
    HPDF_Dict_RemoveElement(item, "Type");
    /* /XYZ with a null zoom keeps the reader's zoom, which
     * HPDF_Destination_SetXYZ cannot express. */
    HPDF_Destination dst = HPDF_Page_CreateDestination(page);
    if (!dst)
        return NULL;
    HPDF_Array_Clear(dst);
    int bad = pdfo_push(dst, page);
    bad |= pdfo_push_name(dst, "XYZ");
    bad |= pdfo_push_real(dst, 0);
    bad |= pdfo_push_real(dst, y);
    bad |= pdfo_push_null(doc, dst);
    bad |= ok(HPDF_Outline_SetDestination(item, dst));
    bad |= ok(HPDF_SetPageMode(pdf, HPDF_PAGE_MODE_USE_OUTLINE));
    if (open)
        bad |= ok(HPDF_Outline_SetOpened(item, HPDF_TRUE));
    return bad ? NULL : item;
}

/* ------------------------------------------------------------------ */
/* Saving.  libharu 2.3.0 writes only PDF 1.4's layout (every object on its
 * own with a table entry, each stream's /Length an object of its own), so
 * its objects are serialised here and handed to pdf_pack.c, which packs
 * them into object streams.  Numbers are given afresh in libharu's order,
 * leaving out the /Length objects (written direct). */

typedef struct {
    uint32_t *renum;   /* libharu's object number -> ours; 0: left out */
    PackKind *kind;    /* by libharu's number, for streams */
    size_t count;      /* libharu's numbers are below this */
    bool unsupported;  /* an object pdf_pack cannot write */
} Saver;

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
        sv->kind[id] = kind;
}

/* Runs libharu's before-write hooks (page counts, outline counts),
 * numbers the objects and learns each stream's kind. */
static int prepare(PdfDoc *doc, Saver *sv)
{
    HPDF_Xref xref = doc->pdf->xref;
    if (xref->prev || xref->start_offset)
        return -1;
    sv->count = xref->entries->count;
    sv->renum = xcalloc(sv->count, sizeof *sv->renum);
    sv->kind = xcalloc(sv->count, sizeof *sv->kind);
    bool *length = xcalloc(sv->count, sizeof *length);
    int rc = 0;
    for (size_t id = 1; id < sv->count && !rc; id++) {
        HPDF_Dict d = xref_obj(xref, id);
        if (!d) {
            rc = -1;
            break;
        }
        if ((d->header.obj_class & HPDF_OCLASS_ANY) != HPDF_OCLASS_DICT)
            continue;
        if (d->before_write_fn && d->before_write_fn(d) != HPDF_OK)
            rc = -1;
        if (d->stream) {
            uint32_t len_id = item_id(d, "Length");
            if (len_id && len_id < sv->count)
                length[len_id] = true;
            if (!sv->kind[id])
                sv->kind[id] = d->filter == HPDF_STREAM_FILTER_NONE ? PACK_RAW : PACK_OTHER;
        }
        if ((d->header.obj_class & 0xFF00) == HPDF_OSUBCLASS_PAGE)
            mark(sv, item_id(d, "Contents"), PACK_CONTENT);
        mark(sv, item_id(d, "ToUnicode"), PACK_CMAP);
        mark(sv, item_id(d, "FontFile2"), PACK_FONT);
        mark(sv, item_id(d, "FontFile3"), PACK_FONT);
    }
    uint32_t next = 1;
    for (size_t id = 1; id < sv->count; id++)
        sv->renum[id] = length[id] ? 0 : next++;
    free(length);
    return rc;
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

static int pack_all(PdfDoc *doc, Saver *sv, PdfPack *pack)
{
    HPDF_Xref xref = doc->pdf->xref;
    Buf value = {0}, data = {0};
    int rc = 0;
    for (size_t id = 1; id < sv->count && !rc; id++) {
        if (!sv->renum[id])
            continue;
        HPDF_Dict d = xref_obj(xref, id);
        value.len = 0;
        bool is_dict = (d->header.obj_class & HPDF_OCLASS_ANY) == HPDF_OCLASS_DICT;
        if (is_dict && d->stream) {
            data.len = 0;
            if (d->write_fn || (d->filter & ~(HPDF_UINT)HPDF_STREAM_FILTER_FLATE_DECODE) ||
                d->filterParams || !stream_data(d->stream, &data)) {
                rc = -1;
                break;
            }
            put_entries(sv, &value, d);
            pack_stream(pack, sv->renum[id], value.data, value.len, data.data, data.len,
                        sv->kind[id]);
        } else {
            put_value(sv, &value, d);
            pack_object(pack, sv->renum[id], value.data, value.len);
        }
        rc = sv->unsupported ? -1 : 0;
    }
    buf_free(&value);
    buf_free(&data);
    return rc;
}

static uint32_t number_of(Saver *sv, void *obj)
{
    const HPDF_Obj_Header *h = obj;
    uint32_t id = h && (h->obj_id & HPDF_OTYPE_INDIRECT) ? h->obj_id & 0x00FFFFFF : 0;
    return id < sv->count ? sv->renum[id] : 0;
}

int pdfo_save(PdfDoc *doc, const char *path)
{
    if (pdfo_check(doc, "saving", false))
        return -1;
    Saver sv = {0};
    PdfPack *pack = pack_new();
    int rc = prepare(doc, &sv);
    if (!rc)
        rc = pack_all(doc, &sv, pack);
    uint32_t root = number_of(&sv, doc->pdf->catalog), info = number_of(&sv, doc->pdf->info);
    free(sv.renum);
    free(sv.kind);
    if (sv.unsupported && !doc->code)
        diag_error(NULL, "pdf: saving: an object the writer cannot serialise");
    if ((sv.unsupported && !doc->code) || pdfo_check(doc, "saving", rc || !root || !info)) {
        pack_free(pack);
        return -1;
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        diag_error(NULL, "pdf: cannot create %s: %s", path, strerror(errno));
        pack_free(pack);
        return -1;
    }
    /* Only a regular file is ours to remove on failure (not /dev/...). */
    struct stat st;
    bool regular = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
    rc = pack_write(pack, root, info, f);
    pack_free(pack);
    int err = errno;
    if (fclose(f) != 0 && rc == 0) {
        rc = -1;
        err = errno;
    }
    if (rc == 0)
        return 0;
    if (rc == -1)
        diag_error(NULL, "pdf: cannot write %s: %s", path, strerror(err ? err : EIO));
    if (regular)
        remove(path);
    return -1;
}
