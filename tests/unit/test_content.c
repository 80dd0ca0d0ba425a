/* test_content.c — unit tests for the content loader (content.c).
 *
 * Each test writes a small content tree into a fresh directory under /tmp,
 * usually the valid tree below with one edit, loads it with stderr captured,
 * and checks the exact error lines and diag_error_count().  In expected
 * output "$D" stands for the temporary content directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "content.h"
#include "diag.h"

static char dir[64];
static char *captured; /* stderr of the last load() */

/* ---- fixture helpers -------------------------------------------------- */

static void path_of(char *out, size_t size, const char *rel)
{
    int n = snprintf(out, size, "%s/%s", dir, rel);
    assert_true(n > 0 && (size_t)n < size);
}

static char *slurp(FILE *f)
{
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
        len += fread(buf + len, 1, cap - len - 1, f);
        if (len < cap - 1)
            break;
        cap *= 2;
        buf = realloc(buf, cap);
        assert_non_null(buf);
    }
    buf[len] = '\0';
    return buf;
}

/* Write rel (relative to the content directory), creating its folders. */
static void write_file(const char *rel, const char *text)
{
    char path[512];
    path_of(path, sizeof path, rel);
    for (char *p = path + strlen(dir) + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    }
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static char *read_file(const char *rel)
{
    char path[512];
    path_of(path, sizeof path, rel);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *text = slurp(f);
    fclose(f);
    return text;
}

/* Replace the first `old` in rel with `new`; the test fails if there is none. */
static void edit_file(const char *rel, const char *old, const char *new)
{
    char *text = read_file(rel);
    char *at = strstr(text, old);
    assert_non_null(at);
    size_t head = (size_t)(at - text), tail = strlen(at + strlen(old));
    char *out = malloc(head + strlen(new) + tail + 1);
    assert_non_null(out);
    memcpy(out, text, head);
    memcpy(out + head, new, strlen(new));
    memcpy(out + head + strlen(new), at + strlen(old), tail + 1);
    write_file(rel, out);
    free(out);
    free(text);
}

static void remove_file(const char *rel)
{
    char path[512];
    path_of(path, sizeof path, rel);
    assert_int_equal(unlink(path), 0);
}

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char child[1024];
            snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            remove_tree(child);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static const char references_yaml[] =
    "references:\n"
    "  - id: nci\n"
    "    text: National Cancer Institute. Sunitinib malate.\n"
    "  - id: fda\n"
    "    text: \"FDA label {not a template}.\"\n";

/* Line numbers in the tests refer to this text. */
static const char strings_format[] =
    "language: %s\n"                                              /*  1 */
    "locale: %s\n"                                                /*  2 */
    "language_name: %s\n"                                         /*  3 */
    "series: Cancer drug fact sheet\n"                            /*  4 */
    "sheet_title: Targeted Drugs for Pancreatic NETs\n"           /*  5 */
    "author: Example Cancer Center\n"                             /*  6 */
    "subject: \"Fact sheet about {drug}\"\n"                      /*  7 */
    "drug_class_label: \"Type: {class}\"\n"                     /*  8 */
    "labels:\n"                                                   /*  9 */
    "  targeted_drugs: What are targeted drugs?\n"                /* 10 */
    "  how_it_works: How {drug} works\n"                          /* 11 */
    "  how_it_is_taken: How it is taken\n"                        /* 12 */
    "  who_it_is_for: Who it is for\n"                            /* 13 */
    "  common_side_effects: Common side effects\n"                /* 14 */
    "  serious_side_effects: Serious side effects\n"              /* 15 */
    "  references: References\n"                                  /* 16 */
    "helpline:\n"                                                 /* 17 */
    "  heading: Questions?\n"                                     /* 18 */
    "  text: Call our helpline.\n"                                /* 19 */
    "  phone: 1-800-555-0100\n"                                   /* 20 */
    "  reach: Phone, chat or video\n"                             /* 21 */
    "disclaimer: This sheet does not replace your care team.\n"   /* 22 */
    "last_revised: \"Last revised: {date}\"\n"                    /* 23 */
    "page_of: \"Page {page} of {pages}\"\n";                      /* 24 */

static const char drug_format[] =
    "id: %s\n"                                                    /*  1 */
    "name: Sunitinib\n"                                           /*  2 */
    "drug_class: Kinase inhibitor\n"                              /*  3 */
    "targeted_drugs: Targeted drugs block signals {sic}.\n"       /*  4 */
    "how_it_works: |\n"                                           /*  5 */
    "  It blocks proteins called kinases.\n"                      /*  6 */
    "how_it_is_taken: A capsule by mouth, once a day.\n"          /*  7 */
    "common_side_effects:\n"                                      /*  8 */
    "  - Tiredness\n"                                             /*  9 */
    "  - Diarrhea\n"                                              /* 10 */
    "serious_side_effects: [%s]\n"                                /* 11 */
    "last_revised: 2024-02-29\n"                                  /* 12 */
    "references: [nci, fda]\n";                                   /* 13 */

static void write_strings(const char *lang, const char *locale,
                          const char *name)
{
    char rel[64], text[2048];
    snprintf(rel, sizeof rel, "%s/strings.yaml", lang);
    snprintf(text, sizeof text, strings_format, lang, locale, name);
    write_file(rel, text);
}

static void write_drug(const char *lang, const char *id)
{
    char rel[64], text[2048];
    snprintf(rel, sizeof rel, "%s/%s.yaml", lang, id);
    /* Non-ASCII before the second item checks that columns count
     * characters, not bytes. */
    snprintf(text, sizeof text, drug_format, id,
             strcmp(lang, "es") == 0 ? "Daño al hígado, Sangrado"
                                     : "Liver damage, Bleeding");
    write_file(rel, text);
}

/* Two languages with two drugs each, all valid. */
static void write_valid_tree(void)
{
    write_file("references.yaml", references_yaml);
    write_strings("en", "en-US", "English");
    write_strings("es", "es-US", "Español");
    write_drug("en", "sunitinib");
    write_drug("en", "belzutifan");
    write_drug("es", "sunitinib");
    write_drug("es", "belzutifan");
}

/* Load the tree with stderr redirected into `captured`. */
static Content *load_from(const char *path)
{
    fflush(stderr);
    int saved = dup(2);
    FILE *tmp = tmpfile();
    assert_true(saved >= 0);
    assert_non_null(tmp);
    assert_true(dup2(fileno(tmp), 2) >= 0);
    Content *content = content_load(path);
    fflush(stderr);
    assert_true(dup2(saved, 2) >= 0);
    close(saved);
    rewind(tmp);
    free(captured);
    captured = slurp(tmp);
    fclose(tmp);
    return content;
}

static Content *load(void)
{
    return load_from(dir);
}

/* Compare the captured stderr with `expected`, "$D" standing for dir. */
static void expect_stderr(const char *expected)
{
    size_t n = 1;
    for (const char *p = expected; (p = strstr(p, "$D")); p += 2)
        n++;
    char *want = malloc(strlen(expected) + n * strlen(dir) + 1), *w = want;
    assert_non_null(want);
    for (const char *p = expected; *p;) {
        if (p[0] == '$' && p[1] == 'D') {
            w = stpcpy(w, dir);
            p += 2;
        } else {
            *w++ = *p++;
        }
    }
    *w = '\0';
    assert_string_equal(captured, want);
    free(want);
}

/* Load, expect exactly these error lines, free. */
static void expect_errors(unsigned count, const char *expected)
{
    Content *content = load();
    assert_non_null(content);
    expect_stderr(expected);
    assert_int_equal(diag_error_count(), count);
    content_free(content);
}

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/pdfgen-content-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    diag_reset();
    captured = NULL;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    remove_tree(dir);
    free(captured);
    captured = NULL;
    return 0;
}

