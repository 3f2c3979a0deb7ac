/* SPDX-License-Identifier: MIT */
/*
 * Whether a VM's threads may run: the stop request (first one wins, with its exit status) and
 * the pause handshake with the vCPU threads.  Shared by vm.c, which changes it, and vcpu.c, whose
 * threads consult it before every KVM_RUN.
 */
#ifndef CVMM_RUN_CONTROL_H
#define CVMM_RUN_CONTROL_H

#include <pthread.h>
#include <stdbool.h>

struct run_control {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stopping;
	int exit_status;
	bool pause_requested;
	unsigned parked; /* vCPU threads waiting while paused */
	bool data_lost;  /* a device could not store what the guest wrote: never exit 0 */
	/* Start-up: each thread confines itself, then the vCPUs wait for the release. */
	unsigned threads_ready;
	bool thread_failed;
	bool released;
};

void run_control_init(struct run_control *rc);
void run_control_destroy(struct run_control *rc);
/* Records the stop; true for the first request (whose status counts). */
bool run_control_stop(struct run_control *rc, int exit_status);
bool run_control_stopping(struct run_control *rc);
/* A device reported that guest data may be lost; the exit status then says so. */
void run_control_data_lost(struct run_control *rc);
/* The exit status: the first stop request's, but a failure when data may have been lost. */
int run_control_exit_status(struct run_control *rc);
/*
 * vCPU side: false once stopping; before the release and while paused, waits here (counted in
 * parked while paused).
 */
bool run_control_may_run(struct run_control *rc);
/* A started thread finished its own start-up (ok) or could not (the VM will not start). */
void run_control_thread_ready(struct run_control *rc, bool ok);
/* Supervisor: waits until n threads reported; false when one of them failed. */
bool run_control_wait_threads(struct run_control *rc, unsigned n);
/* Supervisor: the vCPUs may run the guest now. */
void run_control_release(struct run_control *rc);

#endif
