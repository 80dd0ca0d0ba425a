/* paragraph.h — break shaped text into lines.
 * In: a ShapedText, the type size and the measure (line width) in points.
 * Out: lines, each a list of slices of the shaped runs with the exact
 *     glyphs and the text bytes they stand for, and the line's width.
 * Greedy, first-fit over ICU's line-break opportunities in logical order;
 * spaces at the end of a line hang (they are dropped, not measured).  Each
 * line is then put in visual order (Unicode bidi rule L2), so mixed
 * right-to-left and left-to-right text reads correctly on every line.  A word wider than the
 * measure (a long URL) is broken between graphemes rather than allowed to
 * overflow: nothing is ever clipped. */
#ifndef PDFGEN_PARAGRAPH_H
#define PDFGEN_PARAGRAPH_H

#include "text.h"

typedef struct LineSlice {
    const ShapedRun *run;
    size_t first, count; /* glyphs of run, visual order, contiguous */
    uint32_t text_begin, text_end;
    double width; /* points */
} LineSlice;

typedef struct Line {
    LineSlice *slices; /* in visual order, left to right */
    size_t slice_count;
    double width; /* points, trailing spaces excluded */
} Line;

typedef struct Lines {
    Line *lines;
    size_t count;
} Lines;

Lines paragraph_break(Arena *arena, const ShapedText *text, double size, double measure);

#endif
