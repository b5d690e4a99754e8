// SPDX-License-Identifier: MIT
/*
 * The helper's configuration file, /etc/keyferry/keyferry.conf
 * (userspace/keyferry/config.c, teardown.c for its teardown entries).  A file that loads gives values inside
 * their documented bounds; one that does not says why, naming the file.
 */
#include "fuzz/fuzz.h"
#include "userspace/keyferry/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kf_config c;
	const char *path = fuzz_file(data, size);
	char err[512] = "";
	unsigned int i;

	if (kf_config_load(&c, path, err, sizeof(err))) {
		if (strncmp(err, path, strlen(path)))
			fuzz_fail(FUZZ_WHERE);
		return 0;
	}
	if (c.n_repositories > KF_MAX_REPOSITORIES ||
	    c.n_items > KF_MAX_CONFIG_ITEMS || c.retry_min > c.retry_max ||
	    !c.retry_min || c.timeout < 1 || c.timeout > 600)
		fuzz_fail(FUZZ_WHERE);
	for (i = 0; i < c.n_repositories; i++)
		if (strnlen(c.repositories[i], KF_URL_MAX) >= KF_URL_MAX ||
		    (strncmp(c.repositories[i], "http://", 7) &&
		     strncmp(c.repositories[i], "https://", 8)))
			fuzz_fail(FUZZ_WHERE);
	for (i = 0; i < c.n_items; i++)
		if (!kf_name_valid(c.items[i], strlen(c.items[i]),
				   KF_NAME_MAX))
			fuzz_fail(FUZZ_WHERE);
	/* Teardown entries: a named item, a known kind, a target of its kind. */
	if (c.n_teardowns > KF_MAX_TEARDOWNS)
		fuzz_fail(FUZZ_WHERE);
	for (i = 0; i < c.n_teardowns; i++) {
		const struct kf_teardown *t = &c.teardowns[i];

		if (!kf_name_valid(t->item, strlen(t->item), KF_NAME_MAX) ||
		    strnlen(t->target, sizeof(t->target)) >= sizeof(t->target) ||
		    (t->kind == KF_TEARDOWN_FSCRYPT ? t->target[0] != '/' :
		     t->kind != KF_TEARDOWN_DM_CRYPT || strchr(t->target, '/')))
			fuzz_fail(FUZZ_WHERE);
	}
	return 0;
}
