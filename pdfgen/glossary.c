/* glossary.c — the "Words to know" template: a language's glossary into
 * a document tree.  See glossary.h.  Like sheet.c it says what each piece
 * is and how it looks; the flow engine decides where it goes. */
#include "glossary.h"

#include <stdlib.h>
#include <string.h>
#include <unicode/uloc.h>

#include <unicode/ucoleitr.h>
#include <unicode/usearch.h>
#include <unicode/ustring.h>

#include "alloc.h"
#include "collate.h"
#include "content.h"
#include "diag.h"
#include "format.h"
#include "house.h"

/* The sheets' type: 12 pt body, the same heading colours. */
static const TypeStyle BODY = {STYLE_REGULAR, 12, 16.5, INK};
static const TypeStyle BODY_ITALIC = {STYLE_ITALIC, 12, 16.5, INK};
static const TypeStyle TITLE = {STYLE_BOLD, 26, 31, BRAND};
static const TypeStyle LETTER = {STYLE_BOLD, 18, 23, BRAND};
static const TypeStyle TERM = {STYLE_BOLD, 12.5, 17, INK};
static const TypeStyle FOOTER = {STYLE_REGULAR, 9.5, 12, MUTED};

typedef struct Builder {
    Tree *tree;
    Arena *arena;
} Builder;

static Node *block(Builder *b, Node *parent, NodeKind kind, const Text *text, TypeStyle type,
                   double space_before)
{
    Node *node = tree_add(b->tree, parent, kind, text->pos);
    node->type = type;
    node->space_before = space_before;
    /* running text is justified, as on the sheets */
    node->justify = type.size == BODY.size && type.leading == BODY.leading;
    tree_add_text(b->tree, node, text->utf8, type.font, text->pos);
    return node;
}

static Node *artifact(Builder *b, Furniture role, SourcePos pos)
{
    Node *node = tree_add(b->tree, b->tree->root, NODE_ARTIFACT, pos);
    node->furniture = role;
    node->type = FOOTER;
    return node;
}

static void furniture(Builder *b, const Glossary *g, const Strings *s)
{
    Node *head = artifact(b, FURNITURE_HEAD, g->title.pos);
    tree_add_text(b->tree, head, g->title.utf8, STYLE_BOLD, g->title.pos);
    tree_add_text(b->tree, head, " \xC2\xB7 ", STYLE_REGULAR, s->series.pos); /* middle dot */
    tree_add_text(b->tree, head, s->series.utf8, STYLE_REGULAR, s->series.pos);
    Node *rule = artifact(b, FURNITURE_FOOT_RULE, s->page_of.pos);
    rule->deco = (Decoration){.fill = true, .fill_color = MUTED};
    Node *start = artifact(b, FURNITURE_FOOT_START, g->title.pos);
    tree_add_text(b->tree, start, g->title.utf8, FOOTER.font, g->title.pos);
    Node *end = artifact(b, FURNITURE_FOOT_END, s->page_of.pos);
    tree_add_text(b->tree, end, s->page_of.utf8, FOOTER.font, s->page_of.pos);
}

/* One Sect per letter, one Sect per term inside it: the term keeps with
 * its definition, and a short definition is never split. */
static bool sections(Builder *b, const Glossary *g, const char *locale)
{
    const char **keys = arena_array(b->arena, g->term_count ? g->term_count : 1, sizeof *keys);
    for (size_t i = 0; i < g->term_count; i++)
        keys[i] = g->terms[i].reading.utf8 ? g->terms[i].reading.utf8 : g->terms[i].term.utf8;
    Index index;
    if (collate_index(b->arena, locale, keys, g->term_count, &index) != 0)
        return false;
    for (size_t s = 0; s < index.count; s++) {
        const IndexSection *section = &index.sections[s];
        const GlossaryTerm *first = &g->terms[section->items[0]];
        Node *sect = tree_add(b->tree, b->tree->root, NODE_SECT, first->term.pos);
        Text letter = {(char *)section->label, first->term.pos};
        Node *h2 = block(b, sect, NODE_H2, &letter, LETTER, s == 0 ? 18 : 16);
        h2->keep_with_next = true;
        h2->bookmark = true;
        for (size_t i = 0; i < section->count; i++) {
            const GlossaryTerm *t = &g->terms[section->items[i]];
            Node *entry = tree_add(b->tree, sect, NODE_SECT, t->term.pos);
            entry->space_before = i == 0 ? 4 : 9;
            Node *term = block(b, entry, NODE_P, &t->term, TERM, 0);
            term->keep_with_next = true;
            term->anchor = arena_printf(b->arena, "glossary-%s", t->id.utf8);
            block(b, entry, NODE_P, &t->definition, BODY, 1);
        }
    }
    return true;
}

