/* Shared Kamailio glue for the modules' cfg functions (includes Kamailio headers). */
#ifndef PRESEC_KAMAILIO_CFG_H
#define PRESEC_KAMAILIO_CFG_H

#include "core/parser/msg_parser.h"

/* A cfg-script wrapper `name` for a function taking the message alone (its KEMI export). */
#define PRESEC_CFG_WRAP0(name, fn)                                                                 \
	static int name(struct sip_msg *msg, char *unused1, char *unused2)                         \
	{                                                                                          \
		(void)unused1;                                                                     \
		(void)unused2;                                                                     \
		return fn(msg);                                                                    \
	}

#endif
