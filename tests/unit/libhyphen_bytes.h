/* libhyphen's own loader run on dictionary bytes in memory: the reference
 * the filtered and the one-pass loaders are compared with; and the
 * dictionaries Debian installs, which both are compared on. Include after
 * <stdio.h>, <setjmp.h>, <cmocka.h> and <hyphen.h>. */
#ifndef PDFGEN_TEST_LIBHYPHEN_BYTES_H
#define PDFGEN_TEST_LIBHYPHEN_BYTES_H

static inline HyphenDict *libhyphen_load(const char *bytes, size_t len)
{
    FILE *f = fmemopen((void *)bytes, len, "r");
    assert_non_null(f);
    HyphenDict *dict = hnj_hyphen_load_file(f);
    fclose(f);
    assert_non_null(dict);
    return dict;
}

static const char *const installed_dictionaries[] = {
    "/usr/share/hyphen/hyph_en_US.dic", "/usr/share/hyphen/hyph_es_ES.dic",
    "/usr/share/hyphen/hyph_fr.dic",    "/usr/share/hyphen/hyph_pt_BR.dic",
    "/usr/share/hyphen/hyph_ru_RU.dic", "/usr/share/hyphen/hyph_hi_IN.dic",
};
enum { INSTALLED_DICTIONARIES = sizeof installed_dictionaries / sizeof *installed_dictionaries };

#endif
