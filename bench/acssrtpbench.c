/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: per-packet cost of acssrtpenc/acssrtpdec, against
 * gst-plugins-bad's srtpenc/srtpdec and a bare libsrtp2 loop
 *
 * Every measurement pushes pre-built buffers from a pad of our own into the
 * element, whose src pad is linked to a pad of our own whose chain function
 * counts and unrefs. The same push loop into that counting pad directly
 * (no element) is the driver's own cost, subtracted from the element's. The
 * bare loop calls srtp_protect()/srtp_unprotect() on the same packets, with
 * the same policy as gstacssrtp.c builds: it is the ceiling.
 *
 * Without --one, the whole matrix runs (wall time), then, if valgrind is
 * found, each configuration of --callgrind-set runs again in a child
 * process under callgrind with collection switched on around the timed
 * loop only, for instruction counts. Results go to stdout as a table and as
 * JSON lines (lines starting with `{`). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/rtp/rtp.h>
#include <srtp2/srtp.h>
#include <srtp2/crypto_types.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#ifdef HAVE_VALGRIND_CALLGRIND_H
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_START_INSTRUMENTATION do { } while (0)
#define CALLGRIND_STOP_INSTRUMENTATION do { } while (0)
#define CALLGRIND_TOGGLE_COLLECT do { } while (0)
#endif

/* Run with --instr-atstart=no --collect-atstart=no, callgrind counts the
 * instructions between these two only: the timed loop */
#define COUNT_START() G_STMT_START { \
  CALLGRIND_START_INSTRUMENTATION; \
  CALLGRIND_TOGGLE_COLLECT; \
} G_STMT_END
#define COUNT_STOP() G_STMT_START { \
  CALLGRIND_TOGGLE_COLLECT; \
  CALLGRIND_STOP_INSTRUMENTATION; \
} G_STMT_END

#define RTP_HEADER_LEN 12
#define BASE_SSRC 0x1bad0000u
#define BASE_SEQ 1000
#define MAX_REPS 31
/* The timed loop runs in chunks of CHUNK packets, each timed on its own;
 * the median chunk gives the figure of a run, so that the machine taking
 * the CPU away for a while spoils a few chunks rather than the run. */
#define CHUNK 500

typedef enum
{
  IMPL_PASS,
  IMPL_BARE,
  IMPL_ACS,
  IMPL_BAD,
  IMPL_FLOOR,
  N_IMPLS
} Impl;

static const gchar *impl_names[] = { "driver", "bare", "acs", "bad", "floor" };

/* The implementations that are elements, measured net of the driver */
#define IMPL_IS_ELEMENT(i) ((i) == IMPL_ACS || (i) == IMPL_BAD || \
    (i) == IMPL_FLOOR)

typedef enum
{
  DIR_PROTECT,
  DIR_UNPROTECT,
  N_DIRS
} Dir;

static const gchar *dir_names[] = { "protect", "unprotect" };

/* Cipher and auth nicks are those of srtpenc/srtpdec (and of acssrtpenc) */
typedef struct
{
  const gchar *name;
  const gchar *cipher;
  const gchar *auth;
  const gchar *rtcp_cipher;
  const gchar *rtcp_auth;
  guint key_len;
} Profile;

static const Profile profiles[] = {
  {"AEAD_AES_128_GCM", "aes-128-gcm", "null", "aes-128-gcm", "null", 28},
  {"AEAD_AES_256_GCM", "aes-256-gcm", "null", "aes-256-gcm", "null", 44},
  {"AES_CM_128_HMAC_SHA1_80", "aes-128-icm", "hmac-sha1-80", "aes-128-icm",
      "hmac-sha1-80", 30},
  {"AES_CM_128_HMAC_SHA1_32", "aes-128-icm", "hmac-sha1-32", "aes-128-icm",
      "hmac-sha1-80", 30},
};

static const guint payload_sizes[] = { 160, 1200 };
static const guint ssrc_counts[] = { 1, 50 };

/* One configuration and its pre-built packets */
typedef struct
{
  const Profile *prof;
  guint payload;
  guint nssrc;
  gboolean rtp_input;           /* encoder input from gst_rtp_buffer_new_allocate */
  guint n;                      /* timed packets */
  guint warmup;                 /* packets pushed before the timed ones */
  guint total;                  /* warmup + n */
  guint8 key[64];
  guint plain_len;              /* RTP header + payload */
  guint stride;                 /* plain_len + trailer room */
  guint8 *plain;                /* total packets, stride apart */
  guint8 *prot;                 /* the same, protected */
  gint *prot_len;
} Config;

/* What the counting pad saw */
typedef struct
{
  guint64 packets;
  guint64 bytes;
  guint check_limit;            /* compare the first packets' bytes */
  const guint8 *expect;
  const gint *expect_len;       /* NULL: every packet is plain_len long */
  guint expect_plain_len;
  guint stride;
  guint mismatches;
} Counter;

static gboolean opt_one = FALSE;
static gchar *opt_impl = NULL;
static gchar *opt_dir = NULL;
static gchar *opt_profile = NULL;
static gint opt_payload = 0;
static gint opt_ssrcs = 0;
static gboolean opt_rtp_input = FALSE;
static gboolean opt_no_rtp_input = FALSE;
static gint opt_packets = 20000;
static gint opt_warmup = 0;
static gint opt_reps = 7;
static gboolean opt_callgrind = FALSE;
static gchar *opt_callgrind_set = NULL;
static gint opt_callgrind_packets = 2000;
static gchar *opt_callgrind_dir = NULL;
static gchar *opt_valgrind = NULL;

