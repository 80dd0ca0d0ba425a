/* libhyphen's own loader run on dictionary bytes in memory: the reference
 * the filtered and the one-pass loaders are compared with. Include after
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

#endif