Tree *glossary_tree(Arena *arena, const GlossaryRequest *request)
{
    const Language *language = request->language;
    const Glossary *g = &language->glossary;
    const Strings *s = &language->strings;
    if (!g->file)
        return NULL;
    Builder b = {.arena = arena};
    b.tree = tree_new(arena, s->locale.utf8,
                      uloc_isRightToLeft(s->locale.utf8) ? DIR_RTL : DIR_LTR,
                      (SourcePos){g->file, 1, 1});
    b.tree->root->type = BODY;
    /* the sheets' digits (an Arabic sheet chooses 0-9), not the locale's */
    b.tree->number_locale = format_locale(arena, s);
    block(&b, b.tree->root, NODE_H1, &g->title, TITLE, 0);
    ReviewStatus review = review_glossary_status(language);
    house_review_band(b.tree, b.tree->root, language, &review, &g->draft_notice, BODY_ITALIC, 12);
    block(&b, b.tree->root, NODE_P, &g->intro, BODY, 12);
    if (!sections(&b, g, s->locale.utf8))
        return NULL;
    furniture(&b, g, s);
    return b.tree;
}

Document *glossary_document(Arena *arena, Shaper *shaper, const GlossaryRequest *request)
{
    const Language *language = request->language;
    const Strings *s = &language->strings;
    Tree *tree = glossary_tree(arena, request);
    if (!tree)
        return NULL;
    PageGeometry geometry = page_geometry(request->paper);
    Document *doc = flow_layout(arena, shaper, tree, &geometry);
    if (!doc)
        return NULL;
    /* as new as the newest sheet it explains */
    const Date *date = language_last_revised(language);
    ReviewStatus review = review_glossary_status(language);
    doc->info = house_document_info(
        arena, language, &review,
        arena_printf(arena, "%s: %s", language->glossary.title.utf8, s->sheet_title.utf8),
        language->glossary.intro.utf8, request->creator, date);
    return doc;
}

/* ---- links from the sheets ------------------------------------------------ */

static bool linkable(const Node *leaf, const Tree *tree)
{
    if (strcmp(leaf->lang, tree->root->lang) != 0)
        return false;
    for (const Node *n = leaf->parent; n; n = n->parent)
        if (n->kind == NODE_H1 || n->kind == NODE_H2 || n->kind == NODE_NOTE ||
            n->kind == NODE_LINK || n->kind == NODE_ARTIFACT || n->deco.fill ||
            n->deco.line_width > 0)
            return false;
    return true;
}

static void collect_leaves(Arena *arena, const Tree *tree, Node *node, Node ***leaves,
                           size_t *count, size_t *cap)
{
    for (Node *c = node->first_child; c; c = c->next) {
        if (c->kind == NODE_TEXT && linkable(c, tree)) {
            *leaves = arena_reserve(arena, *leaves, *count, cap, sizeof **leaves);
            (*leaves)[(*count)++] = c;
        } else if (c->kind != NODE_TEXT) {
            collect_leaves(arena, tree, c, leaves, count, cap);
        }
    }
}

/* The term as it is used in running text: without its parenthesis. */
static UChar *search_pattern(Arena *arena, const char *term, int32_t *len)
{
    size_t n = strcspn(term, "(");
    const char *full_paren = strstr(term, "\xEF\xBC\x88"); /* （ */
    if (full_paren && (size_t)(full_paren - term) < n)
        n = (size_t)(full_paren - term);
    while (n > 0 && term[n - 1] == ' ')
        n--;
    UErrorCode status = U_ZERO_ERROR;
    UChar *out = arena_array(arena, n + 1, sizeof *out);
    u_strFromUTF8(out, (int32_t)n + 1, len, term, (int32_t)n, &status);
    return U_SUCCESS(status) && *len > 0 ? out : NULL;
}

/* Byte offset in utf8 of the UTF-16 offset u16. */
static size_t utf8_offset(const char *utf8, int32_t u16)
{
    size_t at = 0;
    int32_t units = 0;
    while (utf8[at] && units < u16) {
        unsigned char c = (unsigned char)utf8[at];
        size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        units += len == 4 ? 2 : 1;
        at += len;
    }
    return at;
}

/* Inserts node after `after` among its siblings. */
static void insert_after(Node *after, Node *node)
{
    Node *parent = after->parent;
    /* tree_add appended it: take it off the end first */
    Node *prev = NULL;
    for (Node *c = parent->first_child; c && c != node; c = c->next)
        prev = c;
    if (prev)
        prev->next = node->next;
    else
        parent->first_child = node->next;
    if (parent->last_child == node)
        parent->last_child = prev;
    node->next = after->next;
    after->next = node;
    if (parent->last_child == after)
        parent->last_child = node;
}

