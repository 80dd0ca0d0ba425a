/* glossary.c — the "Words to know" template: a language's glossary into
 * a document tree.  See glossary.h.  Like sheet.c it says what each piece
 * is and how it looks; the flow engine decides where it goes. */
#include "glossary.h"

#include <stdlib.h>
#include <string.h>
#include <unicode/uloc.h>

#include <unicode/ubrk.h>
#include <unicode/unorm2.h>
#include <unicode/usearch.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

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

/* The linker finds what ICU's usearch finds with the language's collator
 * at primary strength (usearch_first: the earliest match), without
 * usearch where it can: usearch reads collation elements, and ICU's
 * first collation element iterator for a tailoring computes the
 * tailoring's maximum expansions (a walk of its and the root's tables,
 * 26 M instructions, once per tailoring and process).  Sort keys and
 * comparisons need none of that.
 *
 * At primary strength (non-ignorable variables) usearch compares each
 * collation element's 16-bit primary orders, those of 0 left out, and
 * takes the earliest run of the text's equal to the pattern's that
 * starts a code point on a grapheme boundary, not inside an expansion;
 * the match then ends (usearch_search's boundary rules, ICU 72):
 *   - at the first grapheme boundary after its last code point when
 *     nothing but ignorables comes before it (so trailing accents are
 *     taken along);
 *   - else, when the next non-ignorable code point starts a normalization
 *     boundary, before it (a Hindi plural's vowel sign stays out);
 *   - else not at all.
 * A text whose collation elements are those of its code points one by
 * one, each at its own place (context_free below), is searched that way
 * here, by sort keys: the run is the pattern's sort key, and a text's
 * key holds the pattern's (all but the first byte, which sort key
 * compression may leave out) wherever usearch could match.  Other texts
 * (any contraction or context across code points but a Japanese mark's
 * glued to the kana before it, marks out of canonical order) go to
 * usearch itself.  Keys compare whole primary weights where usearch
 * compares 16-bit halves: they would differ only where a 3- or 4-byte
 * weight's halves equal two other weights.
 * tests/unit/test_glossary_link.c holds both to the same matches. */

typedef struct Key {
    const uint8_t *bytes; /* primary weights, without the terminating 0 */
    size_t len;
} Key;

static void sort_key(Arena *arena, const UCollator *coll, const UChar *s, int32_t len, Key *out)
{
    uint8_t small[256];
    int32_t n = ucol_getSortKey(coll, s, len, small, (int32_t)sizeof small);
    uint8_t *bytes = arena_alloc(arena, n > 0 ? (size_t)n : 1);
    if (n > (int32_t)sizeof small)
        ucol_getSortKey(coll, s, len, bytes, n);
    else if (n > 0)
        memcpy(bytes, small, (size_t)n);
    *out = (Key){bytes, n > 0 ? (size_t)n - 1 : 0};
}

static bool key_has_prefix(const Key *key, const Key *prefix)
{
    return prefix->len <= key->len && memcmp(key->bytes, prefix->bytes, prefix->len) == 0;
}

/* Could the text (key) hold the pattern's run of weights? */
static bool may_hold(const Key *text, const Key *pattern)
{
    if (pattern->len <= 1)
        return true;
    if (pattern->len - 1 > text->len)
        return false;
    const uint8_t *needle = pattern->bytes + 1;
    size_t n = pattern->len - 1;
    for (const uint8_t *at = text->bytes, *last = text->bytes + (text->len - n);
         at <= last && (at = memchr(at, needle[0], (size_t)(last - at) + 1)) != NULL; at++)
        if (memcmp(at, needle, n) == 0)
            return true;
    return false;
}

/* One code point's key, kept for the language: a few hundred distinct. */
typedef struct PointKey {
    UChar32 c; /* -1: empty slot */
    Key key;
} PointKey;

/* One text being searched, what the exact search needs of it made once. */
typedef struct TextScan {
    const UChar *text;
    int32_t len;
    Key key;
    int context_free; /* -1 not known yet, 0, 1 */
    /* NULL, or where a code point is glued to the one before: a
     * Japanese ー or iteration mark, whose weights follow the kana before
     * it (glued[i] for the code point at unit i) */
    const bool *glued;
    bool breaks_set;
} TextScan;

