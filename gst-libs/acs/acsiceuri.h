/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: STUN and TURN server URIs (RFC 7064, RFC 7065) */

#ifndef __ACS_ICE_URI_H__
#define __ACS_ICE_URI_H__

#include <glib.h>

G_BEGIN_DECLS

/**
 * AcsIceServerKind:
 * @ACS_ICE_SERVER_STUN: a STUN server (`stun:` / `stun://`)
 * @ACS_ICE_SERVER_TURN: a TURN server (`turn:` / `turn://`)
 */
typedef enum
{
  ACS_ICE_SERVER_STUN,
  ACS_ICE_SERVER_TURN,
} AcsIceServerKind;

/**
 * AcsIceServerTransport:
 * @ACS_ICE_SERVER_TRANSPORT_UDP: UDP (the default for `turn:`)
 * @ACS_ICE_SERVER_TRANSPORT_TCP: TCP (`?transport=tcp`)
 * @ACS_ICE_SERVER_TRANSPORT_TLS: TLS over TCP (`turns:`)
 */
typedef enum
{
  ACS_ICE_SERVER_TRANSPORT_UDP,
  ACS_ICE_SERVER_TRANSPORT_TCP,
  ACS_ICE_SERVER_TRANSPORT_TLS,
} AcsIceServerTransport;

/**
 * AcsIceServer:
 * @kind: STUN or TURN
 * @transport: how the TURN server is reached
 * @host: host name or IP address literal (without IPv6 brackets)
 * @port: port, 3478 (5349 for `turns:`) when the URI gives none
 * @user: (nullable): TURN user name, percent-decoded; secret
 * @password: (nullable): TURN password, percent-decoded; secret
 */
typedef struct
{
  AcsIceServerKind kind;
  AcsIceServerTransport transport;
  gchar *host;
  guint16 port;
  gchar *user;
  gchar *password;
} AcsIceServer;

AcsIceServer *acs_ice_server_parse (const gchar * uri, GError ** error);
AcsIceServer *acs_ice_server_copy (const AcsIceServer * server);
void acs_ice_server_free (AcsIceServer * server);
gchar *acs_ice_server_to_safe_string (const AcsIceServer * server);
const gchar *acs_ice_server_transport_to_string (AcsIceServerTransport t);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AcsIceServer, acs_ice_server_free);

G_END_DECLS

#endif /* __ACS_ICE_URI_H__ */
