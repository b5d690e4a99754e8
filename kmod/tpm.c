// SPDX-License-Identifier: GPL-2.0
/*
 * The TPM 2.0 seat of trust: seal and unseal the 32-byte key of an identity
 * blob, and the two NV counters that make older blobs stale.
 *
 * The shape is that of the kernel's own trusted keys (trusted_tpm2.c),
 * which Debian's kernels do not build (no CONFIG_TRUSTED_KEYS):
 *
 *   seal:   CreatePrimary (owner hierarchy, fixed template) -> parent;
 *           Create (a keyedhash sealed data object holding the key, under
 *           the parent) -> its private and public areas; FlushContext.
 *   unseal: CreatePrimary -> parent; Load (private, public) -> object;
 *           Unseal -> the key; FlushContext both, whatever happened.
 *
 * The parent is not persistent: CreatePrimary with the same template
 * derives the same key from the owner hierarchy's seed every time, so the
 * module needs no handle that root could evict or replace, and a TPM that
 * was cleared (a new seed), or another TPM, derives another parent, under
 * which Load refuses the sealed object.  The sealed object has fixedTPM and
 * fixedParent: the TPM never lets it be duplicated elsewhere.
 *
 * The commands run between tpm_try_get_ops() and tpm_put_ops(), which hold
 * the chip's mutex: no other user of the TPM (userspace through /dev/tpm0,
 * the kernel itself) runs a command in between, so the transient handles
 * we make are ours until we flush them, and they are always flushed.
 *
 * Authorization is the password session with an empty password, as the
 * kernel's trusted keys do by default: on Debian the owner hierarchy has no
 * password.  A sealed object bound to PCRs has no password use at all
 * (no userWithAuth): its authPolicy is TPM2_PolicyPCR over the selected
 * PCRs of the SHA-256 bank, computed by the TPM in a trial session when
 * sealing, and satisfied in a policy session when unsealing, so the TPM
 * unseals only while those PCRs hold the values they had at the export.
 * What protects the sealed key is that only this TPM can load it (and,
 * bound, only in that measured state).  The key crosses the bus to the TPM in clear (no parameter
 * encryption), like trusted keys before 6.10's HMAC sessions: an attacker
 * with a probe on the LPC/SPI bus is outside what this seat covers.
 *
 * Counters (docs/kernel.md, "Rollback"): two NV indexes of type counter,
 * RESERVE and COMMIT.  An export increments RESERVE and binds its value
 * (the epoch) into the blob; once the blob is on disk, COMMIT is
 * incremented up to that epoch.  An import accepts COMMIT <= epoch <=
 * RESERVE.  TPM counters never go down, not even when an index is deleted
 * and defined again (a new counter starts at the highest value any counter
 * of the TPM ever had), so no blob older than the last committed one is
 * accepted again.
 *
 * Every function here takes and releases the chip itself; none is called
 * with kf_lock held.
 */
#include <linux/tpm.h>
#include <linux/device.h>
#include <linux/random.h>
#include "keyferry.h"

#define KF_TPM_RH_OWNER		0x40000001
#define KF_TPM_ALG_AES		0x0006
#define KF_TPM_ALG_KEYEDHASH	0x0008
#define KF_TPM_ALG_SHA256	0x000B
#define KF_TPM_ALG_NULL		0x0010
#define KF_TPM_ALG_ECC		0x0023
#define KF_TPM_ALG_CFB		0x0043
#define KF_TPM_ECC_NIST_P256	0x0003

#define KF_TPM_RH_NULL		0x40000007
#define KF_TPM_SE_POLICY	0x01
#define KF_TPM_SE_TRIAL		0x03
#define KF_TPM_CC_START_AUTH	0x0176
#define KF_TPM_CC_POLICY_PCR	0x017F
#define KF_TPM_CC_POLICY_DIGEST	0x0189