static GOptionEntry entries[] = {
  {"one", 0, 0, G_OPTION_ARG_NONE, &opt_one,
      "Run one measurement (--impl, --dir, --profile, --payload, --ssrcs) "
        "and print one JSON line", NULL},
  {"impl", 0, 0, G_OPTION_ARG_STRING, &opt_impl,
      "With --one: driver, bare, acs or bad", "IMPL"},
  {"dir", 0, 0, G_OPTION_ARG_STRING, &opt_dir,
      "With --one: protect or unprotect", "DIR"},
  {"profile", 0, 0, G_OPTION_ARG_STRING, &opt_profile,
      "Only this profile (AEAD_AES_128_GCM, ...)", "NAME"},
  {"payload", 0, 0, G_OPTION_ARG_INT, &opt_payload,
      "Only this RTP payload size in bytes (default 160 and 1200)", "BYTES"},
  {"ssrcs", 0, 0, G_OPTION_ARG_INT, &opt_ssrcs,
      "Only this number of interleaved SSRCs (default 1 and 50)", "N"},
  {"rtp-input", 0, 0, G_OPTION_ARG_NONE, &opt_rtp_input,
      "With --one: make the encoder's input with gst_rtp_buffer_new_allocate "
        "(two memories, header and payload, as in GStreamer 1.22)", NULL},
  {"no-rtp-input", 0, 0, G_OPTION_ARG_NONE, &opt_no_rtp_input,
        "Skip the extra AEAD_AES_128_GCM protect rows with two-memory input",
      NULL},
  {"packets", 0, 0, G_OPTION_ARG_INT, &opt_packets,
      "Timed packets per measurement (default 20000)", "N"},
  {"warmup", 0, 0, G_OPTION_ARG_INT, &opt_warmup,
      "Packets pushed before timing (default max(256, 4 x SSRCs))", "N"},
  {"reps", 0, 0, G_OPTION_ARG_INT, &opt_reps,
        "Measurements per configuration; the minimum is kept (default 7)",
      "N"},
  {"callgrind", 0, 0, G_OPTION_ARG_NONE, &opt_callgrind,
      "With --one: toggle callgrind collection around the timed loop", NULL},
  {"callgrind-set", 0, 0, G_OPTION_ARG_STRING, &opt_callgrind_set,
      "Configurations counted under callgrind: none, gcm (AEAD_AES_128_GCM, "
        "1 SSRC), all (every profile, 1 SSRC), full (default all)", "SET"},
  {"callgrind-packets", 0, 0, G_OPTION_ARG_INT, &opt_callgrind_packets,
      "Timed packets of a callgrind run (default 2000)", "N"},
  {"callgrind-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_callgrind_dir,
      "Where to keep the callgrind output files (default: a temporary "
        "directory, removed)", "DIR"},
  {"valgrind", 0, 0, G_OPTION_ARG_FILENAME, &opt_valgrind,
      "valgrind executable (default: from PATH)", "PATH"},
  {NULL}
};

static gdouble
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static const Profile *
profile_find (const gchar * name)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (profiles); i++)
    if (g_ascii_strcasecmp (profiles[i].name, name) == 0)
      return &profiles[i];
  return NULL;
}

/* As crypto_policy_init() in ext/srtp/gstacssrtp.c */
static void
crypto_policy_fill (srtp_crypto_policy_t * p, const gchar * cipher,
    const gchar * auth)
{
  gboolean gcm = g_str_has_suffix (cipher, "-gcm");

  if (g_str_equal (cipher, "aes-128-icm")) {
    p->cipher_type = SRTP_AES_ICM_128;
    p->cipher_key_len = 30;
  } else if (g_str_equal (cipher, "aes-256-icm")) {
    p->cipher_type = SRTP_AES_ICM_256;
    p->cipher_key_len = 46;
  } else if (g_str_equal (cipher, "aes-128-gcm")) {
    p->cipher_type = SRTP_AES_GCM_128;
    p->cipher_key_len = 28;
  } else {
    p->cipher_type = SRTP_AES_GCM_256;
    p->cipher_key_len = 44;
  }

  if (g_str_equal (auth, "hmac-sha1-80")) {
    p->auth_type = SRTP_HMAC_SHA1;
    p->auth_key_len = 20;
    p->auth_tag_len = 10;
    p->sec_serv = sec_serv_conf_and_auth;
  } else if (g_str_equal (auth, "hmac-sha1-32")) {
    p->auth_type = SRTP_HMAC_SHA1;
    p->auth_key_len = 20;
    p->auth_tag_len = 4;
    p->sec_serv = sec_serv_conf_and_auth;
  } else {
    p->auth_type = SRTP_NULL_AUTH;
    p->auth_key_len = 0;
    p->auth_tag_len = gcm ? 16 : 0;
    p->sec_serv = sec_serv_conf;
  }
}

static srtp_t
bare_session_new (const Config * cfg, srtp_ssrc_type_t type)
{
  srtp_policy_t policy;
  srtp_t session = NULL;
  srtp_err_status_t err;

  memset (&policy, 0, sizeof (policy));
  crypto_policy_fill (&policy.rtp, cfg->prof->cipher, cfg->prof->auth);
  crypto_policy_fill (&policy.rtcp, cfg->prof->rtcp_cipher,
      cfg->prof->rtcp_auth);
  policy.ssrc.type = type;
  policy.key = (guint8 *) cfg->key;
  policy.window_size = 128;
  policy.allow_repeat_tx = 0;
  err = srtp_create (&session, &policy);
  if (err != srtp_err_status_ok)
    g_error ("srtp_create failed: %d", err);
  return session;
}

/* Timed packets are a whole number of chunks */
static guint
round_packets (gint n)
{
  return MAX (1, (n + CHUNK - 1) / CHUNK) * CHUNK;
}

static Config *
config_new (const Profile * prof, guint payload, guint nssrc,
    gboolean rtp_input, guint n, guint warmup)
{
  Config *cfg = g_new0 (Config, 1);
  srtp_t session;
  guint i, j;

  cfg->prof = prof;
  cfg->payload = payload;
  cfg->nssrc = nssrc;
  cfg->rtp_input = rtp_input;
  cfg->n = round_packets (n);
  cfg->warmup = warmup ? warmup : MAX (256, 4 * nssrc);
  cfg->total = cfg->warmup + n;
  for (i = 0; i < prof->key_len; i++)
    cfg->key[i] = (guint8) (0x5a ^ (i * 37));
  cfg->plain_len = RTP_HEADER_LEN + payload;
  cfg->stride = GST_ROUND_UP_16 (cfg->plain_len + SRTP_MAX_TRAILER_LEN);
  cfg->plain = g_malloc0 ((gsize) cfg->total * cfg->stride);
  cfg->prot = g_malloc0 ((gsize) cfg->total * cfg->stride);
  cfg->prot_len = g_new0 (gint, cfg->total);

  /* Round-robin over the SSRCs; each has its own sequence numbers */
  for (i = 0; i < cfg->total; i++) {
    guint8 *p = cfg->plain + (gsize) i * cfg->stride;
    guint32 ssrc = BASE_SSRC + i % nssrc;
    guint16 seq = BASE_SEQ + i / nssrc;
    guint32 ts = (i / nssrc) * 960;

    p[0] = 0x80;
    p[1] = 96;
    GST_WRITE_UINT16_BE (p + 2, seq);
    GST_WRITE_UINT32_BE (p + 4, ts);
    GST_WRITE_UINT32_BE (p + 8, ssrc);
    for (j = RTP_HEADER_LEN; j < cfg->plain_len; j++)
      p[j] = (guint8) (i * 7 + j);
  }

  session = bare_session_new (cfg, ssrc_any_outbound);
  for (i = 0; i < cfg->total; i++) {
    guint8 *p = cfg->prot + (gsize) i * cfg->stride;
    gint len = cfg->plain_len;
    srtp_err_status_t err;

    memcpy (p, cfg->plain + (gsize) i * cfg->stride, cfg->plain_len);
    err = srtp_protect (session, p, &len);
    if (err != srtp_err_status_ok)
      g_error ("srtp_protect failed while building packets: %d", err);
    cfg->prot_len[i] = len;
  }
  srtp_dealloc (session);
  return cfg;
}

