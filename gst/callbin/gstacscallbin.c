/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: a whole one-to-one call in a bin
 * Copyright (C) 2026 gst-acs authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-acscallbin
 * @title: acscallbin
 * @see_also: acssignal, acsicebin, acssrtpenc, acssrtpdec, rtpbin
 *
 * Turns a controller URL, a token and a `target` (or an incoming call) into
 * a live, secure one-to-one audio call. Raw audio into `audio_sink` is
 * encoded with Opus (in-band FEC, DTX), sent as RTP through rtpbin (RTCP
 * included), protected by acssrtpenc and carried by acsicebin; what
 * arrives is decrypted by acssrtpdec, goes through rtpbin's jitter buffer
 * and leaves decoded on a sometimes pad `audio_src_%u`.
 *
 * Video is optional: request `video_sink` (in NULL or READY) and the calls
 * offer a VP8 stream BUNDLEd with the audio (RFC 8843: one transport, one
 * SRTP key per direction). vp8enc runs with real-time settings at
 * `video-bitrate`; rtpvp8pay and rtpopuspay meet in an rtpfunnel before
 * rtpbin. Remote VP8 (told from Opus by payload type) is decoded onto a
 * sometimes pad `video_src_%u`. A peer without video gets its video line
 * rejected (port 0); keyframes are asked for when the keys and the ICE
 * path are up, and by RTCP PLI from the receiver.
 *
 * RTP and RTCP share one ICE component (rtcp-mux): rtpbin's
 * `send_rtp_src_0` and `send_rtcp_src_0` meet in a funnel before
 * acssrtpenc; after acssrtpdec a tee feeds `recv_rtp_sink_0` and
 * `recv_rtcp_sink_0`, a pad probe on each branch dropping the packets of
 * the other kind (second byte 192 to 223 is RTCP, RFC 5761).
 *
 * The caller (a non-empty `target`) is ICE controlling. Each call leg
 * makes fresh SRTP keys (getrandom): the offer carries AEAD_AES_128_GCM
 * and AES_CM_128_HMAC_SHA1_80 keys, the answer the suite it picked and its
 * own key. STUN and TURN servers come from the controller
 * (`get-ice-servers`, asked for as the caller starts and as the callee
 * rings) unless `stun-server` or `turn-server` is set; ICE gathers only
 * once they are known, so acsicebin stays in READY (its state locked)
 * until then.
 *
 * Call progress is posted as `acs-call-state` element messages; acsicebin's
 * `acs-ice-state` and `acs-ice-selected-pair` reach the bus as they are.
 * EOS on `audio_sink` or the `hang-up` action ends the call; when the call
 * ends, every `audio_src_%u` pad gets EOS, and so do the bin's own sinks,
 * so that the pipeline reaches EOS (gst-launch exits); acsicebin's errors
 * after the end are dropped. When the controller refuses the
 * hang-up or cannot be reached (a controller restarted mid-call has
 * forgotten the call: 404), the call ends here all the same, with a warning
 * from acssignal; the peer then learns of it only from its own hang-up.
 * A controller restart alone does not touch the media: acssignal
 * reconnects its event stream and the call goes on; an error of acssignal
 * while the call is active (a request cut by the restart) is posted as a
 * warning instead, since the media no longer needs the controller.
 *
 * Lost packets reach opusdec as gaps (rtpbin `do-lost`), which it fills
 * from the next packet's in-band FEC or by concealment, so the decoded
 * audio keeps its timing under loss.
 *
 * One call per READY->PAUSED: after the end, go back to READY for another.
 * `acs-call-stats` messages come every `stats-interval` while the call is
 * active (RTT, jitter, loss, bit rates, an E-model MOS; the fields of
 * `stats` plus `timestamp`, the system clock's time when they were read,
 * in ns); `acs-call-path`
 * says which call-flow case ICE found. `mute` sends silence; `encoded`
 * passes Opus through both ways instead of transcoding.
 *
 * Threading: the signal handlers run in acssignal's and acsicebin's
 * threads, the stats tick in the system clock's. Lock order: there is one
 * lock, the object lock; it guards the fields so marked, is held briefly
 * and never while emitting a signal, posting or changing a child's state.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 audiotestsrc is-live=true ! acscallbin name=c \
 *     controller=https://127.0.0.1:8443 token="$TOKEN_ALICE" target=bob \
 *     tls-pinned-certificate=/var/lib/acs-controller/cert.pem \
 *     c. ! audioconvert ! autoaudiosink
 * ]|
 * A video call: the same with
 * `videotestsrc is-live=true ! c.video_sink c. ! videoconvert ! autovideosink`.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>

#include <gst/rtp/rtp.h>

#include <acs/acssdes.h>
#include <acs/acssrtpprofile.h>

#include "gstacscallbin.h"
#include "gstacscallbinelements.h"
#include "gstacscallmedia.h"
#include "gstacscallsdp.h"

GST_DEBUG_CATEGORY (gst_acs_call_bin_debug);
#define GST_CAT_DEFAULT gst_acs_call_bin_debug

#define DEFAULT_AUTO_ANSWER FALSE
#define DEFAULT_LATENCY 60
#define DEFAULT_MUTE FALSE
#define DEFAULT_ENCODED FALSE
#define DEFAULT_ICE_TCP FALSE
#define DEFAULT_RELAY_ONLY FALSE
#define DEFAULT_STATS_INTERVAL 1000
#define DEFAULT_VIDEO_BITRATE 500000
#define OPUS_CAPS "application/x-srtp,media=audio,clock-rate=48000," \
    "encoding-name=OPUS,payload=96"

enum
{
  PROP_0,
  PROP_CONTROLLER,
  PROP_TOKEN,
  PROP_TLS_PINNED_CERTIFICATE,
  PROP_TLS_CA_FILE,
  PROP_TARGET,
  PROP_AUTO_ANSWER,
  PROP_LATENCY,
  PROP_STUN_SERVER,
  PROP_TURN_SERVER,
  PROP_INTERFACES,
  PROP_ICE_TCP,
  PROP_RELAY_ONLY,
  PROP_MUTE,
  PROP_ENCODED,
  PROP_STATS_INTERVAL,
  PROP_STATS,
  PROP_VIDEO_BITRATE,
};

enum
{
  SIGNAL_ON_INCOMING,
  SIGNAL_ANSWER,
  SIGNAL_HANG_UP,
  LAST_SIGNAL
};

static guint signals[LAST_SIGNAL];

typedef enum
{
  CALL_IDLE,
  CALL_CALLING,
  CALL_INCOMING,
  CALL_RINGING,
  CALL_ACTIVE,
  CALL_ENDED,
} CallState;

static const gchar *state_names[] = {
  "idle", "calling", "incoming", "ringing", "active", "ended"
};

/* The ICE servers of the current run (READY -> PAUSED to PAUSED -> READY) */
typedef enum
{
  SERVERS_NONE,
  SERVERS_FETCHING,
  SERVERS_READY,
} ServersState;

