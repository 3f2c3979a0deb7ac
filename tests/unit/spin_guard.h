/* SPDX-License-Identifier: MIT */
/*
 * For tests of code that must not spin or crash: runs a step in a forked child under a CPU-time
 * limit and with default crash signals, so a regression that loops forever, or faults while
 * holding a lock, fails the test instead of hanging the suite.  What is checked is the step's
 * own verdict; the limit (far above what the step needs) only ends a spin.
 */
#ifndef CVMM_TEST_SPIN_GUARD_H
#define CVMM_TEST_SPIN_GUARD_H

/* The child runs step(arg) and exits with its return value (0: as expected, else a failure
 * code; no cmocka assertions in there, they would unwind into the child's copy of the runner).
 * Returns that value, or -signal when the child was killed (SIGXCPU: it spun) or crashed.
 * Whatever the step changed is lost with the child. */
int spin_guard_run(int (*step)(void *arg), void *arg);

#endif
