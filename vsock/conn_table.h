/* SPDX-License-Identifier: MIT */
/*
 * Connections keyed by (local port, peer port): a chained hash table with a per-table random
 * seed (the guest chooses peer ports, so it must not be able to aim them at one bucket), grown
 * to keep the load factor at most 1.
 */
#ifndef CVMM_VSOCK_CONN_TABLE_H
#define CVMM_VSOCK_CONN_TABLE_H

#include <stdint.h>

struct vsock_hnode {
	struct vsock_hnode *next;
	uint32_t local_port;
	uint32_t peer_port;
};

struct vsock_conn_table {
	struct vsock_hnode **buckets;
	uint32_t mask;   /* buckets - 1 */
	uint32_t count;
	uint64_t seed;
};

/* Returns 0 or -ENOMEM. */
int vsock_table_init(struct vsock_conn_table *t, uint32_t initial_buckets);
void vsock_table_destroy(struct vsock_conn_table *t);
struct vsock_hnode *vsock_table_find(const struct vsock_conn_table *t, uint32_t local_port,
				     uint32_t peer_port);
/* The key must not be present.  If growing fails the table keeps its longer chains. */
void vsock_table_insert(struct vsock_conn_table *t, struct vsock_hnode *n);
void vsock_table_remove(struct vsock_conn_table *t, struct vsock_hnode *n);

#endif
