/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: libsrtp2's AES-GCM cipher type on one NSS context per key */

#ifndef __ACS_SRTP_NSS_GCM_H__
#define __ACS_SRTP_NSS_GCM_H__

#include <srtp2/srtp.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Replaces the implementation of libsrtp2's SRTP_AES_GCM_128 and
 * SRTP_AES_GCM_256 cipher types (srtp_replace_cipher_type(), which first
 * runs the new type's known answers and then the replaced type's own)
 * with one that keeps an NSS AEAD message context per key and direction.
 * Call after srtp_init(); process-wide, like every libsrtp2 setting. */
srtp_err_status_t acs_srtp_nss_gcm_install (void);

#ifdef __cplusplus
}
#endif

#endif /* __ACS_SRTP_NSS_GCM_H__ */
