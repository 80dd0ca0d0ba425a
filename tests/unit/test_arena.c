/* Unit tests for the arena: what callers rely on (zeroed, aligned, arrays
 * that grow), that impossible sizes abort instead of wrapping around, and,
 * in the sanitizer build, that AddressSanitizer sees an overflow of a
 * single arena object. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"
#include "child.h"

#if PDFGEN_ASAN
#include <sanitizer/asan_interface.h>
#endif

static void test_zeroed_and_aligned(void **state)
{
    (void)state;
    Arena arena = {0};
    const size_t sizes[] = {1, 3, 16, 17, 100, 59999, 60001, 200000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *p = arena_alloc(&arena, sizes[i]);
        assert_int_equal((uintptr_t)p % 16, 0);
        for (size_t k = 0; k < sizes[i]; k++)
            assert_int_equal(p[k], 0);
        memset(p, 0xAB, sizes[i]);
    }
    arena_free(&arena);
    assert_null(arena.head);
}

static void test_reserve_keeps_elements(void **state)
{
    (void)state;
    Arena arena = {0};
    int *items = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < 1000; i++) {
        items = arena_reserve(&arena, items, i, &cap, sizeof *items);
        items[i] = (int)i * 7;
    }
    assert_true(cap >= 1000);
    for (size_t i = 0; i < 1000; i++)
        assert_int_equal(items[i], (int)i * 7);
    arena_free(&arena);
}

/* Grown where it lies (the newest allocation) or moved (something came
 * after it), an array keeps its elements and its new ones are zeroed,
 * though the memory it grows into was used before. */
static void test_reserve_zeroes_new_elements(void **state)
{
    (void)state;
    for (int interleaved = 0; interleaved < 2; interleaved++) {
        Arena arena = {0};
        memset(arena_alloc_raw(&arena, 50000), 0xCD, 50000);
        arena_free(&arena);
        long *items = NULL;
        size_t cap = 0;
        for (size_t i = 0; i < 3000; i++) {
            items = arena_reserve(&arena, items, i, &cap, sizeof *items);
            assert_int_equal(items[i], 0);
            for (size_t k = i + 1; k < cap; k++)
                assert_int_equal(items[k], 0);
            items[i] = (long)i + 1;
            if (interleaved && i % 100 == 0)
                memset(arena_alloc_raw(&arena, 24), 0xEF, 24);
        }
        for (size_t i = 0; i < 3000; i++)
            assert_int_equal(items[i], (long)i + 1);
        arena_free(&arena);
    }
}

static void test_reserve_raw_keeps_elements(void **state)
{
    (void)state;
    Arena arena = {0};
    double *items = NULL;
    size_t cap = 0;
    void *before = NULL;
    for (size_t i = 0; i < 500; i++) {
        items = arena_reserve_raw(&arena, items, i, &cap, sizeof *items);
        items[i] = (double)i / 3;
        if (i == 16)
            before = arena_alloc(&arena, 8); /* the array moves past it */
    }
    assert_non_null(before);
    assert_true(cap >= 500);
    for (size_t i = 0; i < 500; i++)
        assert_true(items[i] == (double)i / 3);
    arena_free(&arena);
}

static void allocate_almost_everything(void)
{
    Arena arena = {0};
    /* Rounded up to 16 without a check, this wraps to 0 and "succeeds". */
    arena_alloc(&arena, SIZE_MAX - 3);
}

static void allocate_huge_array(void)
{
    Arena arena = {0};
    arena_array(&arena, SIZE_MAX / 4, 8);
}

static void test_impossible_sizes_abort(void **state)
{
    (void)state;
    void (*bodies[])(void) = {allocate_almost_everything, allocate_huge_array};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        ChildResult r = run_in_child(bodies[i]);
        assert_true(WIFSIGNALED(r.status));
        assert_int_equal(WTERMSIG(r.status), SIGABRT);
        assert_non_null(strstr(r.stderr_text, "pdfgen: error: out of memory"));
    }
}

#if PDFGEN_ASAN

/* The byte after every arena object is one ASan watches, however small the
 * object and however many share the arena. */
static void test_asan_poisons_the_byte_past_each_object(void **state)
{
    (void)state;
    Arena arena = {0};
    const size_t sizes[] = {1, 5, 16, 33, 1000, 70000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *p = arena_alloc(&arena, sizes[i]);
        assert_false(__asan_address_is_poisoned(p + sizes[i] - 1));
        assert_true(__asan_address_is_poisoned(p + sizes[i]));
    }
    char *s = arena_strndup(&arena, "abc", 3);
    assert_true(__asan_address_is_poisoned(s + 4));
    char *raw = arena_alloc_raw(&arena, 7);
    assert_true(__asan_address_is_poisoned(raw + 7));
    arena_free(&arena);
}

/* A grown array ends where its capacity does, raw or zeroed. */
static void test_asan_poisons_past_a_grown_array(void **state)
{
    (void)state;
    Arena arena = {0};
    int *a = NULL, *b = NULL;
    size_t cap_a = 0, cap_b = 0;
    for (size_t i = 0; i < 40; i++) {
        a = arena_reserve(&arena, a, i, &cap_a, sizeof *a);
        b = arena_reserve_raw(&arena, b, i, &cap_b, sizeof *b);
        a[i] = b[i] = (int)i;
    }
    assert_false(__asan_address_is_poisoned((char *)(a + cap_a) - 1));
    assert_true(__asan_address_is_poisoned((char *)(a + cap_a)));
    assert_true(__asan_address_is_poisoned((char *)(b + cap_b)));
    arena_free(&arena);
}

static void write_one_past_the_end(void)
{
    Arena arena = {0};
    char *a = arena_alloc(&arena, 10);
    arena_alloc(&arena, 10); /* a neighbour the overflow would land in */
    volatile char *past = a + 10;
    *past = 'x';
    arena_free(&arena);
}

static void test_asan_stops_a_write_past_an_object(void **state)
{
    (void)state;
    ChildResult r = run_in_child(write_one_past_the_end);
    assert_true(child_failed(&r));
    assert_non_null(strstr(r.stderr_text, "AddressSanitizer: heap-buffer-overflow"));
}

#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zeroed_and_aligned),
        cmocka_unit_test(test_reserve_keeps_elements),
        cmocka_unit_test(test_reserve_zeroes_new_elements),
        cmocka_unit_test(test_reserve_raw_keeps_elements),
        cmocka_unit_test(test_impossible_sizes_abort),
#if PDFGEN_ASAN
        cmocka_unit_test(test_asan_poisons_the_byte_past_each_object),
        cmocka_unit_test(test_asan_poisons_past_a_grown_array),
        cmocka_unit_test(test_asan_stops_a_write_past_an_object),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
