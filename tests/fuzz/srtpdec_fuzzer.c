/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: libFuzzer target for the packets acssrtpdec receives
 *
 * Input: one flags byte (FUZZ_FLAG_* in fuzzkeys.h), then either one packet
 * (the rest of the input) or, with FUZZ_FLAG_SPLIT, records of a 2-byte
 * big-endian length and that many bytes of packet; a record of length 0
 * switches the default key between key A and key B (a re-key in PLAYING,
 * which exercises the previous-key retry).
 *
 * Two acssrtpdec instances, built once and left in PLAYING: one with
 * AEAD_AES_128_GCM, one with AES_CM_128_HMAC_SHA1_80, both with key A.
 * Each input starts from the same state: key A, no per-SSRC keys, no
 * streams (the clear-keys action), so that a crash reproduces from its
 * input alone.
 *
 * Set SRTPDEC_FUZZER_VERBOSE=1 to print what each input did, for example to
 * check that the seed corpus decodes. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzkeys.h"

GST_PLUGIN_STATIC_DECLARE (acssrtp);

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

/* Most records one input may hold */
#define MAX_RECORDS 64

typedef struct
{
  const gchar *name;
  const gchar *profile;
  const gchar *cipher;          /* caps nicks for request-key answers */
  const gchar *auth;
  gsize key_len;

  GstElement *dec;
  GstPad *src;                  /* ours, linked to the decoder's sink pad */
  GstPad *sink;                 /* ours, linked to the decoder's src pad */
  gulong request_key_id;
  gboolean key_b;               /* the default key is key B */
} Instance;

/* A reference held on a pushed buffer, with the bytes it must still hold */
typedef struct
{
  GstBuffer *buf;
  const guint8 *data;
  gsize size;
} HeldRef;

typedef struct
{
  guint64 unprotected;
  guint64 dropped;
  guint64 auth;
  guint64 replay;
  guint64 too_short;
  guint64 malformed;
  guint64 no_key;
  guint64 other;
  guint64 old_key;
} Counters;

static Instance instances[2] = {
  {"gcm", "AEAD_AES_128_GCM", "aes-128-gcm", "null", FUZZ_KEY_LEN_GCM},
  {"aes-cm", "AES_CM_128_HMAC_SHA1_80", "aes-128-icm", "hmac-sha1-80",
      FUZZ_KEY_LEN_AES_CM},
};

static gboolean verbose;
static guint request_key_roc;
static Counters last_counters[2];

static GstFlowReturn
sink_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

static GstCaps *
key_caps (Instance * inst, const gchar * first_field, ...)
{
  GstBuffer *key = gst_buffer_new_memdup (fuzz_key_a, inst->key_len);
  GstCaps *caps;
  va_list args;

  caps = gst_caps_new_simple ("application/x-srtp",
      "srtp-key", GST_TYPE_BUFFER, key,
      "srtp-cipher", G_TYPE_STRING, inst->cipher,
      "srtp-auth", G_TYPE_STRING, inst->auth,
      "srtcp-cipher", G_TYPE_STRING, inst->cipher,
      "srtcp-auth", G_TYPE_STRING, inst->auth, NULL);
  gst_buffer_unref (key);

  va_start (args, first_field);
  gst_structure_set_valist (gst_caps_get_structure (caps, 0), first_field,
      args);
  va_end (args);
  return caps;
}

static GstCaps *
on_request_key (GstElement * dec, guint ssrc, Instance * inst)
{
  return key_caps (inst, "roc", G_TYPE_UINT, request_key_roc, NULL);
}

static void
set_default_key (Instance * inst, gboolean key_b)
{
  GstBuffer *key = gst_buffer_new_memdup (key_b ? fuzz_key_b : fuzz_key_a,
      inst->key_len);

  g_object_set (inst->dec, "key", key, NULL);
  gst_buffer_unref (key);
  inst->key_b = key_b;
}

static void
push_caps (Instance * inst, GstCaps * caps)
{
  if (!gst_pad_push_event (inst->src, gst_event_new_caps (caps))) {
    fprintf (stderr, "srtpdec_fuzzer: the decoder refused caps\n");
    abort ();
  }
  gst_caps_unref (caps);
}

