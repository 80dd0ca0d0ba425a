/* test_review.c — unit tests for review.c (normalization, digests, status)
 * and stamp.c (rewriting only the digest lines).  The stamp tests work on
 * a copy of content/ in /tmp: a file whose digests were damaged, deleted
 * or never written is stamped back to the committed file byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "content.h"
#include "diag.h"
#include "review.h"
#include "sha256.h"
#include "stamp.h"

static void test_normalize(void **state)
{
    (void)state;
    char *n = review_normalize("  Sunitinib\n  blocks\t\tseveral   kinases.\n");
    assert_string_equal(n, "Sunitinib blocks several kinases.");
    free(n);
    n = review_normalize("Ange\xCC\x81lica"); /* e + combining acute: NFD */
    assert_string_equal(n, "Ang\xC3\xA9lica");
    free(n);
    n = review_normalize("");
    assert_string_equal(n, "");
    free(n);
}

static void digest1(const char *text, char hex[REVIEW_DIGEST_HEX + 1])
{
    review_digest(&text, 1, hex);
}

static void test_digest(void **state)
{
    (void)state;
    char a[REVIEW_DIGEST_HEX + 1], b[REVIEW_DIGEST_HEX + 1];
    /* the first 16 hex digits of SHA-256 of the normalized text */
    digest1("abc", a);
    assert_string_equal(a, "ba7816bf8f01cfea");
    digest1(" abc\n", b);
    assert_string_equal(a, b);
    /* reflowing changes nothing; a changed word does */
    digest1("It comes as a pill\n  that is taken once a day.", a);
    digest1("It comes as a pill that is taken\nonce a day.", b);
    assert_string_equal(a, b);
    digest1("It comes as a pill that is taken twice a day.", b);
    assert_string_not_equal(a, b);
    /* a list is digested whole, items joined by line breaks: moving an
     * item or splitting one is a change */
    const char *list[] = {"Nausea", "Diarrhea"};
    const char *swapped[] = {"Diarrhea", "Nausea"};
    const char *joined[] = {"Nausea Diarrhea"};
    review_digest(list, 2, a);
    review_digest(swapped, 2, b);
    assert_string_not_equal(a, b);
    review_digest(joined, 1, b);
    assert_string_not_equal(a, b);
    char full[SHA256_HEX + 1];
    sha256_hex("Nausea\nDiarrhea", strlen("Nausea\nDiarrhea"), full);
    assert_memory_equal(a, full, REVIEW_DIGEST_HEX);
}

/* ---- stamp on a copy of content/ -------------------------------------- */

static char dir[64];

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t cap = 1 << 16;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t len = fread(buf, 1, cap - 1, f);
    buf[len] = '\0';
    fclose(f);
    return buf;
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/pdfgen-review-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "cp -r content %s/content", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void replace_once(char *text, const char *find, const char *with)
{
    char *at = strstr(text, find);
    assert_non_null(at);
    size_t flen = strlen(find), wlen = strlen(with);
    memmove(at + wlen, at + flen, strlen(at + flen) + 1);
    memcpy(at, with, wlen);
}

/* Loads the copy, stamps fr/sunitinib and returns the file afterwards. */
static char *stamp_copy(const char *path, int *failures)
{
    char content_dir[96];
    snprintf(content_dir, sizeof content_dir, "%s/content", dir);
    fflush(stdout);
    FILE *saved = stdout;
    stdout = fopen("/dev/null", "w");
    Content *c = content_load(content_dir);
    assert_non_null(c);
    assert_int_equal(diag_error_count(), 0);
    *failures = stamp_translation(c, "fr", "sunitinib");
    content_free(c);
    fclose(stdout);
    stdout = saved;
    return slurp(path);
}

static void test_stamp_rewrites_only_digest_lines(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/content/fr/sunitinib.yaml", dir);
    char *original = slurp(path);
    /* a wrong digest, a missing line, a digest for a field English lacks,
     * and a comment at the end of a digest line that must survive */
    char *damaged = malloc(strlen(original) + 256);
    assert_non_null(damaged);
    strcpy(damaged, original);
    char *how = strstr(damaged, "  how_it_works: ");
    assert_non_null(how);
    memcpy(how + strlen("  how_it_works: "), "0000000000000000", 16);
    char *taken = strstr(damaged, "  how_it_is_taken: ");
    assert_non_null(taken);
    memmove(taken, strchr(taken, '\n') + 1, strlen(strchr(taken, '\n') + 1) + 1);
    replace_once(damaged, "  name: ", "  who_it_is_for: 1111111111111111\n  name: ");
    spit(path, damaged);
    int failures = 0;
    char *after = stamp_copy(path, &failures);
    assert_int_equal(failures, 0);
    /* the missing line comes back at the end of the block */
    char *want = malloc(strlen(original) + 64);
    assert_non_null(want);
    strcpy(want, original);
    char *line = strstr(want, "  how_it_is_taken: ");
    char saved_line[64];
    size_t n = (size_t)(strchr(line, '\n') + 1 - line);
    memcpy(saved_line, line, n);
    saved_line[n] = '\0';
    memmove(line, line + n, strlen(line + n) + 1);
    strcat(want, saved_line);
    assert_string_equal(after, want);
    free(after);

    /* without a source: block at all, stamp writes the committed one */
    strcpy(damaged, original);
    *strstr(damaged, "# The English each field") = '\0';
    spit(path, damaged);
    after = stamp_copy(path, &failures);
    assert_int_equal(failures, 0);
    assert_string_equal(after, original);
    free(after);
    /* and stamping again changes nothing */
    after = stamp_copy(path, &failures);
    assert_string_equal(after, original);
    free(after);
    free(want);
    free(damaged);
    free(original);
}

static void test_status(void **state)
{
    (void)state;
    char content_dir[96], path[128];
    snprintf(content_dir, sizeof content_dir, "%s/content", dir);
    Content *c = content_load(content_dir);
    assert_non_null(c);
    const Language *fr = content_language(c, "fr"), *en = content_language(c, "en");
    ReviewStatus st = review_sheet_status(fr, language_drug(fr, "everolimus"));
    assert_string_equal(review_status_name(&st), "draft");
    st = review_sheet_status(en, language_drug(en, "everolimus"));
    assert_string_equal(review_status_name(&st), "source");
    content_free(c);

    /* an English edit makes the translation stale */
    snprintf(path, sizeof path, "%s/content/en/everolimus.yaml", dir);
    char *text = slurp(path);
    replace_once(text, "how_it_works: >-\n", "how_it_works: >-\n  Changed.\n");
    spit(path, text);
    free(text);
    c = content_load(content_dir);
    fr = content_language(c, "fr");
    st = review_sheet_status(fr, language_drug(fr, "everolimus"));
    assert_true(st.stale);
    assert_string_equal(review_status_name(&st), "stale");
    st = review_sheet_status(fr, language_drug(fr, "belzutifan"));
    assert_false(st.stale);
    content_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_digest),
        cmocka_unit_test(test_stamp_rewrites_only_digest_lines),
        cmocka_unit_test(test_status),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
