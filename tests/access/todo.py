"""Failures of the access test, collected for one to-do list at the end of the run (grouped by app)."""
from collections import defaultdict

FAILURES: list[dict] = []


def record(name, role, method, expected, actual, detail=""):
    FAILURES.append({"name": name, "role": role, "method": method, "expected": expected, "actual": actual,
                     "detail": detail})


def app_of(name):
    return name.split(":", 1)[0] if ":" in name else "atelier"


def summary() -> str:
    if not FAILURES:
        return ""
    by_app = defaultdict(list)
    for failure in FAILURES:
        by_app[app_of(failure["name"])].append(failure)
    lines = [f"{len(FAILURES)} failing (url, role, method) cases"]
    for app in sorted(by_app):
        lines.append(f"\n[{app}] {len(by_app[app])}")
        for f in sorted(by_app[app], key=lambda f: (f["name"], f["method"], f["role"])):
            detail = f"   ({f['detail']})" if f["detail"] else ""
            lines.append(f"  {f['name']:<42} {f['method']:<4} {f['role']:<16} expected {f['expected']:<18} "
                         f"got {f['actual']}{detail}")
    return "\n".join(lines)
