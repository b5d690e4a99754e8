// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <keyutils.h>

#include "config.h"
#include "keyferry.h"

void kf_config_defaults(struct kf_config *c)
{
	memset(c, 0, sizeof(*c));
	c->keyring = 0;
	c->renew_margin = 300;
	c->retry_min = 5;
	c->retry_max = 300;
	c->timeout = 30;
}

int kf_parse_keyring(const char *s, int32_t *keyring)
{
	static const struct { const char *name; int32_t id; } named[] = {
		{ "module", 0 },
		{ "thread", KEY_SPEC_THREAD_KEYRING },
		{ "process", KEY_SPEC_PROCESS_KEYRING },
		{ "session", KEY_SPEC_SESSION_KEYRING },
		{ "user", KEY_SPEC_USER_KEYRING },
		{ "user-session", KEY_SPEC_USER_SESSION_KEYRING },
	};
	char *end;
	long v;
	size_t i;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		if (!strcmp(s, named[i].name)) {
			*keyring = named[i].id;
			return 0;
		}
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v <= 0 || v > INT32_MAX)
		return -EINVAL;
	*keyring = (int32_t)v;
	return 0;
}

static int parse_uint(const char *s, unsigned int min, unsigned int max,
		      unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || s[0] == '-' || v < min || v > max)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int kf_config_set(struct kf_config *c, const char *key, const char *value,
			 char *why, size_t whylen)
{
	if (!strcmp(key, "repository")) {
		if (c->n_repositories >= KF_MAX_REPOSITORIES) {
			snprintf(why, whylen, "more than %d repositories", KF_MAX_REPOSITORIES);
			return -EINVAL;
		}
		if (strncmp(value, "http://", 7) && strncmp(value, "https://", 8)) {
			snprintf(why, whylen, "repository must be an http:// or https:// URL");
			return -EINVAL;
		}
		if (strlen(value) >= KF_URL_MAX) {
			snprintf(why, whylen, "repository URL too long");
			return -EINVAL;
		}
		strcpy(c->repositories[c->n_repositories++], value);
		return 0;
	}
	if (!strcmp(key, "item")) {
		if (c->n_items >= KF_MAX_CONFIG_ITEMS) {
			snprintf(why, whylen, "more than %d items", KF_MAX_CONFIG_ITEMS);
			return -EINVAL;
		}
		if (!kf_name_valid(value, strlen(value), KEYFERRY_NAME_MAX)) {
			snprintf(why, whylen, "item \"%s\" is not a valid name", value);
			return -EINVAL;
		}
		strcpy(c->items[c->n_items++], value);
		return 0;
	}
	if (!strcmp(key, "keyring")) {
		if (kf_parse_keyring(value, &c->keyring) == 0)
			return 0;
		snprintf(why, whylen, "keyring must be module, session, user, process, thread or a serial");
		return -EINVAL;
	}
	if (!strcmp(key, "renew_margin") &&
	    !parse_uint(value, 0, 86400 * 30, &c->renew_margin))
		return 0;
	if (!strcmp(key, "retry_min") && !parse_uint(value, 1, 86400, &c->retry_min))
		return 0;
	if (!strcmp(key, "retry_max") && !parse_uint(value, 1, 86400, &c->retry_max))
		return 0;
	if (!strcmp(key, "timeout") && !parse_uint(value, 1, 600, &c->timeout))
		return 0;
	if (!strcmp(key, "renew_margin") || !strcmp(key, "retry_min") ||
	    !strcmp(key, "retry_max") || !strcmp(key, "timeout"))
		snprintf(why, whylen, "%s: \"%s\" is not a number of seconds in range", key, value);
	else
		snprintf(why, whylen, "unknown key \"%s\"", key);
	return -EINVAL;
}

int kf_config_load(struct kf_config *c, const char *path, char *err, size_t errlen)
{
	char line[1024], why[200];
	unsigned int lineno = 0;
	int ret = 0;
	FILE *f;

	kf_config_defaults(c);
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s, *eq, *hash;

		lineno++;
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		s = trim(line);
		if (!*s)
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%u: expected \"key = value\"", path, lineno);
			ret = -EINVAL;
			break;
		}
		*eq = '\0';
		ret = kf_config_set(c, trim(s), trim(eq + 1), why, sizeof(why));
		if (ret) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			break;
		}
	}
	fclose(f);
	if (!ret && c->retry_min > c->retry_max) {
		snprintf(err, errlen, "%s: retry_min is larger than retry_max", path);
		ret = -EINVAL;
	}
	return ret;
}
