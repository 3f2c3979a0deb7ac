// SPDX-License-Identifier: MIT
/*
 * What a dynamically linked VMM needs inside its jail: the ELF interpreter (PT_INTERP) and every
 * library its DT_NEEDED entries name, found where the dynamic loader will look for them (the
 * DT_RUNPATH directories, then the system directories it searches without a cache), and their
 * libraries in turn.  The jail then holds those files (bound read-only) and nothing else of the
 * host's.  A static VMM needs nothing.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jailer/jailer.h"
#include "vmm/error.h"

#define ELF_MAX_SIZE (256ULL << 20)
#define MAX_NEEDED   64

/* What ld.so searches when there is no /etc/ld.so.cache (Debian x86-64). */
static const char *const system_dirs[] = {
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib",
};

struct elf_view {
	const uint8_t *p;
	size_t len;
};

struct elf_info {
	char interp[JAIL_PATH_MAX];
	const char *needed[MAX_NEEDED];
	unsigned nr_needed;
	const char *runpath;
};

static bool in_file(const struct elf_view *v, uint64_t off, uint64_t len)
{
	return off <= v->len && len <= v->len - off;
}

/* The file offset of a virtual address, through the PT_LOAD segments. */
static bool vaddr_to_off(const struct elf_view *v, const Elf64_Ehdr *eh, uint64_t addr,
			 uint64_t *off)
{
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(v->p + eh->e_phoff) + i;

		if (ph->p_type == PT_LOAD && addr >= ph->p_vaddr &&
		    addr - ph->p_vaddr < ph->p_filesz) {
			*off = ph->p_offset + (addr - ph->p_vaddr);
			return true;
		}
	}
	return false;
}

/* A NUL-terminated string at strtab + idx, within strsz and the file; NULL otherwise. */
static const char *str_at(const struct elf_view *v, uint64_t strtab, uint64_t strsz, uint64_t idx)
{
	const char *s;

	if (idx >= strsz || !in_file(v, strtab, strsz))
		return NULL;
	s = (const char *)v->p + strtab + idx;
	return memchr(s, 0, strsz - idx) ? s : NULL;
}

static int parse_dynamic(const struct elf_view *v, const Elf64_Ehdr *eh, const Elf64_Phdr *dyn,
			 struct elf_info *out)
{
	uint64_t strtab_addr = 0, strsz = 0, strtab, runpath = UINT64_MAX;
	uint64_t needed[MAX_NEEDED];
	unsigned nr = 0;
	size_t n;

	if (!in_file(v, dyn->p_offset, dyn->p_filesz))
		return -EINVAL;
	n = dyn->p_filesz / sizeof(Elf64_Dyn);
	for (size_t i = 0; i < n; i++) {
		const Elf64_Dyn *d = (const Elf64_Dyn *)(v->p + dyn->p_offset) + i;

		if (d->d_tag == DT_NULL)
			break;
		if (d->d_tag == DT_STRTAB)
			strtab_addr = d->d_un.d_ptr;
		else if (d->d_tag == DT_STRSZ)
			strsz = d->d_un.d_val;
		else if (d->d_tag == DT_RUNPATH || (d->d_tag == DT_RPATH && runpath == UINT64_MAX))
			runpath = d->d_un.d_val;
		else if (d->d_tag == DT_NEEDED) {
			if (nr == MAX_NEEDED)
				return -E2BIG;
			needed[nr++] = d->d_un.d_val;
		}
	}
	if (!nr)
		return 0;
	if (!strtab_addr || !vaddr_to_off(v, eh, strtab_addr, &strtab))
		return -EINVAL;
	for (unsigned i = 0; i < nr; i++) {
		const char *s = str_at(v, strtab, strsz, needed[i]);

		if (!s || !*s || strchr(s, '/'))
			return -EINVAL;
		out->needed[out->nr_needed++] = s;
	}
	if (runpath != UINT64_MAX)
		out->runpath = str_at(v, strtab, strsz, runpath);
	return 0;
}