static void assert_pos(SourcePos pos, const char *rel, unsigned line,
                       unsigned col)
{
    char path[512];
    path_of(path, sizeof path, rel);
    assert_non_null(pos.file);
    assert_string_equal(pos.file, path);
    assert_int_equal(pos.line, line);
    assert_int_equal(pos.col, col);
}

/* ---- tests ------------------------------------------------------------ */

static void test_valid_tree(void **state)
{
    (void)state;
    write_valid_tree();
    /* Things the loader must ignore. */
    write_file("README.md", "not content\n");
    write_file(".git/HEAD", "ref: x\n");
    write_file("en/.sunitinib.yaml.swp", "junk");
    write_file("en/notes.txt", "junk");

    Content *c = load();
    assert_non_null(c);
    expect_stderr("");
    assert_int_equal(diag_error_count(), 0);

    assert_int_equal(c->reference_count, 2);
    assert_string_equal(c->references[1].id.utf8, "fda");
    assert_string_equal(c->references[1].text.utf8,
                        "FDA label {not a template}.");
    assert_pos(c->references[1].text.pos, "references.yaml", 5, 11);
    assert_ptr_equal(content_reference(c, "nci"), &c->references[0]);
    assert_null(content_reference(c, "nih"));

    assert_int_equal(c->language_count, 2);
    assert_string_equal(c->languages[0].code, "en");
    assert_string_equal(c->languages[1].code, "es");
    const Language *es = content_language(c, "es");
    assert_ptr_equal(es, &c->languages[1]);
    assert_null(content_language(c, "fr"));

    const Strings *s = &es->strings;
    assert_string_equal(s->language.utf8, "es");
    assert_string_equal(s->locale.utf8, "es-US");
    assert_string_equal(s->language_name.utf8, "Español");
    assert_null(s->draft_notice.utf8);
    assert_string_equal(s->subject.utf8, "Fact sheet about {drug}");
    assert_pos(s->subject.pos, "es/strings.yaml", 7, 10);
    assert_string_equal(s->label_how_it_works.utf8, "How {drug} works");
    assert_pos(s->label_how_it_works.pos, "es/strings.yaml", 11, 17);
    assert_string_equal(s->label_references.utf8, "References");
    assert_string_equal(s->helpline_text.utf8, "Call our helpline.");
    assert_string_equal(s->helpline_phone.utf8, "1-800-555-0100");
    assert_string_equal(s->helpline_reach.utf8, "Phone, chat or video");
    assert_string_equal(s->page_of.utf8, "Page {page} of {pages}");

    assert_int_equal(es->drug_count, 2);
    assert_string_equal(es->drugs[0].id.utf8, "belzutifan");
    const Drug *d = language_drug(es, "sunitinib");
    assert_ptr_equal(d, &es->drugs[1]);
    assert_null(language_drug(es, "imatinib"));
    assert_string_equal(d->name.utf8, "Sunitinib");
    assert_pos(d->name.pos, "es/sunitinib.yaml", 2, 7);
    assert_string_equal(d->targeted_drugs.utf8,
                        "Targeted drugs block signals {sic}.");
    assert_string_equal(d->how_it_works.utf8,
                        "It blocks proteins called kinases.\n");
    assert_pos(d->how_it_works.pos, "es/sunitinib.yaml", 5, 15);
    assert_null(d->who_it_is_for.utf8);
    assert_int_equal(d->common_side_effects.count, 2);
    assert_pos(d->common_side_effects.pos, "es/sunitinib.yaml", 9, 3);
    assert_string_equal(d->common_side_effects.items[1].utf8, "Diarrhea");
    assert_pos(d->common_side_effects.items[1].pos, "es/sunitinib.yaml", 10, 5);
    assert_int_equal(d->serious_side_effects.count, 2);
    assert_string_equal(d->serious_side_effects.items[0].utf8,
                        "Daño al hígado");
    assert_pos(d->serious_side_effects.items[1].pos, "es/sunitinib.yaml", 11,
               40);
    assert_int_equal(d->last_revised.year, 2024);
    assert_int_equal(d->last_revised.month, 2);
    assert_int_equal(d->last_revised.day, 29);
    assert_pos(d->last_revised.pos, "es/sunitinib.yaml", 12, 15);
    assert_int_equal(d->references.count, 2);
    assert_string_equal(d->references.items[1].utf8, "fda");
    assert_pos(d->references.items[1].pos, "es/sunitinib.yaml", 13, 19);

    /* Every SourcePos points into Content.files. */
    bool found = false;
    for (size_t i = 0; i < c->file_count; i++)
        found |= c->files[i] == d->name.pos.file;
    assert_true(found);
    content_free(c);
}

