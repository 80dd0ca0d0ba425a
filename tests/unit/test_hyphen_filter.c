/* Unit tests for hyphen_filter: a dictionary cut down to the patterns some
 * words use gives every one of those words exactly the whole dictionary's
 * answer from libhyphen (hyphenation points and non-standard
 * hyphenations), for every word of every language's content with every
 * installed dictionary, for tricky words (upper case, apostrophes,
 * hyphens, digits, ligatures, non-ASCII letters), and for libhyphen's own
 * examples of compound and non-standard patterns. */
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hyphen.h>
#include <unicode/ucnv.h>

#include "alloc.h"
#include "file_read.h"
#include "hyphen_filter.h"
#include "libhyphen_bytes.h"

#define WORD_MAX 200

typedef struct Words {
    char **w;
    size_t count, cap;
} Words;

static void words_add(Words *words, const char *w, size_t n)
{
    if (words->count == words->cap) {
        words->cap = words->cap ? 2 * words->cap : 256;
        words->w = xreallocarray(words->w, words->cap, sizeof *words->w);
    }
    words->w[words->count++] = xstrndup(w, n);
}

static void words_free(Words *words)
{
    for (size_t i = 0; i < words->count; i++)
        free(words->w[i]);
    free(words->w);
    *words = (Words){0};
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *read_all(const char *path, size_t *len)
{
    char *bytes = file_read(path, len);
    assert_non_null(bytes);
    return bytes;
}

/* Runs of letters (any byte from U+0080 on counts as one), with the
 * hyphens and apostrophes inside them, so that libhyphen's parts are
 * tried too. */
static void add_tokens(Words *words, const char *text, size_t len)
{
    size_t begin = 0;
    for (size_t i = 0; i <= len; i++) {
        unsigned char c = i < len ? (unsigned char)text[i] : ' ';
        bool letter = c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
                      c == '\'';
        if (letter)
            continue;
        if (i > begin && i - begin <= WORD_MAX)
            words_add(words, text + begin, i - begin);
        begin = i + 1;
    }
}

/* Every word of content/ (every language, the references), each once. */
static Words content_words(void)
{
    Words words = {0};
    size_t len;
    char *text = read_all("content/references.yaml", &len);
    add_tokens(&words, text, len);
    free(text);
    DIR *top = opendir("content");
    assert_non_null(top);
    for (struct dirent *lang; (lang = readdir(top));) {
        if (lang->d_name[0] == '.')
            continue;
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "content/%s", lang->d_name);
        DIR *d = opendir(dir);
        if (!d)
            continue;
        for (struct dirent *e; (e = readdir(d));) {
            size_t n = strlen(e->d_name);
            if (n < 5 || strcmp(e->d_name + n - 5, ".yaml") != 0)
                continue;
            char path[PATH_MAX * 2];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            text = read_all(path, &len);
            add_tokens(&words, text, len);
            free(text);
        }
        closedir(d);
    }
    closedir(top);
    qsort(words.w, words.count, sizeof *words.w, compare_strings);
    size_t kept = 0;
    for (size_t i = 0; i < words.count; i++) {
        if (kept && strcmp(words.w[kept - 1], words.w[i]) == 0)
            free(words.w[i]);
        else
            words.w[kept++] = words.w[i];
    }
    words.count = kept;
    assert_true(words.count > 1000);
    return words;
}

typedef struct Answer {
    int failed;
    char hyphens[WORD_MAX * 4 + 5];
    char hyphword[WORD_MAX * 8 + 5];
    char **rep;
    int *pos, *cut;
} Answer;

static void answer(HyphenDict *dict, const char *word, int lhmin, int rhmin, Answer *a)
{
    int n = (int)strlen(word);
    memset(a, 0, sizeof *a);
    a->failed = hnj_hyphen_hyphenate3(dict, word, n, a->hyphens, a->hyphword, &a->rep, &a->pos,
                                      &a->cut, lhmin, rhmin, lhmin, rhmin);
}

static void answer_free(Answer *a, int n)
{
    if (a->rep)
        for (int i = 0; i < n; i++)
            free(a->rep[i]);
    free(a->rep);
    free(a->pos);
    free(a->cut);
}

