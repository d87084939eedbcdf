/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: TURN REST credentials (coturn use-auth-secret) */

#ifndef __ACS_TURN_CREDS_H__
#define __ACS_TURN_CREDS_H__

#include <glib.h>

G_BEGIN_DECLS

void acs_turn_creds_compute (const guint8 * secret, gsize secret_len,
    const gchar * user, gint64 expiry, gchar ** username, gchar ** credential);

G_END_DECLS

#endif /* __ACS_TURN_CREDS_H__ */
