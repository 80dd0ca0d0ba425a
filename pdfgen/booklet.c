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
#include "pages_copy.h"
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

/* ---- joining documents --------------------------------------------------- */

static void renumber(Node *node, unsigned *next)
{
    node->id = (*next)++;
    for (Node *c = node->first_child; c; c = c->next)
        renumber(c, next);
}

static void push_page(Arena *arena, Document *doc, size_t *cap, Page page)
{
    doc->pages = arena_reserve(arena, doc->pages, doc->page_count, cap, sizeof *doc->pages);
    doc->pages[doc->page_count++] = page;
}

static void push_bookmark(Arena *arena, Document *doc, unsigned **levels, size_t *cap,
                          Bookmark b, unsigned level)
{
    size_t level_cap = *cap;
    doc->bookmarks = arena_reserve(arena, doc->bookmarks, doc->bookmark_count, cap,
                                   sizeof *doc->bookmarks);
    *levels = arena_reserve(arena, *levels, doc->bookmark_count, &level_cap, sizeof **levels);
    (*levels)[doc->bookmark_count] = level;
    doc->bookmarks[doc->bookmark_count++] = b;
}

Document *booklet_join(Arena *arena, Document *const *parts, size_t count,
                       const char *top_title, const char *const *titles,
                       const char *const *prefixes)
{
    if (count == 0)
        return NULL;
    const Tree *first = parts[0]->tree;
    Tree *tree = tree_new(arena, first->root->lang, first->root->dir, first->root->pos);
    tree->root->type = first->root->type;
    Document *doc = arena_alloc(arena, sizeof *doc);
    doc->width = parts[0]->width;
    doc->height = parts[0]->height;
    doc->tree = tree;
    doc->page_labels = arena_array(arena, count, sizeof *doc->page_labels);
    unsigned *levels = NULL;
    size_t page_cap = 0, bookmark_cap = 0;
    if (top_title)
        push_bookmark(arena, doc, &levels, &bookmark_cap, (Bookmark){top_title, 0, doc->height},
                      0);
    for (size_t i = 0; i < count; i++) {
        Document *part = parts[i];
        /* Every part starts on an odd page: a blank page when the last one
         * ended on one. */
        if (doc->page_count % 2 == 1)
            push_page(arena, doc, &page_cap, (Page){0});
        size_t start = doc->page_count;
        doc->page_labels[doc->page_label_count++] = (PageLabel){
            start, prefixes[i] ? PAGE_LABEL_DECIMAL : PAGE_LABEL_ROMAN_LOW, prefixes[i], 1};
        if (titles[i])
            push_bookmark(arena, doc, &levels, &bookmark_cap,
                          (Bookmark){titles[i], start, doc->height}, 1);
        for (size_t b = 0; b < part->bookmark_count; b++) {
            Bookmark bm = part->bookmarks[b];
            bm.page += start;
            push_bookmark(arena, doc, &levels, &bookmark_cap, bm, titles[i] ? 2 : 1);
        }
        for (size_t p = 0; p < part->page_count; p++)
            push_page(arena, doc, &page_cap, part->pages[p]);
        /* The part's tree, as a Sect of the booklet's. */
        Node *root = part->tree->root;
        root->kind = NODE_SECT;
        root->parent = tree->root;
        root->next = NULL;
        if (tree->root->last_child)
            tree->root->last_child->next = root;
        else
            tree->root->first_child = root;
        tree->root->last_child = root;
    }
    doc->bookmark_levels = levels;
    unsigned next = 1;
    renumber(tree->root, &next);
    tree->node_count = next - 1;
    return doc;
}

/* ---- the booklet ------------------------------------------------------- */

Document *booklet_document(Arena *arena, Shaper *shaper, const BookletRequest *request)
{
    const Language *language = request->language;
    const Strings *s = &language->strings;
    const Glossary *g = &language->glossary;
    size_t drugs = language->drug_count, count = 1 + drugs + (g->file ? 1 : 0);
    /* The sheets in the language's order of their names. */
    size_t *order = arena_array(arena, drugs ? drugs : 1, sizeof *order);
    if (collate_drugs(arena, language, order) != 0)
        return NULL;

    const Text **entries = arena_array(arena, count, sizeof *entries);
    Document **parts = arena_array(arena, count, sizeof *parts);
    const char **titles = arena_array(arena, count, sizeof *titles);
    const char **prefixes = arena_array(arena, count, sizeof *prefixes);
    const Date *date = language_last_revised(language);
    GlossaryLinker *linker = glossary_linker_open(language);
    if (!linker)
        return NULL;
    for (size_t i = 0; i < drugs; i++) {
        const Drug *drug = &language->drugs[order[i]];
        SheetRequest sheet = {request->content, language, drug, request->paper, request->creator,
                              SIZE_REGULAR};
        /* The sheet as on its own, but the first use of each glossary
         * term links to its entry at the end of the booklet.  Laid out in
         * an arena of its own, of which the booklet keeps only the pages
         * and the tree: a booklet of a thousand sheets would otherwise hold
         * a thousand layouts' working memory. */
        Arena scratch = {0};
        Tree *tree = sheet_tree(&scratch, &sheet);
        PageGeometry sheet_geometry = page_geometry(request->paper);
        Document *part = tree && glossary_link_with(tree, linker) == 0
                             ? flow_layout(&scratch, shaper, tree, &sheet_geometry)
                             : NULL;
        parts[1 + i] = part ? document_copy(arena, part) : NULL;
        arena_free(&scratch);
        if (!parts[1 + i]) {
            glossary_linker_close(linker);
            return NULL;
        }
        entries[i] = &drug->name;
        titles[1 + i] = drug->name.utf8;
        prefixes[1 + i] = arena_printf(arena, "%s ", drug->name.utf8);
    }
    glossary_linker_close(linker);
    if (g->file) {
        GlossaryRequest glossary = {language, request->paper, request->creator};
        /* Laid out here, not taken from glossary.pdf's job: with -j that
         * may run in another worker. */
        parts[count - 1] = glossary_document(arena, shaper, &glossary);
        if (!parts[count - 1])
            return NULL;
        entries[drugs] = &g->title;
        titles[count - 1] = g->title.utf8;
        prefixes[count - 1] = arena_printf(arena, "%s ", g->title.utf8);
    }
    PageGeometry geometry = page_geometry(request->paper);
    Tree *cover = cover_tree(arena, language, entries, count - 1);
    if (!(parts[0] = flow_layout(arena, shaper, cover, &geometry)))
        return NULL;
    titles[0] = NULL; /* the top entry is the cover's */
    prefixes[0] = NULL;
    Document *doc = booklet_join(arena, parts, count, s->sheet_title.utf8, titles, prefixes);
    if (!doc)
        return NULL;
    ReviewStatus review = review_language_status(language);
    doc->info = house_document_info(arena, language, &review, s->sheet_title.utf8,
                                    s->series.utf8, request->creator, date);
    return doc;
}
