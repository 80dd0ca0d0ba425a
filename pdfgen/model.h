/* model.h — the content model: what the loader (content.c) produces and
 * every later stage reads.  Every value remembers where it came from
 * (file, line, column) so that an error found late — a character no font
 * has, say — still points the editor at the exact spot in the YAML.
 *
 * Ownership: a Content owns everything reachable from it, including the
 * file-name strings that SourcePos points at.  Free with content_free(). */
#ifndef PDFGEN_MODEL_H
#define PDFGEN_MODEL_H

#include <stddef.h>

typedef struct SourcePos {
    const char *file; /* owned by the Content; NULL for generated text */
    unsigned line;    /* 1-based */
    unsigned col;     /* 1-based, counted in characters (libyaml's mark) */
} SourcePos;

/* A piece of UTF-8 text from the YAML.  utf8 == NULL means "absent"
 * (only possible for optional keys). */
typedef struct Text {
    char *utf8;
    SourcePos pos;
} Text;

typedef struct TextList {
    Text *items;
    size_t count;
    SourcePos pos; /* where the sequence starts */
} TextList;

typedef struct Date {
    int year, month, day;
    SourcePos pos;
} Date;

/* A translated file's review: its status and the English it was made
 * from, one digest per English field (review.h says how they are made).
 * English is the source and has neither. */
typedef struct SourceDigest {
    Text field;  /* "how_it_works", "labels.references", "terms.anemia" */
    Text digest; /* 16 lowercase hex digits */
} SourceDigest;

typedef struct Review {
    Text status;   /* "draft" or "reviewed"; utf8 NULL when there is no review: */
    Text reviewer; /* who reviewed it (with status reviewed) */
    Date date;     /* when (with status reviewed); year 0 when absent */
    SourceDigest *sources; /* the source: mapping, in file order */
    size_t source_count;
    SourcePos source_pos;  /* the source: mapping; file NULL when there is none */
} Review;

typedef struct Reference {
    Text id;
    Text text;
} Reference;

/* content/<lang>/strings.yaml.  Templates may contain {drug}, {date},
 * {page} and {pages}; the loader checks that only the placeholders allowed
 * for each key are used. */
typedef struct Strings {
    Text language;       /* must equal the folder name, e.g. "es" */
    Text locale;         /* BCP 47 tag for /Lang and ICU, e.g. "es-US" */
    Text language_name;  /* the language's own name, e.g. "Español" */
    Text draft_notice;   /* optional: shown on every sheet when present */
    Text series;         /* small line above the title, e.g. "Cancer drug fact sheet" */
    Text sheet_title;    /* "Targeted Drugs for Pancreatic Neuroendocrine Tumors" */
    Text author;         /* PDF /Author */
    Text subject;        /* PDF /Subject template, may use {drug} */
    Text drug_class_label;          /* template: "Drug type: {class}", the
                                       words before {class} set in bold */
    Text label_targeted_drugs;      /* section headings */
    Text label_how_it_works;        /* may use {drug} */
    Text label_how_it_is_taken;
    Text label_who_it_is_for;
    Text label_common_side_effects;
    Text label_serious_side_effects;
    Text label_references;
    Text helpline_heading;
    Text helpline_text;
    Text helpline_phone;
    Text helpline_reach; /* how the helpline can be reached (phone, chat, video) */
    Text disclaimer;
    Text last_revised;   /* template with {date} */
    Text page_of;        /* template with {page} and {pages} */
    Text booklet;        /* optional: the booklet's link text on the catalog page */
    Text online;         /* optional: the label of a sheet's web address and QR code */
    /* Optional, for languages ICU has no calendar data for (Haitian
     * Creole): the month names and a template with {day} {month} {year}. */
    TextList month_names;
    Text date_format;
    /* Optional: the digits every number pdfgen writes on the language's
     * sheets uses (a CLDR numbering system: latn, arab, deva, ...); by
     * default CLDR's for the locale. */
    Text digits;
    /* The band on a draft or out-of-date translation, in the language's
     * own words; English gives the English line every band repeats. */
    Text draft_band;
    Text stale_band;
    Review review;
} Strings;

typedef struct Drug {
    Text id;            /* equals the file name without .yaml */
    Text name;
    Text drug_class;
    Text targeted_drugs; /* what targeted drugs are */
    Text how_it_works;
    Text how_it_is_taken;
    Text who_it_is_for; /* optional */
    TextList common_side_effects;
    TextList serious_side_effects;
    Date last_revised;
    TextList references; /* ids into Content.references */
    Text url;            /* optional: the sheet's online version (https://), as a QR code */
    Review review;
} Drug;

/* content/<lang>/glossary.yaml: "Words to know".  Ids are the same in
 * every language that has a glossary. */
typedef struct GlossaryTerm {
    Text id;         /* e.g. "angiogenesis": stable across languages */
    Text term;       /* as it is shown, e.g. "Angiogénesis" */
    Text reading;    /* optional: what the term is sorted by (Japanese kana) */
    Text definition;
} GlossaryTerm;

typedef struct Glossary {
    Text title;        /* "Words to know" */
    Text draft_notice; /* optional, as in strings.yaml */
    Text intro;
    GlossaryTerm *terms; /* in file order; the template sorts them */
    size_t term_count;
    const char *file;    /* NULL when the language has no glossary.yaml */
    Review review;
} Glossary;

typedef struct Language {
    char *code; /* folder name */
    /* English, the source a translation is made from; NULL for English
     * itself and when the content has no English. */
    const struct Language *source;
    Strings strings;
    Glossary glossary;
    Drug *drugs; /* sorted by id */
    size_t drug_count;
} Language;

typedef struct Content {
    Language *languages; /* sorted by code */
    size_t language_count;
    Reference *references; /* in file order */
    size_t reference_count;
    char **files; /* every file name a SourcePos may point at */
    size_t file_count;
} Content;

#endif
