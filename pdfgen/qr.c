/* qr.c — QR codes with libqrencode.  See qr.h. */
#include "qr.h"

#include <errno.h>
#include <qrencode.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "diag.h"
#include "kept.h"

/* The codes made last, kept for the process: a booklet shows again the
 * QR code of every sheet just built, and libqrencode tries all eight
 * masks on each (1% of a whole build).  A few are enough: a language's
 * sheets come just before its booklet. */
enum { QR_KEPT = 16 };
static struct {
    char *text;
    unsigned char *modules;
    unsigned side;
} qr_kept[QR_KEPT];
static KeptRing qr_ring;

static void free_one_qr_kept(size_t i)
{
    free(qr_kept[i].text);
    free(qr_kept[i].modules);
}

static void free_qr_kept(void)
{
    for (size_t i = 0; i < qr_ring.count; i++)
        free_one_qr_kept(i);
    qr_ring.count = qr_ring.next = 0;
}

static void keep_qr(const char *text, const unsigned char *modules, unsigned side)
{
    bool evict;
    size_t i = kept_slot(&qr_ring, QR_KEPT, free_qr_kept, &evict);
    if (evict)
        free_one_qr_kept(i);
    qr_kept[i].text = xstrdup(text);
    qr_kept[i].modules = xmalloc((size_t)side * side);
    memcpy(qr_kept[i].modules, modules, (size_t)side * side);
    qr_kept[i].side = side;
}

const unsigned char *qr_modules(Arena *arena, const Text *text, unsigned *side)
{
    for (size_t i = 0; i < qr_ring.count; i++)
        if (strcmp(qr_kept[i].text, text->utf8) == 0) {
            unsigned n = qr_kept[i].side;
            unsigned char *modules = arena_array(arena, (size_t)n * n, 1);
            memcpy(modules, qr_kept[i].modules, (size_t)n * n);
            *side = n;
            return modules;
        }
    errno = 0;
    QRcode *code = QRcode_encodeString8bit(text->utf8, 0, QR_ECLEVEL_M);
    if (!code || code->width <= 0) {
        diag_error(&text->pos, "cannot make a QR code of '%s': %s", text->utf8,
                   errno ? strerror(errno) : "libqrencode failed");
        if (code)
            QRcode_free(code);
        return NULL;
    }
    unsigned n = (unsigned)code->width;
    unsigned char *modules = arena_array(arena, (size_t)n * n, 1);
    /* libqrencode: bit 0 of each byte is the module's colour (1 dark). */
    for (size_t i = 0; i < (size_t)n * n; i++)
        modules[i] = code->data[i] & 1;
    QRcode_free(code);
    keep_qr(text->utf8, modules, n);
    *side = n;
    return modules;
}
