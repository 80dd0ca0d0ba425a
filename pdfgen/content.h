/* content.h — load and validate content/ (libyaml).
 * In: a content directory holding references.yaml and <lang>/strings.yaml,
 *     <lang>/<drug>.yaml for each language.
 * Out: a Content (model.h).  Every problem — YAML syntax, invalid UTF-8,
 *     wrong type, missing, unknown or duplicate key, bad date, unknown
 *     reference, bad placeholder — is reported through diag_error() with its
 *     file:line:col; loading goes on so that one run reports them all.
 *     The caller checks diag_error_count().  Returns NULL only when the
 *     directory itself cannot be read (also reported). */
#ifndef PDFGEN_CONTENT_H
#define PDFGEN_CONTENT_H

#include <stdbool.h>

#include "model.h"

Content *content_load(const char *dir);
/* The same, but only the languages named in wanted (NULL: all), and
 * English, the source of every translation (review.h), are parsed and
 * kept; every language folder is still listed, so a missing
 * strings.yaml or a drug without a sheet in some language is reported as
 * by content_load.  Checks across languages' parsed files (the glossaries'
 * terms) see only the languages loaded. */
Content *content_load_languages(const char *dir, const char *const *wanted, size_t wanted_count);
void content_free(Content *content);

const Language *content_language(const Content *content, const char *code);
const Drug *language_drug(const Language *language, const char *id);
/* The newest last_revised of the language's drugs; NULL when it has none. */
const Date *language_last_revised(const Language *language);
const Reference *content_reference(const Content *content, const char *id);
/* May the byte stand in a URI as it is (RFC 3986's characters, '%' of a
 * percent-escape included)? */
bool content_uri_char(int c);

#endif
