/* Milenage (3GPP TS 35.206) with OpenSSL's AES-128 as the kernel function E_K. */
#include "milenage.h"

#include <openssl/evp.h>
#include <string.h>

/* One AES-128-ECB context keyed with K, reused for the several E_K calls of one operation. */
struct kernel {
	EVP_CIPHER_CTX *ctx;
};

static int kernel_init(struct kernel *e, const uint8_t k[16])
{
	e->ctx = EVP_CIPHER_CTX_new();
	if (!e->ctx)
		return -1;
	if (EVP_EncryptInit_ex(e->ctx, EVP_aes_128_ecb(), NULL, k, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(e->ctx, 0) != 1) {
		EVP_CIPHER_CTX_free(e->ctx);
		e->ctx = NULL;
		return -1;
	}
	return 0;
}

static int kernel_encrypt(struct kernel *e, const uint8_t in[16], uint8_t out[16])
{
	int len = 0;
	return EVP_EncryptUpdate(e->ctx, out, &len, in, 16) == 1 && len == 16 ? 0 : -1;
}

static void kernel_free(struct kernel *e)
{
	EVP_CIPHER_CTX_free(e->ctx);
	e->ctx = NULL;
}

static void xor16(uint8_t out[16], const uint8_t a[16], const uint8_t b[16])
{
	for (int i = 0; i < 16; i++)
		out[i] = a[i] ^ b[i];
}

/* TS 35.206 4.1: rot(x, r) cyclically rotates the 128-bit x by r bits towards the most
 * significant bit; every r of Milenage (0, 32, 64, 96) is a whole number of octets. */
static void rot_octets(uint8_t out[16], const uint8_t in[16], unsigned r_bits)
{
	unsigned s = r_bits / 8;
	for (unsigned i = 0; i < 16; i++)
		out[i] = in[(i + s) % 16];
}

/* OUTn = E_K(rot(x xor OPc, r) xor c) xor OPc, where c is all zeros but its last octet. */
static int out_block(struct kernel *e, const uint8_t x[16], const uint8_t opc[16], unsigned r,
                     uint8_t c_last, uint8_t out[16])
{
	uint8_t t[16], u[16];
	xor16(t, x, opc);
	rot_octets(u, t, r);
	u[15] ^= c_last;
	if (kernel_encrypt(e, u, out) != 0)
		return -1;
	xor16(out, out, opc);
	return 0;
}

int milenage_opc(const uint8_t k[16], const uint8_t op[16], uint8_t opc[16])
{
	struct kernel e;
	if (kernel_init(&e, k) != 0)
		return -1;
	int rc = kernel_encrypt(&e, op, opc);
	kernel_free(&e);
	if (rc == 0)
		xor16(opc, opc, op);
	return rc;
}

/* TEMP = E_K(RAND xor OPc) */
static int temp_block(struct kernel *e, const uint8_t opc[16], const uint8_t rand[16],
                      uint8_t temp[16])
{
	uint8_t t[16];
	xor16(t, rand, opc);
	return kernel_encrypt(e, t, temp);
}

int milenage_f1(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
                const uint8_t sqn[6], const uint8_t amf[2], uint8_t mac_a[8], uint8_t mac_s[8])
{
	struct kernel e;
	uint8_t temp[16], in1[16], t[16], u[16], out1[16];
	int rc = -1;

	if (kernel_init(&e, k) != 0)
		return -1;
	if (temp_block(&e, opc, rand, temp) != 0)
		goto done;
	/* IN1 = SQN || AMF || SQN || AMF */
	memcpy(in1, sqn, 6);
	memcpy(in1 + 6, amf, 2);
	memcpy(in1 + 8, sqn, 6);
	memcpy(in1 + 14, amf, 2);
	/* OUT1 = E_K(TEMP xor rot(IN1 xor OPc, r1) xor c1) xor OPc, r1 = 64, c1 = 0 */
	xor16(t, in1, opc);
	rot_octets(u, t, 64);
	xor16(u, u, temp);
	if (kernel_encrypt(&e, u, out1) != 0)
		goto done;
	xor16(out1, out1, opc);
	if (mac_a)
		memcpy(mac_a, out1, 8);
	if (mac_s)
		memcpy(mac_s, out1 + 8, 8);
	rc = 0;
done:
	kernel_free(&e);
	return rc;
}

int milenage_f2345(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
                   uint8_t res[8], uint8_t ck[16], uint8_t ik[16], uint8_t ak[6],
                   uint8_t ak_star[6])
{
	struct kernel e;
	uint8_t temp[16], out[16];
	int rc = -1;

	if (kernel_init(&e, k) != 0)
		return -1;
	if (temp_block(&e, opc, rand, temp) != 0)
		goto done;
	/* OUT2: r2 = 0, c2 = ..01: AK = OUT2[0..47], RES = OUT2[64..127] */
	if (res || ak) {
		if (out_block(&e, temp, opc, 0, 0x01, out) != 0)
			goto done;
		if (ak)
			memcpy(ak, out, 6);
		if (res)
			memcpy(res, out + 8, 8);
	}
	/* OUT3: r3 = 32, c3 = ..02: CK */
	if (ck && out_block(&e, temp, opc, 32, 0x02, ck) != 0)
		goto done;
	/* OUT4: r4 = 64, c4 = ..04: IK */
	if (ik && out_block(&e, temp, opc, 64, 0x04, ik) != 0)
		goto done;
	/* OUT5: r5 = 96, c5 = ..08: AK* = OUT5[0..47] */
	if (ak_star) {
		if (out_block(&e, temp, opc, 96, 0x08, out) != 0)
			goto done;
		memcpy(ak_star, out, 6);
	}
	rc = 0;
done:
	kernel_free(&e);
	return rc;
}
