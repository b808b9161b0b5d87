/*
 * The PF_KEY server (src/pfkey/pfkey_server.h) driven through
 * pfkey_sock_input with messages built by the codec, on the IPsec lab's
 * two hosts (tests/lib/ipsec_lab.h):
 *
 *   A 2001:db8:1::1 192.0.2.1 eth0 ---- link 0 ---- eth0 2001:db8:1::2 192.0.2.2 B
 *
 * Every message the server sends must pass pfkey_parse + pfkey_check
 * (checked in the capture socket). Asserted: who gets each reply and
 * broadcast (sender, another socket, a promiscuous one, a registered one),
 * that broadcasts carry no keys and GET does, the errno of every refusal
 * and malformed message, REGISTER's SUPPORTED lists, ACQUIRE from a real
 * packet (exactly one, to the registered socket, with addresses, policy
 * id and proposal), GETSPI + UPDATE completing it so traffic flows, a
 * failed ACQUIRE killing the larval SA, soft and hard EXPIRE on the clock,
 * FLUSH by type, the SPD messages, changes made outside PF_KEY, and
 * random input. Dumps: test_pfkey_server_dump.c.
 */
#include "pfkey_harness.h"
#include "usagi/socket.h"

#define PAIR_TEST(fn) cmocka_unit_test_setup_teardown(fn, lab_pair_setup, lab_pair_teardown)

/* The four sockets of the broadcast tests: sender, another, promiscuous, registered (ESP). */
struct four {
	struct psock snd, oth, pro, reg;
};

static void four_open(struct four *f, struct stack *st)
{
	struct pfkey_buf b;

	ps_open(&f->snd, st);
	ps_open(&f->oth, st);
	ps_open(&f->pro, st);
	ps_open(&f->reg, st);
	build_base(&b, SADB_X_PROMISC, 1, 1);
	assert_int_equal(ps_input(&f->pro, &b), 0);
	build_base(&b, SADB_REGISTER, SADB_SATYPE_ESP, 2);
	assert_int_equal(ps_input(&f->reg, &b), 0);
	assert_int_equal(pfkey_sock_count(st), 4);
	ps_clear(&f->snd);
	ps_clear(&f->oth);
	ps_clear(&f->pro);
	ps_clear(&f->reg);
}

static void four_close(struct four *f)
{
	assert_int_equal(f->snd.bad + f->oth.bad + f->pro.bad + f->reg.bad, 0);
	ps_close(&f->snd);
	ps_close(&f->oth);
	ps_close(&f->pro);
	ps_close(&f->reg);
}

static void four_clear(struct four *f)
{
	ps_clear(&f->snd);
	ps_clear(&f->oth);
	ps_clear(&f->pro);
	ps_clear(&f->reg);
}

/* ADD: every socket gets the broadcast, without keys; the promiscuous one also the request. */
static void test_add_broadcast(void **state)
{
	struct lab_pair *t = *state;
	struct in6_addr b6 = lab_addr(B6, NULL);
	struct xfrm_state *x;
	struct pfkey_buf b;
	struct four f;
	uint64_t out0;

	four_open(&f, SA(t));
	out0 = STAT_GET(SA(t), pfkey_out_msgs);
	build_esp(&b, SADB_ADD, 77, A6, B6, 0x2001, 0, 0);
	assert_int_equal(ps_input(&f.snd, &b), 0);
	x = xfrm_state_get(SA(t), &b6, 0x2001, IPPROTO_ESP);
	assert_non_null(x);
	assert_int_equal(x->state, XFRM_STATE_MATURE);
	assert_string_equal(x->c.enc.name, "aes-cbc");
	assert_int_equal(x->c.replay_window, 32);
	/* One broadcast each, with the request's seq and pid, errno 0, no keys. */
	assert_int_equal(f.snd.n, 1);
	assert_int_equal(f.oth.n, 1);
	assert_int_equal(f.reg.n, 1);
	assert_int_equal(f.pro.n, 2);
	for (struct psock *p = &f.snd; p <= &f.reg; p++) {
		const struct sadb_msg *h = ps_last(p);

		assert_int_equal(h->sadb_msg_type, SADB_ADD);
		assert_int_equal(h->sadb_msg_errno, 0);
		assert_int_equal(h->sadb_msg_seq, 77);
		assert_int_equal(h->sadb_msg_pid, 4242);
		assert_int_equal(h->sadb_msg_satype, SADB_SATYPE_ESP);
		assert_int_equal(ps_spi(p, p->n - 1), 0x2001);
	}
	assert_int_equal(ps_with_keys(&f.snd) + ps_with_keys(&f.oth) + ps_with_keys(&f.reg), 0);
	/* The promiscuous socket saw the request as sent (keys and all), then the broadcast. */
	assert_int_equal(ps_hdr(&f.pro, 0)->sadb_msg_type, SADB_ADD);
	assert_int_equal(ps_with_keys(&f.pro), 1);
	assert_int_equal(STAT_GET(SA(t), pfkey_out_msgs) - out0, 5);
	four_close(&f);
	assert_int_equal(pfkey_sock_count(SA(t)), 0);
	assert_null(SA(t)->pfkey);
}

