/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: code shared by acssrtpenc and acssrtpdec
 *
 * Nothing here logs key material: keys are reported by length only. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstacssrtp.h"

#include <string.h>
#include <acs/acssdes.h>
#include <acs/acserror.h>

#define GST_CAT_DEFAULT gst_acs_srtp_debug

GType
gst_acs_srtp_cipher_type_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {ACS_SRTP_CIPHER_NULL, "NULL", "null"},
    {ACS_SRTP_CIPHER_AES_128_ICM, "AES 128 ICM", "aes-128-icm"},
    {ACS_SRTP_CIPHER_AES_256_ICM, "AES 256 ICM", "aes-256-icm"},
    {ACS_SRTP_CIPHER_AES_128_GCM, "AES 128 GCM", "aes-128-gcm"},
    {ACS_SRTP_CIPHER_AES_256_GCM, "AES 256 GCM", "aes-256-gcm"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstAcsSrtpCipherType", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_acs_srtp_auth_type_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {ACS_SRTP_AUTH_NULL, "NULL", "null"},
    {ACS_SRTP_AUTH_HMAC_SHA1_32, "HMAC SHA1 32", "hmac-sha1-32"},
    {ACS_SRTP_AUTH_HMAC_SHA1_80, "HMAC SHA1 80", "hmac-sha1-80"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstAcsSrtpAuthType", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* The value names are the RFC 4568 / RFC 7714 suite names, so that both
 * `profile=AEAD_AES_128_GCM` (as in an SDP a=crypto line) and the nick
 * `profile=aead-aes-128-gcm` work from gst-launch-1.0 and
 * gst_util_set_object_arg(). */
GType
gst_acs_srtp_profile_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {ACS_SRTP_PROFILE_CUSTOM, "Custom (set by rtp-cipher, rtp-auth, "
          "rtcp-cipher and rtcp-auth)", "custom"},
    {ACS_SRTP_PROFILE_AEAD_AES_128_GCM, "AEAD_AES_128_GCM",
        "aead-aes-128-gcm"},
    {ACS_SRTP_PROFILE_AEAD_AES_256_GCM, "AEAD_AES_256_GCM",
        "aead-aes-256-gcm"},
    {ACS_SRTP_PROFILE_AES_CM_128_HMAC_SHA1_80, "AES_CM_128_HMAC_SHA1_80",
        "aes-cm-128-hmac-sha1-80"},
    {ACS_SRTP_PROFILE_AES_CM_128_HMAC_SHA1_32, "AES_CM_128_HMAC_SHA1_32",
        "aes-cm-128-hmac-sha1-32"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstAcsSrtpProfile", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

typedef struct
{
  gsize len;
  guint8 data[];
} SecretBlock;

static void
secret_block_free (gpointer data)
{
  SecretBlock *block = data;

  explicit_bzero (block->data, block->len);
  g_free (block);
}

/* A buffer whose memory is wiped when the last reference goes away */
static GstBuffer *
secret_buffer_new (const guint8 * key, gsize len)
{
  SecretBlock *block = g_malloc (sizeof (SecretBlock) + len);

  block->len = len;
  memcpy (block->data, key, len);
  return gst_buffer_new_wrapped_full (GST_MEMORY_FLAG_READONLY, block->data,
      len, 0, len, block, secret_block_free);
}

/**
 * gst_acs_srtp_config_init:
 * @cfg: (out caller-allocates): the settings to initialise to the defaults
 */
void
gst_acs_srtp_config_init (GstAcsSrtpConfig * cfg)
{
  memset (cfg, 0, sizeof (*cfg));
  acs_srtp_profile_get_suite (GST_ACS_SRTP_DEFAULT_PROFILE, &cfg->suite);
  cfg->replay_window_size = GST_ACS_SRTP_DEFAULT_REPLAY_WINDOW_SIZE;
}

/**
 * gst_acs_srtp_config_clear:
 * @cfg: the settings whose key and strings to release
 */
void
gst_acs_srtp_config_clear (GstAcsSrtpConfig * cfg)
{
  gst_clear_buffer (&cfg->key);
  g_clear_pointer (&cfg->key_error, g_free);
}

/**
 * gst_acs_srtp_config_set_key:
 * @cfg: the settings; the caller holds the element's object lock
 * @key: (array length=len) (nullable): key||salt, copied
 * @len: length of @key
 *
 * Replaces the master key by a private copy that is wiped when released.
 */
void
gst_acs_srtp_config_set_key (GstAcsSrtpConfig * cfg, const guint8 * key,
    gsize len)
{
  gst_clear_buffer (&cfg->key);
  g_clear_pointer (&cfg->key_error, g_free);
  if (key != NULL && len > 0)
    cfg->key = secret_buffer_new (key, len);
  g_atomic_int_inc (&cfg->generation);
}

/**
 * gst_acs_srtp_install_config_properties:
 * @klass: the element class
 * @keys: which key properties to install: none (acssrtpfanout, whose keys
 *   are per destination), write-only `key` and `inline-key`, or a readable
 *   `key` too (the encoder allows it so that an application can fetch a
 *   `random-key`, as with srtpenc)
 *
 * Installs the properties the SRTP elements share, with the ids of the
 * GST_ACS_SRTP_PROP_* enumeration.
 */
void
gst_acs_srtp_install_config_properties (GObjectClass * klass,
    GstAcsSrtpKeyProperties keys)
{
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  gboolean key_readable = keys == GST_ACS_SRTP_KEYS_READWRITE;

  if (keys != GST_ACS_SRTP_KEYS_NONE)
    g_object_class_install_property (klass, GST_ACS_SRTP_PROP_KEY,
        g_param_spec_boxed ("key", "Key",
            "Master key followed by the master salt: 28 bytes for "
            "aes-128-gcm, 44 for aes-256-gcm, 30 for aes-128-icm, 46 for "
            "aes-256-icm. May change in PLAYING: the next packet uses the new "
            "key. Never logged", GST_TYPE_BUFFER,
            (key_readable ? G_PARAM_READWRITE : G_PARAM_WRITABLE) |
            G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (klass, GST_ACS_SRTP_PROP_RTP_CIPHER,
      g_param_spec_enum ("rtp-cipher", "RTP Cipher",
          "Cipher of SRTP packets, as in srtpenc; setting `profile` sets it "
          "too. May change in PLAYING: applies from the next packet",
          GST_TYPE_ACS_SRTP_CIPHER_TYPE, ACS_SRTP_CIPHER_AES_128_GCM,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (klass, GST_ACS_SRTP_PROP_RTP_AUTH,
      g_param_spec_enum ("rtp-auth", "RTP Authentication",
          "Authentication of SRTP packets, as in srtpenc (null with the GCM "
          "ciphers, which carry a 16-byte tag). May change in PLAYING: "
          "applies from the next packet", GST_TYPE_ACS_SRTP_AUTH_TYPE,
          ACS_SRTP_AUTH_NULL, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (klass, GST_ACS_SRTP_PROP_RTCP_CIPHER,
      g_param_spec_enum ("rtcp-cipher", "RTCP Cipher",
          "Cipher of SRTCP packets, as in srtpenc. May change in PLAYING: "
          "applies from the next packet", GST_TYPE_ACS_SRTP_CIPHER_TYPE,
          ACS_SRTP_CIPHER_AES_128_GCM, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (klass, GST_ACS_SRTP_PROP_RTCP_AUTH,
      g_param_spec_enum ("rtcp-auth", "RTCP Authentication",
          "Authentication of SRTCP packets, as in srtpenc. May change in "
          "PLAYING: applies from the next packet", GST_TYPE_ACS_SRTP_AUTH_TYPE,
          ACS_SRTP_AUTH_NULL, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (klass, GST_ACS_SRTP_PROP_PROFILE,
      g_param_spec_enum ("profile", "Profile",
          "Protection profile by its RFC 4568 / RFC 7714 crypto-suite name "
          "(AEAD_AES_128_GCM, AEAD_AES_256_GCM, AES_CM_128_HMAC_SHA1_80, "
          "AES_CM_128_HMAC_SHA1_32); sets the four cipher and auth "
          "properties. Reads `custom` when those match no suite",
          GST_TYPE_ACS_SRTP_PROFILE, GST_ACS_SRTP_DEFAULT_PROFILE,
          rw | GST_PARAM_MUTABLE_PLAYING));
  if (keys != GST_ACS_SRTP_KEYS_NONE)
    g_object_class_install_property (klass, GST_ACS_SRTP_PROP_INLINE_KEY,
        g_param_spec_string ("inline-key", "Inline Key",
            "Master key and salt as the key parameter of an SDP a=crypto line "
            "(RFC 4568): `inline:<base64>[|lifetime]`; the `inline:` prefix "
            "is optional. Write-only, never logged. A malformed string makes "
            "the element fail with a settings error when it starts",
            NULL, G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS |
            GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (klass,
      GST_ACS_SRTP_PROP_REPLAY_WINDOW_SIZE,
      g_param_spec_uint ("replay-window-size", "Replay Window Size",
          "Size of the replay protection window, in packets (64 to 32768). "
          "A packet older than the window, or seen before inside it, is "
          "dropped. Applies to sessions created after the change",
          64, 0x8000, GST_ACS_SRTP_DEFAULT_REPLAY_WINDOW_SIZE,
          rw | GST_PARAM_MUTABLE_READY));
}

/**
 * gst_acs_srtp_config_set_property:
 * @cfg: the settings; the caller holds the element's object lock
 * @prop_id: one of the GST_ACS_SRTP_PROP_* ids
 * @value: the new value
 *
 * Returns: %TRUE if @prop_id is one of the shared properties.
 */
gboolean
gst_acs_srtp_config_set_property (GstAcsSrtpConfig * cfg, guint prop_id,
    const GValue * value)
{
  switch (prop_id) {
    case GST_ACS_SRTP_PROP_KEY:{
      GstBuffer *key = g_value_get_boxed (value);
      GstMapInfo map;

      if (key && gst_buffer_map (key, &map, GST_MAP_READ)) {
        gst_acs_srtp_config_set_key (cfg, map.data, map.size);
        gst_buffer_unmap (key, &map);
      } else {
        gst_acs_srtp_config_set_key (cfg, NULL, 0);
      }
      break;
    }
    case GST_ACS_SRTP_PROP_RTP_CIPHER:
      cfg->suite.rtp_cipher = g_value_get_enum (value);
      break;
    case GST_ACS_SRTP_PROP_RTP_AUTH:
      cfg->suite.rtp_auth = g_value_get_enum (value);
      break;
    case GST_ACS_SRTP_PROP_RTCP_CIPHER:
      cfg->suite.rtcp_cipher = g_value_get_enum (value);
      break;
    case GST_ACS_SRTP_PROP_RTCP_AUTH:
      cfg->suite.rtcp_auth = g_value_get_enum (value);
      break;
    case GST_ACS_SRTP_PROP_PROFILE:{
      AcsSrtpProfile profile = g_value_get_enum (value);

      if (profile != ACS_SRTP_PROFILE_CUSTOM)
        acs_srtp_profile_get_suite (profile, &cfg->suite);
      break;
    }
    case GST_ACS_SRTP_PROP_INLINE_KEY:{
      const gchar *str = g_value_get_string (value);
      GError *err = NULL;
      guint8 *key = NULL;
      gsize len = 0;

      if (str == NULL) {
        gst_acs_srtp_config_set_key (cfg, NULL, 0);
      } else if (acs_sdes_parse_inline (str, &key, &len, NULL, &err)) {
        gst_acs_srtp_config_set_key (cfg, key, len);
        acs_secret_free (key, len);
      } else {
        gst_acs_srtp_config_set_key (cfg, NULL, 0);
        cfg->key_error = g_strdup (err->message);
        g_clear_error (&err);
      }
      break;
    }
    case GST_ACS_SRTP_PROP_REPLAY_WINDOW_SIZE:
      cfg->replay_window_size = g_value_get_uint (value);
      break;
    default:
      return FALSE;
  }

  g_atomic_int_inc (&cfg->generation);
  return TRUE;
}

/**
 * gst_acs_srtp_config_get_property:
 * @cfg: the settings; the caller holds the element's object lock
 * @prop_id: one of the GST_ACS_SRTP_PROP_* ids
 * @value: (out caller-allocates): where to store the value
 *
 * Returns: %TRUE if @prop_id is one of the shared, readable properties.
 */
gboolean
gst_acs_srtp_config_get_property (GstAcsSrtpConfig * cfg, guint prop_id,
    GValue * value)
{
  switch (prop_id) {
    case GST_ACS_SRTP_PROP_KEY:
      g_value_set_boxed (value, cfg->key);
      break;
    case GST_ACS_SRTP_PROP_RTP_CIPHER:
      g_value_set_enum (value, cfg->suite.rtp_cipher);
      break;
    case GST_ACS_SRTP_PROP_RTP_AUTH:
      g_value_set_enum (value, cfg->suite.rtp_auth);
      break;
    case GST_ACS_SRTP_PROP_RTCP_CIPHER:
      g_value_set_enum (value, cfg->suite.rtcp_cipher);
      break;
    case GST_ACS_SRTP_PROP_RTCP_AUTH:
      g_value_set_enum (value, cfg->suite.rtcp_auth);
      break;
    case GST_ACS_SRTP_PROP_PROFILE:
      g_value_set_enum (value, acs_srtp_profile_from_suite (&cfg->suite));
      break;
    case GST_ACS_SRTP_PROP_REPLAY_WINDOW_SIZE:
      g_value_set_uint (value, cfg->replay_window_size);
      break;
    default:
      return FALSE;
  }
  return TRUE;
}

/**
 * gst_acs_srtp_config_check:
 * @cfg: the settings; the caller holds the element's object lock
 * @error: (nullable): where to say what is wrong, for GST_ELEMENT_ERROR
 *
 * Returns: %TRUE when a session can be made from @cfg: a key of the right
 *   length is set (or the suite has no crypto).
 */
gboolean
gst_acs_srtp_config_check (const GstAcsSrtpConfig * cfg, GError ** error)
{
  guint expected;
  gsize len;

  if (!acs_srtp_suite_has_crypto (&cfg->suite))
    return TRUE;

  if (cfg->key_error) {
    g_set_error (error, ACS_ERROR, ACS_ERROR_INVALID_ARGUMENT,
        "inline-key is not usable: %s", cfg->key_error);
    return FALSE;
  }
  if (cfg->key == NULL) {
    g_set_error (error, ACS_ERROR, ACS_ERROR_INVALID_ARGUMENT,
        "no master key: set key, inline-key or random-key");
    return FALSE;
  }

  expected = acs_srtp_suite_key_len (&cfg->suite);
  len = gst_buffer_get_size (cfg->key);
  if (len != expected) {
    g_set_error (error, ACS_ERROR, ACS_ERROR_INVALID_ARGUMENT,
        "master key and salt are %" G_GSIZE_FORMAT " bytes long, the %s/%s "
        "suite needs %u", len, acs_srtp_cipher_to_nick (cfg->suite.rtp_cipher),
        acs_srtp_auth_to_nick (cfg->suite.rtp_auth), expected);
    return FALSE;
  }
  return TRUE;
}

/**
 * gst_acs_srtp_suite_from_structure:
 * @s: caps structure as srtpdec reads them: `srtp-cipher`, `srtp-auth`,
 *   `srtcp-cipher`, `srtcp-auth` (strings) and `srtp-key` (buffer)
 * @suite: (out): the suite of @s
 * @key: (out) (transfer full) (nullable): the key of @s, or %NULL when the
 *   suite has no crypto
 *
 * Returns: %TRUE when @s carries complete and valid crypto fields.
 */
gboolean
gst_acs_srtp_suite_from_structure (const GstStructure * s,
    AcsSrtpSuite * suite, GstBuffer ** key)
{
  const GValue *v;

  *key = NULL;
  if (!acs_srtp_cipher_from_nick (gst_structure_get_string (s,
              "srtp-cipher"), &suite->rtp_cipher)
      || !acs_srtp_auth_from_nick (gst_structure_get_string (s, "srtp-auth"),
          &suite->rtp_auth)
      || !acs_srtp_cipher_from_nick (gst_structure_get_string (s,
              "srtcp-cipher"), &suite->rtcp_cipher)
      || !acs_srtp_auth_from_nick (gst_structure_get_string (s,
              "srtcp-auth"), &suite->rtcp_auth))
    return FALSE;

  if (!acs_srtp_suite_has_crypto (suite))
    return TRUE;

  v = gst_structure_get_value (s, "srtp-key");
  if (v == NULL || !GST_VALUE_HOLDS_BUFFER (v) || !gst_value_get_buffer (v))
    return FALSE;
  *key = gst_buffer_ref (gst_value_get_buffer (v));
  return TRUE;
}

static void
crypto_policy_init (srtp_crypto_policy_t * p, AcsSrtpCipher cipher,
    AcsSrtpAuth auth)
{
  gboolean gcm = cipher == ACS_SRTP_CIPHER_AES_128_GCM
      || cipher == ACS_SRTP_CIPHER_AES_256_GCM;

  switch (cipher) {
    case ACS_SRTP_CIPHER_AES_128_ICM:
      p->cipher_type = SRTP_AES_ICM_128;
      break;
    case ACS_SRTP_CIPHER_AES_256_ICM:
      p->cipher_type = SRTP_AES_ICM_256;
      break;
    case ACS_SRTP_CIPHER_AES_128_GCM:
      p->cipher_type = SRTP_AES_GCM_128;
      break;
    case ACS_SRTP_CIPHER_AES_256_GCM:
      p->cipher_type = SRTP_AES_GCM_256;
      break;
    case ACS_SRTP_CIPHER_NULL:
    default:
      p->cipher_type = SRTP_NULL_CIPHER;
      break;
  }
  p->cipher_key_len = acs_srtp_cipher_key_len (cipher);

  switch (auth) {
    case ACS_SRTP_AUTH_HMAC_SHA1_80:
      p->auth_type = SRTP_HMAC_SHA1;
      p->auth_key_len = 20;
      p->auth_tag_len = 10;
      break;
    case ACS_SRTP_AUTH_HMAC_SHA1_32:
      p->auth_type = SRTP_HMAC_SHA1;
      p->auth_key_len = 20;
      p->auth_tag_len = 4;
      break;
    case ACS_SRTP_AUTH_NULL:
    default:
      p->auth_type = SRTP_NULL_AUTH;
      p->auth_key_len = 0;
      /* AEAD: the cipher carries its own 16-byte tag (RFC 7714) */
      p->auth_tag_len = gcm ? 16 : 0;
      break;
  }

  /* The services as srtpenc sets them, so that the bytes on the wire
   * (notably the SRTCP E bit) are the same. */
  if (cipher == ACS_SRTP_CIPHER_NULL && auth == ACS_SRTP_AUTH_NULL)
    p->sec_serv = sec_serv_none;
  else if (cipher == ACS_SRTP_CIPHER_NULL)
    p->sec_serv = sec_serv_auth;
  else if (auth == ACS_SRTP_AUTH_NULL)
    p->sec_serv = sec_serv_conf;
  else
    p->sec_serv = sec_serv_conf_and_auth;
}

static guint
tag_len (AcsSrtpCipher cipher, AcsSrtpAuth auth)
{
  switch (auth) {
    case ACS_SRTP_AUTH_HMAC_SHA1_80:
      return 10;
    case ACS_SRTP_AUTH_HMAC_SHA1_32:
      return 4;
    case ACS_SRTP_AUTH_NULL:
    default:
      return (cipher == ACS_SRTP_CIPHER_AES_128_GCM
          || cipher == ACS_SRTP_CIPHER_AES_256_GCM) ? 16 : 0;
  }
}

/**
 * gst_acs_srtp_suite_trailer_len:
 * @suite: ciphers and authentications
 *
 * What srtp_protect() and srtp_protect_rtcp() append with @suite and no
 * MKI: the SRTP tag, or the SRTCP index (4 bytes) and tag, whichever is
 * longer. The policies made by gst_acs_srtp_policy_init() give the tag
 * lengths used here.
 *
 * Returns: the most bytes protection adds to a packet.
 */
guint
gst_acs_srtp_suite_trailer_len (const AcsSrtpSuite * suite)
{
  return MAX (tag_len (suite->rtp_cipher, suite->rtp_auth),
      4 + tag_len (suite->rtcp_cipher, suite->rtcp_auth));
}

/**
 * gst_acs_srtp_policy_init:
 * @policy: (out caller-allocates): the libsrtp2 policy to fill; its `ssrc`
 *   is left for the caller
 * @suite: ciphers and authentications
 * @key: (nullable): key||salt of the length @suite needs; libsrtp2 copies
 *   it when the stream is made
 * @replay_window_size: replay window in packets
 * @allow_repeat_tx: whether resending a sequence number is allowed
 */
void
gst_acs_srtp_policy_init (srtp_policy_t * policy, const AcsSrtpSuite * suite,
    guint8 * key, guint replay_window_size, gboolean allow_repeat_tx)
{
  static guint8 no_key[1];

  memset (policy, 0, sizeof (*policy));
  crypto_policy_init (&policy->rtp, suite->rtp_cipher, suite->rtp_auth);
  crypto_policy_init (&policy->rtcp, suite->rtcp_cipher, suite->rtcp_auth);
  policy->key = key ? key : no_key;
  policy->window_size = replay_window_size;
  policy->allow_repeat_tx = allow_repeat_tx ? 1 : 0;
}

/**
 * gst_acs_srtp_err_to_string:
 * @err: a libsrtp2 status
 *
 * Returns: (transfer none): a short English description of @err.
 */
const gchar *
gst_acs_srtp_err_to_string (srtp_err_status_t err)
{
  switch (err) {
    case srtp_err_status_ok:
      return "ok";
    case srtp_err_status_bad_param:
      return "bad parameter";
    case srtp_err_status_alloc_fail:
      return "allocation failed";
    case srtp_err_status_init_fail:
      return "initialisation failed";
    case srtp_err_status_auth_fail:
      return "authentication failed";
    case srtp_err_status_cipher_fail:
      return "cipher failed";
    case srtp_err_status_replay_fail:
      return "replayed packet";
    case srtp_err_status_replay_old:
      return "packet older than the replay window";
    case srtp_err_status_no_ctx:
      return "no stream for this SSRC";
    case srtp_err_status_key_expired:
      return "key expired (hard limit reached)";
    case srtp_err_status_parse_err:
      return "malformed packet";
    default:
      return "libsrtp2 error";
  }
}

/* libsrtp2 has one process-wide event handler; route each event to the
 * element whose session it concerns. */
void
gst_acs_srtp_event_handler (srtp_event_data_t * data)
{
  GstAcsSrtpEvents *events = srtp_get_user_data (data->session);

  if (events == NULL)
    return;

  switch (data->event) {
    case event_key_soft_limit:
      events->soft_limit = TRUE;
      events->ssrc = data->ssrc;
      break;
    case event_key_hard_limit:
    case event_packet_index_limit:
      events->hard_limit = TRUE;
      events->ssrc = data->ssrc;
      break;
    default:
      break;
  }
}

/**
 * gst_acs_srtp_rate_limit:
 * @last_time: (inout): monotonic time of the last warning, owned by the
 *   caller and protected by its lock
 *
 * Returns: %TRUE at most once a second, for per-packet warnings.
 */
gboolean
gst_acs_srtp_rate_limit (gint64 * last_time)
{
  gint64 now = g_get_monotonic_time ();

  if (*last_time != 0 && now - *last_time < G_USEC_PER_SEC)
    return FALSE;
  *last_time = now;
  return TRUE;
}

/**
 * gst_acs_srtp_caps_rename:
 * @caps: caps to translate
 * @name: the media type to give every structure (`application/x-rtp`,
 *   `application/x-srtp`)
 * @strip_crypto: whether to remove the SRTP fields (`srtp-key`, ciphers,
 *   `roc`, `mki`), going from SRTP to RTP
 *
 * Returns: (transfer full): a translated copy of @caps.
 */
GstCaps *
gst_acs_srtp_caps_rename (const GstCaps * caps, const gchar * name,
    gboolean strip_crypto)
{
  GstCaps *ret = gst_caps_copy (caps);
  guint i;

  for (i = 0; i < gst_caps_get_size (ret); i++) {
    GstStructure *s = gst_caps_get_structure (ret, i);

    gst_structure_set_name (s, name);
    if (strip_crypto)
      gst_structure_remove_fields (s, "srtp-key", "srtp-cipher", "srtp-auth",
          "srtcp-cipher", "srtcp-auth", "roc", "mki", NULL);
  }
  return ret;
}

/**
 * gst_acs_srtp_query_caps:
 * @pad: the pad the CAPS query arrived on
 * @otherpad: the pad on the other side of the element
 * @query: the CAPS query
 * @other_name: media type of @otherpad's caps
 * @our_name: media type of @pad's caps
 *
 * Answers a CAPS query by asking the peer of @otherpad with the media
 * type translated, as srtpenc and srtpdec do.
 *
 * Returns: %TRUE (the query is always answered).
 */
gboolean
gst_acs_srtp_query_caps (GstPad * pad, GstPad * otherpad, GstQuery * query,
    const gchar * other_name, const gchar * our_name)
{
  GstCaps *filter = NULL, *other_filter = NULL, *peer, *ret, *templ;
  gboolean to_srtp = g_str_equal (other_name, "application/x-srtp");

  gst_query_parse_caps (query, &filter);
  if (filter)
    other_filter = gst_acs_srtp_caps_rename (filter, other_name, !to_srtp);

  peer = gst_pad_peer_query_caps (otherpad, other_filter);
  gst_clear_caps (&other_filter);

  templ = gst_pad_get_pad_template_caps (pad);
  if (peer) {
    GstCaps *mine = gst_acs_srtp_caps_rename (peer, our_name, to_srtp);

    ret = gst_caps_intersect_full (mine, templ, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (mine);
    gst_caps_unref (peer);
    gst_caps_unref (templ);
  } else {
    ret = templ;
  }

  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full (filter, ret,
        GST_CAPS_INTERSECT_FIRST);

    gst_caps_unref (ret);
    ret = tmp;
  }

  gst_query_set_caps_result (query, ret);
  gst_caps_unref (ret);
  return TRUE;
}
