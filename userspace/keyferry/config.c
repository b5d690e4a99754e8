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
	snprintf(c->identity, sizeof(c->identity), "%s", "/var/lib/keyferry/identity");
	c->identity_autosave = true;
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

int kf_parse_owner(const char *s, struct kf_owner_key *o, char *why, size_t whylen)
{
	size_t n = strcspn(s, " \t=");
	const char *key = s + n;

	memset(o, 0, sizeof(*o));
	if (!kf_owner_name_valid(s, n)) {
		snprintf(why, whylen, "owner \"%.*s\": the name must be 1 to %d bytes of "
			 "[A-Za-z0-9._-]", (int)n, s, KEYFERRY_OWNER_NAME_MAX);
		return -EINVAL;
	}
	memcpy(o->name, s, n);
	key += strspn(key, " \t=");
	if (kf_key_from_base64(o->key, key)) {
		snprintf(why, whylen, "owner %s: \"%s\" is not a base64 32-byte public key",
			 o->name, key);
		return -EINVAL;
	}
	return 0;
}

static int kf_config_owner(struct kf_config *c, const char *value, char *why, size_t whylen)
{
	unsigned int i;
	int ret;

	if (c->n_owners >= KEYFERRY_MAX_OWNER_KEYS) {
		snprintf(why, whylen, "more than %d owner keys", KEYFERRY_MAX_OWNER_KEYS);
		return -EINVAL;
	}
	ret = kf_parse_owner(value, &c->owners[c->n_owners], why, whylen);
	if (ret)
		return ret;
	for (i = 0; i < c->n_owners; i++)
		if (!memcmp(c->owners[i].key, c->owners[c->n_owners].key, KEYFERRY_KEY_SIZE)) {
			snprintf(why, whylen, "owner %s: this key is given twice",
				 c->owners[c->n_owners].name);
			return -EINVAL;
		}
	c->n_owners++;
	return 0;
}

/* "URL KEY": a provider, and the distributor key to address it by. */
static int kf_config_provider(struct kf_config *c, const char *value, char *why,
			      size_t whylen)
{
	struct kf_provider_conf *p = &c->providers[c->n_providers];
	size_t n = strcspn(value, " \t");
	const char *key = value + n + strspn(value + n, " \t");

	if (c->n_providers >= KF_MAX_PROVIDERS) {
		snprintf(why, whylen, "more than %d providers", KF_MAX_PROVIDERS);
		return -EINVAL;
	}
	if ((strncmp(value, "http://", 7) && strncmp(value, "https://", 8)) ||
	    n >= KF_URL_MAX) {
		snprintf(why, whylen, "provider \"%.*s\": not an http:// or https:// URL "
			 "of at most %d bytes", (int)(n < 200 ? n : 200), value,
			 KF_URL_MAX - 1);
		return -EINVAL;
	}
	memcpy(p->url, value, n);
	p->url[n] = '\0';
	if (kf_key_from_base64(p->key, key)) {
		snprintf(why, whylen, "provider %s: \"%s\" is not a base64 32-byte public "
			 "key (the provider's distributor key, pinned at enrollment)",
			 p->url, key);
		return -EINVAL;
	}
	c->n_providers++;
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

static int kf_config_teardown(struct kf_config *c, const char *value, char *why,
			      size_t whylen)
{
	if (c->n_teardowns >= KF_MAX_TEARDOWNS) {
		snprintf(why, whylen, "more than %d teardown entries", KF_MAX_TEARDOWNS);
		return -EINVAL;
	}
	if (kf_teardown_parse(value, &c->teardowns[c->n_teardowns], why, whylen))
		return -EINVAL;
	c->n_teardowns++;
	return 0;
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
	if (!strcmp(key, "owner"))
		return kf_config_owner(c, value, why, whylen);
	if (!strcmp(key, "provider"))
		return kf_config_provider(c, value, why, whylen);
	if (!strcmp(key, "identity")) {
		if (strlen(value) < sizeof(c->identity) && (value[0] == '/' || !strcmp(value, "none"))) {
			snprintf(c->identity, sizeof(c->identity), "%s",
				 strcmp(value, "none") ? value : "");
			return 0;
		}
		snprintf(why, whylen, "identity must be an absolute path or none");
		return -EINVAL;
	}
	/* identity_autosave too, spelled like the other keys */
	if (!strcmp(key, "identity-autosave") || !strcmp(key, "identity_autosave")) {
		if (!strcmp(value, "yes") || !strcmp(value, "no")) {
			c->identity_autosave = !strcmp(value, "yes");
			return 0;
		}
		snprintf(why, whylen, "%s must be yes or no", key);
		return -EINVAL;
	}
	if (!strcmp(key, "teardown"))
		return kf_config_teardown(c, value, why, whylen);
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
		/* The rest of a longer line would be read as a line of its
		 * own: the tail of a long comment as a setting. */
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line longer than %zu bytes",
				 path, lineno, sizeof(line) - 2);
			ret = -EINVAL;
			break;
		}
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
