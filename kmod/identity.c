// SPDX-License-Identifier: GPL-2.0
/*
 * The identity blob: the entity's whole state (Kei and Kec private scalars,
 * state, region, name, pinned distributor and owner keys, version records)
 * sealed by a seat of trust,
 * so that a host keeps its identity across reboots and module reloads
 * while the private keys never leave the module in clear.
 *
 * Blob (integers big-endian; docs/kernel.md has the same table):
 *
 *   0   4  magic "KFI1"
 *   4   1  seat: 1 TPM, 2 passphrase
 *   5   3  reserved, 0
 *   8   8  epoch: TPM, the value of the TPM's RESERVE counter this export
 *          took (tpm.c); passphrase, 0
 *   16  32 salt, random per blob
 *   48  2  S, the length of the seat's part
 *   50  S  TPM: the PCRs it is bound to (4 bytes, a mask), then the
 *          sealed object (TPM2B_PRIVATE || TPM2B_PUBLIC) holding the blob
 *          key; passphrase: the scrypt parameters
 *   50+S n+16  ChaCha20-Poly1305(blob key, nonce 0, aad = bytes 0..50+S,
 *          the state as TLV records, strict as in protocol.md section 5)
 *
 * The blob key: TPM, 32 random bytes sealed by the TPM; passphrase,
 * HKDF-SHA256(salt, W, "keyferry/1 identity passphrase"), W being the
 * passphrase stretched by scrypt in userspace with the parameters in the
 * blob.  Either way a key encrypts exactly one blob (random key, or the
 * salt), so the fixed nonce is safe.  The AEAD authenticates the header
 * too: epoch, seat and parameters cannot be changed without the key.
 *
 * Import checks everything before anything changes: structure, then the
 * seat opens the key (the TPM's refusal is EKEYREJECTED), then the AEAD
 * (EBADMSG), then the epoch against the TPM's counters (ESTALE), then the
 * state; only then is the entity replaced (entity.c).
 */
#include <linux/string.h>
#include <linux/random.h>
#include <net/netlink.h>
#include "keyferry.h"

#define KF_BLOB_MAGIC		"KFI1"
#define KF_BLOB_HEADER		50
#define KF_BLOB_SEAT_MAX	1024
/*
 * What an export allocates for the state: what is left of one netlink
 * attribute (KEYFERRY_IDENTITY_MAX) after header, seat and tag.  Version
 * records with long names may not fit: the export says so (EMSGSIZE).
 */
#define KF_STATE_CAP		(KEYFERRY_IDENTITY_MAX - KF_BLOB_HEADER - \
				 KF_BLOB_SEAT_MAX - KF_TAG_SIZE)
#define KF_BLOB_CAP		(KF_BLOB_HEADER + KF_BLOB_SEAT_MAX + KF_STATE_CAP + KF_TAG_SIZE)
#define KF_PASSPHRASE_INFO	"keyferry/1 identity passphrase"

/* Each blob key seals one blob only (see above): the nonce is fixed. */
static const u8 kf_zero_nonce[KF_AEAD_NONCE_SIZE];

/* The state's records. */
enum {
	KF_S_STATE = 1,
	KF_S_REGION,
	KF_S_ENTITY_NAME,
	KF_S_KEI,
	KF_S_KEC,
	KF_S_DISTRIBUTOR_KEY,
	KF_S_OWNER,		/* Ko-pub (32) || owner name (1..32) */
	/* version (8) || owner name length (1) || owner name || item name */
	KF_S_VERSION,
	KF_S_MAX = KF_S_VERSION,
};

static const struct kf_tlv_rule kf_state_rules[KF_S_MAX + 1] = {
	[KF_S_STATE] = { 1, 1, KF_TLV_REQUIRED },
	[KF_S_REGION] = { 1, KEYFERRY_NAME_MAX, KF_TLV_REQUIRED | KF_TLV_NAME },
	[KF_S_ENTITY_NAME] = { 1, KEYFERRY_NAME_MAX,
			       KF_TLV_REQUIRED | KF_TLV_NAME },
	[KF_S_KEI] = { 32, 32, KF_TLV_REQUIRED },
	[KF_S_KEC] = { 32, 32, KF_TLV_REQUIRED },
	[KF_S_DISTRIBUTOR_KEY] = { 32, 32, KF_TLV_REQUIRED | KF_TLV_MULTI },
	[KF_S_OWNER] = { KEYFERRY_KEY_SIZE + 1,
			 KEYFERRY_KEY_SIZE + KEYFERRY_OWNER_NAME_MAX, KF_TLV_MULTI },
	[KF_S_VERSION] = { 8 + 1 + 1 + 1,
			   8 + 1 + KEYFERRY_OWNER_NAME_MAX + KEYFERRY_NAME_MAX,
			   KF_TLV_MULTI },
};

