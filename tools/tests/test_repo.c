// SPDX-License-Identifier: MIT
/*
 * The repository end to end: enrollment, transfer, revocation, the data
 * sets' policies, tokens, group items under an unwrapping key.  Real
 * SQLite in a temporary directory, real HTTP on 127.0.0.1, the library's
 * Noise initiator as the host.
 */
#include "kf_test.h"

FIXTURE(repo) {
	struct kf_env env;
	struct kf_client host;
	char keyfile[160];
	uint8_t key[32];
};

FIXTURE_SETUP(repo)
{
	ASSERT_EQ(0, env_setup(&self->env, 5));
	ASSERT_EQ(0, enroll_new(&self->env, &self->host, "host1"));
	ASSERT_STREQ("host1", reply.entity);
	ASSERT_EQ(0, STATEMENT(&self->env, "dataset create eu disks"));
	ASSERT_EQ(0, kf_random(self->key, sizeof(self->key)));
	ASSERT_EQ(0, write_key(&self->env, "k1", self->key, sizeof(self->key),
			       self->keyfile, sizeof(self->keyfile)));
	ASSERT_EQ(0, put_item(&self->env, &self->host, "disk1", "disks",
			      "host1", self->keyfile, 1));
}

FIXTURE_TEARDOWN(repo)
{
	kf_client_wipe(&self->host);
	env_teardown(&self->env);
}

TEST_F(repo, fetch_delivers_the_owners_key)
{
	uint8_t got[KF_ITEM_KEY_MAX];
	struct kf_policy p;
	uint64_t version = 0;
	size_t len;

	ASSERT_EQ(0, kf_client_fetch(&self->host, "disk1", &reply));
	ASSERT_EQ(KF_STATUS_OK, reply.status);
	ASSERT_EQ(1, reply.n_items);
	ASSERT_STREQ("disk1", reply.items[0].name);
	ASSERT_EQ(1, item_version(&reply.items[0]));
	ASSERT_EQ(0, kf_policy_decode(&p, reply.items[0].policy,
				      reply.items[0].policy_len));
	ASSERT_EQ(KF_KEY_LOGON, p.key_type);
	ASSERT_EQ(32, p.key_size);
	ASSERT_EQ(0, open_item(&self->env, &self->host, &reply.items[0], got,
			       &len, &version));
	ASSERT_EQ(32, len);
	ASSERT_EQ(1, version);
	ASSERT_EQ(0, memcmp(got, self->key, 32));
}

/* The owner's versions, not the repository's: 7 after 1, served as 7. */
TEST_F(repo, newest_version_wins)
{
	ASSERT_EQ(0, put_item(&self->env, &self->host, "disk1", "disks",
			      "host1", self->keyfile, 7));
	ASSERT_EQ(0, kf_client_fetch(&self->host, "disk1", &reply));
	ASSERT_EQ(KF_STATUS_OK, reply.status);
	ASSERT_EQ(7, item_version(&reply.items[0]));
	ASSERT_EQ(1, raw_count(&self->env, "SELECT count(*) FROM items WHERE"
			       " name = 'disk1' AND version = 7"));
}

TEST_F(repo, several_items_in_one_transfer)
{
	static struct kf_request rq;
	int http;

	ASSERT_EQ(0, put_item(&self->env, &self->host, "disk2", "disks",
			      "host1", self->keyfile, 1));
	memset(&rq, 0, sizeof(rq));
	rq.kind = KF_KIND_FETCH;
	rq.n_items = 2;
	strcpy(rq.items[0], "disk1");
	strcpy(rq.items[1], "disk2");
	ASSERT_EQ(0, kf_client_exchange(&self->host, "/v1/transfer", &rq,
					&reply, &http));
	ASSERT_EQ(KF_STATUS_OK, reply.status);
	ASSERT_EQ(2, reply.n_items);
	ASSERT_STREQ("disk2", reply.items[1].name);
}

