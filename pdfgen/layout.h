/* layout.h — the fact-sheet template.
 * In: one language's strings, one drug, the shared references, the paper
 *     size; a Shaper for the language.
 * Out: a Document (pages.h): a title band, the drug's name and type, the
 *     sections with their headings, bulleted side-effect lists, the boxed
 *     helpline, the disclaimer, the numbered references, and on every page
 *     a footer with the localized "last revised" date and "page X of Y".
 *     Text flows across pages; a heading is kept with the first two lines
 *     of what follows; paragraphs leave no single line alone at the top or
 *     bottom of a page; the helpline box is never split.
 * Returns NULL when text cannot be set (reported through diag_error()). */
#ifndef PDFGEN_LAYOUT_H
#define PDFGEN_LAYOUT_H

#include "arena.h"
#include "model.h"
#include "pages.h"
#include "text.h"

typedef enum Paper { PAPER_LETTER, PAPER_A4 } Paper;

typedef struct SheetRequest {
    const Content *content;
    const Language *language;
    const Drug *drug;
    Paper paper;
    const char *creator; /* "pdfgen 0.1.0" */
} SheetRequest;

Document *layout_sheet(Arena *arena, Shaper *shaper, const SheetRequest *request);

#endif
