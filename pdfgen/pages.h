/* pages.h — the laid-out document: what layout.c produces and the writers
 * (pdf.c) consume.  Pure data, no behaviour: pages of positioned boxes,
 * each pointing at the node of the document tree it draws, plus the
 * outline and metadata.
 *
 * Units are PostScript points, origin at the bottom-left of the page.
 * Everything here lives in the Arena the layout was built in. */
#ifndef PDFGEN_PAGES_H
#define PDFGEN_PAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fonts.h"
#include "model.h"
#include "tree.h"

/* One glyph as HarfBuzz shaped it.  Positions are in font units (the
 * hb_font's scale is the face's upem).  cluster is a byte offset into the
 * span's text: every glyph whose cluster is c stands for the text from c to
 * the next larger cluster in the span (or to text_end). */
typedef struct Glyph {
    uint32_t gid;
    int32_t x_advance;
    int32_t x_offset, y_offset;
    uint32_t cluster;
    bool unsafe_to_break; /* HarfBuzz: a line broken before this glyph
                             would need the text shaped again */
} Glyph;

/* A run of glyphs in one font and size on one baseline, in visual order
 * (left to right on the page). */
typedef struct GlyphSpan {
    const Font *font;
    double size;      /* points */
    Color color;
    double x, y;      /* pen position of the first glyph, baseline */
    const Glyph *glyphs;
    size_t glyph_count;
    const char *text; /* the paragraph's NFC UTF-8 that clusters index */
    uint32_t text_begin, text_end; /* the bytes this span stands for */
    uint32_t line_end; /* where the span's line ends in text (logical order) */
    const char *lang; /* BCP 47 language of the text, e.g. "es-US" */
    uint8_t level;    /* bidi embedding level (text.c): odd is right to left */
    /* A hyphen added by the line breaking follows the glyphs (glyph
     * hyphen_gid of font, hyphen_advance font units). */
    bool hyphen;
    uint32_t hyphen_gid;
    int32_t hyphen_advance;
} GlyphSpan;

typedef enum BoxKind {
    BOX_TEXT,
    BOX_RECT
} BoxKind;

typedef struct RectBox {
    double x, y, width, height; /* y is the bottom edge */
    double radius;              /* rounded corners when > 0 */
    double line_width;          /* stroke when > 0 */
    Color stroke;
    int fill;                   /* fill with fill_color when nonzero */
    Color fill_color;
} RectBox;

/* Every box says which node of the document tree it draws (a TEXT leaf
 * for text; the decorated container or the page furniture for a
 * rectangle) and whether it is an artifact: furniture and decoration that
 * a reader of the content skips. */
typedef struct Box {
    BoxKind kind;
    const Node *node;
    bool artifact;
    union {
        GlyphSpan text;
        RectBox rect;
    } u;
} Box;

typedef struct Page {
    Box *boxes;
    size_t box_count, box_cap;
} Page;

typedef struct Bookmark {
    const char *title; /* UTF-8 */
    size_t page;       /* 0-based */
    double y;          /* top of the heading, for /XYZ */
} Bookmark;

/* Page labels (/PageLabels): from page on, pages are numbered start,
 * start + 1, ... in style, after prefix.  A document without labels is
 * numbered 1, 2, ... by readers. */
typedef enum PageLabelStyle {
    PAGE_LABEL_DECIMAL,   /* 1, 2, 3 */
    PAGE_LABEL_ROMAN_LOW, /* i, ii, iii */
    PAGE_LABEL_NONE       /* the prefix alone */
} PageLabelStyle;

typedef struct PageLabel {
    size_t page;        /* 0-based first page of the range */
    PageLabelStyle style;
    const char *prefix; /* UTF-8, or NULL */
    int start;          /* the number of its first page, >= 1 */
} PageLabel;

typedef struct DocInfo {
    const char *title, *author, *subject, *creator, *lang; /* UTF-8 */
    const char *keywords;      /* /Keywords and pdf:Keywords; NULL for none */
    const char *review_status; /* the translation's (review.h); NULL for none */
    int year, month, day; /* creation and modification date, UTC */
    int hour, minute, second;
} DocInfo;

/* How the text was set, for `pdfgen build --stats`. */
typedef struct SetStats {
    size_t lines, justified, hyphenated, runts, overfull;
    double loosest, tightest; /* the largest stretch and shrink ratios used */
    double last_page_fill;    /* share of the last page's text area used */
} SetStats;

/* A page box for print shops (print.c): x0, y0, x1, y1 in points. */
typedef struct PrintBox {
    bool set;
    double x0, y0, x1, y1;
} PrintBox;

typedef struct Document {
    double width, height; /* MediaBox */
    PrintBox trim, bleed; /* /TrimBox and /BleedBox of every page, when set */
    Page *pages;
    size_t page_count;
    Bookmark *bookmarks;
    size_t bookmark_count;
    /* Per bookmark, or NULL for a flat outline: 0 for the top level, n + 1
     * for an entry under the last entry of level n. */
    const unsigned *bookmark_levels;
    PageLabel *page_labels; /* ascending pages, the first at page 0; may be NULL */
    size_t page_label_count;
    DocInfo info;
    const Tree *tree; /* what the boxes draw: the structure to tag */
    SetStats stats;
} Document;

#endif
