/*
 * fuzz_ctl: the control API's request decoding (core/ctl_req.c), route
 * and body.  Byte 0 picks the route kind and the method; the rest is the
 * body, and its first line is also tried as a path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctl_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_route rt;
	struct ctl_body b;
	char msg[192], *buf, *nl;
	enum ctl_route_kind kind;

	if (size < 1)
		return 0;
	kind = (enum ctl_route_kind)(data[0] % _CTL_ROUTE_MAX);
	buf = malloc(size);
	if (buf == NULL)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	if (ctl_body_parse(kind, buf, size - 1, &b, msg, sizeof(msg)) == 0) {
		if (b.signal < 0 || b.signal > 64)
			abort();
		ctl_body_done(&b);
	}
	nl = strchr(buf, '\n');
	if (nl != NULL)
		*nl = '\0';
	if (ctl_route_parse(data[0] & 0x80 ? "POST" : "GET", buf, &rt) == 0 &&
	    (rt.kind >= _CTL_ROUTE_MAX || strlen(rt.name) >= sizeof(rt.name)))
		abort();
	free(buf);
	return 0;
}
