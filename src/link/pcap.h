/* Capture files (libpcap, LINKTYPE_ETHERNET): record any link, in and out. */
#ifndef USAGI_LINK_PCAP_H
#define USAGI_LINK_PCAP_H

#include <stddef.h>
#include <stdint.h>

struct pcap_writer;

/* Opens @path for writing (truncates); NULL with errno on failure. */
struct pcap_writer *pcapw_open(const char *path);
/* Appends one frame with timestamp @ts_ns. */
void pcapw_write(struct pcap_writer *w, uint64_t ts_ns, const void *frame, size_t len);
void pcapw_flush(struct pcap_writer *w);
void pcapw_close(struct pcap_writer *w);

#endif
