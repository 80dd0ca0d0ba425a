/* pdf_glyphtext.h — which part of a cluster's text each of its glyphs
 * stands for, and the order to show them in so their texts read as the
 * text is written.
 * In: a shaped unit: its text as code points in logical order, its glyphs
 *     in visual order (HarfBuzz's), the font, and its direction.
 * Out: for every code point the glyph that stands for it (the one the
 *     font's cmap gives for it, a mirrored bracket's mirror included; the
 *     rest shared out over the glyphs that got none, in runs, a conjunct's
 *     parts split after each virama), whether a glyph's share was guessed
 *     that way, and a showing order: glyphs sorted by the first code point
 *     they stand for.  A reader that takes text glyph by glyph, in the
 *     order drawn, through ToUnicode (poppler's -struct-text, mupdf) then
 *     gets the text back: a pre-base vowel sign after its consonant, a mark
 *     after its letter.
 * Pure: no PDF is written here. */
#ifndef PDFGEN_PDF_GLYPHTEXT_H
#define PDFGEN_PDF_GLYPHTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fonts.h"
#include "pages.h"

#define NO_GLYPH SIZE_MAX

/* A code point the shaper removes (zero-width and bidi controls,
 * variation selectors): it stands for no glyph.  None is ASCII. */
bool glyphtext_ignorable(uint32_t cp);

/* A glyph that draws nothing and takes no room (HarfBuzz's placeholder
 * marks in Indic conjuncts): it stands for no text and need not be shown. */
bool glyphtext_silent(const Font *font, const Glyph *g);

/* owner[k] for each of the n code points: the index (0..m-1) of the glyph
 * that stands for it, or NO_GLYPH (a default-ignorable the shaper
 * removed).  guessed[g]: glyph g's share came from the sharing out, not
 * the cmap (guessed may be NULL: not wanted, which spares a cmap lookup
 * a cluster).  order[0..m-1]: the glyphs in showing order.  Every array is
 * the caller's; buffer is scratch for shaping the cluster again. */
void glyphtext_partition(hb_buffer_t *buffer, const Font *font, const uint32_t *cps, size_t n, const Glyph *glyphs,
                         size_t m, size_t *owner, bool *guessed, size_t *order);

#endif