/* A step of the call that needs the ICE servers configured */
typedef void (*NextStep) (GstAcsCallBin * self);

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE ("audio_sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("audio/x-raw; audio/x-opus"));

static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE ("audio_src_%u",
    GST_PAD_SRC,
    GST_PAD_SOMETIMES,
    GST_STATIC_CAPS ("audio/x-raw; audio/x-opus"));

static GstStaticPadTemplate video_sink_template =
    GST_STATIC_PAD_TEMPLATE ("video_sink",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("video/x-raw; video/x-vp8"));

static GstStaticPadTemplate video_src_template =
    GST_STATIC_PAD_TEMPLATE ("video_src_%u",
    GST_PAD_SRC,
    GST_PAD_SOMETIMES,
    GST_STATIC_CAPS ("video/x-raw; video/x-vp8"));

struct _GstAcsCallBin
{
  GstBin parent;

  /* children: set in init, constant afterwards */
  GstElement *sig;
  GstElement *rtpbin;
  GstElement *ice;
  GstElement *srtpenc;
  GstElement *srtpdec;
  GstElement *pay;
  GstElement *opusenc;
  GstElement *convert;
  GstPad *sinkpad;

  /* video: changed in NULL or READY only, by the app thread
   * (request_new_pad, release_pad) */
  GstElement *vsend;            /* videoconvert ! vp8enc ! rtpvp8pay */
  GstElement *rtpfunnel;        /* the payloaders into send_rtp_sink_0 */
  GstPad *video_sinkpad;
  /* atomic: the agreed VP8 payload type, -1 while no video is agreed */
  gint video_pt;

  /* atomic: set once the SRTP keys are agreed; packets before are dropped */
  gint keyed;
  /* atomic: replace outgoing audio with silence */
  gint mute;
  /* atomic: encoded pass-through (set in NULL, applied going to READY) */
  gint encoded;
  gboolean encoded_applied;     /* changed in NULL only, by the app thread */

  /* GST_OBJECT_LOCK */
  gchar *target;
  gboolean auto_answer;
  gchar *stun_server;
  gchar *turn_server;
  CallState state;
  gboolean caller;
  gboolean stream_up;
  ServersState servers;         /* the ICE servers: asked for, known */
  guint servers_gen;            /* bumped per READY -> PAUSED */
  NextStep servers_next;        /* what waits for them */
  gboolean ice_started;
  gboolean stopping;
  gchar *offer;                 /* the incoming offer, until answered */
  AcsCallSdpCrypto local_keys[2];       /* offered keys, or the answer's */
  guint n_local_keys;
  AcsSrtpProfile profile;
  guint n_src_pads;
  guint stats_interval;
  GstClockID stats_id;
  guint64 last_bytes_sent, last_bytes_received;
  GstClockTime last_stats_time;
  gdouble send_kbps, recv_kbps;
  gchar *path;                  /* "direct/udp", ... once ICE selected */
  GList *src_pads;              /* GstPad*, the ghost audio_src_%u, video_src_%u */
  guint n_video_src_pads;
  guint video_bitrate;
};

G_DEFINE_TYPE_WITH_CODE (GstAcsCallBin, gst_acs_call_bin, GST_TYPE_BIN,
    GST_DEBUG_CATEGORY_INIT (gst_acs_call_bin_debug, "acscallbin", 0,
        "one-to-one call bin"));
GST_ELEMENT_REGISTER_DEFINE (acscallbin, "acscallbin", GST_RANK_NONE,
    GST_TYPE_ACS_CALL_BIN);

static void gst_acs_call_bin_dispose (GObject * object);
static void gst_acs_call_bin_finalize (GObject * object);
static void gst_acs_call_bin_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_acs_call_bin_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_acs_call_bin_change_state (GstElement *
    element, GstStateChange transition);
static void gst_acs_call_bin_handle_message (GstBin * bin,
    GstMessage * message);
static void gst_acs_call_bin_answer (GstAcsCallBin * self);
static void gst_acs_call_bin_hang_up (GstAcsCallBin * self);
static GstStructure *gst_acs_call_bin_get_stats (GstAcsCallBin * self);

static void on_incoming (GstElement * sig, const gchar * call_id,
    const gchar * from, const gchar * offer, GstAcsCallBin * self);
static void on_ringing (GstElement * sig, const gchar * call_id,
    GstAcsCallBin * self);
static void on_answered (GstElement * sig, const gchar * call_id,
    const gchar * answer, GstAcsCallBin * self);
static void on_remote_candidate (GstElement * sig, const gchar * call_id,
    guint mline, const gchar * candidate, GstAcsCallBin * self);
static void on_ended (GstElement * sig, const gchar * call_id,
    const gchar * reason, guint sip_status, GstAcsCallBin * self);
static void on_ice_candidate (GstElement * ice, const gchar * candidate,
    GstAcsCallBin * self);
static void on_gathering_done (GstElement * ice, GstAcsCallBin * self);
static void servers_fetch (GstAcsCallBin * self);
static void on_rtpbin_pad_added (GstElement * rtpbin, GstPad * pad,
    GstAcsCallBin * self);
static GstPadProbeReturn sink_eos_probe (GstPad * pad,
    GstPadProbeInfo * info, gpointer user_data);
static GstPadProbeReturn unkeyed_probe (GstPad * pad,
    GstPadProbeInfo * info, gpointer user_data);
static void apply_encoded (GstAcsCallBin * self);
static GstEvent *force_key_unit_event (void);
static void request_keyframe (GstAcsCallBin * self);
static void agree_video (GstAcsCallBin * self, gint pt);
static GstPadProbeReturn mute_probe (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data);
static void stats_start (GstAcsCallBin * self);
static void stats_stop (GstAcsCallBin * self);
static GstPad *gst_acs_call_bin_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps);
static void gst_acs_call_bin_release_pad (GstElement * element, GstPad * pad);
static GstCaps *on_request_pt_map (GstElement * rtpbin, guint session,
    guint pt, GstAcsCallBin * self);

