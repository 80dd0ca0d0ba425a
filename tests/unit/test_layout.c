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

#include <cmocka.h>

#include "arena.h"
#include "content.h"
#include "diag.h"
#include "fonts.h"
#include "sheet.h"
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

    /* A heading never ends a page: below each heading, on the same page,
     * sit at least two more lines. */
    for (size_t k = 0; k < doc->bookmark_count; k++) {
        const Bookmark *bm = &doc->bookmarks[k];
        const Page *page = &doc->pages[bm->page];
        double baselines[64];
        size_t n = 0;
        for (size_t b = 0; b < page->box_count; b++) {
            const Box *box = &page->boxes[b];
            if (box->kind != BOX_TEXT || box->u.text.size < 9 || box->u.text.y >= bm->y - 20 ||
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
            SheetRequest request = {f->content, language, &grown, paper, "pdfgen test"};
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
        SheetRequest request = {f->content, en, &en->drugs[0], (Paper)paper, "pdfgen test"};
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_letter_page_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a4_page_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paper_sizes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
