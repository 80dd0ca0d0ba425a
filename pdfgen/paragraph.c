/* paragraph.c — greedy line breaking over shaped glyphs.  See paragraph.h. */
#include "paragraph.h"

/* The paragraph's glyphs flattened in logical order, with a running sum
 * of advances so any candidate line's width is one subtraction. */
typedef struct Flat {
    size_t count;
    const ShapedRun **run;
    size_t *index;     /* glyph index within its run (visual order) */
    uint32_t *cluster;
    double *sum;       /* sum[i] = width of glyphs [0, i) in points */
} Flat;

static Flat flatten(Arena *arena, const ShapedText *text, double size)
{
    Flat f = {0};
    for (size_t r = 0; r < text->run_count; r++)
        f.count += text->runs[r].glyph_count;
    f.run = arena_array(arena, f.count + 1, sizeof *f.run);
    f.index = arena_array(arena, f.count + 1, sizeof *f.index);
    f.cluster = arena_array(arena, f.count + 1, sizeof *f.cluster);
    f.sum = arena_array(arena, f.count + 1, sizeof *f.sum);
    size_t k = 0;
    for (size_t r = 0; r < text->run_count; r++) {
        const ShapedRun *run = &text->runs[r];
        double scale = size / run->font->upem;
        /* HarfBuzz gives right-to-left runs last character first: walk
         * them backwards so the flat list is in logical order. */
        for (size_t j = 0; j < run->glyph_count; j++, k++) {
            size_t g = run->level & 1 ? run->glyph_count - 1 - j : j;
            f.run[k] = run;
            f.index[k] = g;
            f.cluster[k] = run->glyphs[g].cluster;
            f.sum[k + 1] = f.sum[k] + run->glyphs[g].x_advance * scale;
        }
    }
    f.cluster[f.count] = text->len;
    return f;
}

/* First glyph whose cluster is at or after byte b. */
static size_t glyph_at(const Flat *f, size_t from, uint32_t b)
{
    while (from < f->count && f->cluster[from] < b)
        from++;
    return from;
}

static size_t trim_spaces(const Flat *f, const ShapedText *text, size_t start, size_t end)
{
    while (end > start && text_is_space_at(text, f->cluster[end - 1]))
        end--;
    return end;
}

/* Unicode bidi rule L2: from the highest level down to the lowest odd
 * one, reverse every sequence of slices at that level or above. */
static void reorder_visually(LineSlice *slices, size_t n)
{
    uint8_t highest = 0, lowest_odd = 255;
    for (size_t i = 0; i < n; i++) {
        uint8_t level = slices[i].run->level;
        if (level > highest)
            highest = level;
        if ((level & 1) && level < lowest_odd)
            lowest_odd = level;
    }
    for (int level = highest; level >= lowest_odd && level > 0; level--) {
        for (size_t i = 0; i < n;) {
            if (slices[i].run->level < level) {
                i++;
                continue;
            }
            size_t j = i;
            while (j < n && slices[j].run->level >= level)
                j++;
            for (size_t a = i, b = j - 1; a < b; a++, b--) {
                LineSlice t = slices[a];
                slices[a] = slices[b];
                slices[b] = t;
            }
            i = j;
        }
    }
}

static Line make_line(Arena *arena, const Flat *f, size_t start, size_t end, uint32_t text_end)
{
    Line line = {0};
    size_t n = 0;
    for (size_t i = start; i < end; i++)
        if (i == start || f->run[i] != f->run[i - 1])
            n++;
    line.slices = arena_array(arena, n ? n : 1, sizeof *line.slices);
    for (size_t i = start; i < end; i++) {
        if (i == start || f->run[i] != f->run[i - 1]) {
            LineSlice *s = &line.slices[line.slice_count++];
            s->run = f->run[i];
            s->first = f->index[i];
            s->text_begin = f->cluster[i];
        }
        LineSlice *s = &line.slices[line.slice_count - 1];
        if (f->index[i] < s->first)
            s->first = f->index[i]; /* right-to-left: visual start moves left */
        s->count++;
        s->width += f->sum[i + 1] - f->sum[i];
        s->text_end = i + 1 < end ? f->cluster[i + 1] : text_end;
    }
    line.width = f->sum[end] - f->sum[start];
    reorder_visually(line.slices, line.slice_count);
    return line;
}

/* A line that ends in a hard hyphen reads fine on paper, but text
 * extraction (poppler, and the readers built on it) takes a hyphen at the
 * end of a line for a soft one and drops it: "Hippel-Lindau" would be found
 * and copied as "HippelLindau".  So a line never ends right after one. */
static int after_hyphen(const ShapedText *text, uint32_t b)
{
    const char *t = text->text;
    return (b >= 1 && t[b - 1] == '-') ||
           (b >= 3 && (unsigned char)t[b - 3] == 0xE2 && (unsigned char)t[b - 2] == 0x80 &&
            (unsigned char)t[b - 1] == 0x90);
}

/* The furthest grapheme boundary after start that still fits; at least one
 * grapheme so the paragraph always advances. */
static size_t emergency_end(const Flat *f, const ShapedText *text, size_t start, size_t limit,
                            double measure)
{
    size_t best = 0;
    for (size_t e = start + 1; e <= limit; e++) {
        if (e < f->count && (!text->grapheme[f->cluster[e]] || after_hyphen(text, f->cluster[e])))
            continue;
        if (f->sum[e] - f->sum[start] > measure && best)
            break;
        best = e;
    }
    return best ? best : limit;
}

Lines paragraph_break(Arena *arena, const ShapedText *text, double size, double measure)
{
    Flat f = flatten(arena, text, size);
    size_t cap = 0;
    Lines out = {NULL, 0};
    size_t start = 0;
    while (start < f.count) {
        size_t fit_end = 0, next = f.count;
        uint32_t fit_text_end = text->len;
        size_t first_candidate = f.count;
        for (uint32_t b = f.cluster[start] + 1; b <= text->len; b++) {
            if (b < text->len && (!text->breaks[b] || after_hyphen(text, b)))
                continue;
            size_t e = glyph_at(&f, start, b);
            size_t trimmed = trim_spaces(&f, text, start, e);
            if (first_candidate == f.count)
                first_candidate = e;
            if (f.sum[trimmed] - f.sum[start] > measure)
                break;
            fit_end = trimmed;
            fit_text_end = trimmed < f.count ? f.cluster[trimmed] : text->len;
            next = e;
            if (b < text->len && text->breaks[b] == BREAK_MANDATORY)
                break;
        }
        if (!fit_end) {
            /* Not even the first word fits: break inside it. */
            fit_end = emergency_end(&f, text, start, first_candidate, measure);
            next = fit_end;
            fit_text_end = fit_end < f.count ? f.cluster[fit_end] : text->len;
        }
        out.lines = arena_reserve(arena, out.lines, out.count, &cap, sizeof *out.lines);
        out.lines[out.count++] = make_line(arena, &f, start, fit_end, fit_text_end);
        start = next;
        while (start < f.count && text_is_space_at(text, f.cluster[start]))
            start++;
    }
    return out;
}
