/* pcap writer: frames written come back byte for byte, with their timestamps. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>
#include <pcap/pcap.h>
#include "link/pcap.h"

static void tmp_path(char *buf, size_t n)
{
	snprintf(buf, n, "/tmp/usagi-test-pcap-%d.pcap", (int)getpid());
}

static void test_roundtrip(void **state)
{
	char path[64], err[PCAP_ERRBUF_SIZE];
	uint8_t frames[3][100];
	const size_t lens[3] = { 14, 60, 100 };
	const uint64_t ts[3] = { 0, 1500000000ULL + 2000, 7 * 1000000000ULL + 999999 };
	struct pcap_writer *w;
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *r;

	tmp_path(path, sizeof(path));
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 100; j++)
			frames[i][j] = (uint8_t)(i * 31 + j);
	w = pcapw_open(path);
	assert_non_null(w);
	for (int i = 0; i < 3; i++)
		pcapw_write(w, ts[i], frames[i], lens[i]);
	pcapw_flush(w);

	/* Flushed records are readable while the writer is still open. */
	r = pcap_open_offline(path, err);
	assert_non_null(r);
	assert_int_equal(pcap_datalink(r), DLT_EN10MB);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pcap_next_ex(r, &h, &data), 1);
		assert_int_equal(h->caplen, lens[i]);
		assert_int_equal(h->len, lens[i]);
		assert_int_equal(h->ts.tv_sec, ts[i] / 1000000000ULL);
		assert_int_equal(h->ts.tv_usec, ts[i] % 1000000000ULL / 1000);
		assert_memory_equal(data, frames[i], lens[i]);
	}
	assert_int_equal(pcap_next_ex(r, &h, &data), PCAP_ERROR_BREAK);
	pcap_close(r);
	pcapw_close(w);
	unlink(path);
}

static void test_open_fails(void **state)
{
	assert_null(pcapw_open("/nonexistent-dir/x.pcap"));
	assert_int_not_equal(errno, 0);
	pcapw_write(NULL, 0, "", 0);
	pcapw_flush(NULL);
	pcapw_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_open_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
