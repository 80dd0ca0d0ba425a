/* Unit tests for the text stages: font fallback, the missing-character
 * error, NFC, line breaking and locale dates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "arena.h"
#include "diag.h"
#include "fonts.h"
#include "format.h"
#include "paragraph.h"
#include "text.h"

typedef struct Fixture {
    FontSet *fonts;
    Shaper *shaper;
    Arena arena;
} Fixture;

static int setup(void **state)
{
    Fixture *f = calloc(1, sizeof *f);
    f->fonts = fontset_open(NULL);
    assert_non_null(f->fonts);
    f->shaper = shaper_open(f->fonts, "en-US");
    assert_non_null(f->shaper);
    diag_reset();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    shaper_close(f->shaper);
    fontset_free(f->fonts);
    arena_free(&f->arena);
    free(f);
    return 0;
}

/* Runs fn with stderr sent to a buffer; returns what it printed. */
static char captured[4096];
static void *capture_stderr(void *(*fn)(void *), void *arg)
{
    fflush(stderr);
    int saved = dup(2);
    FILE *tmp = tmpfile();
    dup2(fileno(tmp), 2);
    void *result = fn(arg);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    size_t n = fread(captured, 1, sizeof captured - 1, tmp);
    captured[n] = '\0';
    fclose(tmp);
    return result;
}

static const ShapedText *shape1(Fixture *f, const char *utf8)
{
    TextPiece piece = {utf8, STYLE_REGULAR, {"t.yaml", 3, 5}, false, NULL};
    return text_shape(f->shaper, &f->arena, &piece, 1, DIRECTION_OF_DOCUMENT);
}

static void test_primary_font_is_noto_sans(void **state)
{
    Fixture *f = *state;
    const Font *font = fontset_font_for(f->fonts, STYLE_REGULAR, "en-US", HB_SCRIPT_LATIN, 'a');
    assert_non_null(font);
    assert_string_equal(font->postscript_name, "NotoSans-Regular");
    assert_string_equal(fontset_primary(f->fonts, STYLE_BOLD)->postscript_name, "NotoSans-Bold");
    assert_string_equal(fontset_primary(f->fonts, STYLE_ITALIC)->postscript_name, "NotoSans-Italic");
}

/* Debian's Noto Sans has no U+2212 MINUS SIGN (the references use it): a
 * fallback face must draw it, in a run of its own. */
static void test_minus_sign_falls_back(void **state)
{
    Fixture *f = *state;
    const Font *primary = fontset_primary(f->fonts, STYLE_REGULAR);
    hb_codepoint_t gid;
    assert_false(hb_font_get_nominal_glyph(primary->hb, 0x2212, &gid));
    const Font *fallback = fontset_font_for(f->fonts, STYLE_REGULAR, "en-US", HB_SCRIPT_LATIN, 0x2212);
    assert_non_null(fallback);
    assert_ptr_not_equal(fallback, primary);
    assert_true(hb_font_get_nominal_glyph(fallback->hb, 0x2212, &gid));

    const ShapedText *text = shape1(f, "364:501\xE2\x88\x92" "513.");
    assert_non_null(text);
    assert_int_equal(text->run_count, 3);
    assert_ptr_equal(text->runs[0].font, primary);
    assert_ptr_equal(text->runs[1].font, fallback);
    assert_ptr_equal(text->runs[2].font, primary);
    for (size_t r = 0; r < text->run_count; r++)
        for (size_t g = 0; g < text->runs[r].glyph_count; g++)
            assert_int_not_equal(text->runs[r].glyphs[g].gid, 0);
}

static void *shape_unassigned(void *arg)
{
    return (void *)shape1(arg, "abc \xCD\xB8 def"); /* U+0378, unassigned */
}

static void test_missing_character_is_an_error(void **state)
{
    Fixture *f = *state;
    const ShapedText *text = capture_stderr(shape_unassigned, f);
    assert_null(text);
    assert_int_equal(diag_error_count(), 1);
    assert_non_null(strstr(captured, "t.yaml:3:5: error: no installed font has U+0378"));
    assert_non_null(strstr(captured, "(character 5 of this text)"));
}

static void *shape_invalid_utf8(void *arg)
{
    return (void *)shape1(arg, "abc \xFF def");
}

/* ICU's verdict on the text is checked, not ignored: a byte that is not
 * UTF-8 is reported as such at the piece's position (it used to be read
 * on as if it were a character no font has). */
