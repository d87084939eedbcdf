/* GStreamer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: the batched group audio path end to end (docs/design/group-path.md):
 * SRTP in, speaker selection, K decoders, acsmixer, K + 1 encoders,
 * acssrtpfanout; what every member receives is decrypted and decoded and
 * checked by ear: each hears the speakers but itself.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/rtp/rtp.h>

#include <acs/acsdecoderreset.h>

#include "leveltestutil.h"
#include "srtptestutil.h"

#define N_MEMBERS 5
#define K 2
#define PERIODS 50
#define PERIOD (20 * GST_MSECOND)
#define FRAMES 960
#define EXT_ID 1
#define SSRC_IN(m) (0x10000u + (m))
#define SSRC_OUT(m) (0x20000u + (m))
#define KEY_IN(m) ((guint8) (m))
#define KEY_OUT(m) ((guint8) (100 + (m)))
#define AMPLITUDE 8000
#define HEARD 1000.0            /* a tone heard: amplitude at least this */
#define NOT_HEARD 250.0         /* a tone absent: at most this (-30 dB) */

/* What each member says: a tone (Hz, 0 for silence) before and from
 * period `from`; the speakers at -10 dBov and below, the others silent */
typedef struct
{
  gdouble before, after;
} Voice;

typedef struct
{
  guint from;
  Voice voices[N_MEMBERS];
} Script;

/* members 0 and 1 speak, the others listen */
static const Script steady = { PERIODS, {{600, 600}, {1500, 1500}} };

/* member 1 stops at period 20 and member 2 starts, louder: it takes
 * member 1's slot */
static const Script handover = { 20, {{600, 600}, {1500, 0}, {0, 2400}} };

static gdouble
voice_at (const Script * script, guint m, guint p)
{
  return p < script->from ? script->voices[m].before : script->voices[m].after;
}

static const TestProfile *
gcm (void)
{
  return &test_profiles[0];
}

typedef struct
{
  const Script *script;
  guint m;
} MemberVoice;

static gdouble
member_tone (guint period, gconstpointer data)
{
  const MemberVoice *v = data;

  return voice_at (v->script, v->m, period);
}

/* Member @m's SRTP packets, one per period: opusenc and rtpopuspay on
 * its voice, its SSRC, an RFC 6464 level, protected by acssrtpenc with
 * its own key */
static GPtrArray *
member_packets (const Script * script, guint m)
{
  MemberVoice v = { script, m };
  GPtrArray *out = level_test_opus_packets (PERIODS, member_tone, &v,
      AMPLITUDE);
  GstBuffer *key = test_key_new (gcm ()->key_len, KEY_IN (m));
  GstHarness *enc = test_enc_new (gcm (), key);
  guint p;

  for (p = 0; p < PERIODS; p++) {
    gdouble f = voice_at (script, m, p);
    /* speakers at -10 dBov and below, one that starts later at -5 dBov;
     * silence as silence */
    guint level = f == 0 ? 127 : script->voices[m].before == 0 ? 5 : 10 + m;
    GstBuffer *pkt = level_test_mark (out->pdata[p], SSRC_IN (m), EXT_ID,
        level, p);

    pkt = test_protect (enc, pkt);
    fail_unless (pkt != NULL);
    GST_BUFFER_PTS (pkt) = p * PERIOD;
    GST_BUFFER_DURATION (pkt) = PERIOD;
    out->pdata[p] = pkt;
  }
  gst_buffer_unref (key);
  gst_harness_teardown (enc);
  return out;
}

static GstCaps *
on_request_key (GstElement * dec, guint ssrc, gpointer user_data)
{
  GstBuffer *key;
  GstCaps *caps;

  if (ssrc < SSRC_IN (0) || ssrc >= SSRC_IN (N_MEMBERS))
    return NULL;
  key = test_key_new (gcm ()->key_len, KEY_IN (ssrc - SSRC_IN (0)));
  caps = test_key_caps (gcm (), key, "application/x-srtp", -1);
  gst_buffer_unref (key);
  return caps;
}

/* The application's part: the member now in @slot gets the slot's
 * mix-minus instead of the shared mix */
static void
on_selection_changed (GstElement * sel, guint slot, guint ssrc,
    GstElement * fanout)
{
  gboolean ok = FALSE;

  g_signal_emit_by_name (fanout, "route", slot,
      ssrc ? (gint) (ssrc - SSRC_IN (0)) : -1, &ok);
  fail_unless (ok);
}

static GMutex eos_lock;
static GCond eos_cond;
static gboolean eos_seen;

