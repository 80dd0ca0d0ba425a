/* flow.h — the flow engine: any document tree into pages of boxes.
 * In: a Tree (tree.h) from any template, the page geometry, and the
 *     Shaper for the tree's language.
 * Out: a Document (pages.h): every block shaped (text.c) and broken into
 *     lines (paragraph.c), set from the start edge (the right one in a
 *     right-to-left document) at its indent, list labels hanging beside
 *     the first line of their item, an at_end text (a contents entry's
 *     page number) at the end edge of its block's last line after dot
 *     leaders, decorated containers drawn as boxes
 *     behind their lines; cut into pages so that a block marked
 *     keep_with_next goes with at least two lines of what follows, no
 *     paragraph leaves a single line alone at the top or bottom of a page,
 *     and a keep_together container is never split; then the page
 *     furniture (ARTIFACT nodes: running head from page two, footer with
 *     {page} and {pages} in the locale's digits, numbered as the tree
 *     says, rule) on every page.
 *     Every box points at the node it draws.  Bookmarks for nodes marked
 *     bookmark.  The engine knows no template: a new kind of document
 *     needs no change here.
 * Returns NULL when text cannot be set (reported through diag_error()). */
#ifndef PDFGEN_FLOW_H
#define PDFGEN_FLOW_H

#include "arena.h"
#include "pages.h"
#include "text.h"
#include "tree.h"

typedef enum Paper { PAPER_LETTER, PAPER_A4 } Paper;

typedef struct PageGeometry {
    double width, height;            /* MediaBox */
    double left, right, top, bottom; /* the text block; the footer sits below bottom */
} PageGeometry;

PageGeometry page_geometry(Paper paper);

Document *flow_layout(Arena *arena, Shaper *shaper, const Tree *tree, const PageGeometry *geometry);
/* The same pages with their text, without the page furniture and the
 * decorations: enough to count them and see what is on each (a booklet
 * numbering its parts before it writes them). */
Document *flow_paginate(Arena *arena, Shaper *shaper, const Tree *tree,
                        const PageGeometry *geometry);

#endif