struct kf_state_buf {
	u8 *buf;
	size_t cap;
	size_t pos;
};

/* One version record (kf_versions_for_each, kf_lock held). */
static int kf_version_put(const struct kf_version_record *r, void *arg)
{
	u8 v[8 + 1 + KEYFERRY_OWNER_NAME_MAX + KEYFERRY_NAME_MAX];
	size_t o = strlen(r->owner), i = strlen(r->item);
	struct kf_state_buf *b = arg;

	put_unaligned_be64(r->version, v);
	v[8] = o;
	memcpy(v + 9, r->owner, o);
	memcpy(v + 9 + o, r->item, i);
	return kf_tlv_put(b->buf, b->cap, &b->pos, KF_S_VERSION, v, 9 + o + i);
}

/* Record value v (n bytes, within the rule's bounds) into r; -EPROTO. */
static int kf_version_get_record(const u8 *v, u16 n,
				 struct kf_version_record *r)
{
	size_t o = v[8], i;

	if (!o || o > KEYFERRY_OWNER_NAME_MAX || n < 9 + o + 1 ||
	    n - 9 - o > KEYFERRY_NAME_MAX)
		return -EPROTO;
	i = n - 9 - o;
	memset(r, 0, sizeof(*r));
	r->version = get_unaligned_be64(v);
	memcpy(r->owner, v + 9, o);
	memcpy(r->item, v + 9 + o, i);
	return 0;
}

/* One pinned owner key as its record's value; returns the value's length. */
static size_t kf_owner_record(const struct kf_owner *o, u8 *v)
{
	size_t n = strlen(o->name);

	memcpy(v, o->pub, KEYFERRY_KEY_SIZE);
	memcpy(v + KEYFERRY_KEY_SIZE, o->name, n);
	return KEYFERRY_KEY_SIZE + n;
}

/* The state's records, the version records included: kf_lock held. */
static int kf_state_write(const struct kf_identity *id, u8 *buf, size_t cap,
			  size_t *len)
{
	struct kf_state_buf b = { .buf = buf, .cap = cap };
	unsigned int i;
	int ret;

	ret = kf_tlv_put(buf, cap, &b.pos, KF_S_STATE, &id->state, 1);
	if (!ret)
		ret = kf_tlv_put(buf, cap, &b.pos, KF_S_REGION, id->region,
				 strlen(id->region));
	if (!ret)
		ret = kf_tlv_put(buf, cap, &b.pos, KF_S_ENTITY_NAME, id->name,
				 strlen(id->name));
	if (!ret)
		ret = kf_tlv_put(buf, cap, &b.pos, KF_S_KEI, id->secret.kei, 32);
	if (!ret)
		ret = kf_tlv_put(buf, cap, &b.pos, KF_S_KEC, id->secret.kec, 32);
	for (i = 0; !ret && i < id->n_dkeys; i++)
		ret = kf_tlv_put(buf, cap, &b.pos, KF_S_DISTRIBUTOR_KEY,
				 id->dkeys[i], KEYFERRY_KEY_SIZE);
	for (i = 0; !ret && i < id->n_owners; i++) {
		u8 v[KEYFERRY_KEY_SIZE + KEYFERRY_OWNER_NAME_MAX];

		ret = kf_tlv_put(buf, cap, &b.pos, KF_S_OWNER, v,
				 kf_owner_record(&id->owners[i], v));
	}
	if (!ret)
		ret = kf_versions_for_each(kf_version_put, &b);
	*len = b.pos;
	return ret;
}