static GstFlowReturn
collect_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  g_ptr_array_add (gst_pad_get_element_private (pad), buf);
  return GST_FLOW_OK;
}

static gboolean
collect_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    g_mutex_lock (&eos_lock);
    eos_seen = TRUE;
    g_cond_broadcast (&eos_cond);
    g_mutex_unlock (&eos_lock);
  }
  gst_event_unref (event);
  return TRUE;
}

/* The amplitude of the @freq Hz component of @pcm (Goertzel) */
static gdouble
tone_amplitude (const gint16 * pcm, gsize n, gdouble freq)
{
  gdouble w = 2 * G_PI * freq / 48000, c = 2 * cos (w);
  gdouble s1 = 0, s2 = 0, power;
  gsize i;

  for (i = 0; i < n; i++) {
    gdouble s0 = pcm[i] + c * s1 - s2;

    s2 = s1;
    s1 = s0;
  }
  power = s1 * s1 + s2 * s2 - c * s1 * s2;
  return 2 * sqrt (MAX (power, 0)) / n;
}

/* What member @m received: its SRTP decrypted with its key, decoded to
 * mono; the last 0.4 s of it in @pcm (g_free) */
static gsize
received_audio (GPtrArray * out, guint m, gint16 ** pcm)
{
  GstBuffer *key = test_key_new (gcm ()->key_len, KEY_OUT (m));
  GstHarness *dec = test_dec_new (gcm (), key);
  GstHarness *opus =
      gst_harness_new_parse ("rtpopusdepay ! opusdec ! capsfilter "
      "caps=audio/x-raw,format=S16LE,channels=1,rate=48000");
  GByteArray *all = g_byte_array_new ();
  GstBuffer *b;
  guint i, packets = 0;
  gsize n, keep = 48000 * 2 / 5;

  /* mono as the capsfilter wants it: opusdec 1.22 leaks its preferred
   * caps when they do not intersect with downstream's */
  gst_harness_set_src_caps_str (opus, "application/x-rtp, media=audio, "
      "clock-rate=48000, encoding-name=OPUS, payload=111, "
      "sprop-stereo=(string)0");
  for (i = 0; i < out->len; i++) {
    GstBuffer *pkt = g_ptr_array_index (out, i);
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    guint32 ssrc;

    fail_unless (gst_rtp_buffer_map (pkt, GST_MAP_READ, &rtp));
    ssrc = gst_rtp_buffer_get_ssrc (&rtp);
    gst_rtp_buffer_unmap (&rtp);
    if (ssrc != SSRC_OUT (m))
      continue;
    b = test_unprotect (dec, gst_buffer_ref (pkt));
    fail_unless (b != NULL, "member %u: a packet failed to decrypt", m);
    fail_unless_equals_int (gst_harness_push (opus, b), GST_FLOW_OK);
    packets++;
  }
  /* one packet per period, minus what the encoders hold back */
  fail_unless (packets >= PERIODS - 3, "member %u got %u packets", m, packets);
  while ((b = gst_harness_try_pull (opus))) {
    GstMapInfo map;

    fail_unless (gst_buffer_map (b, &map, GST_MAP_READ));
    g_byte_array_append (all, map.data, map.size);
    gst_buffer_unmap (b, &map);
    gst_buffer_unref (b);
  }
  fail_unless (all->len > keep);
  n = keep / 2;
  *pcm = g_memdup2 (all->data + all->len - keep, keep);
  g_byte_array_unref (all);
  gst_harness_teardown (opus);
  gst_harness_teardown (dec);
  gst_buffer_unref (key);
  return n;
}

/* Runs the members' packets of @script through the batched group path;
 * checks that in the last 0.4 s each member hears every speaker but
 * itself, and nobody hears a member who stopped speaking */
/* Bad senders for run_group_path(): member 3's packets replaced by bytes
 * that are not RTP, member 4's tampered with after protection (they fail
 * authentication); both are listeners in the steady script */
#define GARBAGE_MEMBER 3
#define TAMPERED_MEMBER 4

static void
spoil_packets (GPtrArray * in[])
{
  guint p;

  for (p = 0; p < PERIODS; p++) {
    GstBuffer *g = gst_buffer_new_allocate (NULL, 40, NULL);
    GstBuffer *t = in[TAMPERED_MEMBER]->pdata[p];
    GstMapInfo map;

    /* 0x5a...: RTP version 1 */
    gst_buffer_memset (g, 0, 0x5a, 40);
    GST_BUFFER_PTS (g) = p * PERIOD;
    gst_buffer_unref (in[GARBAGE_MEMBER]->pdata[p]);
    in[GARBAGE_MEMBER]->pdata[p] = g;

    t = gst_buffer_make_writable (t);
    fail_unless (gst_buffer_map (t, &map, GST_MAP_WRITE));
    map.data[map.size - 20] ^= 0x01;
    gst_buffer_unmap (t, &map);
    in[TAMPERED_MEMBER]->pdata[p] = t;
  }
}

