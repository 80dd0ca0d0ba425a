/* test_diag.c — unit tests for error reporting (diag.c): escaping of
 * control characters, one line per distinct error, the per-kind and total
 * limits and their summaries.  Each case runs in a child process so its
 * stderr can be compared whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "child.h"
#include "diag.h"

static void escapes(void)
{
    SourcePos pos = {"dir/a\x1b[31mb\n.yaml", 3, 4};
    diag_error(&pos, "unknown key '%s'", "k\x07" "ey\xc2\x85" "x\xff");
    diag_flush();
}

static void test_control_characters_are_escaped(void **state)
{
    (void)state;
    ChildResult r = run_in_child(escapes);
    assert_false(child_failed(&r));
    assert_string_equal(r.stderr_text,
                        "dir/a\\e[31mb\\n.yaml:3:4: error: unknown key 'k\\x07ey\\u0085x\\xFF'\n");
}

static void repeats(void)
{
    SourcePos a = {"strings.yaml", 2, 5}, b = {"strings.yaml", 3, 5};
    for (int sheet = 0; sheet < 42; sheet++) {
        diag_error(&a, "no installed font has U+%04X", 0x378u);
        diag_error(&b, "no installed font has U+%04X", 0x378u);
    }
    /* every report counts, so a stage can see it failed */
    fprintf(stderr, "%u %u\n", diag_error_count(), diag_distinct_count());
}

static void test_same_error_printed_once(void **state)
{
    (void)state;
    ChildResult r = run_in_child(repeats);
    assert_string_equal(r.stderr_text,
                        "strings.yaml:2:5: error: no installed font has U+0378\n"
                        "strings.yaml:3:5: error: no installed font has U+0378\n"
                        "84 2\n");
}

static void many_of_a_kind(void)
{
    static const char file[] = "content/x.yaml";
    for (unsigned i = 0; i < 100000; i++) {
        SourcePos pos = {file, i + 1, 1};
        diag_error(&pos, "unknown key '%s%u' (expected one of: id)", "k", i);
    }
    diag_flush();
}

static void test_kind_limit_and_summary(void **state)
{
    (void)state;
    ChildResult r = run_in_child(many_of_a_kind);
    assert_false(child_failed(&r));
    assert_non_null(strstr(r.stderr_text, "content/x.yaml:10:1: error: unknown key 'k9'"));
    assert_null(strstr(r.stderr_text, "content/x.yaml:11:1:"));
    assert_non_null(strstr(r.stderr_text, "\npdfgen: error: ... and 99,990 more 'unknown key' "
                                          "errors in content/x.yaml\n"));
}

/* 1,500 errors of one kind in 1,500 files: the first 1,000 are printed.
 * That is more than the pipe to the parent holds, so the child writes them
 * to a file and passes on only the line count and the last line. */
static void many_files(void)
{
    static char names[1500][16];
    char path[] = "/tmp/pdfgen-test-diag-XXXXXX";
    int fd = mkstemp(path);
    int pipe_fd = dup(STDERR_FILENO);
    if (fd < 0 || pipe_fd < 0)
        abort();
    fflush(stderr);
    dup2(fd, STDERR_FILENO);
    for (unsigned i = 0; i < 1500; i++) {
        snprintf(names[i], sizeof names[i], "f%u.yaml", i);
        SourcePos pos = {names[i], 1, 1};
        diag_error(&pos, "file is empty");
    }
    diag_flush();
    fflush(stderr);
    dup2(pipe_fd, STDERR_FILENO);
    FILE *f = fopen(path, "r");
    char line[256], last[256] = "";
    unsigned lines = 0;
    while (f && fgets(line, sizeof line, f)) {
        lines++;
        memcpy(last, line, sizeof last);
    }
    if (f)
        fclose(f);
    unlink(path);
    fprintf(stderr, "%u lines; last: %s", lines, last);
}

static void test_total_limit(void **state)
{
    (void)state;
    ChildResult r = run_in_child(many_files);
    assert_false(child_failed(&r));
    /* 1,000 errors, 20 summaries of one each, one line for the other 480 */
    assert_string_equal(r.stderr_text,
                        "1021 lines; last: pdfgen: error: ... and 480 more errors\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_control_characters_are_escaped),
        cmocka_unit_test(test_same_error_printed_once),
        cmocka_unit_test(test_kind_limit_and_summary),
        cmocka_unit_test(test_total_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