#define KF_TPM_CC_NV_DEFINE	0x012A
#define KF_TPM_CC_NV_INCREMENT	0x0134
#define KF_TPM_CC_NV_READ_PUBLIC 0x0169

/* TPMA_OBJECT */
#define KF_OA_FIXED_TPM		BIT(1)
#define KF_OA_FIXED_PARENT	BIT(4)
#define KF_OA_SENSITIVE_ORIGIN	BIT(5)
#define KF_OA_USER_WITH_AUTH	BIT(6)
#define KF_OA_ADMIN_WITH_POLICY	BIT(7)
#define KF_OA_NO_DA		BIT(10)
#define KF_OA_RESTRICTED	BIT(16)
#define KF_OA_DECRYPT		BIT(17)

/* TPMA_NV: a counter the owner or its own (empty) auth may read and bump */
#define KF_NV_OWNERWRITE	BIT(1)
#define KF_NV_AUTHWRITE		BIT(2)
#define KF_NV_TYPE_COUNTER	BIT(4)	/* TPM_NT_COUNTER in bits 7:4 */
#define KF_NV_OWNERREAD		BIT(17)
#define KF_NV_AUTHREAD		BIT(18)
#define KF_NV_NO_DA		BIT(25)
#define KF_NV_WRITTEN		BIT(29)
#define KF_NV_ATTRS (KF_NV_OWNERWRITE | KF_NV_AUTHWRITE | KF_NV_TYPE_COUNTER | \
		     KF_NV_OWNERREAD | KF_NV_AUTHREAD | KF_NV_NO_DA)

/* NV indexes in the owner's range (TCG handle registry: 0x01000000+). */
#define KF_NV_RESERVE		0x01004b01
#define KF_NV_COMMIT		0x01004b02

/* Response codes we tell apart (TPM 2.0 part 2, 6.6). */
#define KF_RC_FMT1		0x080
#define KF_RC_HANDLE		0x00B	/* format 1 */
#define KF_RC_NV_UNINITIALIZED	0x14A
#define KF_RC_BAD_AUTH		0x022	/* format 1 */
#define KF_RC_AUTH_FAIL		0x00E	/* format 1 */

/* The primary key's "unique" field: makes it ours, not the common SRK. */
static const u8 kf_primary_unique[32] = "keyferry seat of trust, v1";

static bool kf_rc_fmt1(int rc, u32 code)
{
	return rc > 0 && (rc & KF_RC_FMT1) && (rc & 0x3f) == code;
}

/* A TPM response code as an errno; refused is the errno of a refusal. */
static int kf_tpm_errno(int rc, int refused)
{
	if (rc <= 0)
		return rc;
	if (kf_rc_fmt1(rc, KF_RC_BAD_AUTH) || kf_rc_fmt1(rc, KF_RC_AUTH_FAIL))
		return -EACCES;
	pr_debug(KF_LOG_PREFIX "TPM response code 0x%x\n", rc);
	return refused;
}

static struct tpm_chip *kf_tpm_open(void)
{
	struct tpm_chip *chip;
	int ret;

	chip = tpm_default_chip();
	if (!chip)
		return ERR_PTR(-ENODEV);
	if (!(chip->flags & TPM_CHIP_FLAG_TPM2)) {
		ret = -ENODEV;
		goto err_put;
	}
	ret = tpm_try_get_ops(chip);
	if (ret)
		goto err_put;
	return chip;

err_put:
	put_device(&chip->dev);
	return ERR_PTR(ret);
}

static void kf_tpm_close(struct tpm_chip *chip)
{
	tpm_put_ops(chip);
	put_device(&chip->dev);
}

bool kf_tpm_present(void)
{
	struct tpm_chip *chip = kf_tpm_open();

	if (IS_ERR(chip))
		return false;
	kf_tpm_close(chip);
	return true;
}

