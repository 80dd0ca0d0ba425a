/* pdf_pack.h — the PDF file itself, in the compact form of PDF 1.5:
 * non-stream objects packed into compressed object streams, streams
 * compressed with the Flate level measured best for their kind, and a
 * compressed cross-reference stream instead of a cross-reference table.
 * In: numbered objects, each already serialised (a non-stream object's
 *     value; a stream's dictionary entries and its uncompressed data),
 *     and the numbers of the catalog and the info dictionary.
 * Out: the file on a stdio stream, written as the objects come (a
 *     stream at once, the other objects an object stream at a time), so
 *     that a document of any size is never held whole; the same objects
 *     handed over in the same order always give the same bytes (/ID is a
 *     digest of the objects, not of the clock).
 * The caller numbers objects 1, 2, 3 ... with no gaps, in any order of
 * calls; pdf_pack adds its last object streams and the cross-reference
 * stream after them.  It calls nothing else of the writer but
 * pdf_buf.h. */
#ifndef PDFGEN_PDF_PACK_H
#define PDFGEN_PDF_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct PdfPack PdfPack;

/* What a stream holds, which decides its compression. */
typedef enum {
    PACK_RAW,      /* stored as it is (XMP metadata) */
    PACK_CONTENT,  /* page content: operators and text */
    PACK_FONT,     /* embedded font programs */
    PACK_CMAP,     /* ToUnicode CMaps */
    PACK_OTHER,    /* any other compressed stream */
    PACK_KINDS
} PackKind;

/* Writes the header to f, which stays the caller's to close. */
PdfPack *pack_new(FILE *f);
void pack_free(PdfPack *p);

/* Object number num (from 1): a non-stream value, e.g. "<</Type/Page...>>",
 * kept for an object stream. */
void pack_object(PdfPack *p, uint32_t num, const char *value, size_t len);
/* A stream, written at once: dict holds its entries without the
 * brackets, /Length and /Filter, which are added here; data is
 * uncompressed. */
void pack_stream(PdfPack *p, uint32_t num, const char *dict, size_t dict_len,
                 const void *data, size_t len, PackKind kind);

/* Enough objects wait to fill an object stream. */
bool pack_objects_full(const PdfPack *p);
/* Writes the waiting objects as object streams now, each numbered by
 * number(ctx) (a number the caller sets aside, among its own). */
void pack_flush_objects(PdfPack *p, uint32_t (*number)(void *ctx), void *ctx);

/* Writes the last object streams and the cross-reference stream: 0; -1
 * with errno set when writing to f failed; -2 when an object number was
 * left out or compression failed (reported through diag).  The caller removes
 * the file unless it got 0. */
int pack_finish(PdfPack *p, uint32_t root, uint32_t info);

#endif