static void
run_group_path (const Script * script, gboolean bad_senders)
{
  GstElement *pipeline, *dec, *sel, *fanout;
  GPtrArray *in[N_MEMBERS];
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GstPad *collect, *fan_src, *feed, *dec_sink;
  GstSegment seg;
  GstCaps *caps;
  GstBus *bus;
  GstMessage *msg;
  guint m, p, s;
  gchar *desc;
  GString *slots = g_string_new (NULL);

  for (m = 0; m < N_MEMBERS; m++)
    in[m] = member_packets (script, m);
  if (bad_senders)
    spoil_packets (in);

  for (s = 0; s < K; s++)
    g_string_append_printf (slots, " sel.src_%u ! rtpopusdepay ! "
        "opusdec name=d%u ! mix.sink_%u mix.src_%u ! opusenc ! "
        "rtpopuspay pt=111 ! fan.sink_%u", s, s, s, s, s);
  desc = g_strdup_printf ("acssrtpdec name=dec profile=AEAD_AES_128_GCM ! "
      "acsspeakerselect name=sel top-k=%u gaps=true "
      "acsmixer name=mix top-k=%u ! opusenc ! rtpopuspay pt=111 ! fan.sink "
      "acssrtpfanout name=fan profile=AEAD_AES_128_GCM %s", K, K, slots->str);
  pipeline = gst_parse_launch (desc, NULL);
  fail_unless (pipeline != NULL);
  g_free (desc);
  g_string_free (slots, TRUE);

  dec = gst_bin_get_by_name (GST_BIN (pipeline), "dec");
  sel = gst_bin_get_by_name (GST_BIN (pipeline), "sel");
  fanout = gst_bin_get_by_name (GST_BIN (pipeline), "fan");
  g_signal_connect (dec, "request-key", G_CALLBACK (on_request_key), NULL);
  g_signal_connect (sel, "on-selection-changed",
      G_CALLBACK (on_selection_changed), fanout);
  for (s = 0; s < K; s++) {
    gchar *name = g_strdup_printf ("d%u", s);
    GstElement *odec = gst_bin_get_by_name (GST_BIN (pipeline), name);

    fail_unless (acs_decoder_reset_attach (odec) != 0);
    gst_object_unref (odec);
    g_free (name);
  }
  for (m = 0; m < N_MEMBERS; m++) {
    GstBuffer *key = test_key_new (gcm ()->key_len, KEY_OUT (m));
    gboolean ok = FALSE;

    g_signal_emit_by_name (fanout, "add-destination", m, SSRC_OUT (m), key,
        &ok);
    fail_unless (ok);
    gst_buffer_unref (key);
  }

  /* what the fanout sends, collected on a pad of ours */
  collect = gst_pad_new ("collect", GST_PAD_SINK);
  gst_pad_set_element_private (collect, out);
  gst_pad_set_chain_function (collect, collect_chain);
  gst_pad_set_event_function (collect, collect_event);
  eos_seen = FALSE;
  gst_pad_set_active (collect, TRUE);
  fan_src = gst_element_get_static_pad (fanout, "src");
  fail_unless_equals_int (gst_pad_link (fan_src, collect), GST_PAD_LINK_OK);

  bus = gst_element_get_bus (pipeline);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  /* the members' packets, one buffer list per period, into acssrtpdec
   * from a pad of ours */
  feed = gst_pad_new ("feed", GST_PAD_SRC);
  gst_pad_set_active (feed, TRUE);
  dec_sink = gst_element_get_static_pad (dec, "sink");
  fail_unless_equals_int (gst_pad_link (feed, dec_sink), GST_PAD_LINK_OK);
  fail_unless (gst_pad_push_event (feed,
          gst_event_new_stream_start ("grouppath")));
  caps = gst_caps_from_string ("application/x-srtp, media=audio, "
      "clock-rate=48000, encoding-name=OPUS, payload=111, "
      "extmap-1=urn:ietf:params:rtp-hdrext:ssrc-audio-level");
  fail_unless (gst_pad_push_event (feed, gst_event_new_caps (caps)));
  gst_caps_unref (caps);
  gst_segment_init (&seg, GST_FORMAT_TIME);
  fail_unless (gst_pad_push_event (feed, gst_event_new_segment (&seg)));
  for (p = 0; p < PERIODS; p++) {
    GstBufferList *list = gst_buffer_list_new_sized (N_MEMBERS);

    /* a different order every period */
    for (m = 0; m < N_MEMBERS; m++)
      gst_buffer_list_add (list,
          gst_buffer_ref (g_ptr_array_index (in[(m + p) % N_MEMBERS], p)));
    fail_unless_equals_int (gst_pad_push_list (feed, list), GST_FLOW_OK);
  }
  fail_unless (gst_pad_push_event (feed, gst_event_new_eos ()));
  /* EOS through every branch: the mixer sends it once all its pads have */
  g_mutex_lock (&eos_lock);
  while (!eos_seen)
    fail_unless (g_cond_wait_until (&eos_cond, &eos_lock,
            g_get_monotonic_time () + 20 * G_TIME_SPAN_SECOND),
        "no EOS from the fanout");
  g_mutex_unlock (&eos_lock);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg == NULL, "the pipeline posted an error");
  if (bad_senders) {
    /* every bad packet dropped and counted, nothing else */
    fail_unless_equals_uint64 (test_get_stat (dec, "malformed"), PERIODS);
    fail_unless_equals_uint64 (test_get_stat (dec, "auth-failures"), PERIODS);
    fail_unless_equals_uint64 (test_get_stat (dec, "packets-unprotected"),
        (N_MEMBERS - 2) * PERIODS);
  }

  for (m = 0; m < N_MEMBERS; m++) {
    gint16 *pcm;
    gsize n = received_audio (out, m, &pcm);

    for (s = 0; s < N_MEMBERS; s++) {
      gdouble now = voice_at (script, s, PERIODS - 1);
      gdouble then = script->voices[s].before;
      gdouble a;

      if (now > 0) {
        a = tone_amplitude (pcm, n, now);
        GST_INFO ("member %u hears %.0f Hz at amplitude %.0f", m, now, a);
        if (m == s)
          fail_unless (a < NOT_HEARD, "member %u hears itself (%.0f)", m, a);
        else
          fail_unless (a > HEARD, "member %u does not hear member %u (%.0f)",
              m, s, a);
      } else if (then > 0) {
        a = tone_amplitude (pcm, n, then);
        GST_INFO ("member %u hears %.0f Hz (stopped) at amplitude %.0f", m,
            then, a);
        fail_unless (a < NOT_HEARD, "member %u still hears member %u (%.0f)",
            m, s, a);
      }
    }
    g_free (pcm);
  }

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_pad_unlink (feed, dec_sink);
  gst_pad_set_active (feed, FALSE);
  gst_object_unref (feed);
  gst_object_unref (dec_sink);
  gst_pad_unlink (fan_src, collect);
  gst_pad_set_active (collect, FALSE);
  gst_object_unref (collect);
  gst_object_unref (fan_src);
  gst_object_unref (bus);
  gst_object_unref (dec);
  gst_object_unref (sel);
  gst_object_unref (fanout);
  gst_object_unref (pipeline);
  for (m = 0; m < N_MEMBERS; m++)
    g_ptr_array_unref (in[m]);
  g_ptr_array_unref (out);
}

/* Two speakers, three listeners: each speaker hears the other, never
 * itself; the listeners hear both */
GST_START_TEST (test_group_path_mix_minus_by_ear)
{
  run_group_path (&steady, FALSE);
}

GST_END_TEST;

/* A speaker stops and a listener starts speaking: the newcomer takes the
 * slot (re-routed, its decoder reset) and, like everyone, hears the other
 * speaker and not itself; the one who stopped is heard by nobody */
GST_START_TEST (test_group_path_speaker_handover)
{
  run_group_path (&handover, FALSE);
}

GST_END_TEST;

/* Two listeners send garbage and tampered SRTP: acssrtpdec drops and
 * counts their packets, and everyone, them included, hears the speakers
 * as before */
GST_START_TEST (test_group_path_bad_senders)
{
  run_group_path (&steady, TRUE);
}

GST_END_TEST;

static Suite *
grouppath_suite (void)
{
  Suite *s = suite_create ("grouppath");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_group_path_mix_minus_by_ear);
  tcase_add_test (tc, test_group_path_speaker_handover);
  tcase_add_test (tc, test_group_path_bad_senders);
  return s;
}

GST_CHECK_MAIN (grouppath);
