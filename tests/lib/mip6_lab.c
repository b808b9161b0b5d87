/* The Mobile IPv6 lab of the sim tests: see mip6_lab.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "mip6_lab.h"
#include "link/netdev.h"
#include "mip6/mip6.h"

static const struct sim_link_params lan = { .delay_ns = 1 * NS_PER_MS };
static const char *const pfx[] = { "2001:db8:1::", "2001:db8:2::", "2001:db8:3::" };

struct in6_addr mip6_lab_addr(const char *s)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static struct simhost *router(struct mip6_lab *m, const char *name, struct sim_segment *seg,
			      const char *p, const char *core_addr, uint8_t mac)
{
	struct simhost *r = simt_host(m->w, name);

	simt_attach(r, seg, "eth0", mac);
	simt_attach(r, m->core, "eth1", mac + 1);
	assert_int_equal(simt_cmd(r, "sysctl net.ipv6.conf.all.forwarding=1"), 0);
	assert_int_equal(simt_cmd(r, "link set eth0 up"), 0);
	assert_int_equal(simt_cmd(r, "link set eth1 up"), 0);
	assert_int_equal(simt_cmd(r, "addr add %s1/64 dev eth0 nodad", p), 0);
	assert_int_equal(simt_cmd(r, "addr add %s/64 dev eth1 nodad", core_addr), 0);
	assert_int_equal(simt_cmd(r, "ra eth0 prefix %s/64", p), 0);
	/* RFC 6275 7.5: MinRtrAdvInterval 30 ms, MaxRtrAdvInterval 70 ms. */
	assert_int_equal(simt_cmd(r, "ra eth0 interval 0.03 0.07"), 0);
	assert_int_equal(simt_cmd(r, "ra eth0 on"), 0);
	return r;
}

/* Routes to the three /64s through the core addresses in @via (NULL: on-link). */
static void routes(struct simhost *h, const char *const *via)
{
	for (int i = 0; i < 3; i++)
		if (via[i])
			assert_int_equal(simt_cmd(h, "route add %s/64 via %s", pfx[i], via[i]), 0);
}

void mip6_lab_build(struct mip6_lab *m, uint64_t seed)
{
	memset(m, 0, sizeof(*m));
	m->w = simt_world(seed);
	m->home = sim_segment_new(m->w, "home", &lan);
	m->f1 = sim_segment_new(m->w, "foreign1", &lan);
	m->f2 = sim_segment_new(m->w, "foreign2", &lan);
	m->core = sim_segment_new(m->w, "core", &lan);
	m->hoa = mip6_lab_addr("2001:db8:1::100");
	m->haaddr = mip6_lab_addr("2001:db8:1::1");
	m->cnaddr = mip6_lab_addr("2001:db8:ff::c");
	m->coa1 = mip6_lab_addr("2001:db8:2::ff:fe00:a");
	m->coa2 = mip6_lab_addr("2001:db8:3::ff:fe00:a");
	m->ha = router(m, "HA", m->home, pfx[0], "2001:db8:ff::1", 0x10);
	m->r2 = router(m, "R2", m->f1, pfx[1], "2001:db8:ff::2", 0x20);
	m->r3 = router(m, "R3", m->f2, pfx[2], "2001:db8:ff::3", 0x30);
	routes(m->ha, (const char *const[]){ NULL, "2001:db8:ff::2", "2001:db8:ff::3" });
	routes(m->r2, (const char *const[]){ "2001:db8:ff::1", NULL, "2001:db8:ff::3" });
	routes(m->r3, (const char *const[]){ "2001:db8:ff::1", "2001:db8:ff::2", NULL });
	m->cn = simt_host_up(m->w, "CN", m->core, 0x0c);
	assert_int_equal(simt_cmd(m->cn, "addr add 2001:db8:ff::c/64 dev eth0 nodad"), 0);
	routes(m->cn,
	       (const char *const[]){ "2001:db8:ff::1", "2001:db8:ff::2", "2001:db8:ff::3" });
	assert_int_equal(mip6_ha_enable(m->ha->st, netdev_by_name(m->ha->st, "eth0")), 0);
	assert_int_equal(mip6_cn_enable(m->cn->st, true), 0);

	m->mn = simt_host(m->w, "MN");
	m->mndev = simt_attach(m->mn, m->home, "eth0", 0x0a);
	/* RFC 4429: the care-of address is usable at once (11.5.2). */
	assert_int_equal(simt_cmd(m->mn, "sysctl net.ipv6.conf.eth0.optimistic_dad=1"), 0);
	assert_int_equal(simt_cmd(m->mn, "link set eth0 up"), 0);
}

void mip6_lab_start(struct mip6_lab *m, bool ro, unsigned lifetime_s)
{
	struct mip6_mn_conf c = { .hoa = m->hoa, .ha = m->haaddr, .dev = m->mndev, .ro = ro,
				  .lifetime_s = lifetime_s };

	assert_int_equal(mip6_mn_enable(m->mn->st, &c), 0);
	simt_run_ms(m->w, 3000);
}

void mip6_lab_free(struct mip6_lab *m)
{
	simt_host_free(m->ha);
	simt_host_free(m->r2);
	simt_host_free(m->r3);
	simt_host_free(m->cn);
	simt_host_free(m->mn);
	sim_world_free(m->w);
}
