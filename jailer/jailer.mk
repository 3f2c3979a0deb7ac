# cvmm-jailer: Firecracker's jailer for cvmm (jailer/jailer.h, docs/sandbox.md).  Its parts but
# main() go into a library for the unit tests (tests/unit/test_jailer.c).
JAILER_SRCS := $(filter-out jailer/main.c,$(wildcard jailer/*.c))
JAILER_OBJS := $(JAILER_SRCS:%.c=$(BUILD)/obj/%.o)

all: $(BUILD)/cvmm-jailer

$(BUILD)/libjailer.a: $(JAILER_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/cvmm-jailer: $(BUILD)/obj/jailer/main.o $(BUILD)/libjailer.a $(BUILD)/libcvmm.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/test_jailer: $(BUILD)/obj/tests/unit/test_jailer.o $(UNIT_SUPPORT_OBJS) \
		$(BUILD)/libjailer.a $(BUILD)/libcvmm.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(TEST_LIBS)

# What a jailed process sees (tests/jailer/jailer-test.sh runs it under cvmm-jailer).  Never
# sanitized: it is the instrument, and LeakSanitizer cannot run in a jail (no /proc).
$(BUILD)/tests/jail-probe: tests/jailer/jail_probe.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(filter-out -fsanitize%,$(CFLAGS)) $(filter-out -fsanitize%,$(LDFLAGS)) -o $@ $<

all: $(BUILD)/tests/jail-probe
