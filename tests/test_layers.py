"""The layout is a map of the product: the layers in `.importlinter` hold, and an import hidden inside a function
says why (an import moved into a function only to dodge a cycle hides a layering mistake)."""
import ast
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("atelier", "testers", "content_review", "payments", "portal", "api", "devtools")


def test_the_layers_in_importlinter_hold():
    assert lint_imports(config_filename=str(ROOT / ".importlinter")) == 0, "see the broken contract printed above"


def _imports_inside_functions():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            lines = path.read_text(encoding="utf-8").splitlines()
            for function in ast.walk(ast.parse("\n".join(lines))):
                if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                for node in ast.walk(function):
                    if isinstance(node, ast.ImportFrom):
                        ours = node.level > 0 or (node.module or "").split(".")[0] in PACKAGES
                    elif isinstance(node, ast.Import):
                        ours = any(alias.name.split(".")[0] in PACKAGES for alias in node.names)
                    else:
                        continue
                    if ours:
                        yield path.relative_to(ROOT), node.lineno, _explained(lines, node.lineno)


def _explained(lines, lineno) -> bool:
    """A comment on the import's line, or on the line above the block of imports it stands in."""
    if "#" in lines[lineno - 1]:
        return True
    above = lineno - 2
    while above >= 0 and lines[above].strip().startswith(("from ", "import ")) and "#" not in lines[above]:
        above -= 1
    return above >= 0 and (lines[above].strip().startswith("#") or "#" in lines[above] and
                           lines[above].strip().startswith(("from ", "import ")))


def test_an_import_of_our_code_inside_a_function_says_why():
    silent = [f"{path}:{line}" for path, line, explained in _imports_inside_functions() if not explained]
    assert silent == [], "imports inside functions without a comment saying why:\n" + "\n".join(silent)