static int kf_owners_read(const struct kf_tlv_field *f, struct kf_identity *id)
{
	unsigned int i, j;
	const u8 *v;
	u16 n;

	if (f->count > KEYFERRY_MAX_OWNER_KEYS)
		return -EPROTO;
	for (i = 0; i < f->count; i++) {
		kf_tlv_nth(f, i, &v, &n);
		if (!kf_owner_name_valid(v + KEYFERRY_KEY_SIZE,
					 n - KEYFERRY_KEY_SIZE))
			return -EPROTO;
		/* a key is pinned once (OWNER_ADD's EEXIST) */
		for (j = 0; j < i; j++)
			if (!memcmp(id->owners[j].pub, v, KEYFERRY_KEY_SIZE))
				return -EPROTO;
		memcpy(id->owners[i].pub, v, KEYFERRY_KEY_SIZE);
		memcpy(id->owners[i].name, v + KEYFERRY_KEY_SIZE,
		       n - KEYFERRY_KEY_SIZE);
		id->owners[i].name[n - KEYFERRY_KEY_SIZE] = 0;
	}
	id->n_owners = f->count;
	return 0;
}

/* Into id->versions (initialised by the caller, freed by it). */
static int kf_versions_read(const struct kf_tlv_field *f, struct kf_identity *id)
{
	struct kf_version_record *r;
	unsigned int i;
	const u8 *v;
	int ret = 0;
	u16 n;

	r = kf_zalloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (i = 0; !ret && i < f->count; i++) {
		kf_tlv_nth(f, i, &v, &n);
		ret = kf_version_get_record(v, n, r);
		if (!ret)
			ret = kf_version_set_add(&id->versions, r);
	}
	kf_free(r);
	/* A bad name or version, a pair twice, more than the bound. */
	return ret == -ENOMEM ? ret : ret ? -EPROTO : 0;
}

static int kf_state_read(const u8 *buf, size_t len, struct kf_identity *id)
{
	struct kf_tlv_field f[KF_S_MAX + 1];
	const struct kf_tlv_field *d = &f[KF_S_DISTRIBUTOR_KEY];
	unsigned int i;
	int ret;

	ret = kf_tlv_parse(buf, len, kf_state_rules, KF_S_MAX, f, -EPROTO);
	if (ret)
		return ret;
	id->state = f[KF_S_STATE].val[0];
	if ((id->state != KEYFERRY_ENTITY_CREATED &&
	     id->state != KEYFERRY_ENTITY_ENROLLED &&
	     id->state != KEYFERRY_ENTITY_REVOKED) ||
	    d->count > KEYFERRY_MAX_DISTRIBUTOR_KEYS)
		return -EPROTO;
	memcpy(id->region, f[KF_S_REGION].val, f[KF_S_REGION].len);
	id->region[f[KF_S_REGION].len] = 0;
	memcpy(id->name, f[KF_S_ENTITY_NAME].val, f[KF_S_ENTITY_NAME].len);
	id->name[f[KF_S_ENTITY_NAME].len] = 0;
	memcpy(id->secret.kei, f[KF_S_KEI].val, 32);
	memcpy(id->secret.kec, f[KF_S_KEC].val, 32);
	id->n_dkeys = d->count;
	for (i = 0; i < d->count; i++) {
		const u8 *v;
		u16 n;

		kf_tlv_nth(d, i, &v, &n);
		memcpy(id->dkeys[i], v, KEYFERRY_KEY_SIZE);
	}
	ret = kf_owners_read(&f[KF_S_OWNER], id);
	if (!ret)
		ret = kf_versions_read(&f[KF_S_VERSION], id);
	return ret;
}

/* ---- the passphrase seat ------------------------------------------------ */

/*
 * scrypt's parameters as userspace ran it: salt (16), log2 N (1), r (4),
 * p (4), reserved (3, zero).  The module cannot run scrypt (the kernel has
 * no memory-hard KDF); it refuses costs below what docs/operations.md
 * calls the floor, so that a blob is never made with a trivial stretch.
 */
static bool kf_kdf_params_ok(const u8 *k)
{
	u32 r = get_unaligned_be32(k + 17), p = get_unaligned_be32(k + 21);

	return k[16] >= 14 && k[16] <= 24 && r >= 1 && r <= 32 &&
	       p >= 1 && p <= 16 && !k[25] && !k[26] && !k[27];
}

