/* hyphenate.h — where a word may be hyphenated (libhyphen).
 * In: a locale, and a paragraph's NFC UTF-8 text with its line-break
 *     opportunities; words that must stay whole (drug names) and byte
 *     ranges that must not be hyphenated (web addresses, the phone number).
 * Out: hyph[b] = 1 where a line may end before byte b with a hyphen added:
 *     a hyphenation point of Debian's dictionary for the language, at least
 *     the language's minimum number of characters from either end of the
 *     word, never in the paragraph's last word; and after every soft hyphen
 *     (U+00AD) the content has, whatever the dictionary says.
 * Dictionaries: en (US), es, fr, pt (BR), ru and hi (hyphen-* packages);
 * the other languages of the sheets have none in Debian (vi needs none:
 * its words are single syllables; Arabic and CJK are not hyphenated), and
 * their text only breaks at soft hyphens. */
#ifndef PDFGEN_HYPHENATE_H
#define PDFGEN_HYPHENATE_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct Hyphenator Hyphenator;

/* From now on each dictionary is loaded whole when first needed, not
 * only the patterns of the words announced: for a process that will set
 * a language's sheets again (a build with booklets), where the next
 * document's new words would load the whole file anyway. */
void hyphenate_load_whole(void);

/* NULL (not an error) when no dictionary exists for the locale. */
Hyphenator *hyphenator_open(const char *locale);
void hyphenator_close(Hyphenator *h);

/* Words never hyphenated (drug names), in any case (ASCII letters):
 * hashed, for a language of a thousand drugs is asked about every word of
 * every paragraph.  whole_words_new copies the NULL-terminated words (NULL:
 * none); whole_words_same says whether words are those, in that order. */
typedef struct WholeWords WholeWords;
WholeWords *whole_words_new(const char *const *words);
bool whole_words_same(const WholeWords *w, const char *const *words);
void whole_words_free(WholeWords *w);

/* h may be NULL (soft hyphens only).  keep[b] nonzero: byte b is in a
 * range that must not be hyphenated.  whole (NULL: none): words that are
 * never hyphenated. */
void hyphenate_text(Hyphenator *h, const char *text, uint32_t len, const uint8_t *keep,
                    const WholeWords *whole, uint8_t *hyph);

/* The words of text (same arguments as hyphenate_text) will come to
 * hyphenate_text: announced before the first word needs the dictionary,
 * only the patterns the announced words use are loaded.  Any other word
 * still gets the dictionary's answer (the whole dictionary is loaded for
 * it), so announcing is only ever a question of speed.  h may be NULL. */
void hyphenator_expect(Hyphenator *h, const char *text, uint32_t len, const uint8_t *keep,
                       const WholeWords *whole);

#endif
