"""What the known-answer scripts share: where a golden file is and how one is written."""

import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def golden_path(name):
    """`Tests/golden/<name>` in this repository."""
    return os.path.join(ROOT, "Tests", "golden", name)


def write_golden(path, result, jax_version):
    """Writes `result` to `path` as JSON (one-space indent, a final newline) and says so."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(f"wrote {path} (jax {jax_version})")