static void
gst_acs_call_bin_class_init (GstAcsCallBinClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBinClass *bin_class = GST_BIN_CLASS (klass);

  gobject_class->dispose = gst_acs_call_bin_dispose;
  gobject_class->finalize = gst_acs_call_bin_finalize;
  gobject_class->set_property = gst_acs_call_bin_set_property;
  gobject_class->get_property = gst_acs_call_bin_get_property;

  gst_element_class_set_static_metadata (element_class,
      "ACS one-to-one call", "Filter/Network/Call",
      "Places or answers a secure one-to-one audio (and video) call through "
      "the ACS controller (signaling, ICE, SRTP, RTP, Opus, VP8)",
      "gst-acs authors <gst-acs@example.org>");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_add_static_pad_template (element_class,
      &video_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &video_src_template);

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_acs_call_bin_change_state);
  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_acs_call_bin_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR (gst_acs_call_bin_release_pad);
  bin_class->handle_message =
      GST_DEBUG_FUNCPTR (gst_acs_call_bin_handle_message);

  g_object_class_install_property (gobject_class, PROP_CONTROLLER,
      g_param_spec_string ("controller", "Controller",
          "URL of the signaling controller, https://host[:port][/path]; "
          "set in NULL or READY", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_TOKEN,
      g_param_spec_string ("token", "Token",
          "Bearer token (JWT) of the local user for the controller; never "
          "logged; set in NULL or READY", NULL,
          G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_TLS_PINNED_CERTIFICATE,
      g_param_spec_string ("tls-pinned-certificate", "TLS Pinned Certificate",
          "PEM file of the one certificate the controller must present; "
          "set in NULL or READY", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_TLS_CA_FILE,
      g_param_spec_string ("tls-ca-file", "TLS CA File",
          "PEM CA file that verifies the controller instead of the system's "
          "CAs; set in NULL or READY", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_TARGET,
      g_param_spec_string ("target", "Target",
          "User to call once the controller connection is up; NULL or empty "
          "waits for an incoming call; set in NULL or READY", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_AUTO_ANSWER,
      g_param_spec_boolean ("auto-answer", "Auto Answer",
          "Answer an incoming call at once instead of waiting for the "
          "answer action; may change in any state", DEFAULT_AUTO_ANSWER,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_LATENCY,
      g_param_spec_uint ("latency", "Latency",
          "Jitter buffer size in milliseconds (rtpbin latency), 0 to 10000; "
          "set in NULL or READY", 0, 10000, DEFAULT_LATENCY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_STUN_SERVER,
      g_param_spec_string ("stun-server", "STUN Server",
          "stun://host:port used instead of the controller's STUN server; "
          "set in NULL or READY", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_TURN_SERVER,
      g_param_spec_string ("turn-server", "TURN Server",
          "turn://user:pass@host:port?transport=udp|tcp (or turns://) used "
          "instead of the controller's TURN servers; write-only (holds a "
          "password); set in NULL or READY", NULL,
          G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_ICE_TCP,
      g_param_spec_boolean ("ice-tcp", "ICE TCP",
          "Also gather ICE-TCP candidates (acsicebin's ice-tcp, RFC 6544), "
          "for peers reachable over TCP only; set in NULL or READY",
          DEFAULT_ICE_TCP, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_RELAY_ONLY,
      g_param_spec_boolean ("relay-only", "Relay Only",
          "Use TURN relay candidates only (acsicebin's transport-policy "
          "relay), hiding the local addresses; set in NULL or READY",
          DEFAULT_RELAY_ONLY, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_INTERFACES,
      g_param_spec_string ("interfaces", "Interfaces",
          "Comma-separated interface names or local addresses ICE may use "
          "(acsicebin's interfaces); NULL uses all; set in NULL or READY",
          NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_MUTE,
      g_param_spec_boolean ("mute", "Mute",
          "Send silence instead of the audio on audio_sink (Opus DTX then "
          "sends almost nothing); may change in any state", DEFAULT_MUTE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstAcsCallBin:encoded:
   *
   * Pass encoded media through instead of transcoding, for recording
   * bridges: `audio_sink` then takes Opus (`audio/x-opus`, as opusenc
   * makes it) straight to the payloader, and each `audio_src_%u` gives the
   * depayloaded Opus, undecoded. `mute` and the RFC 6464 audio level need
   * raw audio and do nothing in this mode.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_ENCODED,
      g_param_spec_boolean ("encoded", "Encoded",
          "Take Opus on audio_sink and give undecoded Opus on audio_src_%u "
          "instead of raw audio; set in NULL", DEFAULT_ENCODED,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_STATS_INTERVAL,
      g_param_spec_uint ("stats-interval", "Stats Interval",
          "Milliseconds between acs-call-stats bus messages while the call "
          "is active, 0 for none (100-60000 otherwise); set in NULL or "
          "READY", 0, 60000, DEFAULT_STATS_INTERVAL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstAcsCallBin:video-bitrate:
   *
   * The target bit rate of vp8enc (`target-bitrate`, constant bit rate)
   * for the video on `video_sink`, in bits per second. It may change while
   * the call goes on.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_VIDEO_BITRATE,
      g_param_spec_uint ("video-bitrate", "Video Bitrate",
          "Target bit rate of the VP8 encoder for video_sink in bits/s, "
          "10000 to 10000000; may change in any state", 10000, 10000000,
          DEFAULT_VIDEO_BITRATE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstAcsCallBin:stats:
   *
   * `application/x-acs-call-stats`: `state` (string), `srtp-profile`
   * (string, "" before the keys are agreed), `rtp-packets-sent`,
   * `rtp-packets-received` (guint64), `packets-lost` (gint64),
   * `loss-percent`, `jitter-ms` (gdouble, interarrival jitter of the
   * remote stream) and `rtt-ms` (gdouble, -1 until an RTCP receiver
   * report came back), from rtpbin's source statistics;
   * `rtcp-packets-sent`, `rtcp-packets-received` (guint64) from the SRTP
   * elements.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Call statistics from rtpbin's sources: packets sent and "
          "received, loss, jitter, round-trip time", GST_TYPE_STRUCTURE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstAcsCallBin::on-incoming:
   * @callbin: the #GstAcsCallBin
   * @from: the caller's user name
   *
   * A call came in (and rings) while `auto-answer` is off: emit `answer`
   * to take it or `hang-up` to decline it. Emitted from acssignal's
   * thread.
   */
  signals[SIGNAL_ON_INCOMING] = g_signal_new ("on-incoming",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * GstAcsCallBin::answer:
   * @callbin: the #GstAcsCallBin
   *
   * Answers the incoming call; ignored without one.
   */
  signals[SIGNAL_ANSWER] = g_signal_new_class_handler ("answer",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_acs_call_bin_answer), NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * GstAcsCallBin::hang-up:
   * @callbin: the #GstAcsCallBin
   *
   * Ends the call: cancels it while calling, declines it while ringing,
   * hangs up an active call.
   */
  signals[SIGNAL_HANG_UP] = g_signal_new_class_handler ("hang-up",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_acs_call_bin_hang_up), NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static GstElement *
make (GstAcsCallBin * self, const gchar * factory, const gchar * name)
{
  GstElement *e = gst_element_factory_make (factory, name);

  if (e == NULL) {
    GST_WARNING_OBJECT (self, "element %s is missing", factory);
    return NULL;
  }
  gst_bin_add (GST_BIN (self), e);
  return e;
}

static void
gst_acs_call_bin_init (GstAcsCallBin * self)
{
  GstElement *convert, *resample, *opusenc, *funnel, *capsf, *tee;
  GstElement *proxysink, *proxysrc, *level;
  GstRTPHeaderExtension *ext;
  GObject *session = NULL;
  GstPad *ghost;
  GstPad *pad, *target;
  GstCaps *caps;

  self->auto_answer = DEFAULT_AUTO_ANSWER;
  self->profile = ACS_SRTP_PROFILE_CUSTOM;
  self->stats_interval = DEFAULT_STATS_INTERVAL;
  self->video_bitrate = DEFAULT_VIDEO_BITRATE;
  self->video_pt = -1;

  self->sig = make (self, "acssignal", "signal");
  self->rtpbin = make (self, "rtpbin", "rtpbin");
  self->ice = make (self, "acsicebin", "ice");
  self->srtpenc = make (self, "acssrtpenc", "srtpenc");
  self->srtpdec = make (self, "acssrtpdec", "srtpdec");
  self->pay = make (self, "rtpopuspay", "pay");
  convert = make (self, "audioconvert", "convert");
  resample = make (self, "audioresample", "resample");
  level = make (self, "level", "level");
  opusenc = make (self, "opusenc", "opusenc");
  self->opusenc = opusenc;
  self->convert = convert;
  funnel = make (self, "funnel", "funnel");
  capsf = make (self, "capsfilter", "srtpcaps");
  tee = make (self, "tee", "split");
  proxysink = make (self, "proxysink", "recvproxysink");
  proxysrc = make (self, "proxysrc", "recvproxysrc");

  self->sinkpad = gst_ghost_pad_new_no_target_from_template ("audio_sink",
      gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (self),
          "audio_sink"));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  if (!self->sig || !self->rtpbin || !self->ice || !self->srtpenc
      || !self->srtpdec || !self->pay || !convert || !resample || !opusenc
      || !funnel || !capsf || !tee || !proxysink || !proxysrc || !level)
    return;                     /* change_state reports it */

  /* do-lost: the jitter buffer tells the depayloader of each lost packet,
   * and it opusdec with a gap, which it conceals (PLC) or recovers from
   * the next packet's in-band FEC; without it a loss shortens the audio */
  g_object_set (self->rtpbin, "latency", DEFAULT_LATENCY, "do-lost", TRUE,
      NULL);
  pad = gst_element_request_pad_simple (self->rtpbin, "send_rtp_sink_0");
  gst_object_unref (pad);
  g_signal_emit_by_name (self->rtpbin, "get-session", 0, &session);
  if (session) {
    /* RTT and loss after seconds, not after RFC 3550's 5 s minimum (the
     * reduced minimum of its section 6.2 is about 0.1 s at 48 kbit/s) */
    g_object_set (session, "rtcp-min-interval", (guint64) GST_SECOND, NULL);
    g_object_unref (session);
  }
  g_object_set (opusenc, "inband-fec", TRUE, "dtx", TRUE,
      "packet-loss-percentage", 10, NULL);
  g_object_set (self->pay, "pt", ACS_CALL_SDP_PT, "dtx", TRUE, NULL);

  /* RFC 6464: level measures each buffer into a GstAudioLevelMeta, which
   * opusenc keeps on its output and rtphdrextclientaudiolevel writes */
  g_object_set (level, "audio-level-meta", TRUE, "post-messages", FALSE, NULL);
  ext = gst_rtp_header_extension_create_from_uri (ACS_CALL_SDP_AUDIO_LEVEL_URI);
  if (ext) {
    gst_rtp_header_extension_set_id (ext, ACS_CALL_SDP_AUDIO_LEVEL_ID);
    g_signal_emit_by_name (self->pay, "add-extension", ext);
    gst_object_unref (ext);
  } else {
    GST_WARNING_OBJECT (self, "no RFC 6464 audio-level extension element");
  }
  caps = gst_caps_from_string (OPUS_CAPS);
  g_object_set (capsf, "caps", caps, NULL);
  gst_caps_unref (caps);
  /* ICE gathers only once the servers are known: see ice_start () */
  gst_element_set_locked_state (self->ice, TRUE);

  /* send: audio_sink ! audioconvert ! audioresample ! level ! opusenc !
   * rtpopuspay ! rtpbin ! funnel (RTP and RTCP) ! acssrtpenc ! acsicebin */
  target = gst_element_get_static_pad (convert, "sink");
  gst_ghost_pad_set_target (GST_GHOST_PAD (self->sinkpad), target);
  gst_object_unref (target);
  gst_pad_add_probe (self->sinkpad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      sink_eos_probe, self, NULL);
  gst_element_link_many (convert, resample, level, opusenc, self->pay, NULL);
  pad = gst_element_get_static_pad (level, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, mute_probe, self, NULL);
  gst_object_unref (pad);
  gst_element_link_pads (self->pay, "src", self->rtpbin, "send_rtp_sink_0");
  gst_element_link_pads (self->rtpbin, "send_rtp_src_0", funnel, "sink_%u");
  gst_element_link_pads (self->rtpbin, "send_rtcp_src_0", funnel, "sink_%u");
  /* acssrtpenc tells RTCP from RTP by the packet, but accepts only RTP caps
   * (from what acsicebin accepts): the RTCP branch carries the RTP
   * branch's own caps event, which the funnel then need not resend */
  ghost = gst_element_get_static_pad (self->rtpbin, "send_rtcp_src_0");
  /* on rtpsession's own pad: the ghost pad's accept-caps check would
   * refuse the RTCP caps before a probe on the ghost pad saw them */
  pad = gst_ghost_pad_get_target (GST_GHOST_PAD (ghost));
  gst_object_unref (ghost);
  target = gst_element_get_static_pad (self->rtpbin, "send_rtp_src_0");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      acs_call_media_rtcp_caps_probe, gst_object_ref (target),
      gst_object_unref);
  gst_object_unref (target);
  gst_object_unref (pad);
  gst_element_link_many (funnel, self->srtpenc, self->ice, NULL);
  pad = gst_element_get_static_pad (self->srtpenc, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, unkeyed_probe, self, NULL);
  gst_object_unref (pad);

  /* receive: acsicebin ! proxysink, proxysrc ! capsfilter ! acssrtpdec !
   * tee, one branch per packet kind into rtpbin. The proxy pair keeps the
   * element graph free of a loop (rtpbin sends into and receives from
   * acsicebin), which GstBin would warn about at every state change */
  g_object_set (proxysrc, "proxysink", proxysink, NULL);
  gst_element_link (self->ice, proxysink);
  gst_element_link_many (proxysrc, capsf, self->srtpdec, tee, NULL);
  pad = gst_element_request_pad_simple (tee, "src_%u");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, acs_call_media_split_probe,
      GINT_TO_POINTER (FALSE), NULL);
  gst_pad_link (pad, target = gst_element_request_pad_simple (self->rtpbin,
          "recv_rtp_sink_0"));
  gst_object_unref (target);
  gst_object_unref (pad);
  pad = gst_element_request_pad_simple (tee, "src_%u");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM |
      GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM, acs_call_media_split_probe,
      GINT_TO_POINTER (TRUE), NULL);
  gst_pad_link (pad, target = gst_element_request_pad_simple (self->rtpbin,
          "recv_rtcp_sink_0"));
  gst_object_unref (target);
  gst_object_unref (pad);

  g_signal_connect (self->rtpbin, "pad-added",
      G_CALLBACK (on_rtpbin_pad_added), self);
  g_signal_connect (self->rtpbin, "request-pt-map",
      G_CALLBACK (on_request_pt_map), self);
  g_signal_connect (self->sig, "on-incoming", G_CALLBACK (on_incoming), self);
  g_signal_connect (self->sig, "on-ringing", G_CALLBACK (on_ringing), self);
  g_signal_connect (self->sig, "on-answered", G_CALLBACK (on_answered), self);
  g_signal_connect (self->sig, "on-remote-candidate",
      G_CALLBACK (on_remote_candidate), self);
  g_signal_connect (self->sig, "on-ended", G_CALLBACK (on_ended), self);
  g_signal_connect (self->ice, "on-ice-candidate",
      G_CALLBACK (on_ice_candidate), self);
  g_signal_connect (self->ice, "on-gathering-done",
      G_CALLBACK (on_gathering_done), self);
}

static void
clear_keys_locked (GstAcsCallBin * self)
{
  guint i;

  for (i = 0; i < self->n_local_keys; i++) {
    if (self->local_keys[i].key)
      acs_secret_free (self->local_keys[i].key,
          strlen (self->local_keys[i].key));
    self->local_keys[i].key = NULL;
  }
  self->n_local_keys = 0;
  if (self->offer)
    acs_secret_free (self->offer, strlen (self->offer));
  self->offer = NULL;
}

static void
gst_acs_call_bin_dispose (GObject * object)
{
  GstAcsCallBin *self = GST_ACS_CALL_BIN (object);

  /* GstBin's dispose drops the children before GstElement's releases
   * video_sink: release_pad must not touch them then */
  self->vsend = NULL;
  self->rtpfunnel = NULL;
  G_OBJECT_CLASS (gst_acs_call_bin_parent_class)->dispose (object);
}

static void
gst_acs_call_bin_finalize (GObject * object)
{
  GstAcsCallBin *self = GST_ACS_CALL_BIN (object);

  clear_keys_locked (self);
  g_free (self->target);
  g_free (self->path);
  g_free (self->stun_server);
  if (self->turn_server)
    acs_secret_free (self->turn_server, strlen (self->turn_server));
  g_list_free (self->src_pads);

  G_OBJECT_CLASS (gst_acs_call_bin_parent_class)->finalize (object);
}

static void
gst_acs_call_bin_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstAcsCallBin *self = GST_ACS_CALL_BIN (object);

  switch (prop_id) {
    case PROP_CONTROLLER:
    case PROP_TOKEN:
    case PROP_TLS_PINNED_CERTIFICATE:
    case PROP_TLS_CA_FILE:
      if (self->sig)
        g_object_set_property (G_OBJECT (self->sig), pspec->name, value);
      break;
    case PROP_INTERFACES:
    case PROP_ICE_TCP:
      if (self->ice)
        g_object_set_property (G_OBJECT (self->ice), pspec->name, value);
      break;
    case PROP_RELAY_ONLY:
      if (self->ice)
        gst_util_set_object_arg (G_OBJECT (self->ice), "transport-policy",
            g_value_get_boolean (value) ? "relay" : "all");
      break;
    case PROP_LATENCY:
      if (self->rtpbin)
        g_object_set_property (G_OBJECT (self->rtpbin), pspec->name, value);
      break;
    case PROP_MUTE:
      g_atomic_int_set (&self->mute, g_value_get_boolean (value));
      break;
    case PROP_ENCODED:
      if (GST_STATE (self) != GST_STATE_NULL) {
        GST_WARNING_OBJECT (self, "encoded can only change in NULL");
        break;
      }
      g_atomic_int_set (&self->encoded, g_value_get_boolean (value));
      /* now, so that gst-launch links an Opus source to audio_sink */
      if (self->opusenc && self->convert && self->pay)
        apply_encoded (self);
      break;
    case PROP_VIDEO_BITRATE:{
      GstElement *enc = NULL;

      GST_OBJECT_LOCK (self);
      self->video_bitrate = g_value_get_uint (value);
      if (self->vsend)
        enc = gst_bin_get_by_name (GST_BIN (self->vsend), "vp8enc");
      GST_OBJECT_UNLOCK (self);
      if (enc) {
        g_object_set (enc, "target-bitrate", (gint) g_value_get_uint (value),
            NULL);
        gst_object_unref (enc);
      }
      break;
    }
    case PROP_STATS_INTERVAL:{
      guint v = g_value_get_uint (value);

      GST_OBJECT_LOCK (self);
      self->stats_interval = v == 0 ? 0 : MAX (v, 100);
      GST_OBJECT_UNLOCK (self);
      break;
    }
    case PROP_TARGET:
      GST_OBJECT_LOCK (self);
      g_free (self->target);
      self->target = g_value_dup_string (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_AUTO_ANSWER:
      GST_OBJECT_LOCK (self);
      self->auto_answer = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_STUN_SERVER:
      GST_OBJECT_LOCK (self);
      g_free (self->stun_server);
      self->stun_server = g_value_dup_string (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_TURN_SERVER:
      GST_OBJECT_LOCK (self);
      if (self->turn_server)
        acs_secret_free (self->turn_server, strlen (self->turn_server));
      self->turn_server = g_value_dup_string (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_acs_call_bin_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstAcsCallBin *self = GST_ACS_CALL_BIN (object);

  switch (prop_id) {
    case PROP_CONTROLLER:
    case PROP_TLS_PINNED_CERTIFICATE:
    case PROP_TLS_CA_FILE:
      if (self->sig)
        g_object_get_property (G_OBJECT (self->sig), pspec->name, value);
      break;
    case PROP_INTERFACES:
    case PROP_ICE_TCP:
      if (self->ice)
        g_object_get_property (G_OBJECT (self->ice), pspec->name, value);
      break;
    case PROP_RELAY_ONLY:{
      gint policy = 0;

      /* GstAcsIceTransportPolicy: 0 all, 1 relay */
      if (self->ice)
        g_object_get (self->ice, "transport-policy", &policy, NULL);
      g_value_set_boolean (value, policy != 0);
      break;
    }
    case PROP_LATENCY:
      if (self->rtpbin)
        g_object_get_property (G_OBJECT (self->rtpbin), pspec->name, value);
      else
        g_value_set_uint (value, DEFAULT_LATENCY);
      break;
    case PROP_TARGET:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->target);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_AUTO_ANSWER:
      GST_OBJECT_LOCK (self);
      g_value_set_boolean (value, self->auto_answer);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_STUN_SERVER:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->stun_server);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MUTE:
      g_value_set_boolean (value, g_atomic_int_get (&self->mute));
      break;
    case PROP_ENCODED:
      g_value_set_boolean (value, g_atomic_int_get (&self->encoded));
      break;
    case PROP_STATS_INTERVAL:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, self->stats_interval);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_VIDEO_BITRATE:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, self->video_bitrate);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_STATS:
      g_value_take_boxed (value, gst_acs_call_bin_get_stats (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static GstStateChangeReturn
gst_acs_call_bin_change_state (GstElement * element, GstStateChange transition)
{
  GstAcsCallBin *self = GST_ACS_CALL_BIN (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      if (!self->sig || !self->ice || !self->srtpenc || !self->pay
          || !self->rtpbin) {
        GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
            ("A plugin acscallbin needs is missing"),
            ("need acssignal, acsicebin, acssrtpenc/dec, rtpbin, opus, "
                "rtpopuspay, funnel, tee, proxysink, level"));
        return GST_STATE_CHANGE_FAILURE;
      }
      apply_encoded (self);
      if (gst_element_set_state (self->ice, GST_STATE_READY) ==
          GST_STATE_CHANGE_FAILURE)
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      GST_OBJECT_LOCK (self);
      self->caller = self->target != NULL && *self->target != '\0';
      self->state = CALL_IDLE;
      self->stream_up = FALSE;
      self->servers = SERVERS_NONE;
      self->servers_gen++;
      self->servers_next = NULL;
      self->ice_started = FALSE;
      self->stopping = FALSE;
      self->profile = ACS_SRTP_PROFILE_CUSTOM;
      g_clear_pointer (&self->path, g_free);
      GST_OBJECT_UNLOCK (self);
      g_atomic_int_set (&self->keyed, FALSE);
      g_atomic_int_set (&self->video_pt, -1);
      /* the payload types of the last call are forgotten */
      if (self->rtpfunnel)
        g_signal_emit_by_name (self->rtpbin, "clear-pt-map");
      g_object_set (self->ice, "controlling", self->caller, NULL);
      stats_start (self);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      stats_stop (self);
      GST_OBJECT_LOCK (self);
      self->stopping = TRUE;
      GST_OBJECT_UNLOCK (self);
      gst_element_set_state (self->ice, GST_STATE_READY);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (gst_acs_call_bin_parent_class)->change_state
      (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE) {
    /* the periodic clock entry holds a reference on the element */
    if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
      stats_stop (self);
    return ret;
  }

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:{
      gboolean caller;

      /* acssignal is started: the caller's ICE servers come while its
       * event stream connects */
      GST_OBJECT_LOCK (self);
      caller = self->caller;
      GST_OBJECT_UNLOCK (self);
      if (caller)
        servers_fetch (self);
      break;
    }
    case GST_STATE_CHANGE_PAUSED_TO_READY:{
      GList *pads;

      gst_element_set_state (self->ice, GST_STATE_READY);
      GST_OBJECT_LOCK (self);
      clear_keys_locked (self);
      self->state = CALL_IDLE;
      pads = self->src_pads;
      self->src_pads = NULL;
      GST_OBJECT_UNLOCK (self);
      for (GList * l = pads; l; l = l->next)
        gst_element_remove_pad (element, l->data);
      g_list_free (pads);
      break;
    }
    case GST_STATE_CHANGE_READY_TO_NULL:
      gst_element_set_state (self->ice, GST_STATE_NULL);
      break;
    default:
      break;
  }
  return ret;
}

/* Drops the video until the peer agreed to take it, and its EOS: the end
 * of the video is not the end of the call (rtpfunnel would pass it on) */
static GstPadProbeReturn
video_send_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstAcsCallBin *self = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM)
    return GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS
        ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
  return g_atomic_int_get (&self->video_pt) >= 0 ? GST_PAD_PROBE_OK :
      GST_PAD_PROBE_DROP;
}

static GstEvent *
force_key_unit_event (void)
{
  /* gst_video_event_new_upstream_force_key_unit () without libgstvideo */
  return gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
      gst_structure_new ("GstForceKeyUnit", "running-time", G_TYPE_UINT64,
          GST_CLOCK_TIME_NONE, "all-headers", G_TYPE_BOOLEAN, TRUE, "count",
          G_TYPE_UINT, 0, NULL));
}

/* Asks vp8enc for a keyframe, when video is agreed and the keys known */
static void
request_keyframe (GstAcsCallBin * self)
{
  GstPad *pad;

  if (self->vsend == NULL || g_atomic_int_get (&self->video_pt) < 0
      || !g_atomic_int_get (&self->keyed))
    return;
  GST_DEBUG_OBJECT (self, "asking the encoder for a keyframe");
  pad = gst_element_get_static_pad (self->vsend, "src");
  gst_pad_send_event (pad, force_key_unit_event ());
  gst_object_unref (pad);
}

/* The peer takes VP8 with payload type @pt */
static void
agree_video (GstAcsCallBin * self, gint pt)
{
  GstElement *pay = gst_bin_get_by_name (GST_BIN (self->vsend), "vpay");

  GST_INFO_OBJECT (self, "video agreed, payload type %d", pt);
  g_object_set (pay, "pt", (guint) pt, NULL);
  gst_object_unref (pay);
  g_atomic_int_set (&self->video_pt, pt);
}

static GstCaps *
on_request_pt_map (GstElement * rtpbin, guint session, guint pt,
    GstAcsCallBin * self)
{
  /* without video, the capsfilter's caps tell rtpbin all about Opus */
  if (self->rtpfunnel == NULL)
    return NULL;
  return acs_call_media_pt_caps (pt, g_atomic_int_get (&self->video_pt));
}

/* video_sink, in NULL or READY: vsend and an rtpfunnel before rtpbin's
 * send_rtp_sink_0, which Opus and VP8 then share (BUNDLE) */
static GstPad *
gst_acs_call_bin_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps)
{
  GstAcsCallBin *self = GST_ACS_CALL_BIN (element);
  GstElement *vsend, *funnel;
  GstPad *target, *ghost, *sinkpad;
  guint bitrate;

  if (templ != gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS
          (element), "video_sink") || self->video_sinkpad || !self->rtpbin
      || !self->pay)
    return NULL;
  if (GST_STATE (element) > GST_STATE_READY
      || GST_STATE_PENDING (element) > GST_STATE_READY) {
    GST_WARNING_OBJECT (self, "video_sink can only be requested in NULL or "
        "READY, before the call");
    return NULL;
  }
  GST_OBJECT_LOCK (self);
  bitrate = self->video_bitrate;
  GST_OBJECT_UNLOCK (self);
  vsend = acs_call_media_video_send_new (bitrate, ACS_CALL_SDP_VIDEO_PT);
  funnel = gst_element_factory_make ("rtpfunnel", "rtpfunnel");
  if (vsend == NULL || funnel == NULL) {
    if (vsend)
      gst_object_unref (gst_object_ref_sink (vsend));
    if (funnel)
      gst_object_unref (gst_object_ref_sink (funnel));
    GST_ELEMENT_WARNING (self, CORE, MISSING_PLUGIN,
        ("No video: a plugin is missing"),
        ("need videoconvert, vp8enc, rtpvp8pay (vpx, rtp), rtpfunnel"));
    return NULL;
  }
  gst_bin_add_many (GST_BIN (self), vsend, funnel, NULL);
  gst_element_unlink_pads (self->pay, "src", self->rtpbin, "send_rtp_sink_0");
  gst_element_link_pads (self->pay, "src", funnel, "sink_%u");
  gst_element_link_pads (funnel, "src", self->rtpbin, "send_rtp_sink_0");
  target = gst_element_request_pad_simple (funnel, "sink_%u");
  sinkpad = gst_element_get_static_pad (vsend, "src");
  gst_pad_link (sinkpad, target);
  gst_object_unref (sinkpad);
  gst_pad_add_probe (target, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      video_send_probe, self, NULL);
  gst_object_unref (target);
  self->vsend = vsend;
  self->rtpfunnel = funnel;
  if (self->encoded_applied)
    acs_call_media_video_send_set_encoded (vsend, TRUE);
  gst_element_sync_state_with_parent (funnel);
  gst_element_sync_state_with_parent (vsend);

  sinkpad = gst_element_get_static_pad (vsend, "sink");
  ghost = gst_ghost_pad_new_from_template ("video_sink", sinkpad, templ);
  gst_object_unref (sinkpad);
  /* and before the encoder too: nothing is encoded for a peer that has
   * not taken the video (or rejected it) */
  gst_pad_add_probe (ghost, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, video_send_probe, self, NULL);
  gst_pad_set_active (ghost, TRUE);
  self->video_sinkpad = ghost;
  gst_element_add_pad (element, ghost);
  GST_INFO_OBJECT (self, "video_sink requested: the calls offer video");
  return ghost;
}

static void
gst_acs_call_bin_release_pad (GstElement * element, GstPad * pad)
{
  GstAcsCallBin *self = GST_ACS_CALL_BIN (element);

  if (pad != self->video_sinkpad)
    return;
  if (GST_STATE (element) > GST_STATE_READY)
    GST_WARNING_OBJECT (self, "video_sink released during a call");
  self->video_sinkpad = NULL;
  gst_element_remove_pad (element, pad);
  if (self->vsend == NULL)
    return;                     /* disposing */
  gst_element_set_locked_state (self->vsend, TRUE);
  gst_element_set_locked_state (self->rtpfunnel, TRUE);
  gst_element_set_state (self->vsend, GST_STATE_NULL);
  gst_element_set_state (self->rtpfunnel, GST_STATE_NULL);
  gst_bin_remove_many (GST_BIN (self), self->vsend, self->rtpfunnel, NULL);
  self->vsend = NULL;
  self->rtpfunnel = NULL;
  gst_element_link_pads (self->pay, "src", self->rtpbin, "send_rtp_sink_0");
}

/* Posts acs-call-state; no lock held */
static void
post_state (GstAcsCallBin * self, CallState state, const gchar * reason,
    guint sip_status)
{
  GstStructure *s;

  GST_INFO_OBJECT (self, "call %s (%s %u)", state_names[state],
      reason ? reason : "", sip_status);
  s = gst_structure_new ("acs-call-state", "state", G_TYPE_STRING,
      state_names[state], "reason", G_TYPE_STRING, reason ? reason : "",
      "sip-status", G_TYPE_UINT, sip_status, NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/* Sets the state unless the call already ended; returns whether it did */
static gboolean
set_state (GstAcsCallBin * self, CallState state)
{
  gboolean changed = FALSE;

  GST_OBJECT_LOCK (self);
  if (self->state != CALL_ENDED && self->state != state) {
    self->state = state;
    changed = TRUE;
  }
  GST_OBJECT_UNLOCK (self);
  return changed;
}

/* Lets acsicebin gather (and connect) */
static void
ice_start (GstAcsCallBin * self)
{
  gboolean start;

  GST_OBJECT_LOCK (self);
  start = !self->ice_started && !self->stopping;
  self->ice_started = TRUE;
  GST_OBJECT_UNLOCK (self);
  if (!start)
    return;
  GST_DEBUG_OBJECT (self, "starting ICE");
  gst_element_set_locked_state (self->ice, FALSE);
  gst_element_sync_state_with_parent (self->ice);
}

static void
place_call (GstAcsCallBin * self)
{
  AcsCallSdpCrypto keys[2] = {
    {1, ACS_SRTP_PROFILE_AEAD_AES_128_GCM, NULL},
    {2, ACS_SRTP_PROFILE_AES_CM_128_HMAC_SHA1_80, NULL},
  };
  GstSDPMessage *sdp;
  gchar *ufrag = NULL, *pwd = NULL, *text, *target;
  guint i;

  for (i = 0; i < 2; i++)
    keys[i].key = acs_call_sdp_make_key (keys[i].profile);
  g_object_get (self->ice, "local-ufrag", &ufrag, "local-pwd", &pwd, NULL);
  if (keys[0].key == NULL || keys[1].key == NULL || ufrag == NULL
      || pwd == NULL) {
    GST_ELEMENT_ERROR (self, LIBRARY, INIT, ("Could not make the offer"),
        ("no random key or no ICE credentials"));
    for (i = 0; i < 2; i++)
      if (keys[i].key)
        acs_secret_free (keys[i].key, strlen (keys[i].key));
    g_free (ufrag);
    g_free (pwd);
    return;
  }
  sdp = acs_call_sdp_build_full (ufrag, pwd, keys, 2, NULL,
      self->video_sinkpad != NULL);
  text = gst_sdp_message_as_text (sdp);
  gst_sdp_message_free (sdp);
  acs_secret_free (pwd, strlen (pwd));
  g_free (ufrag);

  GST_OBJECT_LOCK (self);
  clear_keys_locked (self);
  self->local_keys[0] = keys[0];
  self->local_keys[1] = keys[1];
  self->n_local_keys = 2;
  target = g_strdup (self->target);
  GST_OBJECT_UNLOCK (self);

  if (set_state (self, CALL_CALLING))
    post_state (self, CALL_CALLING, NULL, 0);
  GST_DEBUG_OBJECT (self, "offer of %" G_GSIZE_FORMAT " bytes to %s",
      strlen (text), target);
  g_signal_emit_by_name (self->sig, "place-call", target, text, NULL);
  acs_secret_free (text, strlen (text));
  g_free (target);
  ice_start (self);
}

typedef struct
{
  GstAcsCallBin *self;
  guint gen;
} ServersRequest;

static void
apply_servers (GstAcsCallBin * self, const gchar * stun,
    const gchar * const *turns, guint n_turns)
{
  gboolean ok;
  guint i;

  if (stun && *stun)
    g_object_set (self->ice, "stun-server", stun, NULL);
  for (i = 0; i < n_turns; i++) {
    if (i == 0)
      g_object_set (self->ice, "turn-server", turns[i], NULL);
    else
      g_signal_emit_by_name (self->ice, "add-turn-server", turns[i], &ok);
  }
}

/* The ICE servers are known (or known to be missing): runs what waited
 * for them */
static void
servers_ready (GstAcsCallBin * self, guint gen)
{
  NextStep next = NULL;

  GST_OBJECT_LOCK (self);
  if (gen == self->servers_gen && self->servers != SERVERS_READY) {
    self->servers = SERVERS_READY;
    next = self->servers_next;
    self->servers_next = NULL;
  }
  GST_OBJECT_UNLOCK (self);
  if (next)
    next (self);
}

static void
servers_reply (GstPromise * promise, gpointer user_data)
{
  ServersRequest *req = user_data;
  const GstStructure *reply = gst_promise_get_reply (promise);
  gboolean current;

  GST_OBJECT_LOCK (req->self);
  current = req->gen == req->self->servers_gen;
  GST_OBJECT_UNLOCK (req->self);
  if (!current) {
    GST_DEBUG_OBJECT (req->self, "ICE servers of an earlier run: ignored");
  } else if (reply && gst_structure_has_name (reply, "acs-signal-ice-servers")) {
    const GValue *turns = gst_structure_get_value (reply, "turn-servers");
    guint i, n = turns ? gst_value_array_get_size (turns) : 0;
    const gchar **uris = g_new0 (const gchar *, n + 1);

    for (i = 0; i < n; i++)
      uris[i] = g_value_get_string (gst_value_array_get_value (turns, i));
    GST_DEBUG_OBJECT (req->self, "controller gave %u TURN servers", n);
    apply_servers (req->self, gst_structure_get_string (reply,
            "stun-server"), uris, n);
    g_free (uris);
  } else {
    GST_WARNING_OBJECT (req->self, "no ICE servers from the controller");
  }
  servers_ready (req->self, req->gen);
  gst_object_unref (req->self);
  g_free (req);
}

/* Asks for the ICE servers ahead of the step that needs them (the
 * caller's offer, the callee's answer), once per run: from the
 * properties if set, else from the controller, whose reply then overlaps
 * the event stream's connection (caller) or the ringing (callee) instead
 * of adding a request's round trip, and on a lossy path its
 * retransmissions, to the call's set-up. */
static void
servers_fetch (GstAcsCallBin * self)
{
  gchar *stun, *turn;
  guint gen;

  GST_OBJECT_LOCK (self);
  if (self->servers != SERVERS_NONE) {
    GST_OBJECT_UNLOCK (self);
    return;
  }
  self->servers = SERVERS_FETCHING;
  gen = self->servers_gen;
  stun = g_strdup (self->stun_server);
  turn = g_strdup (self->turn_server);
  GST_OBJECT_UNLOCK (self);

  if (stun || turn) {
    const gchar *turns[] = { turn, NULL };

    apply_servers (self, stun, turns, turn ? 1 : 0);
    g_free (stun);
    if (turn)
      acs_secret_free (turn, strlen (turn));
    servers_ready (self, gen);
  } else {
    ServersRequest *req = g_new0 (ServersRequest, 1);
    GstPromise *promise;

    req->self = gst_object_ref (self);
    req->gen = gen;
    promise = gst_promise_new_with_change_func (servers_reply, req, NULL);
    g_signal_emit_by_name (self->sig, "get-ice-servers", promise);
    gst_promise_unref (promise);
  }
}

/* Runs @next once the ICE servers are configured (now if they are),
 * possibly from acssignal's thread */
static void
servers_then (GstAcsCallBin * self, NextStep next)
{
  gboolean ready;

  GST_OBJECT_LOCK (self);
  ready = self->servers == SERVERS_READY;
  if (!ready)
    self->servers_next = next;
  GST_OBJECT_UNLOCK (self);
  if (ready)
    next (self);
  else
    servers_fetch (self);
}

/* Applies the SRTP keys: @remote is the peer's a=crypto, @local our key */
static void
apply_keys (GstAcsCallBin * self, AcsSrtpProfile profile,
    const gchar * local, const gchar * remote)
{
  const gchar *name = acs_srtp_profile_to_name (profile);

  GST_INFO_OBJECT (self, "SRTP profile %s", name);
  gst_util_set_object_arg (G_OBJECT (self->srtpenc), "profile", name);
  gst_util_set_object_arg (G_OBJECT (self->srtpdec), "profile", name);
  g_object_set (self->srtpenc, "inline-key", local, NULL);
  g_object_set (self->srtpdec, "inline-key", remote, NULL);
  GST_OBJECT_LOCK (self);
  self->profile = profile;
  GST_OBJECT_UNLOCK (self);
  g_atomic_int_set (&self->keyed, TRUE);
  /* the frames encoded so far were dropped: start with a keyframe */
  request_keyframe (self);
}

static void
do_answer (GstAcsCallBin * self)
{
  AcsCallSdpInfo info;
  AcsCallSdpCrypto key;
  GError *err = NULL;
  GstSDPMessage *sdp;
  gchar *offer, *ufrag = NULL, *pwd = NULL, *text;
  gboolean ok;

  GST_OBJECT_LOCK (self);
  offer = self->offer;
  self->offer = NULL;
  GST_OBJECT_UNLOCK (self);
  if (offer == NULL)
    return;

  ok = acs_call_sdp_parse (offer, &info, &err);
  acs_secret_free (offer, strlen (offer));
  if (!ok) {
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        ("Declining a call with an unusable offer"), ("%s", err->message));
    g_clear_error (&err);
    g_signal_emit_by_name (self->sig, "decline", "decline", NULL);
    return;
  }

  key.tag = info.crypto.tag;
  key.profile = info.crypto.profile;
  key.key = acs_call_sdp_make_key (key.profile);
  g_object_get (self->ice, "local-ufrag", &ufrag, "local-pwd", &pwd, NULL);
  if (key.key == NULL || ufrag == NULL || pwd == NULL) {
    GST_ELEMENT_ERROR (self, LIBRARY, INIT, ("Could not make the answer"),
        ("no random key or no ICE credentials"));
    g_free (ufrag);
    g_free (pwd);
    acs_call_sdp_info_clear (&info);
    return;
  }
  if (self->video_sinkpad && info.video == ACS_CALL_SDP_VIDEO_ON)
    agree_video (self, info.video_pt);
  /* acsicebin must be running before apply_keys () opens the send path: a
   * packet pushed into it while it is still locked gets FLUSHING, and the
   * application's live source then stops for the rest of the call */
  ice_start (self);
  apply_keys (self, key.profile, key.key, info.crypto.key);
  g_signal_emit_by_name (self->ice, "set-remote-credentials", info.ufrag,
      info.pwd, &ok);
  sdp = acs_call_sdp_build_full (ufrag, pwd, &key, 1, &info,
      self->video_sinkpad != NULL);
  acs_call_sdp_info_clear (&info);

  text = gst_sdp_message_as_text (sdp);
  gst_sdp_message_free (sdp);
  acs_secret_free (pwd, strlen (pwd));
  g_free (ufrag);
  GST_OBJECT_LOCK (self);
  clear_keys_locked (self);
  self->local_keys[0] = key;
  self->n_local_keys = 1;
  GST_OBJECT_UNLOCK (self);

  GST_DEBUG_OBJECT (self, "answer of %" G_GSIZE_FORMAT " bytes", strlen (text));
  g_signal_emit_by_name (self->sig, "answer", text, NULL);
  acs_secret_free (text, strlen (text));
  if (set_state (self, CALL_ACTIVE))
    post_state (self, CALL_ACTIVE, NULL, 200);
  ice_start (self);
}

static void
gst_acs_call_bin_answer (GstAcsCallBin * self)
{
  gboolean go;

  GST_OBJECT_LOCK (self);
  go = self->offer != NULL && self->state == CALL_RINGING;
  GST_OBJECT_UNLOCK (self);
  if (go)
    servers_then (self, do_answer);
}

/* From acssignal's thread. The controller could not end the call: a
 * controller restarted since the call began has forgotten it (404), or it
 * cannot be reached. The peer may never hear of the hang-up, but the call
 * ends here all the same, as if the controller had confirmed it; acssignal
 * has posted the refusal as a warning. */
static void
hang_up_reply (GstPromise * promise, gpointer user_data)
{
  GstAcsCallBin *self = user_data;
  const GstStructure *reply = gst_promise_get_reply (promise);
  const gchar *code;

  if (reply == NULL || !gst_structure_has_name (reply, "acs-signal-error"))
    return;
  /* cancelled or dropped: acssignal is stopping, so is the call */
  code = gst_structure_get_string (reply, "code");
  if (g_strcmp0 (code, "cancelled") == 0 || g_strcmp0 (code, "dropped") == 0)
    return;
  GST_INFO_OBJECT (self, "the controller did not take the hang-up (%s): "
      "ending the call here", code);
  on_ended (self->sig, NULL, "hangup", 200, self);
}

static void
gst_acs_call_bin_hang_up (GstAcsCallBin * self)
{
  CallState state;
  gboolean caller;

  GST_OBJECT_LOCK (self);
  state = self->state;
  caller = self->caller;
  GST_OBJECT_UNLOCK (self);

  GST_DEBUG_OBJECT (self, "hang up in state %s", state_names[state]);
  switch (state) {
    case CALL_CALLING:
    case CALL_RINGING:
      if (caller)
        g_signal_emit_by_name (self->sig, "cancel", NULL);
      else
        g_signal_emit_by_name (self->sig, "decline", "decline", NULL);
      break;
    case CALL_ACTIVE:{
      GstPromise *promise = gst_promise_new_with_change_func (hang_up_reply,
          gst_object_ref (self), gst_object_unref);

      g_signal_emit_by_name (self->sig, "hang-up", promise);
      gst_promise_unref (promise);
      break;
    }
    default:
      break;
  }
}

/* The call-flow case of the architecture from the selected pair: a relay
 * candidate on either side is case 3, a reflexive one case 2 */
static void
post_path (GstAcsCallBin * self, const GstStructure * pair)
{
  const gchar *local = gst_structure_get_string (pair, "local-type");
  const gchar *remote = gst_structure_get_string (pair, "remote-type");
  const gchar *transport = gst_structure_get_string (pair, "transport");
  const gchar *kase = "direct";
  GstStructure *s;

  if (g_strcmp0 (local, "relay") == 0 || g_strcmp0 (remote, "relay") == 0)
    kase = "relay";
  else if (g_strcmp0 (local, "host") != 0 || g_strcmp0 (remote, "host") != 0)
    kase = "nat";
  GST_OBJECT_LOCK (self);
  g_free (self->path);
  self->path = g_strdup_printf ("%s/%s", kase, transport ? transport : "");
  GST_OBJECT_UNLOCK (self);
  s = gst_structure_new ("acs-call-path", "case", G_TYPE_STRING, kase,
      "transport", G_TYPE_STRING, transport ? transport : "",
      "local-type", G_TYPE_STRING, local ? local : "",
      "remote-type", G_TYPE_STRING, remote ? remote : "", NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static void
gst_acs_call_bin_handle_message (GstBin * bin, GstMessage * message)
{
  GstAcsCallBin *self = GST_ACS_CALL_BIN (bin);
  const GstStructure *s = gst_message_get_structure (message);

  /* An active call needs the controller no more: its media goes on when
   * the signaling fails (a controller killed with a request in flight),
   * so acssignal's error reaches the application as a warning */
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR
      && GST_MESSAGE_SRC (message) == GST_OBJECT (self->sig)) {
    gboolean active;

    GST_OBJECT_LOCK (self);
    active = self->state == CALL_ACTIVE;
    GST_OBJECT_UNLOCK (self);
    if (active) {
      GError *err = NULL;
      gchar *dbg = NULL;
      const GstStructure *details = NULL;
      GstMessage *warning;

      gst_message_parse_error (message, &err, &dbg);
      gst_message_parse_error_details (message, &details);
      GST_WARNING_OBJECT (self, "signaling failed mid-call, the media goes "
          "on: %s", err->message);
      warning = gst_message_new_warning_with_details (GST_MESSAGE_SRC
          (message), err, dbg, details ? gst_structure_copy (details) : NULL);
      g_clear_error (&err);
      g_free (dbg);
      gst_message_unref (message);
      GST_BIN_CLASS (gst_acs_call_bin_parent_class)->handle_message (bin,
          warning);
      return;
    }
  }
  /* Once the call is over, the path the peer left is not an error */
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR
      && GST_MESSAGE_SRC (message) == GST_OBJECT (self->ice)) {
    gboolean ended;

    GST_OBJECT_LOCK (self);
    ended = self->state == CALL_ENDED;
    GST_OBJECT_UNLOCK (self);
    if (ended) {
      GST_INFO_OBJECT (self, "the call is over: ignoring %" GST_PTR_FORMAT,
          message);
      gst_message_unref (message);
      return;
    }
  }
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ELEMENT
      && GST_MESSAGE_SRC (message) == GST_OBJECT (self->sig)
      && gst_structure_has_name (s, "acs-signal-stream")
      && g_strcmp0 (gst_structure_get_string (s, "state"), "connected") == 0) {
    gboolean first, caller;

    GST_OBJECT_LOCK (self);
    first = !self->stream_up;
    self->stream_up = TRUE;
    caller = self->caller;
    GST_OBJECT_UNLOCK (self);
    if (first && caller)
      servers_then (self, place_call);
  }
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ELEMENT
      && GST_MESSAGE_SRC (message) == GST_OBJECT (self->ice)
      && gst_structure_has_name (s, "acs-ice-selected-pair")) {
    post_path (self, s);
    /* what was sent before the path was up is lost: a keyframe now */
    request_keyframe (self);
  }
  GST_BIN_CLASS (gst_acs_call_bin_parent_class)->handle_message (bin, message);
}

static void
on_incoming (GstElement * sig, const gchar * call_id, const gchar * from,
    const gchar * offer, GstAcsCallBin * self)
{
  gboolean take, auto_answer;

  GST_OBJECT_LOCK (self);
  take = !self->caller && self->state == CALL_IDLE;
  if (take) {
    self->state = CALL_RINGING;
    self->offer = g_strdup (offer);
  }
  auto_answer = self->auto_answer;
  GST_OBJECT_UNLOCK (self);
  if (!take) {
    g_signal_emit_by_name (sig, "decline", "busy", NULL);
    return;
  }
  GST_INFO_OBJECT (self, "incoming call from %s", from);
  /* while it rings: the answer then does not wait for them */
  servers_fetch (self);
  g_signal_emit_by_name (sig, "ring", NULL);
  post_state (self, CALL_RINGING, NULL, 180);
  if (auto_answer)
    gst_acs_call_bin_answer (self);
  else
    g_signal_emit (self, signals[SIGNAL_ON_INCOMING], 0, from);
}

static void
on_ringing (GstElement * sig, const gchar * call_id, GstAcsCallBin * self)
{
  if (set_state (self, CALL_RINGING))
    post_state (self, CALL_RINGING, NULL, 180);
}

static void
on_answered (GstElement * sig, const gchar * call_id, const gchar * answer,
    GstAcsCallBin * self)
{
  AcsCallSdpInfo info;
  GError *err = NULL;
  gchar *local = NULL;
  gboolean ok;
  guint i;

  if (!acs_call_sdp_parse (answer, &info, &err)) {
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        ("Hanging up: the answer is unusable"), ("%s", err->message));
    g_clear_error (&err);
    g_signal_emit_by_name (sig, "hang-up", NULL);
    return;
  }
  GST_OBJECT_LOCK (self);
  for (i = 0; i < self->n_local_keys; i++) {
    if (self->local_keys[i].tag == info.crypto.tag
        && self->local_keys[i].profile == info.crypto.profile)
      local = g_strdup (self->local_keys[i].key);
  }
  GST_OBJECT_UNLOCK (self);
  if (local == NULL) {
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        ("Hanging up: the answer picked no offered key"),
        ("crypto tag %u", info.crypto.tag));
    acs_call_sdp_info_clear (&info);
    g_signal_emit_by_name (sig, "hang-up", NULL);
    return;
  }
  if (self->video_sinkpad && info.video == ACS_CALL_SDP_VIDEO_ON)
    agree_video (self, info.video_pt);
  else if (self->video_sinkpad)
    GST_INFO_OBJECT (self, "the peer takes no video");
  apply_keys (self, info.crypto.profile, local, info.crypto.key);
  acs_secret_free (local, strlen (local));
  g_signal_emit_by_name (self->ice, "set-remote-credentials", info.ufrag,
      info.pwd, &ok);
  acs_call_sdp_info_clear (&info);
  if (set_state (self, CALL_ACTIVE))
    post_state (self, CALL_ACTIVE, NULL, 200);
}

static void
on_remote_candidate (GstElement * sig, const gchar * call_id, guint mline,
    const gchar * candidate, GstAcsCallBin * self)
{
  gboolean ok;

  if (mline == 0)
    g_signal_emit_by_name (self->ice, "add-remote-candidate", candidate, &ok);
}

static gboolean
send_eos_to_pad (GstElement * element, GstPad * pad, gpointer user_data)
{
  gst_pad_send_event (pad, gst_event_new_eos ());
  return TRUE;
}

/* On the sink pads themselves: gst_element_send_event() refuses EOS on
 * proxysink */
static void
send_eos (const GValue * item, gpointer user_data)
{
  gst_element_foreach_sink_pad (g_value_get_object (item), send_eos_to_pad,
      NULL);
}

static void
on_ended (GstElement * sig, const gchar * call_id, const gchar * reason,
    guint sip_status, GstAcsCallBin * self)
{
  GList *pads;
  GstIterator *it;
  gboolean changed;

  GST_OBJECT_LOCK (self);
  changed = self->state != CALL_ENDED;
  self->state = CALL_ENDED;
  pads = g_list_copy_deep (self->src_pads, (GCopyFunc) gst_object_ref, NULL);
  GST_OBJECT_UNLOCK (self);
  if (!changed) {
    g_list_free_full (pads, gst_object_unref);
    return;
  }
  post_state (self, CALL_ENDED, reason, sip_status);
  for (GList * l = pads; l; l = l->next)
    gst_pad_push_event (l->data, gst_event_new_eos ());
  g_list_free_full (pads, gst_object_unref);
  /* Nothing more to send or receive: the bin's own sinks (acsicebin, the
   * receive path's proxysink) get EOS, so that the pipeline's EOS comes
   * (gst-launch exits) once the application's sinks have theirs; the
   * local sources get EOS back on their next push */
  it = gst_bin_iterate_sinks (GST_BIN (self));
  while (gst_iterator_foreach (it, send_eos, NULL) == GST_ITERATOR_RESYNC)
    gst_iterator_resync (it);
  gst_iterator_free (it);
}

static void
on_ice_candidate (GstElement * ice, const gchar * candidate,
    GstAcsCallBin * self)
{
  g_signal_emit_by_name (self->sig, "add-local-candidate", 0, candidate);
}

static void
on_gathering_done (GstElement * ice, GstAcsCallBin * self)
{
  g_signal_emit_by_name (self->sig, "add-local-candidate", 0, "");
}

static GstPadProbeReturn
sink_eos_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstAcsCallBin *self = user_data;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS) {
    GST_INFO_OBJECT (self, "EOS on audio_sink: hanging up");
    gst_acs_call_bin_hang_up (self);
  }
  return GST_PAD_PROBE_OK;
}

/* Links audio_sink to the encoder or, in encoded mode, straight to the
 * payloader; in NULL only (set_property, NULL->READY) */
static void
apply_encoded (GstAcsCallBin * self)
{
  gboolean encoded = g_atomic_int_get (&self->encoded);
  GstPad *target;

  if (encoded == self->encoded_applied)
    return;
  GST_DEBUG_OBJECT (self, "encoded pass-through %s", encoded ? "on" : "off");
  if (encoded) {
    gst_element_unlink (self->opusenc, self->pay);
    target = gst_element_get_static_pad (self->pay, "sink");
  } else {
    gst_element_link (self->opusenc, self->pay);
    target = gst_element_get_static_pad (self->convert, "sink");
  }
  gst_ghost_pad_set_target (GST_GHOST_PAD (self->sinkpad), target);
  gst_object_unref (target);
  if (self->vsend)
    acs_call_media_video_send_set_encoded (self->vsend, encoded);
  self->encoded_applied = encoded;
}

/* Silence in any format opusenc takes (S16 or F32: zero is silence) */
static GstPadProbeReturn
mute_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstAcsCallBin *self = user_data;
  GstBuffer *buf;
  GstMapInfo map;

  if (!g_atomic_int_get (&self->mute))
    return GST_PAD_PROBE_OK;
  buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  if (gst_buffer_map (buf, &map, GST_MAP_WRITE)) {
    memset (map.data, 0, map.size);
    gst_buffer_unmap (buf, &map);
  }
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  return GST_PAD_PROBE_OK;
}

/* RTP made before the call has keys is dropped: acssrtpenc fails without
 * a key */
static GstPadProbeReturn
unkeyed_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstAcsCallBin *self = user_data;

  return g_atomic_int_get (&self->keyed) ? GST_PAD_PROBE_OK :
      GST_PAD_PROBE_DROP;
}

/* A remote VP8 stream: rtpvp8depay ! vp8dec on a video_src_%u pad. From
 * the streaming thread of its jitter buffer. */
/* Links rtpbin's new @pad to @recv, a receive bin, and exposes its output
 * as the next `audio_src_%u` or `video_src_%u` */
static void
add_remote_src (GstAcsCallBin * self, GstPad * pad, GstElement * recv,
    gboolean video)
{
  GstPad *sinkpad, *srcpad, *ghost;
  gchar *name;
  guint n;

  gst_bin_add (GST_BIN (self), recv);
  sinkpad = gst_element_get_static_pad (recv, "sink");
  gst_pad_link (pad, sinkpad);
  gst_element_sync_state_with_parent (recv);
  /* a PLI at once: what the sender encoded before this stream reached us
   * is lost, and the decoder needs a keyframe to start */
  if (video)
    gst_pad_push_event (sinkpad, force_key_unit_event ());
  gst_object_unref (sinkpad);

  GST_OBJECT_LOCK (self);
  n = video ? self->n_video_src_pads++ : self->n_src_pads++;
  GST_OBJECT_UNLOCK (self);
  name = g_strdup_printf (video ? "video_src_%u" : "audio_src_%u", n);
  srcpad = gst_element_get_static_pad (recv, "src");
  ghost = gst_ghost_pad_new_from_template (name, srcpad,
      gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (self),
          video ? "video_src_%u" : "audio_src_%u"));
  g_free (name);
  gst_object_unref (srcpad);
  gst_pad_set_active (ghost, TRUE);
  GST_OBJECT_LOCK (self);
  self->src_pads = g_list_append (self->src_pads, ghost);
  GST_OBJECT_UNLOCK (self);
  GST_INFO_OBJECT (self, "remote stream on %s", GST_PAD_NAME (ghost));
  gst_element_add_pad (GST_ELEMENT (self), ghost);
}

static void
on_rtpbin_pad_added (GstElement * rtpbin, GstPad * pad, GstAcsCallBin * self)
{
  gboolean encoded = g_atomic_int_get (&self->encoded);
  GstElement *recv;

  if (!g_str_has_prefix (GST_PAD_NAME (pad), "recv_rtp_src_"))
    return;
  /* recv_rtp_src_<session>_<ssrc>_<pt>: by payload type, Opus or VP8 */
  if (g_atomic_int_get (&self->video_pt) >= 0) {
    guint session, ssrc, pt;

    if (sscanf (GST_PAD_NAME (pad), "recv_rtp_src_%u_%u_%u", &session, &ssrc,
            &pt) == 3 && pt == (guint) g_atomic_int_get (&self->video_pt)) {
      recv = acs_call_media_video_recv_new (encoded);
      if (recv == NULL) {
        GST_ELEMENT_WARNING (self, CORE, MISSING_PLUGIN,
            ("The received video cannot be decoded"),
            ("rtpvp8depay or vp8dec is missing"));
        return;
      }
      add_remote_src (self, pad, recv, TRUE);
      return;
    }
  }

  /* in encoded mode an identity stands in for the decoder */
  recv = acs_call_media_audio_recv_new (encoded);
  if (recv == NULL) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
        ("rtpopusdepay, opusdec or audiorate is missing"), (NULL));
    return;
  }
  add_remote_src (self, pad, recv, FALSE);
}

static GstStructure *
gst_acs_call_bin_get_stats (GstAcsCallBin * self)
{
  GstStructure *ret;

  guint64 sent = 0, received = 0, srtp_sent = 0, srtp_received = 0;
  guint64 rtcp_sent = 0, rtcp_received = 0;
  gdouble send_kbps, recv_kbps, mos;
  gchar *path;
  guint latency_ms;
  gint64 lost = 0;
  gdouble jitter_ms = 0, rtt_ms = -1, loss_pct = 0;
  const gchar *profile;
  CallState state;

  GST_OBJECT_LOCK (self);
  state = self->state;
  profile = self->profile == ACS_SRTP_PROFILE_CUSTOM ? "" :
      acs_srtp_profile_to_name (self->profile);
  GST_OBJECT_UNLOCK (self);

  if (self->rtpbin)
    acs_call_media_session_stats (self->rtpbin, &sent, &received, &lost,
        &jitter_ms, &rtt_ms);
  if (received + lost > 0)
    loss_pct = 100.0 * lost / (received + lost);
  /* what reached the network: rtpbin also counts the packets made before
   * the keys were agreed, and forgets the local source at EOS */
  acs_call_media_srtp_counts (self->srtpenc, "packets-protected",
      "rtcp-packets-protected", &srtp_sent, &rtcp_sent);
  acs_call_media_srtp_counts (self->srtpdec, "packets-unprotected",
      "rtcp-packets-unprotected", &srtp_received, &rtcp_received);
  sent = srtp_sent;

  GST_OBJECT_LOCK (self);
  path = g_strdup (self->path ? self->path : "");
  send_kbps = self->send_kbps;
  recv_kbps = self->recv_kbps;
  latency_ms = 0;
  GST_OBJECT_UNLOCK (self);
  if (self->rtpbin)
    g_object_get (self->rtpbin, "latency", &latency_ms, NULL);
  mos = acs_call_media_estimate_mos (rtt_ms, latency_ms, loss_pct);

  ret = gst_structure_new ("application/x-acs-call-stats",
      "state", G_TYPE_STRING, state_names[state],
      "srtp-profile", G_TYPE_STRING, profile,
      "rtp-packets-sent", G_TYPE_UINT64, sent,
      "rtp-packets-received", G_TYPE_UINT64, received,
      "packets-lost", G_TYPE_INT64, lost,
      "loss-percent", G_TYPE_DOUBLE, loss_pct,
      "jitter-ms", G_TYPE_DOUBLE, jitter_ms,
      "rtt-ms", G_TYPE_DOUBLE, rtt_ms,
      "rtcp-packets-sent", G_TYPE_UINT64, rtcp_sent,
      "rtcp-packets-received", G_TYPE_UINT64, rtcp_received,
      "send-kbps", G_TYPE_DOUBLE, send_kbps,
      "recv-kbps", G_TYPE_DOUBLE, recv_kbps, "mos", G_TYPE_DOUBLE, mos,
      "path", G_TYPE_STRING, path, NULL);
  g_free (path);
  return ret;
}

/* From the system clock's thread, every stats-interval */
static gboolean
stats_tick (GstClock * clock, GstClockTime time, GstClockID id,
    gpointer user_data)
{
  GstAcsCallBin *self = user_data;
  guint64 sent = acs_call_media_srtp_bytes (self->srtpenc, "bytes-protected");
  guint64 received =
      acs_call_media_srtp_bytes (self->srtpdec, "bytes-unprotected");
  GstClockTime now = gst_clock_get_time (clock);
  GstStructure *s;
  gboolean active;

  GST_OBJECT_LOCK (self);
  if (GST_CLOCK_TIME_IS_VALID (self->last_stats_time)
      && now > self->last_stats_time) {
    gdouble secs = (gdouble) (now - self->last_stats_time) / GST_SECOND;

    self->send_kbps = (sent - self->last_bytes_sent) * 8 / 1000.0 / secs;
    self->recv_kbps =
        (received - self->last_bytes_received) * 8 / 1000.0 / secs;
  }
  self->last_stats_time = now;
  self->last_bytes_sent = sent;
  self->last_bytes_received = received;
  active = self->state == CALL_ACTIVE;
  GST_OBJECT_UNLOCK (self);

  if (active) {
    s = gst_acs_call_bin_get_stats (self);
    gst_structure_set_name (s, "acs-call-stats");
    /* when the counters were read: the bus may deliver late */
    gst_structure_set (s, "timestamp", G_TYPE_UINT64, (guint64) now, NULL);
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self), s));
  }
  return TRUE;
}

