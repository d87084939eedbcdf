/* GStreamer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: CPU cost of the whole group audio path (issue 7, benchmark (b)),
 * N members of whom K speak, 48 kHz mono Opus in 20 ms frames, every
 * member's packets SRTP-protected (AEAD_AES_128_GCM) with the RFC 6464
 * audio level in a one-byte header extension:
 *
 *   batched: ONE acssrtpdec for every member (a key per SSRC, asked with
 *        request-key), fed a buffer list per period; acsspeakerselect
 *        (top-k = K) forwards the K loudest members on K slot pads, so K
 *        decoders run (rtpopusdepay ! opusdec ! acsmixer.sink_i); the K
 *        slots' mix-minus (acsmixer's src_i) and the shared mix (src) are
 *        encoded once each, and ONE acssrtpfanout protects the shared mix
 *        for every listener and each slot's mix-minus for the member in
 *        that slot (routed on acsspeakerselect's on-selection-changed), each
 *        with the listener's own key, SSRC and sequence numbers;
 *   gated: per member acssrtpdec ! acsaudiolevelgate ! rtpopusdepay !
 *        opusdec ! acsmixer (top-k = K): the gates forward only the
 *        selected speakers' packets, so only K decoders run; the K
 *        mix-minus outputs are encoded each (opusenc ! rtpopuspay) and the
 *        one shared mix once (acsmixer's src ! opusenc ! rtpopuspay ! tee),
 *        then SRTP-protected toward every member (one acssrtpenc each);
 *   naive: per member acssrtpdec ! rtpopusdepay ! opusdec ! tee, into N
 *        audiomixer instances each mixing the other N - 1 members, each
 *        ! opusenc ! rtpopuspay ! acssrtpenc: every member decoded, N mixes
 *        encoded (GStreamer's audiomixer is the obvious way to build it).
 *
 * Every member has its own keys, one for what it sends and one for what
 * it receives.
 *
 * In this run the speakers are members 0 .. K-1 (tone, level -20 dBov)
 * and stay so; the others send Opus-coded silence with level 127. The
 * bench therefore wires the speakers' src_N to their own encoder and the
 * others to the shared encoder's tee: an application would choose per
 * buffer from the GstAcsMixerOutputMeta group, which costs nothing
 * measurable. Pre-built SRTP packets are pushed from one thread straight
 * into the acssrtpdec sink pads, non-live, as fast as the elements go;
 * every SRTP packet that comes out is counted. Cost is process CPU time
 * (CLOCK_PROCESS_CPUTIME_ID, all threads) per second of audio.
 *
 * Each packet is pushed as a private, writable copy, as a socket source
 * hands over the buffer it received into: the copies are made just before
 * their period is pushed, and the feeding thread's CPU time spent making
 * them (CLOCK_THREAD_CPUTIME_ID) is taken out of the figure. What a
 * receiver pays for its receive buffers (a socket source's allocation) is
 * therefore not counted, as the socket itself is not; freeing them is.
 *
 * Live (--live), acsmixer starts its output with its first input buffer
 * (start-time-selection=first), as a media processor's mixer whose
 * members join after it starts must: with the default (zero), a mixer
 * that gets no input within its latency of going to PLAYING fails with
 * not-negotiated (GstAudioAggregator 1.22 has no output format yet) and
 * stops for good. An error message on the bus fails the run.
 *
 * Usage: acs-group-bench [--n 10,30,100,300,1000] [--k 3] [--seconds S]
 *                        [--naive-max N] [--paths batched,gated,naive]
 * Naive figures for N above --naive-max are extrapolated from the growth
 * between the two largest measured N, and labelled so. Table on stderr,
 * JSON lines on stdout. Exit status 1 when the batched path (the gated one
 * if only it ran) at N = 1000 needs more than half a core.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <gst/rtp/rtp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <acs/acsdecoderreset.h>

#include "benchutil.h"

#ifdef HAVE_VALGRIND_CALLGRIND_H
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_ZERO_STATS do { } while (0)
#define CALLGRIND_DUMP_STATS_AT(s) do { } while (0)
#endif

#define PERIOD (20 * GST_MSECOND)
#define TS_PER_PERIOD 960
#define FRAMES_CACHED 50
#define WARMUP 15
#define EXT_ID 1
#define SPEAKER_LEVEL 20
#define SSRC_BASE 0x10000
/* 28 bytes of key and salt for AEAD_AES_128_GCM */
#define KEY_LEN 28
#define PROFILE "AEAD_AES_128_GCM"
#define RTP_CAPS "application/x-rtp, media=audio, clock-rate=48000, " \
    "encoding-name=OPUS, payload=111, " \
    "extmap-1=urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define SRTP_CAPS "application/x-srtp, media=audio, clock-rate=48000, " \
    "encoding-name=OPUS, payload=111, " \
    "extmap-1=urn:ietf:params:rtp-hdrext:ssrc-audio-level"

