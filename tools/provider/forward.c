// SPDX-License-Identifier: MIT
/*
 * What a provider sends on to the repository (the server's forward hook,
 * tools/repo/repo.h): every request of a relay; a secure provider's
 * enrollments, and the transfers addressed to another key than its own.
 *
 * The body goes as it came and the answer comes back as it was: message
 * 1 and 2 are the host's and the repository's, encrypted and
 * authenticated between them, so the provider can read nothing of them,
 * change nothing without the host noticing, and logs nothing of them.
 */
#include <string.h>

#include "tools/provider/internal.h"

int kf_provider_forward(void *ctx, const char *path, const uint8_t *body,
			size_t len, uint8_t *resp, size_t cap,
			size_t *resp_len)
{
	struct kf_provider *p = ctx;
	int http = kf_upstream_post(&p->up, path, body, len, resp, cap,
				    resp_len);

	/*
	 * An enrollment that went through (the answer is sealed, but only
	 * a completed one is a 200): the new entity is in the repository's
	 * next generation, and its first fetch is likely to come here next.
	 */
	if (http == 200 && !p->cfg.relay && !strcmp(path, "/v1/enroll"))
		kf_syncer_kick(&p->sync);
	return http;
}