TEST_F(repo, duplicate_and_oversized_requests)
{
	static struct kf_request rq;
	char big[160], name[16];
	unsigned int i;
	int http;

	static uint8_t msg[KF_MESSAGE_MAX], pl[256];
	struct kf_tlv_writer tw;
	struct kf_noise st;
	size_t mlen, plen;
	long n;

	/* The library will not encode a name twice: write it by hand. */
	kf_tlv_init(&tw, pl, sizeof(pl));
	kf_tlv_put_u8(&tw, 1, KF_KIND_FETCH);
	kf_tlv_put_str(&tw, 2, "disk1");
	kf_tlv_put_str(&tw, 2, "disk1");
	kf_tai64n_next(rq.timestamp, self->host.last_ts);
	kf_tlv_put(&tw, 8, rq.timestamp, KF_TIMESTAMP_SIZE);
	n = kf_tlv_finish(&tw);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, kf_noise_initiator_write1(&st, msg, sizeof(msg), &mlen,
					       self->host.kei_priv,
					       self->host.kd_pub, NULL, pl,
					       (size_t)n));
	ASSERT_EQ(0, kf_httpc_request(&self->host.http, "POST", "/v1/transfer",
				      msg, mlen, &http, msg, sizeof(msg),
				      &mlen));
	ASSERT_EQ(200, http);
	ASSERT_EQ(0, kf_noise_initiator_read2(&st, pl, sizeof(pl), &plen, msg,
					      mlen));
	kf_noise_wipe(&st);
	ASSERT_EQ(0, kf_reply_decode(&reply, pl, plen));
	ASSERT_EQ(KF_STATUS_BAD_REQUEST, reply.status);
	memset(&rq, 0, sizeof(rq));
	rq.kind = KF_KIND_FETCH;
	/* Eight 4 KiB keys do not fit in one message 2. */
	snprintf(big, sizeof(big), "%s/big", self->env.dir);
	ASSERT_EQ(0, kf_write_file(big, reply.items, 4096, 0600));
	rq.n_items = 8;
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "big%u", i);
		ASSERT_EQ(0, put_item(&self->env, &self->host, name, "disks",
				      "host1", big, 1));
		strcpy(rq.items[i], name);
	}
	ASSERT_EQ(0, kf_client_exchange(&self->host, "/v1/transfer", &rq,
					&reply, &http));
	ASSERT_EQ(KF_STATUS_BAD_REQUEST, reply.status);
	ASSERT_NE(NULL, strstr(reply.message, "fewer items"));
	rq.n_items = 7;
	ASSERT_EQ(0, kf_client_exchange(&self->host, "/v1/transfer", &rq,
					&reply, &http));
	ASSERT_EQ(KF_STATUS_OK, reply.status);
	ASSERT_EQ(7, reply.n_items);
}

TEST_F(repo, unknown_entity_is_refused)
{
	struct kf_client stranger;

	ASSERT_EQ(0, kf_client_init(&stranger, self->env.port,
				    self->env.kd_pub));
	ASSERT_EQ(0, kf_client_fetch(&stranger, "disk1", &reply));
	ASSERT_EQ(KF_STATUS_UNKNOWN_ENTITY, reply.status);
	ASSERT_EQ(0, reply.n_items);
	kf_client_wipe(&stranger);
}

TEST_F(repo, revocation_takes_effect_on_the_next_transfer)
{
	ASSERT_EQ(0, kf_client_fetch(&self->host, "disk1", &reply));
	ASSERT_EQ(KF_STATUS_OK, reply.status);
	ASSERT_EQ(0, STATEMENT(&self->env, "revoke eu host1 --reason "
			       "stolen"));
	ASSERT_EQ(0, kf_client_fetch(&self->host, "disk1", &reply));
	ASSERT_EQ(KF_STATUS_REVOKED, reply.status);
	ASSERT_EQ(0, reply.n_items);
	ASSERT_NE(NULL, strstr(reply.message, "revoked"));
	/* Revoking twice is an error, not a silent success. */
	ASSERT_EQ(1, STATEMENT(&self->env, "revoke eu host1"));
}

TEST_F(repo, entity_not_valid_yet)
{
	/* Approved again, from tomorrow: the new certificate rules. */
	ASSERT_EQ(0, STATEMENT(&self->env, "approve eu host1 --not-before "
			       "+1d"));
	ASSERT_EQ(0, kf_client_fetch(&self->host, "disk1", &reply));
	ASSERT_EQ(KF_STATUS_NOT_VALID, reply.status);
}

