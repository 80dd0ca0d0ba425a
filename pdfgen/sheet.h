/* sheet.h — the fact-sheet template.
 * In: one language's strings, one drug, the shared references, the paper
 *     size; a Shaper for the language.
 * Out: sheet_tree: the document tree (tree.h) of one sheet: a title band,
 *     the draft notice, the drug's name (H1) and type, a Sect per section
 *     with its H2 heading, side effects as lists (L > LI > Lbl + LBody),
 *     the helpline (its number a Link to tel:), the disclaimer, the
 *     numbered references (every URL a Link; citations keep English as
 *     their language), and the page furniture: running head, footer with
 *     the localized "last revised" date and "page X of Y", and a rule.
 *     sheet_document: that tree laid out by the flow engine (flow.h), with
 *     the document's title, author, subject, language and dates.
 * Both return NULL when the sheet cannot be made (reported through
 * diag_error()). */
#ifndef PDFGEN_SHEET_H
#define PDFGEN_SHEET_H

#include "arena.h"
#include "flow.h"
#include "model.h"
#include "pages.h"
#include "text.h"
#include "tree.h"

typedef enum SheetSize { SIZE_REGULAR, SIZE_LARGE } SheetSize;

typedef struct SheetRequest {
    const Content *content;
    const Language *language;
    const Drug *drug;
    Paper paper;
    const char *creator; /* "pdfgen 0.1.0" */
    SheetSize size;      /* SIZE_LARGE: the large-print edition */
} SheetRequest;

Tree *sheet_tree(Arena *arena, const SheetRequest *request);
Document *sheet_document(Arena *arena, Shaper *shaper, const SheetRequest *request);

#endif
