/* Unit tests for the fact-sheet layout: the page rules a reader relies on,
 * checked on the real English content with the side-effect lists grown one
 * item at a time, so every section boundary falls at every page position. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "arena.h"
#include "content.h"
#include "diag.h"
#include "fonts.h"
#include "flow.h"
#include "sheet.h"
#include "tree.h"
#include "text.h"

typedef struct Fixture {
    Content *content;
    FontSet *fonts;
    Shaper *shaper;
} Fixture;

static int setup(void **state)
{
    Fixture *f = calloc(1, sizeof *f);
    f->content = content_load("content");
    assert_non_null(f->content);
    assert_int_equal(diag_error_count(), 0);
    f->fonts = fontset_open(NULL);
    assert_non_null(f->fonts);
    f->shaper = shaper_open(f->fonts, "en-US");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    shaper_close(f->shaper);
    fontset_free(f->fonts);
    content_free(f->content);
    free(f);
    return 0;
}

static double span_width(const GlyphSpan *s)
{
    double w = 0;
    for (size_t i = 0; i < s->glyph_count; i++)
        w += s->glyphs[i].x_advance;
    return w * s->size / s->font->upem;
}

static int is_help_box(const RectBox *r)
{
    return r->fill && r->fill_color.r > 0.9f && r->fill_color.r < 0.92f;
}

/* A paragraph split across pages leaves at least two of its lines on
 * each page: no orphan (its first line alone at a page foot) and no widow
 * (its last line alone at a page head). */
static void check_widows_and_orphans(const Document *doc)
{
    for (size_t p = 0; p + 1 < doc->page_count; p++) {
        const Page *page = &doc->pages[p];
        for (size_t b = 0; b < page->box_count; b++) {
            const Box *box = &page->boxes[b];
            if (box->kind != BOX_TEXT || box->artifact)
                continue;
            size_t here = 0, next = 0;
            double seen_here[8], seen_next[8];
            for (size_t q = p; q <= p + 1; q++) {
                const Page *pg = &doc->pages[q];
                for (size_t c = 0; c < pg->box_count; c++) {
                    const Box *o = &pg->boxes[c];
                    if (o->kind != BOX_TEXT || o->node != box->node)
                        continue;
                    double *seen = q == p ? seen_here : seen_next;
                    size_t *n = q == p ? &here : &next;
                    int dup = 0;
                    for (size_t i = 0; i < *n && i < 8; i++)
                        dup |= seen[i] == o->u.text.y;
                    if (!dup && *n < 8)
                        seen[(*n)++] = o->u.text.y;
                }
            }
            if (here > 0 && next > 0 && (here < 2 || next < 2))
                fail_msg("a paragraph split %zu/%zu lines across pages %zu and %zu", here, next,
                         p + 1, p + 2);
        }
    }
}

/* Checks one laid-out document; returns its page count. */
static size_t check_document(const Document *doc)
{
    int help_boxes = 0;
    assert_true(doc->page_count >= 1);
    for (size_t p = 0; p < doc->page_count; p++) {
        const Page *page = &doc->pages[p];
        for (size_t b = 0; b < page->box_count; b++) {
            const Box *box = &page->boxes[b];
            if (box->kind == BOX_RECT) {
                help_boxes += is_help_box(&box->u.rect);
                assert_true(box->u.rect.y >= 0 && box->u.rect.y + box->u.rect.height <= doc->height);
                continue;
            }
            const GlyphSpan *s = &box->u.text;
            /* inside the 0.75 in side margins, nothing clipped */
            assert_true(s->x >= 54 - 0.01);
            assert_true(s->x + span_width(s) <= doc->width - 54 + 0.01);
            /* body text stays clear of the footer band; the footer is small */
            if (s->size >= 12)
                assert_true(s->y > 64);
            assert_true(s->size >= 8);
            /* body below the top margin; only the small running head above */
            assert_true(s->y < doc->height - (s->size >= 12 ? 48 : 30));
        }
    }
    assert_int_equal(help_boxes, 1); /* the helpline box is never split */
    check_widows_and_orphans(doc);
    /* no stranded last page: a second or later page is at least a quarter full */
    if (doc->page_count > 1 && doc->stats.last_page_fill < 0.25)
        fail_msg("last of %zu pages only %.0f%% full", doc->page_count, doc->stats.last_page_fill * 100);

    /* A heading never ends a page: below each heading, on the same page,
     * sit at least two more lines. */
    for (size_t k = 0; k < doc->bookmark_count; k++) {
        const Bookmark *bm = &doc->bookmarks[k];
        const Page *page = &doc->pages[bm->page];
        double baselines[64];
        size_t n = 0;
        for (size_t b = 0; b < page->box_count; b++) {
            const Box *box = &page->boxes[b];
            if (box->kind != BOX_TEXT || box->u.text.size < 8.5 || box->u.text.y >= bm->y - 20 ||
                box->u.text.y < 60)
                continue;
            int seen = 0;
            for (size_t i = 0; i < n; i++)
                seen |= baselines[i] == box->u.text.y;
            if (!seen && n < 64)
                baselines[n++] = box->u.text.y;
        }
        if (n < 2)
            fail_msg("heading '%s' on page %zu has %zu lines under it", bm->title, bm->page + 1, n);
    }
    return doc->page_count;
}