/* A refused request: the errno to the sender alone (and the promiscuous socket's copies). */
static void test_refusals(void **state)
{
	struct lab_pair *t = *state;
	struct pfkey_buf b;
	struct four f;

	four_open(&f, SA(t));
	build_esp(&b, SADB_ADD, 1, A6, B6, 0x2001, 0, 0);
	assert_int_equal(ps_input(&f.snd, &b), 0);
	four_clear(&f);
	build_esp(&b, SADB_ADD, 2, A6, B6, 0x2001, 0, 0);
	assert_int_equal(ps_input(&f.snd, &b), -EEXIST);
	assert_int_equal(f.snd.n, 1);
	assert_int_equal(ps_last(&f.snd)->sadb_msg_errno, EEXIST);
	assert_int_equal(ps_last(&f.snd)->sadb_msg_seq, 2);
	assert_int_equal(ps_last(&f.snd)->sadb_msg_len, 2);    /* the header alone */
	assert_int_equal(f.oth.n + f.reg.n, 0);
	assert_int_equal(f.pro.n, 2);                          /* the request and the error */
	four_clear(&f);
	build_id(&b, SADB_DELETE, SADB_SATYPE_ESP, 3, A6, B6, 0x9999);
	assert_int_equal(ps_input(&f.snd, &b), -ESRCH);
	build_id(&b, SADB_GET, SADB_SATYPE_ESP, 4, A6, B6, 0x9999);
	assert_int_equal(ps_input(&f.snd, &b), -ESRCH);
	build_esp(&b, SADB_UPDATE, 5, A6, B6, 0x9999, 0, 0);
	assert_int_equal(ps_input(&f.snd, &b), -ESRCH);
	build_base(&b, SADB_REGISTER, SADB_SATYPE_ESP, 6);
	assert_int_equal(ps_input(&f.reg, &b), -EEXIST);
	build_base(&b, SADB_X_PROMISC, 2, 7);
	assert_int_equal(ps_input(&f.snd, &b), -EINVAL);
	build_base(&b, SADB_EXPIRE, SADB_SATYPE_ESP, 8);        /* node -> client only */
	assert_true(ps_input(&f.snd, &b) < 0);
	build_base(&b, SADB_X_MIGRATE, 0, 9);
	assert_int_equal(ps_input(&f.snd, &b), -EOPNOTSUPP);
	build_base(&b, SADB_FLUSH, SADB_SATYPE_RSVP, 10);
	assert_int_equal(ps_input(&f.snd, &b), -EOPNOTSUPP);
	for (unsigned i = 0; i < f.snd.n; i++)
		assert_int_not_equal(ps_hdr(&f.snd, i)->sadb_msg_errno, 0);
	assert_int_equal(f.oth.n, 0);
	assert_int_equal(STAT_GET(SA(t), pfkey_in_unsupported), 2);
	four_close(&f);
}

/* Badly framed messages: the codec's errno comes back, nothing changes, nothing crashes. */
static void test_malformed_framing(void **state)
{
	struct lab_pair *t = *state;
	uint64_t raw[64];
	struct pfkey_buf b;
	struct psock p;

	ps_open(&p, SA(t));
	/* Shorter than a header. */
	memset(raw, 0, sizeof(raw));
	assert_int_equal(pfkey_sock_input(p.s, raw, 8), -EMSGSIZE);
	assert_int_equal(ps_last(&p)->sadb_msg_errno, EMSGSIZE);
	/* Declared length != received length. */
	build_esp(&b, SADB_ADD, 11, A6, B6, 0x2002, 0, 0);
	assert_int_equal(pfkey_buf_finish(&b), 0);
	assert_int_equal(pfkey_sock_input(p.s, b.data, b.len - 8), -EMSGSIZE);
	assert_int_equal(ps_last(&p)->sadb_msg_seq, 11);
	/* Wrong version. */
	((struct sadb_msg *)(void *)b.data)->sadb_msg_version = 1;
	assert_int_equal(pfkey_sock_input(p.s, b.data, b.len), -EINVAL);
	/* An errno in a request that is not an ACQUIRE report. */
	((struct sadb_msg *)(void *)b.data)->sadb_msg_version = PF_KEY_V2;
	((struct sadb_msg *)(void *)b.data)->sadb_msg_errno = EPERM;
	assert_true(pfkey_sock_input(p.s, b.data, b.len) < 0);
	/* Unaligned input is fine: the server copies it. */
	((struct sadb_msg *)(void *)b.data)->sadb_msg_errno = 0;
	memcpy((uint8_t *)raw + 1, b.data, b.len);
	assert_int_equal(pfkey_sock_input(p.s, (uint8_t *)raw + 1, b.len), 0);
	pfkey_buf_free(&b);
	assert_int_equal(xfrm_state_count(SA(t)), 1);
	{
		unsigned ok = 0;

		for (unsigned i = 0; i < p.n; i++)
			ok += ps_hdr(&p, i)->sadb_msg_errno == 0;
		assert_int_equal(ok, 1);                 /* the ADD's broadcast */
	}
	assert_int_equal(STAT_GET(SA(t), pfkey_in_malformed), 4);
	assert_int_equal(p.bad, 0);
	ps_close(&p);
}

