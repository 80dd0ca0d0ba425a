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
/* The first use of each glossary term in tree (a sheet's, before layout)
 * becomes a Link to the term's entry: the named destination
 * "glossary-<id>" that glossary_tree anchors at each term.  A use is the
 * term without its parenthesis ("Chemotherapy (chemo)": "chemotherapy"),
 * found by ICU string search at primary strength (any case or accent),
 * the longest at the earliest place; only in running text of the
 * document's language (not headings, the title band, notes, boxes,
 * furniture or the English citations).  Returns -1 when ICU fails
 * (reported). */
int glossary_link_first_uses(Tree *tree, const Language *language);
/* The same for many sheets of one language (a booklet): the collator and
 * the terms' searches are made once, by glossary_linker_open (NULL when
 * ICU fails, reported), and serve every glossary_link_with until
 * glossary_linker_close. */
typedef struct GlossaryLinker GlossaryLinker;
GlossaryLinker *glossary_linker_open(const Language *language);
int glossary_link_with(Tree *tree, GlossaryLinker *linker);
void glossary_linker_close(GlossaryLinker *linker);
/* The first use of term number `term` in text (UTF-8), as ICU's usearch
 * (usearch_first, the linker's collator) finds it: 1 and the byte range
 * [*begin, *end), 0 when there is none, -1 when ICU fails (reported).
 * glossary_link_with links what this finds; tests compare it with usearch. */
int glossary_linker_find(GlossaryLinker *linker, size_t term, const char *text, size_t *begin,
                         size_t *end);
Document *glossary_document(Arena *arena, Shaper *shaper, const GlossaryRequest *request);

#endif