static void kf_tpm_flush(struct tpm_chip *chip, struct kf_tpm_cmd *c,
			 u32 handle)
{
	kf_tpm_cmd_reset(c, TPM2_ST_NO_SESSIONS, TPM2_CC_FLUSH_CONTEXT);
	kf_tpm_put_u32(c, handle);
	if (kf_tpm_transmit(chip, c))
		pr_warn(KF_LOG_PREFIX "TPM FlushContext of 0x%x failed\n",
			handle);
}

/* CreatePrimary: the storage parent, the same on every call. */
static int kf_tpm_primary(struct tpm_chip *chip, struct kf_tpm_cmd *c,
			  u32 *handle)
{
	static const u8 zero[32];
	size_t at;
	int ret;

	kf_tpm_cmd_reset(c, TPM2_ST_SESSIONS, TPM2_CC_CREATE_PRIMARY);
	kf_tpm_put_u32(c, KF_TPM_RH_OWNER);
	kf_tpm_put_auth(c, TPM2_RS_PW);
	/* inSensitive: no userAuth, no data */
	kf_tpm_put_u16(c, 4);
	kf_tpm_put_u16(c, 0);
	kf_tpm_put_u16(c, 0);
	/* inPublic: an ECC P-256 restricted decryption key, AES-128-CFB */
	at = kf_tpm_size_begin(c);
	kf_tpm_put_u16(c, KF_TPM_ALG_ECC);
	kf_tpm_put_u16(c, KF_TPM_ALG_SHA256);
	kf_tpm_put_u32(c, KF_OA_FIXED_TPM | KF_OA_FIXED_PARENT |
		       KF_OA_SENSITIVE_ORIGIN | KF_OA_USER_WITH_AUTH |
		       KF_OA_NO_DA | KF_OA_RESTRICTED | KF_OA_DECRYPT);
	kf_tpm_put_u16(c, 0);			/* authPolicy */
	kf_tpm_put_u16(c, KF_TPM_ALG_AES);
	kf_tpm_put_u16(c, 128);
	kf_tpm_put_u16(c, KF_TPM_ALG_CFB);
	kf_tpm_put_u16(c, KF_TPM_ALG_NULL);	/* scheme */
	kf_tpm_put_u16(c, KF_TPM_ECC_NIST_P256);
	kf_tpm_put_u16(c, KF_TPM_ALG_NULL);	/* kdf */
	kf_tpm_put_2b(c, kf_primary_unique, sizeof(kf_primary_unique));
	kf_tpm_put_2b(c, zero, sizeof(zero));
	kf_tpm_size_end(c, at);
	kf_tpm_put_u16(c, 0);			/* outsideInfo */
	kf_tpm_put_u32(c, 0);			/* creationPCR: none */
	ret = kf_tpm_transmit(chip, c);
	if (ret)
		return kf_tpm_errno(ret, -EIO);
	return kf_tpm_get_u32(c, handle);
}

/* StartAuthSession: an unsalted, unbound policy (or trial) session. */
static int kf_tpm_session(struct tpm_chip *chip, struct kf_tpm_cmd *c, u8 type,
			  u32 *handle)
{
	u8 nonce[KF_HASH_SIZE];
	int ret;

	get_random_bytes(nonce, sizeof(nonce));
	kf_tpm_cmd_reset(c, TPM2_ST_NO_SESSIONS, KF_TPM_CC_START_AUTH);
	kf_tpm_put_u32(c, KF_TPM_RH_NULL);	/* tpmKey: no salt */
	kf_tpm_put_u32(c, KF_TPM_RH_NULL);	/* bind: none */
	kf_tpm_put_2b(c, nonce, sizeof(nonce));	/* nonceCaller */
	kf_tpm_put_u16(c, 0);			/* encryptedSalt */
	kf_tpm_put_u8(c, type);
	kf_tpm_put_u16(c, KF_TPM_ALG_NULL);	/* symmetric: none */
	kf_tpm_put_u16(c, KF_TPM_ALG_SHA256);	/* authHash */
	ret = kf_tpm_transmit(chip, c);
	if (ret)
		return kf_tpm_errno(ret, -EIO);
	return kf_tpm_get_u32(c, handle);
}

