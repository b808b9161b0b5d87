/*
 * Capture files through libpcap: a "dead" handle gives the file header
 * (LINKTYPE_ETHERNET, snaplen 65535) and pcap_dump() appends records.
 * Timestamps come from the caller's ns clock (a stack's or the sim world's),
 * so a simulated capture shows simulated time.
 */
#include <errno.h>
#include <stdlib.h>
#include <pcap/pcap.h>
#include "link/pcap.h"

#define PCAPW_SNAPLEN 65535

struct pcap_writer {
	pcap_t *dead;
	pcap_dumper_t *dumper;
};

struct pcap_writer *pcapw_open(const char *path)
{
	struct pcap_writer *w = calloc(1, sizeof(*w));

	if (!w) {
		errno = ENOMEM;
		return NULL;
	}
	w->dead = pcap_open_dead(DLT_EN10MB, PCAPW_SNAPLEN);
	if (!w->dead) {
		errno = ENOMEM;
		goto fail;
	}
	errno = 0;
	w->dumper = pcap_dump_open(w->dead, path);
	if (!w->dumper) {
		/* libpcap keeps the reason in a string; fopen() left errno set. */
		if (!errno)
			errno = EIO;
		goto fail;
	}
	return w;
fail:
	if (w->dead)
		pcap_close(w->dead);
	free(w);
	return NULL;
}

void pcapw_write(struct pcap_writer *w, uint64_t ts_ns, const void *frame, size_t len)
{
	struct pcap_pkthdr h;

	if (!w)
		return;
	h.ts.tv_sec = (time_t)(ts_ns / 1000000000ULL);
	h.ts.tv_usec = (suseconds_t)(ts_ns % 1000000000ULL / 1000);
	h.len = (bpf_u_int32)len;
	h.caplen = (bpf_u_int32)(len > PCAPW_SNAPLEN ? PCAPW_SNAPLEN : len);
	pcap_dump((u_char *)w->dumper, &h, frame);
}

void pcapw_flush(struct pcap_writer *w)
{
	if (w)
		pcap_dump_flush(w->dumper);
}

void pcapw_close(struct pcap_writer *w)
{
	if (!w)
		return;
	pcap_dump_close(w->dumper);
	pcap_close(w->dead);
	free(w);
}