typedef struct Match {
    size_t term, begin, end; /* bytes in the leaf's text */
    bool found;
} Match;

/* The primary weights of a text as usearch compares them at primary
 * strength (ICU's UCollationPCE): each collation element's 16-bit primary
 * order from ucol_next, those of 0 (ignorable) left out.  usearch finds
 * a term only where the term's weights are a run of the text's, and then
 * checks more (boundaries), so a text without that run holds no use of
 * the term and need not be searched: the links stay exactly the same,
 * and most of a sheet's texts are searched for none of the terms. */
typedef struct Weights {
    uint16_t *items;
    size_t count;
} Weights;

static int primary_weights(Arena *arena, const UCollator *coll, const UChar *s, int32_t len,
                           Weights *out)
{
    *out = (Weights){0};
    UErrorCode status = U_ZERO_ERROR;
    UCollationElements *it = ucol_openElements(coll, s, len, &status);
    if (status == U_MEMORY_ALLOCATION_ERROR)
        oom_abort();
    if (U_FAILURE(status))
        return -1;
    size_t cap = 0;
    for (;;) {
        int32_t ce = ucol_next(it, &status);
        if (U_FAILURE(status) || ce == UCOL_NULLORDER)
            break;
        uint16_t primary = (uint16_t)ucol_primaryOrder(ce);
        if (!primary)
            continue;
        out->items = arena_reserve(arena, out->items, out->count, &cap, sizeof *out->items);
        out->items[out->count++] = primary;
    }
    ucol_closeElements(it);
    if (status == U_MEMORY_ALLOCATION_ERROR)
        oom_abort();
    return U_FAILURE(status) ? -1 : 0;
}

static bool holds_run(const Weights *text, const Weights *run)
{
    if (run->count > text->count)
        return false;
    for (size_t i = 0; i + run->count <= text->count; i++)
        if (memcmp(text->items + i, run->items, run->count * sizeof *run->items) == 0)
            return true;
    return false;
}

/* One collator for a language's searches, the terms' patterns, and each
 * term's search opened on its first use and pointed at each text in
 * turn: opening them afresh for every text, term and sheet cost more
 * than laying the sheets out. */
struct GlossaryLinker {
    const Language *language;
    Arena arena;     /* the patterns */
    UCollator *coll; /* the language's, at primary strength */
    UChar **patterns;
    int32_t *lengths;
    UStringSearch **by_term;
    /* Each pattern's primary weights (Weights below); filter: false when
     * the collator shifts variable characters, where usearch would skip
     * more than the weights do. */
    Weights *pattern_weights;
    bool filter;
};

GlossaryLinker *glossary_linker_open(const Language *language)
{
    const Glossary *g = &language->glossary;
    GlossaryLinker *linker = xcalloc(1, sizeof *linker);
    linker->language = language;
    size_t n = g->term_count ? g->term_count : 1;
    linker->patterns = arena_array(&linker->arena, n, sizeof *linker->patterns);
    linker->lengths = arena_array(&linker->arena, n, sizeof *linker->lengths);
    linker->by_term = arena_array(&linker->arena, n, sizeof *linker->by_term);
    if (!g->file || g->term_count == 0)
        return linker;
    for (size_t t = 0; t < g->term_count; t++)
        linker->patterns[t] =
            search_pattern(&linker->arena, g->terms[t].term.utf8, &linker->lengths[t]);
    const char *locale = language->strings.locale.utf8;
    UErrorCode status = U_ZERO_ERROR;
    linker->coll = ucol_open(locale, &status);
    if (status == U_MEMORY_ALLOCATION_ERROR)
        oom_abort();
    if (U_FAILURE(status)) {
        diag_error(NULL, "ICU: cannot open a collator for %s: %s", locale, u_errorName(status));
        glossary_linker_close(linker);
        return NULL;
    }
    ucol_setStrength(linker->coll, UCOL_PRIMARY);
    status = U_ZERO_ERROR;
    linker->filter =
        ucol_getAttribute(linker->coll, UCOL_ALTERNATE_HANDLING, &status) == UCOL_NON_IGNORABLE &&
        U_SUCCESS(status);
    linker->pattern_weights = arena_array(&linker->arena, n, sizeof *linker->pattern_weights);
    for (size_t t = 0; t < g->term_count && linker->filter; t++)
        if (linker->patterns[t] &&
            (primary_weights(&linker->arena, linker->coll, linker->patterns[t],
                             linker->lengths[t], &linker->pattern_weights[t]) != 0 ||
             linker->pattern_weights[t].count == 0))
            linker->filter = false; /* usearch alone decides */
    return linker;
}