TEST_F(repo, missing_and_forbidden_items)
{
	struct kf_client other;

	ASSERT_EQ(0, kf_client_fetch(&self->host, "nosuch", &reply));
	ASSERT_EQ(KF_STATUS_NOT_AVAILABLE, reply.status);
	ASSERT_STREQ("item nosuch is not available to this entity",
		     reply.message);
	/* disk1 exists, but is sealed to host1 only. */
	ASSERT_EQ(0, enroll_new(&self->env, &other, "host2"));
	ASSERT_EQ(0, kf_client_fetch(&other, "disk1", &reply));
	ASSERT_EQ(KF_STATUS_NOT_AVAILABLE, reply.status);
	ASSERT_STREQ("item disk1 is not available to this entity",
		     reply.message);
	/* the audit log knows which was which */
	ASSERT_EQ(1, raw_count(&self->env, "SELECT count(*) FROM audit WHERE"
			       " subject = 'eu/host1' AND result = 'no_item'"));
	ASSERT_EQ(1, raw_count(&self->env, "SELECT count(*) FROM audit WHERE"
			       " subject = 'eu/host2' AND"
			       " result = 'not_sealed_for_entity'"));
	kf_client_wipe(&other);
}

TEST_F(repo, dataset_allow_list)
{
	ASSERT_EQ(0, STATEMENT(&self->env, "dataset create eu locked --read "
			       "entity:host9,group:admins"));
	ASSERT_EQ(0, put_item(&self->env, &self->host, "secret", "locked",
			      "host1", self->keyfile, 1));
	ASSERT_EQ(0, kf_client_fetch(&self->host, "secret", &reply));
	ASSERT_EQ(KF_STATUS_NOT_AVAILABLE, reply.status);
	/* Joining the allowed group opens it. */
	ASSERT_EQ(0, STATEMENT(&self->env, "group create eu admins"));
	ASSERT_EQ(0, STATEMENT(&self->env, "group add eu admins host1"));
	ASSERT_EQ(0, kf_client_fetch(&self->host, "secret", &reply));
	ASSERT_EQ(KF_STATUS_OK, reply.status);
}

TEST_F(repo, dataset_validity_window)
{
	ASSERT_EQ(0, STATEMENT(&self->env, "dataset create eu later "
			       "--not-before +1d"));
	ASSERT_EQ(0, STATEMENT(&self->env, "dataset create eu past "
			       "--not-after 1000"));
	ASSERT_EQ(0, put_item(&self->env, &self->host, "l1", "later",
			      "host1", self->keyfile, 1));
	ASSERT_EQ(0, put_item(&self->env, &self->host, "p1", "past", "host1",
			      self->keyfile, 1));
	ASSERT_EQ(0, kf_client_fetch(&self->host, "l1", &reply));
	ASSERT_EQ(KF_STATUS_NOT_AVAILABLE, reply.status);
	ASSERT_EQ(0, kf_client_fetch(&self->host, "p1", &reply));
	ASSERT_EQ(KF_STATUS_NOT_AVAILABLE, reply.status);
}

TEST_F(repo, dataset_rate_limit)
{
	int i;

	ASSERT_EQ(0, STATEMENT(&self->env, "dataset create eu slow --rate "
			       "3/1h"));
	ASSERT_EQ(0, put_item(&self->env, &self->host, "s1", "slow", "host1",
			      self->keyfile, 1));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, kf_client_fetch(&self->host, "s1", &reply));
		ASSERT_EQ(KF_STATUS_OK, reply.status);
	}
	ASSERT_EQ(0, kf_client_fetch(&self->host, "s1", &reply));
	ASSERT_EQ(KF_STATUS_RATE_LIMITED, reply.status);
	/* Other data sets are not affected. */
	ASSERT_EQ(0, kf_client_fetch(&self->host, "disk1", &reply));
	ASSERT_EQ(KF_STATUS_OK, reply.status);
}