typedef struct Match {
    size_t term, begin, end; /* bytes in the leaf's text */
    bool found;
} Match;

/* One collator for a language's searches, the terms' patterns and keys,
 * and each term's usearch (for texts the keys cannot search) opened on
 * its first use and pointed at each text in turn: opening them afresh
 * for every text, term and sheet cost more than laying the sheets out. */
struct GlossaryLinker {
    const Language *language;
    Arena arena;     /* the patterns, their keys, the code points' keys */
    UCollator *coll; /* the language's, at primary strength */
    UChar **patterns;
    int32_t *lengths;
    UStringSearch **by_term;
    Key *pattern_keys;
    bool by_keys; /* false when variables are shifted: usearch alone */
    PointKey *points;
    size_t point_count, point_cap; /* cap: a power of two */
    UBreakIterator *graphemes;     /* usearch's: characters, the collator's locale */
    const UNormalizer2 *nfd, *fcd;
};

static const Key *point_key(GlossaryLinker *linker, UChar32 c)
{
    if (linker->point_count * 2 >= linker->point_cap) {
        size_t cap = linker->point_cap ? linker->point_cap * 2 : 256;
        PointKey *points = arena_array(&linker->arena, cap, sizeof *points);
        for (size_t i = 0; i < cap; i++)
            points[i].c = -1;
        for (size_t i = 0; i < linker->point_cap; i++) {
            if (linker->points[i].c < 0)
                continue;
            size_t h = ((uint32_t)linker->points[i].c * 2654435761u) & (cap - 1);
            while (points[h].c >= 0)
                h = (h + 1) & (cap - 1);
            points[h] = linker->points[i];
        }
        linker->points = points;
        linker->point_cap = cap;
    }
    size_t h = ((uint32_t)c * 2654435761u) & (linker->point_cap - 1);
    while (linker->points[h].c >= 0 && linker->points[h].c != c)
        h = (h + 1) & (linker->point_cap - 1);
    PointKey *slot = &linker->points[h];
    if (slot->c < 0) {
        UChar units[2];
        int32_t n = 0;
        U16_APPEND_UNSAFE(units, n, c);
        slot->c = c;
        sort_key(&linker->arena, linker->coll, units, n, &slot->key);
        linker->point_count++;
    }
    return &slot->key;
}

/* Marks whose weights ICU's Japanese collation takes from the kana
 * before them (prefix contexts): the prolonged sound mark and the
 * iteration marks. */
static bool follows_kana(UChar32 c)
{
    return c == 0x30FC || c == 0xFF70 || c == 0x309D || c == 0x309E || c == 0x30FD ||
           c == 0x30FE;
}

/* text with a control character after each code point, but before
 * those glue holds to the one before: true when it collates as text. */
static bool collates_split(Arena *arena, const UCollator *coll, const UChar *text, int32_t len,
                           bool glue)
{
    UChar *split = arena_array(arena, (size_t)len * 2 + 1, sizeof *split);
    int32_t n = 0;
    for (int32_t i = 0; i < len;) {
        UChar32 c;
        U16_NEXT(text, i, len, c);
        if (n > 0 && glue && follows_kana(c))
            n--; /* no break before it */
        U16_APPEND_UNSAFE(split, n, c);
        split[n++] = 0x0001;
    }
    return ucol_strcoll(coll, text, len, split, n) == UCOL_EQUAL;
}

/* Does the text collate as its code points one by one, each at its own
 * place?  Not where ICU reorders marks (text not in FCD: their
 * collation elements then point at the whole reordered run), nor where
 * a code point's elements depend on its neighbours: a control character
 * after each code point blocks every contraction and context, so the
 * weights would change.  A text that collates so but for a mark glued to
 * the kana before it is searched by keys too, a glued pair as one piece:
 * where a match would begin, end or be checked inside one, usearch
 * decides. */