/* Well framed but wrong inside, or of no known type; and the owner's reject path. */
static void test_malformed_content(void **state)
{
	struct lab_pair *t = *state;
	uint64_t raw[64];
	struct sadb_msg *h = (struct sadb_msg *)raw;
	struct pfkey_buf b;
	struct psock p;

	ps_open(&p, SA(t));
	/* ADD without its SA extension. */
	build_base(&b, SADB_ADD, SADB_SATYPE_ESP, 12);
	add_addr(&b, SADB_EXT_ADDRESS_SRC, A6);
	add_addr(&b, SADB_EXT_ADDRESS_DST, B6);
	assert_int_equal(ps_input(&p, &b), -EINVAL);
	/* A key of the wrong length for AES-CBC: refused by the SAD. */
	build_esp(&b, SADB_ADD, 13, A6, B6, 0x2003, 0, 0);
	assert_int_equal(pfkey_buf_finish(&b), 0);
	{
		struct pfkey_msg m;
		struct sadb_key *k;

		assert_int_equal(pfkey_parse(b.data, b.len, &m), 0);
		k = (struct sadb_key *)(void *)m.ext[SADB_EXT_KEY_ENCRYPT];
		k->sadb_key_bits = 64;
	}
	assert_int_equal(ps_input(&p, &b), -EINVAL);
	/* A header of type 0 and one past the table. */
	memset(raw, 0, sizeof(raw));
	h->sadb_msg_version = PF_KEY_V2;
	h->sadb_msg_len = 2;
	assert_true(pfkey_sock_input(p.s, raw, 16) < 0);
	h->sadb_msg_type = 200;
	assert_true(pfkey_sock_input(p.s, raw, 16) < 0);
	for (unsigned i = 0; i < p.n; i++)
		assert_int_not_equal(ps_hdr(&p, i)->sadb_msg_errno, 0);
	assert_int_equal(xfrm_state_count(SA(t)), 0);
	/* The owner's reject path (a packet over its size limit). */
	ps_clear(&p);
	h->sadb_msg_type = SADB_ADD;
	h->sadb_msg_seq = 99;
	pfkey_sock_reject(p.s, raw, 16, -EMSGSIZE);
	assert_int_equal(ps_last(&p)->sadb_msg_errno, EMSGSIZE);
	assert_int_equal(ps_last(&p)->sadb_msg_seq, 99);
	assert_int_equal(STAT_GET(SA(t), pfkey_in_too_big), 1);
	assert_int_equal(p.bad, 0);
	ps_close(&p);
}

/* GET carries keys, to the sender only; DELETE is broadcast and removes the SA. */
static void test_get_delete(void **state)
{
	struct lab_pair *t = *state;
	struct pfkey_buf b;
	struct four f;
	struct pfkey_msg m;
	unsigned bits;
	uint8_t ek[16], ak[32];

	four_open(&f, SA(t));
	build_esp(&b, SADB_ADD, 1, A6, B6, 0x2001, 0, 0);
	assert_int_equal(ps_input(&f.snd, &b), 0);
	four_clear(&f);
	build_id(&b, SADB_GET, SADB_SATYPE_ESP, 5, A6, B6, 0x2001);
	assert_int_equal(ps_input(&f.oth, &b), 0);
	assert_int_equal(f.oth.n, 1);
	assert_int_equal(f.snd.n + f.reg.n, 0);
	assert_int_equal(ps_last(&f.oth)->sadb_msg_type, SADB_GET);
	ps_parse(&f.oth, 0, &m);
	lab_keys(0x2001, ek, ak);
	assert_memory_equal(pfkey_get_key(&m, SADB_EXT_KEY_ENCRYPT, &bits), ek, 16);
	assert_int_equal(bits, 128);
	assert_memory_equal(pfkey_get_key(&m, SADB_EXT_KEY_AUTH, &bits), ak, 32);
	assert_non_null(m.ext[SADB_EXT_LIFETIME_CURRENT]);
	four_clear(&f);
	build_id(&b, SADB_DELETE, SADB_SATYPE_ESP, 6, A6, B6, 0x2001);
	assert_int_equal(ps_input(&f.oth, &b), 0);
	assert_int_equal(xfrm_state_count(SA(t)), 0);
	for (struct psock *p = &f.snd; p <= &f.reg; p++) {
		assert_int_equal(ps_count(p, SADB_DELETE), p == &f.pro ? 2 : 1);
		assert_int_equal(ps_spi(p, p->n - 1), 0x2001);
		assert_int_equal(ps_last(p)->sadb_msg_seq, 6);
	}
	assert_int_equal(ps_with_keys(&f.snd) + ps_with_keys(&f.oth) + ps_with_keys(&f.reg) +
			 ps_with_keys(&f.pro), 0);
	four_close(&f);
}

static unsigned n_algs(const struct pfkey_msg *m, unsigned type)
{
	const struct sadb_supported *s = PFKEY_EXT(m, type, sadb_supported);

	return s ? (PFKEY_UNUNIT64(s->sadb_supported_len) - sizeof(*s)) / sizeof(struct sadb_alg) : 0;
}

