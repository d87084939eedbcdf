/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* acs-controller: reading request bodies, API errors */

#ifndef __ACS_REQUEST_H__
#define __ACS_REQUEST_H__

#include <glib.h>
#include <json-glib/json-glib.h>

#include "acscall.h"

G_BEGIN_DECLS

/**
 * ACS_REQUEST_MAX_BODY:
 *
 * Largest request body, in bytes (docs/protocol.md).
 */
#define ACS_REQUEST_MAX_BODY (64 * 1024)

/**
 * ACS_REQUEST_MAX_SDP:
 *
 * Largest session description, in bytes.
 */
#define ACS_REQUEST_MAX_SDP (32 * 1024)

/**
 * ACS_REQUEST_MAX_CANDIDATE:
 *
 * Longest trickled candidate, in bytes.
 */
#define ACS_REQUEST_MAX_CANDIDATE 1024

/**
 * AcsApiError:
 * @status: the HTTP status
 * @code: the error code of docs/protocol.md section 2
 * @message: a human sentence; never holds a token or SDP
 * @field: (nullable): the field at fault
 *
 * An error answered to a request.
 */
typedef struct
{
  guint status;
  gchar *code;
  gchar *message;
  gchar *field;
} AcsApiError;

AcsApiError *acs_api_error_new (guint status, const gchar * code,
    const gchar * field, const gchar * format, ...) G_GNUC_PRINTF (4, 5);

void acs_api_error_free (AcsApiError * error);

gchar *acs_api_error_to_json (const AcsApiError * error);

JsonObject *acs_request_parse_body (const gchar * content_type,
    const gchar * data, gsize len, AcsApiError ** error);

/**
 * AcsPlaceRequest:
 * @kind: the call kind
 * @to_user: the callee
 * @offer_sdp: the offer
 *
 * The fields of `POST /v1/calls`.
 */
typedef struct
{
  gchar *kind;
  gchar *to_user;
  gchar *offer_sdp;
} AcsPlaceRequest;

gboolean acs_request_get_place (JsonObject * body, AcsPlaceRequest * place,
    AcsApiError ** error);

void acs_place_request_clear (AcsPlaceRequest * place);

gboolean acs_request_get_description (JsonObject * body,
    const gchar * member, gchar ** sdp, AcsApiError ** error);

gboolean acs_request_get_decline (JsonObject * body, AcsCallAction * action,
    AcsApiError ** error);

/**
 * AcsCandidateRequest:
 * @candidate: (nullable): the candidate line, %NULL for end of candidates
 * @mline_index: its m= line
 * @end_of_candidates: whether this is the end of candidates
 *
 * The fields of `POST /v1/calls/{id}/candidates`.
 */
typedef struct
{
  gchar *candidate;
  gint mline_index;
  gboolean end_of_candidates;
} AcsCandidateRequest;

gboolean acs_request_get_candidate (JsonObject * body,
    AcsCandidateRequest * candidate, AcsApiError ** error);

void acs_candidate_request_clear (AcsCandidateRequest * candidate);

/**
 * ACS_REQUEST_MAX_BATCH:
 *
 * Most candidates in one `{"candidates": [...]}` request: as many as one
 * party may send in a call.
 */
#define ACS_REQUEST_MAX_BATCH 128

GArray *acs_request_get_candidates (JsonObject * body, AcsApiError ** error);

gboolean acs_sdp_check (const gchar * sdp, gsize len, const gchar * field,
    AcsApiError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AcsApiError, acs_api_error_free);

G_END_DECLS

#endif /* __ACS_REQUEST_H__ */
