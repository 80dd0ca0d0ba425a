/* booklet.c — the booklet: a cover template, and documents joined into
 * one.  See booklet.h. */
#include "booklet.h"

#include <string.h>
#include <unicode/uloc.h>

#include "collate.h"
#include "content.h"
#include "format.h"
#include "glossary.h"
#include "house.h"
#include "pdf.h"
#include "print.h"
#include "sheet.h"

static const TypeStyle BODY = {STYLE_REGULAR, 12, 16.5, INK};
static const TypeStyle BODY_ITALIC = {STYLE_ITALIC, 12, 16.5, INK};
static const TypeStyle SERIES = {STYLE_REGULAR, 13, 17, BAND_TINT};
static const TypeStyle TITLE = {STYLE_BOLD, 28, 34, WHITE};
static const TypeStyle ENTRY = {STYLE_REGULAR, 14, 20, INK};

/* ---- the cover ---------------------------------------------------------- */

static Node *block(Tree *tree, Node *parent, NodeKind kind, const Text *text, TypeStyle type,
                   double space_before)
{
    Node *node = tree_add(tree, parent, kind, text->pos);
    node->type = type;
    node->space_before = space_before;
    tree_add_text(tree, node, text->utf8, type.font, text->pos);
    return node;
}

/* The title band, the draft notice, and the contents: one numbered item
 * per part, in the order they follow. */
static Tree *cover_tree(Arena *arena, const Language *language, const Text *const *entries,
                        size_t count)
{
    const Strings *s = &language->strings;
    Tree *tree = tree_new(arena, s->locale.utf8,
                          uloc_isRightToLeft(s->locale.utf8) ? DIR_RTL : DIR_LTR,
                          s->sheet_title.pos);
    tree->root->type = BODY;
    Node *band = tree_add(tree, tree->root, NODE_SECT, s->sheet_title.pos);
    band->deco = (Decoration){.pad = 18, .fill = true, .fill_color = BRAND, .radius = 6};
    band->keep_together = true;
    block(tree, band, NODE_P, &s->series, SERIES, 0);
    block(tree, band, NODE_H1, &s->sheet_title, TITLE, 4);
    ReviewStatus review = review_language_status(language);
    house_review_band(tree, tree->root, language, &review, &s->draft_notice, BODY_ITALIC, 18);
    Node *list = tree_add(tree, tree->root, NODE_L, s->sheet_title.pos);
    list->type = ENTRY;
    list->space_before = 24;
    for (size_t i = 0; i < count; i++) {
        const Text *t = entries[i];
        Node *item = tree_add(tree, list, NODE_LI, t->pos);
        item->label_indent = 0;
        item->space_before = i == 0 ? 0 : 8;
        const char *number = arena_printf(arena, "%s.", format_number(arena, s->locale.utf8,
                                                                      (long)i + 1));
        Node *lbl = tree_add(tree, item, NODE_LBL, t->pos);
        tree_add_text(tree, lbl, number, STYLE_BOLD, t->pos);
        Node *body = tree_add(tree, item, NODE_LBODY, t->pos);
        body->indent = 28;
        tree_add_text(tree, body, t->utf8, STYLE_REGULAR, t->pos);
    }
    return tree;
}

/* ---- the booklet, a part at a time ----------------------------------- */

typedef struct Booklet {
    PdfWriter *out;
    Node *top;          /* the Document the parts' trees are Sects of */
    const char *top_title; /* the outline's top entry, with the first part */
    double bleed;
} Booklet;

/* Appends part to the booklet, on an odd page (a blank page before it when
 * the last part ended on one), its outline entries under title (level 1;
 * NULL: its own at level 1) and its pages labelled with prefix (NULL:
 * roman numbers).  The view made here lives in scratch with the part. */
