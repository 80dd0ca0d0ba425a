/* Unit tests for typesetting: hyphenation points from Debian's
 * dictionaries, and Knuth-Plass setting (justified lines at the measure,
 * none overfull, at most two hyphens in a row, no runt). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <stdbool.h>

#include <cmocka.h>

#include "arena.h"
#include "fonts.h"
#include "hyphenate.h"
#include "paragraph.h"
#include "text.h"

/* The word with a '-' at each hyphenation point. */
static char *marked(const char *locale, const char *text, const char *const *whole,
                    const uint8_t *keep)
{
    Hyphenator *h = hyphenator_open(locale);
    size_t n = strlen(text);
    uint8_t *hyph = calloc(n + 1, 1);
    WholeWords *words = whole_words_new(whole);
    hyphenate_text(h, text, (uint32_t)n, keep, words, hyph);
    whole_words_free(words);
    char *out = calloc(2 * n + 1, 1), *at = out;
    for (size_t b = 0; b < n; b++) {
        if (hyph[b])
            *at++ = '-';
        *at++ = text[b];
    }
    free(hyph);
    hyphenator_close(h);
    return out;
}

static void expect(const char *locale, const char *text, const char *want)
{
    char *got = marked(locale, text, NULL, NULL);
    assert_string_equal(got, want);
    free(got);
}

static void test_english_words(void **state)
{
    (void)state;
    /* the last word of a paragraph stays whole, hence "end" */
    expect("en-US", "information treatment pancreatic end", "in-for-ma-tion treat-ment pan-cre-atic end");
}

static void test_spanish_words(void **state)
{
    (void)state;
    expect("es-US", "medicamentos quimioterapia fin", "me-di-ca-men-tos qui-mio-te-ra-pia fin");
}

static void test_other_dictionaries(void **state)
{
    (void)state;
    expect("fr", "médicaments fin", "mé-di-ca-ments fin");
    expect("pt-BR", "medicamentos fim", "me-di-ca-men-tos fim");
    /* KOI8-R dictionary, UTF-8 text */
    expect("ru", "препараты конец", "препа-ра-ты конец");
}

static void test_minimum_fragments(void **state)
{
    (void)state;
    /* English: two letters before a hyphen, three after */
    char *got = marked("en-US", "tumors inhibitor end", NULL, NULL);
    assert_null(strstr(got, "-rs"));
    assert_null(strstr(got, " i-n"));
    free(got);
}

static void test_kept_whole(void **state)
{
    (void)state;
    const char *const whole[] = {"Sunitinib", NULL};
    char *got = marked("en-US", "sunitinib information end", whole, NULL);
    assert_string_equal(got, "sunitinib in-for-ma-tion end"); /* any case */
    free(got);
    const char *text = "information information end";
    uint8_t keep[64] = {0};
    memset(keep, 1, 11); /* the first word is a web address, say */
    got = marked("en-US", text, NULL, keep);
    assert_string_equal(got, "information in-for-ma-tion end");
    free(got);
}

static void test_soft_hyphens(void **state)
{
    (void)state;
    /* a soft hyphen decides, even where no dictionary exists */
    char *got = marked("tl", "gamot\xC2\xAD" "na wakas", NULL, NULL);
    assert_string_equal(got, "gamot\xC2\xAD-na wakas");
    free(got);
}

/* ---- setting ------------------------------------------------------------- */

typedef struct Fixture {
    FontSet *fonts;
    Shaper *en;
} Fixture;

static int setup(void **state)
{
    Fixture *f = calloc(1, sizeof *f);
    f->fonts = fontset_open(NULL);
    assert_non_null(f->fonts);
    f->en = shaper_open(f->fonts, "en-US");
    assert_non_null(f->en);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    shaper_close(f->en);
    fontset_free(f->fonts);
    free(f);
    return 0;
}

static const char PARAGRAPH[] =
    "Targeted drugs act in a different way than standard chemotherapy drugs. They are aimed "
    "at certain parts of cancer cells. They sometimes help when chemotherapy does not, and "
    "their side effects are often not the same as those of chemotherapy. For pancreatic "
    "neuroendocrine tumors, these drugs either stop angiogenesis (the forming of new blood "
    "vessels that supply a cancer with food) or block proteins in cancer cells called "
    "tyrosine kinases, which help the cells grow and stay alive.";