static void test_optional_keys_and_scalar_styles(void **state)
{
    (void)state;
    write_valid_tree();
    edit_file("en/strings.yaml", "series:", "draft_notice: DRAFT\nseries:");
    edit_file("es/strings.yaml", "series:", "draft_notice:\nseries:");
    edit_file("en/sunitinib.yaml", "common_side_effects:",
              "who_it_is_for: >\n  Adults with\n  pNET.\n"
              "common_side_effects:");
    edit_file("en/sunitinib.yaml", "name: Sunitinib", "name: 'It''s #1'");
    edit_file("en/sunitinib.yaml", "drug_class: Kinase inhibitor",
              "drug_class: 42");

    Content *c = load();
    expect_stderr("");
    const Drug *d = language_drug(content_language(c, "en"), "sunitinib");
    assert_string_equal(c->languages[0].strings.draft_notice.utf8, "DRAFT");
    assert_null(c->languages[1].strings.draft_notice.utf8);
    assert_string_equal(d->who_it_is_for.utf8, "Adults with pNET.\n");
    assert_string_equal(d->name.utf8, "It's #1");
    assert_string_equal(d->drug_class.utf8, "42");
    content_free(c);
}

static void test_crlf_line_ends(void **state)
{
    (void)state;
    write_valid_tree();
    write_file("en/sunitinib.yaml",
               "id: sunitinib\r\nname: Sunitinib\r\ndrug_class: x\r\n"
               "targeted_drugs: x\r\nhow_it_works: x\r\n"
               "how_it_is_taken: x\r\ncommon_side_effects: [x]\r\n"
               "serious_side_effects: [x]\r\nlast_revised: 2024-01-01\r\n"
               "references: [nci, nih]\r\n");
    expect_errors(1, "$D/en/sunitinib.yaml:10:19: error: unknown reference "
                     "'nih' (not in $D/references.yaml)\n");
}

