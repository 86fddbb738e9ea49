/* Shared Kamailio glue for the modules' cfg functions (includes Kamailio headers). */
#ifndef PRESEC_KAMAILIO_CFG_H
#define PRESEC_KAMAILIO_CFG_H

#include "core/ip_addr.h"
#include "core/kemi.h"
#include "core/parser/msg_parser.h"

/* The sender's address as text, for log lines (a static buffer: use it at once). */
static inline const char *presec_src_ip(struct sip_msg *msg)
{
	return ip_addr2a(&msg->rcv.src_ip);
}

/* A cfg-script wrapper `name` for a function taking the message alone (its KEMI export). */
#define PRESEC_CFG_WRAP0(name, fn)                                                                 \
	static int name(struct sip_msg *msg, char *unused1, char *unused2)                         \
	{                                                                                          \
		(void)unused1;                                                                     \
		(void)unused2;                                                                     \
		return fn(msg);                                                                    \
	}

/* KEMI exports of a function returning int: of the message alone (_0), and of up to three
 * string (S) or integer (I) parameters */
/* clang-format off */
#define PRESEC_KEMI3(mod, name, fn, p1, p2, p3) \
	{ str_init(mod), str_init(name), SR_KEMIP_INT, fn, \
		{ p1, p2, p3, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE } }
#define PRESEC_KEMI_0(mod, name, fn) \
	PRESEC_KEMI3(mod, name, fn, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE)
#define PRESEC_KEMI_S(mod, name, fn) \
	PRESEC_KEMI3(mod, name, fn, SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE)
#define PRESEC_KEMI_SS(mod, name, fn) \
	PRESEC_KEMI3(mod, name, fn, SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_NONE)
#define PRESEC_KEMI_SII(mod, name, fn) \
	PRESEC_KEMI3(mod, name, fn, SR_KEMIP_STR, SR_KEMIP_INT, SR_KEMIP_INT)
#define PRESEC_KEMI_END { {0, 0}, {0, 0}, 0, NULL, { 0, 0, 0, 0, 0, 0 } }
/* clang-format on */

/* The module's mod_register(): hands its KEMI exports to the core. */
#define PRESEC_MOD_REGISTER(kemi_exports)                                                          \
	int mod_register(char *path, int *dlflags, void *p1, void *p2)                             \
	{                                                                                          \
		(void)path;                                                                        \
		(void)dlflags;                                                                     \
		(void)p1;                                                                          \
		(void)p2;                                                                          \
		sr_kemi_modules_add(kemi_exports);                                                 \
		return 0;                                                                          \
	}

#endif
