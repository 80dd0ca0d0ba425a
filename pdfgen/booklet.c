/* booklet.c — the booklet: a cover template, and documents joined into
 * one.  See booklet.h. */
#include "booklet.h"

#include <string.h>
#include <unicode/uloc.h>

#include "collate.h"
#include "content.h"
#include "diag.h"
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
static const TypeStyle FOOTER = {STYLE_REGULAR, 9.5, 12, MUTED};

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

/* The contents and where each part starts: pages numbered from 1 at the
 * cover, blank pages included, as the footers number them. */
typedef struct Contents {
    const Language *language;
    const Text **entries; /* the parts after the cover, in order */
    size_t count;
    long *starts;         /* the page each part starts on */
    long total;           /* the booklet's pages */
    const char *locale;   /* the numbers' (format_locale) */
    PageGeometry geometry;
} Contents;

/* Each part's named destination, at its first line. */
static const char *part_dest(Arena *arena, size_t part)
{
    return arena_printf(arena, "part-%zu", part + 1);
}

static void footer(Tree *tree, const Strings *s, const Text *start)
{
    Node *rule = tree_add(tree, tree->root, NODE_ARTIFACT, s->page_of.pos);
    rule->furniture = FURNITURE_FOOT_RULE;
    rule->deco = (Decoration){.fill = true, .fill_color = MUTED};
    const Text *texts[] = {start, &s->page_of};
    const Furniture roles[] = {FURNITURE_FOOT_START, FURNITURE_FOOT_END};
    for (size_t i = 0; i < 2; i++) {
        Node *node = tree_add(tree, tree->root, NODE_ARTIFACT, texts[i]->pos);
        node->furniture = roles[i];
        node->type = FOOTER;
        tree_add_text(tree, node, texts[i]->utf8, FOOTER.font, texts[i]->pos);
    }
}

/* One page's worth of the contents, or more, from entry first on: the
 * cover's first page has the title band and the draft notice above them,
 * the others the contents alone, their root the TOC.  Each entry (TOCI)
 * is a link to its part, the page number at the end of its line. */
static Tree *contents_tree(Arena *arena, const Contents *c, size_t first, size_t count,
                           long page)
{
    const Language *language = c->language;
    const Strings *s = &language->strings;
    Tree *tree = tree_new(arena, s->locale.utf8,
                          uloc_isRightToLeft(s->locale.utf8) ? DIR_RTL : DIR_LTR,
                          s->sheet_title.pos);
    tree->root->type = BODY;
    tree->number_locale = c->locale;
    tree->page_first = page;
    tree->page_total = c->total;
    Node *toc = tree->root;
    if (page == 1) {
        Node *band = tree_add(tree, tree->root, NODE_SECT, s->sheet_title.pos);
        band->deco = (Decoration){.pad = 18, .fill = true, .fill_color = BRAND, .radius = 6};
        band->keep_together = true;
        block(tree, band, NODE_P, &s->series, SERIES, 0)->phrases = true;
        block(tree, band, NODE_H1, &s->sheet_title, TITLE, 4);
        ReviewStatus review = review_language_status(language);
        house_review_band(tree, tree->root, language, &review, &s->draft_notice, BODY_ITALIC, 18);
        toc = tree_add(tree, tree->root, NODE_TOC, s->sheet_title.pos);
        toc->space_before = 30;
    } else {
        toc->kind = NODE_TOC;
    }
    toc->type = ENTRY;
    for (size_t i = first; i < first + count; i++) {
        const Text *t = c->entries[i];
        Node *item = tree_add(tree, toc, NODE_TOCI, t->pos);
        /* the glossary, after the sheets, set a little apart */
        bool glossary = i >= language->drug_count;
        item->space_before = i == first ? 0 : glossary ? 24 : 10;
        item->keep_together = true;
        Node *link = tree_add(tree, item, NODE_LINK, t->pos);
        link->dest = part_dest(arena, i);
        link->alt = t->utf8;
        tree_add_text(tree, link, t->utf8, STYLE_REGULAR, t->pos);
        tree_add_text(tree, link, format_page_number(arena, c->locale, c->starts[i]), STYLE_BOLD,
                      t->pos)
            ->at_end = true;
    }
    footer(tree, s, &s->sheet_title);
    return tree;
}

