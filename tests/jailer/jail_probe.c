// SPDX-License-Identifier: MIT
/*
 * Stands in for the VMM under cvmm-jailer (tests/jailer/jailer-test.sh): prints what a jailed
 * process sees, one key=value per line, and tries what it must not be able to do.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/capability.h>

extern char **environ;

static void on_term(int sig)
{
	static const char msg[] = "got SIGTERM\n";

	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(0);
}

/* Every path under dir, with its type and owner. */
static void list_tree(const char *dir, int depth)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d || depth > 8) {
		if (d)
			closedir(d);
		return;
	}
	while ((de = readdir(d))) {
		char path[1024];
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s%s%s", dir, strcmp(dir, "/") ? "/" : "",
			 de->d_name);
		if (lstat(path, &st) < 0)
			continue;
		printf("file=%s %s %u\n", path,
		       S_ISDIR(st.st_mode) ? "dir" : S_ISCHR(st.st_mode) ? "chr" :
		       S_ISREG(st.st_mode) ? "reg" : S_ISLNK(st.st_mode) ? "lnk" : "other",
		       (unsigned)st.st_uid);
		if (S_ISDIR(st.st_mode))
			list_tree(path, depth + 1);
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct caps[2];
	struct if_nameindex *ifs;
	struct utsname u;
	struct rlimit r;
	unsigned nfds = 0, nenv = 0, nifs = 0, bnd = 0;

	printf("uid=%u gid=%u euid=%u\n", (unsigned)getuid(), (unsigned)getgid(),
	       (unsigned)geteuid());
	printf("groups=%d\n", getgroups(0, NULL));
	printf("pid=%d\n", (int)getpid());
	uname(&u);
	printf("hostname=%s\n", u.nodename);
	memset(caps, 0, sizeof(caps));
	syscall(SYS_capget, &hdr, caps);
	printf("cap_effective=%x%08x cap_permitted=%x%08x\n", caps[1].effective, caps[0].effective,
	       caps[1].permitted, caps[0].permitted);
	for (int c = 0; c <= 40; c++)
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
			bnd++;
	printf("cap_bounding=%u\n", bnd);
	printf("no_new_privs=%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	for (int fd = 0; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			nfds++;
	printf("fds=%u\n", nfds);
	for (char **e = environ; *e; e++)
		nenv++;
	printf("env=%u\n", nenv);
	getrlimit(RLIMIT_NOFILE, &r);
	printf("nofile=%llu\n", (unsigned long long)r.rlim_cur);
	getrlimit(RLIMIT_CORE, &r);
	printf("core=%llu\n", (unsigned long long)r.rlim_cur);
	ifs = if_nameindex();
	for (struct if_nameindex *i = ifs; i && i->if_index; i++)
		nifs++;
	printf("net_interfaces=%u\n", nifs);
	{
		struct ifreq ifr = { 0 };
		int sk = socket(AF_UNIX, SOCK_DGRAM, 0);

		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
		printf("lo_up=%d\n", sk >= 0 && ioctl(sk, SIOCGIFFLAGS, &ifr) == 0 &&
					     (ifr.ifr_flags & IFF_UP));
		if (sk >= 0)
			close(sk);
	}
	if (ifs)
		if_freenameindex(ifs);
	printf("cwd_root=%d\n", access("/old_root", F_OK) != 0);
	printf("mknod=%s\n", mknod("/probe-null", S_IFCHR | 0600, makedev(1, 3)) < 0 ?
				     strerror(errno) : "allowed");
	printf("setuid0=%s\n", setuid(0) < 0 ? strerror(errno) : "allowed");
	printf("args=%d", argc - 1);
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	list_tree("/", 0);
	if (argc > 1 && !strcmp(argv[1], "wait")) {
		/* PID 1 of its namespace: a signal only arrives when there is a handler for it. */
		signal(SIGTERM, on_term);
		printf("waiting\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	return argc > 1 && !strcmp(argv[1], "exit7") ? 7 : 0;
}