/* libhyphen's answers for the word from both dictionaries are the same. */
static void assert_same_answer(HyphenDict *whole, HyphenDict *part, const char *word)
{
    static const int mins[][2] = {{1, 1}, {2, 3}};
    int n = (int)strlen(word);
    for (size_t m = 0; m < sizeof mins / sizeof *mins; m++) {
        Answer a, b;
        answer(whole, word, mins[m][0], mins[m][1], &a);
        answer(part, word, mins[m][0], mins[m][1], &b);
        if (a.failed != b.failed || strcmp(a.hyphens, b.hyphens) != 0 ||
            strcmp(a.hyphword, b.hyphword) != 0 || !a.rep != !b.rep)
            fail_msg("'%s': whole %d %s %s %s, filtered %d %s %s %s", word, a.failed, a.hyphens,
                     a.hyphword, a.rep ? "rep" : "", b.failed, b.hyphens, b.hyphword,
                     b.rep ? "rep" : "");
        for (int i = 0; a.rep && i < n; i++) {
            assert_int_equal(!a.rep[i], !b.rep[i]);
            if (a.rep[i]) {
                assert_string_equal(a.rep[i], b.rep[i]);
                assert_int_equal(a.pos[i], b.pos[i]);
                assert_int_equal(a.cut[i], b.cut[i]);
            }
        }
        answer_free(&a, n);
        answer_free(&b, n);
    }
}

/* Filters the dictionary for words[first, first + count) and checks each
 * of them against the whole dictionary. */
static void check_words(const char *dic, size_t len, HyphenDict *whole, char *const *words,
                        size_t count)
{
    HyphenWord *hw = xreallocarray(NULL, count ? count : 1, sizeof *hw);
    for (size_t i = 0; i < count; i++)
        hw[i] = (HyphenWord){words[i], strlen(words[i])};
    size_t out_len;
    char *out = hyphen_filter(dic, len, hw, count, &out_len);
    assert_non_null(out);
    HyphenDict *part = libhyphen_load(out, out_len);
    for (size_t i = 0; i < count; i++)
        assert_same_answer(whole, part, words[i]);
    hnj_hyphen_free(part);
    free(out);
    free(hw);
}

/* The words in the dictionary's charset (as pdfgen hands them over);
 * those it cannot spell are left out. */
static Words in_charset(const char *dic, size_t len, const Words *utf8)
{
    char cset[MAX_NAME] = "";
    for (size_t i = 0; i < len && i + 1 < MAX_NAME && dic[i] != '\n' && dic[i] != '\r'; i++)
        cset[i] = dic[i];
    Words out = {0};
    UErrorCode status = U_ZERO_ERROR;
    UConverter *conv = strcmp(cset, "UTF-8") == 0 ? NULL : ucnv_open(cset, &status);
    assert_false(U_FAILURE(status));
    for (size_t i = 0; i < utf8->count; i++) {
        if (!conv) {
            words_add(&out, utf8->w[i], strlen(utf8->w[i]));
            continue;
        }
        char buf[WORD_MAX * 4 + 1];
        status = U_ZERO_ERROR;
        int32_t n = ucnv_convert(cset, "UTF-8", buf, sizeof buf, utf8->w[i],
                                 (int32_t)strlen(utf8->w[i]), &status);
        if (U_SUCCESS(status) && n > 0 && n < (int32_t)sizeof buf)
            words_add(&out, buf, (size_t)n);
    }
    if (conv)
        ucnv_close(conv);
    return out;
}

static const char *const TRICKY[] = {
    "hyphenation", "Hyphenation", "HYPHENATION", "hyphen-ation", "co-operation", "don't",
    "o'clock", "rock’n’roll", "state–of–the–art", "l'homme", "aujourd'hui", "porte-monnaie",
    "désoxyribonucléique", "électroencéphalographie", "ﬂuorescence", "eﬀective", "abc123def",
    "123", "2x", "a", "ab", "pharmacokinetically", "neuroendocrine", "supercalifragilistic",
    "медицинский", "препарат", "опухоли", "Москва", "संक्रमण", "चिकित्सा", "información",
    "tratamiento", "coração", "pâncreas", "médicament", "œsophage", "mTOR", "HIF-2α",
    "antiinflammatoire", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "-", "'", "--", "a-", "-a", "'s", "’",
};

static void test_every_content_word_with_every_dictionary(void **state)
{
    (void)state;
    Words content = content_words();
    for (size_t i = 0; i < sizeof TRICKY / sizeof *TRICKY; i++)
        words_add(&content, TRICKY[i], strlen(TRICKY[i]));
    for (size_t d = 0; d < INSTALLED_DICTIONARIES; d++) {
        size_t len;
        char *dic = read_all(installed_dictionaries[d], &len);
        HyphenDict *whole = libhyphen_load(dic, len);
        Words words = in_charset(dic, len, &content);
        /* a few words at a time: the fewer, the fewer patterns kept */
        for (size_t i = 0; i < words.count; i += 97)
            check_words(dic, len, whole, words.w + i, words.count - i < 97 ? words.count - i : 97);
        /* and every tricky word alone */
        for (size_t i = words.count; i-- > 0 && i + sizeof TRICKY / sizeof *TRICKY >= words.count;)
            check_words(dic, len, whole, words.w + i, 1);
        /* and all of them at once */
        check_words(dic, len, whole, words.w, words.count);
        words_free(&words);
        hnj_hyphen_free(whole);
        free(dic);
    }
    words_free(&content);
}

