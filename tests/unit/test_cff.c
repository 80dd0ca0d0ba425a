/* Unit tests for the CFF charset reader: a real CID-keyed face, and
 * damaged copies of it, which must be refused, never read out of bounds
 * (the sanitizer run checks the latter). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hb.h>

#include "cff.h"
#include "fonts.h"

typedef struct Fixture {
    FontSet *fonts;
    hb_blob_t *cff;
    unsigned glyph_count;
} Fixture;

static int setup(void **state)
{
    Fixture *f = calloc(1, sizeof *f);
    f->fonts = fontset_open(NULL);
    assert_non_null(f->fonts);
    const Font *cjk = fontset_font_for(f->fonts, STYLE_REGULAR, "ja", HB_SCRIPT_HAN, 0x9AA8);
    assert_non_null(cjk);
    assert_true(cjk->cff);
    f->cff = hb_face_reference_table(cjk->face, HB_TAG('C', 'F', 'F', ' '));
    f->glyph_count = hb_face_get_glyph_count(cjk->face);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    hb_blob_destroy(f->cff);
    fontset_free(f->fonts);
    free(f);
    return 0;
}

static void test_reads_every_glyphs_cid(void **state)
{
    Fixture *f = *state;
    unsigned len;
    const char *data = hb_blob_get_data(f->cff, &len);
    uint16_t *cids;
    unsigned count;
    assert_int_equal(cff_cids(data, len, &cids, &count), CFF_OK);
    assert_int_equal(count, f->glyph_count);
    assert_int_equal(cids[0], 0);
    bool twice;
    unsigned char *set = cid_set(cids, count, &twice);
    assert_non_null(set);
    assert_false(twice); /* every glyph its own CID */
    assert_true(cid_in(set, cids[count - 1]));
    free(set);
    free(cids);
}

/* Cut anywhere, or with bytes overwritten, the table is refused or read
 * within bounds; never a crash. */
static void test_damaged_tables_are_refused_safely(void **state)
{
    Fixture *f = *state;
    unsigned len;
    const char *data = hb_blob_get_data(f->cff, &len);
    unsigned header = len < 4096 ? len : 4096;
    char *copy = malloc(len);
    unsigned refused = 0;
    for (unsigned cut = 0; cut < header; cut += 7) {
        uint16_t *cids = NULL;
        unsigned count;
        CffStatus st = cff_cids(data, cut, &cids, &count);
        refused += st != CFF_OK;
        free(cids);
    }
    assert_true(refused > 0);
    srand(1);
    for (int round = 0; round < 200; round++) {
        memcpy(copy, data, len);
        for (int k = 0; k < 8; k++)
            copy[(unsigned)rand() % header] = (char)rand();
        uint16_t *cids = NULL;
        unsigned count;
        if (cff_cids(copy, len, &cids, &count) == CFF_OK)
            assert_true(count > 0);
        free(cids);
    }
    free(copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reads_every_glyphs_cid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_tables_are_refused_safely, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
