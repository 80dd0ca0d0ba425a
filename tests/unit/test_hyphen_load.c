/* Unit tests for hyphen_load: every installed dictionary, libhyphen's own
 * examples and files with its odd corners (non-standard patterns with and
 * without their numbers, CRLF, the same letters twice, keywords twice, a
 * second NEXTLEVEL, no final newline) parse to the automaton libhyphen
 * makes of them: state by state (matched by their strings, walking both
 * automata together), the same match, replacement, transitions in the
 * same order, fallback and keywords, on every level.  The files it leaves
 * to libhyphen are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hyphen.h>

#include "alloc.h"
#include "file_read.h"
#include "hyphen_load.h"
#include "libhyphen_bytes.h"

static void assert_same_string(const char *a, const char *b)
{
    assert_int_equal(!a, !b);
    if (a)
        assert_string_equal(a, b);
}

static void assert_same_level(const HyphenDict *a, const HyphenDict *b)
{
    assert_int_equal(!a, !b);
    if (!a)
        return;
    assert_int_equal(a->lhmin, b->lhmin);
    assert_int_equal(a->rhmin, b->rhmin);
    assert_int_equal(a->clhmin, b->clhmin);
    assert_int_equal(a->crhmin, b->crhmin);
    assert_string_equal(a->cset, b->cset);
    assert_int_equal(a->utf8, b->utf8);
    assert_int_equal(a->nohyphenl, b->nohyphenl);
    assert_int_equal(!a->nohyphen, !b->nohyphen);
    for (size_t i = 0, at = 0; a->nohyphen && i <= (size_t)a->nohyphenl; i++) {
        assert_string_equal(a->nohyphen + at, b->nohyphen + at);
        at += strlen(a->nohyphen + at) + 1;
    }
    assert_int_equal(a->num_states, b->num_states);
    size_t n = (size_t)a->num_states;
    /* b's state for each of a's, found walking both from the start */
    int *to_b = xreallocarray(NULL, n, sizeof *to_b);
    int *queue = xreallocarray(NULL, n, sizeof *queue);
    for (size_t i = 0; i < n; i++)
        to_b[i] = -1;
    size_t head = 0, tail = 0;
    to_b[0] = 0;
    queue[tail++] = 0;
    while (head < tail) {
        int s = queue[head++];
        const HyphenState *x = &a->states[s], *y = &b->states[to_b[s]];
        assert_same_string(x->match, y->match);
        assert_same_string(x->repl, y->repl);
        if (x->match) {
            assert_int_equal(x->replindex, y->replindex);
            assert_int_equal(x->replcut, y->replcut);
        }
        /* fallbacks are shorter: mapped already (the start's is -1) */
        assert_int_equal(x->fallback_state < 0 ? -1 : to_b[x->fallback_state],
                         y->fallback_state);
        assert_int_equal(x->num_trans, y->num_trans);
        for (int t = 0; t < x->num_trans; t++) {
            assert_int_equal(x->trans[t].ch, y->trans[t].ch);
            int next = x->trans[t].new_state;
            assert_int_equal(to_b[next], -1);
            to_b[next] = y->trans[t].new_state;
            queue[tail++] = next;
        }
    }
    assert_int_equal(tail, n);
    free(to_b);
    free(queue);
    assert_same_level(a->nextlevel, b->nextlevel);
}

static void check(const char *bytes, size_t len)
{
    HyphenDict *theirs = libhyphen_load(bytes, len);
    HyphenDict *ours = hyphen_load(bytes, len);
    assert_non_null(ours);
    assert_same_level(theirs, ours);
    hnj_hyphen_free(theirs);
    hyphen_load_free(ours);
}

#define CHECK(s) check(s, sizeof s - 1)

static void test_installed_dictionaries(void **state)
{
    (void)state;
    for (size_t d = 0; d < INSTALLED_DICTIONARIES; d++) {
        size_t len;
        char *dic = file_read(installed_dictionaries[d], &len);
        assert_non_null(dic);
        check(dic, len);
        free(dic);
    }
}

static void test_odd_corners(void **state)
{
    (void)state;
    /* libhyphen's examples: compound levels, non-standard hyphenation */
    CHECK("ISO8859-1\nCOMPOUNDLEFTHYPHENMIN 2\nCOMPOUNDRIGHTHYPHENMIN 3\n"
          "% 1st (compound) level\nmotor1cycle\nNEXTLEVEL\n.mo1tor.\n.cy1cle.\n.motor2cycle.\n");
    CHECK("UTF-8\nLEFTHYPHENMIN 4\nRIGHTHYPHENMIN 4\nfoo1\nNEXTLEVEL\nbar1\n");
    CHECK("UTF-8\nNOHYPHEN -,',’\n1-1\n1'1\n1’1\nNEXTLEVEL\n.fo1o\nba1r\n");
    CHECK("ISO8859-1\nf1f\nif3fa/ff=f,2,2\ntenerif5fa\nif1f\ntenerif1f\n");
    CHECK("UTF-8\nxé1ém/á=a,2,2\n.xé1ém/á=a,2,2\n");
    CHECK("UTF-8\n% ligature\nﬃ1/f=ﬁ,1,1\n");
    CHECK("ISO8859-1\nwat1time/tt=t,3,2\n.kilo1watt.\nNEXTLEVEL\n.ki1lo.\n");
    /* a replacement without numbers (CRLF, LF, none), with one number */
    CHECK("UTF-8\r\nab1c/b=c\r\nxy1z/y=\nq1r/q=r,2\nk1l/k=l");
    CHECK("ISO8859-1\nab1c/b=c\r\n.ab1c/b=c,1,2\n");
    /* the same letters twice, keywords twice, a prefix after its pattern */
    CHECK("UTF-8\na1b\na2b\nb1c\nb4c\nabcd1e\nabc3\nLEFTHYPHENMIN 1\nLEFTHYPHENMIN 3\n"
          "NOHYPHEN a,b\nNOHYPHEN c\n");
    /* comments, empty lines, digits alone, white space after a pattern */
    CHECK("UTF-8\n%a1b\n\n5\n\r\nx1y  % note\n\tz1z\n8a9\n");
    /* patterns that start as keywords do */
    CHECK("ISO8859-1\nCa1b\nLx1y\nN1o\nRIGHT1\nLEFTHYPHENMI1N\n");
    /* a second NEXTLEVEL ends the file for libhyphen */
    CHECK("UTF-8\na1b\nNEXTLEVEL\nc1d\nNEXTLEVEL\ne1f\n");
    CHECK("UTF-8\nNEXTLEVEL\n");
    /* no newline at the end; no patterns; an empty file */
    CHECK("ISO8859-1\na1b");
    CHECK("UTF-8\n");
    CHECK("UTF-8");
    check("", 0);
}

static void test_refuses_what_libhyphen_reads_otherwise(void **state)
{
    (void)state;
    char longline[300] = "UTF-8\n";
    memset(longline + 6, 'a', 150);
    strcpy(longline + 156, "1b\n");
    assert_null(hyphen_load(longline, strlen(longline)));
    const char *long_charset = "UTF-8 and a long comment\na1b\n";
    assert_null(hyphen_load(long_charset, strlen(long_charset)));
    assert_null(hyphen_load("UTF-8\na\0b\n", 10));
    assert_null(hyphen_load("UTF-8\nNOHYPHEN", 14));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_installed_dictionaries),
        cmocka_unit_test(test_odd_corners),
        cmocka_unit_test(test_refuses_what_libhyphen_reads_otherwise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
