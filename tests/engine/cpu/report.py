"""Print the conformance pass rate with and without the undefined-flag masks.

    python -m tests.engine.cpu.report
"""

from tests.engine.cpu.vectors import run_file, vector_files


def main() -> None:
    files = vector_files()
    total = 500 * len(files)
    for masked in (True, False):
        per_file = {p.name: run_file(p, masked=masked) for p in files}
        failed = sum(len(f) for f in per_file.values())
        label = "masked (defined flags)" if masked else "unmasked (all flags)"
        print(f"{label}: {total - failed}/{total} passed ({100 * (total - failed) / total:.2f}%)")
        for name, fails in per_file.items():
            if fails:
                print(f"  {name}: {len(fails)} failures, e.g. {fails[0]}")


if __name__ == "__main__":
    main()