TEST_F(repo, group_item_under_an_unwrapping_key)
{
	uint8_t kw[32], got[KF_ITEM_KEY_MAX];
	char kwfile[160], kwb64[64], path[200];
	struct kf_client other;
	struct kf_binding b;
	uint64_t version;
	size_t len;

	ASSERT_EQ(0, kf_random(kw, sizeof(kw)));
	kf_base64_encode(kwb64, sizeof(kwb64), kw, sizeof(kw));
	ASSERT_EQ(0, write_key(&self->env, "kw", kwb64, strlen(kwb64), kwfile,
			       sizeof(kwfile)));
	ASSERT_EQ(0, enroll_new(&self->env, &other, "host2"));
	ASSERT_EQ(0, STATEMENT(&self->env, "group create eu web"));
	ASSERT_EQ(0, STATEMENT(&self->env, "group add eu web host1"));
	ASSERT_EQ(0, STATEMENT(&self->env, "group add eu web host2"));
	snprintf(path, sizeof(path), "%s/tls.sealed", self->env.dir);
	ASSERT_EQ(0, SEAL("--region eu --item tls --version 3 "
			  "--unwrap-key-file %s --unwrap-key web-kw --key %s "
			  "--type user --out %s", kwfile, self->keyfile,
			  path));
	ASSERT_EQ(0, STATEMENT(&self->env, "item put %s --dataset disks "
			       "--group web", path));
	ASSERT_EQ(0, kf_client_fetch(&other, "tls", &reply));
	ASSERT_EQ(KF_STATUS_OK, reply.status);
	b = (struct kf_binding){ "eu", "tls", reply.items[0].policy,
				 reply.items[0].policy_len };
	ASSERT_EQ(0, kf_unseal(got, sizeof(got), &len, &version, NULL, NULL,
			       kw, &b, reply.items[0].sealed,
			       reply.items[0].sealed_len));
	ASSERT_EQ(0, memcmp(got, self->key, 32));
	ASSERT_EQ(3, version);
	kf_client_wipe(&other);
}

TEST_F(repo, token_is_one_time)
{
	struct kf_client a, b;
	char tok[80];

	ASSERT_EQ(0, make_token(&self->env, "eu", NULL, tok));
	ASSERT_EQ(0, kf_client_init(&a, self->env.port, self->env.kd_pub));
	ASSERT_EQ(0, kf_client_init(&b, self->env.port, self->env.kd_pub));
	ASSERT_EQ(0, kf_client_enroll(&a, "eu", "a", tok, &reply));
	ASSERT_EQ(KF_STATUS_OK, reply.status);
	ASSERT_EQ(0, kf_client_enroll(&b, "eu", "b", tok, &reply));
	ASSERT_EQ(KF_STATUS_BAD_TOKEN, reply.status);
	ASSERT_NE(NULL, strstr(reply.message, "used"));
	kf_client_wipe(&a);
	kf_client_wipe(&b);
}

TEST_F(repo, token_expired_wrong_region_wrong_entity)
{
	struct kf_client c;
	char tok[80];

	ASSERT_EQ(0, kf_client_init(&c, self->env.port, self->env.kd_pub));
	ASSERT_EQ(0, make_token(&self->env, "eu", NULL, tok));
	ASSERT_EQ(0, raw_sql(&self->env, "UPDATE tokens SET expires = 1"));
	ASSERT_EQ(0, kf_client_enroll(&c, "eu", "c", tok, &reply));
	ASSERT_EQ(KF_STATUS_BAD_TOKEN, reply.status);
	ASSERT_NE(NULL, strstr(reply.message, "expired"));

	/* A token of another region (made in the store directly). */
	ASSERT_EQ(0, kf_store_region_add(self->env.st, "us"));
	ASSERT_EQ(0, kf_store_token_create(self->env.st, "us", NULL, 3600, tok,
					   80));
	ASSERT_EQ(0, kf_client_enroll(&c, "eu", "c", tok, &reply));
	ASSERT_EQ(KF_STATUS_BAD_TOKEN, reply.status);

	ASSERT_EQ(0, make_token(&self->env, "eu", "only-d", tok));
	ASSERT_EQ(0, kf_client_enroll(&c, "eu", "c", tok, &reply));
	ASSERT_EQ(KF_STATUS_BAD_TOKEN, reply.status);
	ASSERT_EQ(0, kf_client_enroll(&c, "eu", "only-d", tok, &reply));
	ASSERT_EQ(KF_STATUS_OK, reply.status);
	kf_client_wipe(&c);
}

