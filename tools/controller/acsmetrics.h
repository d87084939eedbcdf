/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* acs-controller: Prometheus metrics */

#ifndef __ACS_METRICS_H__
#define __ACS_METRICS_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct _AcsMetrics AcsMetrics;

AcsMetrics *acs_metrics_new (void);

void acs_metrics_free (AcsMetrics * metrics);

void acs_metrics_observe_request (AcsMetrics * metrics, const gchar * method,
    const gchar * path, guint status, gdouble seconds);

void acs_metrics_call_setup (AcsMetrics * metrics);

void acs_metrics_call_failure (AcsMetrics * metrics, const gchar * reason);

gchar *acs_metrics_render (AcsMetrics * metrics, guint calls_active,
    guint event_streams);

G_END_DECLS

#endif /* __ACS_METRICS_H__ */