/* TPM2_PolicyPCR: the selected SHA-256 PCRs, at their current values. */
static int kf_tpm_policy_pcr(struct tpm_chip *chip, struct kf_tpm_cmd *c,
			     u32 session, u32 pcrs)
{
	kf_tpm_cmd_reset(c, TPM2_ST_NO_SESSIONS, KF_TPM_CC_POLICY_PCR);
	kf_tpm_put_u32(c, session);
	kf_tpm_put_u16(c, 0);			/* pcrDigest: the TPM's own */
	kf_tpm_put_u32(c, 1);			/* one selection */
	kf_tpm_put_u16(c, KF_TPM_ALG_SHA256);
	kf_tpm_put_u8(c, 3);			/* sizeofSelect */
	kf_tpm_put_u8(c, pcrs & 0xff);
	kf_tpm_put_u8(c, (pcrs >> 8) & 0xff);
	kf_tpm_put_u8(c, (pcrs >> 16) & 0xff);
	return kf_tpm_errno(kf_tpm_transmit(chip, c), -EIO);
}

/* The policy digest of "these PCRs as they are now", from a trial session. */
static int kf_tpm_pcr_policy_digest(struct tpm_chip *chip, struct kf_tpm_cmd *c,
				    u32 pcrs, u8 digest[KF_HASH_SIZE])
{
	const u8 *d;
	u32 session;
	u16 n;
	int ret;

	ret = kf_tpm_session(chip, c, KF_TPM_SE_TRIAL, &session);
	if (ret)
		return ret;
	ret = kf_tpm_policy_pcr(chip, c, session, pcrs);
	if (ret)
		goto out;
	kf_tpm_cmd_reset(c, TPM2_ST_NO_SESSIONS, KF_TPM_CC_POLICY_DIGEST);
	kf_tpm_put_u32(c, session);
	ret = kf_tpm_transmit(chip, c);
	if (ret) {
		ret = kf_tpm_errno(ret, -EIO);
		goto out;
	}
	ret = kf_tpm_get_2b(c, &d, &n);
	if (!ret && n != KF_HASH_SIZE)
		ret = -EPROTO;
	if (!ret)
		memcpy(digest, d, KF_HASH_SIZE);
out:
	kf_tpm_flush(chip, c, session);
	return ret;
}

/*
 * The sealed object's public area: a keyedhash data object, no scheme;
 * with a PCR policy, usable only through it (no userWithAuth).
 */
static void kf_tpm_put_sealed_public(struct kf_tpm_cmd *c, const u8 *policy)
{
	size_t at = kf_tpm_size_begin(c);

	kf_tpm_put_u16(c, KF_TPM_ALG_KEYEDHASH);
	kf_tpm_put_u16(c, KF_TPM_ALG_SHA256);
	kf_tpm_put_u32(c, KF_OA_FIXED_TPM | KF_OA_FIXED_PARENT | KF_OA_NO_DA |
		       (policy ? KF_OA_ADMIN_WITH_POLICY : KF_OA_USER_WITH_AUTH));
	kf_tpm_put_2b(c, policy, policy ? KF_HASH_SIZE : 0);	/* authPolicy */
	kf_tpm_put_u16(c, KF_TPM_ALG_NULL);	/* scheme */
	kf_tpm_put_u16(c, 0);			/* unique */
	kf_tpm_size_end(c, at);
}

/*
 * Seal key under this TPM, bound to the PCRs in the pcrs mask (0: none).
 * out receives TPM2B_PRIVATE || TPM2B_PUBLIC, each with its size, at most
 * cap bytes; *out_len their length.
 */