static void test_invalid_utf8_is_reported(void **state)
{
    Fixture *f = *state;
    const ShapedText *text = capture_stderr(shape_invalid_utf8, f);
    assert_null(text);
    assert_int_equal(diag_error_count(), 1);
    assert_non_null(strstr(captured, "t.yaml:3:5: error: ICU cannot read this text as UTF-8"));
}

static void assert_same_shaping(const ShapedText *a, const ShapedText *b)
{
    assert_int_equal(a->len, b->len);
    assert_memory_equal(a->text, b->text, a->len + 1);
    assert_memory_equal(a->breaks, b->breaks, a->len + 1);
    assert_memory_equal(a->grapheme, b->grapheme, a->len + 1);
    assert_memory_equal(a->hyph, b->hyph, a->len + 1);
    assert_int_equal(a->rtl, b->rtl);
    assert_int_equal(a->run_count, b->run_count);
    for (size_t r = 0; r < a->run_count; r++) {
        const ShapedRun *x = &a->runs[r], *y = &b->runs[r];
        assert_ptr_equal(x->font, y->font);
        assert_int_equal(x->begin, y->begin);
        assert_int_equal(x->end, y->end);
        assert_int_equal(x->level, y->level);
        assert_int_equal(x->script, y->script);
        assert_int_equal(x->piece, y->piece);
        assert_int_equal(x->glyph_count, y->glyph_count);
        for (size_t g = 0; g < x->glyph_count; g++) {
            assert_int_equal(x->glyphs[g].gid, y->glyphs[g].gid);
            assert_int_equal(x->glyphs[g].x_advance, y->glyphs[g].x_advance);
            assert_int_equal(x->glyphs[g].x_offset, y->glyphs[g].x_offset);
            assert_int_equal(x->glyphs[g].y_offset, y->glyphs[g].y_offset);
            assert_int_equal(x->glyphs[g].cluster, y->glyphs[g].cluster);
            assert_int_equal(x->glyphs[g].unsafe_to_break, y->glyphs[g].unsafe_to_break);
        }
    }
}

/* The shaper keeps what it shaped (text.c): a paragraph shaped again, a
 * run of it met again in another paragraph, and the same shaped by a
 * shaper that kept nothing come out the same; the words kept whole are
 * part of what a paragraph is shaped from; a failure is reported every
 * time. */
static void test_shaped_again_is_the_same(void **state)
{
    Fixture *f = *state;
    Shaper *ar = shaper_open(f->fonts, "ar");
    assert_non_null(ar);
    static const char arabic[] = "\xD8\xB3\xD9\x88\xD9\x86\xD9\x8A\xD8\xAA\xD9\x8A"
                                 "\xD9\x86\xD9\x8A\xD8\xA8 Sunitinib 50 mg";
    TextPiece pieces[2] = {{arabic, STYLE_REGULAR, {"t.yaml", 1, 1}, false, NULL},
                           {" \xD9\x8A\xD9\x88\xD9\x85\xD9\x8A\xD8\xA7", STYLE_BOLD,
                            {"t.yaml", 2, 1}, false, NULL}};
    const ShapedText *first = text_shape(ar, &f->arena, pieces, 2, DIRECTION_OF_DOCUMENT);
    const ShapedText *again = text_shape(ar, &f->arena, pieces, 2, DIRECTION_OF_DOCUMENT);
    assert_non_null(first);
    assert_non_null(again);
    assert_ptr_not_equal(first, again);
    assert_ptr_not_equal(first->text, again->text);
    assert_same_shaping(first, again);
    /* the first piece alone: its runs met before, now at the paragraph's end */
    const ShapedText *part = text_shape(ar, &f->arena, pieces, 1, DIRECTION_OF_DOCUMENT);
    shaper_trim(ar);
    const ShapedText *fresh = text_shape(ar, &f->arena, pieces, 2, DIRECTION_OF_DOCUMENT);
    const ShapedText *fresh_part = text_shape(ar, &f->arena, pieces, 1, DIRECTION_OF_DOCUMENT);
    assert_same_shaping(first, fresh);
    assert_same_shaping(part, fresh_part);
    shaper_close(ar);

    const char *paragraph = "Take sunitinib with food; sunitinib is a kinase inhibitor.";
    const ShapedText *hyphenated = shape1(f, paragraph);
    static const char *const keep[] = {"sunitinib", NULL};
    shaper_keep_whole(f->shaper, keep);
    const ShapedText *kept = shape1(f, paragraph);
    shaper_keep_whole(f->shaper, NULL);
    assert_memory_not_equal(hyphenated->hyph, kept->hyph, kept->len + 1);
    assert_same_shaping(hyphenated, shape1(f, paragraph));

    assert_null(capture_stderr(shape_unassigned, f));
    assert_null(capture_stderr(shape_unassigned, f));
    assert_int_equal(diag_error_count(), 2);
}