/* REGISTER: the SUPPORTED lists, to the sockets registered for the type. */
static void test_register(void **state)
{
	struct lab_pair *t = *state;
	struct psock r1, r2, o;
	struct pfkey_buf b;
	struct pfkey_msg m;

	ps_open(&r1, SA(t));
	ps_open(&r2, SA(t));
	ps_open(&o, SA(t));
	build_base(&b, SADB_REGISTER, SADB_SATYPE_ESP, 1);
	assert_int_equal(ps_input(&r1, &b), 0);
	assert_int_equal(r1.n, 1);
	ps_parse(&r1, 0, &m);
	assert_true(n_algs(&m, SADB_EXT_SUPPORTED_AUTH) >= 6);
	assert_true(n_algs(&m, SADB_EXT_SUPPORTED_ENCRYPT) >= 8);
	build_base(&b, SADB_REGISTER, SADB_SATYPE_ESP, 2);
	assert_int_equal(ps_input(&r2, &b), 0);
	assert_int_equal(r1.n, 2);            /* registered for ESP: sees r2's too */
	assert_int_equal(r2.n, 1);
	assert_int_equal(o.n, 0);
	/* AH lists no ciphers; UNSPEC answers the sender only and registers nothing. */
	build_base(&b, SADB_REGISTER, SADB_SATYPE_AH, 3);
	assert_int_equal(ps_input(&o, &b), 0);
	ps_parse(&o, 0, &m);
	assert_true(n_algs(&m, SADB_EXT_SUPPORTED_AUTH) >= 6);
	assert_null(m.ext[SADB_EXT_SUPPORTED_ENCRYPT]);
	build_base(&b, SADB_REGISTER, SADB_SATYPE_UNSPEC, 4);
	assert_int_equal(ps_input(&r1, &b), 0);
	assert_int_equal(r1.n, 3);
	assert_int_equal(r2.n, 1);
	build_base(&b, SADB_REGISTER, SADB_SATYPE_UNSPEC, 5);
	assert_int_equal(ps_input(&r1, &b), 0);      /* UNSPEC twice is fine */
	assert_int_equal(r1.bad + r2.bad + o.bad, 0);
	ps_close(&r1);
	ps_close(&r2);
	ps_close(&o);
}

/* A: policy out A->B UDP requires ESP transport. */
static struct xfrm_policy *require_esp(struct lab_pair *t)
{
	struct xfrm_selector ab = lab_sel(A6, 128, B6, 128, IPPROTO_UDP);
	struct xfrm_tmpl tm = lab_tmpl(IPPROTO_ESP, XFRM_TMPL_TRANSPORT, NULL, NULL, XFRM_LEVEL_REQUIRE);

	return lab_pol(SA(t), &ab, XFRM_DIR_OUT, XFRM_ACT_IPSEC, 1, &tm);
}

/* Checks the ACQUIRE in message @i of @p for A6 -> B6 and policy @index; returns its seq. */
static uint32_t check_acquire(const struct psock *p, unsigned i, uint32_t index)
{
	const struct sadb_x_policy *xp;
	struct pfkey_addr s, d;
	struct pfkey_msg m;
	struct in6_addr a6 = lab_addr(A6, NULL), b6 = lab_addr(B6, NULL);

	ps_parse(p, i, &m);
	assert_int_equal(m.hdr->sadb_msg_type, SADB_ACQUIRE);
	assert_int_equal(m.hdr->sadb_msg_satype, SADB_SATYPE_ESP);
	assert_int_equal(m.hdr->sadb_msg_pid, 0);
	assert_int_equal(pfkey_get_address(&m, SADB_EXT_ADDRESS_SRC, &s), 0);
	assert_int_equal(pfkey_get_address(&m, SADB_EXT_ADDRESS_DST, &d), 0);
	assert_true(in6_equal(&s.addr, &a6) && in6_equal(&d.addr, &b6));
	xp = PFKEY_EXT(&m, SADB_X_EXT_POLICY, sadb_x_policy);
	assert_non_null(xp);
	assert_int_equal(xp->sadb_x_policy_id, index);
	assert_int_equal(xp->sadb_x_policy_dir, IPSEC_DIR_OUTBOUND);
	assert_non_null(m.ext[SADB_EXT_PROPOSAL]);
	assert_true(PFKEY_UNUNIT64((size_t)m.ext[SADB_EXT_PROPOSAL]->sadb_ext_len) >
		    sizeof(struct sadb_prop) + 8 * sizeof(struct sadb_comb));
	return m.hdr->sadb_msg_seq;
}

/*
 * The key-daemon flow: REGISTER, a packet needs an SA -> one ACQUIRE to
 * the registered socket; GETSPI with the ACQUIRE's seq -> the larval SA's
 * SPI; UPDATE with keys -> MATURE, broadcast; the next packet flows
 * protected to B, which got its SA by ADD on its own PF_KEY socket.
 */
