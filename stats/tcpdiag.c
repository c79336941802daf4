/*
 * tcpdiag: the parser of one sock_diag answer (struct inet_diag_msg and
 * its attributes), apart from net.c because it needs the kernel's struct
 * tcp_info (<linux/tcp.h>, with tcpi_bytes_acked and tcpi_bytes_received)
 * and libnl's headers bring glibc's older one.  The payload comes from
 * the kernel but is still bounds-checked attribute by attribute; a
 * tcp_info shorter than the byte counters (kernels before 4.1) is refused.
 */
#include "stats/net.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/tcp.h>
#include <string.h>

#include "core/util.h"

int
stats_tcp_parse(const void *payload, size_t len, struct stats_tcp_sock *ret)
{
	const struct inet_diag_msg *msg = payload;
	const unsigned char *p, *end;
	struct tcp_info info;
	size_t need = offsetof(struct tcp_info, tcpi_bytes_received) +
		      sizeof(info.tcpi_bytes_received);

	if (len < NLMSG_ALIGN(sizeof(*msg)))
		return -EINVAL;
	p = (const unsigned char *)payload + NLMSG_ALIGN(sizeof(*msg));
	end = (const unsigned char *)payload + len;
	while ((size_t)(end - p) >= sizeof(struct nlattr)) {
		struct nlattr a;
		size_t alen;

		memcpy(&a, p, sizeof(a));
		if (a.nla_len < sizeof(a) || a.nla_len > (size_t)(end - p))
			return -EINVAL;
		alen = a.nla_len - sizeof(a);
		if ((a.nla_type & NLA_TYPE_MASK) == INET_DIAG_INFO) {
			if (alen < need)
				return -EINVAL;
			memset(&info, 0, sizeof(info));
			memcpy(&info, p + sizeof(a), MIN(alen, sizeof(info)));
			*ret = (struct stats_tcp_sock){
				.cookie = (uint64_t)msg->id.idiag_cookie[1]
						  << 32 |
					  msg->id.idiag_cookie[0],
				.inode = msg->idiag_inode,
				.uid = msg->idiag_uid,
				.bytes_acked = info.tcpi_bytes_acked,
				.bytes_received = info.tcpi_bytes_received,
			};
			return 0;
		}
		if ((size_t)(end - p) <= (size_t)NLA_ALIGN(a.nla_len))
			break;
		p += NLA_ALIGN(a.nla_len);
	}
	return -EINVAL;
}