static const Node *entry_of(const Node *node)
{
    while (node && node->kind != NODE_TOCI)
        node = node->parent;
    return node;
}

/* How many entries the layout's first page holds whole (keep_together
 * splits only an entry taller than a page). */
static size_t entries_on_first_page(const Document *doc)
{
    size_t n = 0;
    const Node *last = NULL;
    const Page *page = &doc->pages[0];
    for (size_t i = 0; i < page->box_count; i++) {
        const Node *entry = page->boxes[i].artifact ? NULL : entry_of(page->boxes[i].node);
        if (entry && entry != last) {
            last = entry;
            n++;
        }
    }
    const Page *next = doc->page_count > 1 ? &doc->pages[1] : NULL;
    for (size_t i = 0; next && last && i < next->box_count; i++)
        if (!next->boxes[i].artifact && entry_of(next->boxes[i].node) == last) {
            n--;
            break;
        }
    return n;
}

/* The entries after the first n are not on this page: out of its tree, so
 * they are tagged with the page that shows them. */
static void cut_entries(Node *toc, size_t n)
{
    Node *item = toc->first_child;
    while (item && item->kind != NODE_TOCI)
        item = item->next;
    for (size_t i = 1; item && i < n; i++)
        item = item->next;
    if (!item)
        return;
    /* the furniture stays: it follows the entries only in the root */
    Node *rest = item->next;
    item->next = NULL;
    toc->last_child = item;
    while (rest && rest->kind == NODE_TOCI)
        rest = rest->next;
    item->next = rest;
    for (; rest; rest = rest->next)
        toc->last_child = rest;
}

typedef struct Booklet Booklet;
static int add_part(Booklet *b, Arena *scratch, const Document *part, const char *title,
                    bool odd_page);

/* The contents laid out a page at a time, each page's layout freed before
 * the next: no more than a page and a half of entries are laid out at
 * once (a page holds fewer than chunk).  With b, each page is written;
 * without, only counted; with only_one, nothing is written and 0 returned
 * when it takes more than a page.  Returns the pages, or -1 (reported). */
static size_t contents_chunk(const PageGeometry *g)
{
    return (size_t)((g->top - g->bottom) / ENTRY.leading) + 2;
}

static long contents_pages(Booklet *b, Shaper *shaper, const Contents *c, bool only_one)
{
    const PageGeometry *g = &c->geometry;
    size_t chunk = contents_chunk(g);
    size_t at = 0;
    long pages = 0;
    do {
        Arena scratch = {0};
        size_t n = c->count - at < chunk ? c->count - at : chunk;
        Tree *tree = contents_tree(&scratch, c, at, n, pages + 1);
        Document *doc = (b ? flow_layout : flow_paginate)(&scratch, shaper, tree, g);
        size_t fit = doc ? entries_on_first_page(doc) : 0;
        int rc = doc ? 0 : -1;
        if (doc && fit == 0 && n > 0) {
            const Text *t = c->entries[at];
            diag_error(&t->pos, "this contents entry does not fit on a page");
            rc = -1;
        }
        if (rc == 0 && only_one && at + fit < c->count) {
            arena_free(&scratch);
            return 0;
        }
        if (rc == 0 && b) {
            Node *toc = tree->root->kind == NODE_TOC ? tree->root : NULL;
            for (Node *k = tree->root->first_child; !toc && k; k = k->next)
                if (k->kind == NODE_TOC)
                    toc = k;
            if (toc)
                cut_entries(toc, fit);
            doc->page_count = 1;
            size_t kept = 0;
            while (kept < doc->bookmark_count && doc->bookmarks[kept].page == 0)
                kept++;
            doc->bookmark_count = kept;
            rc = add_part(b, &scratch, doc, NULL, pages == 0);
        }
        arena_free(&scratch);
        if (rc != 0)
            return -1;
        at += fit;
        pages++;
    } while (at < c->count);
    return pages;
}