int kf_tpm_seal(const u8 key[KF_BLOB_KEY_SIZE], u32 pcrs, u8 *out, size_t cap,
		size_t *out_len)
{
	const u8 *priv, *pub;
	size_t priv_len, pub_len;
	u8 policy[KF_HASH_SIZE];
	struct kf_tpm_cmd c;
	struct tpm_chip *chip;
	u32 parent;
	size_t at;
	int ret;

	chip = kf_tpm_open();
	if (IS_ERR(chip))
		return PTR_ERR(chip);
	ret = kf_tpm_cmd_init(&c, TPM2_ST_SESSIONS, TPM2_CC_CREATE);
	if (ret)
		goto out_chip;
	if (pcrs) {
		ret = kf_tpm_pcr_policy_digest(chip, &c, pcrs, policy);
		if (ret)
			goto out_cmd;
	}
	ret = kf_tpm_primary(chip, &c, &parent);
	if (ret)
		goto out_cmd;

	kf_tpm_cmd_reset(&c, TPM2_ST_SESSIONS, TPM2_CC_CREATE);
	kf_tpm_put_u32(&c, parent);
	kf_tpm_put_auth(&c, TPM2_RS_PW);
	at = kf_tpm_size_begin(&c);		/* inSensitive */
	kf_tpm_put_u16(&c, 0);			/* userAuth */
	kf_tpm_put_2b(&c, key, KF_BLOB_KEY_SIZE);
	kf_tpm_size_end(&c, at);
	kf_tpm_put_sealed_public(&c, pcrs ? policy : NULL);
	kf_tpm_put_u16(&c, 0);			/* outsideInfo */
	kf_tpm_put_u32(&c, 0);			/* creationPCR */
	ret = kf_tpm_transmit(chip, &c);
	if (ret) {
		ret = kf_tpm_errno(ret, -EIO);
		goto out_flush;
	}
	ret = kf_tpm_get_param_size(&c);
	if (!ret)
		ret = kf_tpm_get_2b_whole(&c, &priv, &priv_len);
	if (!ret)
		ret = kf_tpm_get_2b_whole(&c, &pub, &pub_len);
	if (ret)
		goto out_flush;
	if (priv_len + pub_len > cap) {
		ret = -E2BIG;
		goto out_flush;
	}
	memcpy(out, priv, priv_len);
	memcpy(out + priv_len, pub, pub_len);
	*out_len = priv_len + pub_len;
out_flush:
	kf_tpm_flush(chip, &c, parent);
out_cmd:
	kf_tpm_cmd_free(&c);
out_chip:
	kf_tpm_close(chip);
	return ret;
}

/*
 * Split a stored TPM2B_PRIVATE || TPM2B_PUBLIC and check that the public
 * area is a sealed data object bound to its TPM and parent.
 */
static int kf_tpm_sealed_split(const u8 *in, size_t len, size_t *priv_len)
{
	size_t pub_len;
	u32 attrs;
	const u8 *pub;

	if (len < 2)
		return -EPROTO;
	*priv_len = 2 + get_unaligned_be16(in);
	if (*priv_len > len - 2)
		return -EPROTO;
	pub = in + *priv_len;
	pub_len = 2 + get_unaligned_be16(pub);
	if (pub_len != len - *priv_len || pub_len < 2 + 8)
		return -EPROTO;
	attrs = get_unaligned_be32(pub + 6);
	if (get_unaligned_be16(pub + 2) != KF_TPM_ALG_KEYEDHASH ||
	    (attrs & (KF_OA_FIXED_TPM | KF_OA_FIXED_PARENT)) !=
	    (KF_OA_FIXED_TPM | KF_OA_FIXED_PARENT))
		return -EPROTO;
	return 0;
}

/*
 * Unseal what kf_tpm_seal() made.  -EKEYREJECTED when this TPM refuses it
 * (another TPM, a cleared one, an altered private or public area, or one
 * of the PCRs it is bound to changed).
 */
