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

/* libharu serialises into memory; the file is written with stdio so that
 * every write error, including the one fclose reports, is seen, and a
 * partial file can be removed. */
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

int pdfo_save(PdfDoc *doc, const char *path)
{
    if (pdfo_check(doc, "saving", HPDF_SaveToStream(doc->pdf) != HPDF_OK))
        return -1;
    FILE *f = fopen(path, "wb");
    if (!f) {
        diag_error(NULL, "pdf: cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    /* Only a regular file is ours to remove on failure (not /dev/...). */
    struct stat st;
    bool regular = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
    errno = 0;
    bool written = write_chunks(doc->pdf->stream, f);
    int err = errno;
    if (fclose(f) != 0 && written) {
        written = false;
        err = errno;
    }
    if (written)
        return 0;
    diag_error(NULL, "pdf: cannot write %s: %s", path, strerror(err ? err : EIO));
    if (regular)
        remove(path);
    return -1;
}