/* ---- the booklet, a part at a time ----------------------------------- */

struct Booklet {
    PdfWriter *out;
    Node *top;          /* the Document the parts' trees are Sects of */
    const char *top_title; /* the outline's top entry, with the first part */
    double bleed;
    const char *locale;  /* page labels in other digits than 0-9: each page's own */
    bool own_labels;
};

/* Appends part to the booklet, on an odd page when odd_page (a blank page
 * before it when the last part ended on one), its outline entries under
 * title (level 1; NULL: its own at level 1).  Pages are labelled as
 * their footers number them, from 1 at the cover.  The view made here
 * lives in scratch with the part. */
static int add_part(Booklet *b, Arena *scratch, const Document *part, const char *title,
                    bool odd_page)
{
    size_t before = pdf_page_count(b->out);
    size_t blank = odd_page ? before % 2 : 0;
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
    if (b->own_labels) {
        /* /D would show 0-9: each page gets its number as a prefix */
        view->page_label_count = view->page_count;
        view->page_labels = arena_array(scratch, view->page_count, sizeof *view->page_labels);
        for (size_t p = 0; p < view->page_count; p++)
            view->page_labels[p] = (PageLabel){
                p, PAGE_LABEL_NONE, format_page_number(scratch, b->locale, (long)(before + p) + 1), 1};
    } else {
        view->page_label_count = before == 0;
        view->page_labels = arena_alloc(scratch, sizeof *view->page_labels);
        view->page_labels[0] = (PageLabel){0, PAGE_LABEL_DECIMAL, NULL, 1};
    }
    /* The part's tree, as a Sect of the booklet's (a contents page's TOC
     * stays one). */
    Node *root = part->tree->root;
    if (root->kind == NODE_DOCUMENT)
        root->kind = NODE_SECT;
    root->parent = b->top;
    root->next = NULL;
    if (b->bleed > 0)
        print_add_bleed(scratch, view, b->bleed);
    return pdf_add(b->out, view);
}

/* The first block of a part: where its entry in the contents leads. */
static Node *first_block(Node *node)
{
    for (Node *c = node->first_child; c; c = c->next) {
        if (c->kind == NODE_ARTIFACT)
            continue;
        if (node_is_block(c))
            return c;
        Node *found = first_block(c);
        if (found)
            return found;
    }
    return NULL;
}

/* Part part of the booklet's tree (0: the first sheet), in arena, its
 * glossary terms linked by linker unless NULL, its pages numbered as the
 * booklet's when c is given; NULL (reported) when it cannot be made. */
static Tree *part_tree(Arena *arena, const BookletRequest *request, const size_t *order,
                       GlossaryLinker *linker, const Contents *c, size_t part)
{
    const Language *language = request->language;
    Tree *tree;
    if (part < language->drug_count) {
        SheetRequest sheet = {request->content, language, &language->drugs[order[part]],
                              request->paper, request->creator, SIZE_REGULAR};
        /* The sheet as on its own, but the first use of each glossary
         * term links to its entry at the end of the booklet. */
        tree = sheet_tree(arena, &sheet);
        if (tree && linker && glossary_link_with(tree, linker) != 0)
            tree = NULL;
    } else {
        /* Laid out here, not taken from glossary.pdf's job: with -j that
         * may run in another worker. */
        GlossaryRequest glossary = {language, request->paper, request->creator};
        tree = glossary_tree(arena, &glossary);
    }
    if (tree && c) {
        tree->number_locale = c->locale;
        tree->page_first = c->starts[part];
        tree->page_total = c->total;
        Node *target = first_block(tree->root);
        if (target)
            target->anchor = part_dest(arena, part);
    }
    return tree;
}

