/* booklet.h — a language's booklet for print runs: out/<lang>/all.pdf.
 * In: the content, one language, the paper size; a Shaper for the
 *     language.
 * Out: one Document: a cover (the series, the sheets' title as H1, the
 *     draft notice, and a numbered contents list of the sheets and the
 *     glossary), then every sheet of the language in the language's
 *     collation order of the drug names, then the glossary, each laid out
 *     exactly as on its own and starting on an odd page (a blank page
 *     before it when needed, for duplex printers).  Bookmarks nest
 *     booklet > sheet (or glossary) > section; page labels restart with
 *     each part ("Sunitinib 1", "Sunitinib 2", ...; the cover "i").  The
 *     parts' document trees become Sect elements under one Document, so
 *     the tags and links are those of the sheets; in addition the first use
 *     of each glossary term in a sheet links to its entry in the glossary.
 * Returns NULL when a part cannot be made (reported through
 * diag_error()). */
#ifndef PDFGEN_BOOKLET_H
#define PDFGEN_BOOKLET_H

#include "arena.h"
#include "flow.h"
#include "model.h"
#include "pages.h"
#include "text.h"

typedef struct BookletRequest {
    const Content *content;
    const Language *language;
    Paper paper;
    const char *creator;
} BookletRequest;

Document *booklet_document(Arena *arena, Shaper *shaper, const BookletRequest *request);

/* Documents laid out on their own, one after the other in one Document,
 * each starting on an odd page; their trees grafted as Sects under a new
 * Document root (lang, dir).  titles[i] is part i's outline entry (level
 * 1, under a level-0 entry top_title), its own bookmarks go one level
 * below; prefixes[i] its page label prefix (NULL for roman numbers).
 * Generic: any documents laid out with the same page size. */
Document *booklet_join(Arena *arena, Document *const *parts, size_t count,
                       const char *top_title, const char *const *titles,
                       const char *const *prefixes);

#endif
