/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: group-call media plugin (acsmixer, acsaudiolevelgate, acssfu,
 * acsspeakerselect) */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstacsmixerelements.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (acsmixer, plugin);
  ret |= GST_ELEMENT_REGISTER (acsaudiolevelgate, plugin);
  ret |= GST_ELEMENT_REGISTER (acssfu, plugin);
  ret |= GST_ELEMENT_REGISTER (acsspeakerselect, plugin);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR,
    GST_VERSION_MINOR,
    acsmixer,
    "Group-call audio: mix-minus mixing, speaker selection, RTP forwarding",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
