/*
 * The PF_KEY client library (include/usagi/pfkey.h) against a real
 * `usagi node` process and its DIR/pfkey socket (no links, no root):
 *
 *   client 1 --\
 *               >-- DIR/pfkey (AF_UNIX SOCK_SEQPACKET) --> usagi node -c node.conf
 *   client 2 --/
 *
 * The node binary is $USAGI, else `usagi` next to this test program; the
 * test is skipped when neither exists. Asserted: the socket's mode 0660;
 * an ADD from one client comes back to it and is broadcast to the other
 * without keys, GET brings the keys to the asker only; $USAGI_CONTROL is
 * the default directory; receive timeouts (-EAGAIN), a too-small buffer
 * (-EMSGSIZE, message kept), an oversized message answered EMSGSIZE by
 * the node, a malformed one EINVAL; a DUMP of 3000 SAs through the real
 * socket, every SA once, the last with seq 0; the node's exit seen as
 * -ECONNRESET; -ENOENT and -ENAMETOOLONG from open.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "pfkey_harness.h"
#include "usagi/pfkey.h"

struct node_proc {
	char tmp[64];
	char dir[96];
	pid_t pid;
};

static int node_start(void **state)
{
	static struct node_proc n;
	char exe[512], conf[128];
	const char *usagi = getenv("USAGI");
	ssize_t len;
	FILE *f;

	memset(&n, 0, sizeof(n));
	if (!usagi) {
		len = readlink("/proc/self/exe", exe, sizeof(exe) - 8);
		if (len <= 0)
			return -1;
		exe[len] = '\0';
		strcpy(strrchr(exe, '/') + 1, "usagi");
		usagi = exe;
	}
	if (access(usagi, X_OK) != 0) {
		*state = NULL;
		return 0;
	}
	snprintf(n.tmp, sizeof(n.tmp), "/tmp/usagi-pfkey.XXXXXX");
	if (!mkdtemp(n.tmp))
		return -1;
	snprintf(n.dir, sizeof(n.dir), "%s/c", n.tmp);
	snprintf(conf, sizeof(conf), "%s/node.conf", n.tmp);
	f = fopen(conf, "w");
	if (!f)
		return -1;
	fputs("log warn\n", f);
	fclose(f);
	n.pid = fork();
	if (n.pid == 0) {
		execl(usagi, "usagi", "node", "-c", conf, "--control", n.dir, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		char path[160];
		struct stat sb;

		snprintf(path, sizeof(path), "%s/pfkey", n.dir);
		if (stat(path, &sb) == 0)
			break;
		usleep(50 * 1000);
	}
	*state = &n;
	return 0;
}

static void node_stop(struct node_proc *n)
{
	if (n->pid > 0) {
		kill(n->pid, SIGTERM);
		waitpid(n->pid, NULL, 0);
		n->pid = 0;
	}
}

static int node_teardown(void **state)
{
	struct node_proc *n = *state;
	char cmd[128];

	if (!n)
		return 0;
	node_stop(n);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", n->tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static struct node_proc *need_node(void **state)
{
	if (!*state)
		skip();
	return *state;
}

static uint64_t rbuf[USAGI_PFKEY_MSG_MAX / 8];

/* The next message on @fd into rbuf, parsed; its header. */
static const struct sadb_msg *recv_msg(int fd, struct pfkey_msg *m)
{
	ssize_t n = usagi_pfkey_recv(fd, rbuf, sizeof(rbuf), 2000);

	if (n <= 0)
		print_error("recv on %d: %zd\n", fd, n);
	assert_true(n > 0);
	assert_int_equal(pfkey_parse(rbuf, (size_t)n, m), 0);
	return m->hdr;
}

static void send_buf(int fd, struct pfkey_buf *b)
{
	assert_int_equal(pfkey_buf_finish(b), 0);
	assert_int_equal(usagi_pfkey_send(fd, b->data, b->len), 0);
	pfkey_buf_free(b);
}