static void test_acquire_getspi_update(void **state)
{
	struct lab_pair *t = *state;
	struct in6_addr b6 = lab_addr(B6, NULL);
	struct xfrm_policy *pol = require_esp(t);
	struct psock peer;
	struct pfkey_buf b;
	struct xfrm_state *x;
	struct usock *sb;
	struct four f;
	uint32_t seq, spi;

	four_open(&f, SA(t));
	ps_open(&peer, SB(t));
	sb = lab_udp_bound(SB(t), AF_INET6, 7000);
	assert_int_equal(lab_udp_send(SA(t), B6, 7000, "one"), -EAGAIN);
	assert_int_equal(lab_udp_send(SA(t), B6, 7000, "two"), -EAGAIN);
	lab_pump(t->l, 1);
	/* Exactly one ACQUIRE, to the registered socket (and the promiscuous one's copy). */
	assert_int_equal(f.reg.n, 1);
	seq = check_acquire(&f.reg, 0, pol->index);
	assert_int_not_equal(seq, 0);
	assert_int_equal(f.pro.n, 1);
	assert_int_equal(f.snd.n + f.oth.n, 0);
	assert_int_equal(STAT_GET(SA(t), pfkey_acquire_sent), 1);
	four_clear(&f);
	/* GETSPI answering it: to the sender only, LARVAL, SPI in range. */
	build_base(&b, SADB_GETSPI, SADB_SATYPE_ESP, seq);
	add_addr(&b, SADB_EXT_ADDRESS_SRC, A6);
	add_addr(&b, SADB_EXT_ADDRESS_DST, B6);
	pfkey_add_spirange(&b, 0x3000, 0x3fff);
	assert_int_equal(ps_input(&f.reg, &b), 0);
	assert_int_equal(f.reg.n, 1);
	assert_int_equal(f.snd.n + f.oth.n, 0);
	assert_int_equal(ps_last(&f.reg)->sadb_msg_seq, seq);
	spi = ps_spi(&f.reg, 0);
	assert_true(spi >= 0x3000 && spi <= 0x3fff);
	x = xfrm_state_get(SA(t), &b6, spi, IPPROTO_ESP);
	assert_non_null(x);
	assert_int_equal(x->state, XFRM_STATE_LARVAL);
	assert_ptr_equal(xfrm_state_find_seq(SA(t), seq), x);   /* the ACQUIRE's own larval SA */
	/* B gets the inbound SA by ADD on its own socket. */
	build_esp(&b, SADB_ADD, 1, A6, B6, spi, 0, 0);
	assert_int_equal(ps_input(&peer, &b), 0);
	four_clear(&f);
	/* UPDATE with keys: mature, broadcast to all without keys. */
	build_esp(&b, SADB_UPDATE, seq, A6, B6, spi, 0, 0);
	assert_int_equal(ps_input(&f.reg, &b), 0);
	assert_int_equal(x->state, XFRM_STATE_MATURE);
	for (struct psock *p = &f.snd; p <= &f.reg; p++)
		assert_int_equal(ps_count(p, SADB_UPDATE), p == &f.pro ? 2 : 1);
	assert_int_equal(ps_with_keys(&f.snd) + ps_with_keys(&f.oth) + ps_with_keys(&f.reg), 0);
	assert_int_equal(lab_udp_send(SA(t), B6, 7000, "protected"), 9);
	lab_pump(t->l, 1);
	assert_true(lab_got(sb, "protected"));
	assert_int_equal(lab_count(t->l, t->k, AF_INET6, IPPROTO_ESP), 1);
	assert_int_equal(lab_count(t->l, t->k, AF_INET6, IPPROTO_UDP), 0);
	usagi_close(sb);
	assert_int_equal(peer.bad, 0);
	ps_close(&peer);
	four_close(&f);
}

/* A daemon's failed ACQUIRE kills the larval SA quietly; the next packet asks again. */
static void test_acquire_failed(void **state)
{
	struct lab_pair *t = *state;
	struct pfkey_buf b;
	struct four f;
	uint32_t seq;

	require_esp(t);
	four_open(&f, SA(t));
	assert_int_equal(lab_udp_send(SA(t), B6, 7000, "x"), -EAGAIN);
	assert_int_equal(f.reg.n, 1);
	seq = ps_last(&f.reg)->sadb_msg_seq;
	assert_non_null(xfrm_state_find_seq(SA(t), seq));
	four_clear(&f);
	build_base(&b, SADB_ACQUIRE, SADB_SATYPE_ESP, seq);
	pfkey_set_errno(&b, ENOENT);
	assert_int_equal(ps_input(&f.reg, &b), 0);
	assert_null(xfrm_state_find_seq(SA(t), seq));
	assert_int_equal(f.snd.n + f.oth.n + f.reg.n, 0);     /* no reply, no DELETE broadcast */
	assert_int_equal(f.pro.n, 1);                         /* the report itself */
	assert_int_equal(STAT_GET(SA(t), pfkey_acquire_failed), 1);
	usagi_stack_advance(SA(t), SA(t)->now + NS_PER_SEC);  /* the ACQUIRE rate limit */
	assert_int_equal(lab_udp_send(SA(t), B6, 7000, "x"), -EAGAIN);
	assert_int_equal(f.reg.n, 1);
	assert_int_not_equal(ps_last(&f.reg)->sadb_msg_seq, seq);
	/* Nobody registered: counted as unheard. */
	four_close(&f);
	xfrm_state_flush(SA(t), 0);
	usagi_stack_advance(SA(t), SA(t)->now + NS_PER_SEC);
	{
		struct psock p;

		ps_open(&p, SA(t));
		assert_int_equal(lab_udp_send(SA(t), B6, 7000, "x"), -EAGAIN);
		assert_int_equal(p.n, 0);
		assert_int_equal(STAT_GET(SA(t), pfkey_acquire_unheard), 1);
		ps_close(&p);
	}
}

