/* print.h — print-shop output: bleed, trim and crop marks.
 * In: a laid-out Document and the bleed in points (3 mm = 8.504 pt).
 * Out: the same Document on a larger sheet: the page as designed is the
 *     trim area, centred with room around it for the bleed and the crop
 *     marks; every box, bookmark and link moves with it.  Sets the trim
 *     box (the finished page) and the bleed box (trim plus the bleed) for
 *     pdf.c, and draws crop marks at each corner outside the bleed, as
 *     artifacts (printer's marks are not content).
 * The page has no artwork to the edge today (white paper), so nothing
 * needs extending into the bleed. */
#ifndef PDFGEN_PRINT_H
#define PDFGEN_PRINT_H

#include "arena.h"
#include "pages.h"

/* The bleed from "3mm", "0.125in" or "9pt": points, or -1 when the text
 * is not a length from 0 to 20 mm (exclusive, inclusive). */
double print_parse_bleed(const char *text);

void print_add_bleed(Arena *arena, Document *doc, double bleed);

#endif
