/* house.h — the service's house style, shared by every template (sheet.c,
 * glossary.c, booklet.c): its colours and the band on a draft or
 * out-of-date translation.
 * In: a document tree, the language and its review status (review.h).
 * Out: the band, added to the tree.  One place, so the band looks the
 * same on every page a patient is handed. */
#ifndef PDFGEN_HOUSE_H
#define PDFGEN_HOUSE_H

#include "pages.h"
#include "review.h"
#include "tree.h"

#define INK {0.10f, 0.11f, 0.12f}
#define BRAND {0.04f, 0.30f, 0.42f}
#define MUTED {0.33f, 0.35f, 0.38f}
#define WHITE {1.0f, 1.0f, 1.0f}
#define BAND_TINT {0.80f, 0.90f, 0.94f}
#define HELP_FILL {0.91f, 0.95f, 0.97f}
/* The band must survive a grayscale printer: a heavy near-black border
 * and a light gray ground, not a colour that prints as white. */
#define BAND_FILL {0.90f, 0.90f, 0.90f}
#define BAND_EDGE {0.0f, 0.0f, 0.0f}

/* Adds to parent, for a draft and/or stale translation, a band kept
 * whole: what it is in bold, in the language's own words and then in
 * English (each line tagged with its language), then notice (the draft
 * notice; NULL or absent for none) in the style text.  Returns the band,
 * or NULL when status needs none (English, or reviewed and current). */
Node *house_review_band(Tree *tree, Node *parent, const Language *language, const ReviewStatus *status,
                        const Text *notice, TypeStyle text, double space_before);

/* The PDF's Keywords for a draft or stale translation: its band's words,
 * English first; NULL when it needs no band. */
const char *house_review_keywords(Arena *arena, const Language *language,
                                  const ReviewStatus *status);

/* A document's Info and XMP: title and subject as given, the language's
 * author and locale, creator, date (NULL for none), and its review status
 * with the Keywords that go with it. */
DocInfo house_document_info(Arena *arena, const Language *language, const ReviewStatus *review,
                            const char *title, const char *subject, const char *creator,
                            const Date *date);

#endif