static int add_part(Booklet *b, Arena *scratch, const Document *part, const char *title,
                    const char *prefix)
{
    size_t blank = pdf_page_count(b->out) % 2;
    Document *view = arena_alloc(scratch, sizeof *view);
    *view = *part;
    view->page_count = blank + part->page_count;
    view->pages = arena_array(scratch, view->page_count, sizeof *view->pages);
    if (blank)
        view->pages[0] = (Page){0};
    for (size_t p = 0; p < part->page_count; p++)
        view->pages[blank + p] = part->pages[p];
    size_t own = (b->top_title ? 1 : 0) + (title ? 1 : 0);
    view->bookmark_count = own + part->bookmark_count;
    view->bookmarks = arena_array(scratch, view->bookmark_count ? view->bookmark_count : 1,
                                  sizeof *view->bookmarks);
    unsigned *levels = arena_array(scratch, view->bookmark_count ? view->bookmark_count : 1,
                                   sizeof *levels);
    size_t n = 0;
    if (b->top_title) {
        levels[n] = 0;
        view->bookmarks[n++] = (Bookmark){b->top_title, 0, part->height};
        b->top_title = NULL;
    }
    if (title) {
        levels[n] = 1;
        view->bookmarks[n++] = (Bookmark){title, blank, part->height};
    }
    for (size_t i = 0; i < part->bookmark_count; i++) {
        levels[n] = title ? 2 : 1;
        view->bookmarks[n] = part->bookmarks[i];
        view->bookmarks[n++].page += blank;
    }
    view->bookmark_levels = levels;
    view->page_labels = arena_alloc(scratch, sizeof *view->page_labels);
    view->page_labels[0] =
        (PageLabel){blank, prefix ? PAGE_LABEL_DECIMAL : PAGE_LABEL_ROMAN_LOW, prefix, 1};
    view->page_label_count = 1;
    /* The part's tree, as a Sect of the booklet's. */
    Node *root = part->tree->root;
    root->kind = NODE_SECT;
    root->parent = b->top;
    root->next = NULL;
    if (b->bleed > 0)
        print_add_bleed(scratch, view, b->bleed);
    return pdf_add(b->out, view);
}

/* ---- the booklet ------------------------------------------------------- */

DocInfo booklet_info(Arena *arena, const Language *language, const char *creator)
{
    const Strings *s = &language->strings;
    ReviewStatus review = review_language_status(language);
    return house_document_info(arena, language, &review, s->sheet_title.utf8, s->series.utf8,
                               creator, language_last_revised(language));
}

int booklet_write(Arena *arena, Shaper *shaper, const BookletRequest *request,
                  const DocInfo *info, const char *path, size_t *pages)
{
    const Language *language = request->language;
    const Strings *s = &language->strings;
    const Glossary *g = &language->glossary;
    size_t drugs = language->drug_count, count = 1 + drugs + (g->file ? 1 : 0);
    /* The sheets in the language's order of their names. */
    size_t *order = arena_array(arena, drugs ? drugs : 1, sizeof *order);
    if (collate_drugs(arena, language, order) != 0)
        return -1;
    const Text **entries = arena_array(arena, count, sizeof *entries);
    for (size_t i = 0; i < drugs; i++)
        entries[i] = &language->drugs[order[i]].name;
    if (g->file)
        entries[drugs] = &g->title;
    PageGeometry geometry = page_geometry(request->paper);

    /* Each part is laid out in an arena of its own, written, and freed:
     * a booklet of a thousand sheets holds one sheet's layout at a time. */
    Arena scratch = {0};
    Tree *cover = cover_tree(&scratch, language, entries, count - 1);
    Document *part = flow_layout(&scratch, shaper, cover, &geometry);
    Booklet b = {NULL, NULL, s->sheet_title.utf8, request->bleed};
    if (part) {
        /* The booklet's Document: the cover's language and direction. */
        const Node *first = cover->root;
        Tree *tree = tree_new(arena, first->lang, first->dir, first->pos);
        tree->root->type = first->type;
        b.top = tree->root;
        b.out = pdf_begin(info, b.top, first->dir == DIR_RTL, path);
    }
    int rc = b.out ? add_part(&b, &scratch, part, NULL, NULL) : -1;
    arena_free(&scratch);
    GlossaryLinker *linker = rc == 0 ? glossary_linker_open(language) : NULL;
    rc |= linker ? 0 : -1;
    for (size_t i = 0; i < drugs && rc == 0; i++) {
        const Drug *drug = &language->drugs[order[i]];
        SheetRequest sheet = {request->content, language, drug, request->paper, request->creator,
                              SIZE_REGULAR};
        /* The sheet as on its own, but the first use of each glossary
         * term links to its entry at the end of the booklet. */
        Tree *tree = sheet_tree(&scratch, &sheet);
        part = tree && glossary_link_with(tree, linker) == 0
                   ? flow_layout(&scratch, shaper, tree, &geometry)
                   : NULL;
        rc = part ? add_part(&b, &scratch, part, drug->name.utf8,
                             arena_printf(&scratch, "%s ", drug->name.utf8))
                  : -1;
        arena_free(&scratch);
    }
    glossary_linker_close(linker);
    if (rc == 0 && g->file) {
        GlossaryRequest glossary = {language, request->paper, request->creator};
        /* Laid out here, not taken from glossary.pdf's job: with -j that
         * may run in another worker. */
        part = glossary_document(&scratch, shaper, &glossary);
        rc = part ? add_part(&b, &scratch, part, g->title.utf8,
                             arena_printf(&scratch, "%s ", g->title.utf8))
                  : -1;
        arena_free(&scratch);
    }
    if (rc != 0) {
        pdf_abandon(b.out);
        return -1;
    }
    *pages = pdf_page_count(b.out);
    return pdf_end(b.out);
}