/* The limit that ran out, and only it: daemons tell soft from hard by which extension is there. */
static void check_expire(const struct psock *p, unsigned i, bool hard, uint32_t spi)
{
	struct pfkey_msg m;

	ps_parse(p, i, &m);
	assert_int_equal(m.hdr->sadb_msg_type, SADB_EXPIRE);
	assert_int_equal(m.hdr->sadb_msg_satype, SADB_SATYPE_ESP);
	assert_int_equal(pfkey_get_spi(&m), spi);
	assert_non_null(m.ext[SADB_EXT_LIFETIME_CURRENT]);
	assert_true(!!m.ext[SADB_EXT_LIFETIME_HARD] == hard);
	assert_true(!!m.ext[SADB_EXT_LIFETIME_SOFT] == !hard);
	assert_non_null(m.ext[SADB_EXT_ADDRESS_SRC]);
	assert_non_null(m.ext[SADB_EXT_ADDRESS_DST]);
	assert_null(m.ext[SADB_EXT_KEY_ENCRYPT]);
}

/* Soft then hard EXPIRE on the clock, to every socket (RFC 2367 3.1.8). */
static void test_expire(void **state)
{
	struct lab_pair *t = *state;
	struct in6_addr b6 = lab_addr(B6, NULL);
	struct xfrm_state *x;
	struct pfkey_buf b;
	struct four f;
	uint64_t t0 = SA(t)->now;

	four_open(&f, SA(t));
	build_esp(&b, SADB_ADD, 1, A6, B6, 0x2001, 10, 20);
	assert_int_equal(ps_input(&f.snd, &b), 0);
	four_clear(&f);
	x = xfrm_state_get(SA(t), &b6, 0x2001, IPPROTO_ESP);
	assert_non_null(x);
	usagi_stack_advance(SA(t), t0 + 9 * NS_PER_SEC);
	assert_int_equal(f.snd.n + f.oth.n + f.pro.n + f.reg.n, 0);
	usagi_stack_advance(SA(t), t0 + 11 * NS_PER_SEC);
	assert_int_equal(x->state, XFRM_STATE_DYING);
	for (struct psock *p = &f.snd; p <= &f.reg; p++) {
		assert_int_equal(p->n, 1);
		check_expire(p, 0, false, 0x2001);
	}
	usagi_stack_advance(SA(t), t0 + 21 * NS_PER_SEC);
	assert_null(xfrm_state_get(SA(t), &b6, 0x2001, IPPROTO_ESP));
	for (struct psock *p = &f.snd; p <= &f.reg; p++) {
		assert_int_equal(p->n, 2);
		check_expire(p, 1, true, 0x2001);
	}
	assert_int_equal(STAT_GET(SA(t), pfkey_expire_sent), 2);
	four_close(&f);
}

/* A GETSPI nobody completes: the larval SA's hard EXPIRE after 30 s. */
static void test_larval_expire(void **state)
{
	struct lab_pair *t = *state;
	struct pfkey_buf b;
	struct psock p;
	uint32_t spi;

	ps_open(&p, SA(t));
	build_base(&b, SADB_GETSPI, SADB_SATYPE_ESP, 5);
	add_addr(&b, SADB_EXT_ADDRESS_SRC, B6);
	add_addr(&b, SADB_EXT_ADDRESS_DST, A6);
	assert_int_equal(ps_input(&p, &b), 0);
	spi = ps_spi(&p, 0);
	assert_true(spi >= XFRM_SPI_MIN && spi <= 0x0fffffff);
	usagi_stack_advance(SA(t), SA(t)->now + (XFRM_LARVAL_LIFETIME_S + 1) * NS_PER_SEC);
	assert_int_equal(p.n, 2);
	assert_int_equal(ps_last(&p)->sadb_msg_type, SADB_EXPIRE);
	assert_int_equal(ps_spi(&p, 1), spi);
	assert_int_equal(xfrm_state_count(SA(t)), 0);
	/* An empty SPI range: refused. */
	build_base(&b, SADB_GETSPI, SADB_SATYPE_ESP, 6);
	add_addr(&b, SADB_EXT_ADDRESS_SRC, B6);
	add_addr(&b, SADB_EXT_ADDRESS_DST, A6);
	pfkey_add_spirange(&b, 0x10, 0x20);          /* below XFRM_SPI_MIN */
	assert_int_equal(ps_input(&p, &b), -EINVAL);
	assert_int_equal(p.bad, 0);
	ps_close(&p);
}

/* FLUSH by SA type: only that type goes; broadcast to all. */
static void test_flush(void **state)
{
	struct lab_pair *t = *state;
	struct pfkey_buf b;
	struct four f;

	four_open(&f, SA(t));
	lab_sa(SA(t), IPPROTO_AH, XFRM_MODE_TRANSPORT, A6, B6, 0x500, LAB_GCM);
	build_esp(&b, SADB_ADD, 1, A6, B6, 0x2001, 0, 0);
	assert_int_equal(ps_input(&f.snd, &b), 0);
	four_clear(&f);
	build_base(&b, SADB_FLUSH, SADB_SATYPE_ESP, 9);
	assert_int_equal(ps_input(&f.oth, &b), 0);
	assert_int_equal(xfrm_state_count(SA(t)), 1);
	for (struct psock *p = &f.snd; p <= &f.reg; p++) {
		assert_int_equal(ps_count(p, SADB_FLUSH), p == &f.pro ? 2 : 1);
		assert_int_equal(ps_last(p)->sadb_msg_satype, SADB_SATYPE_ESP);
		assert_int_equal(ps_last(p)->sadb_msg_seq, 9);
	}
	build_base(&b, SADB_FLUSH, SADB_SATYPE_UNSPEC, 10);
	assert_int_equal(ps_input(&f.oth, &b), 0);
	assert_int_equal(xfrm_state_count(SA(t)), 0);
	four_close(&f);
}

