/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: code shared by acssrtpenc and acssrtpdec */

#ifndef __GST_ACS_SRTP_H__
#define __GST_ACS_SRTP_H__

#include <gst/gst.h>
#include <srtp2/srtp.h>
#include <srtp2/crypto_types.h>

#include <acs/acssrtpprofile.h>

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_acs_srtp_debug);

#define GST_TYPE_ACS_SRTP_CIPHER_TYPE (gst_acs_srtp_cipher_type_get_type ())
GType gst_acs_srtp_cipher_type_get_type (void);
#define GST_TYPE_ACS_SRTP_AUTH_TYPE (gst_acs_srtp_auth_type_get_type ())
GType gst_acs_srtp_auth_type_get_type (void);
#define GST_TYPE_ACS_SRTP_PROFILE (gst_acs_srtp_profile_get_type ())
GType gst_acs_srtp_profile_get_type (void);

#define GST_ACS_SRTP_DEFAULT_PROFILE ACS_SRTP_PROFILE_AEAD_AES_128_GCM
#define GST_ACS_SRTP_DEFAULT_REPLAY_WINDOW_SIZE 128
#define GST_ACS_SRTP_DEFAULT_ALLOW_REPEAT_TX FALSE

/* Property ids the two elements share; each element numbers its own
 * properties from GST_ACS_SRTP_PROP_LAST. */
enum
{
  GST_ACS_SRTP_PROP_0,
  GST_ACS_SRTP_PROP_KEY,
  GST_ACS_SRTP_PROP_RTP_CIPHER,
  GST_ACS_SRTP_PROP_RTP_AUTH,
  GST_ACS_SRTP_PROP_RTCP_CIPHER,
  GST_ACS_SRTP_PROP_RTCP_AUTH,
  GST_ACS_SRTP_PROP_PROFILE,
  GST_ACS_SRTP_PROP_INLINE_KEY,
  GST_ACS_SRTP_PROP_REPLAY_WINDOW_SIZE,
  GST_ACS_SRTP_PROP_STATS,
  GST_ACS_SRTP_PROP_LAST
};

/**
 * GstAcsSrtpConfig:
 *
 * The crypto settings both elements take as properties. All fields are
 * protected by the element's GST_OBJECT_LOCK; @generation is bumped on
 * every change, so that the streaming thread notices a change with one
 * atomic read per packet instead of taking the object lock.
 */
typedef struct
{
  AcsSrtpSuite suite;
  GstBuffer *key;               /* key||salt, secret; NULL when unset */
  gchar *key_error;             /* why the last inline-key was refused */
  guint replay_window_size;
  gint generation;              /* atomic */
} GstAcsSrtpConfig;

void gst_acs_srtp_config_init (GstAcsSrtpConfig * cfg);
void gst_acs_srtp_config_clear (GstAcsSrtpConfig * cfg);

/* Which of the shared key properties an element installs */
typedef enum
{
  GST_ACS_SRTP_KEYS_NONE,       /* keys come another way (acssrtpfanout) */
  GST_ACS_SRTP_KEYS_WRITABLE,   /* `key` and `inline-key`, write-only */
  GST_ACS_SRTP_KEYS_READWRITE,  /* `key` readable too (random-key) */
} GstAcsSrtpKeyProperties;

void gst_acs_srtp_install_config_properties (GObjectClass * klass,
    GstAcsSrtpKeyProperties keys);
gboolean gst_acs_srtp_config_set_property (GstAcsSrtpConfig * cfg,
    guint prop_id, const GValue * value);
gboolean gst_acs_srtp_config_get_property (GstAcsSrtpConfig * cfg,
    guint prop_id, GValue * value);
void gst_acs_srtp_config_set_key (GstAcsSrtpConfig * cfg,
    const guint8 * key, gsize len);
gboolean gst_acs_srtp_config_check (const GstAcsSrtpConfig * cfg,
    GError ** error);

gboolean gst_acs_srtp_suite_from_structure (const GstStructure * s,
    AcsSrtpSuite * suite, GstBuffer ** key);

void gst_acs_srtp_policy_init (srtp_policy_t * policy,
    const AcsSrtpSuite * suite, guint8 * key, guint replay_window_size,
    gboolean allow_repeat_tx);

const gchar *gst_acs_srtp_err_to_string (srtp_err_status_t err);

/**
 * GstAcsSrtpEvents:
 *
 * What libsrtp2's global event handler reports for one session. The
 * session's user data points at this; the handler runs synchronously inside
 * srtp_protect()/srtp_unprotect() on the streaming thread, so the element
 * reads and clears the flags right after the call, then emits signals with
 * no lock held.
 */
typedef struct
{
  gboolean soft_limit;
  gboolean hard_limit;
  guint32 ssrc;
} GstAcsSrtpEvents;

void gst_acs_srtp_event_handler (srtp_event_data_t * data);

gboolean gst_acs_srtp_rate_limit (gint64 * last_time);

GstCaps *gst_acs_srtp_caps_rename (const GstCaps * caps, const gchar * name,
    gboolean strip_crypto);
gboolean gst_acs_srtp_query_caps (GstPad * pad, GstPad * otherpad,
    GstQuery * query, const gchar * other_name, const gchar * our_name);

guint gst_acs_srtp_suite_trailer_len (const AcsSrtpSuite * suite);

G_END_DECLS

#endif /* __GST_ACS_SRTP_H__ */