/* --live: sources are live, packets are pushed at real-time pace, the
 * mixers time out on members without data (the gates push no GAP) */
static gboolean opt_live = FALSE;
/* the last live run did not deliver 90 % of its packets in time, or an
 * element posted an error: its CPU figure says nothing about real time */
static gboolean last_run_short = FALSE;
#define LIVE_LATENCY (40 * GST_MSECOND)

static gint outputs_seen;       /* atomic */
static gint outputs_wanted;     /* atomic */
static GMutex done_lock;
static GCond done_cond;

static GstFlowReturn
count_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  gst_buffer_unref (buf);
  if (g_atomic_int_add (&outputs_seen, 1) + 1 ==
      g_atomic_int_get (&outputs_wanted)) {
    g_mutex_lock (&done_lock);
    g_cond_signal (&done_cond);
    g_mutex_unlock (&done_lock);
  }
  return GST_FLOW_OK;
}

static GstFlowReturn
count_chain_list (GstPad * pad, GstObject * parent, GstBufferList * list)
{
  gint n = gst_buffer_list_length (list), before;

  gst_buffer_list_unref (list);
  before = g_atomic_int_add (&outputs_seen, n);
  if (before < g_atomic_int_get (&outputs_wanted)
      && before + n >= g_atomic_int_get (&outputs_wanted)) {
    g_mutex_lock (&done_lock);
    g_cond_signal (&done_cond);
    g_mutex_unlock (&done_lock);
  }
  return GST_FLOW_OK;
}

static GstFlowReturn
drop_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

/* A sink pad linked to @src that counts (or only drops) what it gets */
static GstPad *
link_counter (GstPad * src, gboolean count)
{
  GstPad *pad = gst_pad_new (NULL, GST_PAD_SINK);

  gst_pad_set_chain_function (pad, count ? count_chain : drop_chain);
  if (count)
    gst_pad_set_chain_list_function (pad, count_chain_list);
  gst_pad_set_event_function (pad, bench_drop_event);
  gst_pad_set_active (pad, TRUE);
  g_assert (gst_pad_link (src, pad) == GST_PAD_LINK_OK);
  return pad;
}

/* A source pad linked to @sink, stream started, caps and segment sent */
static GstPad *
new_feeder (GstPad * sink, guint id, const gchar * caps_str)
{
  gchar *sid = g_strdup_printf ("member-%u", id);
  GstPad *pad = bench_new_feeder (sink, sid, caps_str, opt_live);

  g_free (sid);
  return pad;
}

/* Waits until @count packets came out in all; FALSE after 120 s */
static gboolean
wait_outputs (gint count)
{
  gint64 end = g_get_monotonic_time () + 120 * G_TIME_SPAN_SECOND;
  gboolean ok = TRUE;

  g_mutex_lock (&done_lock);
  g_atomic_int_set (&outputs_wanted, count);
  while (ok && g_atomic_int_get (&outputs_seen) < count)
    ok = g_cond_wait_until (&done_cond, &done_lock, end);
  g_mutex_unlock (&done_lock);
  return g_atomic_int_get (&outputs_seen) >= count;
}

/* A live mixer waits LIVE_LATENCY for late inputs and starts its output
 * with its first input buffer: started at running time 0 (the default), it
 * times out before the first decoded frame when the first period is slow
 * (the keys of every member are set up then) and, with no input format
 * yet, GstAudioAggregator 1.22 fails with not-negotiated */
static void
set_live_mixer (GstElement * mixer)
{
  g_object_set (mixer, "latency", LIVE_LATENCY, NULL);
  gst_util_set_object_arg (G_OBJECT (mixer), "start-time-selection", "first");
}

static GstElement *
make (GstBin * bin, const gchar * factory)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  if (!e) {
    g_printerr ("element %s not found (GST_PLUGIN_PATH_1_0?)\n", factory);
    exit (2);
  }
  gst_bin_add (bin, e);
  return e;
}

/* opusenc's defaults (64 kbit/s, complexity 10): about 120 us per frame
 * here, the reference figure; in-band FEC (as acscallbin sends)
 * triples that, for both paths alike */
static GstElement *
make_opusenc (GstBin * bin)
{
  return make (bin, "opusenc");
}

/* Every member has its own master key and salt, both ways: @dir 0 for
 * what member @m sends, 1 for what it receives */
static GstBuffer *
member_key (guint m, guint dir)
{
  guint8 key[KEY_LEN];
  guint i;

  for (i = 0; i < KEY_LEN; i++)
    key[i] = (guint8) (i * 7 + m * 13 + (m >> 8) + dir * 101);
  return gst_buffer_new_memdup (key, KEY_LEN);
}

static void
set_key (GstElement * e, guint m, guint dir)
{
  GstBuffer *key = member_key (m, dir);

  g_object_set (e, "key", key, NULL);
  gst_buffer_unref (key);
}

