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
 * masks on each (0.57 M instructions a code).  A language's sheets come
 * just before its booklet, so the ring holds a language's codes for up
 * to QR_KEPT drugs (16 missed at 200); one bit a module, each entry its
 * text and its bits in one block, 150 bytes for a 42-byte address (29
 * modules a side): about 40 KB at most, however many sheets. */
enum { QR_KEPT = 256 };
static struct {
    char *text; /* followed in its block by the modules, one bit each */
    unsigned char *bits;
    unsigned side;
} qr_kept[QR_KEPT];
static KeptRing qr_ring;

static void free_qr_kept(void)
{
    for (size_t i = 0; i < qr_ring.count; i++)
        free(qr_kept[i].text);
    qr_ring.count = qr_ring.next = 0;
}

static void keep_qr(const char *text, const unsigned char *modules, unsigned side)
{
    bool evict;
    size_t i = kept_slot(&qr_ring, QR_KEPT, free_qr_kept, &evict);
    if (evict)
        free(qr_kept[i].text);
    size_t text_size = strlen(text) + 1, count = (size_t)side * side;
    qr_kept[i].text = xmalloc(text_size + (count + 7) / 8);
    memcpy(qr_kept[i].text, text, text_size);
    qr_kept[i].bits = (unsigned char *)qr_kept[i].text + text_size;
    memset(qr_kept[i].bits, 0, (count + 7) / 8);
    for (size_t m = 0; m < count; m++)
        qr_kept[i].bits[m / 8] |= (unsigned char)(modules[m] << (m % 8));
    qr_kept[i].side = side;
}

const unsigned char *qr_modules(Arena *arena, const Text *text, unsigned *side)
{
    for (size_t i = 0; i < qr_ring.count; i++)
        if (strcmp(qr_kept[i].text, text->utf8) == 0) {
            unsigned n = qr_kept[i].side;
            unsigned char *modules = arena_array(arena, (size_t)n * n, 1);
            for (size_t m = 0; m < (size_t)n * n; m++)
                modules[m] = qr_kept[i].bits[m / 8] >> (m % 8) & 1;
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
