/* review.h — is a translation medically reviewed, and was it made from the
 * English as it is now?
 * In: a loaded Content.  Each translated file (strings.yaml, <drug>.yaml,
 *     glossary.yaml) says `review: {status: draft | reviewed, reviewer,
 *     date}` and records under `source:` the digest of every English field
 *     it was translated from.  English is the source: it has neither.
 * Out: each sheet's, glossary's and booklet's status (draft, reviewed,
 *     stale), the problems `pdfgen check` reports, and the reasons
 *     `pdfgen build --release` refuses.
 *
 * The digest of a field: its text in NFC with every run of spaces, tabs
 * and line breaks made one space and the ends trimmed (so reflowing the
 * YAML changes nothing), SHA-256, the first 16 hex digits.  A list is
 * digested whole, its normalized items joined by line breaks; a glossary
 * term ("terms.<id>") is its term and definition joined the same way.
 * Field names are the keys as written, nested ones with a dot:
 * "how_it_works", "labels.references", "helpline.text". */
#ifndef PDFGEN_REVIEW_H
#define PDFGEN_REVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

enum { REVIEW_DIGEST_HEX = 16 };

/* The digest of one text, or of a list (items == count texts). */
void review_digest(const char *const *texts, size_t count, char hex[REVIEW_DIGEST_HEX + 1]);
/* The normalized form digested: NFC, whitespace runs as one space,
 * trimmed.  Returns a malloc'ed string the caller frees. */
char *review_normalize(const char *utf8);

typedef struct ReviewStatus {
    bool source;          /* English: the source, neither reviewed nor stale */
    bool draft;           /* a file it is made of is not reviewed */
    bool stale;           /* the English of some field changed since */
    const char *reviewer; /* the main file's reviewer when reviewed, else NULL */
    Date date;            /* the main file's review date; year 0 when none */
} ReviewStatus;

/* "source", "reviewed", "draft" or "stale" (stale outranks draft). */
const char *review_status_name(const ReviewStatus *status);

/* A sheet: its drug file with its language's strings.yaml.  This is the
 * call for anything that needs a (language, drug)'s status (the manifest). */
ReviewStatus review_sheet_status(const Language *language, const Drug *drug);
/* glossary.yaml with strings.yaml. */
ReviewStatus review_glossary_status(const Language *language);
/* Every file of the language: its booklet and its catalog entry. */
ReviewStatus review_language_status(const Language *language);

/* The fields a translated file is made from, as English has them now:
 * what `pdfgen stamp` records.  Free with review_fields_free. */
typedef enum ReviewFileKind { REVIEW_STRINGS, REVIEW_DRUG, REVIEW_GLOSSARY } ReviewFileKind;
typedef struct ReviewField {
    char *name;
    char digest[REVIEW_DIGEST_HEX + 1];
} ReviewField;
size_t review_english_fields(const Language *language,
                             ReviewFileKind kind, const Drug *drug, ReviewField **out);
void review_fields_free(ReviewField *fields, size_t count);

/* What a review: or source: block says that cannot be right (an unknown
 * status, reviewed without reviewer or date, a malformed digest, a digest
 * of a field no file of its kind has, English with a review): errors
 * through diag_error, for every command; when stamping, not the digests
 * and fields stamp repairs.  Returns the number reported. */
unsigned review_validate(const Content *content, bool stamping);

/* The files a report covers: languages and drugs (NULL for all), and
 * whether glossaries are included (a build of named drugs writes none). */
typedef struct ReviewScope {
    const char *const *languages;
    size_t language_count;
    const char *const *drugs;
    size_t drug_count;
    bool glossaries;
} ReviewScope;

/* `check`: every draft, stale field, missing or extra translated field,
 * as warnings (through report.h, so they carry their language, drug and
 * field).  `build --release` (release true): the reasons each file in
 * scope may not be printed, as errors.  Returns the number reported. */
unsigned review_report(const Content *content, const ReviewScope *scope, bool release);

#endif
