/* catalog.h — out/index.html: the catalog page of every language's PDFs.
 * In: the content, and the documents a build wrote (their page counts;
 *     their sizes are read from the files).
 * Out: one static HTML page (no script, relative links, so it works from
 *     file:// and from any web server): every language under its own
 *     name as ICU gives it in that language (the strings' language_name
 *     when ICU has no data for it) with its English name beside it, in
 *     alphabetical order of the English names, which the page says; under
 *     each, the draft notice, its sheets (localized title, pages, size) in
 *     the language's collation order of the drug names, its glossary and
 *     its booklet.  Every element in another language than the page's
 *     English carries lang, right-to-left ones dir="rtl".  Readable on a
 *     phone (one column, viewport) and printable (print styles).
 *     Written to a temporary file and renamed into place.
 * Returns 0, or -1 when the page cannot be written (reported). */
#ifndef PDFGEN_CATALOG_H
#define PDFGEN_CATALOG_H

#include <stddef.h>

#include "model.h"

typedef struct CatalogItem {
    const Language *language;
    char *stem;   /* "sunitinib", "glossary", "all" */
    size_t pages;
} CatalogItem;

typedef struct Catalog {
    CatalogItem *items;
    size_t count, cap;
} Catalog;

/* Records a written document; stem is copied. */
void catalog_add(Catalog *catalog, const Language *language, const char *stem, size_t pages);
void catalog_free(Catalog *catalog);

int catalog_write(const Content *content, const Catalog *catalog, const char *out_dir,
                  const char *creator, unsigned file_mode);

#endif
