# --tee emulated: a guest that converts nothing boots and runs (tests/integration/tee_emulated.sh).
INTEGRATION_ITEMS += --item tee_emulated "CVMM=$(BUILD)/cvmm bash tests/integration/tee_emulated.sh"
