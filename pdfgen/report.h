/* report.h — diagnostics that name their language, drug and field, and
 * `pdfgen check --format json`.
 * In: reports (report_diag, and every diag.h line while collecting).
 * Out: the usual `file:line:col: error|warning: message` lines, or, when
 *     collecting, one JSON document (README, "Translation review"):
 *     {"version":1,"errors":N,"warnings":N,
 *      "diagnostics":[{"file","line","column","severity","message",
 *                      "language","drug","field"}],
 *      "languages":[{"code","status","reviewer","date",
 *                    "sheets":[{"drug","status","reviewer","date"}],
 *                    "glossary":{"status","reviewer","date"}|null}]}
 *     with null for what does not apply. */
#ifndef PDFGEN_REPORT_H
#define PDFGEN_REPORT_H

#include <stdio.h>

#include "diag.h"
#include "model.h"

typedef enum ReportSeverity { REPORT_WARNING, REPORT_ERROR } ReportSeverity;

/* language, drug and field may be NULL. */
void report_diag(ReportSeverity severity, const SourcePos *pos, const char *language,
                 const char *drug, const char *field, const char *fmt, ...)
    PDFGEN_PRINTF(6, 7);

/* From now on diagnostics are collected instead of printed; content_dir
 * lets a file name say its language and drug. */
void report_json_start(const char *content_dir);
/* Writes the document (content may be NULL: no languages), stops
 * collecting and frees what was collected.  Returns 0, or -1 when f
 * failed. */
int report_json_finish(FILE *f, const Content *content);

#endif
