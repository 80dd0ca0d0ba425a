/* pdf_tags.h — the structure tree of a tagged PDF, built from the
 * document tree (tree.h) while the pages are written.
 * In: for each page, the marked-content sequences the page writer opens
 *     (each for one TEXT leaf of the tree) and the link annotations it
 *     makes (each for one LINK node).
 * Out: a structure element per node that has content (its /S the node's
 *     kind, /Lang where its language differs from its parent's), kids in
 *     reading order (marked-content references and child elements in
 *     tree order, a link's OBJR after its text), the ParentTree (each
 *     page's MCIDs and each annotation mapped back to their element),
 *     /StructParents on pages, /StructParent on annotations, and the
 *     catalog's /StructTreeRoot and /MarkInfo.
 * Calls pdf_objects.h only. */
#ifndef PDFGEN_PDF_TAGS_H
#define PDFGEN_PDF_TAGS_H

#include "pdf_objects.h"
#include "tree.h"

typedef struct Tags Tags;

/* top: NULL for a document of one tree; for a document of parts (a
 * booklet), its Document node, which no part's tree holds: each part's
 * root has it as parent, and its element's kids are the parts' roots.
 * A document of parts refers to what each part made only by number once
 * the part ends (pdfo_ref), so that pdfo_flush can free it: its ParentTree
 * is a number tree with a leaf per part, each page's array of parents an
 * object of its own. */
Tags *tags_new(PdfDoc *doc, const Node *top);
void tags_free(Tags *tags);
/* Starts the tree whose pages follow (ending the previous part). */
int tags_part(Tags *tags, const Tree *tree);
/* Of parts: writes the part's elements' kids and forgets its nodes, so
 * a booklet holds one part's node records at a time. */
int tags_part_end(Tags *tags);
/* Starts a page: gives it /StructParents. */
int tags_page(Tags *tags, PdfObj page);
/* The MCID of a new marked-content sequence of leaf on the current page,
 * or -1 (reported). */
int tags_mcid(Tags *tags, const Node *leaf);
/* Ties a link annotation on the current page to its LINK node. */
int tags_annotation(Tags *tags, const Node *link, PdfObj annot);
/* Writes the elements' kids, the ParentTree and the catalog entries. */
int tags_finish(Tags *tags);

#endif
