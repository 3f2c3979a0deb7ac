// SPDX-License-Identifier: MIT
#include "vmm/exit_status.h"
#include "vmm/run_control.h"

void run_control_init(struct run_control *rc)
{
	pthread_mutex_init(&rc->lock, NULL);
	pthread_cond_init(&rc->cond, NULL);
	rc->stopping = false;
	rc->exit_status = 0;
	rc->pause_requested = false;
	rc->parked = 0;
	rc->data_lost = false;
	rc->threads_ready = 0;
	rc->thread_failed = false;
	rc->released = false;
}

void run_control_destroy(struct run_control *rc)
{
	pthread_cond_destroy(&rc->cond);
	pthread_mutex_destroy(&rc->lock);
}

bool run_control_stop(struct run_control *rc, int exit_status)
{
	bool first;

	pthread_mutex_lock(&rc->lock);
	first = !rc->stopping;
	if (first) {
		rc->stopping = true;
		rc->exit_status = exit_status;
		pthread_cond_broadcast(&rc->cond);
	}
	pthread_mutex_unlock(&rc->lock);
	return first;
}

bool run_control_stopping(struct run_control *rc)
{
	bool s;

	pthread_mutex_lock(&rc->lock);
	s = rc->stopping;
	pthread_mutex_unlock(&rc->lock);
	return s;
}

bool run_control_may_run(struct run_control *rc)
{
	bool run;

	pthread_mutex_lock(&rc->lock);
	while (!rc->released && !rc->stopping)
		pthread_cond_wait(&rc->cond, &rc->lock);
	if (rc->pause_requested && !rc->stopping) {
		rc->parked++;
		pthread_cond_broadcast(&rc->cond);
		while (rc->pause_requested && !rc->stopping)
			pthread_cond_wait(&rc->cond, &rc->lock);
		rc->parked--;
	}
	run = !rc->stopping;
	pthread_mutex_unlock(&rc->lock);
	return run;
}

void run_control_data_lost(struct run_control *rc)
{
	pthread_mutex_lock(&rc->lock);
	rc->data_lost = true;
	pthread_mutex_unlock(&rc->lock);
}

int run_control_exit_status(struct run_control *rc)
{
	int status;

	pthread_mutex_lock(&rc->lock);
	status = rc->exit_status;
	/* Whatever else happened, the host lost data the guest was promised to keep. */
	if (rc->data_lost && status == VM_EXIT_OK)
		status = VM_EXIT_HOST_ERROR;
	pthread_mutex_unlock(&rc->lock);
	return status;
}

void run_control_thread_ready(struct run_control *rc, bool ok)
{
	pthread_mutex_lock(&rc->lock);
	rc->threads_ready++;
	if (!ok)
		rc->thread_failed = true;
	pthread_cond_broadcast(&rc->cond);
	pthread_mutex_unlock(&rc->lock);
}

bool run_control_wait_threads(struct run_control *rc, unsigned n)
{
	bool ok;

	pthread_mutex_lock(&rc->lock);
	while (rc->threads_ready < n && !rc->thread_failed)
		pthread_cond_wait(&rc->cond, &rc->lock);
	ok = !rc->thread_failed;
	pthread_mutex_unlock(&rc->lock);
	return ok;
}

void run_control_release(struct run_control *rc)
{
	pthread_mutex_lock(&rc->lock);
	rc->released = true;
	pthread_cond_broadcast(&rc->cond);
	pthread_mutex_unlock(&rc->lock);
}