static void test_socket_file(void **state)
{
	struct node_proc *n = need_node(state);
	char path[160];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/pfkey", n->dir);
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0660);
	assert_int_equal(usagi_pfkey_open("/nonexistent/usagi"), -ENOENT);
	{
		char longdir[200];

		memset(longdir, 'x', sizeof(longdir) - 1);
		longdir[sizeof(longdir) - 1] = '\0';
		assert_int_equal(usagi_pfkey_open(longdir), -ENAMETOOLONG);
	}
}

/* ADD from client 1: reply to it, broadcast to client 2, no keys; GET: keys to the asker. */
static void test_two_clients(void **state)
{
	struct node_proc *n = need_node(state);
	int c1 = usagi_pfkey_open(n->dir), c2;
	struct pfkey_buf b;
	struct pfkey_msg m;
	unsigned bits;

	assert_true(c1 >= 0);
	setenv("USAGI_CONTROL", n->dir, 1);
	c2 = usagi_pfkey_open(NULL);
	unsetenv("USAGI_CONTROL");
	assert_true(c2 >= 0);
	assert_int_equal(usagi_pfkey_recv(c2, rbuf, sizeof(rbuf), 0), -EAGAIN);
	build_esp(&b, SADB_ADD, 100, A6, B6, 0x5001, 0, 0);
	send_buf(c1, &b);
	for (int i = 0; i < 2; i++) {
		const struct sadb_msg *h = recv_msg(i ? c2 : c1, &m);

		assert_int_equal(h->sadb_msg_type, SADB_ADD);
		assert_int_equal(h->sadb_msg_errno, 0);
		assert_int_equal(h->sadb_msg_seq, 100);
		assert_int_equal(pfkey_get_spi(&m), 0x5001);
		assert_null(m.ext[SADB_EXT_KEY_AUTH]);
		assert_null(m.ext[SADB_EXT_KEY_ENCRYPT]);
	}
	build_id(&b, SADB_GET, SADB_SATYPE_ESP, 101, A6, B6, 0x5001);
	send_buf(c2, &b);
	recv_msg(c2, &m);
	assert_int_equal(m.hdr->sadb_msg_type, SADB_GET);
	assert_non_null(pfkey_get_key(&m, SADB_EXT_KEY_ENCRYPT, &bits));
	assert_int_equal(bits, 128);
	assert_int_equal(usagi_pfkey_recv(c1, rbuf, sizeof(rbuf), 100), -EAGAIN);
	/* A failed request: the errno to the sender only. */
	build_esp(&b, SADB_ADD, 102, A6, B6, 0x5001, 0, 0);
	send_buf(c1, &b);
	assert_int_equal(recv_msg(c1, &m)->sadb_msg_errno, EEXIST);
	assert_int_equal(usagi_pfkey_recv(c2, rbuf, sizeof(rbuf), 100), -EAGAIN);
	usagi_pfkey_close(c1);
	usagi_pfkey_close(c2);
}

