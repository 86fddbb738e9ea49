/* The kernel backend: the four ESP transport-mode SAs of TS 33.203 7.1 and their policies,
 * installed over XFRM netlink (libmnl) in the network namespace the P-CSCF runs in.
 *
 *   UE port_uc -> P-CSCF port_ps   SPI spi_ps   inbound  (requests from the UE)
 *   P-CSCF port_ps -> UE port_uc   SPI spi_uc   outbound (responses to them)
 *   UE port_us -> P-CSCF port_pc   SPI spi_pc   inbound  (responses from the UE)
 *   P-CSCF port_pc -> UE port_us   SPI spi_us   outbound (requests to the UE)
 *
 * Each SA's selector and its policy name the ports and any transport protocol (TS 33.203 7.1:
 * SIP over UDP and over TCP, whose connection from port_uc to port_ps carries the requests one
 * way and their responses the other, as the one from port_pc to port_us does), so the UE's
 * other traffic (the initial REGISTER to port 5060) is left alone, and the "in" policies make
 * the kernel drop plaintext UDP and TCP on the protected ports. The states carry no kernel
 * lifetime: the module deletes them when the registration ends or expires, and on shutdown.
 *
 * Policies belong to flows, not to SA sets. A re-registration's new set (TS 33.203 7.4) keeps
 * the UE's port_us, so two of its flows have the selectors of the old set's, and the kernel
 * holds one policy per selector whatever the priority (checked in the test VM's 6.1). So an
 * "in" policy's template names no SPI (any ESP SA between the two addresses in transport
 * mode: the old set for late messages, the new one for the rest), an "out" policy's template
 * is moved to the newest set's SA, and a policy goes only with the last set using it. */
#include "sa_xfrm.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/xfrm.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct flow {
	const char *src, *dst;
	uint16_t sport, dport;
	uint32_t spi;
	int dir; /* XFRM_POLICY_IN or XFRM_POLICY_OUT */
};

static void flows_of(const struct sa_rec *r, struct flow f[4])
{
	f[0] = (struct flow){r->ue_ip,   r->pcscf_ip, r->port_uc,
	                     r->port_ps, r->spi_ps,   XFRM_POLICY_IN};
	f[1] = (struct flow){r->pcscf_ip, r->ue_ip,  r->port_ps,
	                     r->port_uc,  r->spi_uc, XFRM_POLICY_OUT};
	f[2] = (struct flow){r->ue_ip,   r->pcscf_ip, r->port_us,
	                     r->port_pc, r->spi_pc,   XFRM_POLICY_IN};
	f[3] = (struct flow){r->pcscf_ip, r->ue_ip,  r->port_pc,
	                     r->port_us,  r->spi_us, XFRM_POLICY_OUT};
}

static int addr(const char *s, xfrm_address_t *a, uint16_t *family)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->a4) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->a6) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

static int selector(const struct flow *f, struct xfrm_selector *sel)
{
	uint16_t fs, fd;
	memset(sel, 0, sizeof(*sel));
	if (addr(f->src, &sel->saddr, &fs) != 0 || addr(f->dst, &sel->daddr, &fd) != 0 || fs != fd)
		return -1;
	sel->family = fs;
	sel->prefixlen_s = sel->prefixlen_d = fs == AF_INET ? 32 : 128;
	sel->proto = 0; /* UDP and TCP: a selector for UDP only would let plaintext TCP pass */
	sel->sport = htons(f->sport);
	sel->dport = htons(f->dport);
	sel->sport_mask = sel->dport_mask = 0xffff;
	return 0;
}

/* One request, one acknowledgement. Returns 0 or -errno. */
static int talk(struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_XFRM);
	int rc = -EIO;
	ssize_t n;
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto out;
	}
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		rc = -errno;
		goto out;
	}
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0) {
		rc = -errno;
		goto out;
	}
	rc = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, mnl_socket_get_portid(nl), NULL, NULL);
	rc = rc < 0 ? -errno : 0;
out:
	mnl_socket_close(nl);
	return rc;
}

static const char *auth_name(enum sec_alg a)
{
	return a == SEC_ALG_HMAC_SHA1_96 ? "hmac(sha1)" : "hmac(md5)";
}

static const char *enc_name(enum sec_ealg e)
{
	switch (e) {
	case SEC_EALG_AES_CBC:
		return "cbc(aes)";
	case SEC_EALG_DES_EDE3_CBC:
		return "cbc(des3_ede)";
	default:
		return "ecb(cipher_null)";
	}
}