static void test_justified_lines(void **state)
{
    Fixture *f = *state;
    for (double measure = 180; measure <= 500; measure += 40) {
        Arena arena = {0};
        TextPiece piece = {PARAGRAPH, STYLE_REGULAR, {"t.yaml", 1, 1}, false, NULL};
        const ShapedText *text = text_shape(f->en, &arena, &piece, 1, DIRECTION_OF_DOCUMENT);
        assert_non_null(text);
        SetOptions set = {.justify = true};
        Lines lines = paragraph_set(&arena, text, 12, measure, &set);
        assert_true(lines.count >= 2);
        int in_row = 0;
        for (size_t i = 0; i < lines.count; i++) {
            const Line *ln = &lines.lines[i];
            if (ln->width > measure + 0.05)
                fail_msg("line %zu overfull at measure %.0f: %.2f", i, measure, ln->width);
            if (ln->justified && fabs(ln->width - measure) > 0.05)
                fail_msg("justified line %zu is %.2f wide, not %.0f", i, ln->width, measure);
            in_row = ln->hyphenated ? in_row + 1 : 0;
            assert_true(in_row <= 2);
        }
        /* the last line is not a runt: more than one word, or long */
        const Line *last = &lines.lines[lines.count - 1];
        bool words = false;
        for (uint32_t b = last->slices[0].text_begin + 1; b < text->len; b++)
            words |= text->breaks[b] && text_is_space_at(text, b - 1);
        assert_true(words || last->width >= 0.25 * measure);
        arena_free(&arena);
    }
}

/* Where a line may not end: inside "¿Tiene" and "¡Llame", between a number
 * and what it counts ("5 mg", "24 horas"), inside the phone number, and
 * inside a word after a slash. */
static void test_no_break_places(void **state)
{
    Fixture *f = *state;
    Shaper *es = shaper_open(f->fonts, "es-US");
    Arena arena = {0};
    const char *s = "¿Tiene preguntas? ¡Llame ya! Tome 5 mg, 24 horas, al 1-800-227-2345 "
                    "o lea 10.1016/j.clinthera.";
    TextPiece piece = {s, STYLE_REGULAR, {"t.yaml", 1, 1}, false, NULL};
    const ShapedText *text = text_shape(es, &arena, &piece, 1, DIRECTION_OF_DOCUMENT);
    assert_non_null(text);
    const char *whole[] = {"¿Tiene", "¡Llame", "5 mg", "24 horas", "1-800-227-2345",
                           "10.1016/j.clinthera"};
    for (size_t w = 0; w < sizeof whole / sizeof *whole; w++) {
        const char *at = strstr(text->text, whole[w]);
        assert_non_null(at);
        uint32_t b0 = (uint32_t)(at - text->text);
        for (uint32_t b = b0 + 1; b < b0 + strlen(whole[w]); b++)
            if (text->breaks[b])
                fail_msg("a line may break inside '%s' at byte %u", whole[w], b - b0);
    }
    arena_free(&arena);
    shaper_close(es);
}

/* A word wider than the measure is broken, never overfull. */
static void test_never_overfull(void **state)
{
    Fixture *f = *state;
    Arena arena = {0};
    TextPiece piece = {"see https://www.example.org/averyveryveryverylongpathwithoutanybreak "
                       "for details", STYLE_REGULAR, {"t.yaml", 1, 1}, false, NULL};
    const ShapedText *text = text_shape(f->en, &arena, &piece, 1, DIRECTION_OF_DOCUMENT);
    SetOptions set = {.justify = true};
    Lines lines = paragraph_set(&arena, text, 12, 120, &set);
    for (size_t i = 0; i < lines.count; i++)
        assert_true(lines.lines[i].width <= 120 + 0.05);
    arena_free(&arena);
}

/* ---- Japanese titles and headings: lines break between phrases ------- */

static const char TITLE_JA[] = "膵神経内分泌腫瘍（NET）の分子標的薬";

/* May a line break inside the first occurrence of word in text? */
static bool breaks_inside(const ShapedText *text, const char *word)
{
    const char *at = strstr(text->text, word);
    assert_non_null(at);
    uint32_t b0 = (uint32_t)(at - text->text);
    for (uint32_t b = b0 + 1; b < b0 + strlen(word); b++)
        if (text_breaks_at(text, b))
            return true;
    return false;
}

/* Where the line ends in the text: the end of its last slice in
 * logical order. */
static uint32_t line_end(const Line *line)
{
    uint32_t end = 0;
    for (size_t k = 0; k < line->slice_count; k++)
        if (line->slices[k].text_end > end)
            end = line->slices[k].text_end;
    return end;
}

static const ShapedText *shape_ja(Shaper *ja, Arena *arena, const char *s, TextUnit unit)
{
    TextPiece piece = {s, STYLE_BOLD, {"t.yaml", 1, 1}, false, NULL};
    const ShapedText *text = text_shape_by(ja, arena, &piece, 1, DIRECTION_OF_DOCUMENT, unit);
    assert_non_null(text);
    return text;
}

/* A title set by phrases keeps its compounds and particles together; the
 * same text set by words (running text) may break between any two kanji. */