static void
config_free (Config * cfg)
{
  g_free (cfg->plain);
  g_free (cfg->prot);
  g_free (cfg->prot_len);
  g_free (cfg);
}

static GstBuffer *
key_buffer_new (const Config * cfg)
{
  return gst_buffer_new_memdup (cfg->key, cfg->prof->key_len);
}

/* The caps srtpdec takes a key from, for one SSRC or (ssrc == 0) none */
static GstCaps *
srtp_caps_new (const Config * cfg, guint32 ssrc, gboolean with_key)
{
  GstCaps *caps = gst_caps_new_simple ("application/x-srtp",
      "media", G_TYPE_STRING, "audio",
      "clock-rate", G_TYPE_INT, 48000,
      "encoding-name", G_TYPE_STRING, "OPUS",
      "payload", G_TYPE_INT, 96, NULL);

  if (with_key) {
    GstBuffer *key = key_buffer_new (cfg);

    gst_caps_set_simple (caps,
        "srtp-key", GST_TYPE_BUFFER, key,
        "srtp-cipher", G_TYPE_STRING, cfg->prof->cipher,
        "srtp-auth", G_TYPE_STRING, cfg->prof->auth,
        "srtcp-cipher", G_TYPE_STRING, cfg->prof->rtcp_cipher,
        "srtcp-auth", G_TYPE_STRING, cfg->prof->rtcp_auth, NULL);
    gst_buffer_unref (key);
  }
  if (ssrc != 0)
    gst_caps_set_simple (caps, "ssrc", G_TYPE_UINT, ssrc, NULL);
  return caps;
}

static GstCaps *
on_request_key (GstElement * dec, guint ssrc, gpointer user_data)
{
  return srtp_caps_new (user_data, 0, TRUE);
}

static GstFlowReturn
counter_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  Counter *c = gst_pad_get_element_private (pad);

  if (G_UNLIKELY (c->packets < c->check_limit)) {
    guint i = c->packets;
    gsize len = c->expect_len ? (gsize) c->expect_len[i] : c->expect_plain_len;

    if (gst_buffer_get_size (buf) != len
        || gst_buffer_memcmp (buf, 0, c->expect + (gsize) i * c->stride,
            len) != 0)
      c->mismatches++;
  }
  c->packets++;
  c->bytes += gst_buffer_get_size (buf);
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

static gboolean
counter_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  gst_event_unref (event);
  return TRUE;
}

/* The buffers pushed into the element, each pushed once (the element takes
 * them). Encoder input is made as a payloader makes it: exact size, one
 * memory. */
static GstBuffer **
buffers_new (const Config * cfg, Dir dir)
{
  GstBuffer **bufs = g_new (GstBuffer *, cfg->total);
  guint i;

  for (i = 0; i < cfg->total; i++) {
    const guint8 *src;
    gsize len;

    if (dir == DIR_PROTECT) {
      src = cfg->plain + (gsize) i *cfg->stride;
      len = cfg->plain_len;
      if (cfg->rtp_input)
        bufs[i] = gst_rtp_buffer_new_allocate (cfg->payload, 0, 0);
      else
        bufs[i] = gst_buffer_new_allocate (NULL, len, NULL);
    } else {
      src = cfg->prot + (gsize) i *cfg->stride;
      len = cfg->prot_len[i];
      bufs[i] = gst_buffer_new_allocate (NULL, len, NULL);
    }
    gst_buffer_fill (bufs[i], 0, src, len);
  }
  return bufs;
}

/* The floor: the least an SRTP element can do in GStreamer with this
 * input. Its chain function calls libsrtp2 exactly as the bare loop does
 * and pushes the result; the encoder first copies the packet into a new
 * memory with room for the tag (libsrtp2 2.5 protects in place only, and
 * the input has no room: one memory of exactly the packet's size), the
 * decoder works in place. No classification of RTP/RTCP, no stats, no
 * lock, no key management, no error reporting: not an element anyone
 * could ship, but a lower bound on what any element, acssrtpenc and
 * acssrtpdec included, costs above the bare loop here. */
typedef struct
{
  GstElement parent;
  GstPad *sinkpad, *srcpad;
  srtp_t session;
  gboolean protect;
} BenchFloor;

typedef struct
{
  GstElementClass parent_class;
} BenchFloorClass;

GType bench_floor_get_type (void);
G_DEFINE_TYPE (BenchFloor, bench_floor, GST_TYPE_ELEMENT);

static GstFlowReturn
bench_floor_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  BenchFloor *f = (BenchFloor *) parent;
  srtp_err_status_t err;
  GstMemory *mem;
  GstMapInfo map;
  gint len;

  if (f->protect) {
    gsize size = gst_buffer_get_size (buf);

    mem = gst_allocator_alloc (NULL, size + SRTP_MAX_TRAILER_LEN, NULL);
    gst_memory_map (mem, &map, GST_MAP_WRITE);
    gst_buffer_extract (buf, 0, map.data, size);
    len = size;
    err = srtp_protect (f->session, map.data, &len);
    gst_memory_unmap (mem, &map);
    gst_memory_resize (mem, 0, len);
    gst_buffer_replace_all_memory (buf, mem);
  } else {
    mem = gst_buffer_peek_memory (buf, 0);
    gst_memory_map (mem, &map, GST_MAP_READWRITE);
    len = map.size;
    err = srtp_unprotect (f->session, map.data, &len);
    gst_memory_unmap (mem, &map);
    gst_memory_resize (mem, 0, len);
  }
  if (G_UNLIKELY (err != srtp_err_status_ok)) {
    gst_buffer_unref (buf);
    return GST_FLOW_ERROR;
  }
  return gst_pad_push (f->srcpad, buf);
}

static void
bench_floor_finalize (GObject * object)
{
  BenchFloor *f = (BenchFloor *) object;

  if (f->session)
    srtp_dealloc (f->session);
  G_OBJECT_CLASS (bench_floor_parent_class)->finalize (object);
}

static void
bench_floor_class_init (BenchFloorClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = bench_floor_finalize;
}

static void
bench_floor_init (BenchFloor * f)
{
  f->sinkpad = gst_pad_new ("sink", GST_PAD_SINK);
  f->srcpad = gst_pad_new ("src", GST_PAD_SRC);
  gst_pad_set_chain_function (f->sinkpad, bench_floor_chain);
  gst_element_add_pad (GST_ELEMENT (f), f->sinkpad);
  gst_element_add_pad (GST_ELEMENT (f), f->srcpad);
}