static void grow_and_check(Fixture *f, const char *lang, Paper paper)
{
    const Language *language = content_language(f->content, lang);
    assert_non_null(language);
    size_t max_pages = 0;
    for (size_t d = 0; d < language->drug_count; d++) {
        Drug drug = language->drugs[d];
        Text extra[40];
        for (int n = 0; n < 40; n++) {
            /* the sheet's own items again, so the text is real content */
            extra[n] = drug.common_side_effects.items[(size_t)n % drug.common_side_effects.count];
        }
        for (size_t n = 0; n <= 40; n++) {
            Arena arena = {0};
            Drug grown = drug;
            Text *items = arena_array(&arena, drug.common_side_effects.count + n, sizeof *items);
            memcpy(items, drug.common_side_effects.items, drug.common_side_effects.count * sizeof *items);
            memcpy(items + drug.common_side_effects.count, extra, n * sizeof *items);
            grown.common_side_effects.items = items;
            grown.common_side_effects.count += n;
            SheetRequest request = {f->content, language, &grown, paper, "pdfgen test", SIZE_REGULAR};
            Document *doc = sheet_document(&arena, f->shaper, &request);
            assert_non_null(doc);
            size_t pages = check_document(doc);
            if (pages > max_pages)
                max_pages = pages;
            arena_free(&arena);
        }
    }
    assert_true(max_pages >= 3); /* the growth really crossed page boundaries */
}

static void test_letter_page_rules(void **state) { grow_and_check(*state, "en", PAPER_LETTER); }
static void test_a4_page_rules(void **state) { grow_and_check(*state, "en", PAPER_A4); }

static void test_paper_sizes(void **state)
{
    Fixture *f = *state;
    const Language *en = content_language(f->content, "en");
    for (int paper = PAPER_LETTER; paper <= PAPER_A4; paper++) {
        Arena arena = {0};
        SheetRequest request = {f->content, en, &en->drugs[0], (Paper)paper, "pdfgen test", SIZE_REGULAR};
        Document *doc = sheet_document(&arena, f->shaper, &request);
        assert_non_null(doc);
        if (paper == PAPER_LETTER) {
            assert_true(doc->width == 612 && doc->height == 792);
        } else {
            assert_true(doc->width > 595.27 && doc->width < 595.28);
            assert_true(doc->height > 841.88 && doc->height < 841.9);
        }
        arena_free(&arena);
    }
}

/* ---- the tree and the flow engine ------------------------------------- */

static const TypeStyle PLAIN = {STYLE_REGULAR, 12, 16, {0, 0, 0}};

/* A template that is not the fact sheet (a one-section leaflet built by
 * hand) lays out through the same engine, and every box knows its node. */
