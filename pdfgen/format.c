/* format.c — dates, numbers and templates.  See format.h. */
#include "format.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/udat.h>
#include <unicode/uloc.h>
#include <unicode/unum.h>
#include <unicode/ustring.h>

#include "alloc.h"
#include "diag.h"
#include "kept.h"

/* NULL, with the reason in *status, when ICU cannot convert (only text
 * that is not valid UTF-16, which ICU's own output never is). */
static char *utf16_to_arena(Arena *arena, const UChar *s, int32_t n, UErrorCode *status)
{
    int32_t len = 0;
    u_strToUTF8(NULL, 0, &len, s, n, status);
    if (*status == U_BUFFER_OVERFLOW_ERROR)
        *status = U_ZERO_ERROR;
    if (U_FAILURE(*status))
        return NULL;
    char *out = arena_alloc(arena, (size_t)len + 1);
    u_strToUTF8(out, len + 1, NULL, s, n, status);
    return U_SUCCESS(*status) ? out : NULL;
}

static char *format_date_from_strings(Arena *arena, const Strings *strings, const Date *date)
{
    const char *names[] = {"day", "month", "year"};
    const char *values[] = {arena_printf(arena, "%d", date->day),
                            strings->month_names.items[date->month - 1].utf8,
                            arena_printf(arena, "%d", date->year)};
    return format_template(arena, strings->date_format.utf8, names, values, 3);
}

/* ICU quietly falls back to another language for a locale it has no data
 * for (Haitian Creole gets French month names through its CLDR parent
 * fr_HT); compare languages to notice.  CLDR also aliases one language to
 * another, which is not a fallback: Tagalog is served by the Filipino
 * data.  ICU's C API exposes no alias lookup, so the aliases pdfgen's
 * languages meet are listed here. */
static int icu_speaks(UDateFormat *fmt, const char *locale)
{
    static const char *const aliases[][2] = {{"tl", "fil"}};
    UErrorCode status = U_ZERO_ERROR;
    char wanted[16], got[16];
    uloc_getLanguage(locale, wanted, sizeof wanted, &status);
    const char *valid = udat_getLocaleByType(fmt, ULOC_VALID_LOCALE, &status);
    uloc_getLanguage(valid ? valid : "", got, sizeof got, &status);
    if (U_FAILURE(status))
        return 0;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(wanted, aliases[i][0]) == 0 && strcmp(got, aliases[i][1]) == 0)
            return 1;
    return strcmp(wanted, got) == 0;
}

/* The dates ICU wrote, kept for the process: opening its calendar and
 * date format costs some 350,000 instructions, and every sheet of a
 * language (and its booklet) writes the same few dates. */
enum { DATES_KEPT = 16 };
static struct {
    char *locale, *text;
    int year, month, day;
} dates_kept[DATES_KEPT];
static KeptRing dates_ring;

static void free_date_kept(size_t i)
{
    free(dates_kept[i].locale);
    free(dates_kept[i].text);
}

static void free_dates_kept(void)
{
    for (size_t i = 0; i < dates_ring.count; i++)
        free_date_kept(i);
    dates_ring.count = dates_ring.next = 0;
}

static const char *date_kept(const char *locale, const Date *date)
{
    for (size_t i = 0; i < dates_ring.count; i++)
        if (dates_kept[i].year == date->year && dates_kept[i].month == date->month &&
            dates_kept[i].day == date->day && strcmp(dates_kept[i].locale, locale) == 0)
            return dates_kept[i].text;
    return NULL;
}

static void keep_date(const char *locale, const Date *date, const char *text)
{
    bool evict;
    size_t i = kept_slot(&dates_ring, DATES_KEPT, free_dates_kept, &evict);
    if (evict)
        free_date_kept(i);
    dates_kept[i].locale = xstrdup(locale);
    dates_kept[i].text = xstrdup(text);
    dates_kept[i].year = date->year;
    dates_kept[i].month = date->month;
    dates_kept[i].day = date->day;
}

char *format_date(Arena *arena, const Strings *strings, const Date *date)
{
    if (strings->date_format.utf8 && strings->month_names.count == 12)
        return format_date_from_strings(arena, strings, date);
    const char *locale = format_locale(arena, strings);
    const char *kept = date_kept(locale, date);
    if (kept)
        return arena_strndup(arena, kept, strlen(kept));
    UErrorCode status = U_ZERO_ERROR;
    UChar utc[] = {'U', 'T', 'C', 0};
    UCalendar *cal = ucal_open(utc, -1, locale, UCAL_GREGORIAN, &status);
    UDateFormat *fmt = udat_open(UDAT_NONE, UDAT_LONG, locale, utc, -1, NULL, 0, &status);
    char *out = NULL;
    if (U_SUCCESS(status) && !icu_speaks(fmt, locale)) {
        diag_error(&strings->locale.pos,
                   "ICU has no date format for '%s'; add 'month_names' and 'date_format' "
                   "to this strings.yaml", locale);
        udat_close(fmt);
        ucal_close(cal);
        return NULL;
    }
    if (U_SUCCESS(status)) {
        ucal_clear(cal);
        ucal_setDate(cal, date->year, date->month - 1, date->day, &status);
        UDate when = ucal_getMillis(cal, &status);
        UChar buf[128];
        int32_t n = udat_format(fmt, when, buf, 128, NULL, &status);
        if (U_SUCCESS(status))
            out = utf16_to_arena(arena, buf, n, &status);
        if (out)
            keep_date(locale, date, out);
    }
    if (!out)
        diag_error(&date->pos, "cannot format the date for locale '%s': %s", locale,
                   u_errorName(status));
    if (fmt)
        udat_close(fmt);
    if (cal)
        ucal_close(cal);
    return out;
}

