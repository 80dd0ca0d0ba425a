/* Unit tests for collate.c: the language's own sort order and the letter
 * sections of an index, as ICU gives them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <unicode/ucol.h>
#include <unicode/uset.h>

#include "arena.h"
#include "collate.h"

/* "A: a1, a2 | B: b1" for the index of keys. */
static char *describe(Arena *arena, const char *locale, const char *const *keys, size_t n)
{
    Index ix;
    assert_int_equal(collate_index(arena, locale, keys, n, &ix), 0);
    char *out = arena_alloc(arena, 4096);
    size_t total = 0;
    for (size_t s = 0; s < ix.count; s++) {
        int w = snprintf(out + strlen(out), 4096 - strlen(out), "%s%s:", s ? " | " : "",
                         ix.sections[s].label);
        assert_true(w > 0);
        for (size_t i = 0; i < ix.sections[s].count; i++)
            snprintf(out + strlen(out), 4096 - strlen(out), "%s%s", i ? ", " : " ",
                     keys[ix.sections[s].items[i]]);
        total += ix.sections[s].count;
    }
    assert_int_equal(total, n); /* every key in exactly one section */
    return out;
}

#define KEYS(...) (const char *const[]){__VA_ARGS__}, sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)

static void spanish_order_with_enye_accents_ch_ll(void **state)
{
    (void)state;
    Arena arena = {0};
    /* Modern Spanish order (since 1994): ch and ll are no letters of their
     * own, ñ is, after n; accents only break ties. */
    const char *const keys[] = {"zorro", "ñandú", "nube", "llama", "luz", "lápiz", "chile",
                                "cuna", "cebra", "éxito", "enero", "oso", "Ñu", "año", "Ángel"};
    size_t n = sizeof keys / sizeof keys[0], order[16];
    assert_int_equal(collate_sort(&arena, "es-US", keys, n, order), 0);
    const char *expected[] = {"Ángel", "año", "cebra", "chile", "cuna", "enero", "éxito",
                              "lápiz", "llama", "luz", "nube", "ñandú", "Ñu", "oso", "zorro"};
    for (size_t i = 0; i < n; i++)
        assert_string_equal(keys[order[i]], expected[i]);
    assert_string_equal(describe(&arena, "es-US", keys, n),
                        "A: Ángel, año | C: cebra, chile, cuna | E: enero, éxito | "
                        "L: lápiz, llama, luz | N: nube | Ñ: ñandú, Ñu | O: oso | Z: zorro");
    arena_free(&arena);
}

static void french_accents_join_their_letter(void **state)
{
    (void)state;
    Arena arena = {0};
    assert_string_equal(describe(&arena, "fr-FR", KEYS("zèbre", "Été", "écran", "île", "œuf",
                                                       "abricot", "Ecole")),
                        "A: abricot | E: Ecole, écran, Été | I: île | O: œuf | Z: zèbre");
    arena_free(&arena);
}

static void russian_sections_and_latin_after(void **state)
{
    (void)state;
    Arena arena = {0};
    assert_string_equal(describe(&arena, "ru-RU", KEYS("яблоко", "ёлка", "ель", "mTOR", "щука",
                                                       "Анемия", "HIF-2α")),
                        "А: Анемия | Е: ёлка, ель | Щ: щука | Я: яблоко | H: HIF-2α | M: mTOR");
    arena_free(&arena);
}

static void japanese_kana_rows(void **state)
{
    (void)state;
    Arena arena = {0};
    assert_string_equal(describe(&arena, "ja-JP", KEYS("わに", "はな", "ぱん", "カメ", "あさ",
                                                       "さくら", "漢字", "mTOR")),
                        "M: mTOR | あ: あさ | か: カメ | さ: さくら | は: はな, ぱん | わ: わに | "
                        "\xE2\x80\xA6: 漢字");
    arena_free(&arena);
}

static void chinese_pinyin_sections(void **state)
{
    (void)state;
    Arena arena = {0};
    assert_string_equal(describe(&arena, "zh-Hans", KEYS("血管生成", "贫血", "靶向药物", "mTOR")),
                        "B: 靶向药物 | P: 贫血 | X: 血管生成 | M: mTOR");
    arena_free(&arena);
}

/* The boundaries read from the rules and the decompositions are those
 * of every contraction U+FDD0 + one unit in the tailoring, as ICU's
 * ucol_getTailoredSet gives them (the way they were read before). */