static GstElement *
make_srtpenc (GstBin * bin, guint m)
{
  GstElement *e = make (bin, "acssrtpenc");

  gst_util_set_object_arg (G_OBJECT (e), "profile", PROFILE);
  set_key (e, m, 1);
  return e;
}

static GstElement *
make_srtpdec (GstBin * bin, guint m)
{
  GstElement *e = make (bin, "acssrtpdec");

  gst_util_set_object_arg (G_OBJECT (e), "profile", PROFILE);
  set_key (e, m, 0);
  return e;
}

/* Opus frames of a tone or of silence */
static void
on_handoff (GstElement * sink, GstBuffer * buf, GstPad * pad, GPtrArray * out)
{
  g_ptr_array_add (out, gst_buffer_ref (buf));
}

static GPtrArray *
encode_frames (const gchar * wave)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  gchar *desc = g_strdup_printf ("audiotestsrc wave=%s freq=440 volume=0.3 "
      "samplesperbuffer=960 num-buffers=%d ! audio/x-raw,format=S16LE,"
      "rate=48000,channels=1 ! opusenc ! fakesink name=s "
      "signal-handoffs=true sync=false", wave, FRAMES_CACHED + 5);
  GstElement *p = gst_parse_launch (desc, NULL);
  GstElement *s = gst_bin_get_by_name (GST_BIN (p), "s");
  GstBus *bus = gst_element_get_bus (p);
  GstMessage *msg;

  g_signal_connect (s, "handoff", G_CALLBACK (on_handoff), out);
  gst_element_set_state (p, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (s);
  gst_object_unref (p);
  g_free (desc);
  g_assert (out->len >= FRAMES_CACHED);
  return out;
}

static GPtrArray *collected;

static GstFlowReturn
collect_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  g_ptr_array_add (collected, buf);
  return GST_FLOW_OK;
}

/* in[p * n + m]: member m's SRTP packet of period p, protected with
 * member m's key by an encoder of its own (re-keying one encoder would
 * re-key every stream it has seen: quadratic in N) */
static GstBuffer **
make_packets (guint n, guint k, guint periods)
{
  GPtrArray *tone = encode_frames ("sine"), *silence = encode_frames
      ("silence");
  GstBuffer **in = g_new (GstBuffer *, (gsize) n * periods);
  guint p, m;

  collected = g_ptr_array_new ();
  for (m = 0; m < n; m++) {
    GstElement *enc = gst_element_factory_make ("acssrtpenc", NULL);
    GstPad *feed, *sink = gst_pad_new (NULL, GST_PAD_SINK), *src, *esink;

    gst_util_set_object_arg (G_OBJECT (enc), "profile", PROFILE);
    set_key (enc, m, 0);
    gst_pad_set_chain_function (sink, collect_chain);
    gst_pad_set_event_function (sink, bench_drop_event);
    gst_pad_set_active (sink, TRUE);
    src = gst_element_get_static_pad (enc, "src");
    g_assert (gst_pad_link (src, sink) == GST_PAD_LINK_OK);
    gst_object_unref (src);
    gst_element_set_state (enc, GST_STATE_PLAYING);
    esink = gst_element_get_static_pad (enc, "sink");
    feed = new_feeder (esink, 0, RTP_CAPS);
    gst_object_unref (esink);
    g_ptr_array_set_size (collected, 0);

    for (p = 0; p < periods; p++) {
      GstBuffer *frame = g_ptr_array_index (m < k ? tone : silence,
          p % FRAMES_CACHED);
      gsize size = gst_buffer_get_size (frame);
      GstBuffer *buf = gst_rtp_buffer_new_allocate (size, 0, 0);
      GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
      guint8 level = m < k ? SPEAKER_LEVEL : 127;

      g_assert (gst_rtp_buffer_map (buf, GST_MAP_READWRITE, &rtp));
      gst_rtp_buffer_set_payload_type (&rtp, 111);
      gst_rtp_buffer_set_seq (&rtp, p);
      gst_rtp_buffer_set_timestamp (&rtp, p * TS_PER_PERIOD);
      gst_rtp_buffer_set_ssrc (&rtp, SSRC_BASE + m);
      gst_buffer_extract (frame, 0, gst_rtp_buffer_get_payload (&rtp), size);
      g_assert (gst_rtp_buffer_add_extension_onebyte_header (&rtp, EXT_ID,
              &level, 1));
      gst_rtp_buffer_unmap (&rtp);
      g_assert (gst_pad_push (feed, buf) == GST_FLOW_OK);
      g_assert (collected->len == p + 1);
      in[(gsize) p * n + m] = g_ptr_array_index (collected, p);
      GST_BUFFER_PTS (in[(gsize) p * n + m]) = p * PERIOD;
      GST_BUFFER_DURATION (in[(gsize) p * n + m]) = PERIOD;
    }

    gst_element_set_state (enc, GST_STATE_NULL);
    gst_object_unref (enc);
    gst_object_unref (feed);
    gst_object_unref (sink);
  }
  g_ptr_array_unref (collected);
  g_ptr_array_unref (tone);
  g_ptr_array_unref (silence);
  return in;
}

