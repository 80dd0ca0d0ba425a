/* Unit tests for pdf_pack.c: the file it writes is read back the way a
 * reader does (startxref, the cross-reference stream inflated and its
 * PNG predictor undone, every entry followed to its object, the object
 * stream inflated and indexed), the same objects give the same bytes, and
 * a missing object number is an error rather than a broken file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "pdf_pack.h"

static const char *const values[] = {
    NULL, /* object numbers start at 1 */
    "<</Type/Catalog/Pages 2 0 R>>",
    "<</Type/Pages/Kids[4 0 R]/Count 1>>",
    "<</Producer(pack \\(test\\))>>",
    "<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 5 0 R>>",
};
static const char content[] = "BT /F1 12 Tf (hello hello hello hello) Tj ET";
static const char xmp[] = "<?xpacket begin?>plain<?xpacket end?>";

/* Streams go into the file as they come, the other objects into an
 * object stream in the order they come. */
static char *write_sample(size_t *len)
{
    char *data = NULL;
    FILE *f = open_memstream(&data, len);
    assert_non_null(f);
    PdfPack *p = pack_new(f);
    pack_stream(p, 6, "/Type/Metadata/Subtype/XML", 26, xmp, sizeof xmp - 1, PACK_RAW);
    for (uint32_t n = 1; n <= 4; n++)
        pack_object(p, n, values[n], strlen(values[n]));
    pack_stream(p, 5, "", 0, content, sizeof content - 1, PACK_CONTENT);
    assert_int_equal(pack_finish(p, 1, 3), 0);
    pack_free(p);
    assert_int_equal(fclose(f), 0);
    return data;
}

/* strstr for bytes that hold NULs (compressed streams). */
static const char *find(const char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (!memcmp(hay + i, needle, n))
            return hay + i;
    return NULL;
}

/* In a dictionary: ASCII up to the stream data, so strstr does. */
static unsigned long number_after(const char *s, const char *key)
{
    const char *at = strstr(s, key);
    assert_non_null(at);
    return strtoul(at + strlen(key), NULL, 10);
}

/* The data of the stream object whose "N 0 obj" starts at obj. */
static unsigned char *inflate_stream(const char *obj, size_t *out_len)
{
    const char *data = strstr(obj, ">>stream\n");
    assert_non_null(data);
    data += strlen(">>stream\n");
    assert_non_null(strstr(obj, "/Filter/FlateDecode"));
    unsigned long zlen = number_after(obj, "/Length ");
    uLongf len = 1 << 16;
    unsigned char *out = malloc(len);
    assert_non_null(out);
    assert_int_equal(uncompress(out, &len, (const Bytef *)data, zlen), Z_OK);
    assert_memory_equal(data + zlen, "\nendstream\nendobj\n", 18);
    *out_len = len;
    return out;
}

static void expect_object_at(const char *file, size_t offset, unsigned n)
{
    char head[32];
    snprintf(head, sizeof head, "%u 0 obj\n", n);
    assert_memory_equal(file + offset, head, strlen(head));
}

static void test_reads_back(void **state)
{
    (void)state;
    size_t len;
    char *file = write_sample(&len);
    assert_memory_equal(file, "%PDF-1.7\n", 9);
    assert_memory_equal(file + len - 6, "%%EOF\n", 6);
    assert_null(find(file, len, "\ntrailer"));

    const char *sx = find(file, len, "startxref\n");
    assert_non_null(sx);
    size_t xref_at = strtoul(sx + 10, NULL, 10);
    const char *xref = file + xref_at;
    /* 6 objects, one object stream (7), the xref stream (8), object 0. */
    expect_object_at(file, xref_at, 8);
    assert_non_null(strstr(xref, "/Type/XRef/Size 9/W[1 "));
    assert_non_null(strstr(xref, "/Root 1 0 R/Info 3 0 R/ID[<"));
    assert_non_null(strstr(xref, "/Predictor 12"));
    unsigned w1 = (unsigned)number_after(xref, "/W[1 ");
    unsigned w2 = (unsigned)strtoul(strstr(xref, "/W[1 ") + 6, NULL, 10);
    unsigned width = 1 + w1 + w2;
    assert_int_equal(number_after(xref, "/Columns "), width);

    size_t n;
    unsigned char *rows = inflate_stream(xref, &n);
    assert_int_equal(n, 9 * (1 + width));
    unsigned long fields[9][3];
    unsigned char prev[16] = {0}, row[16];
    for (size_t r = 0; r < 9; r++) {
        const unsigned char *in = rows + r * (1 + width);
        assert_int_equal(in[0], 2); /* "Up" */
        for (unsigned j = 0; j < width; j++)
            prev[j] = row[j] = (unsigned char)(in[1 + j] + prev[j]);
        fields[r][0] = row[0];
        fields[r][1] = fields[r][2] = 0;
        for (unsigned j = 0; j < w1; j++)
            fields[r][1] = fields[r][1] << 8 | row[1 + j];
        for (unsigned j = 0; j < w2; j++)
            fields[r][2] = fields[r][2] << 8 | row[1 + w1 + j];
    }
    free(rows);
    assert_int_equal(fields[0][0], 0);
    /* Streams, the object stream and the xref stream by offset. */
    for (unsigned obj = 5; obj <= 8; obj++) {
        assert_int_equal(fields[obj][0], 1);
        expect_object_at(file, fields[obj][1], obj);
    }
    assert_int_equal(fields[8][1], xref_at);
    assert_non_null(strstr(file + fields[6][1], "/Type/Metadata/Subtype/XML/Length 37>>stream\n"
                                                "<?xpacket begin?>plain"));

    /* Objects 1-4 in object stream 7, in number order. */
    const char *stm = file + fields[7][1];
    assert_non_null(strstr(stm, "/Type/ObjStm/N 4/First "));
    unsigned long first = number_after(stm, "/First ");
    unsigned char *objs = inflate_stream(stm, &n);
    char *text = malloc(n + 1);
    assert_non_null(text);
    memcpy(text, objs, n);
    text[n] = '\0';
    char *pos = text;
    for (unsigned obj = 1; obj <= 4; obj++) {
        assert_int_equal(fields[obj][0], 2);
        assert_int_equal(fields[obj][1], 7);
        assert_int_equal(fields[obj][2], obj - 1);
        assert_int_equal(strtoul(pos, &pos, 10), obj);
        unsigned long at = strtoul(pos, &pos, 10);
        assert_memory_equal(text + first + at, values[obj], strlen(values[obj]));
    }
    free(text);
    free(objs);
    free(file);
}

static void test_deterministic(void **state)
{
    (void)state;
    size_t len_a, len_b;
    char *fa = write_sample(&len_a), *fb = write_sample(&len_b);
    assert_int_equal(len_a, len_b);
    assert_memory_equal(fa, fb, len_a);
    free(fa);
    free(fb);
}

static void test_gap_is_an_error(void **state)
{
    (void)state;
    char *data = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&data, &len);
    assert_non_null(f);
    PdfPack *p = pack_new(f);
    pack_object(p, 1, "<<>>", 4);
    pack_object(p, 3, "<<>>", 4); /* 2 never comes */
    /* The caller removes what was written. */
    assert_int_equal(pack_finish(p, 1, 3), -2);
    assert_int_equal(fclose(f), 0);
    free(data);
    pack_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_back),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_gap_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
