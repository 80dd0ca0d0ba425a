/* hyphen_load.h — a libhyphen dictionary file parsed in one pass.
 * In: a dictionary file's bytes (libhyphen 2.8's format: the charset line,
 *     patterns, keywords, comments, at most one NEXTLEVEL).
 * Out: the HyphenDict hnj_hyphen_load_file makes of the same bytes: the
 *     same automaton (states by their strings, with their matches,
 *     replacements, transitions and fallbacks; only the states' numbers
 *     may differ), keywords and levels (with libhyphen's default first
 *     level when there is no NEXTLEVEL); freed with hyphen_load_free.
 *     libhyphen looks states up in a table of strings and allocates each
 *     one: Debian's six dictionaries cost it 72 M instructions to load,
 *     more than all the words a build hyphenates.
 * NULL when the bytes are ones libhyphen reads in a way this does not
 * follow (a NUL byte, a line longer than it reads at once, a NOHYPHEN
 * line with nothing after it): load them with libhyphen. */
#ifndef PDFGEN_HYPHEN_LOAD_H
#define PDFGEN_HYPHEN_LOAD_H

#include <stddef.h>

#include <hyphen.h>

HyphenDict *hyphen_load(const char *bytes, size_t len);

/* Frees what hyphen_load made (each level in one block: not for
 * hnj_hyphen_free, nor hnj_hyphen_free's dictionaries for this). */
void hyphen_load_free(HyphenDict *dict);

#endif
