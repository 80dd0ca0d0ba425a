/* Unit tests for what each glyph stands for in the PDF: sharing a
 * cluster's text out over its glyphs (pdf_glyphtext.c), ToUnicode layers
 * (pdf_fonts.c) and the glyph codes of a CFF font whose CIDs are not its
 * glyph ids.  On real fonts: Noto Sans Devanagari's conjuncts are what the
 * sharing out is for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hb.h>

#include "fonts.h"
#include "pdf_buf.h"
#include "pdf_fonts.h"
#include "pdf_glyphtext.h"

typedef struct Shaped {
    uint32_t cps[16];
    size_t n;
    Glyph glyphs[16];
    size_t m;
} Shaped;

static const Font *devanagari(FontSet *set)
{
    const Font *f = fontset_font_for(set, STYLE_REGULAR, "hi", HB_SCRIPT_DEVANAGARI, 0x0915);
    assert_non_null(f);
    return f;
}

static void shape(const Font *font, const uint32_t *cps, size_t n, Shaped *out)
{
    hb_buffer_t *b = hb_buffer_create();
    hb_buffer_add_utf32(b, cps, (int)n, 0, (int)n);
    hb_buffer_guess_segment_properties(b);
    hb_shape(font->hb, b, NULL, 0);
    unsigned count;
    hb_glyph_info_t *info = hb_buffer_get_glyph_infos(b, &count);
    hb_glyph_position_t *pos = hb_buffer_get_glyph_positions(b, &count);
    assert_true(count <= 16);
    memcpy(out->cps, cps, n * sizeof *cps);
    out->n = n;
    out->m = count;
    for (unsigned i = 0; i < count; i++)
        out->glyphs[i] = (Glyph){info[i].codepoint, pos[i].x_advance, pos[i].x_offset,
                                 pos[i].y_offset, info[i].cluster, false};
    hb_buffer_destroy(b);
}

static hb_codepoint_t nominal(const Font *font, uint32_t cp)
{
    hb_codepoint_t g = 0;
    assert_true(hb_font_get_nominal_glyph(font->hb, cp, &g));
    return g;
}

/* "नमक": three consonants, each its own glyph: each glyph stands for its
 * own character, shown in the order written. */
static void test_nominal_glyphs(void **state)
{
    FontSet *set = *state;
    const Font *f = devanagari(set);
    uint32_t text[] = {0x0928, 0x092E, 0x0915};
    Shaped s;
    shape(f, text, 3, &s);
    size_t owner[16], order[16];
    bool guessed[16];
    hb_buffer_t *buf = hb_buffer_create();
    glyphtext_partition(buf, f, s.cps, s.n, s.glyphs, s.m, owner, guessed, order);
    for (size_t k = 0; k < s.n; k++) {
        assert_true(owner[k] < s.m);
        assert_int_equal(s.glyphs[owner[k]].gid, nominal(f, text[k]));
        assert_false(guessed[owner[k]]);
    }
    assert_int_equal(s.glyphs[order[0]].gid, nominal(f, 0x0928));
    hb_buffer_destroy(buf);
}

/* "कैं": the vowel sign and the anusvara make one ligature glyph, which
 * stands for both; the consonant for itself. */
static void test_ligature(void **state)
{
    FontSet *set = *state;
    const Font *f = devanagari(set);
    uint32_t text[] = {0x0915, 0x0948, 0x0902};
    Shaped s;
    shape(f, text, 3, &s);
    assert_int_equal(s.m, 2);
    size_t owner[16], order[16];
    bool guessed[16];
    hb_buffer_t *buf = hb_buffer_create();
    glyphtext_partition(buf, f, s.cps, s.n, s.glyphs, s.m, owner, guessed, order);
    assert_int_equal(owner[0], 0);
    assert_false(guessed[0]);
    assert_int_equal(owner[1], 1);
    assert_int_equal(owner[2], 1);
    assert_true(guessed[1]);
    hb_buffer_destroy(buf);
}

/* "क्षि": the conjunct glyph kssa stands for क ् ष and the vowel sign's
 * width variant (drawn first, on the left) for ि; shown in the order
 * written, the conjunct comes first. */