static bool context_free(Arena *arena, GlossaryLinker *linker, TextScan *scan)
{
    if (scan->context_free < 0) {
        UErrorCode status = U_ZERO_ERROR;
        if (!linker->fcd)
            linker->fcd = unorm2_getInstance(NULL, "nfc", UNORM2_FCD, &status);
        bool fcd = U_SUCCESS(status) &&
                   unorm2_isNormalized(linker->fcd, scan->text, scan->len, &status);
        if (!fcd || U_FAILURE(status)) {
            scan->context_free = 0;
            return false;
        }
        scan->context_free = collates_split(arena, linker->coll, scan->text, scan->len, false);
        if (!scan->context_free &&
            collates_split(arena, linker->coll, scan->text, scan->len, true)) {
            bool *glued = arena_array(arena, (size_t)scan->len + 1, sizeof *glued);
            for (int32_t i = 0; i < scan->len;) {
                int32_t at = i;
                UChar32 c;
                U16_NEXT(scan->text, i, scan->len, c);
                glued[at] = at > 0 && follows_kana(c);
            }
            scan->glued = glued;
            scan->context_free = 1;
        }
    }
    return scan->context_free == 1;
}

static int grapheme_breaks(GlossaryLinker *linker, TextScan *scan)
{
    UErrorCode status = U_ZERO_ERROR;
    if (!linker->graphemes) {
        const char *locale = ucol_getLocaleByType(linker->coll, ULOC_VALID_LOCALE, &status);
        linker->graphemes = ubrk_open(UBRK_CHARACTER, locale, NULL, 0, &status);
        if (status == U_MEMORY_ALLOCATION_ERROR)
            oom_abort();
        if (U_FAILURE(status))
            return -1;
        linker->nfd = unorm2_getNFDInstance(&status);
        if (U_FAILURE(status))
            return -1;
    }
    if (!scan->breaks_set) {
        ubrk_setText(linker->graphemes, scan->text, scan->len, &status);
        if (U_FAILURE(status))
            return -1;
        scan->breaks_set = true;
    }
    return 0;
}

static bool ignorable_at(GlossaryLinker *linker, const TextScan *scan, int32_t at)
{
    UChar32 c;
    U16_GET(scan->text, 0, at, scan->len, c);
    return point_key(linker, c)->len == 0;
}

/* The end of the piece of text at i: its code point, and the marks glued
 * to it. */
static int32_t piece_end(const TextScan *scan, int32_t i)
{
    U16_FWD_1(scan->text, i, scan->len);
    while (scan->glued && i < scan->len && scan->glued[i])
        U16_FWD_1(scan->text, i, scan->len);
    return i;
}

/* match_by_keys cannot tell: usearch must. */
#define BY_USEARCH (-2)

/* Could the run begin at the glued mark at `at` (as the kana before it
 * weighs it)?  Then the piece up to it weighs as the kana before it and
 * then the pattern would, kept apart (the control character). */
static bool could_begin_inside(Arena *arena, GlossaryLinker *linker, const TextScan *scan,
                               size_t term, int32_t at, int32_t after)
{
    int32_t start = at;
    do
        U16_BACK_1(scan->text, 0, start);
    while (start > 0 && scan->glued[start]);
    int32_t before = at - start, plen = linker->lengths[term];
    UChar *joined = arena_array(arena, (size_t)(before + 1 + plen), sizeof *joined);
    memcpy(joined, scan->text + start, (size_t)before * sizeof *joined);
    joined[before] = 0x0001;
    memcpy(joined + before + 1, linker->patterns[term], (size_t)plen * sizeof *joined);
    Key mark, run;
    sort_key(arena, linker->coll, scan->text + start, after - start, &mark);
    sort_key(arena, linker->coll, joined, before + 1 + plen, &run);
    return key_has_prefix(&run, &mark);
}

/* usearch_first's match of the term in a context-free text, by keys:
 * 1 found ([*begin, *end) in UTF-16 units), 0 none, -1 ICU failed,
 * BY_USEARCH. */