static void
link_pads (GstElement * a, const gchar * pa, GstElement * b, const gchar * pb)
{
  if (!gst_element_link_pads (a, pa, b, pb)) {
    g_printerr ("cannot link %s to %s\n", GST_OBJECT_NAME (a),
        GST_OBJECT_NAME (b));
    exit (2);
  }
}

typedef struct
{
  GstElement *pipeline;
  GstPad **feed;                /* n, or 1 when batched */
  GPtrArray *counters;
  guint n;
  /* one pad takes every member's packets, a buffer list per period */
  gboolean batched;
} Run;

static void
run_free (Run * r)
{
  guint m;

  gst_element_set_state (r->pipeline, GST_STATE_NULL);
  for (m = 0; m < (r->batched ? 1 : r->n); m++)
    gst_object_unref (r->feed[m]);
  g_free (r->feed);
  g_ptr_array_unref (r->counters);
  gst_object_unref (r->pipeline);
  g_free (r);
}

static void
add_counter (Run * r, GstElement * e, const gchar * pad, gboolean count)
{
  GstPad *src = gst_element_get_static_pad (e, pad);

  if (!src)
    src = gst_element_request_pad_simple (e, pad);
  g_ptr_array_add (r->counters, link_counter (src, count));
  gst_object_unref (src);
}

/* The probe that resets @odec on acs-decoder-reset events (from the
 * gates and the speaker selection): what an application does */
static void
attach_decoder_reset (GstElement * odec)
{
  if (acs_decoder_reset_attach (odec) == 0)
    g_error ("%s has no sink pad", GST_OBJECT_NAME (odec));
}

static Run *
build_acs (guint n, guint k)
{
  Run *r = g_new0 (Run, 1);
  GstBin *bin;
  GstElement *mixer, *enc, *pay, *tee;
  guint m;

  r->pipeline = gst_pipeline_new (NULL);
  bin = GST_BIN (r->pipeline);
  r->n = n;
  r->feed = g_new (GstPad *, n);
  r->counters = g_ptr_array_new_with_free_func (gst_object_unref);

  mixer = make (bin, "acsmixer");
  g_object_set (mixer, "top-k", k, NULL);
  if (opt_live)
    set_live_mixer (mixer);

  /* the shared mix, encoded once, protected for every listener */
  enc = make_opusenc (bin);
  pay = make (bin, "rtpopuspay");
  tee = make (bin, "tee");
  link_pads (mixer, "src", enc, "sink");
  link_pads (enc, "src", pay, "sink");
  link_pads (pay, "src", tee, "sink");

  for (m = 0; m < n; m++) {
    gchar *sink_name = g_strdup_printf ("sink_%u", m);
    gchar *src_name = g_strdup_printf ("src_%u", m);
    GstElement *dec = make_srtpdec (bin, m), *gate = make (bin,
        "acsaudiolevelgate"), *depay = make (bin, "rtpopusdepay"),
        *odec = make (bin, "opusdec"), *senc = make_srtpenc (bin, m);
    GstPad *sink;

    g_object_set (gate, "mixer", mixer, "member", m, "ext-id", EXT_ID,
        "gaps", !opt_live, NULL);
    link_pads (dec, "src", gate, "sink");
    link_pads (gate, "src", depay, "sink");
    link_pads (depay, "src", odec, "sink");
    /* the member selected again: its decoder starts afresh */
    attach_decoder_reset (odec);
    link_pads (odec, "src", mixer, sink_name);
    if (m < k) {
      GstElement *menc = make_opusenc (bin), *mpay = make (bin, "rtpopuspay");

      link_pads (mixer, src_name, menc, "sink");
      link_pads (menc, "src", mpay, "sink");
      link_pads (mpay, "src", senc, "sink");
    } else {
      add_counter (r, mixer, src_name, FALSE);
      link_pads (tee, "src_%u", senc, "sink");
    }
    add_counter (r, senc, "src", TRUE);
    sink = gst_element_get_static_pad (dec, "sink");
    r->feed[m] = sink;
    g_free (sink_name);
    g_free (src_name);
  }
  return r;
}

