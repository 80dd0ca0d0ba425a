/* pdf_page.h — one page of the document into its content stream.
 * In: a page of boxes (pages.h), each pointing at its node of the tree.
 * Out: the page's content: decorations and text, each run of boxes of one
 *     TEXT leaf on one line a marked-content sequence with its MCID (the
 *     structure element it belongs to recorded through pdf_tags.h), page
 *     furniture and decoration as Artifacts; text as TJ arrays of glyph
 *     codes with kerning and shaping offsets from absolute positions, a
 *     ToUnicode entry per glyph shown (pdf_fonts.h), ActualText where
 *     glyphs and characters are not one to one, and the marks poppler
 *     needs (pdf_poppler.h); a link annotation per link (URI, QuadPoints
 *     per line, /Contents), tied to its Link element.
 * Calls pdf_fonts.h, pdf_tags.h, pdf_poppler.h, pdf_glyphtext.h, pdf_objects.h,
 * pdf_buf.h, and kept.h (glyphtext_partition's answers kept for the process). */
#ifndef PDFGEN_PDF_PAGE_H
#define PDFGEN_PDF_PAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "pages.h"
#include "pdf_fonts.h"
#include "pdf_objects.h"
#include "pdf_tags.h"

typedef struct Writer Writer;

Writer *page_writer_new(PdfDoc *doc, FontUses *fonts, Tags *tags, bool rtl_doc);
void page_writer_free(Writer *w);
int page_write(Writer *w, const Document *doc, size_t index);

#endif
