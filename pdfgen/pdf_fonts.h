/* pdf_fonts.h — the fonts of one PDF: what was drawn with each, and at
 * the end each as Type0/Identity-H over a CIDFont, subset and embedded.
 * In: the Fonts of the text boxes (registered before any output exists,
 *     so a font the writer cannot embed is reported first); while the
 *     pages are written, each glyph shown and the text it stands for.
 * Out: font_uses_write fills every drawn font's dictionaries just before
 *     saving: the subset font program (hb-subset), its descriptor, /W
 *     from the font's own advances and a ToUnicode CMap.  A CFF font is
 *     addressed by CID (cff.h), a TrueType font by glyph id; glyph_code
 *     says which.
 * Calls pdf_objects.h and pdf_buf.h only. */
#ifndef PDFGEN_PDF_FONTS_H
#define PDFGEN_PDF_FONTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fonts.h"
#include "pdf_buf.h"
#include "pdf_objects.h"

/* What this document did with one glyph id of a font. */
typedef struct GlyphUse {
    uint32_t map_off; /* ToUnicode text: FontUse.map.units[map_off...] */
    uint16_t map_len; /* 0: no ToUnicode entry (yet) */
    bool map_weak;    /* the entry came from a cluster covered by ActualText */
    bool used;
    int32_t width; /* /W entry: the font's own advance, 1/1000 em */
} GlyphUse;

typedef struct FontUse {
    const Font *font;
    char key[16];      /* resource name; not F<n>, which libharu hands out */
    PdfObj type0;      /* NULL until first drawn */
    unsigned glyph_count;
    GlyphUse *glyphs;  /* glyph_count entries */
    /* A CFF font's text carries CIDs, a TrueType font's glyph ids.  cids
     * maps glyph id to CID when the two differ (NULL: they are equal, as
     * in Noto Sans CJK, or the font is TrueType). */
    bool cff;
    uint16_t *cids;
    U16 map;           /* pool of ToUnicode texts */
    size_t on_page;    /* 1 + last page whose /Font holds it, 0 = none */
} FontUse;

typedef struct FontUses {
    PdfDoc *doc;
    FontUse *fonts;
    size_t font_count, font_cap;
    Buf scratch;
} FontUses;

const char *font_name(const Font *f);
int32_t to_1000em(const Font *f, int64_t units);

/* Registration: 0, or -1 (reported) for a font that cannot be embedded. */
int register_font(FontUses *uses, const Font *f, FontUse **out);
FontUse *font_use(FontUses *uses, const Font *f);
/* What the content, /W and ToUnicode call glyph gid. */
unsigned glyph_code(const FontUse *fu, uint32_t gid);
/* The font in the page's resources (its dictionary made on first use). */
int font_resource(FontUses *uses, FontUse *fu, PdfObj page, size_t page_no);

/* Marks gid used, with its width. */
GlyphUse *font_use_glyph(FontUse *fu, uint32_t gid);
/* Decides the ToUnicode entry of a cluster's first glyph; *wrap says
 * whether the cluster needs ActualText instead. */
int font_map_cluster(FontUse *fu, GlyphUse *first, const U16 *text, bool single, bool *wrap);

int font_uses_write(FontUses *uses);
void font_uses_free(FontUses *uses);

#endif
