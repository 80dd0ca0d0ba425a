/* Unit tests for format.c: templates however often a placeholder repeats,
 * and numbers that ICU cannot format reported, not quietly replaced. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"
#include "diag.h"
#include "format.h"

static char *repeat(const char *piece, size_t times)
{
    size_t n = strlen(piece);
    char *s = malloc(n * times + 1);
    for (size_t i = 0; i < times; i++)
        memcpy(s + i * n, piece, n);
    s[n * times] = '\0';
    return s;
}

/* The result must be whole even after the arena hands out the memory that
 * follows it: a result written past its allocation would be cut short by
 * the next (zeroed) allocation, and the sanitizer build reports the write
 * itself. */
static void check_repeats(size_t times)
{
    Arena arena = {0};
    const char *names[] = {"date"};
    const char *values[] = {"August 17, 2021"};
    char *template_utf8 = repeat("{date} ", times);
    char *expected = repeat("August 17, 2021 ", times);
    char *got = format_template(&arena, template_utf8, names, values, 1);
    memset(arena_alloc(&arena, 30000), 'x', 30000);
    assert_int_equal(strlen(got), strlen(expected));
    assert_string_equal(got, expected);
    free(template_utf8);
    free(expected);
    arena_free(&arena);
}

static void test_template_with_many_repeats(void **state)
{
    (void)state;
    check_repeats(9);
    check_repeats(3000);
}

static void test_template_edges(void **state)
{
    (void)state;
    Arena arena = {0};
    const char *names[] = {"page", "pages"};
    const char *values[] = {"1", "12"};
    assert_string_equal(format_template(&arena, "", names, values, 2), "");
    assert_string_equal(format_template(&arena, "{page}{pages}{page}", names, values, 2), "1121");
    /* unknown names and unclosed braces stay as written */
    assert_string_equal(format_template(&arena, "{other} {page {pages}", names, values, 2),
                        "{other} {page 12");
    assert_string_equal(format_template(&arena, "{", names, values, 2), "{");
    arena_free(&arena);
}

static void test_number_in_locale_digits(void **state)
{
    (void)state;
    Arena arena = {0};
    diag_reset();
    assert_string_equal(format_number(&arena, "en", 12), "12");
    assert_string_equal(format_number(&arena, "ar", 12), "\u0661\u0662");
    assert_int_equal(diag_error_count(), 0);
    arena_free(&arena);
}

/* A numbering system ICU does not have: the failure is an error, never
 * Western digits standing in for the locale's. */
static void test_unformattable_number_is_an_error(void **state)
{
    (void)state;
    Arena arena = {0};
    diag_reset();
    const char *got = format_number(&arena, "ar@numbers=nosuch", 7);
    assert_int_equal(diag_error_count(), 1);
    assert_non_null(got);
    assert_null(strchr(got, '7'));
    diag_reset();
    arena_free(&arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_template_with_many_repeats),
        cmocka_unit_test(test_template_edges),
        cmocka_unit_test(test_number_in_locale_digits),
        cmocka_unit_test(test_unformattable_number_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
