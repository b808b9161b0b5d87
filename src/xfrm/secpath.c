/*
 * The security path of a packet (pkt->sp): references to the SAs that
 * decapsulated it, dropped when the packet is freed.
 */
#include "core/pkt.h"
#include "xfrm/xfrm.h"

void pkt_sp_release(struct pkt *p)
{
	for (unsigned i = 0; i < p->sp_len; i++)
		xfrm_state_put(p->sp[i]);
	p->sp_len = 0;
}

void pkt_sp_hold(struct pkt *p)
{
	for (unsigned i = 0; i < p->sp_len; i++)
		xfrm_state_hold(p->sp[i]);
}