int kf_tpm_unseal(const u8 *sealed, size_t len, u32 pcrs,
		  u8 key[KF_BLOB_KEY_SIZE])
{
	u32 parent, object, auth = TPM2_RS_PW, session = 0;
	struct kf_tpm_cmd c;
	struct tpm_chip *chip;
	size_t priv_len;
	const u8 *data;
	u16 n;
	int ret;

	ret = kf_tpm_sealed_split(sealed, len, &priv_len);
	if (ret)
		return ret;
	chip = kf_tpm_open();
	if (IS_ERR(chip))
		return PTR_ERR(chip);
	ret = kf_tpm_cmd_init(&c, TPM2_ST_SESSIONS, TPM2_CC_LOAD);
	if (ret)
		goto out_chip;
	ret = kf_tpm_primary(chip, &c, &parent);
	if (ret)
		goto out_cmd;

	kf_tpm_cmd_reset(&c, TPM2_ST_SESSIONS, TPM2_CC_LOAD);
	kf_tpm_put_u32(&c, parent);
	kf_tpm_put_auth(&c, TPM2_RS_PW);
	kf_tpm_put(&c, sealed, len);		/* inPrivate, inPublic */
	ret = kf_tpm_transmit(chip, &c);
	if (ret) {
		ret = kf_tpm_errno(ret, -EKEYREJECTED);
		goto out_parent;
	}
	ret = kf_tpm_get_u32(&c, &object);
	if (ret)
		goto out_parent;
	if (pcrs) {
		ret = kf_tpm_session(chip, &c, KF_TPM_SE_POLICY, &session);
		if (ret)
			goto out_object;
		ret = kf_tpm_policy_pcr(chip, &c, session, pcrs);
		if (ret)
			goto out_session;
		auth = session;
	}

	kf_tpm_cmd_reset(&c, TPM2_ST_SESSIONS, TPM2_CC_UNSEAL);
	kf_tpm_put_u32(&c, object);
	kf_tpm_put_auth(&c, auth);
	ret = kf_tpm_transmit(chip, &c);
	if (ret) {
		ret = kf_tpm_errno(ret, -EKEYREJECTED);
		goto out_session;
	}
	ret = kf_tpm_get_param_size(&c);
	if (!ret)
		ret = kf_tpm_get_2b(&c, &data, &n);
	if (!ret && n != KF_BLOB_KEY_SIZE)
		ret = -EKEYREJECTED;
	if (!ret)
		memcpy(key, data, KF_BLOB_KEY_SIZE);
out_session:
	if (session)
		kf_tpm_flush(chip, &c, session);
out_object:
	kf_tpm_flush(chip, &c, object);
out_parent:
	kf_tpm_flush(chip, &c, parent);
out_cmd:
	kf_tpm_cmd_free(&c);	/* wipes the page that held the key */
out_chip:
	kf_tpm_close(chip);
	return ret;
}

/* ---- counters ----------------------------------------------------------- */

/* 1 if the index exists with our attributes, 0 if absent, else -errno. */
static int kf_nv_check(struct tpm_chip *chip, struct kf_tpm_cmd *c, u32 index)
{
	const u8 *pub;
	u16 n;
	int ret;

	kf_tpm_cmd_reset(c, TPM2_ST_NO_SESSIONS, KF_TPM_CC_NV_READ_PUBLIC);
	kf_tpm_put_u32(c, index);
	ret = kf_tpm_transmit(chip, c);
	if (kf_rc_fmt1(ret, KF_RC_HANDLE))
		return 0;
	if (ret)
		return kf_tpm_errno(ret, -EIO);
	ret = kf_tpm_get_2b(c, &pub, &n);
	if (ret)
		return ret;
	/* nvIndex, nameAlg, attributes, authPolicy (empty), dataSize */
	if (n != 14 || get_unaligned_be32(pub) != index ||
	    get_unaligned_be16(pub + 4) != KF_TPM_ALG_SHA256 ||
	    (get_unaligned_be32(pub + 6) & ~KF_NV_WRITTEN) != KF_NV_ATTRS ||
	    get_unaligned_be16(pub + 10) != 0 ||
	    get_unaligned_be16(pub + 12) != 8) {
		pr_warn(KF_LOG_PREFIX "TPM NV index 0x%x is not keyferry's counter\n",
			index);
		return -EEXIST;
	}
	return 1;
}

