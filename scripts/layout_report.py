"""The shape of the code in figures: imports between packages, and the biggest modules and functions.

    .venv/bin/python scripts/layout_report.py            # rooms: the layers in .importlinter
    .venv/bin/python scripts/layout_report.py --rooms coach escalation bot

Prints:

- imports that cross from one room (package) to another, by direction, counting each
  import statement once (grimp builds the graph, as import-linter does);
- the largest modules (outside migrations and generated files) and any over 600 lines;
- functions longer than 80 lines.
"""

from __future__ import annotations

import argparse
import ast
import collections
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PACKAGES = ("coach", "escalation", "bot")
DEFAULT_ROOMS = ("coach.core", "coach.programme", "coach.messaging", "escalation", "bot", "coach.app", "coach.cli")
MODULE_LIMIT = 600
FUNCTION_LIMIT = 80


def room_of(module: str, rooms) -> str:
    best = ""
    for room in rooms:
        if (module == room or module.startswith(room + ".")) and len(room) > len(best):
            best = room
    return best or module.split(".")[0]


def cross_imports(rooms) -> collections.Counter:
    import grimp

    graph = grimp.build_graph(*PACKAGES)
    counter: collections.Counter = collections.Counter()
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            a, b = room_of(importer, rooms), room_of(imported, rooms)
            if a == b:
                continue
            details = graph.get_import_details(importer=importer, imported=imported)
            counter[(a, b)] += len({d["line_number"] for d in details}) or 1
    return counter


def python_files():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            yield path


def long_functions(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            if length > FUNCTION_LIMIT:
                yield node.name, node.lineno, length


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rooms", nargs="*", default=list(DEFAULT_ROOMS))
    args = ap.parse_args()

    print("Imports crossing between packages (import statements), by direction:")
    crossings = cross_imports(args.rooms)
    for (a, b), n in sorted(crossings.items(), key=lambda kv: (kv[0][0], -kv[1])):
        print(f"  {a:<18} -> {b:<18} {n:>4}")
    pairs = {frozenset(k) for k in crossings}
    both = sorted(tuple(sorted(p)) for p in pairs
                  if len(p) == 2 and all((x, y) in crossings for x in p for y in p if x != y))
    print(f"  {sum(crossings.values())} in all; "
          f"pairs importing each other: {', '.join(' <-> '.join(p) for p in both) or 'none'}")

    sizes = sorted(((len(p.read_text(encoding='utf-8').splitlines()), p.relative_to(ROOT)) for p in python_files()),
                   reverse=True)
    print("\nLargest modules (lines; migrations left out):")
    for n, p in sizes[:5]:
        print(f"  {n:>5}  {p}")
    over = [(n, p) for n, p in sizes if n > MODULE_LIMIT]
    print(f"  modules over {MODULE_LIMIT} lines: {len(over)}")

    print(f"\nFunctions over {FUNCTION_LIMIT} lines:")
    found = 0
    for path in python_files():
        for name, line, length in long_functions(path):
            found += 1
            print(f"  {length:>4}  {path.relative_to(ROOT)}:{line} {name}")
    if not found:
        print("  none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
