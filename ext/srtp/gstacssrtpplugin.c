/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: SRTP plugin (acssrtpenc, acssrtpdec, acssrtpfanout) */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstacssrtpelements.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (acssrtpenc, plugin);
  ret |= GST_ELEMENT_REGISTER (acssrtpdec, plugin);
  ret |= GST_ELEMENT_REGISTER (acssrtpfanout, plugin);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR,
    GST_VERSION_MINOR,
    acssrtp,
    "SRTP and SRTCP protection on libsrtp2 for rtcp-mux streams",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
