# Test guest: a freestanding x86-64 program booted by cvmm's fast tests (see tests/guest/README.md).
# Always built with gcc (GUEST_CC), whatever CC is; the host tool mkbzimage uses HOST_CC.
#
#   $(BUILD)/guest/cvmm-test.pvh.elf   ELF with the Xen PVH entry note (32-bit entry)
#   $(BUILD)/guest/cvmm-test.pvh32.elf the same PVH guest as ELF32 (elf32-i386)
#   $(BUILD)/guest/cvmm-test.elf       the same guest, 64-bit entry (Linux 64-bit boot protocol)
#   $(BUILD)/guest/cvmm-test.bzImage   the 64-bit guest as a Linux bzImage

GUEST_CC  ?= gcc
HOST_CC   ?= gcc
GUEST_OBJCOPY ?= objcopy
GUEST_DIR := tests/guest
GUEST_OUT := $(BUILD)/guest
BZ_STUB_OFFSET := 0x1000

GUEST_CFLAGS := -std=gnu11 -O2 -g -I. -ffreestanding -nostdlib -fno-pic -fno-pie -mno-red-zone \
	-mgeneral-regs-only -mcmodel=small -fno-stack-protector -fno-asynchronous-unwind-tables \
	-fno-tree-loop-distribute-patterns -fcf-protection=none -fno-common \
	-Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wvla \
	-MMD -MP
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 \
	-Wl,-z,noexecstack -Wl,--no-warn-rwx-segments

GUEST_C_SRCS := $(wildcard $(GUEST_DIR)/*.c)
GUEST_C_SRCS := $(filter-out $(GUEST_DIR)/mkbzimage.c,$(GUEST_C_SRCS))
GUEST_S_SRCS := $(GUEST_DIR)/entry.S $(GUEST_DIR)/boot_data.S $(GUEST_DIR)/ap_boot.S
GUEST_OBJS   := $(GUEST_C_SRCS:$(GUEST_DIR)/%.c=$(GUEST_OUT)/obj/%.o) \
		$(GUEST_S_SRCS:$(GUEST_DIR)/%.S=$(GUEST_OUT)/obj/%.o)
GUEST_IMAGES := $(GUEST_OUT)/cvmm-test.pvh.elf $(GUEST_OUT)/cvmm-test.pvh32.elf \
		$(GUEST_OUT)/cvmm-test.elf $(GUEST_OUT)/cvmm-test.bzImage

guests: $(GUEST_IMAGES)

$(GUEST_OUT)/obj/%.o: $(GUEST_DIR)/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GUESTCC $<")
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_OUT)/obj/%.o: $(GUEST_DIR)/%.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GUESTCC $<")
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_OUT)/link.ld: $(GUEST_DIR)/link.ld.S $(GUEST_DIR)/layout.h
	@mkdir -p $(dir $@)
	$(Q)$(GUEST_CC) -E -P -x c -I. $< -o $@

$(GUEST_OUT)/link-pvh.ld: $(GUEST_DIR)/link.ld.S $(GUEST_DIR)/layout.h
	@mkdir -p $(dir $@)
	$(Q)$(GUEST_CC) -E -P -x c -I. -DPVH $< -o $@

$(GUEST_OUT)/cvmm-test.elf: $(GUEST_OBJS) $(GUEST_OUT)/link.ld
	$(Q)$(GUEST_CC) $(GUEST_LDFLAGS) -Wl,-T,$(GUEST_OUT)/link.ld -o $@ $(GUEST_OBJS)

$(GUEST_OUT)/cvmm-test.pvh.elf: $(GUEST_OBJS) $(GUEST_OUT)/obj/pvh_note.o $(GUEST_OUT)/link-pvh.ld
	$(Q)$(GUEST_CC) $(GUEST_LDFLAGS) -Wl,-T,$(GUEST_OUT)/link-pvh.ld -o $@ $(GUEST_OBJS) \
		$(GUEST_OUT)/obj/pvh_note.o

# Same segments, physical addresses and PVH note (the 8-byte descriptor stays 8 bytes); only the
# ELF class changes.  The guest is linked at 1 MiB, so every address fits in 32 bits.
$(GUEST_OUT)/cvmm-test.pvh32.elf: $(GUEST_OUT)/cvmm-test.pvh.elf
	$(Q)$(GUEST_OBJCOPY) -O elf32-i386 $< $@

$(GUEST_OUT)/bzsetup.bin: $(GUEST_OUT)/obj/bzsetup.o
	$(Q)$(GUEST_CC) $(GUEST_LDFLAGS) -Wl,-Ttext=$(BZ_STUB_OFFSET) -Wl,--oformat=binary -o $@ $<

$(GUEST_OUT)/mkbzimage: $(GUEST_DIR)/mkbzimage.c $(GUEST_DIR)/layout.h
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -I. -DBZ_STUB_OFFSET=$(BZ_STUB_OFFSET) \
		-o $@ $<

$(GUEST_OUT)/cvmm-test.bzImage: $(GUEST_OUT)/mkbzimage $(GUEST_OUT)/bzsetup.bin \
		$(GUEST_OUT)/cvmm-test.elf
	$(Q)$(GUEST_OUT)/mkbzimage $(GUEST_OUT)/bzsetup.bin $(GUEST_OUT)/cvmm-test.elf $@

-include $(wildcard $(GUEST_OUT)/obj/*.d)

# mkbzimage's header and bad-input checks, then every image form under QEMU (a development aid).
.PHONY: test-guest
test-guest: guests
	@bash $(GUEST_DIR)/test-mkbzimage.sh $(BUILD)
	@bash $(GUEST_DIR)/run-qemu.sh $(BUILD)