/* acssrtpdec asks for a member's key the first time its SSRC shows up */
static GstCaps *
on_request_key (GstElement * dec, guint ssrc, gpointer data)
{
  GstBuffer *key = member_key (ssrc - SSRC_BASE, 0);
  GstCaps *caps = gst_caps_new_simple ("application/x-srtp",
      "srtp-key", GST_TYPE_BUFFER, key,
      "srtp-cipher", G_TYPE_STRING, "aes-128-gcm",
      "srtp-auth", G_TYPE_STRING, "null",
      "srtcp-cipher", G_TYPE_STRING, "aes-128-gcm",
      "srtcp-auth", G_TYPE_STRING, "null", NULL);

  gst_buffer_unref (key);
  return caps;
}

/* What an application does: the member now in @slot gets that slot's
 * mix-minus instead of the shared mix */
static void
on_selection_changed (GstElement * select, guint slot, guint ssrc,
    GstElement * fanout)
{
  gboolean ok;

  g_signal_emit_by_name (fanout, "route", slot,
      ssrc ? (gint) (ssrc - SSRC_BASE) : -1, &ok);
}

/* One acssrtpdec for every member (a key per SSRC), acsspeakerselect
 * forwarding the K loudest on K slots, K decoders into acsmixer, K + 1
 * encoders, one acssrtpfanout protecting the shared mix for every
 * listener and each slot's mix-minus for its speaker */
static Run *
build_batched (guint n, guint k)
{
  Run *r = g_new0 (Run, 1);
  GstBin *bin;
  GstElement *dec, *select, *mixer, *enc, *pay, *fanout;
  guint m;

  r->pipeline = gst_pipeline_new (NULL);
  bin = GST_BIN (r->pipeline);
  r->n = n;
  r->batched = TRUE;
  r->feed = g_new (GstPad *, 1);
  r->counters = g_ptr_array_new_with_free_func (gst_object_unref);

  dec = make (bin, "acssrtpdec");
  gst_util_set_object_arg (G_OBJECT (dec), "profile", PROFILE);
  g_signal_connect (dec, "request-key", G_CALLBACK (on_request_key), NULL);
  select = make (bin, "acsspeakerselect");
  g_object_set (select, "top-k", k, "gaps", !opt_live, NULL);
  mixer = make (bin, "acsmixer");
  g_object_set (mixer, "top-k", k, NULL);
  if (opt_live)
    set_live_mixer (mixer);
  fanout = make (bin, "acssrtpfanout");
  gst_util_set_object_arg (G_OBJECT (fanout), "profile", PROFILE);
  for (m = 0; m < n; m++) {
    GstBuffer *key = member_key (m, 1);
    gboolean ok;

    g_signal_emit_by_name (fanout, "add-destination", m, 0x20000 + m, key, &ok);
    g_assert (ok);
    gst_buffer_unref (key);
  }
  g_signal_connect (select, "on-selection-changed",
      G_CALLBACK (on_selection_changed), fanout);
  link_pads (dec, "src", select, "sink");

  enc = make_opusenc (bin);
  pay = make (bin, "rtpopuspay");
  link_pads (mixer, "src", enc, "sink");
  link_pads (enc, "src", pay, "sink");
  link_pads (pay, "src", fanout, "sink");

  for (m = 0; m < k; m++) {
    gchar *slot = g_strdup_printf ("src_%u", m);
    gchar *sink_name = g_strdup_printf ("sink_%u", m);
    GstElement *depay = make (bin, "rtpopusdepay"), *odec = make (bin,
        "opusdec"), *menc = make_opusenc (bin), *mpay = make (bin,
        "rtpopuspay");

    link_pads (select, slot, depay, "sink");
    link_pads (depay, "src", odec, "sink");
    /* a new speaker in the slot: the decoder starts afresh */
    attach_decoder_reset (odec);
    link_pads (odec, "src", mixer, sink_name);
    link_pads (mixer, slot, menc, "sink");
    link_pads (menc, "src", mpay, "sink");
    link_pads (mpay, "src", fanout, sink_name);
    g_free (slot);
    g_free (sink_name);
  }
  add_counter (r, fanout, "src", TRUE);
  r->feed[0] = gst_element_get_static_pad (dec, "sink");
  return r;
}

static Run *
build_naive (guint n)
{
  Run *r = g_new0 (Run, 1);
  GstBin *bin;
  GstElement **tee = g_new (GstElement *, n);
  guint m, j;

  r->pipeline = gst_pipeline_new (NULL);
  bin = GST_BIN (r->pipeline);
  r->n = n;
  r->feed = g_new (GstPad *, n);
  r->counters = g_ptr_array_new_with_free_func (gst_object_unref);

  for (m = 0; m < n; m++) {
    GstElement *dec = make_srtpdec (bin, m), *depay = make (bin,
        "rtpopusdepay"), *odec = make (bin, "opusdec");

    tee[m] = make (bin, "tee");
    link_pads (dec, "src", depay, "sink");
    link_pads (depay, "src", odec, "sink");
    link_pads (odec, "src", tee[m], "sink");
    r->feed[m] = gst_element_get_static_pad (dec, "sink");
  }
  for (j = 0; j < n; j++) {
    GstElement *mix = make (bin, "audiomixer"), *enc = make_opusenc (bin),
        *pay = make (bin, "rtpopuspay"), *senc = make_srtpenc (bin, j);

    g_object_set (mix, "output-buffer-duration", PERIOD, NULL);
    if (opt_live)
      set_live_mixer (mix);
    for (m = 0; m < n; m++)
      if (m != j)
        link_pads (tee[m], "src_%u", mix, "sink_%u");
    link_pads (mix, "src", enc, "sink");
    link_pads (enc, "src", pay, "sink");
    link_pads (pay, "src", senc, "sink");
    add_counter (r, senc, "src", TRUE);
  }
  g_free (tee);
  return r;
}