/* X_PROMISC on and off; the promiscuous socket sees others' requests and replies. */
static void test_promisc(void **state)
{
	struct lab_pair *t = *state;
	struct psock a, m;
	struct pfkey_buf b;

	ps_open(&a, SA(t));
	ps_open(&m, SA(t));
	build_base(&b, SADB_X_PROMISC, 1, 1);
	assert_int_equal(ps_input(&m, &b), 0);
	assert_int_equal(m.n, 1);                        /* the echo */
	build_base(&b, SADB_REGISTER, SADB_SATYPE_AH, 2);
	assert_int_equal(ps_input(&a, &b), 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(m.n, 3);                        /* request + reply */
	assert_int_equal(ps_hdr(&m, 1)->sadb_msg_type, SADB_REGISTER);
	build_base(&b, SADB_X_PROMISC, 0, 3);
	assert_int_equal(ps_input(&m, &b), 0);
	ps_clear(&m);
	build_base(&b, SADB_REGISTER, SADB_SATYPE_ESP, 4);
	assert_int_equal(ps_input(&a, &b), 0);
	assert_int_equal(m.n, 0);
	assert_int_equal(a.bad + m.bad, 0);
	ps_close(&a);
	ps_close(&m);
}

/* SPDADD/UPDATE/SETIDX broadcast the stored policy, SPDGET answers the sender; errors. */
static void test_spd_add(void **state)
{
	struct lab_pair *t = *state;
	struct xfrm_policy p1 = policy(A6, B6, XFRM_DIR_OUT), p2 = policy(B6, A6, XFRM_DIR_IN);
	struct pfkey_buf b;
	struct four f;
	uint32_t id1, id2;

	four_open(&f, SA(t));
	build_spd(&b, SADB_X_SPDADD, 1, &p1);
	assert_int_equal(ps_input(&f.snd, &b), 0);
	assert_int_equal(xfrm_policy_count(SA(t)), 1);
	for (struct psock *p = &f.snd; p <= &f.reg; p++)
		assert_int_equal(ps_count(p, SADB_X_SPDADD), p == &f.pro ? 2 : 1);
	id1 = ps_policy_id(&f.oth, 0);
	assert_non_null(xfrm_policy_get(SA(t), id1));
	assert_int_equal(id1 & 7, XFRM_DIR_OUT);
	four_clear(&f);
	build_spd(&b, SADB_X_SPDADD, 2, &p1);
	assert_int_equal(ps_input(&f.snd, &b), -EEXIST);
	assert_int_equal(f.oth.n, 0);
	/* SPD messages take SA type UNSPEC. */
	build_spd(&b, SADB_X_SPDADD, 11, &p2);
	((struct sadb_msg *)(void *)b.data)->sadb_msg_satype = SADB_SATYPE_ESP;
	assert_int_equal(ps_input(&f.oth, &b), -EINVAL);
	four_clear(&f);
	/* SPDUPDATE keeps the id; SETIDX adds like SPDADD. */
	p1.priority = 5;
	build_spd(&b, SADB_X_SPDUPDATE, 3, &p1);
	assert_int_equal(ps_input(&f.snd, &b), 0);
	assert_int_equal(ps_policy_id(&f.oth, 0), id1);
	assert_int_equal(xfrm_policy_get(SA(t), id1)->priority, 5);
	build_spd(&b, SADB_X_SPDSETIDX, 4, &p2);
	assert_int_equal(ps_input(&f.snd, &b), 0);
	id2 = ps_policy_id(&f.oth, 1);
	assert_int_not_equal(id2, id1);
	assert_int_equal(id2 & 7, XFRM_DIR_IN);
	assert_int_equal(xfrm_policy_count(SA(t)), 2);
	four_clear(&f);
	/* SPDGET: to the sender. */
	build_base(&b, SADB_X_SPDGET, 0, 5);
	pfkey_add_policy_id(&b, IPSEC_POLICY_IPSEC, IPSEC_DIR_OUTBOUND, id1, 0);
	assert_int_equal(ps_input(&f.oth, &b), 0);
	assert_int_equal(f.oth.n, 1);
	assert_int_equal(f.snd.n + f.reg.n, 0);
	assert_int_equal(ps_policy_id(&f.oth, 0), id1);
	build_base(&b, SADB_X_SPDGET, 0, 6);
	pfkey_add_policy_id(&b, IPSEC_POLICY_IPSEC, IPSEC_DIR_OUTBOUND, 12345 << 3 | 1, 0);
	assert_int_equal(ps_input(&f.oth, &b), -ENOENT);
	four_close(&f);
}

/* SPDDELETE2 by id, SPDDELETE by selector, SPDFLUSH: broadcast. */
static void test_spd_delete(void **state)
{
	struct lab_pair *t = *state;
	struct xfrm_policy p1 = policy(A6, B6, XFRM_DIR_OUT), p2 = policy(B6, A6, XFRM_DIR_IN);
	struct pfkey_buf b;
	struct four f;
	uint32_t id2;

	lab_pol(SA(t), &p1.sel, XFRM_DIR_OUT, XFRM_ACT_IPSEC, 1, p1.tmpl);
	id2 = lab_pol(SA(t), &p2.sel, XFRM_DIR_IN, XFRM_ACT_IPSEC, 1, p2.tmpl)->index;
	four_open(&f, SA(t));
	build_base(&b, SADB_X_SPDDELETE2, 0, 7);
	pfkey_add_policy_id(&b, IPSEC_POLICY_IPSEC, IPSEC_DIR_INBOUND, id2, 0);
	assert_int_equal(ps_input(&f.oth, &b), 0);
	assert_null(xfrm_policy_get(SA(t), id2));
	assert_int_equal(ps_count(&f.snd, SADB_X_SPDDELETE2), 1);
	assert_int_equal(ps_policy_id(&f.snd, 0), id2);
	build_spd(&b, SADB_X_SPDDELETE, 8, &p1);
	assert_int_equal(ps_input(&f.oth, &b), 0);
	assert_int_equal(xfrm_policy_count(SA(t)), 0);
	assert_int_equal(ps_count(&f.reg, SADB_X_SPDDELETE), 1);
	build_spd(&b, SADB_X_SPDDELETE, 9, &p1);
	assert_int_equal(ps_input(&f.oth, &b), -ENOENT);
	/* SPDFLUSH. */
	lab_pol(SA(t), &p1.sel, XFRM_DIR_OUT, XFRM_ACT_BLOCK, 0, NULL);
	four_clear(&f);
	build_base(&b, SADB_X_SPDFLUSH, 0, 10);
	assert_int_equal(ps_input(&f.oth, &b), 0);
	assert_int_equal(xfrm_policy_count(SA(t)), 0);
	for (struct psock *p = &f.snd; p <= &f.reg; p++)
		assert_int_equal(ps_count(p, SADB_X_SPDFLUSH), p == &f.pro ? 2 : 1);
	four_close(&f);
}

/* SAD changes made without PF_KEY (ctl setkey, the data plane) reach every socket with seq 0. */
static void test_outside_changes(void **state)
{
	struct lab_pair *t = *state;
	struct psock p;

	ps_open(&p, SA(t));
	lab_sa(SA(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, A6, B6, 0x700, LAB_GCM);
	assert_int_equal(p.n, 1);
	assert_int_equal(ps_last(&p)->sadb_msg_type, SADB_ADD);
	assert_int_equal(ps_last(&p)->sadb_msg_seq, 0);
	assert_int_equal(ps_last(&p)->sadb_msg_pid, 0);
	assert_int_equal(ps_with_keys(&p), 0);
	xfrm_state_flush(SA(t), 0);
	assert_int_equal(ps_last(&p)->sadb_msg_type, SADB_FLUSH);
	assert_int_equal(ps_last(&p)->sadb_msg_satype, SADB_SATYPE_UNSPEC);
	/* A client whose queue is full loses the message; it is counted. */
	p.fail = true;
	lab_sa(SA(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, A6, B6, 0x701, LAB_GCM);
	assert_int_equal(STAT_GET(SA(t), pfkey_out_dropped), 1);
	assert_int_equal(p.bad, 0);
	ps_close(&p);
}

/* Random bytes and mutated valid messages: answered, never a crash, every reply well formed. */
static void test_random_input(void **state)
{
	struct lab_pair *t = *state;
	struct pfkey_buf b;
	struct psock p;
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	ps_open(&p, SA(t));
	for (unsigned i = 0; i < 4000; i++) {
		uint64_t buf[64];
		size_t len;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		if (i % 3 == 0) {
			build_esp(&b, (uint8_t)(1 + seed % SADB_MAX), (uint32_t)i, A6, B6,
				  0x4000 + (uint32_t)(seed >> 40) % 64, 0, 0);
		} else {
			build_id(&b, (uint8_t)(seed % (SADB_MAX + 2)), (uint8_t)(seed >> 8) % 12,
				 (uint32_t)i, A6, B6, 0x4000 + (uint32_t)(seed >> 40) % 64);
		}
		assert_int_equal(pfkey_buf_finish(&b), 0);
		len = MIN(b.len, sizeof(buf));
		memcpy(buf, b.data, len);
		pfkey_buf_free(&b);
		for (int k = 0; k < 1 + (int)(seed >> 60); k++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			((uint8_t *)buf)[(seed >> 33) % len] ^= (uint8_t)(1u << ((seed >> 20) & 7));
		}
		if ((seed >> 50) % 5 == 0)
			len = (seed >> 13) % len;
		pfkey_sock_input(p.s, buf, len);
		while (pfkey_sock_dumping(p.s))
			pfkey_sock_dump_more(p.s, 100);
		ps_clear(&p);
		usagi_stack_advance(SA(t), SA(t)->now + NS_PER_MS);
	}
	assert_int_equal(p.bad, 0);
	ps_close(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PAIR_TEST(test_add_broadcast),
		PAIR_TEST(test_refusals),
		PAIR_TEST(test_malformed_framing),
		PAIR_TEST(test_malformed_content),
		PAIR_TEST(test_get_delete),
		PAIR_TEST(test_register),
		PAIR_TEST(test_acquire_getspi_update),
		PAIR_TEST(test_acquire_failed),
		PAIR_TEST(test_expire),
		PAIR_TEST(test_larval_expire),
		PAIR_TEST(test_flush),
		PAIR_TEST(test_promisc),
		PAIR_TEST(test_spd_add),
		PAIR_TEST(test_spd_delete),
		PAIR_TEST(test_outside_changes),
		PAIR_TEST(test_random_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