static void test_heading_phrases(void **state)
{
    Fixture *f = *state;
    Shaper *ja = shaper_open(f->fonts, "ja");
    Arena arena = {0};
    const ShapedText *words = shape_ja(ja, &arena, TITLE_JA, TEXT_BY_WORDS);
    const ShapedText *phrases = shape_ja(ja, &arena, TITLE_JA, TEXT_BY_PHRASES);
    assert_true(breaks_inside(words, "分子標的薬"));
    const char *kept[] = {"膵神経内分泌腫瘍", "（NET）の", "分子標的薬"};
    for (size_t i = 0; i < sizeof kept / sizeof *kept; i++)
        if (breaks_inside(phrases, kept[i]))
            fail_msg("a heading may break inside '%s'", kept[i]);
    uint32_t before = (uint32_t)(strstr(phrases->text, "分子") - phrases->text);
    assert_true(text_breaks_at(phrases, before));
    /* set narrower than the title: two lines, the second 分子標的薬 */
    SetOptions ragged = {.justify = false};
    Lines lines = paragraph_set(&arena, phrases, 24, 24 * 14, &ragged);
    assert_int_equal(lines.count, 2);
    assert_int_equal(line_end(&lines.lines[0]), before);
    /* and the same text is shaped and set again the same way (the paragraph
     * cache keeps words and phrases apart) */
    assert_true(breaks_inside(shape_ja(ja, &arena, TITLE_JA, TEXT_BY_WORDS), "分子標的薬"));
    assert_false(breaks_inside(shape_ja(ja, &arena, TITLE_JA, TEXT_BY_PHRASES), "分子標的薬"));
    arena_free(&arena);
    shaper_close(ja);
}

/* A phrase wider than the line still breaks, at the places running text
 * may (never overfull, never clipped), and only there. */
static void test_phrase_wider_than_line(void **state)
{
    Fixture *f = *state;
    Shaper *ja = shaper_open(f->fonts, "ja");
    Arena arena = {0};
    const char *s = "阻害薬膵神経ホットラインVEGFR分子標的薬膵神経内分泌腫瘍治療薬ガイドラインの概要";
    const ShapedText *words = shape_ja(ja, &arena, s, TEXT_BY_WORDS);
    const ShapedText *phrases = shape_ja(ja, &arena, s, TEXT_BY_PHRASES);
    assert_false(breaks_inside(phrases, "阻害薬膵神経ホットラインVEGFR分子標的薬膵神経内分泌腫瘍"));
    double size = 20, measure = 20 * 7.5;
    const SetOptions ragged = {.justify = false};
    Lines set = paragraph_set(&arena, phrases, size, measure, &ragged);
    Lines broken = paragraph_break(&arena, phrases, size, measure);
    const Lines *both[] = {&set, &broken};
    for (int k = 0; k < 2; k++) {
        assert_true(both[k]->count >= 5);
        for (size_t i = 0; i < both[k]->count; i++) {
            const Line *line = &both[k]->lines[i];
            assert_true(line->width <= measure + 0.05);
            uint32_t end = line_end(line);
            if (i + 1 < both[k]->count && !words->breaks[end])
                fail_msg("line %zu ends at byte %u, where running text may not break", i, end);
        }
    }
    arena_free(&arena);
    shaper_close(ja);
}

/* Chinese and Korean have no phrases in ICU: their titles break as their
 * running text does (Korean between words only, text.c keep_all). */
static void test_phrases_only_japanese(void **state)
{
    Fixture *f = *state;
    const char *locales[] = {"zh-Hans", "zh-Hant", "ko"};
    const char *texts[] = {"胰腺神经内分泌肿瘤的分子靶向药物", "胰臟神經內分泌腫瘤的標靶藥物",
                           "췌장 신경내분비종양의 표적치료제"};
    for (int i = 0; i < 3; i++) {
        Shaper *shaper = shaper_open(f->fonts, locales[i]);
        Arena arena = {0};
        const ShapedText *words = shape_ja(shaper, &arena, texts[i], TEXT_BY_WORDS);
        const ShapedText *phrases = shape_ja(shaper, &arena, texts[i], TEXT_BY_PHRASES);
        assert_memory_equal(words->breaks, phrases->breaks, words->len + 1);
        arena_free(&arena);
        shaper_close(shaper);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_english_words),
        cmocka_unit_test(test_spanish_words),
        cmocka_unit_test(test_other_dictionaries),
        cmocka_unit_test(test_minimum_fragments),
        cmocka_unit_test(test_kept_whole),
        cmocka_unit_test(test_soft_hyphens),
        cmocka_unit_test_setup_teardown(test_justified_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_never_overfull, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_break_places, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heading_phrases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_phrase_wider_than_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_phrases_only_japanese, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
