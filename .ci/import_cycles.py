#!/usr/bin/env python3
"""Fails when two top-level modules of a crate depend on each other, directly or through others,
or when two files (or subfolders) of one module folder do.

A folder counts as one module: `engine/` and everything under it is `engine`, so a parent and
its own children may refer to each other. A reference is any `crate::NAME` in the code (in a
`use`, a path, or a `use crate::{A, B::c}` group). A name that lib.rs re-exports
(`pub use engine::Engine;`) counts as the module that defines it, so `use crate::Engine`
is an edge to `engine`. Comments are ignored; `#[cfg(test)]` modules are not (a test module's
imports are imports too).

Inside a folder (`web/`, `engine/`), each file and each subfolder is one node, its `mod.rs`
excepted (a parent may refer to its children). A reference is `super::NAME` from a file of the
folder (`super::super::NAME` from a file of a subfolder), or `crate::FOLDER::NAME` from any file
under it; a name that `mod.rs` re-exports from a child counts as that child.

Usage: import_cycles.py CRATE_SRC_DIR [CRATE_SRC_DIR ...]
Prints each crate's module graph, and each cycle found; exits 1 if there is one.
"""

import re
import sys
from pathlib import Path

COMMENT = re.compile(r"//[^\n]*")
REEXPORT = re.compile(r"pub\s+use\s+([a-z_][a-z0-9_]*)::(\{[^;]*\}|[^;]*);", re.S)
CRATE_PATH = re.compile(r"\bcrate::([A-Za-z_][A-Za-z0-9_]*)")
CRATE_GROUP = re.compile(r"\bcrate::\{([^;]*?)\}\s*;", re.S)


def strip_comments(text: str) -> str:
    # Doc comments hold example code (`use sessions_core::…`), never `crate::` edges.
    return COMMENT.sub("", text)


def top_module(src: Path, file: Path) -> str | None:
    rel = file.relative_to(src)
    if rel.parts[0] in ("lib.rs", "main.rs"):
        return None
    return rel.parts[0].removesuffix(".rs")


def names_in_group(group: str) -> list[str]:
    """The first segment of each item of `{A, b::C, d::{e, f}}`, at the outer level only."""
    names, depth, item = [], 0, ""
    for ch in group.strip().strip("{}") + ",":
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            head = item.strip().split("::")[0].split(" as ")[0].strip()
            if head:
                names.append(head)
            item = ""
        else:
            item += ch
    return names


def reexports(lib: str, modules: set[str]) -> dict[str, str]:
    """Name re-exported at the crate root -> the top-level module it comes from."""
    owner = {}
    for module, items in REEXPORT.findall(lib):
        if module not in modules:
            continue
        for name in names_in_group(items) if items.strip().startswith("{") else [items.strip()]:
            owner[name.split(" as ")[-1].strip()] = module
    return owner


def graph(src: Path) -> dict[str, set[str]]:
    root = src / "lib.rs"
    if not root.exists():
        root = src / "main.rs"
    files = sorted(src.rglob("*.rs"))
    modules = {m for f in files if (m := top_module(src, f))}
    owner = reexports(strip_comments(root.read_text()), modules)
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for file in files:
        here = top_module(src, file)
        if here is None:
            continue
        text = strip_comments(file.read_text())
        refs = CRATE_PATH.findall(text)
        for group in CRATE_GROUP.findall(text):
            refs.extend(names_in_group(group))
        for ref in refs:
            target = ref if ref in modules else owner.get(ref)
            if target and target != here:
                edges[here].add(target)
    return edges


CHILD_USE = re.compile(r"(?:pub(?:\([a-z]+\))?\s+)?use\s+([a-z_][a-z0-9_]*)::(\{[^;]*\}|[^;]*);", re.S)


def folder_graph(folder: Path, src: Path) -> dict[str, set[str]]:
    """The files and subfolders of one module folder, and which refer to which."""
    children = {
        (p.stem if p.is_file() else p.name)
        for p in folder.iterdir()
        if (p.is_file() and p.suffix == ".rs" and p.name != "mod.rs") or (p.is_dir() and (p / "mod.rs").exists())
    }
    mod_rs = strip_comments((folder / "mod.rs").read_text())
    owner = {}
    for child, items in CHILD_USE.findall(mod_rs):
        if child not in children:
            continue
        for name in names_in_group(items) if items.strip().startswith("{") else [items.strip()]:
            owner[name.split(" as ")[-1].strip()] = child
    crate_path = "crate::" + "::".join(folder.relative_to(src).parts) + "::"
    edges: dict[str, set[str]] = {c: set() for c in children}
    for file in folder.rglob("*.rs"):
        rel = file.relative_to(folder)
        here = rel.parts[0].removesuffix(".rs")
        if here == "mod" or here not in children:
            continue
        text = strip_comments(file.read_text())
        prefixes = [re.escape(crate_path)]
        depth = len(rel.parts) - 1  # 0 for a file of the folder itself
        prefixes.append(r"\bsuper::" * (depth + 1) if depth else r"\bsuper::")
        if depth and rel.name == "mod.rs":
            prefixes[-1] = r"\bsuper::" * depth
        refs = []
        for prefix in prefixes:
            refs += re.findall(prefix + r"([A-Za-z_][A-Za-z0-9_]*)", text)
            for group in re.findall(prefix + r"\{([^;]*?)\}\s*;", text, re.S):
                refs.extend(names_in_group(group))
        for ref in refs:
            target = ref if ref in children else owner.get(ref)
            if target and target != here:
                edges[here].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def main() -> int:
    failed = False
    for arg in sys.argv[1:]:
        src = Path(arg)
        edges = graph(src)
        print(f"{src}:")
        for module in sorted(edges):
            print(f"  {module} -> {', '.join(sorted(edges[module])) or '(nothing)'}")
        for component in cycles(edges):
            failed = True
            print(f"  CYCLE among: {', '.join(component)}")
            for module in component:
                inside = sorted(edges[module] & set(component))
                print(f"    {module} imports {', '.join(inside)}")
        for folder in sorted(p.parent for p in src.rglob("mod.rs")):
            if folder == src:
                continue
            edges = folder_graph(folder, src)
            name = "/".join(folder.relative_to(src).parts) + "/"
            for component in cycles(edges):
                failed = True
                print(f"  CYCLE among the files of {name}: {', '.join(component)}")
                for module in component:
                    inside = sorted(edges[module] & set(component))
                    print(f"    {module} imports {', '.join(inside)}")
        print("  no file-level cycle inside any module folder" if not failed else "")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