static void test_syntax_error(void **state)
{
    (void)state;
    write_valid_tree();
    edit_file("en/sunitinib.yaml", "drug_class: Kinase inhibitor",
              "drug_class: [Kinase inhibitor");
    /* The file ends at its syntax error; the other files still load. */
    expect_errors(1, "$D/en/sunitinib.yaml:4:15: error: did not find "
                     "expected ',' or ']' (while parsing a flow sequence that "
                     "starts at line 3, column 13)\n");
}

static void test_syntax_error_without_context(void **state)
{
    (void)state;
    write_valid_tree();
    edit_file("es/sunitinib.yaml", "name: Sunitinib", "name: a: b");
    expect_errors(1, "$D/es/sunitinib.yaml:2:8: error: mapping values are "
                     "not allowed in this context\n");
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    write_valid_tree();
    /* Latin-1 'é' followed by ASCII, and a byte that never starts UTF-8. */
    edit_file("en/sunitinib.yaml", "Diarrhea", "Diarrh\xe9" "a");
    edit_file("es/strings.yaml", "language_name: Español",
              "language_name: Español \xff");
    expect_errors(2,
        "$D/en/sunitinib.yaml:10:11: error: invalid trailing UTF-8 octet "
        "(byte 0x61)\n"
        "$D/es/strings.yaml:3:24: error: invalid leading UTF-8 octet "
        "(byte 0xFF)\n");
}

