/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* acs-controller: log lines */

#ifndef __ACS_LOG_H__
#define __ACS_LOG_H__

#include <glib.h>

G_BEGIN_DECLS void acs_log_install (void);

void acs_log_flush (void);

GString *acs_log_begin (void);

void acs_log_end (GString * line);

GLogWriterOutput acs_log_writer (GLogLevelFlags level,
    const GLogField * fields, gsize n_fields, gpointer user_data);

G_END_DECLS
#endif /* __ACS_LOG_H__ */
