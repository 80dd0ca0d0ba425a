/* cmap_cut.h — a TrueType 'cmap' table cut down to some glyphs.
 * In: a cmap table's bytes and the glyph ids a subset keeps.
 * Out: a cmap table with the same encoding records, in which every
 *     format 4 and format 12 subtable maps only the code points that map
 *     to those glyphs (every other subtable as it was).
 * Why: given glyph ids, hb-subset (HarfBuzz 6) reads every mapping of the
 * font's best subtable to find the code points of those glyphs, three
 * quarters of a Latin sheet's subsetting; the mappings it keeps are the
 * same from the cut table, so the subset font is too.  NULL when a format
 * 4 or 12 subtable is not plainly well formed (ranges out of order or
 * overlapping, glyph indexes outside the table, a mapping for U+FFFF, a
 * range offset with a delta): then the subset starts from the whole cmap,
 * and HarfBuzz reads it its own way. */
#ifndef PDFGEN_CMAP_CUT_H
#define PDFGEN_CMAP_CUT_H

#include <stdbool.h>
#include <stddef.h>

/* glyphs: the font's glyph count (maxp).  keep(gid, context): does the
 * subset keep glyph gid?  The table is malloc'd, *out_len bytes. */
char *cmap_cut(const unsigned char *cmap, size_t len, unsigned glyphs,
               bool (*keep)(unsigned gid, void *context), void *context, size_t *out_len);

#endif