TEST_F(repo, bad_nonce_and_taken_name)
{
	static struct kf_request rq;
	struct kf_client c;
	char tok[80];
	int http;

	ASSERT_EQ(0, kf_client_init(&c, self->env.port, self->env.kd_pub));
	ASSERT_EQ(0, make_token(&self->env, "eu", NULL, tok));
	memset(&rq, 0, sizeof(rq));
	rq.kind = KF_KIND_ENROLL;
	strcpy(rq.region, "eu");
	strcpy(rq.entity, "c");
	rq.token_len = strlen(tok);
	memcpy(rq.token, tok, rq.token_len);
	memcpy(rq.kec_pub, c.kec_pub, 32);
	ASSERT_EQ(0, kf_random(rq.nonce, sizeof(rq.nonce)));	/* not ours */
	ASSERT_EQ(0, kf_client_exchange(&c, "/v1/enroll", &rq, &reply,
					&http));
	ASSERT_EQ(KF_STATUS_BAD_TOKEN, reply.status);
	ASSERT_NE(NULL, strstr(reply.message, "nonce"));
	/* The token was not consumed by the refusal: it still works, but
	 * not for a name that is taken. */
	ASSERT_EQ(0, kf_client_enroll(&c, "eu", "host1", tok, &reply));
	ASSERT_EQ(KF_STATUS_BAD_REQUEST, reply.status);
	ASSERT_EQ(0, kf_client_enroll(&c, "eu", "c", tok, &reply));
	ASSERT_EQ(KF_STATUS_OK, reply.status);
	/* A fetch request sent to the enroll endpoint is refused. */
	ASSERT_EQ(0, kf_client_fetch(&c, "x", &reply));
	memset(&rq, 0, sizeof(rq));
	rq.kind = KF_KIND_FETCH;
	rq.n_items = 1;
	strcpy(rq.items[0], "disk1");
	ASSERT_EQ(0, kf_client_exchange(&c, "/v1/enroll", &rq, &reply, &http));
	ASSERT_EQ(KF_STATUS_BAD_REQUEST, reply.status);
	kf_client_wipe(&c);
}

TEST_F(repo, everything_is_audited)
{
	int64_t rows, bad;

	ASSERT_EQ(0, kf_client_fetch(&self->host, "disk1", &reply));
	ASSERT_EQ(0, kf_client_fetch(&self->host, "nosuch", &reply));
	ASSERT_EQ(1, raw_count(&self->env, "SELECT count(*) FROM audit WHERE"
			       " op = 'transfer' AND result = 'ok'"));
	ASSERT_EQ(1, raw_count(&self->env, "SELECT count(*) FROM audit WHERE"
			       " op = 'transfer' AND result <> 'ok'"));
	ASSERT_EQ(1, raw_count(&self->env, "SELECT count(*) FROM audit WHERE"
			       " op = 'enroll' AND subject = 'eu/host1'"));
	ASSERT_EQ(1, raw_count(&self->env, "SELECT count(*) FROM audit WHERE"
			       " op = 'admin.item.put'"));
	ASSERT_EQ(0, kf_store_audit_verify(self->env.st, &rows, &bad));
	ASSERT_EQ(0, ADMIN(&self->env, "audit verify"));
}

TEST_F(repo, audit_tampering_is_detected)
{
	int64_t rows, bad;

	ASSERT_EQ(0, kf_client_fetch(&self->host, "disk1", &reply));
	ASSERT_EQ(0, kf_store_audit_verify(self->env.st, &rows, &bad));
	ASSERT_LT(3, rows);
	/* SQLite itself refuses the change... */
	ASSERT_NE(0, raw_sql(&self->env, "UPDATE audit SET result = 'x' "
			     "WHERE seq = 2"));
	ASSERT_NE(0, raw_sql(&self->env, "DELETE FROM audit WHERE seq = 2"));
	/* ...and someone who drops the guard is caught by the chain. */
	ASSERT_EQ(0, raw_sql(&self->env, BY_BACKEND(
		"DROP TRIGGER audit_no_update; ",
		"DROP TRIGGER audit_no_update ON audit; ")));
	ASSERT_EQ(0, raw_sql(&self->env,
			     "UPDATE audit SET detail = 'forged' WHERE seq = 2"));
	ASSERT_EQ(-EBADMSG, kf_store_audit_verify(self->env.st, &rows, &bad));
	ASSERT_EQ(2, bad);
	ASSERT_EQ(1, rows);
	ASSERT_EQ(1, ADMIN(&self->env, "audit verify"));
}

TEST_F(repo, audit_removal_is_detected)
{
	int64_t rows, bad;

	ASSERT_EQ(0, raw_sql(&self->env, BY_BACKEND(
		"DROP TRIGGER audit_no_delete; ",
		"DROP TRIGGER audit_no_delete ON audit; ")));
	ASSERT_EQ(0, raw_sql(&self->env, "DELETE FROM audit WHERE seq = 3"));
	ASSERT_EQ(-EBADMSG, kf_store_audit_verify(self->env.st, &rows, &bad));
	ASSERT_EQ(4, bad);
}

