/* format.h — locale formats (ICU) and template expansion.
 * In: a locale and a date, number or template with named values.
 * Out: arena strings: "August 17, 2021" / "17 de agosto de 2021", numbers
 *     in the locale's digits, "Page 1 of 2" from "Page {page} of {pages}". */
#ifndef PDFGEN_FORMAT_H
#define PDFGEN_FORMAT_H

#include "arena.h"
#include "model.h"

/* Long date in the language's own words: from the strings' month_names
 * and date_format when given, else from ICU's data for the locale.  NULL
 * (reported) when ICU has no data for the language and the strings give
 * no format, rather than print a date in some other language. */
char *format_date(Arena *arena, const Strings *strings, const Date *date);
/* value in the locale's own digits (CLDR's default numbering system).
 * When ICU cannot format it, that is reported (diag_error) rather than
 * hidden behind Western digits, and "" is returned so the caller can go
 * on to find further problems; build does not write a sheet whose layout
 * reported an error. */
char *format_number(Arena *arena, const char *locale, long value);
/* The same without grouping ("1827", not "1,827"), as a page number is
 * printed and as a viewer shows a page label. */
char *format_page_number(Arena *arena, const char *locale, long value);

/* The locale numbers and dates are formatted in for a language: its
 * locale, with the strings' digit system when they choose one
 * ("ar@numbers=latn"). */
const char *format_locale(Arena *arena, const Strings *strings);

/* Replace each {name} by the value given for it; names not listed are left
 * as they are (the loader has already rejected unknown placeholders).
 * A placeholder may appear any number of times ("{date} ... {date}"): the
 * result is sized exactly, by a first pass over the template. */
char *format_template(Arena *arena, const char *template_utf8, const char *const *names,
                      const char *const *values, size_t count);

#endif