static void test_control_characters(void **state)
{
    (void)state;
    write_valid_tree();
    edit_file("en/sunitinib.yaml", "name: Sunitinib", "name: \"Suni\\atinib\"");
    edit_file("en/sunitinib.yaml", "  - Diarrhea", "  - \"Diarrhea\\u0085\"");
    edit_file("es/sunitinib.yaml", "name: Sunitinib", "name: Suni\x01tinib");
    expect_errors(3,
        "$D/en/sunitinib.yaml:2:7: error: 'name' contains a control "
        "character (U+0007)\n"
        "$D/en/sunitinib.yaml:10:5: error: item 2 of 'common_side_effects' "
        "contains a control character (U+0085)\n"
        "$D/es/sunitinib.yaml:2:11: error: control characters are not "
        "allowed (U+0001)\n");
}

static void test_wrong_types(void **state)
{
    (void)state;
    write_valid_tree();
    edit_file("en/sunitinib.yaml", "name: Sunitinib", "name: [a, b]");
    edit_file("en/sunitinib.yaml", "  - Tiredness", "  - {a: b}");
    edit_file("en/sunitinib.yaml", "references: [nci, fda]",
              "references: nci");
    edit_file("es/strings.yaml", "labels:\n", "labels: none\nx:\n");
    write_file("es/sunitinib.yaml", "- a\n- b\n");
    expect_errors(6,
        "$D/en/sunitinib.yaml:2:7: error: expected a string for 'name', "
        "found a sequence\n"
        "$D/en/sunitinib.yaml:9:5: error: expected a string for item 1 of "
        "'common_side_effects', found a mapping\n"
        "$D/en/sunitinib.yaml:13:13: error: expected a sequence for "
        "'references', found a string\n"
        "$D/es/strings.yaml:9:9: error: expected a mapping for 'labels', "
        "found a string\n"
        /* The 'x' key swallowed the label keys (10-16) as its own value. */
        "$D/es/strings.yaml:10:1: error: unknown key 'x' (expected one of: "
        "language, locale, language_name, draft_notice, series, sheet_title, "
        "author, subject, drug_class_label, labels, helpline, disclaimer, "
        "last_revised, page_of, booklet, online, month_names, date_format, digits, "
        "draft_band, stale_band, review, source)\n"
        "$D/es/sunitinib.yaml:1:1: error: expected a mapping at the top "
        "level, found a sequence\n");
}

static void test_empty_values(void **state)
{
    (void)state;
    write_valid_tree();
    edit_file("en/sunitinib.yaml", "name: Sunitinib", "name:");
    edit_file("en/sunitinib.yaml", "drug_class: Kinase inhibitor",
              "drug_class: \"  \"");
    edit_file("en/sunitinib.yaml", "  - Diarrhea", "  - ~");
    edit_file("en/sunitinib.yaml", "serious_side_effects: [Liver damage, "
              "Bleeding]", "serious_side_effects: []");
    edit_file("es/strings.yaml", "helpline:\n", "helpline: null\nx:\n");
    write_file("es/sunitinib.yaml", "# nothing but a comment\n");
    expect_errors(7,
        "$D/en/sunitinib.yaml:2:6: error: 'name' must not be empty\n"
        "$D/en/sunitinib.yaml:3:13: error: 'drug_class' must not be empty "
        "(it holds only spaces or invisible characters)\n"
        "$D/en/sunitinib.yaml:10:5: error: item 2 of 'common_side_effects' "
        "must not be empty\n"
        "$D/en/sunitinib.yaml:11:23: error: 'serious_side_effects' must not "
        "be empty\n"
        "$D/es/strings.yaml:17:11: error: 'helpline' must not be empty\n"
        "$D/es/strings.yaml:18:1: error: unknown key 'x' (expected one of: "
        "language, locale, language_name, draft_notice, series, sheet_title, "
        "author, subject, drug_class_label, labels, helpline, disclaimer, "
        "last_revised, page_of, booklet, online, month_names, date_format, digits, "
        "draft_band, stale_band, review, source)\n"
        "$D/es/sunitinib.yaml:1:1: error: file is empty (expected a "
        "mapping)\n");
}

