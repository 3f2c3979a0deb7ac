"""Where a benchmark runs, for the first lines of its table (used by the scripts/bench_*.py).

The KVM runner (tests/kvm/kvm_run.py) sets CVMM_KVM_WHERE to local or nested, and in the nested
case CVMM_HOST_CPU / CVMM_HOST_KERNEL for the machine underneath L1.
"""
import datetime
import os


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def describe():
    """One line: date, where KVM is, CPU, kernel (and the host under the nested L1)."""
    where = os.environ.get("CVMM_KVM_WHERE", "local")
    date = datetime.date.today().isoformat()
    ncpu = os.cpu_count()
    if where == "nested":
        return (f"machine: {date}, nested L1 (QEMU TCG with emulated SVM, kvm-amd nested=1; "
                f"{ncpu} vCPU, {_cpu_model()}, kernel {os.uname().release}) on "
                f"{os.environ.get('CVMM_HOST_CPU', '?')}, host kernel "
                f"{os.environ.get('CVMM_HOST_KERNEL', '?')}")
    return (f"machine: {date}, local /dev/kvm ({ncpu} CPUs, {_cpu_model()}, "
            f"kernel {os.uname().release})")
