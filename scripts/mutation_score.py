"""Print the mutation score of the last `mutmut run` and its survivors; fail below the 90% floor.

Run by `make mutation` after `mutmut run`. The score is killed / (killed + survived + timeouts +
suspicious): a mutant no test ran against ("no tests") counts as surviving, because nothing caught it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FLOOR = 0.90
MUTMUT = str(Path(sys.executable).with_name("mutmut"))
STATS = Path("mutants/mutmut-cicd-stats.json")


def main() -> int:
    subprocess.run([MUTMUT, "export-cicd-stats"], check=True, stdout=subprocess.DEVNULL)
    stats = json.loads(STATS.read_text())
    not_killed = stats["survived"] + stats["no_tests"] + stats["timeout"] + stats["suspicious"]
    tried = stats["killed"] + not_killed
    if not tried:
        print("no mutants were tried: run `mutmut run` first", file=sys.stderr)
        return 1
    survivors = subprocess.run([MUTMUT, "results"], check=True, capture_output=True, text=True).stdout
    print(survivors.rstrip())
    score = stats["killed"] / tried
    print(
        f"mutation score over metrics/: {score:.1%} ({stats['killed']} killed of {tried}; "
        f"{stats['survived']} survived, {stats['no_tests']} without a test, "
        f"{stats['timeout']} timed out, {stats['suspicious']} suspicious) — floor {FLOOR:.0%}"
    )
    print("see one survivor with: .venv/bin/mutmut show <name>")
    return 0 if score >= FLOOR else 1


if __name__ == "__main__":
    sys.exit(main())