static int add_state(const struct flow *f, const struct sec_combo *c, const uint8_t *auth_key,
                     size_t auth_len, const uint8_t *enc_key, size_t enc_len)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct xfrm_usersa_info *sa;
	char ab[sizeof(struct xfrm_algo_auth) + 64], eb[sizeof(struct xfrm_algo) + 64];
	struct xfrm_algo_auth *aa = (struct xfrm_algo_auth *)ab;
	struct xfrm_algo *ea = (struct xfrm_algo *)eb;
	int rc;

	nlh->nlmsg_type = XFRM_MSG_NEWSA;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	sa = mnl_nlmsg_put_extra_header(nlh, sizeof(*sa));
	if (selector(f, &sa->sel) != 0)
		return -EINVAL;
	sa->family = sa->sel.family;
	sa->id.daddr = sa->sel.daddr;
	sa->saddr = sa->sel.saddr;
	sa->id.spi = htonl(f->spi);
	sa->id.proto = IPPROTO_ESP;
	sa->mode = XFRM_MODE_TRANSPORT;
	sa->reqid = f->spi;
	/* RFC 4303 3.4.3: anti-replay, the replay protection TS 33.203 asks for */
	sa->replay_window = 32;
	sa->lft.soft_byte_limit = sa->lft.hard_byte_limit = XFRM_INF;
	sa->lft.soft_packet_limit = sa->lft.hard_packet_limit = XFRM_INF;
	memset(ab, 0, sizeof(ab));
	strcpy(aa->alg_name, auth_name(c->alg));
	aa->alg_key_len = (unsigned)(auth_len * 8);
	aa->alg_trunc_len = 96; /* HMAC-*-96, RFC 2403/2404 */
	memcpy(aa->alg_key, auth_key, auth_len);
	mnl_attr_put(nlh, XFRMA_ALG_AUTH_TRUNC, sizeof(*aa) + auth_len, aa);
	memset(eb, 0, sizeof(eb));
	strcpy(ea->alg_name, enc_name(c->ealg));
	ea->alg_key_len = (unsigned)(enc_len * 8);
	memcpy(ea->alg_key, enc_key, enc_len);
	mnl_attr_put(nlh, XFRMA_ALG_CRYPT, sizeof(*ea) + enc_len, ea);
	rc = talk(nlh);
	explicit_bzero(buf, sizeof(buf));
	explicit_bzero(ab, sizeof(ab));
	explicit_bzero(eb, sizeof(eb));
	return rc;
}

static int del_state(const struct flow *f)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct xfrm_usersa_id *id;
	uint16_t fam;
	nlh->nlmsg_type = XFRM_MSG_DELSA;
	id = mnl_nlmsg_put_extra_header(nlh, sizeof(*id));
	if (addr(f->dst, &id->daddr, &fam) != 0)
		return -EINVAL;
	id->family = fam;
	id->spi = htonl(f->spi);
	id->proto = IPPROTO_ESP;
	return talk(nlh);
}

/* update: replace the template of the flow's existing policy (XFRM_MSG_UPDPOLICY) */
static int put_policy(const struct flow *f, int update)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct xfrm_userpolicy_info *p;
	struct xfrm_user_tmpl t;
	nlh->nlmsg_type = update ? XFRM_MSG_UPDPOLICY : XFRM_MSG_NEWPOLICY;
	nlh->nlmsg_flags = update ? 0 : NLM_F_CREATE | NLM_F_EXCL;
	p = mnl_nlmsg_put_extra_header(nlh, sizeof(*p));
	if (selector(f, &p->sel) != 0)
		return -EINVAL;
	p->dir = (uint8_t)f->dir;
	p->action = XFRM_POLICY_ALLOW;
	p->lft.soft_byte_limit = p->lft.hard_byte_limit = XFRM_INF;
	p->lft.soft_packet_limit = p->lft.hard_packet_limit = XFRM_INF;
	memset(&t, 0, sizeof(t));
	t.family = p->sel.family;
	t.id.daddr = p->sel.daddr;
	t.saddr = p->sel.saddr;
	t.id.proto = IPPROTO_ESP;
	if (f->dir == XFRM_POLICY_OUT) {
		/* which SA protects what we send: this set's */
		t.id.spi = htonl(f->spi);
		t.reqid = f->spi;
	}
	t.mode = XFRM_MODE_TRANSPORT;
	t.aalgos = t.ealgos = t.calgos = ~0u;
	mnl_attr_put(nlh, XFRMA_TMPL, sizeof(t), &t);
	return talk(nlh);
}

