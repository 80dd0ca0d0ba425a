/* house.h — the service's house style, shared by every template (sheet.c,
 * glossary.c, booklet.c): its colours and the draft-translation notice box.
 * In: a Note node of a document tree.  Out: that node decorated and kept
 * whole.  One place, so the notice looks the same on every page a
 * patient is handed. */
#ifndef PDFGEN_HOUSE_H
#define PDFGEN_HOUSE_H

#include "tree.h"

#define INK {0.10f, 0.11f, 0.12f}
#define BRAND {0.04f, 0.30f, 0.42f}
#define MUTED {0.33f, 0.35f, 0.38f}
#define WHITE {1.0f, 1.0f, 1.0f}
#define BAND_TINT {0.80f, 0.90f, 0.94f}
#define HELP_FILL {0.91f, 0.95f, 0.97f}
#define DRAFT_FILL {1.0f, 0.96f, 0.84f}
#define DRAFT_EDGE {0.78f, 0.56f, 0.0f}

/* The draft notice: an amber box with a rule, never split across pages. */
static inline void house_draft_notice(Node *note)
{
    note->deco = (Decoration){.pad = 10, .fill = true, .fill_color = DRAFT_FILL,
                              .line_width = 1, .stroke = DRAFT_EDGE, .radius = 4};
    note->keep_together = true;
}

#endif
