/* Milenage, the 3GPP example algorithm set for AKA (TS 35.205, TS 35.206), on OpenSSL's AES-128.
 * Pure core: no Kamailio header. */
#ifndef PRESEC_MILENAGE_H
#define PRESEC_MILENAGE_H

#include <stdint.h>

#define MILENAGE_K_LEN    16
#define MILENAGE_OP_LEN   16
#define MILENAGE_RAND_LEN 16
#define MILENAGE_SQN_LEN  6
#define MILENAGE_AMF_LEN  2
#define MILENAGE_MAC_LEN  8
#define MILENAGE_RES_LEN  8
#define MILENAGE_CK_LEN   16
#define MILENAGE_IK_LEN   16
#define MILENAGE_AK_LEN   6

/* All functions return 0 on success, -1 if the AES primitive failed. */

/* TS 35.206 4.1: OPc = OP xor E_K(OP). */
int milenage_opc(const uint8_t k[MILENAGE_K_LEN], const uint8_t op[MILENAGE_OP_LEN],
                 uint8_t opc[MILENAGE_OP_LEN]);

/* f1 (MAC-A) and f1* (MAC-S); either output may be NULL. */
int milenage_f1(const uint8_t k[MILENAGE_K_LEN], const uint8_t opc[MILENAGE_OP_LEN],
                const uint8_t rand[MILENAGE_RAND_LEN], const uint8_t sqn[MILENAGE_SQN_LEN],
                const uint8_t amf[MILENAGE_AMF_LEN], uint8_t mac_a[MILENAGE_MAC_LEN],
                uint8_t mac_s[MILENAGE_MAC_LEN]);

/* f2 (RES), f3 (CK), f4 (IK), f5 (AK) and f5* (AK for resynchronisation); any output may be
 * NULL. */
int milenage_f2345(const uint8_t k[MILENAGE_K_LEN], const uint8_t opc[MILENAGE_OP_LEN],
                   const uint8_t rand[MILENAGE_RAND_LEN], uint8_t res[MILENAGE_RES_LEN],
                   uint8_t ck[MILENAGE_CK_LEN], uint8_t ik[MILENAGE_IK_LEN],
                   uint8_t ak[MILENAGE_AK_LEN], uint8_t ak_star[MILENAGE_AK_LEN]);

#endif
