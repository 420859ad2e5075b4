"""Fails when a release pinned in the lock files has a known vulnerability.

pip-audit does the audit, asking PyPI about each pinned release (its advisories come from the
PyPA advisory database and OSV). pip-audit counts a release it could not look up as "skipped" and
still says "No known vulnerabilities found" and exits 0, so this script reads its JSON report
instead and fails unless every pinned release was audited.

Where PyPI's per-release record (pypi.org/pypi/NAME/VERSION/json) cannot be reached, as on this
project's CI machines, whose registry mirror serves only the per-project record, a skipped
release that is its project's newest is audited from the per-project record
(pypi.org/pypi/NAME/json), whose advisories are those of the newest release. A pinned release
older than its project's newest cannot be audited there: it is listed as not audited, loudly,
and fails the run when --strict is given (or LINKAGE_AUDIT_STRICT=1); `scripts/lock --upgrade`
moves the pins to the newest releases.

Usage: python scripts/audit_lock.py [--strict] LOCK_FILE...
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PROJECT_RECORD = "https://pypi.org/pypi/{name}/json"


@dataclass
class Audit:
    """What is known of the locked set after each source has been asked."""

    pins: dict[str, set[str]]  # a universal lock may pin one name per Python version
    vulnerable: list[str] = field(default_factory=list)
    audited: set[tuple[str, str]] = field(default_factory=set)  # (name, version)
    not_audited: dict[str, str] = field(default_factory=dict)  # "name==version" -> why

    @property
    def releases(self) -> set[tuple[str, str]]:
        return {(name, version) for name, versions in self.pins.items() for version in versions}


def locked_pins(lock_files: list[Path]) -> dict[str, set[str]]:
    """name -> pinned versions, from `name==version ; marker \\` lines (a marker may give a
    name one pin for older Pythons and another for newer ones)."""
    pins: dict[str, set[str]] = {}
    for lock in lock_files:
        for line in lock.read_text().splitlines():
            if not line or line[0] in " #-":
                continue
            requirement = Requirement(line.rstrip(" \\"))
            (specifier,) = requirement.specifier
            name = canonicalize_name(requirement.name)
            pins.setdefault(name, set()).add(specifier.version)
    return pins


def run_pip_audit(lock_files: list[Path], audit: Audit) -> None:
    """Asks pip-audit (PyPI's per-release records); what it skips stays unaudited."""
    command = [sys.executable, "-m", "pip_audit", "--disable-pip", "--require-hashes"]
    for lock in lock_files:
        command += ["--requirement", str(lock)]
    command += ["--vulnerability-service", "pypi", "--format", "json", "--output", "-"]
    command += ["--progress-spinner", "off"]
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    try:
        report = json.loads(finished.stdout)
    except json.JSONDecodeError:
        print(f"audit: pip-audit gave no report:\n{finished.stderr}", file=sys.stderr)
        return
    for dependency in report["dependencies"]:
        name = canonicalize_name(dependency["name"])
        if "skip_reason" in dependency:
            continue
        audit.audited.add((name, dependency["version"]))
        for vuln in dependency["vulns"]:
            audit.vulnerable.append(
                f"{name}=={dependency['version']}: {vuln['id']} {' '.join(vuln['aliases'])}"
                f" (fixed in {', '.join(vuln['fix_versions']) or 'no release yet'})"
            )


def project_record(name: str) -> dict[str, object]:
    request = urllib.request.Request(
        PROJECT_RECORD.format(name=name),
        headers={"Accept": "application/json", "Accept-Encoding": "gzip"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        body = response.read()
        if response.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
    record: dict[str, object] = json.loads(body)
    return record


def audit_newest_releases(audit: Audit) -> None:
    """Audits each still-unaudited pin that is its project's newest release."""
    waiting = sorted(audit.releases - audit.audited)
    names = sorted({name for name, _version in waiting})
    with ThreadPoolExecutor(max_workers=8) as pool:
        records = dict(zip(names, pool.map(fetch_or_error, names), strict=True))
    for name, pinned in waiting:
        record = records[name]
        if isinstance(record, str):
            audit.not_audited[f"{name}=={pinned}"] = f"PyPI could not be asked ({record})"
            continue
        newest = record["info"]["version"]  # type: ignore[index]
        if newest != pinned:
            audit.not_audited[f"{name}=={pinned}"] = f"behind the newest release {newest}"
            continue
        audit.audited.add((name, pinned))
        seen: set[str] = set()  # PyPI lists one advisory under each of its ids (PYSEC, GHSA)
        for vuln in record["vulnerabilities"]:  # type: ignore[attr-defined]
            if vuln.get("withdrawn") or vuln["id"] in seen:
                continue
            seen.update([vuln["id"], *vuln.get("aliases", [])])
            audit.vulnerable.append(
                f"{name}=={pinned}: {vuln['id']} {' '.join(vuln.get('aliases', []))}"
                f" (fixed in {', '.join(vuln.get('fixed_in', [])) or 'no release yet'})"
            )


def fetch_or_error(name: str) -> dict[str, object] | str:
    try:
        return project_record(name)
    except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as error:
        return str(error)


def main(arguments: list[str]) -> int:
    strict = "--strict" in arguments or os.environ.get("LINKAGE_AUDIT_STRICT") == "1"
    lock_files = [Path(argument) for argument in arguments if argument != "--strict"]
    if not lock_files:
        sys.exit(__doc__)
    audit = Audit(pins=locked_pins(lock_files))
    run_pip_audit(lock_files, audit)
    by_pip_audit = len(audit.audited)
    if len(audit.audited) < len(audit.releases):
        audit_newest_releases(audit)
    for line in audit.vulnerable:
        print(f"audit: VULNERABLE {line}", file=sys.stderr)
    for release, why in sorted(audit.not_audited.items()):
        print(f"audit: NOT AUDITED {release}: {why}", file=sys.stderr)
    print(
        f"audit: {len(audit.releases)} pinned releases: {by_pip_audit} audited by pip-audit,"
        f" {len(audit.audited) - by_pip_audit} from PyPI's newest-release records,"
        f" {len(audit.not_audited)} not audited, {len(audit.vulnerable)} known vulnerabilities",
        file=sys.stderr,
    )
    if audit.vulnerable:
        print(
            "audit: raise the pins past the fixes: scripts/lock --upgrade-package NAME",
            file=sys.stderr,
        )
        return 1
    if not audit.audited:
        print("audit: nothing could be audited: no vulnerability service answered", file=sys.stderr)
        return 1
    if audit.not_audited and strict:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
