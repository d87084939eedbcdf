/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: SDES key parameters (RFC 4568 `inline:` strings) */

#ifndef __ACS_SDES_H__
#define __ACS_SDES_H__

#include <glib.h>

G_BEGIN_DECLS

gboolean acs_sdes_parse_inline (const gchar * str, guint8 ** key,
    gsize * key_len, guint64 * lifetime, GError ** error);

gchar *acs_sdes_format_inline (const guint8 * key, gsize key_len);

void acs_secret_free (gpointer data, gsize len);

G_END_DECLS

#endif /* __ACS_SDES_H__ */
