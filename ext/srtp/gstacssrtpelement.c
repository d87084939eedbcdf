/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: one-time libsrtp2 set-up shared by the SRTP elements */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstacssrtpelements.h"
#include "gstacssrtp.h"

GST_DEBUG_CATEGORY (gst_acs_srtp_debug);

static gpointer
srtp_library_init (gpointer data)
{
  srtp_err_status_t err;

  GST_DEBUG_CATEGORY_INIT (gst_acs_srtp_debug, "acssrtp", 0,
      "gst-acs SRTP common code");

  err = srtp_init ();
  if (err != srtp_err_status_ok) {
    GST_ERROR ("libsrtp2 initialisation failed: %d", err);
    return GINT_TO_POINTER (FALSE);
  }
  srtp_install_event_handler (gst_acs_srtp_event_handler);

  gst_type_mark_as_plugin_api (GST_TYPE_ACS_SRTP_CIPHER_TYPE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_ACS_SRTP_AUTH_TYPE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_ACS_SRTP_PROFILE, 0);

  return GINT_TO_POINTER (TRUE);
}

/* Run by GST_ELEMENT_REGISTER_DEFINE_WITH_CODE of each element; libsrtp2
 * is set up once per process and never shut down, as other users of the
 * library in the same process (srtpenc, say) may still need it. */
void
acs_srtp_element_init (GstPlugin * plugin)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, srtp_library_init, NULL);
}
