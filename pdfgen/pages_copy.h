/* pages_copy.h — a laid-out Document moved into another arena.
 * In: a Document from flow_layout (pages.h) and its tree, living in the
 *     arena it was laid out in, next to everything the layout needed on
 *     the way (shaped paragraphs, line-breaking candidates, the attempts
 *     it did not keep): about ten times what the pages themselves take.
 * Out: the same Document in arena `to`: its pages, boxes, glyphs and
 *     texts, its tree (every node, with its strings), bookmarks and page
 *     labels; boxes point at the copied nodes.  Fonts are shared (they
 *     belong to the FontSet).  The layout arena can then be freed, so a
 *     booklet holds each sheet's pages, not each sheet's layout. */
#ifndef PDFGEN_PAGES_COPY_H
#define PDFGEN_PAGES_COPY_H

#include "arena.h"
#include "pages.h"

Document *document_copy(Arena *to, const Document *doc);

#endif