static int kf_passphrase_key(struct kf_crypto *c, const u8 *seat_key,
			     const u8 salt[32], u8 key[KF_BLOB_KEY_SIZE])
{
	struct kf_buf ikm = { seat_key, KEYFERRY_SEAT_KEY_SIZE };
	struct kf_buf info = { KF_PASSPHRASE_INFO,
			       sizeof(KF_PASSPHRASE_INFO) - 1 };
	u8 prk[KF_HASH_SIZE];
	int ret;

	ret = kf_hkdf_extract(c, prk, salt, 32, &ikm, 1);
	if (!ret)
		ret = kf_hkdf_expand(c, key, KF_BLOB_KEY_SIZE, prk, &info, 1);
	memzero_explicit(prk, sizeof(prk));
	return ret;
}

/* ---- export ------------------------------------------------------------- */

/* Decide the seat for this export, under kf_lock (the snapshot's seat). */
static int kf_export_seat(const struct kf_export_params *p,
			  struct kf_identity *id,
			  struct netlink_ext_ack *extack)
{
	if (id->seat != KEYFERRY_SEAT_NONE && id->seat != p->seat) {
		NL_SET_ERR_MSG_MOD(extack,
				   "the identity's seat of trust is fixed: it was exported or imported with another");
		return -EPERM;
	}
	if (p->seat == KEYFERRY_SEAT_TPM) {
		if (p->seat_key || p->kdf) {
			NL_SET_ERR_MSG_MOD(extack,
					   "SEAT_KEY and KDF_PARAMS are for the passphrase seat");
			return -EINVAL;
		}
		if (p->has_pcrs && id->seat == KEYFERRY_SEAT_TPM &&
		    p->pcrs != id->pcrs) {
			NL_SET_ERR_MSG_MOD(extack,
					   "the identity's PCRs are fixed by its first export");
			return -EEXIST;
		}
		if (p->pcrs & ~KF_TPM_PCRS) {
			NL_SET_ERR_MSG_MOD(extack, "SEAT_PCRS: PCRs 0 to 23 only");
			return -EINVAL;
		}
		if (id->seat == KEYFERRY_SEAT_NONE)
			id->pcrs = p->pcrs;
		return 0;
	}
	if (p->has_pcrs) {
		NL_SET_ERR_MSG_MOD(extack, "SEAT_PCRS is for the TPM seat");
		return -EINVAL;
	}
	if (id->seat == KEYFERRY_SEAT_PASSPHRASE) {
		if (p->seat_key || p->kdf) {
			NL_SET_ERR_MSG_MOD(extack,
					   "the identity already has its passphrase; it is not given again");
			return -EEXIST;
		}
		return 0;
	}
	if (!p->seat_key || !p->kdf) {
		NL_SET_ERR_MSG_MOD(extack,
				   "the first passphrase export needs SEAT_KEY and KDF_PARAMS");
		return -EINVAL;
	}
	if (!kf_kdf_params_ok(p->kdf)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "KDF_PARAMS: scrypt cost below the floor (log2 N 14..24, r 1..32, p 1..16)");
		return -EINVAL;
	}
	memcpy(id->secret.seat_key, p->seat_key, KEYFERRY_SEAT_KEY_SIZE);
	memcpy(id->kdf, p->kdf, KEYFERRY_KDF_PARAMS_SIZE);
	return 0;
}

/*
 * Header, seat part, then the sealed state (written under kf_lock, with the
 * snapshot): the blob in out (KF_BLOB_CAP).
 */
static int kf_blob_write(struct kf_crypto *c, const struct kf_identity *id,
			 const u8 *state, size_t st_len, u8 *out, size_t *len)
{
	u8 key[KF_BLOB_KEY_SIZE];
	size_t seat_len = 0, hdr;
	int ret;

	memcpy(out, KF_BLOB_MAGIC, 4);
	out[4] = id->seat;
	put_unaligned_be64(id->epoch, out + 8);
	get_random_bytes(out + 16, 32);
	if (id->seat == KEYFERRY_SEAT_TPM) {
		get_random_bytes(key, sizeof(key));
		put_unaligned_be32(id->pcrs, out + KF_BLOB_HEADER);
		ret = kf_tpm_seal(key, id->pcrs, out + KF_BLOB_HEADER + 4,
				  KF_BLOB_SEAT_MAX - 4, &seat_len);
		seat_len += 4;
	} else {
		seat_len = KEYFERRY_KDF_PARAMS_SIZE;
		memcpy(out + KF_BLOB_HEADER, id->kdf, seat_len);
		ret = kf_passphrase_key(c, id->secret.seat_key, out + 16, key);
	}
	if (ret)
		goto out;
	put_unaligned_be16(seat_len, out + 48);
	hdr = KF_BLOB_HEADER + seat_len;
	ret = kf_aead_seal(c, out + hdr, key, kf_zero_nonce,
			   out, hdr, state, st_len);
	if (!ret)
		*len = hdr + st_len + KF_TAG_SIZE;
out:
	memzero_explicit(key, sizeof(key));
	return ret;
}

