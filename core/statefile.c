/*
 * The children file and the /proc scans around it.  See statefile.h.
 */
#include "core/statefile.h"

#include <ctype.h>
#include <stdbool.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

int
statefile_save(const char *path, const struct statefile_entry *v, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	int r;

	for (size_t i = 0; i < n; i++)
		strbuf_addf(&sb, "%d %llu %s\n", (int)v[i].pid,
			    (unsigned long long)v[i].starttime, v[i].namespec);
	r = util_write_file_atomic(path, strbuf_str(&sb), sb.len);
	strbuf_done(&sb);
	return r;
}

int
statefile_load(const char *path, struct statefile_entry **ret, size_t *ret_n)
{
	struct statefile_entry *v = NULL;
	size_t n = 0, cap = 0;
	char line[512];
	FILE *f;

	f = fopen(path, "re");
	if (f == NULL)
		return -errno;
	while (fgets(line, sizeof(line), f) != NULL) {
		struct statefile_entry e = {0};
		unsigned long long st;
		int pid;

		if (sscanf(line, "%d %llu %255s", &pid, &st, e.namespec) != 3 ||
		    pid <= 1)
			continue;
		e.pid = pid;
		e.starttime = st;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[n++] = e;
	}
	fclose(f);
	*ret = v;
	*ret_n = n;
	return 0;
}

/* pid, session and start time of /proc/PID/stat; the command name may
 * hold spaces and parentheses, so fields are counted after the last ')'. */
static int
read_stat(pid_t pid, pid_t *ret_sid, uint64_t *ret_start)
{
	char path[64], buf[1024], *p, state;
	unsigned long long start;
	int sid, fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ESRCH;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (p == NULL)
		return -EINVAL;
	/* fields 3.. : state ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime stime cutime cstime priority nice
	 * num_threads itrealvalue starttime */
	if (sscanf(p + 2,
		   "%c %*d %*d %d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d "
		   "%*d %*d %*d %*d %*d %llu",
		   &state, &sid, &start) != 3)
		return -EINVAL;
	if (state == 'Z' || state == 'X')
		return -ESRCH;
	if (ret_sid != NULL)
		*ret_sid = sid;
	*ret_start = start;
	return 0;
}

int
statefile_starttime(pid_t pid, uint64_t *ret)
{
	return read_stat(pid, NULL, ret);
}

int
statefile_leftover_alive(const struct leftover *l)
{
	uint64_t st;

	return read_stat(l->pid, NULL, &st) == 0 && st == l->starttime;
}

int
statefile_find_leftovers(const struct statefile_entry *v, size_t n,
			 struct leftover **ret, size_t *ret_n)
{
	struct leftover *out = NULL;
	size_t nout = 0, cap = 0;
	bool *ours;
	struct dirent *de;
	DIR *d;

	/* a recorded session is ours unless its leader pid is alive as
	 * another process */
	ours = xcalloc(n ? n : 1, sizeof(*ours));
	for (size_t i = 0; i < n; i++) {
		uint64_t st;

		ours[i] = read_stat(v[i].pid, NULL, &st) < 0 ||
			  st == v[i].starttime;
	}
	d = opendir("/proc");
	if (d == NULL) {
		int r = -errno;

		free(ours);
		return r;
	}
	while ((de = readdir(d)) != NULL) {
		uint64_t st;
		pid_t pid, sid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = (pid_t)atoi(de->d_name);
		if (pid == getpid() || read_stat(pid, &sid, &st) < 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (!ours[i] || sid != v[i].pid ||
			    st < v[i].starttime)
				continue;
			if (nout == cap) {
				cap = cap ? cap * 2 : 16;
				out = xreallocarray(out, cap, sizeof(*out));
			}
			out[nout++] = (struct leftover){pid, st};
			break;
		}
	}
	closedir(d);
	free(ours);
	*ret = out;
	*ret_n = nout;
	return (int)nout;
}
