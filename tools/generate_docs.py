"""Write the tables of README.md and docs/ that are copies of the project's data.

Each table sits between two markers in its Markdown file:

    <!-- BEGIN generated: settings (python tools/generate_docs.py --write) -->
    ...
    <!-- END generated: settings -->

and is rendered from its source: the settings from
src/rc_contract/configuration/settings.py, the clauses from spec/clauses.yaml, the known
releases from spec/versions.yaml,
the faults and variants from the reference server's catalogues. A new setting, version,
fault or variant reaches the docs by running this script; tests/selftest/end_to_end/test_generated_docs.py
fails while they differ.

    python tools/generate_docs.py           # check: exit 1 and name each table that drifted
    python tools/generate_docs.py --write   # rewrite the tables in place
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMMAND = "python tools/generate_docs.py --write"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def settings_table() -> str:
    from rc_contract.configuration.settings import SETTINGS

    return _table(["variable", "option of `rc-contract run`", "meaning"],
                  [[f"`{s.env}`", f"`{s.option}`", s.help] for s in SETTINGS.values()])


def clauses_table() -> str:
    data = yaml.safe_load((ROOT / "spec" / "clauses.yaml").read_text())
    return _table(["clause", "what must hold", "versions"],
                  [[f"`{c['id']}`", c["title"], c["versions"]] for c in data["clauses"]])


def versions_table() -> str:
    """One sentence per kind: the lines known (with their release candidates), then the
    lines seen beyond the newest contract."""
    data = yaml.safe_load((ROOT / "spec" / "versions.yaml").read_text())

    def candidates(line: dict) -> str:
        first, last = line.get("release_candidates") or (None, None)
        return f"`{line['line']}.0-rc.{first}` to `rc.{last}`" if first is not None else ""

    known = []
    for line in data["lines"]:
        first, newest = f"{line['line']}.0", line["newest_patch"]
        text = f"`{first}` to `{newest}`" if newest != first else f"`{first}`"
        if candidates(line):
            text += f" (and {candidates(line)})"
        known.append(text)
    sentences = [f"Releases known: {', '.join(known)}."]
    beyond = [candidates(line) or f"`{line['line']}`" for line in data.get("beyond", [])]
    if beyond:
        sentences.append(f"Seen, newer than any contract known (judged by the {data['contract']['newest']} "
                         f"contract, with a notice): {', '.join(beyond)}.")
    return "\n".join(textwrap.fill(sentence, 88, break_on_hyphens=False) for sentence in sentences)


def faults_table() -> str:
    from rc_contract.reference.faults import catalogue

    rows = [[f"`{f.name}`", f.kind, ", ".join(f.clauses) or "-", f.version or "", f.description]
            for f in catalogue().values()]
    return _table(["fault", "kind", "must be caught by", "proved on", "what it breaks"], rows)


def variants_table() -> str:
    from rc_contract.reference.variants import catalogue

    rows = [[f"`{v.name}`", v.description, v.promise] for v in catalogue().values()]
    return _table(["variant", "what differs", "why the contract still holds"], rows)


# file -> table name -> renderer
TABLES: dict[str, dict[str, Callable[[], str]]] = {
    "README.md": {"clauses": clauses_table, "versions": versions_table, "settings": settings_table},
    "docs/reference-server.md": {"faults": faults_table, "variants": variants_table},
}


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"(<!-- BEGIN generated: {re.escape(name)} \(.*?\) -->\n)(.*?)"
        rf"(<!-- END generated: {re.escape(name)} -->)",
        re.DOTALL,
    )


def render(text: str, tables: dict[str, Callable[[], str]]) -> tuple[str, list[str]]:
    """The text with each table rendered anew, and the names of the tables that changed
    (or whose markers are missing)."""
    drifted = []
    for name, renderer in tables.items():
        pattern = _pattern(name)
        match = pattern.search(text)
        if match is None:
            drifted.append(f"{name} (no markers)")
            continue
        body = renderer() + "\n"
        if match[2] != body:
            drifted.append(name)
            text = text[:match.start(2)] + body + text[match.end(2):]
    return text, drifted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="rewrite the tables in place")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "src"))
    status = 0
    for relative, tables in TABLES.items():
        path = ROOT / relative
        text, drifted = render(path.read_text(), tables)
        unmarked = [name for name in drifted if name.endswith("(no markers)")]
        if unmarked:
            print(f"{relative}: {', '.join(unmarked)}: add the BEGIN/END markers where the table goes")
            status = 1
            drifted = [name for name in drifted if name not in unmarked]
        if args.write and drifted:
            path.write_text(text)
            print(f"{relative}: rewrote {', '.join(drifted)}")
        elif drifted:
            print(f"{relative}: {', '.join(drifted)} differ from the source; run {COMMAND}")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
