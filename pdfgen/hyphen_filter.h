/* hyphen_filter.h — the part of a libhyphen dictionary that some words use.
 * In: a dictionary file's bytes (libhyphen 2.8's format: the charset line,
 *     then patterns, keywords, comments and at most one NEXTLEVEL) and the
 *     words that will be hyphenated with it, in the dictionary's charset.
 * Out: a dictionary file, with the same charset line, keywords and
 *     sections, that keeps only the patterns those words can reach.
 *     libhyphen gives every one of those words exactly the hyphenation
 *     points (and non-standard hyphenations) the whole file gives, at a
 *     fraction of the cost of loading it (Debian's English patterns cost
 *     as much to load as laying out a sheet).
 * Why it is exact: libhyphen runs an automaton over ".word." (and, in a
 * compound dictionary, over ".part." for parts of the word) whose states
 * are the prefixes of the patterns; at each letter it is in the longest
 * state that ends there and applies that state's pattern, if it is one.
 * The states that can end inside those texts are substrings of them: every
 * pattern that is such a substring is kept, with every line that has the
 * same letters (the last one wins), and for every other state that is such
 * a substring one pattern that starts with it, so the state still exists.
 * NULL when the file is one this reasoning does not cover (lines longer
 * than libhyphen reads at once, a compound dictionary with non-standard
 * patterns, whose replacement text joins the parts): load it whole. */
#ifndef PDFGEN_HYPHEN_FILTER_H
#define PDFGEN_HYPHEN_FILTER_H

#include <stddef.h>

typedef struct HyphenWord {
    const char *bytes;
    size_t len;
} HyphenWord;

/* The filtered file (malloc'd, *out_len bytes, not NUL-terminated), or
 * NULL. */
char *hyphen_filter(const char *dic, size_t dic_len, const HyphenWord *words, size_t count,
                    size_t *out_len);

#endif
