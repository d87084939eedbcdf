/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: signaling plugin (acssignal) */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstacssoupelements.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  return GST_ELEMENT_REGISTER (acssignal, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR,
    GST_VERSION_MINOR,
    acssoup,
    "Client of the gst-acs signaling controller on libsoup",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