/*
 * The blob covers state generation id->state_gen (taken with the snapshot).
 * A passphrase blob counts as saved once made; a TPM blob once its epoch is
 * committed (kf_identity_commit), which the helper does only after the blob
 * is on disk.  kf_lock held.
 */
static void kf_export_done(const struct kf_identity *id)
{
	lockdep_assert_held(&kf_lock);
	kf_entity.seat = id->seat;
	kf_entity.pcrs = id->pcrs;
	kf_entity.epoch = id->epoch;
	memcpy(kf_entity.secret->seat_key, id->secret.seat_key,
	       KEYFERRY_SEAT_KEY_SIZE);
	memcpy(kf_entity.kdf, id->kdf, sizeof(id->kdf));
	kf_entity.export_gen = id->state_gen;
	if (id->seat == KEYFERRY_SEAT_PASSPHRASE)
		kf_entity.sealed_gen = id->state_gen;
}

int kf_identity_export(const struct kf_export_params *p, u8 **blob,
		       size_t *len, u64 *epoch, u64 *state_gen,
		       struct netlink_ext_ack *extack)
{
	u8 *out = NULL, *state = NULL;
	struct kf_identity *id;
	struct kf_crypto c;
	size_t st_len = 0;
	int ret;

	BUILD_BUG_ON(KF_BLOB_CAP > KEYFERRY_IDENTITY_MAX);
	ret = kf_crypto_alloc(&c);
	if (ret)
		return ret;
	ret = -ENOMEM;
	id = kf_zalloc(sizeof(*id));
	out = kf_zalloc(KF_BLOB_CAP);
	state = kf_zalloc(KF_STATE_CAP);
	if (!id || !out || !state)
		goto out;

	/* The state as it is now, version records included, in one go. */
	mutex_lock(&kf_lock);
	ret = kf_entity_snapshot(id);
	if (ret)
		NL_SET_ERR_MSG_MOD(extack, "no entity to export");
	else
		ret = kf_export_seat(p, id, extack);
	if (!ret) {
		ret = kf_state_write(id, state, KF_STATE_CAP, &st_len);
		if (ret)
			NL_SET_ERR_MSG_MOD(extack,
					   "the entity's version records do not fit in one identity blob");
	}
	mutex_unlock(&kf_lock);
	if (ret)
		goto out;
	id->seat = p->seat;
	if (id->seat == KEYFERRY_SEAT_TPM) {
		ret = kf_tpm_epoch_reserve(&id->epoch);
		if (ret == -EBUSY)
			NL_SET_ERR_MSG_MOD(extack,
					   "too many TPM exports never committed");
		else if (ret == -ENODEV)
			NL_SET_ERR_MSG_MOD(extack, "no TPM 2.0");
		else if (ret)
			NL_SET_ERR_MSG_MOD(extack,
					   "the TPM's epoch counter failed");
		if (ret)
			goto out;
	}
	ret = kf_blob_write(&c, id, state, st_len, out, len);
	if (ret) {
		NL_SET_ERR_MSG_MOD(extack, "sealing the identity failed");
		goto out;
	}

	/* The seat is the identity's from now on (unless it was replaced). */
	mutex_lock(&kf_lock);
	if (kf_entity.state != KEYFERRY_ENTITY_NONE &&
	    kf_entity.gen == id->gen)
		kf_export_done(id);
	mutex_unlock(&kf_lock);
	*epoch = id->epoch;
	*state_gen = id->state_gen;
	*blob = out;
	out = NULL;
out:
	kf_free(state);
	kf_free(out);
	kf_free(id);
	kf_crypto_free(&c);
	return ret;
}

