/* Unit tests for cmap_cut: hb-subset makes the same TrueType subset, byte
 * for byte, from a face whose cmap is cut down to the kept glyphs as from
 * the whole font (the nine tables pdf_fonts.c embeds, its flags), for the
 * fonts the sheets use, DejaVu (formats 4, 6 and 12) and a sample of
 * Noto; and a cmap it cannot be sure to read as HarfBuzz does is refused,
 * not guessed at. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hb-subset.h>
#include <hb.h>

#include "cmap_cut.h"

static const hb_tag_t kept_tables[] = {
    HB_TAG('g', 'l', 'y', 'f'), HB_TAG('l', 'o', 'c', 'a'), HB_TAG('h', 'e', 'a', 'd'),
    HB_TAG('h', 'h', 'e', 'a'), HB_TAG('h', 'm', 't', 'x'), HB_TAG('m', 'a', 'x', 'p'),
    HB_TAG('c', 'm', 'a', 'p'), HB_TAG('O', 'S', '/', '2'), HB_TAG('p', 'o', 's', 't'),
};
enum { KEPT = sizeof kept_tables / sizeof kept_tables[0] };

static bool in_set(unsigned gid, void *set) { return hb_set_has(set, gid); }

/* The subset as pdf_fonts.c asks for it, from source (tables of face). */
static hb_blob_t *subset(hb_face_t *face, hb_face_t *source, const hb_set_t *glyphs)
{
    hb_subset_input_t *in = hb_subset_input_create_or_fail();
    assert_non_null(in);
    hb_set_union(hb_subset_input_glyph_set(in), glyphs);
    hb_set_t *drop = hb_subset_input_set(in, HB_SUBSET_SETS_DROP_TABLE_TAG);
    hb_tag_t tags[64];
    unsigned offset = 0, count;
    do {
        count = 64;
        hb_face_get_table_tags(face, offset, &count, tags);
        for (unsigned i = 0; i < count; i++) {
            bool keep = false;
            for (unsigned k = 0; k < KEPT; k++)
                keep |= tags[i] == kept_tables[k];
            if (!keep)
                hb_set_add(drop, tags[i]);
        }
        offset += count;
    } while (count == 64);
    hb_subset_input_set_flags(in, HB_SUBSET_FLAGS_RETAIN_GIDS | HB_SUBSET_FLAGS_NO_HINTING);
    hb_face_t *out = hb_subset_or_fail(source, in);
    hb_subset_input_destroy(in);
    assert_non_null(out);
    hb_blob_t *blob = hb_face_reference_blob(out);
    hb_face_destroy(out);
    return blob;
}

/* The face with the cut cmap, or NULL when cmap_cut refuses the font's. */
static hb_face_t *cut_face(hb_face_t *face, hb_set_t *glyphs)
{
    hb_blob_t *cmap = hb_face_reference_table(face, HB_TAG('c', 'm', 'a', 'p'));
    unsigned len;
    const char *data = hb_blob_get_data(cmap, &len);
    size_t cut_len;
    char *cut = cmap_cut((const unsigned char *)data, len, hb_face_get_glyph_count(face), in_set,
                         glyphs, &cut_len);
    hb_blob_destroy(cmap);
    if (!cut)
        return NULL;
    hb_blob_t *cut_blob =
        hb_blob_create((const char *)cut, (unsigned)cut_len, HB_MEMORY_MODE_WRITABLE, cut, free);
    hb_face_t *builder = hb_face_builder_create();
    for (unsigned k = 0; k < KEPT; k++) {
        hb_blob_t *t = kept_tables[k] == HB_TAG('c', 'm', 'a', 'p')
                           ? hb_blob_reference(cut_blob)
                           : hb_face_reference_table(face, kept_tables[k]);
        hb_face_builder_add_table(builder, kept_tables[k], t);
        hb_blob_destroy(t);
    }
    hb_blob_destroy(cut_blob);
    return builder;
}

static void assert_same_subset(const char *path, hb_face_t *face, hb_set_t *glyphs)
{
    hb_face_t *cut = cut_face(face, glyphs);
    if (!cut)
        fail_msg("%s: cmap refused", path);
    hb_blob_t *a = subset(face, face, glyphs), *b = subset(face, cut, glyphs);
    unsigned la, lb;
    const char *da = hb_blob_get_data(a, &la), *db = hb_blob_get_data(b, &lb);
    if (la != lb || memcmp(da, db, la) != 0)
        fail_msg("%s: %u glyphs: subsets differ (%u and %u bytes)", path,
                 hb_set_get_population(glyphs), la, lb);
    hb_blob_destroy(a);
    hb_blob_destroy(b);
    hb_face_destroy(cut);
}