/* Too-small buffers keep the message; an oversized or malformed one is answered. */
static void test_sizes(void **state)
{
	struct node_proc *n = need_node(state);
	int fd = usagi_pfkey_open(n->dir);
	static uint64_t big[(USAGI_PFKEY_MSG_MAX + 4096) / 8];
	struct sadb_msg *h = (struct sadb_msg *)big;
	uint64_t small[1];
	struct pfkey_buf b;
	struct pfkey_msg m;
	ssize_t len;

	assert_true(fd >= 0);
	build_base(&b, SADB_REGISTER, SADB_SATYPE_ESP, 7);
	send_buf(fd, &b);
	assert_int_equal(usagi_pfkey_recv(fd, small, sizeof(small), 2000), -EMSGSIZE);
	len = usagi_pfkey_pending_len(fd);
	assert_true(len > (ssize_t)sizeof(small));
	assert_int_equal(usagi_pfkey_recv(fd, rbuf, sizeof(rbuf), 0), len);
	assert_int_equal(pfkey_parse(rbuf, (size_t)len, &m), 0);
	assert_non_null(m.ext[SADB_EXT_SUPPORTED_ENCRYPT]);
	/* Over the node's limit: EMSGSIZE, with the request's seq. */
	memset(big, 0, sizeof(big));
	h->sadb_msg_version = PF_KEY_V2;
	h->sadb_msg_type = SADB_ADD;
	h->sadb_msg_seq = 8;
	h->sadb_msg_len = (uint16_t)(sizeof(big) / 8);
	assert_int_equal(usagi_pfkey_send(fd, big, sizeof(big)), -EINVAL);   /* the library refuses */
	assert_int_equal(send(fd, big, sizeof(big), 0), (ssize_t)sizeof(big));
	recv_msg(fd, &m);
	assert_int_equal(m.hdr->sadb_msg_errno, EMSGSIZE);
	assert_int_equal(m.hdr->sadb_msg_seq, 8);
	/* Garbage of a legal size. */
	memset(big, 0xa5, 64);
	assert_int_equal(usagi_pfkey_send(fd, big, 64), 0);
	len = usagi_pfkey_recv(fd, rbuf, sizeof(rbuf), 2000);
	assert_int_equal(len, 16);
	{
		struct sadb_msg rh;

		memcpy(&rh, rbuf, sizeof(rh));
		assert_int_not_equal(rh.sadb_msg_errno, 0);
	}
	usagi_pfkey_close(fd);
}

/* 3000 SAs added over the socket, then dumped through it: each once, the last with seq 0. */
static void test_dump(void **state)
{
	struct node_proc *n = need_node(state);
	int c1 = usagi_pfkey_open(n->dir), c2 = usagi_pfkey_open(n->dir);
	static uint8_t seen[3000];
	struct pfkey_buf b;
	struct pfkey_msg m;
	unsigned got = 0, zero = 0;

	assert_true(c1 >= 0 && c2 >= 0);
	for (uint32_t i = 0; i < 3000; i++) {
		build_esp(&b, SADB_ADD, i, B6, A6, 0x8000 + i, 0, 0);
		send_buf(c1, &b);
		assert_int_equal(recv_msg(c1, &m)->sadb_msg_errno, 0);
	}
	build_base(&b, SADB_DUMP, SADB_SATYPE_ESP, 5);
	send_buf(c1, &b);
	for (;;) {
		const struct sadb_msg *h = recv_msg(c1, &m);
		uint32_t spi;

		assert_int_equal(h->sadb_msg_type, SADB_DUMP);
		spi = pfkey_get_spi(&m);
		if (spi >= 0x8000 && spi < 0x8000 + 3000) {
			assert_int_equal(seen[spi - 0x8000], 0);
			seen[spi - 0x8000] = 1;
			got++;
		}
		assert_non_null(m.ext[SADB_EXT_KEY_AUTH]);
		if (h->sadb_msg_seq == 0) {
			zero++;
			break;
		}
	}
	assert_int_equal(got, 3000);
	assert_int_equal(zero, 1);
	assert_int_equal(usagi_pfkey_recv(c1, rbuf, sizeof(rbuf), 100), -EAGAIN);
	/* Client 2 saw the 3000 broadcasts (and no dump). */
	for (unsigned i = 0; i < 3000; i++)
		assert_int_equal(recv_msg(c2, &m)->sadb_msg_type, SADB_ADD);
	assert_int_equal(usagi_pfkey_recv(c2, rbuf, sizeof(rbuf), 100), -EAGAIN);
	usagi_pfkey_close(c1);
	usagi_pfkey_close(c2);
}

/* The node going away is seen as -ECONNRESET. Runs last: it stops the node. */
static void test_node_gone(void **state)
{
	struct node_proc *n = need_node(state);
	int fd = usagi_pfkey_open(n->dir);

	assert_true(fd >= 0);
	node_stop(n);
	assert_int_equal(usagi_pfkey_recv(fd, rbuf, sizeof(rbuf), 2000), -ECONNRESET);
	usagi_pfkey_close(fd);
	assert_true(usagi_pfkey_open(n->dir) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_socket_file),
		cmocka_unit_test(test_two_clients),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_node_gone),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, node_start, node_teardown);
}