TEST_F(repo, key_rotation_serves_old_and_new_keys)
{
	char newkey[160];
	struct kf_serverkey *k;
	struct kf_client c;

	snprintf(newkey, sizeof(newkey), "%s/new.key", self->env.dir);
	ASSERT_EQ(0, ADMIN(&self->env, "serverkey generate %s", newkey));
	self->env.cfg.key_paths[0] = newkey;
	self->env.cfg.key_paths[1] = self->env.key;
	self->env.cfg.n_keys = 2;
	ASSERT_EQ(0, env_restart(&self->env));
	self->host.http.port = self->env.port;
	kf_httpc_close(&self->host.http);
	/* A host still pinned to the old key is served... */
	ASSERT_EQ(0, kf_client_fetch(&self->host, "disk1", &reply));
	ASSERT_EQ(KF_STATUS_OK, reply.status);
	/* ...and so is one pinned to the new key. */
	ASSERT_EQ(0, kf_serverkey_load(&k, newkey));
	memcpy(self->host.kd_pub, kf_serverkey_public(k), 32);
	kf_serverkey_free(k);
	ASSERT_EQ(0, kf_client_fetch(&self->host, "disk1", &reply));
	ASSERT_EQ(KF_STATUS_OK, reply.status);
	(void)c;
}

/* How many items hold these 32 bytes in their sealed blob or policy. */
static int64_t items_holding(struct kf_env *e, const uint8_t *bytes)
{
	char sql[400], hex[65];

	kf_hex(hex, bytes, 32);
	if (test_pg())
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM items WHERE"
			 " position('\\x%s'::bytea IN sealed) > 0 OR"
			 " position('\\x%s'::bytea IN policy) > 0", hex, hex);
	else
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM items WHERE"
			 " instr(sealed, x'%s') > 0 OR instr(policy, x'%s') > 0",
			 hex, hex);
	return raw_count(e, sql);
}

/*
 * Whoever can write to the store (a DBA, a stolen database password) with
 * everything it holds: the key is in none of its bytes, and pointing the
 * item to another entity delivers something that entity cannot open.
 */
TEST_F(repo, a_store_writer_can_neither_read_nor_redirect_a_key)
{
	uint8_t got[KF_ITEM_KEY_MAX];
	struct kf_client other;
	size_t len;

	/* The search finds what is there (the sealed blob's tail)... */
	ASSERT_EQ(0, kf_client_fetch(&self->host, "disk1", &reply));
	ASSERT_EQ(1, items_holding(&self->env, reply.items[0].sealed +
				   reply.items[0].sealed_len - 32));
	/* ...and not the key. */
	ASSERT_EQ(0, items_holding(&self->env, self->key));
	ASSERT_EQ(0, enroll_new(&self->env, &other, "host2"));
	ASSERT_EQ(0, raw_sql(&self->env, "UPDATE items SET entity_id = (SELECT"
			     " id FROM entities WHERE name = 'host2')"
			     " WHERE name = 'disk1'"));
	ASSERT_EQ(0, kf_client_fetch(&other, "disk1", &reply));
	ASSERT_EQ(KF_STATUS_OK, reply.status);	/* the store decides... */
	ASSERT_NE(0, open_item(&self->env, &other, &reply.items[0], got, &len,
			       NULL));
	/* ...but the owner sealed it to host1's Kec: host1 still opens it. */
	ASSERT_EQ(0, open_item(&self->env, &self->host, &reply.items[0], got,
			       &len, NULL));
	ASSERT_EQ(0, memcmp(got, self->key, 32));
	kf_client_wipe(&other);
}

TEST(key_file_permissions_are_checked)
{
	char dir[] = "/tmp/kfkey.XXXXXX", path[64];
	struct kf_serverkey *k;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/k", dir);
	ASSERT_EQ(0, kf_serverkey_generate(path));
	ASSERT_EQ(0, kf_serverkey_load(&k, path));
	kf_serverkey_free(k);
	ASSERT_EQ(0, chmod(path, 0640));
	ASSERT_EQ(-EPERM, kf_serverkey_load(&k, path));
	ASSERT_EQ(0, chmod(path, 0604));
	ASSERT_EQ(-EPERM, kf_serverkey_load(&k, path));
	/* Never overwritten. */
	ASSERT_EQ(-EEXIST, kf_serverkey_generate(path));
	unlink(path);
	rmdir(dir);
}

TEST_HARNESS_MAIN