static void test_second_template(void **state)
{
    Fixture *f = *state;
    Arena arena = {0};
    SourcePos pos = {"leaflet.yaml", 1, 1};
    Tree *tree = tree_new(&arena, "en-US", DIR_LTR, pos);
    Node *h1 = tree_add(tree, tree->root, NODE_H1, pos);
    h1->type = (TypeStyle){STYLE_BOLD, 20, 24, {0, 0, 0}};
    h1->keep_with_next = true;
    h1->bookmark = true;
    tree_add_text(tree, h1, "Words to know", STYLE_BOLD, pos);
    Node *list = tree_add(tree, tree->root, NODE_L, pos);
    list->type = PLAIN;
    const char *terms[] = {"Anemia: too few red blood cells.",
                           "Targeted drug: a drug that acts on one part of a cancer cell."};
    const Node *bodies[2];
    for (int i = 0; i < 2; i++) {
        Node *item = tree_add(tree, list, NODE_LI, pos);
        item->label_indent = 0;
        item->space_before = 4;
        tree_add_text(tree, tree_add(tree, item, NODE_LBL, pos), "-", STYLE_REGULAR, pos);
        Node *body = tree_add(tree, item, NODE_LBODY, pos);
        body->indent = 20;
        bodies[i] = tree_add_text(tree, body, terms[i], STYLE_REGULAR, pos);
    }
    Node *foot = tree_add(tree, tree->root, NODE_ARTIFACT, pos);
    foot->furniture = FURNITURE_FOOT_END;
    foot->type = PLAIN;
    tree_add_text(tree, foot, "{page}/{pages}", STYLE_REGULAR, pos);

    PageGeometry g = page_geometry(PAPER_A4);
    Document *doc = flow_layout(&arena, f->shaper, tree, &g);
    assert_non_null(doc);
    assert_int_equal(doc->page_count, 1);
    assert_int_equal(doc->bookmark_count, 1);
    assert_string_equal(doc->bookmarks[0].title, "Words to know");
    int seen_body[2] = {0, 0}, footers = 0;
    double body_x = -1;
    for (size_t b = 0; b < doc->pages[0].box_count; b++) {
        const Box *box = &doc->pages[0].boxes[b];
        assert_non_null(box->node);
        assert_int_equal(box->node->kind, NODE_TEXT);
        if (box->artifact) {
            assert_int_equal(box->node->parent->kind, NODE_ARTIFACT);
            footers++;
            continue;
        }
        for (int i = 0; i < 2; i++)
            if (box->node == bodies[i]) {
                seen_body[i] = 1;
                if (body_x < 0 || box->u.text.x < body_x)
                    body_x = box->u.text.x;
            }
    }
    assert_true(seen_body[0] && seen_body[1]);
    assert_int_equal(footers, 1);
    assert_true(fabs(body_x - (g.left + 20)) < 0.01); /* the body's indent */
    arena_free(&arena);
}

/* Every box of a real sheet points at its node; content text at a TEXT
 * leaf under an element, decorations and furniture as artifacts, a
 * figure's rectangles at the Figure. */
static void test_boxes_point_at_nodes(void **state)
{
    Fixture *f = *state;
    const Language *en = content_language(f->content, "en");
    Arena arena = {0};
    SheetRequest request = {f->content, en, &en->drugs[0], PAPER_LETTER, "pdfgen test", SIZE_REGULAR};
    Document *doc = sheet_document(&arena, f->shaper, &request);
    assert_non_null(doc);
    assert_non_null(doc->tree);
    int rects = 0, headings = 0, labels = 0;
    for (size_t p = 0; p < doc->page_count; p++)
        for (size_t b = 0; b < doc->pages[p].box_count; b++) {
            const Box *box = &doc->pages[p].boxes[b];
            assert_non_null(box->node);
            assert_true(box->node->id >= 1 && box->node->id <= doc->tree->node_count);
            if (box->kind == BOX_RECT) {
                /* decoration, or the drawing of a Figure (the QR code) */
                assert_true(box->artifact || box->node->kind == NODE_FIGURE);
                rects++;
                continue;
            }
            assert_int_equal(box->node->kind, NODE_TEXT);
            const Node *element = node_element(box->node);
            if (box->artifact) {
                assert_int_equal(element->kind, NODE_ARTIFACT);
                continue;
            }
            headings += element->kind == NODE_H1 || element->kind == NODE_H2;
            labels += element->kind == NODE_LBL;
        }
    assert_true(rects >= 3);   /* title band, helpline box, a footer rule a page */
    assert_true(headings >= 7);
    assert_true(labels >= 8);  /* bullets and reference numbers */
    arena_free(&arena);
}

static double span_right(const GlyphSpan *s) { return s->x + span_width(s); }

/* The block a box's text belongs to (a link's text: the link's block). */
static const Node *block_of(const Node *node)
{
    while (node && !node_is_block(node))
        node = node->parent;
    return node;
}

/* Right to left: every line of a paragraph or list item ends at its
 * indent from the right margin, and a label stands right of its text. */
