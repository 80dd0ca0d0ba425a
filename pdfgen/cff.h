/* cff.h — the one thing pdfgen reads from a CFF font program itself.
 * In: the bytes of a 'CFF ' table.
 * Out: the CID of each glyph (CID-keyed fonts, such as Noto Sans CJK).
 * A PDF CIDFontType0 font is addressed by CID, so the content stream, /W
 * and ToUnicode all speak CIDs; hb-subset renumbers glyphs but keeps the
 * CIDs.  Only the few structures on the way to the charset are read, and
 * every offset is checked: the input is a font file from the system. */
#ifndef PDFGEN_CFF_H
#define PDFGEN_CFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum CffStatus {
    CFF_OK,
    CFF_MALFORMED,
    CFF_NOT_CID_KEYED,
    CFF_NO_MEMORY /* no longer returned: out of memory aborts (alloc.h); kept
                     because callers still name it */
} CffStatus;

/* The CID of each of the table's glyphs: *count of them in *cids, which
 * the caller frees. */
CffStatus cff_cids(const char *data, size_t len, uint16_t **cids, unsigned *count);

/* The set of the n CIDs as a bitmap of 65536 bits (never NULL: out of
 * memory aborts, see alloc.h; the caller frees); whether one came twice
 * goes to *twice. */
unsigned char *cid_set(const uint16_t *cids, unsigned n, bool *twice);
bool cid_in(const unsigned char *set, unsigned cid);

#endif