static int kf_nv_define(struct tpm_chip *chip, struct kf_tpm_cmd *c,
			u32 index)
{
	size_t at;
	int ret;

	kf_tpm_cmd_reset(c, TPM2_ST_SESSIONS, KF_TPM_CC_NV_DEFINE);
	kf_tpm_put_u32(c, KF_TPM_RH_OWNER);
	kf_tpm_put_auth(c, TPM2_RS_PW);
	kf_tpm_put_u16(c, 0);			/* auth: empty */
	at = kf_tpm_size_begin(c);
	kf_tpm_put_u32(c, index);
	kf_tpm_put_u16(c, KF_TPM_ALG_SHA256);
	kf_tpm_put_u32(c, KF_NV_ATTRS);
	kf_tpm_put_u16(c, 0);			/* authPolicy */
	kf_tpm_put_u16(c, 8);			/* dataSize */
	kf_tpm_size_end(c, at);
	ret = kf_tpm_transmit(chip, c);
	return kf_tpm_errno(ret, -EIO);
}

static int kf_nv_increment(struct tpm_chip *chip, struct kf_tpm_cmd *c,
			   u32 index)
{
	kf_tpm_cmd_reset(c, TPM2_ST_SESSIONS, KF_TPM_CC_NV_INCREMENT);
	kf_tpm_put_u32(c, index);		/* authHandle: the index */
	kf_tpm_put_u32(c, index);
	kf_tpm_put_auth(c, TPM2_RS_PW);
	return kf_tpm_errno(kf_tpm_transmit(chip, c), -EIO);
}

static int kf_nv_read(struct tpm_chip *chip, struct kf_tpm_cmd *c, u32 index,
		      u64 *value)
{
	const u8 *data;
	u16 n;
	int ret;

	kf_tpm_cmd_reset(c, TPM2_ST_SESSIONS, TPM2_CC_NV_READ);
	kf_tpm_put_u32(c, index);
	kf_tpm_put_u32(c, index);
	kf_tpm_put_auth(c, TPM2_RS_PW);
	kf_tpm_put_u16(c, 8);			/* size */
	kf_tpm_put_u16(c, 0);			/* offset */
	ret = kf_tpm_transmit(chip, c);
	if (ret == KF_RC_NV_UNINITIALIZED)
		return -ENODATA;
	if (ret)
		return kf_tpm_errno(ret, -EIO);
	ret = kf_tpm_get_param_size(c);
	if (!ret)
		ret = kf_tpm_get_2b(c, &data, &n);
	if (!ret && n != 8)
		ret = -EPROTO;
	if (!ret)
		*value = get_unaligned_be64(data);
	return ret;
}

/* Both counters, defined (and written once) first when create is set. */
static int kf_nv_counters(struct tpm_chip *chip, struct kf_tpm_cmd *c,
			  bool create, u64 *reserve, u64 *commit)
{
	static const u32 idx[2] = { KF_NV_RESERVE, KF_NV_COMMIT };
	u64 *val[2] = { reserve, commit };
	int i, ret;

	for (i = 0; i < 2; i++) {
		ret = kf_nv_check(chip, c, idx[i]);
		if (ret < 0)
			return ret;
		if (!ret && !create)
			return -ENOENT;
		if (!ret) {
			ret = kf_nv_define(chip, c, idx[i]);
			if (!ret)
				ret = kf_nv_increment(chip, c, idx[i]);
			if (ret)
				return ret;
		}
		ret = kf_nv_read(chip, c, idx[i], val[i]);
		/* Defined, never incremented (a define cut short): write it. */
		if (ret == -ENODATA && create) {
			ret = kf_nv_increment(chip, c, idx[i]);
			if (!ret)
				ret = kf_nv_read(chip, c, idx[i], val[i]);
		}
		if (ret)
			return ret;
	}
	return 0;
}

