// SPDX-License-Identifier: MIT
/* The launch plan shared by confidential launches and their measurement prediction. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "boot/launch_plan.h"
#include "vmm/util.h"

static const uint8_t zero_page[LAUNCH_PAGE_SIZE];

void launch_plan_init(struct launch_plan *plan, enum launch_tee tee)
{
	memset(plan, 0, sizeof(*plan));
	plan->tee = tee;
}

void launch_plan_free(struct launch_plan *plan)
{
	for (size_t i = 0; i < plan->nr_owned; i++)
		free(plan->owned[i]);
	free(plan->owned);
	free(plan->regions);
	launch_plan_init(plan, plan->tee);
}

static int grow(void **array, size_t *cap, size_t elem)
{
	size_t ncap = *cap ? *cap * 2 : 16;
	void *p;

	if (ncap > SIZE_MAX / elem)
		return -ENOMEM;
	p = realloc(*array, ncap * elem);
	if (!p)
		return -ENOMEM;
	*array = p;
	*cap = ncap;
	return 0;
}

int launch_plan_add(struct launch_plan *plan, const struct launch_region *region)
{
	const struct launch_region *r = region;

	if (!r->size || !IS_ALIGNED(r->gpa, LAUNCH_PAGE_SIZE) ||
	    !IS_ALIGNED(r->size, LAUNCH_PAGE_SIZE) || r->gpa + r->size < r->gpa ||
	    r->data_len > r->size || (r->data_len && !r->data))
		return -EINVAL;
	if (plan->nr_regions == plan->cap_regions &&
	    grow((void **)&plan->regions, &plan->cap_regions, sizeof(*plan->regions)))
		return -ENOMEM;
	plan->regions[plan->nr_regions++] = *r;
	return 0;
}

void *launch_plan_alloc(struct launch_plan *plan, size_t size)
{
	void *p;

	if (plan->nr_owned == plan->cap_owned &&
	    grow((void **)&plan->owned, &plan->cap_owned, sizeof(*plan->owned)))
		return NULL;
	p = calloc(1, size ? size : 1);
	if (p)
		plan->owned[plan->nr_owned++] = p;
	return p;
}

struct launch_region *launch_plan_find(struct launch_plan *plan, enum launch_region_kind kind,
				       uint32_t section_type)
{
	for (size_t i = 0; i < plan->nr_regions; i++)
		if (plan->regions[i].kind == kind && plan->regions[i].section_type == section_type)
			return &plan->regions[i];
	return NULL;
}

const uint8_t *launch_region_page(const struct launch_region *r, uint64_t index,
				  uint8_t *scratch)
{
	uint64_t off = index * LAUNCH_PAGE_SIZE;

	if (off >= r->data_len)
		return zero_page;
	if (r->data_len - off >= LAUNCH_PAGE_SIZE)
		return r->data + off;
	memcpy(scratch, r->data + off, r->data_len - off);
	memset(scratch + (r->data_len - off), 0, LAUNCH_PAGE_SIZE - (r->data_len - off));
	return scratch;
}

int launch_region_stage(const struct launch_region *r, uint8_t **out)
{
	void *buf = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED)
		return -errno;
	if (r->data_len)
		memcpy(buf, r->data, r->data_len); /* data_len <= size; the rest of the mapping is 0 */
	*out = buf;
	return 0;
}

uint64_t launch_plan_pages(const struct launch_plan *plan)
{
	uint64_t n = 0;

	for (size_t i = 0; i < plan->nr_regions; i++)
		n += launch_region_pages(&plan->regions[i]);
	return n;
}