static GstElement *
element_new (const Config * cfg, Impl impl, Dir dir, GstPad ** sinkpad,
    GstPad ** srcpad)
{
  GstElement *e;
  GstBuffer *key = key_buffer_new (cfg);
  const gchar *factory;

  if (impl == IMPL_FLOOR) {
    BenchFloor *f = g_object_new (bench_floor_get_type (), NULL);

    f->protect = dir == DIR_PROTECT;
    f->session = bare_session_new (cfg, f->protect ? ssrc_any_outbound :
        ssrc_any_inbound);
    *sinkpad = gst_object_ref (f->sinkpad);
    *srcpad = gst_object_ref (f->srcpad);
    gst_buffer_unref (key);
    return gst_object_ref_sink (f);
  }
  if (impl == IMPL_ACS)
    factory = dir == DIR_PROTECT ? "acssrtpenc" : "acssrtpdec";
  else
    factory = dir == DIR_PROTECT ? "srtpenc" : "srtpdec";
  e = gst_element_factory_make (factory, NULL);
  if (e == NULL)
    g_error ("no %s element: check GST_PLUGIN_PATH_1_0", factory);

  if (impl == IMPL_ACS) {
    gst_util_set_object_arg (G_OBJECT (e), "profile", cfg->prof->name);
    g_object_set (e, "key", key, NULL);
    *sinkpad = gst_element_get_static_pad (e, "sink");
    *srcpad = gst_element_get_static_pad (e, "src");
  } else if (dir == DIR_PROTECT) {
    g_object_set (e, "key", key, NULL);
    gst_util_set_object_arg (G_OBJECT (e), "rtp-cipher", cfg->prof->cipher);
    gst_util_set_object_arg (G_OBJECT (e), "rtp-auth", cfg->prof->auth);
    gst_util_set_object_arg (G_OBJECT (e), "rtcp-cipher",
        cfg->prof->rtcp_cipher);
    gst_util_set_object_arg (G_OBJECT (e), "rtcp-auth", cfg->prof->rtcp_auth);
    *sinkpad = gst_element_request_pad_simple (e, "rtp_sink_0");
    *srcpad = gst_element_get_static_pad (e, "rtp_src_0");
  } else {
    /* One SSRC: key in the sink caps; several: request-key */
    if (cfg->nssrc > 1)
      g_signal_connect (e, "request-key", G_CALLBACK (on_request_key),
          (gpointer) cfg);
    *sinkpad = gst_element_get_static_pad (e, "rtp_sink");
    *srcpad = gst_element_get_static_pad (e, "rtp_src");
  }
  gst_buffer_unref (key);
  g_assert (*sinkpad != NULL && *srcpad != NULL);
  return e;
}

