/* SPDX-License-Identifier: MIT */
/* A minimal intrusive doubly linked list with a sentinel head. */
#ifndef CVMM_VSOCK_LIST_H
#define CVMM_VSOCK_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct vsock_link {
	struct vsock_link *prev, *next;
};

static inline void vlist_init(struct vsock_link *head)
{
	head->prev = head->next = head;
}

static inline bool vlist_empty(const struct vsock_link *head)
{
	return head->next == head;
}

/* Not on any list (after vlist_del or before first insertion, once initialised). */
static inline bool vlist_linked(const struct vsock_link *l)
{
	return l->next != l;
}

static inline void vlist_add_tail(struct vsock_link *head, struct vsock_link *l)
{
	l->prev = head->prev;
	l->next = head;
	head->prev->next = l;
	head->prev = l;
}

static inline void vlist_del(struct vsock_link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	l->prev = l->next = l;
}

#endif