void glossary_linker_close(GlossaryLinker *linker)
{
    if (!linker)
        return;
    for (size_t t = 0; t < linker->language->glossary.term_count; t++)
        if (linker->by_term[t])
            usearch_close(linker->by_term[t]);
    if (linker->coll)
        ucol_close(linker->coll);
    arena_free(&linker->arena);
    free(linker);
}

/* The earliest (then longest) use of a term not linked yet in text. */
static int find_use(Arena *arena, GlossaryLinker *linker, const bool *linked, const char *text,
                    Match *m)
{
    const Glossary *g = &linker->language->glossary;
    *m = (Match){0};
    UErrorCode status = U_ZERO_ERROR;
    int32_t n16 = 0;
    u_strFromUTF8(NULL, 0, &n16, text, -1, &status);
    status = U_ZERO_ERROR;
    UChar *text16 = arena_array(arena, (size_t)n16 + 1, sizeof *text16);
    u_strFromUTF8(text16, n16 + 1, NULL, text, -1, &status);
    if (U_FAILURE(status) || n16 == 0)
        return 0;
    Weights weights = {0};
    bool filter = linker->filter && primary_weights(arena, linker->coll, text16, n16, &weights) == 0;
    for (size_t t = 0; t < g->term_count; t++) {
        if (linked[t] || !linker->patterns[t])
            continue;
        if (filter && !holds_run(&weights, &linker->pattern_weights[t]))
            continue;
        status = U_ZERO_ERROR;
        UStringSearch *search = linker->by_term[t];
        if (search)
            usearch_setText(search, text16, n16, &status);
        else
            search = linker->by_term[t] =
                usearch_openFromCollator(linker->patterns[t], linker->lengths[t], text16, n16,
                                         linker->coll, NULL, &status);
        if (U_FAILURE(status)) {
            diag_error(NULL, "ICU: cannot search for '%s' in %s: %s", g->terms[t].term.utf8,
                       linker->language->strings.locale.utf8, u_errorName(status));
            return -1;
        }
        int32_t at = usearch_first(search, &status);
        int32_t len = usearch_getMatchedLength(search);
        if (U_FAILURE(status) || at == USEARCH_DONE || len <= 0)
            continue;
        size_t begin = utf8_offset(text, at), end = utf8_offset(text, at + len);
        if (!m->found || begin < m->begin || (begin == m->begin && end > m->end))
            *m = (Match){t, begin, end, true};
    }
    return 0;
}

int glossary_link_first_uses(Tree *tree, const Language *language)
{
    GlossaryLinker *linker = glossary_linker_open(language);
    int rc = linker ? glossary_link_with(tree, linker) : -1;
    glossary_linker_close(linker);
    return rc;
}

int glossary_link_with(Tree *tree, GlossaryLinker *linker)
{
    const Glossary *g = &linker->language->glossary;
    Arena *arena = tree->arena;
    if (!g->file || g->term_count == 0)
        return 0;
    bool *linked = arena_array(arena, g->term_count, sizeof *linked);
    Node **leaves = NULL;
    size_t count = 0, cap = 0;
    collect_leaves(arena, tree, tree->root, &leaves, &count, &cap);
    for (size_t i = 0; i < count; i++) {
        Node *leaf = leaves[i];
        for (;;) {
            Match m;
            if (find_use(arena, linker, linked, leaf->utf8, &m) != 0)
                return -1;
            if (!m.found)
                break;
            linked[m.term] = true;
            const GlossaryTerm *t = &g->terms[m.term];
            const char *text = leaf->utf8;
            Node *link = tree_add(tree, leaf->parent, NODE_LINK, leaf->pos);
            insert_after(leaf, link);
            link->dest = arena_printf(arena, "glossary-%s", t->id.utf8);
            link->alt = arena_printf(arena, "%s: %s", g->title.utf8, t->term.utf8);
            tree_add_text(tree, link, arena_strndup(arena, text + m.begin, m.end - m.begin),
                          leaf->font, leaf->pos);
            Node *rest = NULL;
            if (text[m.end]) {
                rest = tree_add_text(tree, leaf->parent, text + m.end, leaf->font, leaf->pos);
                insert_after(link, rest);
            }
            if (m.begin > 0) {
                leaf->utf8 = arena_strndup(arena, text, m.begin);
            } else { /* the link starts the text: the leaf is not needed */
                Node *parent = leaf->parent, *prev = NULL;
                for (Node *c = parent->first_child; c != leaf; c = c->next)
                    prev = c;
                if (prev)
                    prev->next = leaf->next;
                else
                    parent->first_child = leaf->next;
            }
            if (!rest)
                break;
            leaf = rest;
        }
    }
    return 0;
}
