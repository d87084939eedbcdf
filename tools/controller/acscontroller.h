/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* acs-controller: the HTTP API */

#ifndef __ACS_CONTROLLER_H__
#define __ACS_CONTROLLER_H__

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * AcsControllerConfig:
 * @listen_address: host (IPv4 or IPv6 literal) to listen on
 * @listen_port: TCP port, 0 for any free port
 * @tls_certificate: (nullable): the certificate and key; %NULL with
 *   @insecure_http only
 * @insecure_http: serve plain HTTP (local debugging only)
 * @token_secret: the HMAC key of the tokens (a secret)
 * @stun_uris: (nullable) (array zero-terminated=1): STUN URIs to hand out
 * @turn_uris: (nullable) (array zero-terminated=1): TURN URIs to hand out
 * @turn_secret: (nullable): coturn's static-auth-secret (a secret)
 * @turn_ttl: lifetime of the TURN credentials, seconds
 * @invite_timeout_ms: time to ringing or answer before 408
 * @ring_timeout_ms: time from ringing to answer before 480
 * @ended_retention_ms: how long ended calls are kept
 * @session_expires_ms: an active call ends when a party shows no sign of
 *   life (request on the call, open event stream) for this long; 0: never
 * @heartbeat_ms: interval of event stream heartbeats
 * @max_streams_per_user: open event streams allowed per user
 *
 * What the controller runs with; the strings stay owned by the caller.
 */
typedef struct
{
  const gchar *listen_address;
  guint listen_port;
  GTlsCertificate *tls_certificate;
  gboolean insecure_http;
  GBytes *token_secret;
  const gchar *const *stun_uris;
  const gchar *const *turn_uris;
  GBytes *turn_secret;
  guint turn_ttl;
  guint invite_timeout_ms;
  guint ring_timeout_ms;
  guint ended_retention_ms;
  guint session_expires_ms;
  guint heartbeat_ms;
  guint max_streams_per_user;
} AcsControllerConfig;

typedef struct _AcsController AcsController;

AcsController *acs_controller_new (const AcsControllerConfig * config);

gboolean acs_controller_start (AcsController * self, guint * port,
    GError ** error);

void acs_controller_free (AcsController * self);

G_END_DECLS

#endif /* __ACS_CONTROLLER_H__ */