/* The order members' packets are pushed in within a period: "random"
 * (default; a new permutation each period, fixed seed), "natural" (member
 * 0 first) or "reverse". It matters: GstAggregator looks at its sink pads
 * in the order they were added after each packet, until the first one
 * without data (not live) */
static const gchar *opt_order = "random";
/* under callgrind: count only the measured periods (all threads) */
static gboolean opt_counted = FALSE;

static guint *
make_order (guint n, guint periods)
{
  guint *order = g_new (guint, (gsize) n * periods);
  GRand *rand = g_rand_new_with_seed (7);
  guint p, m;

  for (p = 0; p < periods; p++) {
    guint *o = order + (gsize) p * n;

    for (m = 0; m < n; m++)
      o[m] = !strcmp (opt_order, "reverse") ? n - 1 - m : m;
    if (!strcmp (opt_order, "random"))
      for (m = n - 1; m > 0; m--) {
        guint j = g_rand_int_range (rand, 0, m + 1), t = o[m];

        o[m] = o[j];
        o[j] = t;
      }
  }
  g_rand_free (rand);
  return order;
}

static void
print_measured (const gchar * impl, guint n, gint k, double cpu, guint periods)
{
  g_print ("{\"bench\": \"group-path\", \"impl\": \"%s\", \"n\": %u, "
      "\"k\": %d, \"cpu_s_per_audio_s\": %.6f, \"us_per_member_frame\": "
      "%.2f, \"audio_s\": %.2f, \"figure\": \"measured\"}\n", impl, n, k,
      cpu, cpu * 20000.0 / n, periods * 0.02);
}

/* A private, writable copy of a pre-built packet, as a socket source's
 * buffer is: in one memory, with the timestamps */
static GstBuffer *
copy_packet (GstBuffer * src)
{
  GstBuffer *buf = gst_buffer_copy_deep (src);

  g_assert (gst_buffer_is_writable (buf) && gst_buffer_n_memory (buf) == 1);
  return buf;
}

/* Every member's packet of period @p, each a private writable copy: one
 * push per member, or one buffer list on the single pad of the batched
 * path. Returns the feeding thread's CPU seconds spent making the copies
 * (and the list), which are not the path's */
static double
push_period (Run * r, GstBuffer ** in, const guint * order, guint p)
{
  guint n = r->n, m;
  double t0 = bench_thread_cpu_now (), copying;

  if (r->batched) {
    GstBufferList *list = gst_buffer_list_new_sized (n);

    for (m = 0; m < n; m++)
      gst_buffer_list_add (list,
          copy_packet (in[(gsize) p * n + order[(gsize) p * n + m]]));
    copying = bench_thread_cpu_now () - t0;
    gst_pad_push_list (r->feed[0], list);
    return copying;
  } else {
    GstBuffer **copies = g_new (GstBuffer *, n);

    for (m = 0; m < n; m++)
      copies[m] = copy_packet (in[(gsize) p * n + order[(gsize) p * n + m]]);
    copying = bench_thread_cpu_now () - t0;
    for (m = 0; m < n; m++)
      gst_pad_push (r->feed[order[(gsize) p * n + m]], copies[m]);
    t0 = bench_thread_cpu_now ();
    g_free (copies);
    return copying + bench_thread_cpu_now () - t0;
  }
}

/* An element's error on the bus: the run did not work. Prints it */
static gboolean
run_failed (Run * r, guint n)
{
  GstBus *bus = gst_element_get_bus (r->pipeline);
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  gboolean failed = msg != NULL;

  if (msg) {
    GError *err = NULL;
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &err, &dbg);
    g_printerr ("N = %u: error from %s: %s (%s)\n", n,
        GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message, dbg ? dbg : "");
    g_clear_error (&err);
    g_free (dbg);
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
  return failed;
}