static void test_conjunct_and_reordered_vowel(void **state)
{
    FontSet *set = *state;
    const Font *f = devanagari(set);
    uint32_t text[] = {0x0915, 0x094D, 0x0937, 0x093F};
    Shaped s;
    shape(f, text, 4, &s);
    assert_int_equal(s.m, 2); /* [i-sign variant][kssa] */
    size_t owner[16], order[16];
    bool guessed[16];
    hb_buffer_t *buf = hb_buffer_create();
    glyphtext_partition(buf, f, s.cps, s.n, s.glyphs, s.m, owner, guessed, order);
    assert_int_equal(owner[0], 1);
    assert_int_equal(owner[1], 1);
    assert_int_equal(owner[2], 1);
    assert_int_equal(owner[3], 0);
    assert_int_equal(order[0], 1); /* kssa first: its text comes first */
    assert_int_equal(order[1], 0);
    hb_buffer_destroy(buf);
}

/* "ज़िं": HarfBuzz adds a placeholder mark that draws nothing; it stands
 * for nothing, and every character has a glyph that stands for it. */
static void test_silent_placeholder(void **state)
{
    FontSet *set = *state;
    const Font *f = devanagari(set);
    uint32_t text[] = {0x091C, 0x093C, 0x093F, 0x0902};
    Shaped s;
    shape(f, text, 4, &s);
    size_t owner[16], order[16];
    bool guessed[16];
    hb_buffer_t *buf = hb_buffer_create();
    glyphtext_partition(buf, f, s.cps, s.n, s.glyphs, s.m, owner, guessed, order);
    size_t silent = 0;
    for (size_t g = 0; g < s.m; g++)
        if (glyphtext_silent(f, &s.glyphs[g])) {
            silent++;
            for (size_t k = 0; k < s.n; k++)
                assert_int_not_equal(owner[k], g);
        }
    assert_int_equal(silent, 1);
    for (size_t k = 0; k < s.n; k++)
        assert_true(owner[k] < s.m);
    hb_buffer_destroy(buf);
}

static void text_of(U16 *u, const char *ascii)
{
    u->len = 0;
    for (; *ascii; ascii++)
        u16_push(u, (unsigned char)*ascii);
}

/* One glyph, three meanings: three ToUnicode layers, and each meaning
 * keeps its layer. */
static void test_tounicode_layers(void **state)
{
    FontSet *set = *state;
    const Font *f = fontset_primary(set, STYLE_REGULAR);
    FontUses uses = {0};
    FontUse *fu;
    assert_int_equal(register_font(&uses, f, &fu), 0);
    uint32_t gid = nominal(f, '(');
    U16 t = {0};
    text_of(&t, "(");
    assert_int_equal(font_map_glyph(fu, gid, &t), 0);
    assert_int_equal(font_map_glyph(fu, gid, &t), 0);
    text_of(&t, ")"); /* the same glyph, mirrored in right-to-left text */
    assert_int_equal(font_map_glyph(fu, gid, &t), 1);
    text_of(&t, "x");
    assert_int_equal(font_map_glyph(fu, gid, &t), 2);
    text_of(&t, ")");
    assert_int_equal(font_map_glyph(fu, gid, &t), 1);
    text_of(&t, "");
    assert_int_equal(font_map_glyph(fu, gid, &t), 0); /* no text: no entry */
    assert_int_equal(fu->layer_count, 3);
    assert_string_not_equal(font_layer_key(fu, 0), font_layer_key(fu, 1));
    u16_free(&t);
    font_uses_free(&uses);
}

/* A CFF font whose charset gives glyphs other CIDs: the content and the
 * maps carry the CID, not the glyph id. */
static void test_cid_codes(void **state)
{
    (void)state;
    uint16_t cids[] = {0, 7, 3, 65535};
    FontUse fu = {.glyph_count = 4, .cff = true, .cids = cids};
    assert_int_equal(glyph_code(&fu, 1), 7);
    assert_int_equal(glyph_code(&fu, 2), 3);
    assert_int_equal(glyph_code(&fu, 3), 65535);
    FontUse identity = {.glyph_count = 4, .cff = true};
    assert_int_equal(glyph_code(&identity, 3), 3);
}

static int setup(void **state)
{
    FontSet *set = fontset_open(NULL);
    assert_non_null(set);
    *state = set;
    return 0;
}

static int teardown(void **state)
{
    fontset_free(*state);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nominal_glyphs),
        cmocka_unit_test(test_ligature),
        cmocka_unit_test(test_conjunct_and_reordered_vowel),
        cmocka_unit_test(test_silent_placeholder),
        cmocka_unit_test(test_tounicode_layers),
        cmocka_unit_test(test_cid_codes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
