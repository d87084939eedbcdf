/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: ICE plugin (acsicebin) */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstacsniceelements.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  return GST_ELEMENT_REGISTER (acsicebin, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR,
    GST_VERSION_MINOR,
    acsnice,
    "ICE transport on libnice for rtcp-mux RTP streams",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