/* Feeds @periods periods after WARMUP; CPU seconds per second of audio */
static double
run (Run * r, GstBuffer ** in, guint periods)
{
  guint n = r->n, m, p;
  guint *order = make_order (n, WARMUP + periods);
  gint base = 0;
  double t0 = 0, t1, copying = 0;
  GstPad **feed = g_new (GstPad *, n);

  gst_element_set_state (r->pipeline, GST_STATE_PLAYING);
  for (m = 0; m < (r->batched ? 1 : n); m++) {
    GstPad *sink = r->feed[m];

    feed[m] = new_feeder (sink, m, SRTP_CAPS);
    gst_object_unref (sink);
    r->feed[m] = feed[m];
  }
  g_free (feed);

  g_atomic_int_set (&outputs_seen, 0);
  last_run_short = FALSE;
  if (opt_live) {
    GstClock *clock = gst_element_get_clock (r->pipeline);
    GstClockTime bt = gst_element_get_base_time (r->pipeline);
    GstClockID id;
    gint got;

    /* a sender's frame leaves when it is complete: period p's packets at
     * running time (p + 1) x 20 ms; CPU is measured from the first
     * measured period to the last one's deadline */
    for (p = 0; p < WARMUP + periods; p++) {
      if (p == WARMUP) {
        base = g_atomic_int_get (&outputs_seen);
        t0 = bench_cpu_now ();
      }
      id = gst_clock_new_single_shot_id (clock, bt + (p + 1) * PERIOD);
      gst_clock_id_wait (id, NULL);
      gst_clock_id_unref (id);
      if (p >= WARMUP)
        copying += push_period (r, in, order, p);
      else
        push_period (r, in, order, p);
    }
    id = gst_clock_new_single_shot_id (clock, bt + (WARMUP + periods + 1) *
        PERIOD + LIVE_LATENCY + 10 * GST_MSECOND);
    gst_clock_id_wait (id, NULL);
    gst_clock_id_unref (id);
    t1 = bench_cpu_now ();
    gst_object_unref (clock);
    got = g_atomic_int_get (&outputs_seen) - base;
    if (run_failed (r, n))
      last_run_short = TRUE;
    if (got < (gint) (n * periods) * 9 / 10) {
      g_printerr ("N = %u: only %d of %u packets out in time: the path "
          "does not keep up in real time\n", n, got, n * periods);
      last_run_short = TRUE;
    }
    g_free (order);
    return (t1 - t0 - copying) / (periods * 0.02);
  }

  /* Every member gets one SRTP packet per period. The decoders and
   * encoders may hold a frame or two: the warm-up waits for most of its
   * output, then as many packets must come out as periods are pushed */
  for (p = 0; p < WARMUP; p++)
    push_period (r, in, order, p);
  if (!wait_outputs ((gint) (n * (WARMUP - 5)))) {
    run_failed (r, n);
    g_printerr ("warm-up: %d of %u packets out\n",
        g_atomic_int_get (&outputs_seen), n * (WARMUP - 5));
    exit (2);
  }
  g_usleep (G_USEC_PER_SEC / 10);
  base = g_atomic_int_get (&outputs_seen);

  if (opt_counted)
    CALLGRIND_ZERO_STATS;
  t0 = bench_cpu_now ();
  for (p = WARMUP; p < WARMUP + periods; p++)
    copying += push_period (r, in, order, p);
  if (!wait_outputs (base + (gint) (n * periods))) {
    run_failed (r, n);
    g_printerr ("%d of %u packets out\n", g_atomic_int_get (&outputs_seen) -
        base, n * periods);
    exit (2);
  }
  t1 = bench_cpu_now ();
  if (opt_counted)
    CALLGRIND_DUMP_STATS_AT ("measured");
  g_free (order);
  if (run_failed (r, n))
    exit (2);
  return (t1 - t0 - copying) / (periods * 0.02);
}