/* ---- import ------------------------------------------------------------- */

/* Open the blob into id; nothing of the module changes. */
static int kf_blob_open(struct kf_crypto *c, const u8 *blob, size_t len,
			const u8 *seat_key, struct kf_identity *id,
			struct netlink_ext_ack *extack)
{
	u8 key[KF_BLOB_KEY_SIZE];
	size_t seat_len, hdr;
	u8 *state = NULL;
	int ret;

	if (len < KF_BLOB_HEADER) {
		NL_SET_ERR_MSG_MOD(extack, "identity blob truncated (header)");
		return -EMSGSIZE;
	}
	if (memcmp(blob, KF_BLOB_MAGIC, 4) || blob[5] || blob[6] || blob[7] ||
	    (blob[4] != KEYFERRY_SEAT_TPM &&
	     blob[4] != KEYFERRY_SEAT_PASSPHRASE)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "not an identity blob of a known format and seat");
		return -EPROTONOSUPPORT;
	}
	id->seat = blob[4];
	id->epoch = get_unaligned_be64(blob + 8);
	seat_len = get_unaligned_be16(blob + 48);
	hdr = KF_BLOB_HEADER + seat_len;
	if (seat_len > KF_BLOB_SEAT_MAX || len < hdr + KF_TAG_SIZE) {
		NL_SET_ERR_MSG_MOD(extack, "identity blob truncated");
		return -EMSGSIZE;
	}
	if (id->seat == KEYFERRY_SEAT_PASSPHRASE) {
		if (seat_len != KEYFERRY_KDF_PARAMS_SIZE || id->epoch ||
		    !kf_kdf_params_ok(blob + KF_BLOB_HEADER)) {
			NL_SET_ERR_MSG_MOD(extack,
					   "identity blob: bad passphrase parameters");
			return -EPROTO;
		}
		if (!seat_key) {
			NL_SET_ERR_MSG_MOD(extack,
					   "a passphrase blob needs SEAT_KEY");
			return -EINVAL;
		}
		memcpy(id->kdf, blob + KF_BLOB_HEADER, seat_len);
		memcpy(id->secret.seat_key, seat_key, KEYFERRY_SEAT_KEY_SIZE);
		ret = kf_passphrase_key(c, seat_key, blob + 16, key);
	} else {
		if (seat_key) {
			NL_SET_ERR_MSG_MOD(extack,
					   "SEAT_KEY is for passphrase blobs");
			return -EINVAL;
		}
		if (seat_len < 4) {
			NL_SET_ERR_MSG_MOD(extack,
					   "identity blob: malformed TPM sealed object");
			return -EPROTO;
		}
		id->pcrs = get_unaligned_be32(blob + KF_BLOB_HEADER);
		ret = -EPROTO;
		if (!(id->pcrs & ~KF_TPM_PCRS))
			ret = kf_tpm_unseal(blob + KF_BLOB_HEADER + 4,
					    seat_len - 4, id->pcrs, key);
		if (ret == -EPROTO)
			NL_SET_ERR_MSG_MOD(extack,
					   "identity blob: malformed TPM sealed object");
		else if (ret == -EKEYREJECTED && id->pcrs)
			NL_SET_ERR_MSG_MOD(extack,
					   "the TPM refuses the blob's sealed key: a PCR it is bound to changed, or sealed by another TPM, the TPM was cleared, or the blob was altered");
		else if (ret == -EKEYREJECTED)
			NL_SET_ERR_MSG_MOD(extack,
					   "the TPM refuses the blob's sealed key: sealed by another TPM, the TPM was cleared, or the blob was altered");
		else if (ret == -ENODEV)
			NL_SET_ERR_MSG_MOD(extack, "no TPM 2.0 to open the blob");
		else if (ret)
			NL_SET_ERR_MSG_MOD(extack, "the TPM failed");
	}
	if (ret)
		goto out;

	ret = -ENOMEM;
	state = kf_zalloc(len - hdr);
	if (!state)
		goto out;
	ret = kf_aead_open(c, state, key, kf_zero_nonce,
			   blob, hdr, blob + hdr, len - hdr);
	/* only a failed tag says "altered": not a failed allocation */
	if (ret == -EBADMSG) {
		if (id->seat == KEYFERRY_SEAT_TPM)
			NL_SET_ERR_MSG_MOD(extack, "identity blob altered");
		else
			NL_SET_ERR_MSG_MOD(extack,
					   "wrong passphrase, or the identity blob was altered");
	}
	if (ret)
		goto out;
	ret = kf_state_read(state, len - hdr - KF_TAG_SIZE, id);
	if (ret)
		NL_SET_ERR_MSG_MOD(extack, "identity blob: malformed state");
