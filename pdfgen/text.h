/* text.h — from content strings to shaped text (ICU + HarfBuzz).
 * In: the pieces of one paragraph (UTF-8, a font style and a source
 *     position each) and the paragraph's locale.
 * Out: a ShapedText: the paragraph's NFC text, split into runs of one
 *     style, bidi level (ICU ubidi; the paragraph direction is the
 *     locale's), script (ICU uscript) and font (chosen per script and
 *     language, with fallback per character), every run shaped by HarfBuzz
 *     (kerning, ligatures, joining, marks, conjuncts), and the locale's
 *     line-break opportunities (ICU) per byte.
 * A character that no installed font has, or that the font cannot shape
 * (a .notdef glyph), is reported with the code point, its name and the
 * source position of the piece, and text_shape() returns NULL.  Everything
 * returned lives in the arena. */
#ifndef PDFGEN_TEXT_H
#define PDFGEN_TEXT_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "fonts.h"
#include "model.h"
#include "pages.h"

typedef struct TextPiece {
    const char *utf8;
    FontStyle style;
    SourcePos pos;
    bool keep_whole; /* never hyphenated (a web address, the phone number) */
    const char *lang; /* BCP 47, when not the shaper's (an English citation):
                         hyphenated by that language's rules; NULL: the shaper's */
} TextPiece;

typedef struct ShapedRun {
    const Font *font;
    uint32_t begin, end; /* byte range of the run in ShapedText.text */
    Glyph *glyphs;       /* in visual order, as HarfBuzz gives them (right-
                            to-left runs: last character first); clusters
                            are byte offsets into text */
    size_t glyph_count;
    uint8_t level;       /* bidi embedding level: odd is right-to-left */
    hb_script_t script;
    size_t piece;        /* index of the TextPiece it comes from: runs never
                            span two pieces */
} ShapedRun;

/* BREAK_IN_PHRASE: the locale's rules allow a break here, but it falls
 * inside a phrase of text set by phrases (TEXT_BY_PHRASES): taken only
 * where the phrase is wider than the line. */
enum { BREAK_NONE = 0, BREAK_ALLOWED = 1, BREAK_MANDATORY = 2, BREAK_IN_PHRASE = 3 };


typedef struct ShapedText {
    const char *text; /* NFC UTF-8 */
    uint32_t len;
    ShapedRun *runs;
    size_t run_count;
    /* breaks[i] for 0 < i <= len: may a line start at byte i?  Also
     * grapheme[i]: is byte i a grapheme boundary (for emergency breaks in
     * a word longer than the measure)? */
    uint8_t *breaks;
    uint8_t *grapheme;
    /* hyph[b]: may a line end before byte b with a hyphen added?
     * (hyphenate.h) */
    uint8_t *hyph;
    const char *lang;
    int rtl; /* the paragraph's resolved base direction */
} ShapedText;

/* May a line start at byte b?  (Not inside a phrase of text set by
 * phrases: BREAK_IN_PHRASE is the fallback for a phrase wider than the
 * line.) */
static inline bool text_breaks_at(const ShapedText *text, uint32_t b)
{
    return text->breaks[b] == BREAK_ALLOWED || text->breaks[b] == BREAK_MANDATORY;
}

/* Where lines may break: between words (and, in Chinese and Japanese,
 * between most characters: JIS X 4051, the norm for running text), or
 * for titles and headings between phrases (Japanese bunsetsu, as CSS
 * word-break: auto-phrase): a word like 分子標的薬 is not cut.  Only
 * Japanese has phrases (ICU lw=phrase); other languages break as usual
 * (Korean already breaks between words only, text.c keep_all). */
typedef enum TextUnit { TEXT_BY_WORDS, TEXT_BY_PHRASES } TextUnit;

typedef struct Shaper Shaper;

/* A paragraph's base direction: the document's (an Arabic sheet is right
 * to left even where a sentence starts with a Latin drug name), or the
 * text's own first strong character (an English citation quoted on an
 * Arabic sheet reads left to right). */
typedef enum ParagraphDirection {
    DIRECTION_OF_DOCUMENT,
    DIRECTION_FROM_TEXT,
    DIRECTION_LTR, /* as given: a list label set in its item's direction */
    DIRECTION_RTL
} ParagraphDirection;

/* One shaper per language: it holds the locale's break iterators and
 * direction. */
Shaper *shaper_open(FontSet *fonts, const char *locale);
void shaper_close(Shaper *shaper);
/* Empties what the shaper keeps of the paragraphs and runs it shaped
 * (text.c), for a build moving on to another language. */
void shaper_trim(Shaper *shaper);
/* What a later stage makes of the shaper's text (flow.c: a paragraph's
 * lines), kept with it, under the same bound, and emptied with it: the
 * value kept under key (*value_len its size), or NULL. */
const void *shaper_recall(const Shaper *shaper, const void *key, size_t key_len,
                          size_t *value_len);
/* Keeps value (malloc'd, from now on the shaper's) under a copy of key. */
void shaper_remember(Shaper *shaper, const void *key, size_t key_len, void *value,
                     size_t value_len);

ShapedText *text_shape(Shaper *shaper, Arena *arena, const TextPiece *pieces, size_t count,
                       ParagraphDirection direction);
/* text_shape, with lines breaking at units of unit. */
ShapedText *text_shape_by(Shaper *shaper, Arena *arena, const TextPiece *pieces, size_t count,
                          ParagraphDirection direction, TextUnit unit);

/* The paragraphs text_shape is about to get (a document's, before it is
 * laid out): hyphenation then loads only the patterns their words use
 * (hyphenate.h: hyphenator_expect).  Only ever a question of speed. */
void shaper_expect(Shaper *shaper, const TextPiece *pieces, size_t count);

int shaper_is_rtl(const Shaper *shaper);

/* Words never hyphenated in what the shaper shapes from now on (the
 * drug's name): a NULL-terminated list the caller keeps alive. */
void shaper_keep_whole(Shaper *shaper, const char *const *words);

/* Is the code point at text[offset] a space that may hang at a line end? */
int text_is_space_at(const ShapedText *text, uint32_t offset);

#endif