enum kf_epoch_op {
	KF_EPOCH_RESERVE,	/* a new export's epoch: RESERVE + 1 */
	KF_EPOCH_CHECK,		/* is a blob of this epoch current? */
	KF_EPOCH_COMMIT,	/* COMMIT up to this epoch */
};

/* One operation on the counters, the chip held throughout; see below. */
static int kf_epoch_run(struct tpm_chip *chip, struct kf_tpm_cmd *c,
			enum kf_epoch_op op, u64 *epoch)
{
	u64 reserve, commit;
	int ret;

	ret = kf_nv_counters(chip, c, op == KF_EPOCH_RESERVE, &reserve, &commit);
	if (ret == -ENOENT || ret == -ENODATA)
		return op == KF_EPOCH_CHECK ? -ESTALE : -ERANGE;
	if (ret)
		return ret;
	switch (op) {
	case KF_EPOCH_RESERVE:
		if (reserve < commit || reserve - commit >= KF_MAX_UNCOMMITTED)
			return -EBUSY;
		ret = kf_nv_increment(chip, c, KF_NV_RESERVE);
		if (!ret)
			ret = kf_nv_read(chip, c, KF_NV_RESERVE, epoch);
		return ret;
	case KF_EPOCH_CHECK:
		if (*epoch < commit)
			return -ESTALE;
		return *epoch > reserve ? -ERANGE : 0;
	case KF_EPOCH_COMMIT:
		if (*epoch <= commit)
			return 0;
		if (*epoch > reserve || *epoch - commit > KF_MAX_UNCOMMITTED)
			return -ERANGE;
		while (!ret && commit < *epoch) {
			ret = kf_nv_increment(chip, c, KF_NV_COMMIT);
			if (!ret)
				ret = kf_nv_read(chip, c, KF_NV_COMMIT, &commit);
		}
		return ret;
	}
	return -EINVAL;
}

static int kf_epoch(enum kf_epoch_op op, u64 *epoch)
{
	struct kf_tpm_cmd c;
	struct tpm_chip *chip;
	int ret;

	chip = kf_tpm_open();
	if (IS_ERR(chip))
		return PTR_ERR(chip);
	ret = kf_tpm_cmd_init(&c, TPM2_ST_SESSIONS, TPM2_CC_NV_READ);
	if (!ret) {
		ret = kf_epoch_run(chip, &c, op, epoch);
		kf_tpm_cmd_free(&c);
	}
	kf_tpm_close(chip);
	return ret;
}

/*
 * Reserve the epoch of a new export: RESERVE + 1 (the counters are defined
 * on first use).  -EBUSY when KF_MAX_UNCOMMITTED exports were reserved and
 * never committed (a commit walks COMMIT up one increment at a time, so
 * the gap stays small).
 */
int kf_tpm_epoch_reserve(u64 *epoch)
{
	return kf_epoch(KF_EPOCH_RESERVE, epoch);
}

/*
 * Is a blob of this epoch current?  0 if COMMIT <= epoch <= RESERVE,
 * -ESTALE below COMMIT, -ERANGE above RESERVE, -ESTALE as well when the
 * counters are gone (deleted by the owner: nothing says the blob is new).
 */
int kf_tpm_epoch_check(u64 epoch)
{
	return kf_epoch(KF_EPOCH_CHECK, &epoch);
}

/* COMMIT up to epoch (a no-op when it is there already). */
int kf_tpm_epoch_commit(u64 epoch)
{
	return kf_epoch(KF_EPOCH_COMMIT, &epoch);
}