static int del_policy(const struct flow *f)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct xfrm_userpolicy_id *id;
	nlh->nlmsg_type = XFRM_MSG_DELPOLICY;
	id = mnl_nlmsg_put_extra_header(nlh, sizeof(*id));
	if (selector(f, &id->sel) != 0)
		return -EINVAL;
	id->dir = (uint8_t)f->dir;
	return talk(nlh);
}

static int same_flow(const struct flow *a, const struct flow *b)
{
	return a->dir == b->dir && a->sport == b->sport && a->dport == b->dport &&
	       strcmp(a->src, b->src) == 0 && strcmp(a->dst, b->dst) == 0;
}

/* what install did to a flow's policy, so that it can be undone */
enum took { NOTHING, CREATED, SHARED, MOVED };

/* hands flow i's policy back to `to` (a set sharing it) or removes it */
static int release_policy(const struct flow *f, const struct flow *to)
{
	if (to && same_flow(f, to))
		return f->dir == XFRM_POLICY_OUT ? put_policy(to, 1) : 0;
	return del_policy(f);
}

int sa_xfrm_install(const struct sa_rec *r, const struct sa_rec *current, const uint8_t *auth_key,
                    size_t auth_len, const uint8_t *enc_key, size_t enc_len, int lifetime)
{
	struct flow f[4], c[4];
	enum took took[4] = {NOTHING, NOTHING, NOTHING, NOTHING};
	int i, rc = 0;
	(void)lifetime;
	flows_of(r, f);
	if (current)
		flows_of(current, c);
	for (i = 0; i < 4 && rc == 0; i++) {
		if ((rc = add_state(&f[i], &r->combo, auth_key, auth_len, enc_key, enc_len)) != 0)
			break;
		rc = put_policy(&f[i], 0);
		if (rc == -EEXIST && current && same_flow(&f[i], &c[i])) {
			/* a flow of the set this one replaces: outbound traffic moves to the new SA
			 * now, the "in" policy already accepts it */
			if (f[i].dir == XFRM_POLICY_OUT && (rc = put_policy(&f[i], 1)) == 0)
				took[i] = MOVED;
			else if (f[i].dir == XFRM_POLICY_IN)
				rc = 0, took[i] = SHARED;
		} else if (rc == 0) {
			took[i] = CREATED;
		}
		if (rc != 0)
			del_state(&f[i]);
	}
	if (rc != 0) {
		/* all or nothing: undo this set, give current its flows back */
		for (int j = 0; j < 4; j++) {
			if (took[j] == NOTHING)
				continue;
			if (took[j] == CREATED)
				del_policy(&f[j]);
			else if (took[j] == MOVED)
				put_policy(&c[j], 1);
			del_state(&f[j]);
		}
		errno = -rc;
		return -1;
	}
	return 0;
}

int sa_xfrm_remove(const struct sa_rec *r, const struct sa_rec *heir)
{
	struct flow f[4], h[4];
	int bad = 0;
	flows_of(r, f);
	if (heir)
		flows_of(heir, h);
	for (int i = 0; i < 4; i++) {
		int a = release_policy(&f[i], heir ? &h[i] : NULL), b = del_state(&f[i]);
		/* already gone (flushed by an operator) is not an error */
		bad |= (a != 0 && a != -ENOENT) || (b != 0 && b != -ESRCH && b != -ENOENT);
	}
	return bad ? -1 : 0;
}

int sa_xfrm_probe(char *err, size_t errsz)
{
	/* an ESP SA on documentation addresses with the algorithms we use: refused when the
	 * kernel has no XFRM netlink, no esp4 or no hmac/cbc templates */
	struct sa_rec r;
	uint8_t k[24] = {0};
	int rc;
	memset(&r, 0, sizeof(r));
	strcpy(r.ue_ip, "192.0.2.1");
	strcpy(r.pcscf_ip, "192.0.2.2");
	r.port_uc = r.port_us = 9;
	r.port_ps = r.port_pc = 9;
	struct flow f = {r.ue_ip,       r.pcscf_ip, 9, 9, 0xfffffff0u - (uint32_t)getpid() % 1000,
	                 XFRM_POLICY_IN};
	struct sec_combo c = {SEC_ALG_HMAC_SHA1_96, SEC_EALG_AES_CBC};
	rc = add_state(&f, &c, k, 20, k, 16);
	if (rc != 0) {
		snprintf(
		        err, errsz,
		        "the kernel refuses an ESP SA (%s): it needs CONFIG_XFRM_USER, esp4/esp6 and CAP_NET_ADMIN",
		        strerror(-rc));
		return -1;
	}
	del_state(&f);
	return 0;
}
