/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: a decoder that starts afresh when the stream it decodes starts
 * again: acsspeakerselect gives its slot to another member, or
 * acsaudiolevelgate lets its member through again after dropping its
 * packets.
 *
 * Both send an `acs-decoder-reset` custom downstream event just before
 * that first packet, in order with the packets (acsspeakerselect: fields
 * `slot` and `ssrc`; acsaudiolevelgate: `member`; all guint); the packet
 * also has the DISCONT flag. DISCONT alone does not reset every decoder: opusdec
 * (GStreamer 1.22) has no flush function and keeps its state across a
 * DISCONT, so the new member's first two frames were decoded from the
 * previous member's state (measured: the first frame about twice as loud
 * as a new decoder makes it, the same output only from the fourth frame
 * on; docs/elements/acsspeakerselect.md).
 * opusdec does start afresh when its sink caps change. The probe below,
 * on a decoder's sink pad, turns the event into such a caps change: the
 * current caps with the field `acs-stream-epoch` (guint) counted up, sent
 * to the pad in place of the event. Any decoder that accepts extra caps
 * fields works with it; one that resets on DISCONT needs none of it.
 *
 * Header only, for applications that build the slots of a group path (and
 * the tests and benchmarks that do): no library to link. */

#ifndef __ACS_DECODER_RESET_H__
#define __ACS_DECODER_RESET_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* Name of the custom downstream event acsspeakerselect sends on a slot
 * when the slot's member changes, and acsaudiolevelgate when its member's
 * packets flow again */
#define ACS_DECODER_RESET_EVENT "acs-decoder-reset"
/* The caps field acs_decoder_reset_probe() counts up */
#define ACS_STREAM_EPOCH_FIELD "acs-stream-epoch"

/* A GstPadProbeCallback for GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM on a
 * decoder's sink pad: see the top of this file. Other events pass. */
static inline GstPadProbeReturn
acs_decoder_reset_probe (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  const GstStructure *s;
  GstCaps *caps;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_DOWNSTREAM)
    return GST_PAD_PROBE_OK;
  s = gst_event_get_structure (event);
  if (s == NULL || !gst_structure_has_name (s, ACS_DECODER_RESET_EVENT))
    return GST_PAD_PROBE_OK;

  caps = gst_pad_get_current_caps (pad);
  if (caps != NULL && gst_caps_get_size (caps) == 1) {
    GstStructure *cs;
    guint epoch = 0;

    caps = gst_caps_make_writable (caps);
    cs = gst_caps_get_structure (caps, 0);
    gst_structure_get_uint (cs, ACS_STREAM_EPOCH_FIELD, &epoch);
    gst_structure_set (cs, ACS_STREAM_EPOCH_FIELD, G_TYPE_UINT, epoch + 1,
        NULL);
    /* serialized: the streaming thread holds the pad's stream lock */
    if (!gst_pad_send_event (pad, gst_event_new_caps (caps)))
      GST_WARNING_OBJECT (pad, "the decoder refused its caps with %s",
          ACS_STREAM_EPOCH_FIELD);
  }
  gst_clear_caps (&caps);
  return GST_PAD_PROBE_DROP;
}

/* Installs acs_decoder_reset_probe() on @decoder's "sink" pad; returns the
 * probe id, 0 if @decoder has no sink pad */
static inline gulong
acs_decoder_reset_attach (GstElement * decoder)
{
  GstPad *pad = gst_element_get_static_pad (decoder, "sink");
  gulong id;

  if (pad == NULL)
    return 0;
  id = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      acs_decoder_reset_probe, NULL, NULL);
  gst_object_unref (pad);
  return id;
}

G_END_DECLS

#endif /* __ACS_DECODER_RESET_H__ */
