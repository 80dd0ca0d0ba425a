/* qr.c — QR codes with libqrencode.  See qr.h. */
#include "qr.h"

#include <errno.h>
#include <qrencode.h>
#include <string.h>

#include "diag.h"

const unsigned char *qr_modules(Arena *arena, const Text *text, unsigned *side)
{
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
    *side = n;
    return modules;
}