/* Where each part starts, given the cover's pages. */
static void number_parts(Contents *c, const size_t *pages, long cover)
{
    long next = cover + 1;
    for (size_t i = 0; i < c->count; i++) {
        next += next % 2 == 0; /* a blank page: each part starts on an odd page */
        c->starts[i] = next;
        next += (long)pages[i];
    }
    c->total = next - 1;
}

/* ---- the booklet ------------------------------------------------------- */

DocInfo booklet_info(Arena *arena, const Language *language, const char *creator)
{
    const Strings *s = &language->strings;
    ReviewStatus review = review_language_status(language);
    return house_document_info(arena, language, &review, s->sheet_title.utf8, s->series.utf8,
                               creator, language_last_revised(language));
}

/* A part came out on other pages than guessed (nothing reported). */
#define GUESSED_WRONG 1

/* Each part's pages.  Guessed: those it had on its own when known
 * (pages_alone), else counted without its glossary links, which may
 * change it (a linked term is never hyphenated); otherwise counted as
 * the booklet sets it, links and all. */
static int count_parts(Shaper *shaper, const BookletRequest *request, const size_t *order,
                       GlossaryLinker *linker, const Contents *c, bool guess, size_t *part_pages)
{
    const Language *language = request->language;
    for (size_t i = 0; i < c->count; i++) {
        size_t alone = i < language->drug_count ? order[i] : language->drug_count;
        part_pages[i] = guess && request->pages_alone ? request->pages_alone[alone] : 0;
        if (part_pages[i])
            continue;
        Arena scratch = {0};
        Tree *tree = part_tree(&scratch, request, order, guess ? NULL : linker, NULL, i);
        Document *part = tree ? flow_paginate(&scratch, shaper, tree, &c->geometry) : NULL;
        part_pages[i] = part ? part->page_count : 0;
        arena_free(&scratch);
        if (!part)
            return -1;
    }
    return 0;
}

/* Starts writing the booklet at path: its Document node, its outline's
 * top entry, its page labels.  0 or -1 (reported). */
static int booklet_begin(Booklet *b, Arena *arena, const BookletRequest *request,
                         const DocInfo *info, const char *path, const Contents *c)
{
    const Strings *s = &request->language->strings;
    *b = (Booklet){NULL, NULL, s->sheet_title.utf8, request->bleed, c->locale, false};
    const char *one = format_page_number(arena, c->locale, 1);
    b->own_labels = strcmp(one, "1") != 0;
    bool rtl = uloc_isRightToLeft(s->locale.utf8);
    Tree *tree = tree_new(arena, s->locale.utf8, rtl ? DIR_RTL : DIR_LTR, s->sheet_title.pos);
    tree->root->type = BODY;
    b->top = tree->root;
    b->out = pdf_begin(info, b->top, rtl, path);
    return b->out ? 0 : -1;
}

/* The booklet made once, its parts' pages guessed or counted
 * (count_parts).  0, -1 (reported) or GUESSED_WRONG. */
