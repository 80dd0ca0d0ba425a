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

#include "pages.h"

int pdf_write(const Document *doc, const char *path);

#endif