static void chinese_boundaries_as_the_tailored_set(void **state)
{
    (void)state;
    static const char *const locales[] = {"zh-Hans", "zh-Hant", "zh", "zh-TW", "en-US", "ja"};
    for (size_t l = 0; l < sizeof locales / sizeof *locales; l++) {
        UErrorCode status = U_ZERO_ERROR;
        UCollator *coll = ucol_open(locales[l], &status);
        assert_true(U_SUCCESS(status));
        USet *set = ucol_getTailoredSet(coll, &status);
        assert_true(U_SUCCESS(status));
        uint16_t expected[1024];
        size_t expected_count = 0;
        for (int32_t i = 0; i < uset_getItemCount(set); i++) {
            UChar32 start, end;
            UChar str[8];
            status = U_ZERO_ERROR;
            int32_t len = uset_getItem(set, i, &start, &end, str, 8, &status);
            if (U_SUCCESS(status) && len == 2 && str[0] == 0xFDD0) {
                assert_true(expected_count < 1024);
                expected[expected_count++] = str[1];
            }
        }
        uset_close(set);
        ucol_close(coll);
        const uint16_t *seconds = NULL;
        size_t count = 0;
        assert_int_equal(collate_index_boundaries(locales[l], &seconds, &count), 0);
        if (count != expected_count)
            fprintf(stderr, "%s: %zu boundaries, not %zu\n", locales[l], count, expected_count);
        assert_int_equal(count, expected_count);
        for (size_t i = 0; i < count; i++)
            assert_int_equal(seconds[i], expected[i]);
    }
}

/* Each key under the last label not after it (labels found by halving,
 * which needs them in primary order, one per weight): the first and last
 * labels, keys before every label, other scripts, strokes. */
static void sections_at_the_edges(void **state)
{
    (void)state;
    static const struct {
        const char *locale;
        const char *keys[8];
        const char *expected;
    } cases[] = {
        {"en-US", {"zzz", "Z", "a", "A", "1 dose", "-x", "Ω", "ñame"},
         "A: a, A | N: ñame | Z: Z, zzz | \xE2\x80\xA6: -x, 1 dose, Ω"},
        {"zh-Hant", {"血管新生", "貧血", "標靶藥物", "一", "mTOR", "乙"},
         "1劃: 一, 乙 | 6劃: 血管新生 | 11劃: 貧血 | 15劃: 標靶藥物 | M: mTOR"},
        {"zh-Hans", {"啊", "座", "阿", "ZZ", "Ā", "一"}, "A: 阿, 啊, Ā | Y: 一 | Z: 座, ZZ"},
        {"ko", {"표적", "암", "가", "힣", "HER2"}, "ㄱ: 가 | ㅇ: 암 | ㅍ: 표적 | ㅎ: 힣 | H: HER2"},
        {"ar", {"سرطان", "ألم", "يد", "ء", "mTOR"}, "ا: ء, ألم | س: سرطان | ي: يد | M: mTOR"},
        {"hi", {"कैंसर", "अ", "ह", "ॐ", "HER2"},
         "अ: अ | क: कैंसर | ह: ह | H: HER2 | \xE2\x80\xA6: ॐ"},
        {"vi", {"ung thư", "Ăn", "ăn", "ân", "đau", "Ư"},
         "Ă: ăn, Ăn | Â: ân | Đ: đau | U: ung thư | Ư: Ư"},
        {"ja", {"ん", "ア", "ゔ", "ー", "A", "Z"}, "A: A | Z: Z | あ: ア, ゔ | わ: ん | \xE2\x80\xA6: ー"},
    };
    bool ok = true;
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        Arena arena = {0};
        size_t n = 0;
        while (n < 8 && cases[c].keys[n])
            n++;
        const char *got = describe(&arena, cases[c].locale, cases[c].keys, n);
        if (strcmp(got, cases[c].expected) != 0) {
            fprintf(stderr, "%s: \"%s\"\n", cases[c].locale, got);
            ok = false;
        }
        arena_free(&arena);
    }
    assert_true(ok);
}

/* An index asked for again comes out the same, kept or not; other keys,
 * or the same under another locale, are sorted anew. */
static void index_asked_again(void **state)
{
    (void)state;
    Arena arena = {0};
    const char *first = describe(&arena, "es", KEYS("ñame", "nube", "llama", "casa"));
    assert_string_equal(describe(&arena, "es", KEYS("ñame", "nube", "llama", "casa")), first);
    assert_string_equal(describe(&arena, "es", KEYS("ñame", "nube", "llama", "cosa")),
                        "C: cosa | L: llama | N: nube | \xC3\x91: ñame");
    assert_string_equal(describe(&arena, "en-US", KEYS("ñame", "nube", "llama", "casa")),
                        "C: casa | L: llama | N: ñame, nube");
    assert_string_equal(describe(&arena, "es", KEYS("ñame", "nube", "llama")),
                        "L: llama | N: nube | \xC3\x91: ñame");
    assert_string_equal(describe(&arena, "es", KEYS("ñame", "nube", "llama", "casa")), first);
    arena_free(&arena);
}

static void empty_list(void **state)
{
    (void)state;
    Arena arena = {0};
    Index ix;
    assert_int_equal(collate_index(&arena, "en-US", NULL, 0, &ix), 0);
    assert_int_equal(ix.count, 0);
    arena_free(&arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spanish_order_with_enye_accents_ch_ll),
        cmocka_unit_test(french_accents_join_their_letter),
        cmocka_unit_test(russian_sections_and_latin_after),
        cmocka_unit_test(japanese_kana_rows),
        cmocka_unit_test(chinese_pinyin_sections),
        cmocka_unit_test(chinese_boundaries_as_the_tailored_set),
        cmocka_unit_test(sections_at_the_edges),
        cmocka_unit_test(index_asked_again),
        cmocka_unit_test(empty_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
