/* Unit tests for manifest.c: an output's line read back gives what was
 * written (path, key, digest, bytes, pages), text with quotes and control
 * characters stays valid JSON, lines are written sorted by path, and a
 * manifest that would not change is not rewritten. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "manifest.h"

static const char *const HEX_A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char *const HEX_B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

static char *line_for(const char *path, const char *title)
{
    const char *files[] = {"en/x.yaml", "en/strings.yaml"};
    const char *digests[] = {HEX_A, HEX_B};
    char *build = manifest_inputs_json("pdfgen 0.1.0", HEX_A, HEX_B, "letter", "regular", 0, -1,
                                       files, digests, 2);
    ManifestOutput o = {path, "en", "x", "sheet", title, 3, 12345, HEX_B, "reviewed", build,
                        HEX_A};
    char *line = manifest_output_line(&o);
    free(build);
    return line;
}

static void test_line_read_back(void **state)
{
    (void)state;
    Manifest m = {0};
    char *line = line_for("en/x.pdf", "Sunitinib: \"quoted\"\tand\x01 more");
    assert_non_null(strstr(line, "\\\"quoted\\\"\\u0009and\\u0001 more"));
    assert_true(manifest_add_line(&m, line));
    const ManifestEntry *e = manifest_find(&m, "en/x.pdf");
    assert_non_null(e);
    assert_string_equal(e->key, HEX_A);
    assert_string_equal(e->sha256, HEX_B);
    assert_int_equal(e->bytes, 12345);
    assert_int_equal(e->pages, 3);
    assert_null(manifest_find(&m, "en/y.pdf"));
    /* not an output's line: passed over */
    assert_false(manifest_add_line(&m, strdup("{\"manifest\": 1}")));
    assert_false(manifest_add_line(&m, strdup("{\"path\": \"en/z.pdf\", \"key\": \"")));
    assert_int_equal(m.count, 1);
    manifest_free(&m);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_write_sorted_and_only_when_changed(void **state)
{
    (void)state;
    char dir[] = "/tmp/pdfgen-manifest-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    Manifest m = {0};
    assert_true(manifest_add_line(&m, line_for("fr/x.pdf", "b")));
    assert_true(manifest_add_line(&m, line_for("en/x.pdf", "a")));
    assert_int_equal(manifest_write(&m, path, 0644), 0);
    const char *text = slurp(path);
    const char *en = strstr(text, "\"en/x.pdf\""), *fr = strstr(text, "\"fr/x.pdf\"");
    assert_true(en && fr && en < fr);
    /* read back: the same two entries */
    Manifest again = {0};
    assert_int_equal(manifest_read(path, &again), 0);
    assert_int_equal(again.count, 2);
    /* an unchanged manifest keeps its inode and mtime */
    struct stat before, after;
    assert_int_equal(stat(path, &before), 0);
    nanosleep(&(struct timespec){0, 20000000}, NULL);
    assert_int_equal(manifest_write(&again, path, 0644), 0);
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(before.st_ino, after.st_ino);
    assert_true(before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
                before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);
    manifest_free(&again);
    manifest_free(&m);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_read_back),
        cmocka_unit_test(test_write_sorted_and_only_when_changed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
