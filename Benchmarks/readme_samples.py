#!/usr/bin/env python3
"""make readme-samples: regenerate README.md's sample outputs from the tool, so they are generated, not typed.

A sample is a ```console block: `$ command` lines, each followed by what it prints (stdout, then
stderr). A line that is only `…` stands for any run of lines; the README doc test
(Tests/AdaptoolCLITests/ReadmeDocTests.swift) re-runs every sample and compares with the same rule.

Each command runs with the binary's folder first on PATH, in a scratch folder holding a copy of
Fixtures/ (so sample commands only read Fixtures/). The elisions the README chose are kept:
  - the lines before the first `…` are the output's first lines (as many as before);
  - the lines after the last `…` run to the end of the output from the last output line equal to
    their first line (an anchor such as `verification:`), else they are as many last lines as before;
  - a run of lines between two `…` starts at the output line equal to its first line (an anchor
    such as `verification:`), and keeps as many lines as before.
A sample without `…` gets the whole output. Usage:
  python3 Benchmarks/readme_samples.py [--binary .build/release/adaptool] [--readme README.md] [--check]
--check writes nothing and exits 1 when a sample is out of date.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

ELISION = "…"


def console_samples(lines):
    """(index of `$` line, command, index after its expected output) for every console sample."""
    samples, inside, index = [], False, 0
    while index < len(lines):
        stripped = lines[index].strip()
        if stripped.startswith("```"):
            inside = stripped == "```console" if not inside else False
        elif inside and lines[index].startswith("$ "):
            end = index + 1
            while not lines[end].strip().startswith("```") and not lines[end].startswith("$ "):
                end += 1
            samples.append((index, lines[index][2:], end))
        index += 1
    return samples


def run(command, folder, binary_folder):
    env = dict(os.environ, PATH=binary_folder + os.pathsep + os.environ.get("PATH", ""))
    result = subprocess.run(["bash", "-c", command], cwd=folder, env=env, capture_output=True, text=True)
    return result.stdout.splitlines() + result.stderr.splitlines()


def regenerate(expected, actual, command):
    """The new sample text: `actual`, elided where `expected` elides."""
    if ELISION not in expected:
        return actual
    segments, current = [], []
    for line in expected:
        if line == ELISION:
            segments.append(current)
            current = []
        else:
            current.append(line)
    segments.append(current)
    head, middles, tail = segments[0], segments[1:-1], segments[-1]
    new, position = actual[:len(head)], len(head)
    for middle in middles:
        new.append(ELISION)
        if not middle:
            continue
        try:
            start = actual.index(middle[0], position)
        except ValueError:
            sys.exit(f"readme-samples: `{command}` no longer prints the anchor line {middle[0]!r}; edit the sample by hand")
        new += actual[start:start + len(middle)]
        position = start + len(middle)
    new.append(ELISION)
    if tail:
        anchors = [index for index in range(position, len(actual)) if actual[index] == tail[0]]
        new += actual[anchors[-1] if anchors else max(position, len(actual) - len(tail)):]
    return new


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--binary", default=os.path.join(root, ".build/release/adaptool"))
    parser.add_argument("--readme", default=os.path.join(root, "README.md"))
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"readme-samples: {args.binary}: no adaptool binary there (make release builds it)")
    with open(args.readme, encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    changed = []
    with tempfile.TemporaryDirectory() as folder:
        shutil.copytree(os.path.join(root, "Fixtures"), os.path.join(folder, "Fixtures"))
        # `adaptool` on PATH whatever the binary is called, as the doc test does.
        binary_folder = os.path.join(folder, ".bin")
        os.mkdir(binary_folder)
        os.symlink(os.path.abspath(args.binary), os.path.join(binary_folder, "adaptool"))
        # From the last sample up, so earlier line numbers stay valid while lines are replaced.
        for start, command, end in reversed(console_samples(lines)):
            expected = lines[start + 1:end]
            new = regenerate(expected, run(command, folder, binary_folder), command)
            if new != expected:
                changed.append(f"README.md:{start + 1}: $ {command}")
                lines[start + 1:end] = new
    for entry in reversed(changed):
        print(("out of date: " if args.check else "regenerated: ") + entry)
    if args.check:
        print(f"readme-samples: {len(changed)} of {len(console_samples(lines))} samples out of date")
        sys.exit(1 if changed else 0)
    if changed:
        with open(args.readme, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines))
    print(f"readme-samples: {len(console_samples(lines))} samples, {len(changed)} regenerated")


if __name__ == "__main__":
    main()
