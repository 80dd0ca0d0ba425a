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
    /* Every cut ends before the CharStrings and the charset, so every one
     * must be refused, the empty table first of all. */
    for (unsigned cut = 0; cut < header; cut += 7) {
        uint16_t *cids = (uint16_t *)(uintptr_t)1; /* must be reset */
        unsigned count = 99;
        assert_int_equal(cff_cids(data, cut, &cids, &count), CFF_MALFORMED);
        assert_null(cids);
        assert_int_equal(count, 0);
    }
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

/* A minimal CID-keyed CFF of n glyphs (each charstring a bare endchar)
 * with the given charset bytes (format byte first), as laid out by the
 * CFF spec: header, Name INDEX, Top DICT INDEX (ROS, charset,
 * CharStrings), the CharStrings INDEX, then the charset.  Returns its
 * length. */
static size_t synthetic_cff(unsigned char *buf, unsigned n, const unsigned char *charset,
                            size_t charset_len)
{
    size_t at = 0;
    const unsigned char head_and_name[] = {1, 0, 4, 1, /* header */
                                           0, 1, 1, 1, 2, 'A'}; /* Name INDEX */
    memcpy(buf, head_and_name, sizeof head_and_name);
    at = sizeof head_and_name;
    size_t top_dict_index = at, dict_len = 17;
    size_t charstrings = top_dict_index + 5 + dict_len;
    size_t charset_at = charstrings + 3 + (n + 1) + n;
    const unsigned char top_index[] = {0, 1, 1, 1, (unsigned char)(1 + dict_len)};
    memcpy(buf + at, top_index, sizeof top_index);
    at += sizeof top_index;
    const unsigned char dict[] = {
        139, 139, 139, 12, 30, /* ROS: Registry, Ordering, Supplement (only presence counts) */
        29, 0, 0, (unsigned char)(charset_at >> 8), (unsigned char)charset_at, 15,
        29, 0, 0, (unsigned char)(charstrings >> 8), (unsigned char)charstrings, 17};
    assert_int_equal(sizeof dict, dict_len);
    memcpy(buf + at, dict, sizeof dict);
    at += sizeof dict;
    assert_int_equal(at, charstrings);
    buf[at++] = (unsigned char)(n >> 8);
    buf[at++] = (unsigned char)n;
    buf[at++] = 1; /* offSize */
    for (unsigned i = 0; i <= n; i++)
        buf[at++] = (unsigned char)(1 + i);
    for (unsigned i = 0; i < n; i++)
        buf[at++] = 14; /* endchar */
    assert_int_equal(at, charset_at);
    memcpy(buf + at, charset, charset_len);
    return at + charset_len;
}

static void check_cids(const unsigned char *charset, size_t charset_len, unsigned n,
                       const uint16_t *expected)
{
    unsigned char buf[512];
    size_t len = synthetic_cff(buf, n, charset, charset_len);
    uint16_t *cids;
    unsigned count;
    assert_int_equal(cff_cids((const char *)buf, len, &cids, &count), CFF_OK);
    assert_int_equal(count, n);
    for (unsigned gid = 0; gid < n; gid++)
        assert_int_equal(cids[gid], expected[gid]);
    free(cids);
    /* one byte short of the charset: refused, not read past the end */
    assert_int_equal(cff_cids((const char *)buf, len - 1, &cids, &count), CFF_MALFORMED);
}

/* Glyph ids that are not their CIDs, in each charset format: the CIDs,
 * not the glyph ids, are what the PDF must use. */
static void test_charset_maps_glyphs_to_other_cids(void **state)
{
    (void)state;
    const unsigned char format0[] = {0, 0, 100, 0, 7, 0xFF, 0xFF, 0x01, 0x2C, 0, 2};
    const uint16_t want0[] = {0, 100, 7, 65535, 300, 2};
    check_cids(format0, sizeof format0, 6, want0);

    const unsigned char format1[] = {1, 0x03, 0xE8, 2, /* 1000..1002 */
                                     0, 50, 1};        /* 50..51 */
    const uint16_t want1[] = {0, 1000, 1001, 1002, 50, 51};
    check_cids(format1, sizeof format1, 6, want1);

    const unsigned char format2[] = {2, 0x9C, 0x40, 0, 3, /* 40000..40003 */
                                     0, 9, 0, 0};         /* 9 */
    const uint16_t want2[] = {0, 40000, 40001, 40002, 40003, 9};
    check_cids(format2, sizeof format2, 6, want2);

    bool twice;
    unsigned char *set = cid_set(want1, 6, &twice);
    assert_false(twice);
    assert_true(cid_in(set, 1001));
    assert_false(cid_in(set, 4));
    free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reads_every_glyphs_cid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_tables_are_refused_safely, setup, teardown),
        cmocka_unit_test(test_charset_maps_glyphs_to_other_cids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
