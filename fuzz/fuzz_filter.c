/*
 * libFuzzer target for the filter's rule language: the input is one rule's
 * words (blank-separated) after `filter add input`; a rule that parses is
 * added, evaluated against a fixed set of packets and listed, and must list
 * as words that parse again to the same rule. Nothing may crash or leak.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cmd.h"
#include "core/stack.h"
#include "netfilter/nf_filter.h"

static struct stack *st;

static void check_roundtrip(const struct nf_rule *r)
{
	char *buf = NULL, *argv[64], *hash;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct nf_rule again;
	char err[128];
	int argc;

	nf_filter_show(st, f);
	fclose(f);
	/* The rule's line: "\t\tMATCHES counter packets N bytes M VERDICT # handle H". */
	char *line = strstr(buf, "\t\t");
	line = line ? strstr(line + 2, "\t\t") : NULL;   /* skip the `type filter` line */
	if (line && (hash = strstr(line, " counter packets "))) {
		char *verdict = strrchr(hash, '#');

		*hash = '\0';
		argc = cmd_split(line, argv, 60);
		if (argc >= 0 && verdict) {
			argv[argc++] = (char *)(r->verdict == NF_FILTER_ACCEPT ? "accept" :
						r->verdict == NF_FILTER_DROP ? "drop" : "reject");
			if (nf_filter_parse(argc, argv, &again, err, sizeof(err)) < 0 ||
			    again.match != r->match)
				abort();
		}
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[1024], *argv[128];
	struct nf_rule r;
	char err[128];
	int argc;

	if (!st) {
		struct usagi_stack_config cfg = { .name = "fuzz", .seed = 1 };

		st = usagi_stack_new(&cfg);
		usagi_stack_set_log_level(st, 0);
	}
	if (size >= sizeof(line))
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	argc = cmd_split(line, argv, 120);
	if (argc < 0 || nf_filter_parse(argc, argv, &r, err, sizeof(err)) < 0)
		return 0;
	nf_filter_flush(st, -1);
	if (nf_filter_add(st, NF_FILTER_INPUT, &r) < 0)
		return 0;
	struct nf_pktinfo pi = { .family = 6, .l4proto = 17, .has_ports = true, .sport = 1,
				 .dport = 53, .ct_state = NF_FILTER_CT_NEW, .len = 60 };

	nf_filter_eval(st, NF_FILTER_INPUT, &pi);
	pi.family = 4;
	pi.l4proto = 58;
	pi.has_ports = false;
	pi.has_icmp = true;
	nf_filter_eval(st, NF_FILTER_INPUT, &pi);
	check_roundtrip(&r);
	return 0;
}
