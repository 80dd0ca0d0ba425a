/* pdf_objects.h — every libharu call of pdfgen, behind one small API.
 * libharu 2.3.0 owns the document's objects, pages, outline and info
 * dictionary; pdfgen builds everything else (fonts, text, tags, links,
 * XMP) from objects made here.  No other file includes <hpdf.h>.  Saving
 * serialises libharu's objects here and leaves the file (object streams,
 * cross-reference stream, compression) to pdf_pack.h.
 * In: dictionaries, arrays, streams, names, numbers and UTF-8 text.
 * Out: a PDF file at a path, written whole or not at all (a large one as
 *     it is made, and removed unless saved).
 * Calls that can fail return 0 on success and -1 otherwise (constructors:
 * NULL); a failure is reported once through diag_error() with what was
 * being done, and poisons the document (libharu refuses every later
 * call), so callers may batch calls and check once with pdfo_check. */
#ifndef PDFGEN_PDF_OBJECTS_H
#define PDFGEN_PDF_OBJECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct PdfDoc PdfDoc;
typedef void *PdfObj; /* a dictionary, array, stream, page or string */

PdfDoc *pdfo_new(void);
void pdfo_free(PdfDoc *doc);
/* Reports a failure of the calls since the last check (or failed) as
 * "pdf: what: cause"; returns -1 then, else 0. */
int pdfo_check(PdfDoc *doc, const char *what, bool failed);

PdfObj pdfo_dict(PdfDoc *doc);          /* direct */
PdfObj pdfo_indirect_dict(PdfDoc *doc); /* its own numbered object */
PdfObj pdfo_array(PdfDoc *doc);
PdfObj pdfo_indirect_array(PdfDoc *doc);
/* An indirect dictionary filled in at the end (a font, the document's
 * structure element): pdfo_flush leaves it for pdfo_save. */
PdfObj pdfo_late_dict(PdfDoc *doc);
/* A reference to indirect obj that holds no pointer to it, for what
 * outlives a pdfo_flush that frees obj (the structure tree's parent tree). */
PdfObj pdfo_ref(PdfDoc *doc, PdfObj obj);
/* Frees a direct object put in no other (an indirect one is the
 * document's, freed with it); NULL: nothing. */
void pdfo_discard(PdfDoc *doc, PdfObj obj);
PdfObj pdfo_stream(PdfDoc *doc, bool flate); /* indirect */
int pdfo_stream_write(PdfDoc *doc, PdfObj stream, const void *data, size_t len);
PdfObj pdfo_ascii(PdfDoc *doc, const char *s); /* a string of plain ASCII */
/* A text string: ASCII as it is, anything else UTF-16BE with a byte order
 * mark (characters beyond the BMP included).  NULL on invalid UTF-8. */
PdfObj pdfo_text(PdfDoc *doc, const char *utf8);

int pdfo_put(PdfObj dict, const char *key, PdfObj value);
int pdfo_put_name(PdfObj dict, const char *key, const char *name);
int pdfo_put_int(PdfObj dict, const char *key, int32_t value);
int pdfo_put_real(PdfObj dict, const char *key, double value);
int pdfo_put_bool(PdfObj dict, const char *key, bool value);
int pdfo_put_text(PdfDoc *doc, PdfObj dict, const char *key, const char *utf8);
int pdfo_push(PdfObj array, PdfObj value);
int pdfo_push_name(PdfObj array, const char *name);
int pdfo_push_int(PdfObj array, int32_t value);
int pdfo_push_real(PdfObj array, double value);
int pdfo_push_null(PdfDoc *doc, PdfObj array);

PdfObj pdfo_catalog(PdfDoc *doc);
PdfObj pdfo_info(PdfDoc *doc);
/* Creation and modification date, UTC. */
int pdfo_set_dates(PdfDoc *doc, int year, int month, int day, int hour, int minute, int second);

PdfObj pdfo_add_page(PdfDoc *doc, double width, double height);
PdfObj pdfo_page(PdfDoc *doc, size_t index);
int pdfo_page_write(PdfDoc *doc, PdfObj page, const void *data, size_t len);
/* The page's /Font resource dictionary, made on first use. */
PdfObj pdfo_page_fonts(PdfDoc *doc, PdfObj page);

/* The outline, whole, in document order: each entry under the last one
 * a level up (level 0: the top), shown open when open; written to the
 * file at path at once (see pdfo_flush). */
typedef struct PdfOutlineItem {
    const char *title; /* UTF-8 */
    size_t page;       /* index */
    double y;          /* top */
    unsigned level;
    bool open;
} PdfOutlineItem;

int pdfo_outline_write(PdfDoc *doc, const PdfOutlineItem *items, size_t count,
                       const char *path);

/* Writing a document as it is made, for documents of any size:
 * pdfo_mark says that the objects made from now on are the first part's;
 * pdfo_flush writes the objects made since (but late dictionaries) to the
 * file at path, created by the first flush, and frees them: a page stays,
 * emptied, for the outline and destinations to point at; nothing may
 * change them or point at them afterwards but through pdfo_ref.
 * pdfo_save writes the rest; pdfo_free removes the file of a document
 * not saved. */
void pdfo_mark(PdfDoc *doc);
int pdfo_flush(PdfDoc *doc, const char *path);
int pdfo_save(PdfDoc *doc, const char *path);

#endif