static void test_missing_required_key(void **state)
{
    (void)state;
    write_valid_tree();
    edit_file("en/sunitinib.yaml", "drug_class: Kinase inhibitor\n", "");
    edit_file("es/strings.yaml", "  phone: 1-800-555-0100\n", "");
    expect_errors(2,
        "$D/en/sunitinib.yaml:1:1: error: missing required key "
        "'drug_class'\n"
        "$D/es/strings.yaml:18:3: error: missing required key 'phone' in "
        "'helpline'\n");
}

static void test_unknown_key(void **state)
{
    (void)state;
    write_valid_tree();
    edit_file("en/sunitinib.yaml", "drug_class:", "colour: red\ndrug_class:");
    edit_file("en/strings.yaml", "  phone:", "  fax: none\n  phone:");
    expect_errors(2,
        "$D/en/strings.yaml:20:3: error: unknown key 'fax' in 'helpline' "
        "(expected one of: heading, text, phone, reach)\n"
        "$D/en/sunitinib.yaml:3:1: error: unknown key 'colour' (expected one "
        "of: id, name, drug_class, targeted_drugs, how_it_works, "
        "how_it_is_taken, who_it_is_for, common_side_effects, "
        "serious_side_effects, last_revised, references, url, review, source)\n");
}

static void test_duplicate_key(void **state)
{
    (void)state;
    write_valid_tree();
    edit_file("en/sunitinib.yaml", "drug_class:", "name: Again\ndrug_class:");
    Content *c = load();
    expect_stderr("$D/en/sunitinib.yaml:3:1: error: duplicate key 'name' "
                  "(first at line 2)\n");
    assert_int_equal(diag_error_count(), 1);
    /* The first value stands. */
    assert_string_equal(c->languages[0].drugs[1].name.utf8, "Sunitinib");
    content_free(c);
}

static void test_bad_dates(void **state)
{
    (void)state;
    write_valid_tree();
    edit_file("en/sunitinib.yaml", "2024-02-29", "2021-02-30");
    edit_file("en/belzutifan.yaml", "2024-02-29", "2023-13-01");
    edit_file("es/sunitinib.yaml", "2024-02-29", "2024-2-3");
    edit_file("es/belzutifan.yaml", "2024-02-29", "1900-02-29");
    expect_errors(4,
        "$D/en/belzutifan.yaml:12:15: error: 'last_revised' is not a "
        "calendar date: 2023-13-01 (month must be 01 to 12)\n"
        "$D/en/sunitinib.yaml:12:15: error: 'last_revised' is not a calendar "
        "date: 2021-02-30 (2021-02 has 28 days)\n"
        "$D/es/belzutifan.yaml:12:15: error: 'last_revised' is not a "
        "calendar date: 1900-02-29 (1900-02 has 28 days)\n"
        "$D/es/sunitinib.yaml:12:15: error: 'last_revised' must be a date "
        "in the form YYYY-MM-DD, found '2024-2-3'\n");
}

static void test_duplicate_reference_id(void **state)
{
    (void)state;
    write_valid_tree();
    edit_file("references.yaml", "  - id: fda",
              "  - id: nci\n    text: Again.\n  - id: fda");
    expect_errors(1, "$D/references.yaml:4:9: error: duplicate reference id "
                     "'nci' (first at line 2)\n");
}

static void test_unknown_reference(void **state)
{
    (void)state;
    write_valid_tree();
    edit_file("en/sunitinib.yaml", "[nci, fda]", "[nci, pubmed, nci]");
    expect_errors(2,
        "$D/en/sunitinib.yaml:13:19: error: unknown reference 'pubmed' (not "
        "in $D/references.yaml)\n"
        "$D/en/sunitinib.yaml:13:27: error: duplicate reference 'nci' (first "
        "at line 13)\n");
}

