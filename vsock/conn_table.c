// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

#include "vsock/conn_table.h"

static uint32_t bucket_of(const struct vsock_conn_table *t, uint32_t local, uint32_t peer)
{
	/* splitmix64 finaliser over the seeded key */
	uint64_t x = (((uint64_t)local << 32) | peer) ^ t->seed;

	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (uint32_t)x & t->mask;
}

int vsock_table_init(struct vsock_conn_table *t, uint32_t initial_buckets)
{
	uint32_t n = 16;

	while (n < initial_buckets && n < (1U << 30))
		n <<= 1;
	t->buckets = calloc(n, sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	t->mask = n - 1;
	t->count = 0;
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) != sizeof(t->seed))
		t->seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL;
	return 0;
}

void vsock_table_destroy(struct vsock_conn_table *t)
{
	free(t->buckets);
	t->buckets = NULL;
	t->count = 0;
}

struct vsock_hnode *vsock_table_find(const struct vsock_conn_table *t, uint32_t local_port,
				     uint32_t peer_port)
{
	struct vsock_hnode *n = t->buckets[bucket_of(t, local_port, peer_port)];

	for (; n; n = n->next)
		if (n->local_port == local_port && n->peer_port == peer_port)
			return n;
	return NULL;
}

static void grow(struct vsock_conn_table *t)
{
	uint32_t old_n = t->mask + 1, new_n = old_n * 2;
	struct vsock_hnode **old = t->buckets, **nb;

	if (new_n > (1U << 30))
		return;
	nb = calloc(new_n, sizeof(*nb));
	if (!nb)
		return;
	t->buckets = nb;
	t->mask = new_n - 1;
	for (uint32_t i = 0; i < old_n; i++) {
		struct vsock_hnode *n = old[i], *next;

		for (; n; n = next) {
			uint32_t b = bucket_of(t, n->local_port, n->peer_port);

			next = n->next;
			n->next = nb[b];
			nb[b] = n;
		}
	}
	free(old);
}

void vsock_table_insert(struct vsock_conn_table *t, struct vsock_hnode *n)
{
	uint32_t b;

	if (t->count + 1 > t->mask + 1)
		grow(t);
	b = bucket_of(t, n->local_port, n->peer_port);
	n->next = t->buckets[b];
	t->buckets[b] = n;
	t->count++;
}

void vsock_table_remove(struct vsock_conn_table *t, struct vsock_hnode *n)
{
	struct vsock_hnode **pp = &t->buckets[bucket_of(t, n->local_port, n->peer_port)];

	for (; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			n->next = NULL;
			t->count--;
			return;
		}
	}
}