int
main (int argc, char **argv)
{
  gchar *n_list = NULL;
  gdouble seconds = 1.0;
  gint k = 3, naive_max = 30;
  gchar *paths = NULL;
  GOptionEntry entries[] = {
    {"paths", 0, 0, G_OPTION_ARG_STRING, &paths,
        "Paths to run, comma-separated: batched, gated, naive (default all "
          "three)", "LIST"},
    {"n", 0, 0, G_OPTION_ARG_STRING, &n_list, "Members, comma-separated",
        "10,30,100,300,1000"},
    {"k", 0, 0, G_OPTION_ARG_INT, &k, "Speakers (top-k), default 3", "K"},
    {"seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds,
        "Seconds of audio per run (default 1)", "S"},
    {"order", 0, 0, G_OPTION_ARG_STRING, &opt_order,
        "Order of the members' packets in a period: random (default), "
          "natural, reverse", "ORDER"},
    {"live", 0, 0, G_OPTION_ARG_NONE, &opt_live,
        "Live: real-time pace, the mixers time out on silent members and the "
          "gates push no GAP events", NULL},
    {"counted", 0, 0, G_OPTION_ARG_NONE, &opt_counted,
        "Under callgrind: zero the counters before the measured periods, "
          "dump them after", NULL},
    {"naive-max", 0, 0, G_OPTION_ARG_INT, &naive_max,
        "Largest N run with the naive path; above it, extrapolated "
          "(default 30)", "N"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- group audio path cost");
  GError *err = NULL;
  gchar **ns;
  guint i;
  double last_acs = 0, prev_n = 0, prev = 0, last_n = 0, last = 0;
  guint last_acs_n = 0;
  gboolean last_acs_short = FALSE;
  gboolean run_batched, run_gated, run_naive;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);
  gst_init (NULL, NULL);

  ns = g_strsplit (n_list ? n_list : "10,30,100,300,1000", ",", -1);
  if (!paths)
    paths = g_strdup ("batched,gated,naive");
  run_batched = strstr (paths, "batched") != NULL;
  run_gated = strstr (paths, "gated") != NULL;
  run_naive = strstr (paths, "naive") != NULL;
  g_printerr ("%6s %4s | %12s %12s %14s | %8s %8s | %10s %10s\n", "N", "K",
      "batched", "gated", "naive", "nv/batch", "nv/gated", "batch us",
      "gated us");
  for (i = 0; ns[i]; i++) {
    guint n = atoi (ns[i]);
    guint periods = MAX (10, (guint) (seconds / 0.02));
    GstBuffer **in = make_packets (n, MIN ((guint) k, n), WARMUP + periods);
    double a = NAN, b = NAN, nv = NAN;
    const gchar *how = "measured";
    Run *r;
    guint m;

    if (run_batched) {
      r = build_batched (n, MIN ((guint) k, n));
      b = run (r, in, periods);
      run_free (r);
      print_measured ("acs-batched", n, k, b, periods);
      last_acs = b;
      last_acs_n = n;
      last_acs_short = last_run_short;
    }
    if (run_gated) {
      r = build_acs (n, MIN ((guint) k, n));
      a = run (r, in, periods);
      run_free (r);
      print_measured ("acs-gated", n, k, a, periods);
      if (!run_batched) {
        last_acs = a;
        last_acs_n = n;
        last_acs_short = last_run_short;
      }
    }

    if (!run_naive) {
      how = "not run";
    } else if ((gint) n <= naive_max) {
      /* the naive path grows faster than N: fewer periods */
      guint np = n <= 10 ? periods : MAX (10, periods / 5);

      r = build_naive (n);
      nv = run (r, in, np);
      run_free (r);
      prev_n = last_n;
      prev = last;
      last_n = n;
      last = nv;
      print_measured ("naive-audiomixer", n, k, nv, np);
    } else if (prev > 0 && last > 0) {
      double e = log (last / prev) / log (last_n / prev_n);

      nv = last * pow (n / last_n, e);
      how = "extrapolated";
      g_print ("{\"bench\": \"group-path\", \"impl\": \"naive-audiomixer\", "
          "\"n\": %u, \"cpu_s_per_audio_s\": %.6f, \"us_per_member_frame\": "
          "%.2f, \"figure\": \"extrapolated\", \"growth_exponent\": %.2f}\n",
          n, nv, nv * 20000.0 / n, e);
    } else {
      how = "not run";
    }
    {
      gchar *ratio = isnan (nv) || isnan (b) ? g_strdup ("null") :
          g_strdup_printf ("%.2f", nv / b);

      g_print ("{\"bench\": \"group-path-ratio\", \"n\": %u, "
          "\"naive_over_batched\": %s, \"naive_figure\": \"%s\", "
          "\"batched_real_time_cores\": %.3f, \"gated_real_time_cores\": "
          "%.3f, \"live\": %s}\n", n, ratio, how, b, a,
          opt_live ? "true" : "false");
      g_free (ratio);
    }
    g_printerr ("%6u %4d | %12.4f %12.4f %13.4f%s | %8.1f %8.1f | %10.2f "
        "%10.2f\n", n, k, b, a, nv, strcmp (how, "measured") ? "*" : " ",
        nv / b, nv / a, b * 20000.0 / n, a * 20000.0 / n);

    for (m = 0; m < n * (WARMUP + periods); m++)
      gst_buffer_unref (in[m]);
    g_free (in);
  }
  g_printerr ("CPU-s per s of audio, us of CPU per member per 20 ms frame; "
      "* extrapolated. Target: N = 1000 in real time on at most half a "
      "core: %s at N = %u uses %.3f of a core: %s\n",
      run_batched ? "batched" : "gated", last_acs_n, last_acs,
      last_acs_short ? "FAIL (not in real time)" :
      (last_acs_n >= 1000 && last_acs <= 0.5 ? "PASS" :
          (last_acs_n >= 1000 ? "FAIL" : "N = 1000 not run")));
  g_strfreev (ns);
  g_free (n_list);
  g_free (paths);
  return last_acs_n >= 1000 && (last_acs > 0.5 || last_acs_short) ? 1 : 0;
}