static void test_text_is_nfc(void **state)
{
    Fixture *f = *state;
    const ShapedText *text = shape1(f, "Na\xCC\x81useas"); /* a + U+0301 */
    assert_non_null(text);
    assert_string_equal(text->text, "N\xC3\xA1useas");
}

static double width_of(Fixture *f, const char *utf8, double size)
{
    Lines lines = paragraph_break(&f->arena, shape1(f, utf8), size, 1e9);
    assert_int_equal(lines.count, 1);
    return lines.lines[0].width;
}

static char *line_text(const ShapedText *text, const Line *line, char *buf)
{
    buf[0] = '\0';
    for (size_t i = 0; i < line->slice_count; i++)
        strncat(buf, text->text + line->slices[i].text_begin,
                line->slices[i].text_end - line->slices[i].text_begin);
    return buf;
}

/* Greedy breaking puts as many words on a line as fit, exactly at the
 * boundary, and hangs the space. */
static void test_breaks_at_the_last_word_that_fits(void **state)
{
    Fixture *f = *state;
    double w = width_of(f, "nausea diarrhea", 12);
    const ShapedText *text = shape1(f, "nausea diarrhea weakness");
    char buf[256];

    Lines fits = paragraph_break(&f->arena, text, 12, w + 0.01);
    assert_int_equal(fits.count, 2);
    assert_string_equal(line_text(text, &fits.lines[0], buf), "nausea diarrhea");
    assert_string_equal(line_text(text, &fits.lines[1], buf), "weakness");
    assert_true(fits.lines[0].width <= w + 0.01);

    Lines tight = paragraph_break(&f->arena, text, 12, w - 0.01);
    assert_int_equal(tight.count, 3);
    assert_string_equal(line_text(text, &tight.lines[0], buf), "nausea");
}

/* A line never ends right after a hard hyphen: text extraction would take
 * it for a soft hyphen and drop it ("HippelLindau"). */
static void test_never_breaks_after_hyphen(void **state)
{
    Fixture *f = *state;
    double w = width_of(f, "von Hippel-Lindau", 12);
    const ShapedText *text = shape1(f, "von Hippel-Lindau disease");
    Lines lines = paragraph_break(&f->arena, text, 12, w - 1);
    char buf[256];
    assert_int_equal(lines.count, 3);
    assert_string_equal(line_text(text, &lines.lines[0], buf), "von");
    assert_string_equal(line_text(text, &lines.lines[1], buf), "Hippel-Lindau");
    for (size_t i = 0; i < lines.count; i++) {
        line_text(text, &lines.lines[i], buf);
        assert_int_not_equal(buf[strlen(buf) - 1], '-');
    }
}

/* A URL longer than the measure is broken between characters: every line
 * fits and no character is lost. */
static void test_long_word_never_overflows(void **state)
{
    Fixture *f = *state;
    const char *url = "https://www.example.org/contents/metastatic-welldifferentiatedpancreaticneuroendocrinetumors";
    const ShapedText *text = shape1(f, url);
    Lines lines = paragraph_break(&f->arena, text, 12, 120);
    assert_true(lines.count >= 4);
    char joined[512] = "", buf[256];
    for (size_t i = 0; i < lines.count; i++) {
        assert_true(lines.lines[i].width <= 120);
        strcat(joined, line_text(text, &lines.lines[i], buf));
    }
    assert_string_equal(joined, url);
}

static void test_every_line_fits_the_measure(void **state)
{
    Fixture *f = *state;
    const char *para = "Targeted drugs work in a different way from standard chemotherapy. "
                       "They aim at particular parts of cancer cells, and they often have side "
                       "effects that are not the same as those of chemo.";
    const ShapedText *text = shape1(f, para);
    for (double measure = 117; measure < 600; measure += 37) {
        Lines lines = paragraph_break(&f->arena, text, 12, measure);
        size_t words = 0;
        char buf[512];
        for (size_t i = 0; i < lines.count; i++) {
            assert_true(lines.lines[i].width <= measure);
            line_text(text, &lines.lines[i], buf);
            assert_true(buf[0] != ' ' && buf[strlen(buf) - 1] != ' ');
            for (char *p = buf; *p; p++)
                words += *p == ' ';
            words++;
        }
        assert_int_equal(words, 33);
    }
}

