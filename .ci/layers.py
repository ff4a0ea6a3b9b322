#!/usr/bin/env python3
"""Checks the import order of runner-core/src against the layers listed at the top of lib.rs.

lib.rs lists the layers as doc lines `//! N. name: `file`, `room/*`, ...` (bottom first). Every
file must be in one layer, and a file may import (`use crate::...`, `super::...`, or a path in
code) only files of its own layer or below, never in a circle (a builder and the type it builds
aside). `pub use` re-exports and doc links are not imports. Exits 1 with one line per breach."""
import fnmatch, os, re, sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "runner-core", "src")
files = {}
for d, _, fs in os.walk(root):
    for f in fs:
        if f.endswith(".rs"):
            files[os.path.relpath(os.path.join(d, f), root)] = open(os.path.join(d, f)).read()

layers = []  # (number, name, patterns)
for line in files["lib.rs"].splitlines():
    m = re.match(r"//! (\d+)\. ([^:]+): (.*)", line)
    if m:
        layers.append((int(m.group(1)), m.group(2), re.findall(r"`([^`]+)`", m.group(3))))
if not layers:
    sys.exit("layers.py: lib.rs lists no layers (doc lines `//! N. name: `file`, ...`)")

def layer_of(path):
    """The layer that names the file itself, or else the one whose folder pattern matches."""
    exact = [n for n, _, pats in layers if path in pats]
    if exact:
        return exact[0]
    found = [n for n, _, pats in layers for p in pats if fnmatch.fnmatch(path, p)]
    return found[0] if found else None

def module_of(p):
    parts = p[:-3].split("/")
    return parts[:-1] if parts[-1] in ("mod", "lib") else parts

mods = {tuple(module_of(p)): p for p in files}

def resolve(path):
    for n in range(len(path), -1, -1):
        if tuple(path[:n]) in mods:
            return mods[tuple(path[:n])]

def code_of(src):
    src = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
    src = "\n".join(l.split("//")[0] for l in src.splitlines())
    return re.split(r"#\[cfg\(test\)\]\s*mod\s+tests", src)[0]

edges = {p: set() for p in files}
for p, src in files.items():
    me = module_of(p)
    code = code_of(src)
    # re-exports declare a room's face; they are not imports
    code = re.sub(r"\bpub(\([^)]*\))?\s+use\s+[^;]+;", "", code)
    for m in re.finditer(r"\buse\s+([^;]+);", code):
        body = m.group(1).replace("\n", " ").strip()
        head = re.match(r"(crate|super|self)((?:::\w+)*)", body)
        if not head:
            continue
        base = {"crate": [], "super": me[:-1], "self": me}[head.group(1)]
        path = base + [x for x in head.group(2).split("::") if x]
        inner = re.search(r"\{(.*)\}", body)
        names = [n.strip().split("::")[0] for n in inner.group(1).split(",")] if inner else [""]
        for n in names:
            t = resolve(path + ([n] if n and n != "self" else []))
            if t and t != p:
                edges[p].add(t)
    for m in re.finditer(r"\b(crate|super)((?:::\w+)+)", code):
        base = [] if m.group(1) == "crate" else me[:-1]
        t = resolve(base + [x for x in m.group(2).split("::") if x])
        if t and t != p:
            edges[p].add(t)

problems = []
for p in sorted(files):
    if layer_of(p) is None:
        problems.append(f"{p} is in no layer: add it to the list at the top of lib.rs")
for p in sorted(files):
    for t in sorted(edges[p]):
        lp, lt = layer_of(p), layer_of(t)
        if lp is not None and lt is not None and lt > lp:
            problems.append(f"{p} (layer {lp}) imports {t} (layer {lt}), a layer above it")

index, low, stack, on, cycles, counter = {}, {}, [], set(), [], [0]
sys.setrecursionlimit(10000)
def strong(v):
    index[v] = low[v] = counter[0]; counter[0] += 1; stack.append(v); on.add(v)
    for w in edges[v]:
        if w not in index:
            strong(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        c = []
        while True:
            w = stack.pop(); on.discard(w); c.append(w)
            if w == v:
                break
        if len(c) > 1 and not (len(c) == 2 and any("builder" in x for x in c)):
            cycles.append(sorted(c))
for v in sorted(files):
    if v not in index:
        strong(v)
problems += ["import circle: " + " <-> ".join(c) for c in cycles]

for p in problems:
    print("layers:", p)
if problems:
    sys.exit(1)
print(f"layers: {len(files)} files in {len(layers)} layers, every import downwards, no circle")