out:
	kf_free(state);
	memzero_explicit(key, sizeof(key));
	return ret;
}

int kf_identity_import(const u8 *blob, size_t len, const u8 *seat_key,
		       bool replace, struct kf_entity_status *st,
		       struct netlink_ext_ack *extack)
{
	struct kf_identity *id;
	struct kf_crypto c;
	int ret;

	ret = kf_crypto_alloc(&c);
	if (ret)
		return ret;
	ret = -ENOMEM;
	id = kf_zalloc(sizeof(*id));
	if (!id)
		goto out;
	kf_version_set_init(&id->versions);
	ret = kf_blob_open(&c, blob, len, seat_key, id, extack);
	if (ret)
		goto out;
	if (!replace) {
		mutex_lock(&kf_lock);
		if (kf_entity.state != KEYFERRY_ENTITY_NONE)
			ret = -EEXIST;
		mutex_unlock(&kf_lock);
		if (ret) {
			NL_SET_ERR_MSG_MOD(extack,
					   "an entity exists; set REPLACE to replace it");
			goto out;
		}
	}
	if (id->seat == KEYFERRY_SEAT_TPM) {
		/* Checked, then committed: a blob is refused once older. */
		ret = kf_tpm_epoch_check(id->epoch);
		if (!ret)
			ret = kf_tpm_epoch_commit(id->epoch);
		if (ret == -ESTALE || ret == -ERANGE) {
			NL_SET_ERR_MSG_MOD(extack,
					   "identity blob is stale: a newer one was committed on this TPM");
			ret = -ESTALE;
		} else if (ret) {
			NL_SET_ERR_MSG_MOD(extack, "the TPM's epoch counter failed");
		}
		if (ret)
			goto out;
	}
	ret = kf_entity_install(id, replace, st->kei_pub, st->kec_pub);
	if (ret == -EEXIST)
		NL_SET_ERR_MSG_MOD(extack,
				   "an entity exists; set REPLACE to replace it");
	else if (ret)
		NL_SET_ERR_MSG_MOD(extack, "installing the identity failed");
	if (ret)
		goto out;
	st->state = id->state;
	st->seat = id->seat;
	st->pcrs = id->pcrs;
	st->epoch = id->epoch;
	st->state_gen = id->state_gen;
	st->sealed_gen = id->state_gen;
	strscpy(st->region, id->region, sizeof(st->region));
	strscpy(st->name, id->name, sizeof(st->name));
out:
	if (id)
		kf_version_set_free(&id->versions);
	kf_free(id);
	kf_crypto_free(&c);
	return ret;
}

int kf_identity_commit(u64 epoch, struct netlink_ext_ack *extack)
{
	u8 seat;
	int ret;

	mutex_lock(&kf_lock);
	seat = kf_entity.state == KEYFERRY_ENTITY_NONE ? KEYFERRY_SEAT_NONE :
	       kf_entity.seat;
	mutex_unlock(&kf_lock);
	if (seat != KEYFERRY_SEAT_TPM) {
		NL_SET_ERR_MSG_MOD(extack, "the identity is not held by a TPM");
		return -EPERM;
	}
	ret = kf_tpm_epoch_commit(epoch);
	if (!ret) {
		/* The newest export is on disk: its state is the saved one. */
		mutex_lock(&kf_lock);
		if (kf_entity.state != KEYFERRY_ENTITY_NONE &&
		    kf_entity.seat == KEYFERRY_SEAT_TPM &&
		    kf_entity.epoch == epoch)
			kf_entity.sealed_gen = kf_entity.export_gen;
		mutex_unlock(&kf_lock);
	}
	if (ret == -ERANGE)
		NL_SET_ERR_MSG_MOD(extack, "no export reserved this epoch");
	else if (ret)
		NL_SET_ERR_MSG_MOD(extack, "the TPM's epoch counter failed");
	return ret;
}
