// SPDX-License-Identifier: MIT
/* A refused vm_create() in tests (see vm_refusal.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/kvm_recorder.h"
#include "tests/unit/vm_refusal.h"
#include "vmm/vm.h"

bool expect_vm_refused(const struct vm_config *cfg, enum error_class cls, const char *needle)
{
	struct error e = ERROR_INIT;
	struct vm *vm;

	assert_true(vm_create(cfg, &vm, &e) < 0);
	assert_null(vm);
	if (e.cls != cls || !strstr(e.msg, needle))
		fail_msg("want a %s error with '%s', got %s '%s'", error_class_name(cls), needle,
			 error_class_name(e.cls), e.msg);
	assert_null(strchr(e.msg, '\n'));
	return rec_count("kvm_open") > 0;
}