static int
cmp_double (const void *a, const void *b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

static inline srtp_err_status_t
bare_one (srtp_t session, const Config * cfg, Dir dir, guint8 * work, guint i)
{
  guint8 *p = work + (gsize) i * cfg->stride;
  gint len;

  if (dir == DIR_PROTECT) {
    len = cfg->plain_len;
    return srtp_protect (session, p, &len);
  }
  len = cfg->prot_len[i];
  return srtp_unprotect (session, p, &len);
}

/* One measurement of one implementation: set up (element or session,
 * pre-built buffers, warm-up), then timed CHUNK packets at a time */
typedef struct
{
  const Config *cfg;
  Impl impl;
  Dir dir;
  guint next;                   /* index of the next packet */
  guint chunks;                 /* chunks done */
  gdouble *chunk_ns;            /* per packet, one per chunk */
  /* bare */
  srtp_t session;
  guint8 *work;
  guint bad;
  /* driver and elements */
  GstElement *e;
  GstPad *src, *sink, *esink, *esrc;
  GstBuffer **bufs;
  Counter counter;
  GstFlowReturn ret;
} Run;

static Run *
run_new (const Config * cfg, Impl impl, Dir dir)
{
  Run *r = g_new0 (Run, 1);
  GstSegment segment;
  GstCaps *caps;

  r->cfg = cfg;
  r->impl = impl;
  r->dir = dir;
  r->chunk_ns = g_new0 (gdouble, cfg->n / CHUNK);

  if (impl == IMPL_BARE) {
    r->work = g_memdup2 (dir == DIR_PROTECT ? cfg->plain : cfg->prot,
        (gsize) cfg->total * cfg->stride);
    r->session = bare_session_new (cfg, dir == DIR_PROTECT ?
        ssrc_any_outbound : ssrc_any_inbound);
    /* Unused, but the buffers the elements get are allocated here too:
     * NSS allocates and frees a context per packet, and how many
     * instructions glibc's malloc takes for that depends on the state of
     * the heap (without this, 7490 or 8028 Ir per packet depending only on
     * the length of argv[0]) */
    r->bufs = buffers_new (cfg, dir);
    for (; r->next < cfg->warmup; r->next++)
      r->bad += bare_one (r->session, cfg, dir, r->work, r->next) !=
          srtp_err_status_ok;
    return r;
  }

  r->bufs = buffers_new (cfg, dir);
  r->src = gst_pad_new ("bench_src", GST_PAD_SRC);
  r->sink = gst_pad_new ("bench_sink", GST_PAD_SINK);
  gst_pad_set_chain_function (r->sink, counter_chain);
  gst_pad_set_event_function (r->sink, counter_event);
  gst_pad_set_element_private (r->sink, &r->counter);
  r->counter.check_limit = cfg->warmup;
  r->counter.stride = cfg->stride;
  if ((dir == DIR_PROTECT) != (impl == IMPL_PASS)) {
    r->counter.expect = cfg->prot;
    r->counter.expect_len = cfg->prot_len;
  } else {
    r->counter.expect = cfg->plain;
    r->counter.expect_plain_len = cfg->plain_len;
  }

  if (impl == IMPL_PASS) {
    if (gst_pad_link (r->src, r->sink) != GST_PAD_LINK_OK)
      g_error ("could not link the driver's pads");
  } else {
    r->e = element_new (cfg, impl, dir, &r->esink, &r->esrc);
    if (gst_pad_link (r->src, r->esink) != GST_PAD_LINK_OK
        || gst_pad_link (r->esrc, r->sink) != GST_PAD_LINK_OK)
      g_error ("could not link %s", GST_ELEMENT_NAME (r->e));
  }
  gst_pad_set_active (r->src, TRUE);
  gst_pad_set_active (r->sink, TRUE);
  if (r->e && gst_element_set_state (r->e, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE)
    g_error ("%s did not go to PLAYING", GST_ELEMENT_NAME (r->e));

  gst_pad_push_event (r->src, gst_event_new_stream_start ("acs-srtp-bench"));
  if (dir == DIR_PROTECT) {
    caps = gst_caps_new_simple ("application/x-rtp",
        "media", G_TYPE_STRING, "audio",
        "clock-rate", G_TYPE_INT, 48000,
        "encoding-name", G_TYPE_STRING, "OPUS",
        "payload", G_TYPE_INT, 96, NULL);
  } else if (impl == IMPL_BAD && cfg->nssrc == 1) {
    caps = srtp_caps_new (cfg, BASE_SSRC, TRUE);
  } else {
    caps = srtp_caps_new (cfg, 0, FALSE);
  }
  gst_pad_push_event (r->src, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (r->src, gst_event_new_segment (&segment));

  for (; r->next < cfg->warmup && r->ret == GST_FLOW_OK; r->next++)
    r->ret = gst_pad_push (r->src, r->bufs[r->next]);
  if (r->ret != GST_FLOW_OK)
    g_error ("%s %s: push returned %s during warm-up", impl_names[impl],
        dir_names[dir], gst_flow_get_name (r->ret));
  return r;
}

/* Processes the next CHUNK packets and times them */
static void
run_chunk (Run * r)
{
  const Config *cfg = r->cfg;
  guint i = r->next, end = r->next + CHUNK;
  gdouble t0, t1;

  if (r->impl == IMPL_BARE) {
    t0 = now_ns ();
    for (; i < end; i++)
      r->bad += bare_one (r->session, cfg, r->dir, r->work, i) !=
          srtp_err_status_ok;
    t1 = now_ns ();
  } else {
    GstFlowReturn ret = GST_FLOW_OK;

    t0 = now_ns ();
    for (; i < end; i++)
      ret |= gst_pad_push (r->src, r->bufs[i]);
    t1 = now_ns ();
    r->ret |= ret;
  }
  r->next = end;
  r->chunk_ns[r->chunks++] = (t1 - t0) / CHUNK;
}

/* Checks what came out, tears down, and returns the nanoseconds per packet
 * of the median chunk */
static gdouble
run_finish (Run * r)
{
  const Config *cfg = r->cfg;
  const gchar *what = impl_names[r->impl], *dir = dir_names[r->dir];
  gdouble ns;

  g_assert (r->next == cfg->total);
  if (r->impl == IMPL_BARE) {
    guint i;

    if (r->bad)
      g_error ("bare %s failed on %u packets", dir, r->bad);
    srtp_dealloc (r->session);
    g_free (r->work);
    for (i = 0; i < cfg->total; i++)
      gst_buffer_unref (r->bufs[i]);
    g_free (r->bufs);
  } else {
    if (r->ret != GST_FLOW_OK)
      g_error ("%s %s: push failed", what, dir);
    if (r->counter.packets != cfg->total)
      g_error ("%s %s %s: %" G_GUINT64_FORMAT " of %u packets came out",
          what, dir, cfg->prof->name, r->counter.packets, cfg->total);
    if (r->counter.mismatches)
      g_error ("%s %s %s: %u packets differ from the expected bytes", what,
          dir, cfg->prof->name, r->counter.mismatches);
    if (r->e) {
      gst_element_set_state (r->e, GST_STATE_NULL);
      gst_pad_unlink (r->src, r->esink);
      gst_pad_unlink (r->esrc, r->sink);
      if (r->impl == IMPL_BAD && r->dir == DIR_PROTECT)
        gst_element_release_request_pad (r->e, r->esink);
      gst_object_unref (r->esink);
      gst_object_unref (r->esrc);
      gst_object_unref (r->e);
    }
    gst_pad_set_active (r->src, FALSE);
    gst_pad_set_active (r->sink, FALSE);
    gst_object_unref (r->src);
    gst_object_unref (r->sink);
    g_free (r->bufs);
  }

  qsort (r->chunk_ns, r->chunks, sizeof (gdouble), cmp_double);
  ns = r->chunk_ns[r->chunks / 2];
  g_free (r->chunk_ns);
  g_free (r);
  return ns;
}

/* One implementation alone, for callgrind: counts exactly the timed
 * chunks */
static gdouble
measure_one (const Config * cfg, Impl impl, Dir dir, gboolean callgrind)
{
  Run *r = run_new (cfg, impl, dir);
  guint c;

  if (callgrind)
    COUNT_START ();
  for (c = 0; c < cfg->n / CHUNK; c++)
    run_chunk (r);
  if (callgrind)
    COUNT_STOP ();
  return run_finish (r);
}

/* Per-packet figures of one implementation in one configuration */
typedef struct
{
  gdouble min_ns;
  gdouble median_ns;
  gdouble ir;                   /* instructions per packet, NAN if not run */
} Result;

typedef struct
{
  const Profile *prof;
  guint payload;
  guint nssrc;
  gboolean rtp_input;           /* protect only */
  Result r[N_DIRS][N_IMPLS];
} Row;

static guint
row_ndirs (const Row * row)
{
  return row->rtp_input ? 1 : N_DIRS;
}

static const gchar *
row_dir_name (const Row * row, Dir d)
{
  return row->rtp_input ? "protect2m" : dir_names[d];
}

/* Element figures are net of the driver's */
static gdouble
net_ns (const Row * row, Dir d, Impl i)
{
  if (IMPL_IS_ELEMENT (i))
    return row->r[d][i].min_ns - row->r[d][IMPL_PASS].min_ns;
  return row->r[d][i].min_ns;
}

static gdouble
net_ir (const Row * row, Dir d, Impl i)
{
  if (IMPL_IS_ELEMENT (i))
    return row->r[d][i].ir - row->r[d][IMPL_PASS].ir;
  return row->r[d][i].ir;
}

static void
run_times (Row * row)
{
  Config *cfg = config_new (row->prof, row->payload, row->nssrc,
      row->rtp_input, opt_packets, opt_warmup);
  gdouble t[N_DIRS][N_IMPLS][MAX_REPS];
  guint rep, reps = CLAMP (opt_reps, 1, MAX_REPS);
  Dir d;
  Impl i;

  /* The implementations take turns chunk by chunk (the first one
   * rotating), so that a slow period of the shared machine hits all of
   * them alike */
  for (rep = 0; rep < reps; rep++) {
    for (d = 0; d < row_ndirs (row); d++) {
      Run *runs[N_IMPLS];
      guint c;

      for (i = 0; i < N_IMPLS; i++)
        runs[i] = run_new (cfg, i, d);
      for (c = 0; c < cfg->n / CHUNK; c++)
        for (i = 0; i < N_IMPLS; i++)
          run_chunk (runs[(i + c) % N_IMPLS]);
      for (i = 0; i < N_IMPLS; i++)
        t[d][i][rep] = run_finish (runs[i]);
    }
  }

  for (d = 0; d < row_ndirs (row); d++) {
    for (i = 0; i < N_IMPLS; i++) {
      qsort (t[d][i], reps, sizeof (gdouble), cmp_double);
      row->r[d][i].min_ns = t[d][i][0];
      row->r[d][i].median_ns = t[d][i][reps / 2];
    }
  }
  config_free (cfg);
}

static gboolean
in_callgrind_set (const Row * row)
{
  const gchar *set = opt_callgrind_set ? opt_callgrind_set : "all";

  if (g_str_equal (set, "full"))
    return TRUE;
  if (g_str_equal (set, "all"))
    return row->nssrc == 1;
  if (g_str_equal (set, "gcm"))
    return row->nssrc == 1 && row->prof == &profiles[0];
  return FALSE;
}

/* One configuration counted under callgrind in a child process */
typedef struct
{
  Row *row;
  Dir d;
  Impl i;
  gchar *out;
  GPid pid;
} CgJob;

static gboolean
cg_job_start (CgJob * job, const gchar * self_exe, const gchar * valgrind,
    const gchar * dir)
{
  const Row *row = job->row;
  gchar *out_arg, *payload, *packets;
  GError *err = NULL;
  gboolean ok;

  job->out = g_strdup_printf ("%s/callgrind.%s.%u.%u.%s.%s.out", dir,
      row->prof->name, row->payload, row->nssrc,
      row_dir_name (row, job->d), impl_names[job->i]);
  out_arg = g_strdup_printf ("--callgrind-out-file=%s", job->out);
  payload = g_strdup_printf ("%u", row->payload);
  packets = g_strdup_printf ("%d", opt_callgrind_packets);
  {
    gchar *ssrcs = g_strdup_printf ("%u", row->nssrc);
    const gchar *argv[] = { valgrind, "--tool=callgrind",
      "--instr-atstart=no", "--collect-atstart=no", out_arg, self_exe,
      "--one", "--callgrind", "--impl", impl_names[job->i],
      "--dir", dir_names[job->d], "--profile", row->prof->name, "--payload",
      payload, "--ssrcs", ssrcs, "--packets", packets,
      row->rtp_input ? "--rtp-input" : NULL, NULL
    };

    ok = g_spawn_async (NULL, (gchar **) argv, NULL,
        G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
        G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &job->pid, &err);
    g_free (ssrcs);
  }
  if (!ok) {
    g_printerr ("could not run %s: %s\n", valgrind, err->message);
    g_clear_error (&err);
  }
  g_free (out_arg);
  g_free (payload);
  g_free (packets);
  return ok;
}

/* Stores the instructions per timed packet of a finished job, or NAN */
static void
cg_job_finish (CgJob * job, gint status)
{
  gchar *contents = NULL, *line;
  GError *err = NULL;
  gdouble ir = NAN;

  if (!g_spawn_check_wait_status (status, &err)) {
    g_printerr ("callgrind run %s failed: %s\n", job->out, err->message);
    g_clear_error (&err);
  } else if (!g_file_get_contents (job->out, &contents, NULL, &err)) {
    g_printerr ("%s\n", err->message);
    g_clear_error (&err);
  } else {
    /* The totals: line (or, in older files, summary:) holds the Ir count */
    line = strstr (contents, "\ntotals:");
    if (line == NULL)
      line = strstr (contents, "\nsummary:");
    if (line)
      ir = g_ascii_strtod (strchr (line, ':') + 1, NULL) /
          round_packets (opt_callgrind_packets);
  }
  job->row->r[job->d][job->i].ir = ir;
  g_free (contents);
  g_clear_pointer (&job->out, g_free);
}

/* Instruction counts do not depend on the load, so the callgrind runs go
 * in parallel, one per CPU */
static gboolean
run_callgrind_jobs (GArray * rows, const gchar * self_exe,
    const gchar * valgrind, const gchar * dir)
{
  GArray *jobs = g_array_new (FALSE, TRUE, sizeof (CgJob));
  guint k, next = 0, running = 0, done = 0;
  guint max = MAX (1, g_get_num_processors ());
  gdouble start = now_ns ();

  for (k = 0; k < rows->len; k++) {
    Row *row = &g_array_index (rows, Row, k);
    CgJob job = { row, };

    if (!in_callgrind_set (row))
      continue;
    for (job.d = 0; job.d < row_ndirs (row); job.d++)
      for (job.i = 0; job.i < N_IMPLS; job.i++)
        g_array_append_val (jobs, job);
  }

  while (done < jobs->len) {
    gint status;
    GPid pid;

    while (running < max && next < jobs->len) {
      if (cg_job_start (&g_array_index (jobs, CgJob, next), self_exe,
              valgrind, dir))
        running++;
      else
        done++;
      next++;
    }
    if (running == 0)
      break;
    pid = waitpid (-1, &status, 0);
    if (pid < 0)
      break;
    for (k = 0; k < next; k++) {
      CgJob *job = &g_array_index (jobs, CgJob, k);

      if (job->pid == pid && job->out) {
        cg_job_finish (job, status);
        g_spawn_close_pid (pid);
        running--;
        done++;
        break;
      }
    }
  }
  g_printerr ("counted %u configurations under callgrind (%.0f s)\n",
      jobs->len, (now_ns () - start) / 1e9);
  k = jobs->len;
  g_array_unref (jobs);
  return k > 0;
}

static void
print_json (const Row * row, Dir d, Impl i)
{
  const Result *r = &row->r[d][i];
  gchar ns[G_ASCII_DTOSTR_BUF_SIZE], med[G_ASCII_DTOSTR_BUF_SIZE];
  gchar ir[G_ASCII_DTOSTR_BUF_SIZE];

  g_ascii_formatd (ns, sizeof (ns), "%.1f", net_ns (row, d, i));
  g_ascii_formatd (med, sizeof (med), "%.1f", IMPL_IS_ELEMENT (i) ?
      r->median_ns - row->r[d][IMPL_PASS].median_ns : r->median_ns);
  if (isnan (r->ir))
    g_strlcpy (ir, "null", sizeof (ir));
  else
    g_ascii_formatd (ir, sizeof (ir), "%.0f", net_ir (row, d, i));
  g_print ("{\"bench\":\"acs-srtp\",\"profile\":\"%s\",\"payload\":%u,"
      "\"ssrcs\":%u,\"dir\":\"%s\",\"impl\":\"%s\",\"ns_per_packet\":%s,"
      "\"ns_per_packet_median\":%s,\"packets_per_s\":%.0f,"
      "\"instr_per_packet\":%s,\"net_of_driver\":%s,\"input\":\"%s\"}\n",
      row->prof->name, row->payload, row->nssrc, dir_names[d], impl_names[i],
      ns, med,
      1e9 / net_ns (row, d, i), ir,
      IMPL_IS_ELEMENT (i) ? "true" : "false",
      d == DIR_UNPROTECT ? "srtp" : row->rtp_input ? "rtp-2-memories" :
      "one-memory");
}

static const gchar *
verdict (gboolean ok)
{
  return ok ? "PASS" : "FAIL";
}

static void
print_report (Row * rows, guint nrows, gboolean have_ir)
{
  guint k;
  Dir d;

  g_print ("\n== Wall time per packet (best of %d runs of %d packets; acs "
      "and bad net of the driver) ==\n", opt_reps, opt_packets);
  g_print ("%-24s %5s %5s %-9s | %8s %8s %8s %8s | %9s %9s %9s | %5s %5s "
      "%5s | %7s\n", "profile", "pay", "ssrcs", "dir", "acs ns", "bad ns",
      "bare ns", "floor ns", "acs pps", "bad pps", "bare pps", "a/c", "b/a",
      "f/c", "drv ns");
  for (k = 0; k < nrows; k++) {
    Row *row = &rows[k];

    for (d = 0; d < row_ndirs (row); d++) {
      gdouble a = net_ns (row, d, IMPL_ACS), b = net_ns (row, d, IMPL_BAD);
      gdouble c = net_ns (row, d, IMPL_BARE);
      gdouble f = net_ns (row, d, IMPL_FLOOR);

      g_print ("%-24s %5u %5u %-9s | %8.0f %8.0f %8.0f %8.0f | %9.0f %9.0f "
          "%9.0f | %5.2f %5.2f %5.2f | %7.0f\n", row->prof->name,
          row->payload, row->nssrc, row_dir_name (row, d), a, b, c, f,
          1e9 / a, 1e9 / b, 1e9 / c, a / c, b / a, f / c,
          row->r[d][IMPL_PASS].min_ns);
    }
  }

  if (have_ir) {
    g_print ("\n== Instructions per packet (callgrind, %d packets; acs and "
        "bad net of the driver) ==\n", opt_callgrind_packets);
    g_print ("%-24s %5s %5s %-9s | %8s %8s %8s %8s | %5s %5s %5s | %7s\n",
        "profile", "pay", "ssrcs", "dir", "acs Ir", "bad Ir", "bare Ir",
        "floor Ir", "a/c", "b/a", "f/c", "drv Ir");
    for (k = 0; k < nrows; k++) {
      Row *row = &rows[k];

      for (d = 0; d < row_ndirs (row); d++) {
        gdouble a = net_ir (row, d, IMPL_ACS), b = net_ir (row, d, IMPL_BAD);
        gdouble c = net_ir (row, d, IMPL_BARE);
        gdouble f = net_ir (row, d, IMPL_FLOOR);

        if (isnan (a) || isnan (b) || isnan (c))
          continue;
        g_print ("%-24s %5u %5u %-9s | %8.0f %8.0f %8.0f %8.0f | %5.2f %5.2f "
            "%5.2f | %7.0f\n", row->prof->name, row->payload, row->nssrc,
            row_dir_name (row, d), a, b, c, f, a / c, b / a, f / c,
            row->r[d][IMPL_PASS].ir);
      }
    }
  }

  g_print ("\n== Targets (AEAD_AES_128_GCM): a/c <= 1.15 in instructions, "
      "a/c <= 1.25 in time, b/a >= 1.4 in time ==\n");
  for (k = 0; k < nrows; k++) {
    Row *row = &rows[k];

    /* The targets are for payloader-like one-memory input */
    if (row->prof != &profiles[0] || row->rtp_input)
      continue;
    for (d = 0; d < row_ndirs (row); d++) {
      gdouble a = net_ns (row, d, IMPL_ACS), b = net_ns (row, d, IMPL_BAD);
      gdouble c = net_ns (row, d, IMPL_BARE);
      gdouble ai = net_ir (row, d, IMPL_ACS), ci = net_ir (row, d, IMPL_BARE);
      gdouble f = net_ns (row, d, IMPL_FLOOR);
      gdouble fi = net_ir (row, d, IMPL_FLOOR);
      gchar ir_part[64], ir_ratio[32], floor_ir[32];

      if (isnan (ai) || isnan (ci)) {
        g_strlcpy (ir_part, "instr a/c    n/a     ", sizeof (ir_part));
        g_strlcpy (ir_ratio, "null", sizeof (ir_ratio));
      } else {
        g_snprintf (ir_part, sizeof (ir_part), "instr a/c %5.2f %s", ai / ci,
            verdict (ai / ci <= 1.15));
        g_snprintf (ir_ratio, sizeof (ir_ratio), "%.3f", ai / ci);
      }
      if (isnan (fi) || isnan (ci))
        g_strlcpy (floor_ir, "null", sizeof (floor_ir));
      else
        g_snprintf (floor_ir, sizeof (floor_ir), "%.3f", fi / ci);
      g_print ("%-16s %5u %3u %-9s | %s | time a/c %5.2f %s | time b/a "
          "%5.2f %s\n", row->prof->name, row->payload, row->nssrc,
          dir_names[d], ir_part, a / c, verdict (a / c <= 1.25), b / a,
          verdict (b / a >= 1.4));
      /* What the floor element (no work besides libsrtp2, the copy the
       * input forces, and GStreamer's own) reaches on the same scale: a
       * target it misses no element can meet */
      g_print ("%-16s %5s %3s %-9s | floor: instr f/c %s | time f/c %5.2f | "
          "time b/f %5.2f\n", "", "", "", "", floor_ir, f / c, b / f);
      g_print ("{\"bench\":\"acs-srtp-target\",\"profile\":\"%s\","
          "\"payload\":%u,\"ssrcs\":%u,\"dir\":\"%s\",\"instr_a_over_c\":%s,"
          "\"instr_pass\":%s,\"time_a_over_c\":%.3f,\"time_pass\":%s,"
          "\"time_b_over_a\":%.3f,\"time_b_pass\":%s,"
          "\"floor_instr_over_c\":%s,\"floor_time_over_c\":%.3f,"
          "\"time_b_over_floor\":%.3f}\n", row->prof->name,
          row->payload, row->nssrc, dir_names[d], ir_ratio,
          isnan (ai) || isnan (ci) ? "null" : (ai / ci <= 1.15
              ? "true" : "false"), a / c, a / c <= 1.25 ? "true" : "false",
          b / a, b / a >= 1.4 ? "true" : "false", floor_ir, f / c, b / f);
    }
  }
}

static int
run_one (void)
{
  const Profile *prof = opt_profile ? profile_find (opt_profile) : NULL;
  Config *cfg;
  Impl impl;
  Dir dir;
  gdouble ns;

  for (impl = 0; impl < N_IMPLS; impl++)
    if (opt_impl && g_str_equal (opt_impl, impl_names[impl]))
      break;
  dir = opt_dir && g_str_equal (opt_dir, "unprotect") ? DIR_UNPROTECT :
      DIR_PROTECT;
  if (prof == NULL || impl == N_IMPLS || opt_payload <= 0 || opt_ssrcs <= 0) {
    g_printerr ("--one needs --impl, --profile, --payload and --ssrcs\n");
    return 2;
  }
  cfg = config_new (prof, opt_payload, opt_ssrcs, opt_rtp_input,
      opt_packets, opt_warmup);
  ns = measure_one (cfg, impl, dir, opt_callgrind);
  g_print ("{\"bench\":\"acs-srtp-one\",\"profile\":\"%s\",\"payload\":%u,"
      "\"ssrcs\":%u,\"dir\":\"%s\",\"impl\":\"%s\",\"packets\":%u,"
      "\"ns_per_packet\":%.1f}\n", prof->name, cfg->payload, cfg->nssrc,
      dir_names[dir], impl_names[impl], cfg->n, ns);
  config_free (cfg);
  return 0;
}

int
main (int argc, char **argv)
{
  GOptionContext *ctx;
  GError *err = NULL;
  GArray *rows;
  gchar *self_exe, *valgrind = NULL, *cg_dir = NULL;
  gboolean have_ir = FALSE, tmp_dir = FALSE;
  gdouble start = now_ns ();
  guint p, s, n, k;

  ctx = g_option_context_new ("- per-packet cost of acssrtpenc/acssrtpdec");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);
  gst_init (NULL, NULL);
  {
    /* The acssrtp plugin replaces libsrtp2's AES-GCM for the whole process
     * when it loads (docs/decisions.md): loaded first, every implementation
     * here, the bare loop and srtpenc included, runs on the same AES-GCM
     * (GST_ACS_SRTP_GCM=libsrtp2 keeps libsrtp2's own for all of them). A
     * second srtp_init() in a process fails in libsrtp2 2.5; the plugin
     * made the first. */
    GstElement *first = gst_element_factory_make ("acssrtpenc", NULL);
    srtp_err_status_t err;

    if (first == NULL) {
      g_printerr ("acssrtpenc not found (GST_PLUGIN_PATH_1_0?)\n");
      return 1;
    }
    gst_object_unref (first);
    if (!opt_one)
      g_printerr ("AES-GCM in this run: %s\n",
          g_strcmp0 (g_getenv ("GST_ACS_SRTP_GCM"), "libsrtp2") == 0 ?
          "libsrtp2's own (GST_ACS_SRTP_GCM=libsrtp2)" :
          "one NSS context per key (the acssrtp plugin's)");
    err = srtp_init ();

    if (err != srtp_err_status_ok)
      g_printerr ("srtp_init: libsrtp2 status %d (already initialised?)\n",
          err);
  }

  if (opt_one)
    return run_one ();

  rows = g_array_new (FALSE, TRUE, sizeof (Row));
  for (p = 0; p < G_N_ELEMENTS (profiles); p++) {
    if (opt_profile && g_ascii_strcasecmp (opt_profile, profiles[p].name))
      continue;
    for (s = 0; s < G_N_ELEMENTS (payload_sizes); s++) {
      if (opt_payload > 0 && payload_sizes[s] != (guint) opt_payload)
        continue;
      for (n = 0; n <= G_N_ELEMENTS (ssrc_counts); n++) {
        /* The last round adds AEAD_AES_128_GCM protect with the encoder's
         * input as gst_rtp_buffer_new_allocate() makes it (two memories) */
        gboolean rtp_input = n == G_N_ELEMENTS (ssrc_counts);
        Row row = { &profiles[p], payload_sizes[s], 1, rtp_input, };
        Dir d;
        Impl i;

        if (rtp_input && (opt_no_rtp_input || p != 0 || opt_ssrcs > 1))
          continue;
        if (!rtp_input)
          row.nssrc = ssrc_counts[n];
        if (opt_ssrcs > 0 && row.nssrc != (guint) opt_ssrcs)
          continue;
        for (d = 0; d < N_DIRS; d++)
          for (i = 0; i < N_IMPLS; i++)
            row.r[d][i].ir = NAN;
        g_array_append_val (rows, row);
      }
    }
  }

  g_print ("# acs-srtp-bench: %u configurations x 2 directions x "
      "{driver, bare libsrtp2, acssrtpenc/dec, srtpenc/dec, floor element}; "
      "libsrtp2 %s\n", rows->len, srtp_get_version_string ());
  for (k = 0; k < rows->len; k++) {
    Row *row = &g_array_index (rows, Row, k);

    run_times (row);
    g_printerr ("timed %s %u B %u SSRC%s (%.0f s)\n", row->prof->name,
        row->payload, row->nssrc, row->rtp_input ? " two-memory input" : "",
        (now_ns () - start) / 1e9);
  }

  self_exe = g_file_read_link ("/proc/self/exe", NULL);
  if (opt_valgrind)
    valgrind = g_strdup (opt_valgrind);
  else
    valgrind = g_find_program_in_path ("valgrind");
#ifndef HAVE_VALGRIND_CALLGRIND_H
  g_clear_pointer (&valgrind, g_free);
#endif
  if (opt_callgrind_set && g_str_equal (opt_callgrind_set, "none"))
    g_clear_pointer (&valgrind, g_free);
  if (valgrind == NULL) {
    g_print ("# callgrind: skipped (no valgrind or no valgrind/callgrind.h, "
        "or --callgrind-set=none)\n");
  } else if (opt_callgrind_dir) {
    cg_dir = g_strdup (opt_callgrind_dir);
    g_mkdir_with_parents (cg_dir, 0755);
  } else {
    cg_dir = g_dir_make_tmp ("acs-srtp-bench-XXXXXX", NULL);
    tmp_dir = TRUE;
  }

  if (valgrind && cg_dir)
    have_ir = run_callgrind_jobs (rows, self_exe, valgrind, cg_dir);

  g_print ("\n== Driver cost subtracted from acs and bad: the same push loop "
      "into the counting pad, no element ==\n");
  for (k = 0; k < rows->len; k++) {
    Row *row = &g_array_index (rows, Row, k);
    Dir d;
    Impl i;

    for (d = 0; d < row_ndirs (row); d++)
      for (i = 0; i < N_IMPLS; i++)
        print_json (row, d, i);
  }
  print_report ((Row *) rows->data, rows->len, have_ir);
  if (cg_dir && !tmp_dir)
    g_print ("# callgrind files in %s (callgrind_annotate --inclusive=yes "
        "FILE)\n", cg_dir);
  g_print ("# total time %.0f s\n", (now_ns () - start) / 1e9);

  if (tmp_dir) {
    GDir *dir = g_dir_open (cg_dir, 0, NULL);
    const gchar *name;

    while (dir && (name = g_dir_read_name (dir))) {
      gchar *path = g_build_filename (cg_dir, name, NULL);

      g_unlink (path);
      g_free (path);
    }
    if (dir)
      g_dir_close (dir);
    g_rmdir (cg_dir);
  }
  g_free (cg_dir);
  g_free (valgrind);
  g_free (self_exe);
  g_array_unref (rows);
  return 0;
}
