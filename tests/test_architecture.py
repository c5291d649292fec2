"""Dependencies run downhill, and nothing imports in a circle (STYLE.md habit 11, issue 10).

The layers and the channel rule are import-linter contracts in `.importlinter`; these tests run
them, show that a breach or a cycle would fail, and count the imports tucked inside functions.
"""
from __future__ import annotations

import ast
from copy import deepcopy
from pathlib import Path

import grimp
import pytest
from importlinter.application import use_cases
from importlinter import cli  # noqa: F401  (importing it configures import-linter)
from importlinter.domain.contract import registry

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".importlinter"
PACKAGES = ("gateway", "handlers", "workers", "menus")
MAX_FUNCTION_IMPORTS = 30

@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, cache_dir=None, exclude_type_checking_imports=True)


def _contracts() -> dict:
    """The contracts of `.importlinter`, by their section id, ready to check a graph."""
    options = use_cases.read_user_options(str(CONFIG))
    use_cases._register_contract_types(options)
    return {o["id"]: registry.get_contract_class(o["type"])(
        name=o["name"], session_options=options.session_options, contract_options=o)
        for o in options.contracts_options}


def _kept(graph: grimp.ImportGraph) -> dict[str, bool]:
    return {key: contract.check(deepcopy(graph), verbose=False).kept for key, contract in _contracts().items()}


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every group of modules that import each other in a circle (Tarjan's strongly connected
    components of the module graph), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_the_import_contracts_are_kept():
    # What `lint-imports` runs, without the command's logging set-up (it would disable the
    # loggers other tests read).
    assert use_cases.lint_imports(config_filename=str(CONFIG), cache_dir=None, no_logo=True) is True


def test_a_layer_breach_breaks_the_layers_contract(graph):
    assert _kept(graph) == {"layers": True, "channels": True, "siblings": True}
    breached = deepcopy(graph)
    breached.add_import(importer="gateway.services.messaging", imported="workers.sending")
    assert _kept(breached)["layers"] is False


def test_a_channel_reaching_past_its_interface_breaks_the_channels_contract(graph):
    breached = deepcopy(graph)
    breached.add_import(importer="handlers.fake", imported="gateway.models.messages")
    assert _kept(breached)["channels"] is False


def test_no_modules_import_each_other_in_a_circle(graph):
    assert cycles(graph) == []


def test_a_cycle_would_be_found(graph):
    looped = deepcopy(graph)
    looped.add_import(importer="gateway.phone", imported="gateway.services.contacts")   # which imports phone
    assert ["gateway.phone", "gateway.services.contacts"] in cycles(looped)
    assert _kept(looped)["layers"] is False


def function_imports() -> list[tuple[str, int, str, bool]]:
    """(file, line, statement, has a reason) for every import inside a function of the production
    code. The reason is a comment on the import's line or on the line(s) just above it."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            lines = source.splitlines()
            for node in ast.walk(ast.parse(source)):
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                for statement in ast.walk(node):
                    if isinstance(statement, (ast.Import, ast.ImportFrom)):
                        found.append((str(path.relative_to(ROOT)), statement.lineno, ast.unparse(statement),
                                      _has_reason(lines, statement.lineno - 1)))
    return found


def _has_reason(lines: list[str], at: int) -> bool:
    if "#" in lines[at]:
        return True
    above = at - 1
    while above >= 0 and lines[above].strip().startswith(("import ", "from ")):
        above -= 1          # a block of imports shares the comment above it
    return above >= 0 and lines[above].strip().startswith("#")


def test_fewer_than_30_imports_inside_functions_each_with_its_reason():
    imports = function_imports()
    assert len(imports) < MAX_FUNCTION_IMPORTS, "\n".join(f"{f}:{n} {s}" for f, n, s, _ in imports)
    unexplained = [f"{f}:{n} {s}" for f, n, s, reason in imports
                   if not reason and (f, s) not in PROVIDERS_PENDING]
    assert unexplained == []


def test_an_import_without_its_reason_is_caught():
    assert _has_reason(["def f():", "    # openpyxl is slow to import", "    import openpyxl"], 2)
    assert _has_reason(["def f():", "    import json  # only XLSX needs it"], 1)
    assert not _has_reason(["def f():", "    x = 1", "    import json"], 2)