static void
stats_start (GstAcsCallBin * self)
{
  GstClock *clock;
  GstClockID id;
  guint interval;

  GST_OBJECT_LOCK (self);
  interval = self->stats_interval;
  self->last_stats_time = GST_CLOCK_TIME_NONE;
  self->send_kbps = self->recv_kbps = 0;
  GST_OBJECT_UNLOCK (self);
  if (interval == 0 || self->srtpenc == NULL || self->srtpdec == NULL)
    return;

  clock = gst_system_clock_obtain ();
  id = gst_clock_new_periodic_id (clock, gst_clock_get_time (clock) +
      interval * GST_MSECOND, interval * GST_MSECOND);
  gst_object_unref (clock);
  gst_clock_id_wait_async (id, stats_tick, gst_object_ref (self),
      (GDestroyNotify) gst_object_unref);
  GST_OBJECT_LOCK (self);
  self->stats_id = id;
  GST_OBJECT_UNLOCK (self);
}

static void
stats_stop (GstAcsCallBin * self)
{
  GstClockID id;

  GST_OBJECT_LOCK (self);
  id = self->stats_id;
  self->stats_id = NULL;
  GST_OBJECT_UNLOCK (self);
  if (id) {
    gst_clock_id_unschedule (id);
    gst_clock_id_unref (id);
  }
}
