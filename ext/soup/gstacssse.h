/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: Server-Sent Events line parser (WHATWG HTML, section 9.2) */

#ifndef __GST_ACS_SSE_H__
#define __GST_ACS_SSE_H__

#include <glib.h>

G_BEGIN_DECLS

/**
 * GST_ACS_SSE_MAX_DATA:
 *
 * Largest data buffer of one event, in bytes; more is a protocol error.
 */
#define GST_ACS_SSE_MAX_DATA (1024 * 1024)

/**
 * GstAcsSseEvent:
 * @type: the `event:` field, "message" when the event had none
 * @data: the `data:` lines joined with "\n"
 * @id: (nullable): the last event id after this event (the `id:` field of
 *   this event or of an earlier one), %NULL if none was ever given
 */
typedef struct
{
  gchar *type;
  gchar *data;
  gchar *id;
} GstAcsSseEvent;

/**
 * GstAcsSseParser:
 *
 * State of one event stream, fed one line at a time (without its line
 * terminator).
 */
typedef struct
{
  /*< private >*/
  GString *data;
  gchar *type;
  gchar *id;
  gchar *id_buffer;
  gboolean has_data;
  gint64 retry_ms;
} GstAcsSseParser;

void gst_acs_sse_parser_init (GstAcsSseParser * parser, const gchar * last_id);
void gst_acs_sse_parser_clear (GstAcsSseParser * parser);
gboolean gst_acs_sse_parser_feed_line (GstAcsSseParser * parser,
    const gchar * line, GstAcsSseEvent ** event, GError ** error);
const gchar *gst_acs_sse_parser_get_last_id (GstAcsSseParser * parser);
gint64 gst_acs_sse_parser_get_retry (GstAcsSseParser * parser);
void gst_acs_sse_event_free (GstAcsSseEvent * event);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstAcsSseEvent, gst_acs_sse_event_free);

G_END_DECLS

#endif /* __GST_ACS_SSE_H__ */
