/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: callbin plugin element registration */

#ifndef __GST_ACS_CALL_BIN_ELEMENTS_H__
#define __GST_ACS_CALL_BIN_ELEMENTS_H__

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

G_BEGIN_DECLS

GST_ELEMENT_REGISTER_DECLARE (acscallbin);

G_END_DECLS

#endif /* __GST_ACS_CALL_BIN_ELEMENTS_H__ */
