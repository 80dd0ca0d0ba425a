/* tree.h — the document tree: what a template (sheet.c) builds and the
 * flow engine (flow.c) lays out; the PDF writer reads it back for tags.
 * In: node kinds, text and style, added by a template in reading order.
 * Out: a tree of Nodes whose kinds are the PDF standard structure types
 *     (Document, Sect, H1, H2, P, L, LI, Lbl, LBody, Note, Link, Figure,
 *     TOC, TOCI),
 *     plus TEXT leaves (the words, in one font style; not structure
 *     elements of their own: their content belongs to the parent) and
 *     ARTIFACT nodes (running heads, footers, page numbers, rules: page
 *     furniture that is drawn on every page and never read as content).
 *     Every node carries its language (BCP 47), its direction and the
 *     source position of what it came from; tree_dump prints it.
 * Everything lives in the Arena the tree was built in. */
#ifndef PDFGEN_TREE_H
#define PDFGEN_TREE_H

#include <stdbool.h>
#include <stdio.h>

#include "arena.h"
#include "fonts.h"
#include "model.h"

typedef enum NodeKind {
    NODE_DOCUMENT,
    NODE_SECT,
    NODE_H1,
    NODE_H2,
    NODE_P,
    NODE_L,
    NODE_LI,
    NODE_LBL,
    NODE_LBODY,
    NODE_NOTE,
    NODE_LINK,
    NODE_FIGURE,
    NODE_TOC,
    NODE_TOCI,
    NODE_TEXT,
    NODE_ARTIFACT
} NodeKind;

typedef struct Color {
    float r, g, b;
} Color;

/* The type of a block's lines: every TEXT under the block shares its
 * size, leading and colour; each TEXT picks its own FontStyle. */
typedef struct TypeStyle {
    FontStyle font;
    double size, leading; /* points */
    Color color;
} TypeStyle;

/* A filled and/or stroked box drawn behind a container's lines (an
 * artifact: decoration, not content). */
typedef struct Decoration {
    double pad;        /* inside the box, around the lines */
    bool fill;
    Color fill_color;
    double line_width; /* stroke when > 0 */
    Color stroke;
    double radius;
} Decoration;

/* Where page furniture goes; its text may use {page} and {pages}. */
typedef enum Furniture {
    FURNITURE_NONE,
    FURNITURE_HEAD,        /* top of every page but the first, one line */
    FURNITURE_FOOT_START,  /* footer, at the start edge (left, or right in RTL) */
    FURNITURE_FOOT_END,    /* footer, at the end edge; drops below on collision */
    FURNITURE_FOOT_RULE    /* a hairline above the footer */
} Furniture;

typedef enum Direction { DIR_LTR, DIR_RTL } Direction;

typedef struct Node Node;
struct Node {
    NodeKind kind;
    Node *parent, *first_child, *last_child, *next;
    const char *lang; /* BCP 47 */
    Direction dir;    /* the paragraph direction of its text */
    bool dir_from_text; /* a quoted citation: direction from its own first
                           strong character, not the document's */
    SourcePos pos;

    /* TEXT: the words (NFC is applied by the shaper) in one font style. */
    const char *utf8;
    FontStyle font;

    /* Blocks (nodes whose children are TEXT or Link): their type. */
    TypeStyle type;
    double space_before; /* above the first line, dropped at a page top */
    double indent;       /* from the start edge */
    double label_indent; /* LI: where its Lbl hangs, from the start edge */
    bool keep_with_next; /* a heading: goes with two lines of what follows */
    bool keep_together;  /* never split across pages */
    bool bookmark;       /* an outline entry for this heading */
    bool justify;        /* a block set justified (else ragged) */
    bool phrases;        /* a title set like a heading: lines break between
                            phrases (text.h TEXT_BY_PHRASES), as H1 and H2 do */
    double min_size;     /* > 0: the type may go down to this size to save a
                            page (references); leading in proportion */
    Decoration deco;     /* drawn behind a container when pad or fill > 0 */

    const char *uri;     /* LINK: where it goes */
    const char *dest;    /* LINK without uri: a named destination in the
                            same document (an anchor), e.g. "glossary-mtor" */
    const char *anchor;  /* a named destination at this node's first line */
    const char *alt;     /* FIGURE and LINK: the description a reader hears */
    /* FIGURE: a square grid of modules (a QR code), row by row, nonzero
     * for dark, drawn indent from the start edge as a square of
     * figure_size points including a quiet zone of 4 modules. */
    const unsigned char *modules;
    unsigned modules_per_side;
    double figure_size;
    Furniture furniture; /* ARTIFACT */
    /* TEXT, the last of its block (a contents entry's page number): set
     * at the end edge of the block's last line, dot leaders between; the
     * block's other text wraps short of it. */
    bool at_end;

    unsigned id;         /* 1-based, in tree order: stable names in dumps */
};

typedef struct Tree {
    Arena *arena;
    Node *root;
    unsigned node_count;
    const char *const *keep_whole; /* words never hyphenated (drug names),
                                      NULL-terminated; NULL for none */
    const char *number_locale;     /* for {page} and {pages}: the locale with
                                      its digit system; NULL: the node's */
    /* {page} of the first page (0: 1) and {pages} (0: the document's own
     * count): a part of a booklet numbered as the booklet's pages. */
    long page_first, page_total;
} Tree;

/* The root is a DOCUMENT node in the given language and direction. */
Tree *tree_new(Arena *arena, const char *lang, Direction dir, SourcePos pos);
/* A new last child of parent, inheriting its language and direction. */
Node *tree_add(Tree *tree, Node *parent, NodeKind kind, SourcePos pos);
/* A TEXT leaf under parent; utf8 is not copied. */
Node *tree_add_text(Tree *tree, Node *parent, const char *utf8, FontStyle font, SourcePos pos);

const char *node_kind_name(NodeKind kind); /* "Document", "H1", "Text", ... */
/* The structure element a node's content belongs to: itself, or for TEXT
 * its parent. */
const Node *node_element(const Node *node);
/* Is the node a block whose children are all inline (TEXT, LINK)? */
bool node_is_block(const Node *node);

/* The tree as indented text, one node a line, for golden tests:
 *   Document lang=en-US dir=ltr
 *     H1 @en/sunitinib.yaml:2:7 "Sunitinib"
 * with file names relative to strip_prefix when they start with it. */
void tree_dump(const Tree *tree, FILE *out, const char *strip_prefix);

#endif
