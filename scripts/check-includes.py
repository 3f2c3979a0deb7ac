#!/usr/bin/env python3
"""The module import graph of cvmm's sources: no cycles, and nothing below the VM reaches up.

A module is a .c file and its .h together (vmm/vm.c + vmm/vm.h = vmm/vm); a private header
X_priv.h, shared by the .c files that implement X (devices/blk_priv.h for devices/blk*.c), belongs
to module X.  An edge A -> B means a file of A includes B's header.  The check fails when
  - the graph has a cycle (the strongly connected components larger than one module are printed), or
  - a module outside the allowed list includes vmm/vm.h: devices, vsock, boot, tdx, snp and the
    lower vmm modules must not know the VM (they get a narrow environment instead).

    python3 scripts/check-includes.py [--dot]     (--dot prints the graph for graphviz)
"""
import os
import re
import sys

ROOTS = ["vmm", "boot", "devices", "vsock", "tdx", "snp"]
# Modules that may include vmm/vm.h: the supervisor, the TEE kinds (their hooks take the VM), and
# what only they use.
VM_USERS = {"vmm/main", "vmm/tee_emulated", "vmm/cvm_memory", "vmm/cvm_fw_memory",
            "tdx/tdx_launch", "tdx/tdx_exits", "snp/snp_launch", "vmm/supervisor", "vmm/api_state",
            "vmm/metrics"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def module_of(path):
    name = path[:-2]
    return name[:-5] if name.endswith("_priv") else name


def modules(top):
    mods = {}
    for root in ROOTS:
        for dirpath, _, files in os.walk(os.path.join(top, root)):
            for f in files:
                if f.endswith((".c", ".h")):
                    path = os.path.relpath(os.path.join(dirpath, f), top)
                    mods.setdefault(module_of(path), []).append(path)
    return mods


def edges(top, mods):
    graph = {m: set() for m in mods}
    for m, files in mods.items():
        for path in files:
            with open(os.path.join(top, path), encoding="utf-8", errors="replace") as fh:
                for inc in INCLUDE.findall(fh.read()):
                    target = module_of(inc) if inc.endswith(".h") else inc
                    if target in mods and target != m:
                        graph[m].add(target)
    return graph


def cycles(graph):
    """Tarjan's strongly connected components with more than one module."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    mods = modules(top)
    graph = edges(top, mods)
    if "--dot" in sys.argv:
        print("digraph cvmm {")
        for m in sorted(graph):
            for t in sorted(graph[m]):
                print(f'  "{m}" -> "{t}";')
        print("}")
        return 0
    bad = 0
    for comp in cycles(graph):
        print("include cycle: " + " <-> ".join(comp))
        bad += 1
    for m in sorted(graph):
        if "vmm/vm" in graph[m] and m not in VM_USERS:
            print(f"{m} includes vmm/vm.h: only {', '.join(sorted(VM_USERS))} may")
            bad += 1
    nedges = sum(len(t) for t in graph.values())
    if bad:
        print(f"include graph: {bad} problem(s) in {len(graph)} modules, {nedges} edges")
        return 1
    print(f"include graph: {len(graph)} modules, {nedges} edges, no cycle, "
          f"vmm/vm.h used only by {', '.join(sorted(VM_USERS))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