static void test_broken_references_file(void **state)
{
    (void)state;
    write_valid_tree();
    edit_file("references.yaml", "  - id: fda", "  - id: [fda");
    /* No "unknown reference" noise when references.yaml itself is broken. */
    expect_errors(1, "$D/references.yaml:5:9: error: did not find expected "
                     "',' or ']' (while parsing a flow sequence that starts at "
                     "line 4, column 9)\n");
}

static void test_bad_placeholders(void **state)
{
    (void)state;
    write_valid_tree();
    edit_file("en/strings.yaml", "about {drug}\"", "about {drug} {name}\"");
    edit_file("en/strings.yaml", "How {drug} works", "How it works");
    edit_file("en/strings.yaml", "Page {page} of {pages}", "Page {page}");
    edit_file("es/strings.yaml", "Last revised: {date}", "Last revised: {date");
    edit_file("es/strings.yaml", "of {pages}\"", "of {pages}}\"");
    expect_errors(6,
        "$D/en/strings.yaml:7:10: error: unknown placeholder {name} in "
        "'subject' (allowed: {drug})\n"
        "$D/en/strings.yaml:11:17: error: 'labels.how_it_works' must contain "
        "{drug}\n"
        "$D/en/strings.yaml:24:10: error: 'page_of' must contain {pages}\n"
        "$D/es/strings.yaml:23:15: error: unmatched '{' in 'last_revised'\n"
        "$D/es/strings.yaml:23:15: error: 'last_revised' must contain "
        "{date}\n"
        "$D/es/strings.yaml:24:10: error: unmatched '}' in 'page_of'\n");
}

static void test_id_must_match_file_name(void **state)
{
    (void)state;
    write_valid_tree();
    edit_file("en/sunitinib.yaml", "id: sunitinib", "id: sunitnib");
    expect_errors(1, "$D/en/sunitinib.yaml:1:5: error: id 'sunitnib' does "
                     "not match the file name 'sunitinib.yaml'\n");
}

static void test_language_must_match_folder(void **state)
{
    (void)state;
    write_valid_tree();
    edit_file("es/strings.yaml", "language: es", "language: fr");
    expect_errors(1, "$D/es/strings.yaml:1:11: error: language 'fr' does not "
                     "match the folder name 'es'\n");
}

static void test_drug_missing_in_a_language(void **state)
{
    (void)state;
    write_valid_tree();
    write_drug("en", "everolimus");
    remove_file("es/belzutifan.yaml");
    expect_errors(2,
        "$D/en/belzutifan.yaml:1:1: error: drug 'belzutifan' has no sheet in "
        "language 'es' (expected $D/es/belzutifan.yaml)\n"
        "$D/en/everolimus.yaml:1:1: error: drug 'everolimus' has no sheet in "
        "language 'es' (expected $D/es/everolimus.yaml)\n");
}

static void test_errors_in_two_files(void **state)
{
    (void)state;
    write_valid_tree();
    edit_file("en/belzutifan.yaml", "name: Sunitinib", "name: [x]");
    edit_file("es/sunitinib.yaml", "2024-02-29", "2021-02-30");
    expect_errors(2,
        "$D/en/belzutifan.yaml:2:7: error: expected a string for 'name', "
        "found a sequence\n"
        "$D/es/sunitinib.yaml:12:15: error: 'last_revised' is not a calendar "
        "date: 2021-02-30 (2021-02 has 28 days)\n");
}