static int parse_elf(const struct elf_view *v, struct elf_info *out)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)v->p;
	const Elf64_Phdr *dyn = NULL;

	memset(out, 0, sizeof(*out));
	if (v->len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
	    eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    !in_file(v, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
		return -ENOEXEC;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(v->p + eh->e_phoff) + i;

		if (ph->p_type == PT_INTERP) {
			if (!in_file(v, ph->p_offset, ph->p_filesz) || !ph->p_filesz ||
			    ph->p_filesz >= sizeof(out->interp) ||
			    v->p[ph->p_offset + ph->p_filesz - 1] != 0 ||
			    v->p[ph->p_offset] != '/')
				return -EINVAL;
			memcpy(out->interp, v->p + ph->p_offset, ph->p_filesz);
		} else if (ph->p_type == PT_DYNAMIC) {
			dyn = ph;
		}
	}
	return dyn ? parse_dynamic(v, eh, dyn, out) : 0;
}

static bool have(const struct jail_deps *d, const char *path)
{
	for (unsigned i = 0; i < d->nr; i++)
		if (!strcmp(d->paths[i], path))
			return true;
	return false;
}

static int add(struct jail_deps *d, const char *path)
{
	if (have(d, path))
		return 0;
	if (d->nr == JAIL_MAX_DEPS)
		return -E2BIG;
	d->paths[d->nr] = strdup(path);
	if (!d->paths[d->nr])
		return -ENOMEM;
	d->nr++;
	return 1;
}

static bool regular_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Where the loader finds name: runpath directories first (no $ORIGIN), then the system's. */
static bool find_lib(const char *name, const char *runpath, char *out, size_t len)
{
	while (runpath && *runpath) {
		size_t n = strcspn(runpath, ":");

		if (n && n < 512 && !memchr(runpath, '$', n)) {
			snprintf(out, len, "%.*s/%s", (int)n, runpath, name);
			if (regular_file(out))
				return true;
		}
		runpath += n + (runpath[n] == ':');
	}
	for (size_t i = 0; i < sizeof(system_dirs) / sizeof(system_dirs[0]); i++) {
		snprintf(out, len, "%s/%s", system_dirs[i], name);
		if (regular_file(out))
			return true;
	}
	return false;
}

static int map_file(const char *path, struct elf_view *v)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	void *p;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > ELF_MAX_SIZE) {
		close(fd);
		return -EINVAL;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	v->p = p;
	v->len = (size_t)st.st_size;
	return 0;
}

/* Adds what the ELF at path needs; recurses into each library not seen yet. */
static int walk(const char *path, struct jail_deps *d, int depth, struct error *e)
{
	struct elf_view v = { 0 };
	struct elf_info info;
	char lib[JAIL_PATH_MAX];
	int ret;

	if (depth > 16)
		return error_set(e, ERROR_INPUT, ELOOP, "%s: libraries nested too deeply", path);
	ret = map_file(path, &v);
	if (ret)
		return error_set(e, ERROR_INPUT, ret, "%s: %s", path, strerror(-ret));
	ret = parse_elf(&v, &info);
	if (ret) {
		munmap((void *)v.p, v.len);
		return error_set(e, ERROR_INPUT, ret, "%s: not an x86-64 ELF this jail can serve", path);
	}
	if (info.interp[0] && (ret = add(d, info.interp)) < 0)
		goto out;
	for (unsigned i = 0; i < info.nr_needed; i++) {
		if (!find_lib(info.needed[i], info.runpath, lib, sizeof(lib))) {
			ret = error_set(e, ERROR_INPUT, ENOENT, "%s: library %s not found", path,
					info.needed[i]);
			goto out;
		}
		ret = add(d, lib);
		if (ret > 0)
			ret = walk(lib, d, depth + 1, e);
		if (ret < 0)
			goto out;
	}
	ret = 0;
out:
	munmap((void *)v.p, v.len);
	if (ret == -E2BIG || ret == -ENOMEM)
		return error_set(e, ERROR_INPUT, -ret, "%s: more than %d libraries", path,
				 JAIL_MAX_DEPS);
	return ret;
}

int jail_elf_deps(const char *exe, struct jail_deps *out, struct error *e)
{
	int ret;

	memset(out, 0, sizeof(*out));
	ret = walk(exe, out, 0, e);
	if (ret)
		jail_deps_free(out);
	return ret;
}

void jail_deps_free(struct jail_deps *d)
{
	for (unsigned i = 0; i < d->nr; i++)
		free(d->paths[i]);
	d->nr = 0;
}
