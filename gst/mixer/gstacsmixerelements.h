/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: mixer plugin element registration */

#ifndef __GST_ACS_MIXER_ELEMENTS_H__
#define __GST_ACS_MIXER_ELEMENTS_H__

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

G_BEGIN_DECLS

GST_ELEMENT_REGISTER_DECLARE (acsmixer);
GST_ELEMENT_REGISTER_DECLARE (acsaudiolevelgate);
GST_ELEMENT_REGISTER_DECLARE (acssfu);
GST_ELEMENT_REGISTER_DECLARE (acsspeakerselect);

G_END_DECLS

#endif /* __GST_ACS_MIXER_ELEMENTS_H__ */
