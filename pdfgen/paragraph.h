/* paragraph.h — break shaped text into lines.
 * In: a ShapedText, the type size and the measure (line width) in points.
 * Out: lines, each a list of slices of the shaped runs with the exact
 *     glyphs and the text bytes they stand for, and the line's width.
 * paragraph_break: greedy, first-fit over ICU's line-break opportunities
 * in logical order, ragged (headings, labels, furniture).  paragraph_set:
 * Knuth-Plass total fit over the same opportunities, the spaces between
 * words as glue that stretches by half a space and shrinks by a third;
 * justified (every line but the last filled to the measure by widening or
 * narrowing its spaces, in the glyphs' advances, so the TJ writer places
 * them), or ragged but still broken for the best fit.  A last line of one
 * short word is avoided where the paragraph allows.  Where no setting is
 * within tolerance it loosens, and in the end falls back to
 * paragraph_break: a line is never overfull.
 * Justified, paragraph_set also breaks at the text's hyphenation points
 * (text.h: hyph), adding a hyphen (ragged text is not hyphenated: titles,
 * headings and the large-print edition), at most two lines in a row, never where
 * HarfBuzz says the break would need the text shaped again.
 * In both, spaces at the end of a line hang (dropped, not measured).  Each
 * line is then put in visual order (Unicode bidi rule L2), so mixed
 * right-to-left and left-to-right text reads correctly on every line.  A word wider than the
 * measure (a long URL) is broken between graphemes rather than allowed to
 * overflow: nothing is ever clipped. */
#ifndef PDFGEN_PARAGRAPH_H
#define PDFGEN_PARAGRAPH_H

#include <stdbool.h>

#include "text.h"

typedef struct LineSlice {
    const ShapedRun *run;
    size_t first, count; /* glyphs of run, visual order, contiguous */
    const Glyph *glyphs; /* the count glyphs as set: run's, or a justified copy */
    /* The line is hyphenated here: a hyphen follows the slice's glyphs
     * (hyphen_gid of the run's font, hyphen_advance font units, counted in
     * width). */
    bool hyphen;
    uint32_t hyphen_gid;
    int32_t hyphen_advance;
    uint32_t text_begin, text_end;
    double width; /* points */
} LineSlice;

typedef struct Line {
    LineSlice *slices; /* in visual order, left to right */
    size_t slice_count;
    double width; /* points, trailing spaces excluded */
    double ratio; /* how far its spaces were stretched (> 0) or shrunk (< 0):
                     1 is the full stretch; 0 for a line set as it is */
    bool justified;
    bool hyphenated;
} Line;

typedef struct Lines {
    Line *lines;
    size_t count;
} Lines;

Lines paragraph_break(Arena *arena, const ShapedText *text, double size, double measure);

typedef struct SetOptions {
    bool justify;
} SetOptions;

Lines paragraph_set(Arena *arena, const ShapedText *text, double size, double measure,
                    const SetOptions *options);

#endif
