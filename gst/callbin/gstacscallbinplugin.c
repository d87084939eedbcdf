/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: one-to-one call plugin (acscallbin) */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstacscallbinelements.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  return GST_ELEMENT_REGISTER (acscallbin, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR,
    GST_VERSION_MINOR,
    acscallbin,
    "One-to-one calls: signaling, ICE, SRTP, RTP and Opus in one bin",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
