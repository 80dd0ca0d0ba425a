/* Unit tests for document_copy (pages_copy.c): a laid-out sheet copied
 * into another arena, the layout's arena freed, must still write the very
 * same PDF, and every box must draw a node of the copied tree.  Under
 * AddressSanitizer (make sanitize) every arena allocation is a heap block
 * of its own, so anything the copy still shared with the freed arena is a
 * reported use after free. */
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
#include "content.h"
#include "diag.h"
#include "fonts.h"
#include "pages_copy.h"
#include "pdf.h"
#include "sheet.h"
#include "text.h"

typedef struct Fixture {
    Content *content;
    FontSet *fonts;
} Fixture;

static int setup(void **state)
{
    Fixture *f = calloc(1, sizeof *f);
    f->content = content_load("content");
    assert_non_null(f->content);
    assert_int_equal(diag_error_count(), 0);
    f->fonts = fontset_open(NULL);
    assert_non_null(f->fonts);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    fontset_free(f->fonts);
    content_free(f->content);
    free(f);
    return 0;
}

/* The bytes pdf_write writes for doc. */
static char *written(const Document *doc, size_t *len)
{
    char path[] = "/tmp/pdfgen-test-copy-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(pdf_write(doc, path), 0);
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    fseek(in, 0, SEEK_END);
    long size = ftell(in);
    assert_true(size > 0);
    rewind(in);
    char *bytes = malloc((size_t)size);
    assert_non_null(bytes);
    assert_int_equal(fread(bytes, 1, (size_t)size, in), (size_t)size);
    fclose(in);
    unlink(path);
    *len = (size_t)size;
    return bytes;
}

static bool in_tree(const Node *node, const Node *target)
{
    if (node == target)
        return true;
    for (const Node *c = node->first_child; c; c = c->next)
        if (in_tree(c, target))
            return true;
    return false;
}

static void copy_writes_the_same_pdf(const Fixture *f, const char *lang, const char *drug_id)
{
    const Language *language = content_language(f->content, lang);
    assert_non_null(language);
    const Drug *drug = language_drug(language, drug_id);
    assert_non_null(drug);
    Shaper *shaper = shaper_open(f->fonts, language->strings.locale.utf8);
    assert_non_null(shaper);
    SheetRequest request = {f->content, language, drug, PAPER_LETTER, "pdfgen test",
                            SIZE_REGULAR};

    Arena layout = {0};
    Document *doc = sheet_document(&layout, shaper, &request);
    assert_non_null(doc);
    size_t expected_len;
    char *expected = written(doc, &expected_len);

    Arena kept = {0};
    Document *copy = document_copy(&kept, doc);
    arena_free(&layout);
    assert_int_equal(copy->tree->arena, &kept);
    for (size_t p = 0; p < copy->page_count; p++)
        for (size_t b = 0; b < copy->pages[p].box_count; b++) {
            const Box *box = &copy->pages[p].boxes[b];
            assert_true(box->node == NULL || in_tree(copy->tree->root, box->node));
        }
    size_t got_len;
    char *got = written(copy, &got_len);
    assert_int_equal(got_len, expected_len);
    assert_memory_equal(got, expected, expected_len);
    free(got);
    free(expected);
    arena_free(&kept);
    shaper_close(shaper);
}

static void english_sheet(void **state) { copy_writes_the_same_pdf(*state, "en", "sunitinib"); }

/* right to left, Arabic script, English citations inside */
static void arabic_sheet(void **state) { copy_writes_the_same_pdf(*state, "ar", "everolimus"); }

/* CJK faces, a QR code */
static void japanese_sheet(void **state) { copy_writes_the_same_pdf(*state, "ja", "belzutifan"); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(english_sheet),
        cmocka_unit_test(arabic_sheet),
        cmocka_unit_test(japanese_sheet),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