static void
instance_setup (Instance * inst)
{
  GstPad *dec_sink, *dec_src;
  GstSegment segment;
  gchar *stream_id;

  inst->dec = gst_element_factory_make ("acssrtpdec", inst->name);
  if (inst->dec == NULL) {
    fprintf (stderr, "srtpdec_fuzzer: no acssrtpdec\n");
    abort ();
  }
  gst_object_ref_sink (inst->dec);
  gst_util_set_object_arg (G_OBJECT (inst->dec), "profile", inst->profile);
  set_default_key (inst, FALSE);

  inst->request_key_id = g_signal_connect (inst->dec, "request-key",
      G_CALLBACK (on_request_key), inst);
  g_signal_handler_block (inst->dec, inst->request_key_id);

  inst->src = gst_pad_new ("src", GST_PAD_SRC);
  inst->sink = gst_pad_new ("sink", GST_PAD_SINK);
  gst_pad_set_chain_function (inst->sink, sink_chain);
  dec_sink = gst_element_get_static_pad (inst->dec, "sink");
  dec_src = gst_element_get_static_pad (inst->dec, "src");
  if (gst_pad_link (inst->src, dec_sink) != GST_PAD_LINK_OK
      || gst_pad_link (dec_src, inst->sink) != GST_PAD_LINK_OK) {
    fprintf (stderr, "srtpdec_fuzzer: cannot link the pads\n");
    abort ();
  }
  gst_object_unref (dec_sink);
  gst_object_unref (dec_src);
  gst_pad_set_active (inst->src, TRUE);
  gst_pad_set_active (inst->sink, TRUE);

  if (gst_element_set_state (inst->dec, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_SUCCESS) {
    fprintf (stderr, "srtpdec_fuzzer: the decoder does not start\n");
    abort ();
  }

  stream_id = g_strdup_printf ("srtpdec-fuzzer-%s", inst->name);
  gst_pad_push_event (inst->src, gst_event_new_stream_start (stream_id));
  g_free (stream_id);
  push_caps (inst, gst_caps_new_simple ("application/x-srtp",
          "media", G_TYPE_STRING, "audio",
          "clock-rate", G_TYPE_INT, 48000,
          "encoding-name", G_TYPE_STRING, "OPUS",
          "payload", G_TYPE_INT, 96, NULL));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (inst->src, gst_event_new_segment (&segment));
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  /* Only the statically registered plugin is needed: no registry scan,
   * which would load every system plugin into the instrumented process */
  g_setenv ("GST_REGISTRY_DISABLE", "yes", TRUE);
  gst_init (NULL, NULL);
  GST_PLUGIN_STATIC_REGISTER (acssrtp);

  verbose = g_strcmp0 (g_getenv ("SRTPDEC_FUZZER_VERBOSE"), "1") == 0;
  instance_setup (&instances[0]);
  instance_setup (&instances[1]);
  return 0;
}

static void
flush_list (Instance * inst, GstBufferList ** list)
{
  if (*list == NULL)
    return;
  gst_pad_push_list (inst->src, *list);
  *list = NULL;
}

static void
push_packet (Instance * inst, guint8 flags, const guint8 * data, gsize size,
    GstBufferList ** list, GArray * held)
{
  GstBuffer *buf;
  static guint64 pts;

  if (size == 0) {
    buf = gst_buffer_new ();
  } else if ((flags & FUZZ_FLAG_TWO_MEMORIES) && size >= 2) {
    buf = gst_buffer_new_memdup (data, size / 2);
    buf = gst_buffer_append (buf, gst_buffer_new_memdup (data + size / 2,
            size - size / 2));
  } else {
    buf = gst_buffer_new_memdup (data, size);
  }
  GST_BUFFER_PTS (buf) = pts;
  pts += 20 * GST_MSECOND;

  if (flags & FUZZ_FLAG_SHARED) {
    HeldRef ref = { gst_buffer_ref (buf), data, size };

    g_array_append_val (held, ref);
  }

  if (flags & FUZZ_FLAG_LIST) {
    if (*list == NULL)
      *list = gst_buffer_list_new ();
    gst_buffer_list_add (*list, buf);
  } else {
    gst_pad_push (inst->src, buf);
  }
}

/* The decoder must copy a buffer it does not own alone, never decrypt it
 * in place */
static void
check_held (GArray * held)
{
  guint i;

  for (i = 0; i < held->len; i++) {
    HeldRef *ref = &g_array_index (held, HeldRef, i);

    if (gst_buffer_get_size (ref->buf) != ref->size
        || gst_buffer_memcmp (ref->buf, 0, ref->data, ref->size) != 0) {
      fprintf (stderr, "srtpdec_fuzzer: the decoder wrote into a buffer "
          "that was not writable (record %u)\n", i);
      abort ();
    }
    gst_buffer_unref (ref->buf);
  }
  g_array_set_size (held, 0);
}

static guint64
get_counter (const GstStructure * s, const gchar * name)
{
  guint64 v = 0;

  if (!gst_structure_get_uint64 (s, name, &v)) {
    fprintf (stderr, "srtpdec_fuzzer: no %s in the stats\n", name);
    abort ();
  }
  return v;
}

/* Reads the stats, checks that the drop reasons add up, and in verbose
 * mode says what this input did */
static void
check_stats (Instance * inst, Counters * last)
{
  GstStructure *s = NULL;
  Counters c;

  g_object_get (inst->dec, "stats", &s, NULL);
  c.unprotected = get_counter (s, "packets-unprotected");
  c.dropped = get_counter (s, "packets-dropped");
  c.auth = get_counter (s, "auth-failures");
  c.replay = get_counter (s, "replay-failures");
  c.too_short = get_counter (s, "too-short");
  c.malformed = get_counter (s, "malformed");
  c.no_key = get_counter (s, "no-key");
  c.other = get_counter (s, "other-failures");
  c.old_key = get_counter (s, "packets-old-key");
  gst_structure_free (s);

  if (c.dropped != c.auth + c.replay + c.too_short + c.malformed + c.no_key
      + c.other) {
    fprintf (stderr, "srtpdec_fuzzer: drop reasons do not add up\n");
    abort ();
  }

  if (verbose)
    fprintf (stderr, "srtpdec_fuzzer: %s: unprotected %" G_GUINT64_FORMAT
        " (old key %" G_GUINT64_FORMAT "), dropped %" G_GUINT64_FORMAT
        ": auth %" G_GUINT64_FORMAT ", replay %" G_GUINT64_FORMAT
        ", too short %" G_GUINT64_FORMAT ", malformed %" G_GUINT64_FORMAT
        ", no key %" G_GUINT64_FORMAT ", other %" G_GUINT64_FORMAT "\n",
        inst->name, c.unprotected - last->unprotected,
        c.old_key - last->old_key, c.dropped - last->dropped,
        c.auth - last->auth, c.replay - last->replay,
        c.too_short - last->too_short, c.malformed - last->malformed,
        c.no_key - last->no_key, c.other - last->other);
  *last = c;
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  static GArray *held;
  GstBufferList *list = NULL;
  Instance *inst;
  guint8 flags;
  guint n;

  if (size < 1)
    return 0;
  if (held == NULL)
    held = g_array_new (FALSE, FALSE, sizeof (HeldRef));

  flags = data[0];
  data++;
  size--;
  inst = &instances[flags & FUZZ_FLAG_AES_CM ? 1 : 0];

  /* Back to the state every input starts from */
  if (inst->key_b)
    set_default_key (inst, FALSE);
  g_signal_emit_by_name (inst->dec, "clear-keys");
  request_key_roc = (flags & FUZZ_FLAG_ROC) ? 1 : 0;
  if (flags & FUZZ_FLAG_REQUEST_KEY)
    g_signal_handler_unblock (inst->dec, inst->request_key_id);
  if (flags & FUZZ_FLAG_CAPS_SSRC)
    push_caps (inst, key_caps (inst, "ssrc", G_TYPE_UINT, FUZZ_CAPS_SSRC,
            NULL));

  if (!(flags & FUZZ_FLAG_SPLIT)) {
    push_packet (inst, flags, data, size, &list, held);
  } else {
    for (n = 0; size >= 2 && n < MAX_RECORDS; n++) {
      gsize len = ((gsize) data[0] << 8) | data[1];

      data += 2;
      size -= 2;
      if (len == 0) {
        flush_list (inst, &list);
        set_default_key (inst, !inst->key_b);
        continue;
      }
      len = MIN (len, size);
      push_packet (inst, flags, data, len, &list, held);
      data += len;
      size -= len;
    }
  }
  flush_list (inst, &list);
  check_held (held);

  if (flags & FUZZ_FLAG_REQUEST_KEY)
    g_signal_handler_block (inst->dec, inst->request_key_id);
  check_stats (inst, &last_counters[inst - instances]);
  return 0;
}
