#!/usr/bin/env python3
"""Fails when a crate has an import circle between its modules.

For each `crates/*/src`, the graph has an edge from module A to module B when A's code (its tests and
comments aside) names a path into B through `crate::`, `super::` or `self::`; a path names the longest
module it reaches. Every strongly connected component of more than one module is a circle, printed with
its edges. Usage: `python3 .ci/import_cycles.py [CRATE_SRC_DIR...]` (default: every crate).
"""
import glob
import os
import re
import sys

PATH = re.compile(r"\b((?:crate|super|self)(?:::(?:\w+|\{[^}]*\}))+)")


def modules(root):
    """Module path (a tuple) -> file, for every .rs file under `root`."""
    out = {}
    for folder, _, files in os.walk(root):
        for name in files:
            if not name.endswith(".rs"):
                continue
            file = os.path.join(folder, name)
            parts = os.path.relpath(file, root)[:-3].split(os.sep)
            if parts[-1] == "mod":
                parts = parts[:-1]
            if parts in (["lib"], ["main"]):
                parts = []
            out[tuple(parts)] = file
    return out


def resolve(mods, current, path):
    segs = path.split("::")
    if segs[0] == "crate":
        base, segs = [], segs[1:]
    elif segs[0] == "super":
        base = list(current)
        while segs and segs[0] == "super":
            base, segs = base[:-1], segs[1:]
    else:  # self
        base, segs = list(current), segs[1:]
    for i in range(len(segs), -1, -1):
        candidate = tuple(base + segs[:i])
        if candidate in mods:
            return candidate
    return None


def edges_of(mods):
    edges = {m: set() for m in mods}
    for module, file in mods.items():
        with open(file, encoding="utf-8") as f:
            source = re.split(r"#\[cfg\(test\)\]", f.read())[0]
        source = "\n".join(l for l in source.split("\n") if not l.strip().startswith("//"))
        for match in PATH.finditer(source):
            path = match.group(1)
            brace = re.search(r"\{([^}]*)\}", path)
            paths = [path]
            if brace:
                head = path[: brace.start()]
                paths = [head + x.strip() for x in brace.group(1).split(",") if x.strip()]
            for p in paths:
                target = resolve(mods, module, p.rstrip(":"))
                if target is not None and target != module:
                    edges[module].add(target)
    return edges


def circles(edges):
    """Tarjan's strongly connected components of more than one module."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    for v in edges:
        if v not in index:
            visit(v)
    return found


def main():
    roots = sys.argv[1:] or sorted(glob.glob("crates/*/src"))
    name = lambda m: "::".join(m) or "crate"
    bad = 0
    for root in roots:
        edges = edges_of(modules(root))
        for component in circles(edges):
            bad += 1
            print(f"{root}: import circle between {', '.join(sorted(map(name, component)))}")
            for a in component:
                for b in sorted(edges[a] & set(component)):
                    print(f"    {name(a)} -> {name(b)}")
    if bad:
        sys.exit(1)
    print(f"no import circle in {len(roots)} crates")


if __name__ == "__main__":
    main()