static int booklet_once(Arena *arena, Shaper *shaper, const BookletRequest *request,
                        const DocInfo *info, const char *path, Contents *c, const size_t *order,
                        GlossaryLinker *linker, bool guess, size_t *pages)
{
    const Language *language = request->language;
    const Strings *s = &language->strings;
    size_t parts = c->count;

    /* The contents gives each part's first page, so the parts' pages are
     * counted first, then the cover's pages counted with those numbers
     * until they stop changing (more pages, wider numbers: never fewer). */
    size_t *part_pages = arena_array(arena, parts ? parts : 1, sizeof *part_pages);
    int rc = count_parts(shaper, request, order, linker, c, guess, part_pages);
    /* Most often the contents is one page: then it is written at once,
     * numbered as one (what counting it would find), not counted first
     * (entries enough for two pages are never one). */
    Booklet b = {0};
    long cover = 1, written = 0;
    if (rc == 0 && parts < contents_chunk(&c->geometry)) {
        number_parts(c, part_pages, cover);
        rc = booklet_begin(&b, arena, request, info, path, c);
        written = rc == 0 ? contents_pages(&b, shaper, c, true) : 0;
        rc = written < 0 ? -1 : rc;
        if (rc == 0 && written == 0) {
            pdf_abandon(b.out);
            b.out = NULL;
        }
    }
    for (int round = 0; rc == 0 && written == 0; round++) {
        number_parts(c, part_pages, cover);
        long counted = contents_pages(NULL, shaper, c, false);
        if (counted < 0 || counted == cover)
            rc = counted < 0 ? -1 : 0;
        if (counted < 0 || counted == cover)
            break;
        cover = counted;
        if (round == 8 && guess)
            return GUESSED_WRONG; /* counted, it may settle */
        if (round == 8) {
            diag_error(&s->sheet_title.pos, "the booklet's contents does not settle on a number "
                                           "of pages");
            rc = -1;
        }
    }

    /* Each part is laid out in an arena of its own, written, and freed:
     * a booklet of a thousand sheets holds one sheet's layout at a time,
     * and its contents a page at a time. */
    if (rc == 0 && written == 0) {
        rc = booklet_begin(&b, arena, request, info, path, c);
        rc = rc == 0 && contents_pages(&b, shaper, c, false) == cover ? 0 : -1;
    }
    Arena scratch = {0};
    for (size_t i = 0; i < parts && rc == 0; i++) {
        Tree *tree = part_tree(&scratch, request, order, linker, c, i);
        Document *part = tree ? flow_layout(&scratch, shaper, tree, &c->geometry) : NULL;
        if (part && part->page_count != part_pages[i] && guess) {
            rc = GUESSED_WRONG;
            part = NULL;
        } else if (part && part->page_count != part_pages[i]) {
            diag_error(&c->entries[i]->pos, "laid out again in the booklet, this part came out "
                                           "on %zu pages, not %zu", part->page_count,
                       part_pages[i]);
            part = NULL;
        }
        if (part)
            rc = add_part(&b, &scratch, part, c->entries[i]->utf8, true);
        else if (rc == 0)
            rc = -1;
        arena_free(&scratch);
    }
    if (rc != 0) {
        pdf_abandon(b.out);
        return rc;
    }
    *pages = pdf_page_count(b.out);
    return pdf_end(b.out);
}

int booklet_write(Arena *arena, Shaper *shaper, const BookletRequest *request,
                  const DocInfo *info, const char *path, size_t *pages)
{
    const Language *language = request->language;
    const Strings *s = &language->strings;
    const Glossary *g = &language->glossary;
    size_t drugs = language->drug_count, parts = drugs + (g->file ? 1 : 0);
    /* The sheets in the language's order of their names. */
    size_t *order = arena_array(arena, drugs ? drugs : 1, sizeof *order);
    if (collate_drugs(arena, language, order) != 0)
        return -1;
    Contents c = {language, arena_array(arena, parts ? parts : 1, sizeof *c.entries), parts,
                  arena_array(arena, parts ? parts : 1, sizeof *c.starts), 0,
                  format_locale(arena, s), page_geometry(request->paper)};
    for (size_t i = 0; i < drugs; i++)
        c.entries[i] = &language->drugs[order[i]].name;
    if (g->file)
        c.entries[drugs] = &g->title;
    GlossaryLinker *linker = glossary_linker_open(language);
    if (!linker)
        return -1;
    /* Guessed right, as it nearly always is, the booklet is the one
     * counted pages would make; else made again, counted. */
    int rc = booklet_once(arena, shaper, request, info, path, &c, order, linker, true, pages);
    if (rc == GUESSED_WRONG)
        rc = booklet_once(arena, shaper, request, info, path, &c, order, linker, false, pages);
    glossary_linker_close(linker);
    return rc == 0 ? 0 : -1;
}