static void test_aliases_and_documents(void **state)
{
    (void)state;
    write_valid_tree();
    edit_file("en/sunitinib.yaml", "name: Sunitinib", "name: &n Sunitinib");
    edit_file("en/sunitinib.yaml", "  - Diarrhea", "  - *n");
    edit_file("es/sunitinib.yaml", "references: [nci, fda]\n",
              "references: [nci, fda]\n---\nid: again\n");
    expect_errors(3,
        "$D/en/sunitinib.yaml:2:7: error: YAML anchors are not supported\n"
        "$D/en/sunitinib.yaml:10:5: error: YAML aliases are not supported\n"
        "$D/es/sunitinib.yaml:14:1: error: a file must hold one YAML "
        "document, found a second one\n");
}

static void test_missing_strings_yaml(void **state)
{
    (void)state;
    write_valid_tree();
    remove_file("es/strings.yaml");
    expect_errors(1, "pdfgen: error: language folder '$D/es' has no "
                     "strings.yaml\n");
}

static void test_file_too_large(void **state)
{
    (void)state;
    write_valid_tree();
    size_t size = 1024 * 1024 + 1;
    char *big = malloc(size + 1);
    assert_non_null(big);
    memset(big, '#', size);
    big[size] = '\0';
    write_file("es/belzutifan.yaml", big);
    free(big);
    expect_errors(1, "$D/es/belzutifan.yaml:1:1: error: file is larger than "
                     "1 MiB (1048577 bytes)\n");
}

static void test_deep_nesting(void **state)
{
    (void)state;
    write_valid_tree();
    char deep[300];
    memset(deep, '[', 200);
    strcpy(deep + 200, "\n");
    write_file("es/belzutifan.yaml", deep);
    expect_errors(1, "$D/es/belzutifan.yaml:1:65: error: YAML nested more "
                     "than 64 levels deep\n");
}

static void test_unreadable_directory(void **state)
{
    (void)state;
    char missing[128];
    snprintf(missing, sizeof missing, "%s/nope", dir);
    assert_null(load_from(missing));
    expect_stderr("pdfgen: error: cannot read content directory '$D/nope': "
                  "No such file or directory\n");
    assert_int_equal(diag_error_count(), 1);
}

static void test_missing_references_file(void **state)
{
    (void)state;
    write_valid_tree();
    remove_file("references.yaml");
    assert_null(load());
    expect_stderr("pdfgen: error: cannot read '$D/references.yaml': No such "
                  "file or directory\n");
    assert_int_equal(diag_error_count(), 1);
}

static void test_trailing_slash_in_dir(void **state)
{
    (void)state;
    write_valid_tree();
    edit_file("en/sunitinib.yaml", "id: sunitinib", "id: x");
    char with_slash[128];
    snprintf(with_slash, sizeof with_slash, "%s//", dir);
    Content *c = load_from(with_slash);
    expect_stderr("$D/en/sunitinib.yaml:1:5: error: id 'x' does not match the "
                  "file name 'sunitinib.yaml'\n");
    content_free(c);
}

int main(void)
{
#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        TEST(test_valid_tree),
        TEST(test_optional_keys_and_scalar_styles),
        TEST(test_crlf_line_ends),
        TEST(test_syntax_error),
        TEST(test_syntax_error_without_context),
        TEST(test_invalid_utf8),
        TEST(test_control_characters),
        TEST(test_wrong_types),
        TEST(test_empty_values),
        TEST(test_missing_required_key),
        TEST(test_unknown_key),
        TEST(test_duplicate_key),
        TEST(test_bad_dates),
        TEST(test_unknown_reference),
        TEST(test_duplicate_reference_id),
        TEST(test_broken_references_file),
        TEST(test_bad_placeholders),
        TEST(test_id_must_match_file_name),
        TEST(test_language_must_match_folder),
        TEST(test_drug_missing_in_a_language),
        TEST(test_errors_in_two_files),
        TEST(test_aliases_and_documents),
        TEST(test_missing_strings_yaml),
        TEST(test_file_too_large),
        TEST(test_deep_nesting),
        TEST(test_unreadable_directory),
        TEST(test_missing_references_file),
        TEST(test_trailing_slash_in_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