static const ShapedText *shape_in(Fixture *f, const char *locale, const char *utf8, Shaper **out)
{
    *out = shaper_open(f->fonts, locale);
    TextPiece piece = {utf8, STYLE_REGULAR, {"t.yaml", 1, 1}, false, NULL};
    return text_shape(*out, &f->arena, &piece, 1, DIRECTION_OF_DOCUMENT);
}

/* Korean breaks between words (keep-all), never inside one. */
static void test_korean_breaks_between_words(void **state)
{
    Fixture *f = *state;
    Shaper *ko;
    const char *para = "암 정보 전문가가 암 진단에 관한 질문에 답해 드리고 안내해 드립니다.";
    const ShapedText *text = shape_in(f, "ko", para, &ko);
    assert_non_null(text);
    for (double measure = 60; measure < 400; measure += 23) {
        Lines lines = paragraph_break(&f->arena, text, 12, measure);
        char joined[512] = "", buf[256];
        for (size_t i = 0; i < lines.count; i++) {
            line_text(text, &lines.lines[i], buf);
            if (i)
                strcat(joined, " ");
            strcat(joined, buf);
        }
        assert_string_equal(joined, para); /* only spaces became line ends */
    }
    shaper_close(ko);
}

/* Chinese breaks between ideographs, but a line never starts with closing
 * punctuation nor ends with opening punctuation. */
static void test_cjk_punctuation_rules(void **state)
{
    Fixture *f = *state;
    Shaper *zh;
    const ShapedText *text = shape_in(f, "zh-Hans", "靶向药物（口服药）每天服用一次，通常与其他药物一起使用。", &zh);
    assert_non_null(text);
    size_t max_lines = 0;
    for (double measure = 30; measure < 300; measure += 7) {
        Lines lines = paragraph_break(&f->arena, text, 12, measure);
        if (lines.count > max_lines)
            max_lines = lines.count;
        char buf[256];
        for (size_t i = 0; i < lines.count; i++) {
            line_text(text, &lines.lines[i], buf);
            assert_true(lines.lines[i].width <= measure);
            assert_true(strncmp(buf, "，", 3) && strncmp(buf, "。", 3) && strncmp(buf, "）", 3));
            size_t n = strlen(buf);
            assert_true(n < 3 || strcmp(buf + n - 3, "（") != 0);
        }
    }
    assert_true(max_lines > 5);
    shaper_close(zh);
}

/* Arabic with a Latin drug name: the line reads right to left, the Latin
 * word keeps its own order in the middle (bidi rule L2). */
static void test_arabic_line_order(void **state)
{
    Fixture *f = *state;
    Shaper *ar;
    const char *para = "يتوفر Belzutifan على شكل أقراص";
    const ShapedText *text = shape_in(f, "ar", para, &ar);
    assert_non_null(text);
    assert_true(text->rtl);
    Lines lines = paragraph_break(&f->arena, text, 12, 1000);
    assert_int_equal(lines.count, 1);
    const Line *line = &lines.lines[0];
    assert_true(line->slice_count >= 3);
    /* leftmost on the page is the end of the sentence; rightmost its start */
    assert_true(line->slices[0].text_begin > line->slices[line->slice_count - 1].text_begin);
    assert_int_equal(line->slices[line->slice_count - 1].text_begin, 0);
    int latin_seen = 0;
    for (size_t i = 0; i < line->slice_count; i++) {
        const LineSlice *s = &line->slices[i];
        if (s->run->level % 2 == 0) {
            latin_seen = 1;
            assert_int_equal(strncmp(text->text + s->text_begin, "Belzutifan", 10), 0);
        }
    }
    assert_true(latin_seen);
    shaper_close(ar);
}

/* A phone number inside Arabic text reads left to right as one unit:
 * its digit groups are not reversed. */
static void test_phone_number_in_arabic(void **state)
{
    Fixture *f = *state;
    Shaper *ar;
    const ShapedText *text = shape_in(f, "ar", "اتصل بنا على 1-800-227-2345 في أي وقت", &ar);
    assert_non_null(text);
    Lines lines = paragraph_break(&f->arena, text, 12, 1000);
    assert_int_equal(lines.count, 1);
    const Line *line = &lines.lines[0];
    /* the number's slices, in visual order left to right, must hold its
     * text in logical order: 1-800 before 227 before 2345 */
    char visual[128] = "";
    for (size_t i = 0; i < line->slice_count; i++) {
        const LineSlice *sl = &line->slices[i];
        if (sl->run->level % 2 == 0)
            strncat(visual, text->text + sl->text_begin, sl->text_end - sl->text_begin);
    }
    assert_non_null(strstr(visual, "1-800-227-2345"));
    shaper_close(ar);
}