static void check_font(const char *path)
{
    hb_blob_t *blob = hb_blob_create_from_file_or_fail(path);
    if (!blob)
        return; /* not installed here */
    hb_face_t *face = hb_face_create(blob, 0);
    hb_blob_destroy(blob);
    hb_blob_t *glyf = hb_face_reference_table(face, HB_TAG('g', 'l', 'y', 'f'));
    bool truetype = hb_blob_get_length(glyf) > 0;
    hb_blob_destroy(glyf);
    if (!truetype) {
        hb_face_destroy(face);
        return;
    }
    unsigned n = hb_face_get_glyph_count(face);
    hb_font_t *font = hb_font_create(face);
    hb_set_t *glyphs = hb_set_create();
    /* .notdef alone */
    hb_set_add(glyphs, 0);
    assert_same_subset(path, face, glyphs);
    /* a sentence's characters */
    static const uint32_t text[] = {'H', 'e', 'l', 'o', ',', ' ', 'w', 'r', 'd', 0x2013, '2',
                                    0xD7, 0x2264, 0xBD, 0xA0, 0x2212, 0x627, 0x915, 0x1EA1};
    for (size_t i = 0; i < sizeof text / sizeof *text; i++) {
        hb_codepoint_t gid;
        if (hb_font_get_nominal_glyph(font, text[i], &gid))
            hb_set_add(glyphs, gid);
    }
    assert_same_subset(path, face, glyphs);
    /* every seventh glyph of the first 700, and the last 40 */
    for (unsigned g = 0; g < n && g < 700; g += 7)
        hb_set_add(glyphs, g);
    for (unsigned g = n > 40 ? n - 40 : 0; g < n; g++)
        hb_set_add(glyphs, g);
    assert_same_subset(path, face, glyphs);
    hb_set_destroy(glyphs);
    hb_font_destroy(font);
    hb_face_destroy(face);
}

static void test_subsets_are_the_same(void **state)
{
    (void)state;
    static const char *const fonts[] = {
        "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
        "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
        "/usr/share/fonts/truetype/noto/NotoSans-Italic.ttf",
        "/usr/share/fonts/truetype/noto/NotoSans-BoldItalic.ttf",
        "/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf",
        "/usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    };
    for (size_t i = 0; i < sizeof fonts / sizeof *fonts; i++)
        check_font(fonts[i]);
    /* and a sample of the other Noto faces, whatever their cmaps hold */
    DIR *d = opendir("/usr/share/fonts/truetype/noto");
    if (!d)
        return;
    unsigned seen = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 4, ".ttf") != 0 || seen++ % 25 != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "/usr/share/fonts/truetype/noto/%s", e->d_name);
        check_font(path);
    }
    closedir(d);
}

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static bool keep_all(unsigned gid, void *context)
{
    (void)gid, (void)context;
    return true;
}

/* A cmap with one format 4 subtable of the given segments (start, end,
 * delta), and no glyph index array. */
static size_t format4_cmap(unsigned char *t, const unsigned (*segs)[3], unsigned count)
{
    memset(t, 0, 512);
    put16(t + 2, 1);
    put16(t + 4, 3), put16(t + 6, 1), put16(t + 10, 12);
    unsigned char *s = t + 12;
    put16(s, 4);
    put16(s + 2, 16 + 8 * count);
    put16(s + 6, 2 * count);
    for (unsigned i = 0; i < count; i++) {
        put16(s + 14 + 2 * i, segs[i][1]);
        put16(s + 16 + 2 * count + 2 * i, segs[i][0]);
        put16(s + 16 + 4 * count + 2 * i, segs[i][2]);
    }
    return 12 + 16 + 8 * count;
}

static void test_refuses_what_harfbuzz_may_read_otherwise(void **state)
{
    (void)state;
    unsigned char t[512];
    size_t out_len;
    static const unsigned good[][3] = {{0x20, 0x7E, 0xFFE3}, {0xFFFF, 0xFFFF, 1}};
    size_t len = format4_cmap(t, good, 2);
    char *out = cmap_cut(t, len, 200, keep_all, NULL, &out_len);
    assert_non_null(out);
    free(out);
    /* segments out of order */
    static const unsigned unsorted[][3] = {{0x41, 0x5A, 3}, {0x20, 0x30, 3}, {0xFFFF, 0xFFFF, 1}};
    len = format4_cmap(t, unsorted, 3);
    assert_null(cmap_cut(t, len, 200, keep_all, NULL, &out_len));
    /* a mapping for U+FFFF */
    static const unsigned ffff[][3] = {{0xFFF0, 0xFFFF, 5}};
    len = format4_cmap(t, ffff, 1);
    assert_null(cmap_cut(t, len, 200, keep_all, NULL, &out_len));
    /* a subtable past the end of the table */
    len = format4_cmap(t, good, 2);
    assert_null(cmap_cut(t, len - 4, 200, keep_all, NULL, &out_len));
    /* a cmap version HarfBuzz does not read */
    len = format4_cmap(t, good, 2);
    put16(t, 1);
    assert_null(cmap_cut(t, len, 200, keep_all, NULL, &out_len));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subsets_are_the_same),
        cmocka_unit_test(test_refuses_what_harfbuzz_may_read_otherwise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
