/* pdf.h — write a laid-out Document as PDF (libharu + hb-subset).
 * In: a Document (pages.h) whose text boxes carry shaped glyph ids.
 * Out: a PDF at path.  Text is written as glyph ids through Type0
 *     Identity-H fonts, each font subset with hb-subset and embedded, with
 *     /W from the font's own advances, kerning and other shaping offsets as
 *     TJ adjustments, and a ToUnicode CMap built from the shaping clusters
 *     (ActualText where one glyph stands for different text in different
 *     places).  Metadata, /Lang, and one outline entry per bookmark.
 *     The same Document gives the same bytes.
 * Returns 0 on success; otherwise reports through diag_error() and returns
 * -1, leaving no file at path (the caller passes a temporary path and
 * renames it). */
#ifndef PDFGEN_PDF_H
#define PDFGEN_PDF_H

#include <stdbool.h>

#include "pages.h"

int pdf_write(const Document *doc, const char *path);

/* The same, a part at a time: a booklet is written as it is laid out and
 * holds one part's pages at a time.  pdf_begin takes the document's
 * metadata, its Document node top (each part's tree root a Sect with top
 * as parent) and its direction; pdf_add appends a part's pages, its
 * bookmarks and page labels (pages counted from the part's first) and
 * its tags, after which the part may be freed; pdf_end writes the file
 * and frees the writer, pdf_abandon frees it without writing.  Each
 * returns as pdf_write does. */
typedef struct PdfWriter PdfWriter;

PdfWriter *pdf_begin(const DocInfo *info, const Node *top, bool rtl, const char *path);
int pdf_add(PdfWriter *w, const Document *part);
/* Pages written so far. */
size_t pdf_page_count(const PdfWriter *w);
int pdf_end(PdfWriter *w);
void pdf_abandon(PdfWriter *w);

#endif
