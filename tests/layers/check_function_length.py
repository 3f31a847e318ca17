#!/usr/bin/python3
"""Fails when a function in the given folders is longer than the limit (default
80 lines, its signature's first line to its closing brace). A function is what
starts at column 0 with a signature whose line ends in '{' (namespaces, types
and initialisers aside) and ends at the next '}' at column 0: the project's
format (clang-format, Google style) puts both there.

usage: check_function_length.py [--max N] ROOT FOLDER...   (exit 1, one line per function)
       check_function_length.py --self-test"""
import os
import re
import sys

NOT_A_FUNCTION = re.compile(r"^(namespace|struct|class|enum|union|extern|static const|const|constexpr|inline constexpr|[A-Za-z_:<>,\s]*=)")


def long_functions(path, limit):
    out = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    start, in_body = None, False
    for i, line in enumerate(lines):
        if in_body:
            if line.startswith("}"):
                n = i - start + 1
                if n > limit:
                    name = re.sub(r"\s*\{$", "", lines[start].strip())[:90]
                    out.append(f"{path}:{start + 1}: {n} lines (over {limit}): {name}")
                start, in_body = None, False
            continue
        if start is None:
            # A signature starts at column 0 and names a call: "T name(...".
            if line and not line[0].isspace() and not line.startswith(("//", "#", "}")) \
                    and not NOT_A_FUNCTION.match(line) and "(" in line:
                start = i
            else:
                continue
        # Inside a signature: it ends with the body's '{', or was a declaration.
        stripped = line.rstrip()
        if stripped.endswith(";") or stripped.endswith("}"):
            start = None
        elif stripped.endswith("{"):
            in_body = True
    return out


def check(root, folders, limit):
    out = []
    for folder in folders:
        for dirpath, _, files in os.walk(os.path.join(root, folder)):
            for name in sorted(files):
                if name.endswith((".cpp", ".h")):
                    out += long_functions(os.path.join(dirpath, name), limit)
    return out


def self_test():
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "x"))
        body = "\n".join(f"  int v{i} = {i};" for i in range(90))
        with open(os.path.join(d, "x", "a.cpp"), "w") as f:
            f.write("namespace bb {\nint short_one(int a) {\n  return a;\n}\n\nvoid long_one(int a,\n"
                    f"              int b) {{\n{body}\n}}\n}}  // namespace bb\n")
        found = check(d, ["x"], 80)
        if len(found) != 1 or "long_one" not in found[0] or ":6:" not in found[0]:
            return f"expected one long function at line 6, found {found}"
    return None


def main(argv):
    if argv[1:] == ["--self-test"]:
        err = self_test()
        print(err or "self-test: ok")
        return 1 if err else 0
    limit = 80
    if len(argv) > 2 and argv[1] == "--max":
        limit = int(argv[2])
        argv = argv[2:]
    found = check(argv[1], argv[2:], limit)
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