static void test_rtl_geometry(void **state)
{
    Fixture *f = *state;
    const Language *ar = content_language(f->content, "ar");
    Shaper *shaper = shaper_open(f->fonts, ar->strings.locale.utf8);
    for (size_t d = 0; d < ar->drug_count; d++) {
        Arena arena = {0};
        SheetRequest request = {f->content, ar, &ar->drugs[d], PAPER_LETTER, "pdfgen test", SIZE_REGULAR};
        Document *doc = sheet_document(&arena, shaper, &request);
        assert_non_null(doc);
        int lines = 0;
        for (size_t p = 0; p < doc->page_count; p++) {
            const Page *page = &doc->pages[p];
            for (size_t b = 0; b < page->box_count; b++) {
                const Box *box = &page->boxes[b];
                if (box->kind != BOX_TEXT || box->artifact)
                    continue;
                const Node *el = block_of(box->node);
                if (el->kind != NODE_P && el->kind != NODE_LBODY && el->kind != NODE_LBL)
                    continue;
                if (el->parent->deco.fill || el->deco.fill)
                    continue; /* inside a box: padded */
                /* the rightmost span of this line */
                double right = 0;
                for (size_t o = 0; o < page->box_count; o++) {
                    const Box *other = &page->boxes[o];
                    if (other->kind == BOX_TEXT && !other->artifact &&
                        other->u.text.y == box->u.text.y &&
                        block_of(other->node) == el && span_right(&other->u.text) > right)
                        right = span_right(&other->u.text);
                }
                double indent = el->kind == NODE_LBODY ? el->indent
                                : el->kind == NODE_LBL ? el->parent->label_indent : el->indent;
                if (!(box->u.text.level & 1) && el->kind != NODE_P &&
                    (el->dir_from_text || el->parent->last_child->dir_from_text)) {
                    /* an English citation: from the left, number on the left */
                    double left = 1e9;
                    for (size_t o = 0; o < page->box_count; o++) {
                        const Box *other = &page->boxes[o];
                        if (other->kind == BOX_TEXT && !other->artifact &&
                            other->u.text.y == box->u.text.y && block_of(other->node) == el &&
                            other->u.text.x < left)
                            left = other->u.text.x;
                    }
                    if (fabs(left - (54 + indent)) >= 0.01)
                        fail_msg("citation line starts at %.2f, not %.2f", left, 54 + indent);
                    lines++;
                    continue;
                }
                if (fabs(right - (doc->width - 54 - indent)) >= 0.01)
                    fail_msg("%s line ends at %.2f, not %.2f", node_kind_name(el->kind), right, doc->width - 54 - indent);
                lines++;
            }
        }
        assert_true(lines > 30);
        arena_free(&arena);
    }
    shaper_close(shaper);
}

/* Chinese, Japanese and Korean: lines start at the left margin (plus the
 * indent) and stay inside the right one; a CJK line is filled to within
 * one character of the measure unless it ends its paragraph. */
static void test_cjk_geometry(void **state)
{
    Fixture *f = *state;
    const char *codes[] = {"ja", "ko", "zh-Hans", "zh-Hant"};
    for (size_t c = 0; c < 4; c++) {
        const Language *lang = content_language(f->content, codes[c]);
        assert_non_null(lang);
        Shaper *shaper = shaper_open(f->fonts, lang->strings.locale.utf8);
        Arena arena = {0};
        SheetRequest request = {f->content, lang, &lang->drugs[0], PAPER_A4, "pdfgen test", SIZE_REGULAR};
        Document *doc = sheet_document(&arena, shaper, &request);
        assert_non_null(doc);
        int lines = 0;
        for (size_t p = 0; p < doc->page_count; p++)
            for (size_t b = 0; b < doc->pages[p].box_count; b++) {
                const Box *box = &doc->pages[p].boxes[b];
                if (box->kind != BOX_TEXT || box->artifact)
                    continue;
                const GlyphSpan *s = &box->u.text;
                assert_true(s->x >= 54 - 0.01);
                assert_true(span_right(s) <= doc->width - 54 + 0.01);
                const Node *el = node_element(box->node);
                if (el->kind == NODE_P && !el->parent->deco.fill && s->text_begin == 0)
                    assert_true(fabs(s->x - 54 - el->indent) < 0.01), lines++;
            }
        assert_true(lines >= 4);
        arena_free(&arena);
        shaper_close(shaper);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_letter_page_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a4_page_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paper_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_template, setup, teardown),
        cmocka_unit_test_setup_teardown(test_boxes_point_at_nodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rtl_geometry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cjk_geometry, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
