#!/bin/bash
# Runs a static link command and drops glibc's notes about functions that need its shared
# libraries at run time when called from a static program (dlopen, getaddrinfo, gethostbyname):
# they come from parts of libcrypto.a that cvmm links but never calls (OpenSSL's module loader and
# socket BIOs; cvmm only hashes and signs with the built-in default provider).  Every other line
# the linker prints, and its exit status, pass through unchanged.
#   link-static.sh CC ARGS...
set -o pipefail
"$@" 2>&1 >/dev/null | awk '
	/in function `[^'"'"']*'"'"':$/ { held = $0; next }
	/warning: Using .* in statically linked applications requires at runtime the shared libraries/ {
		held = ""; next
	}
	{ if (held != "") { print held; held = "" } print }
	END { if (held != "") print held }
' >&2