const char *format_locale(Arena *arena, const Strings *strings)
{
    if (!strings->digits.utf8)
        return strings->locale.utf8;
    return arena_printf(arena, "%s@numbers=%s", strings->locale.utf8, strings->digits.utf8);
}

/* The number formatters of the locales met, with and without grouping,
 * kept for the process: opening one costs some 30,000 instructions, a sheet
 * numbers every page twice and every reference, and a booklet prints
 * thousands of page numbers.  A formatter keeps nothing from one number to
 * the next; pdfgen runs its jobs in processes, not threads. */
enum { NUMBER_FORMATS = 8 };
static struct {
    char *locale;
    bool grouping;
    UNumberFormat *fmt;
} number_formats[NUMBER_FORMATS];
static KeptRing number_formats_ring;

static void free_number_format(size_t i)
{
    free(number_formats[i].locale);
    unum_close(number_formats[i].fmt);
}

static void free_number_formats(void)
{
    for (size_t i = 0; i < number_formats_ring.count; i++)
        free_number_format(i);
    number_formats_ring.count = number_formats_ring.next = 0;
}

/* The formatter for locale, grouping digits or not, opened when first
 * asked for (the oldest of a full cache closed); NULL with the reason in
 * *status. */
static UNumberFormat *number_format(const char *locale, bool grouping, UErrorCode *status)
{
    for (size_t i = 0; i < number_formats_ring.count; i++)
        if (number_formats[i].grouping == grouping && strcmp(number_formats[i].locale, locale) == 0)
            return number_formats[i].fmt;
    UNumberFormat *fmt = unum_open(UNUM_DECIMAL, NULL, 0, locale, NULL, status);
    if (U_SUCCESS(*status) && !grouping)
        unum_setAttribute(fmt, UNUM_GROUPING_USED, 0);
    if (U_FAILURE(*status)) {
        if (fmt)
            unum_close(fmt);
        return NULL;
    }
    bool evict;
    size_t i = kept_slot(&number_formats_ring, NUMBER_FORMATS, free_number_formats, &evict);
    if (evict)
        free_number_format(i);
    number_formats[i].locale = xstrdup(locale);
    number_formats[i].grouping = grouping;
    number_formats[i].fmt = fmt;
    return fmt;
}

static char *format_integer(Arena *arena, const char *locale, long value, bool grouping)
{
    UErrorCode status = U_ZERO_ERROR;
    UNumberFormat *fmt = number_format(locale, grouping, &status);
    UChar buf[64];
    int32_t n = U_SUCCESS(status) ? unum_formatInt64(fmt, value, buf, 64, NULL, &status) : 0;
    char *out = U_SUCCESS(status) ? utf16_to_arena(arena, buf, n, &status) : NULL;
    if (out)
        return out;
    /* Western digits in place of the locale's would be a quietly different
     * sheet; report it, and give the caller text it can carry on with. */
    diag_error(NULL, "cannot format the number %ld for locale '%s': %s", value, locale,
               u_errorName(status));
    return arena_strndup(arena, "", 0);
}

char *format_number(Arena *arena, const char *locale, long value)
{
    return format_integer(arena, locale, value, true);
}

char *format_page_number(Arena *arena, const char *locale, long value)
{
    return format_integer(arena, locale, value, false);
}

/* Which of names is written "{name}" at template[i]: its index, or count
 * when none is. */
static size_t placeholder_at(const char *template_utf8, size_t i, const char *const *names,
                             size_t count)
{
    if (template_utf8[i] != '{')
        return count;
    for (size_t k = 0; k < count; k++) {
        size_t n = strlen(names[k]);
        if (strncmp(template_utf8 + i + 1, names[k], n) == 0 && template_utf8[i + 1 + n] == '}')
            return k;
    }
    return count;
}

/* Both passes walk the template the same way, so the first gives the exact
 * size the second writes, however often a placeholder repeats. */
static size_t expand(const char *template_utf8, const char *const *names,
                     const char *const *values, size_t count, char *out)
{
    size_t o = 0;
    for (size_t i = 0; template_utf8[i];) {
        size_t k = placeholder_at(template_utf8, i, names, count);
        if (k < count) {
            size_t n = strlen(values[k]);
            if (n > SIZE_MAX - 1 - o)
                oom_abort();
            if (out)
                memcpy(out + o, values[k], n);
            o += n;
            i += strlen(names[k]) + 2;
        } else {
            if (out)
                out[o] = template_utf8[i];
            o++;
            i++;
        }
    }
    if (out)
        out[o] = '\0';
    return o;
}

char *format_template(Arena *arena, const char *template_utf8, const char *const *names,
                      const char *const *values, size_t count)
{
    size_t len = expand(template_utf8, names, values, count, NULL);
    char *out = arena_alloc(arena, len + 1);
    expand(template_utf8, names, values, count, out);
    return out;
}
