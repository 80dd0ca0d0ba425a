/* booklet.h — a language's booklet for print runs: out/<lang>/all.pdf.
 * In: the content, one language, the paper size; a Shaper for the
 *     language.
 * Out: one PDF: a cover (the series, the sheets' title as H1, the
 *     draft notice, and the contents: a TOC of the sheets and the
 *     glossary, each entry a TOCI linking to its part, with the page it
 *     starts on at the end of the line after dot leaders; as many pages
 *     as it takes), then every sheet of the language in the language's
 *     collation order of the drug names, then the glossary, each laid out
 *     as on its own and starting on an odd page (a blank page before it
 *     when needed, for duplex printers).  Pages are numbered from 1 at
 *     the cover, blank pages counted: the footers ("Page 7 of 12"), the
 *     contents and the page labels give the same numbers, in the
 *     strings' digits.  Bookmarks nest booklet > sheet (or glossary) >
 *     section.  The parts' document trees become Sect elements under one
 *     Document (a contents page after the first, a TOC), so the tags and
 *     links are those of the sheets; in addition the first use
 *     of each glossary term in a sheet links to its entry in the glossary.
 * Written as it is laid out: see booklet_write. */
#ifndef PDFGEN_BOOKLET_H
#define PDFGEN_BOOKLET_H

#include "arena.h"
#include "flow.h"
#include "model.h"
#include "pages.h"
#include "text.h"

typedef struct BookletRequest {
    const Content *content;
    const Language *language;
    Paper paper;
    const char *creator;
    double bleed; /* print.h: every page with bleed and crop marks; 0: none */
    /* The pages each sheet (by its index in the language) and then the
     * glossary came out on when laid out on their own in this process,
     * with the same paper; 0: not known; NULL: none.  Only a guess at
     * each part's pages (the booklet links glossary terms in its sheets),
     * checked as each part is laid out again. */
    const size_t *pages_alone;
} BookletRequest;

/* The booklet's metadata (title, language, date, review status). */
DocInfo booklet_info(Arena *arena, const Language *language, const char *creator);

/* Lays out the booklet and writes it at path, a part at a time: the
 * parts' pages are first guessed (pages_alone, or laid out without their
 * glossary links to count them), then the contents laid out a page at a
 * time, each sheet and the glossary are laid out, written (pdf.h) and
 * freed in turn, so memory does not grow with the number of sheets.  A
 * part that comes out on other pages than guessed has the booklet made
 * again from the start, its parts counted as they are set (links and
 * all): the same bytes as if counted so the first time.
 * 0 and the number of pages in *pages, or -1 (reported). */
int booklet_write(Arena *arena, Shaper *shaper, const BookletRequest *request,
                  const DocInfo *info, const char *path, size_t *pages);

#endif
