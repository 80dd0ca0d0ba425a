/* glossary.h — the "Words to know" template.
 * In: one language's glossary (model.h) and strings, the paper size; a
 *     Shaper for the language.
 * Out: glossary_tree: the document tree (tree.h): the title (H1), the
 *     draft notice (Note) when the translation is a draft, a short
 *     introduction, then one Sect per letter of the language's index
 *     (collate.h: ICU's index characters, terms in the language's
 *     collation order, a Japanese term by its reading) with the letter as
 *     its H2 (and bookmark), and in it one Sect per term: the term (P, in
 *     bold) and its definition (P); page furniture as on the sheets.
 *     glossary_document: that tree laid out by the flow engine, with the
 *     document's title, author, subject, language and dates (the latest
 *     revision of the language's sheets).
 * Both return NULL when the glossary cannot be made (reported through
 * diag_error()), or when the language has no glossary (not an error:
 * check language->glossary.file first). */
#ifndef PDFGEN_GLOSSARY_H
#define PDFGEN_GLOSSARY_H

#include "arena.h"
#include "flow.h"
#include "model.h"
#include "pages.h"
#include "text.h"
#include "tree.h"

typedef struct GlossaryRequest {
    const Language *language;
    Paper paper;
    const char *creator;
} GlossaryRequest;

Tree *glossary_tree(Arena *arena, const GlossaryRequest *request);
Document *glossary_document(Arena *arena, Shaper *shaper, const GlossaryRequest *request);

#endif