static int match_by_keys(Arena *arena, GlossaryLinker *linker, TextScan *scan, size_t term,
                         int32_t *begin, int32_t *end)
{
    const Key *pattern = &linker->pattern_keys[term];
    const UChar *text = scan->text;
    int32_t n = scan->len;
    for (int32_t s = 0, s_next = 0; s < n; s = s_next) {
        UChar32 c;
        U16_NEXT(text, s_next, n, c);
        if (scan->glued && scan->glued[s]) {
            if (could_begin_inside(arena, linker, scan, term, s, s_next))
                return BY_USEARCH;
            continue;
        }
        int32_t first_end = piece_end(scan, s);
        bool glued = first_end != s_next;
        Key first = *point_key(linker, c);
        if (glued) {
            bool starts_here = first.len > 0;
            sort_key(arena, linker->coll, text + s, first_end - s, &first);
            if (!starts_here && first.len > 0)
                return BY_USEARCH; /* its first weight is a glued mark's */
        }
        if (first.len == 0)
            continue;
        if (!key_has_prefix(pattern, &first)) {
            if (glued && key_has_prefix(&first, pattern))
                return BY_USEARCH; /* the run may end inside the piece */
            continue;
        }
        /* the shortest text from s with the pattern's weights: each
         * longer one's key holds the shorter's, and each code point's
         * weights are a run of the pattern's */
        int32_t e0 = -1, q = s;
        bool last_glued = glued;
        for (int32_t e = first_end; e0 < 0;) {
            if (first.len == pattern->len) {
                e0 = e;
                break;
            }
            if (e == n)
                break;
            q = e;
            int32_t piece = piece_end(scan, e), one = e;
            U16_NEXT(text, one, n, c);
            glued = piece != one;
            e = piece;
            if (!glued) {
                const Key *point = point_key(linker, c);
                if (point->len == 0)
                    continue;
                if (!may_hold(pattern, point))
                    break;
            }
            Key key;
            sort_key(arena, linker->coll, text + s, e - s, &key);
            if (key.len == pattern->len && memcmp(key.bytes, pattern->bytes, key.len) == 0) {
                e0 = e;
                last_glued = glued;
            } else if (!key_has_prefix(pattern, &key)) {
                if (glued && key_has_prefix(&key, pattern))
                    return BY_USEARCH;
                break;
            }
        }
        if (e0 < 0)
            continue;
        if (last_glued)
            return BY_USEARCH; /* where its last element starts depends */
        if (grapheme_breaks(linker, scan) != 0)
            return -1;
        if (!ubrk_isBoundary(linker->graphemes, s))
            continue;
        int32_t next = e0; /* the next non-ignorable code point, or n */
        while (next < n) {
            int32_t piece = piece_end(scan, next), one = next;
            U16_FWD_1(text, one, n);
            if (piece != one)
                return BY_USEARCH;
            if (!ignorable_at(linker, scan, next))
                break;
            next = one;
        }
        int32_t after = ubrk_following(linker->graphemes, q);
        if (after <= next) {
            *begin = s;
            *end = after;
            return 1;
        }
        if (next == n)
            continue;
        UChar32 at_next, before_next;
        U16_GET(text, 0, next, n, at_next);
        int32_t b = next;
        U16_PREV(text, 0, b, before_next);
        if (unorm2_hasBoundaryBefore(linker->nfd, at_next) ||
            unorm2_hasBoundaryAfter(linker->nfd, before_next)) {
            *begin = s;
            *end = next;
            return 1;
        }
    }
    return 0;
}

/* usearch_first's match of the term, by usearch itself. */
static int match_by_usearch(GlossaryLinker *linker, TextScan *scan, size_t term, int32_t *begin,
                            int32_t *end)
{
    UErrorCode status = U_ZERO_ERROR;
    UStringSearch *search = linker->by_term[term];
    if (search)
        usearch_setText(search, scan->text, scan->len, &status);
    else
        search = linker->by_term[term] =
            usearch_openFromCollator(linker->patterns[term], linker->lengths[term], scan->text,
                                     scan->len, linker->coll, NULL, &status);
    if (status == U_MEMORY_ALLOCATION_ERROR)
        oom_abort();
    if (U_FAILURE(status)) {
        diag_error(NULL, "ICU: cannot search for '%s' in %s: %s",
                   linker->language->glossary.terms[term].term.utf8,
                   linker->language->strings.locale.utf8, u_errorName(status));
        return -1;
    }
    int32_t at = usearch_first(search, &status);
    int32_t len = usearch_getMatchedLength(search);
    if (U_FAILURE(status) || at == USEARCH_DONE || len <= 0)
        return 0;
    *begin = at;
    *end = at + len;
    return 1;
}

