/* pdf_poppler.h — the extraction workarounds for poppler 22.12 (see
 * pdf_poppler.c for why each exists).
 * In: the UTF-16 text of one cluster or unit of glyphs, as it will be
 *     mapped (ToUnicode) or carried (ActualText).
 * Out: that text as poppler must see it (visual order for right-to-left
 *     clusters, lam-alef as its presentation form), whether it must be
 *     fenced with RLM or LRM, and the page's balance of strong letters.
 * Pure functions over text: they write nothing into the PDF. */
#ifndef PDFGEN_PDF_POPPLER_H
#define PDFGEN_PDF_POPPLER_H

#include <stdbool.h>
#include <stdint.h>

#include "pdf_buf.h"

#define RLM 0x200F
#define LRM 0x200E

/* The first code point with a script of its own is right to left. */
bool poppler_is_rtl_text(const U16 *t);
/* A right-to-left cluster's text as poppler reads it (see the file). */
void poppler_rtl_cluster_text(U16 *t, bool single_glyph);
/* Lam + alef as one presentation form (NFKC gives the two letters back,
 * so every reader reads it right whatever order it takes glyphs in), or 0. */
uint16_t poppler_presentation_form(const U16 *t);
/* Holds a character poppler would move to another word. */
bool poppler_has_weak(const U16 *t);
/* Weak throughout, digits aside. */
bool poppler_all_weak_not_digits(const U16 *t);
/* Are the code points just before text[begin] and at text[end] (end <
 * len) both letters poppler reads right to left? */
bool poppler_rtl_letters_around(const char *text, uint32_t len, uint32_t begin, uint32_t end);
/* mark + t + mark */
void poppler_fence(U16 *t, uint16_t mark);
/* Adds t's strong letters to the page's balance (LTR +1, RTL -1). */
void poppler_count_strong(long *balance, const U16 *t);

#endif