static void check_example(const char *dic, const char *const *words, size_t count)
{
    size_t len = strlen(dic);
    HyphenDict *whole = libhyphen_load(dic, len);
    for (size_t i = 0; i < count; i++)
        check_words(dic, len, whole, (char *const *)words + i, 1);
    check_words(dic, len, whole, (char *const *)words, count);
    hnj_hyphen_free(whole);
}

#define CHECK_EXAMPLE(dic, ...)                                                                  \
    do {                                                                                         \
        static const char *const w[] = {__VA_ARGS__};                                            \
        check_example(dic, w, sizeof w / sizeof *w);                                             \
    } while (0)

static void test_libhyphen_examples(void **state)
{
    (void)state;
    /* compound levels (libhyphen's tests: compound, num, hyphen) */
    CHECK_EXAMPLE("ISO8859-1\nCOMPOUNDLEFTHYPHENMIN 2\nCOMPOUNDRIGHTHYPHENMIN 3\n"
                  "% 1st (compound) level\nmotor1cycle\nNEXTLEVEL\n.mo1tor.\n.cy1cle.\n"
                  ".motor2cycle.\n",
                  "motorcycle", "motorcycles", "cycle", "motor", "xmotorcyclex");
    CHECK_EXAMPLE("UTF-8\nLEFTHYPHENMIN 4\nRIGHTHYPHENMIN 4\nfoo1\nNEXTLEVEL\nbar1\n", "foobar",
                  "foobarfoobar", "barfoobarfoo", "123foobarfoobar");
    CHECK_EXAMPLE("UTF-8\nNOHYPHEN -,',’\n1-1\n1'1\n1’1\nNEXTLEVEL\n.fo1o\nba1r\n",
                  "foobar'foobar-foobar’foobar", "foo-bar", "bar'foo");
    /* non-standard hyphenation (alt2, alt3, alt6, lig) */
    CHECK_EXAMPLE("ISO8859-1\nf1f\nif3fa/ff=f,2,2\nif1f\n", "schiffen", "schiffahrt");
    CHECK_EXAMPLE("ISO8859-1\nf1f\nif3fa/ff=f,2,2\ntenerif5fa\nif1f\ntenerif1f\n", "schiffen",
                  "schiffahrt", "teneriffa");
    CHECK_EXAMPLE("UTF-8\nxé1ém/á=a,2,2\n", "exéémple", "exéémplxééme");
    CHECK_EXAMPLE("UTF-8\n% ligature\nﬃ1/f=ﬁ,1,1\n", "maﬃa", "ﬃ");
    /* a dictionary not closed under substrings: at "abc" libhyphen is in
     * the state "abc" (a prefix of abcx) and never applies b1c there */
    CHECK_EXAMPLE("UTF-8\na1bcx\nb1c\n", "abcy", "xabcyz", "abcx", "bcy", "ab");
    CHECK_EXAMPLE("UTF-8\n1ab\nabcd1e\nbc1\nc1\n", "abcf", "zabcdz", "bcf", "abc");
    /* the same letters twice: the last line wins */
    CHECK_EXAMPLE("UTF-8\na1b\na2b\nb1c\nb4c\n", "abc", "cab", "abcabc");
    /* keywords, comments, white space after a pattern, an empty line */
    CHECK_EXAMPLE("UTF-8\nLEFTHYPHENMIN 1\nRIGHTHYPHENMIN 1\n%a1b\n\nx1y  % note\nNOHYPHEN zz\n"
                  "a1a\n",
                  "aaaa", "xyxy", "zzaaazz", "ab");
}

static void test_refuses_what_libhyphen_reads_otherwise(void **state)
{
    (void)state;
    HyphenWord w = {"abc", 3};
    size_t out_len;
    /* a compound dictionary with non-standard patterns (compound3):
     * their replacement text goes into the parts it hyphenates */
    const char *compound3 = "ISO8859-1\nwat1time/tt=t,3,2\n.kilo1watt.\nNEXTLEVEL\n.ki1lo.\n";
    assert_null(hyphen_filter(compound3, strlen(compound3), &w, 1, &out_len));
    /* a line longer than libhyphen reads at once */
    char longline[300] = "UTF-8\n";
    memset(longline + 6, 'a', 150);
    strcpy(longline + 156, "1b\n");
    assert_null(hyphen_filter(longline, strlen(longline), &w, 1, &out_len));
    const char *long_charset = "UTF-8 and a long comment\na1b\n";
    assert_null(hyphen_filter(long_charset, strlen(long_charset), &w, 1, &out_len));
    assert_null(hyphen_filter("", 0, &w, 1, &out_len));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_content_word_with_every_dictionary),
        cmocka_unit_test(test_libhyphen_examples),
        cmocka_unit_test(test_refuses_what_libhyphen_reads_otherwise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