static int match_term(Arena *arena, GlossaryLinker *linker, TextScan *scan, size_t term,
                      int32_t *begin, int32_t *end)
{
    if (!linker->by_keys || linker->pattern_keys[term].len == 0)
        return match_by_usearch(linker, scan, term, begin, end);
    if (!may_hold(&scan->key, &linker->pattern_keys[term]))
        return 0;
    int found = context_free(arena, linker, scan)
                    ? match_by_keys(arena, linker, scan, term, begin, end)
                    : BY_USEARCH;
    return found == BY_USEARCH ? match_by_usearch(linker, scan, term, begin, end) : found;
}

GlossaryLinker *glossary_linker_open(const Language *language)
{
    const Glossary *g = &language->glossary;
    GlossaryLinker *linker = xcalloc(1, sizeof *linker);
    linker->language = language;
    size_t n = g->term_count ? g->term_count : 1;
    linker->patterns = arena_array(&linker->arena, n, sizeof *linker->patterns);
    linker->lengths = arena_array(&linker->arena, n, sizeof *linker->lengths);
    linker->by_term = arena_array(&linker->arena, n, sizeof *linker->by_term);
    linker->pattern_keys = arena_array(&linker->arena, n, sizeof *linker->pattern_keys);
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
    linker->by_keys =
        ucol_getAttribute(linker->coll, UCOL_ALTERNATE_HANDLING, &status) == UCOL_NON_IGNORABLE &&
        U_SUCCESS(status);
    for (size_t t = 0; t < g->term_count; t++)
        if (linker->patterns[t])
            sort_key(&linker->arena, linker->coll, linker->patterns[t], linker->lengths[t],
                     &linker->pattern_keys[t]);
    return linker;
}

void glossary_linker_close(GlossaryLinker *linker)
{
    if (!linker)
        return;
    for (size_t t = 0; t < linker->language->glossary.term_count; t++)
        if (linker->by_term[t])
            usearch_close(linker->by_term[t]);
    if (linker->graphemes)
        ubrk_close(linker->graphemes);
    if (linker->coll)
        ucol_close(linker->coll);
    arena_free(&linker->arena);
    free(linker);
}

static bool utf16_of(Arena *arena, const char *text, UChar **out, int32_t *len)
{
    UErrorCode status = U_ZERO_ERROR;
    *len = 0;
    u_strFromUTF8(NULL, 0, len, text, -1, &status);
    status = U_ZERO_ERROR;
    *out = arena_array(arena, (size_t)*len + 1, sizeof **out);
    u_strFromUTF8(*out, *len + 1, NULL, text, -1, &status);
    return U_SUCCESS(status) && *len > 0;
}

int glossary_linker_find(GlossaryLinker *linker, size_t term, const char *text, size_t *begin,
                         size_t *end)
{
    if (term >= linker->language->glossary.term_count || !linker->patterns[term])
        return 0;
    Arena arena = {0};
    UChar *text16;
    int32_t n16;
    int found = 0;
    if (utf16_of(&arena, text, &text16, &n16)) {
        TextScan scan = {.text = text16, .len = n16, .context_free = -1};
        if (linker->by_keys)
            sort_key(&arena, linker->coll, scan.text, scan.len, &scan.key);
        int32_t at, limit;
        found = match_term(&arena, linker, &scan, term, &at, &limit);
        if (found > 0) {
            *begin = utf8_offset(text, at);
            *end = utf8_offset(text, limit);
        }
    }
    arena_free(&arena);
    return found;
}

/* The earliest (then longest) use of a term not linked yet in text. */
static int find_use(Arena *arena, GlossaryLinker *linker, const bool *linked, const char *text,
                    Match *m)
{
    const Glossary *g = &linker->language->glossary;
    *m = (Match){0};
    UChar *text16;
    int32_t n16;
    if (!utf16_of(arena, text, &text16, &n16))
        return 0;
    TextScan scan = {.text = text16, .len = n16, .context_free = -1};
    if (linker->by_keys)
        sort_key(arena, linker->coll, text16, n16, &scan.key);
    for (size_t t = 0; t < g->term_count; t++) {
        if (linked[t] || !linker->patterns[t])
            continue;
        int32_t at, limit;
        int found = match_term(arena, linker, &scan, t, &at, &limit);
        if (found < 0)
            return -1;
        if (!found)
            continue;
        size_t begin = utf8_offset(text, at), end = utf8_offset(text, limit);
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
