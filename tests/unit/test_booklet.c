/* Unit tests for the booklet's guess at its parts' pages (booklet.h:
 * pages_alone): right, wrong or unknown, the booklet comes out byte for
 * byte as when every part is counted; a wrong guess has it made again. */
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
#include "booklet.h"
#include "content.h"
#include "diag.h"
#include "fonts.h"
#include "sheet.h"
#include "text.h"

typedef struct Fixture {
    Content *content;
    FontSet *fonts;
    char dir[32];
} Fixture;

static int setup(void **state)
{
    Fixture *f = calloc(1, sizeof *f);
    f->content = content_load("content");
    assert_non_null(f->content);
    assert_int_equal(diag_error_count(), 0);
    f->fonts = fontset_open(NULL);
    assert_non_null(f->fonts);
    strcpy(f->dir, "/tmp/test_booklet.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    fontset_free(f->fonts);
    content_free(f->content);
    assert_int_equal(rmdir(f->dir), 0);
    free(f);
    return 0;
}

/* The booklet written with the guess pages_alone, read back; *pages its
 * page count. */
static char *booklet_bytes(Fixture *f, Shaper *shaper, const Language *language,
                           const DocInfo *info, const size_t *pages_alone, size_t *size,
                           size_t *pages)
{
    char path[64];
    snprintf(path, sizeof path, "%s/all.pdf", f->dir);
    Arena arena = {0};
    BookletRequest request = {f->content, language, PAPER_LETTER, "pdfgen test", 0,
                              pages_alone};
    assert_int_equal(booklet_write(&arena, shaper, &request, info, path, pages), 0);
    arena_free(&arena);
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    assert_int_equal(fseek(in, 0, SEEK_END), 0);
    long n = ftell(in);
    assert_true(n > 0);
    rewind(in);
    char *bytes = malloc((size_t)n);
    assert_int_equal(fread(bytes, 1, (size_t)n, in), (size_t)n);
    fclose(in);
    assert_int_equal(unlink(path), 0);
    *size = (size_t)n;
    return bytes;
}

static void check_language(Fixture *f, const char *code)
{
    const Language *language = content_language(f->content, code);
    assert_non_null(language);
    Shaper *shaper = shaper_open(f->fonts, language->strings.locale.utf8);
    assert_non_null(shaper);
    Arena arena = {0};
    DocInfo info = booklet_info(&arena, language, "pdfgen test");
    size_t size, pages;
    char *counted = booklet_bytes(f, shaper, language, &info, NULL, &size, &pages);

    /* the pages each part has on its own, as build.c gives them */
    size_t n = language->drug_count + 1;
    size_t *alone = calloc(n, sizeof *alone), *wrong = calloc(n, sizeof *wrong);
    for (size_t i = 0; i < language->drug_count; i++) {
        Arena scratch = {0};
        SheetRequest sheet = {f->content, language, &language->drugs[i], PAPER_LETTER,
                              "pdfgen test", SIZE_REGULAR};
        Document *doc = sheet_document(&scratch, shaper, &sheet);
        assert_non_null(doc);
        alone[i] = doc->page_count;
        wrong[i] = i == language->drug_count - 1 ? doc->page_count + 1 : doc->page_count;
        arena_free(&scratch);
    }
    size_t *unknown = calloc(n, sizeof *unknown);
    const size_t *guesses[] = {alone, wrong, unknown};
    for (size_t g = 0; g < sizeof guesses / sizeof *guesses; g++) {
        size_t again_size, again_pages;
        char *again = booklet_bytes(f, shaper, language, &info, guesses[g], &again_size,
                                    &again_pages);
        assert_int_equal(again_pages, pages);
        assert_int_equal(again_size, size);
        assert_memory_equal(again, counted, size);
        free(again);
    }
    assert_int_equal(diag_error_count(), 0);
    free(counted);
    free(alone);
    free(wrong);
    free(unknown);
    arena_free(&arena);
    shaper_close(shaper);
}

static void test_english(void **state) { check_language(*state, "en"); }
/* right to left, and digits of its own choosing */
static void test_arabic(void **state) { check_language(*state, "ar"); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_english, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arabic, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