/* An English citation on an Arabic sheet keeps its own direction when
 * asked to: its final period stays at its end, on the right. */
static void test_citation_direction_on_arabic_sheet(void **state)
{
    Fixture *f = *state;
    Shaper *ar = shaper_open(f->fonts, "ar");
    TextPiece piece = {"N Engl J Med. 2011;364:501-513.", STYLE_REGULAR, {"t.yaml", 1, 1}, false, NULL};
    const ShapedText *own = text_shape(ar, &f->arena, &piece, 1, DIRECTION_FROM_TEXT);
    const ShapedText *doc = text_shape(ar, &f->arena, &piece, 1, DIRECTION_OF_DOCUMENT);
    assert_non_null(own);
    assert_non_null(doc);
    assert_false(own->rtl);
    assert_true(doc->rtl);
    Lines lines = paragraph_break(&f->arena, own, 12, 1000);
    const Line *line = &lines.lines[0];
    const LineSlice *last = &line->slices[line->slice_count - 1];
    assert_int_equal(own->text[last->text_end - 1], '.'); /* rightmost is the period */
    shaper_close(ar);
}

static void test_locale_dates(void **state)
{
    Fixture *f = *state;
    Date date = {2021, 8, 17, {"d.yaml", 1, 1}};
    Strings en = {.locale = {"en-US", {0}}}, es = {.locale = {"es-US", {0}}};
    Strings ja = {.locale = {"ja", {0}}}, ar = {.locale = {"ar", {0}}};
    assert_string_equal(format_date(&f->arena, &en, &date), "August 17, 2021");
    assert_string_equal(format_date(&f->arena, &es, &date), "17 de agosto de 2021");
    assert_string_equal(format_date(&f->arena, &ja, &date), "2021年8月17日");
    /* Arabic: Arabic-Indic digits, CLDR's default for "ar" */
    assert_string_equal(format_date(&f->arena, &ar, &date),
                        "\xD9\xA1\xD9\xA7 \xD8\xA3\xD8\xBA\xD8\xB3\xD8\xB7\xD8\xB3 "
                        "\xD9\xA2\xD9\xA0\xD9\xA2\xD9\xA1");
}

static void *format_haitian(void *arena)
{
    Date date = {2021, 8, 17, {"d.yaml", 1, 1}};
    Strings ht = {.locale = {"ht", {"ht/strings.yaml", 3, 9}}};
    return format_date(arena, &ht, &date);
}

/* ICU has no Haitian Creole: without month names in the strings, that is
 * an error, never a French date on a Creole sheet. */
static void test_date_without_icu_data(void **state)
{
    Fixture *f = *state;
    assert_null(capture_stderr(format_haitian, &f->arena));
    assert_non_null(strstr(captured, "ht/strings.yaml:3:9: error: ICU has no date format for 'ht'"));

    Text months[12];
    static const char *const names[12] = {"janvye", "fevriye", "mas", "avril", "me", "jen",
                                          "jiyè", "out", "septanm", "oktòb", "novanm", "desanm"};
    for (int i = 0; i < 12; i++)
        months[i] = (Text){(char *)names[i], {0}};
    Strings ht = {.locale = {"ht", {0}}, .month_names = {months, 12, {0}},
                  .date_format = {"{day} {month} {year}", {0}}};
    Date date = {2021, 8, 17, {"d.yaml", 1, 1}};
    assert_string_equal(format_date(&f->arena, &ht, &date), "17 out 2021");
}

static void test_templates(void **state)
{
    Fixture *f = *state;
    const char *names[] = {"page", "pages"};
    const char *values[] = {"1", "2"};
    assert_string_equal(format_template(&f->arena, "Página {page} de {pages}", names, values, 2),
                        "Página 1 de 2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_primary_font_is_noto_sans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_minus_sign_falls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_character_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_utf8_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_is_nfc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shaped_again_is_the_same, setup, teardown),
        cmocka_unit_test_setup_teardown(test_breaks_at_the_last_word_that_fits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_never_breaks_after_hyphen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_word_never_overflows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_line_fits_the_measure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_korean_breaks_between_words, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cjk_punctuation_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arabic_line_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_phone_number_in_arabic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_citation_direction_on_arabic_sheet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_locale_dates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_date_without_icu_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_templates, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
