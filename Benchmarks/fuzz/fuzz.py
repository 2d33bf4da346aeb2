#!/usr/bin/env python3
"""Seeded fuzzer of the adaptool CLI (test tooling; never part of the product).

  python3 Benchmarks/fuzz/fuzz.py --seed 1 --cases 10000 --binary .build/release/adaptool --jobs 2
  python3 Benchmarks/fuzz/fuzz.py --replay out/fuzz/hdf5-123 [--binary PATH]

Case kinds (weighted): hdf5 (mutated Fixtures/*.h5, CIFAR batches, crafted files), safetensors
(hostile headers and data, `import`), peft (hostile adapter_config.json / adapter_model.safetensors,
`import DIR --base`), fs (FIFOs, folders, links, /dev files, `..`, long names, full disk on tmpfs),
v2h5 (format v2 checkpoints and adapters mutated structurally and byte-level, every command),
model (Hugging Face model folders: index, shards, config; import, direct merge/unmerge, diff,
extract) and peft2 (PEFT adapters on those models).
Each case runs in a fresh scratch folder and is classified: ok, refused (non-zero exit, one stderr
line), unclear (non-zero exit, stderr not one line), crash (signal, 128+N, HDF5-DIAG / Fatal error),
hang (timeout; the process group is killed); on top, leftover (temporary file, output written despite
a failure, a pre-existing file changed or missing) and wrong (an expectation of the case failed: a
success whose output adaptool itself refuses, a refusal of a valid input, exit 0 on a FIFO, ...).
Failing cases are saved under OUT/<kind>-<case>/ (inputs, case.json, command.txt, stdout, stderr).
Exit status 1 when any crash, hang or leftover was seen.
"""
import argparse
import collections
import concurrent.futures
import json
import os
import random
import re
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

# Cases are generated in parallel workers, each in its own folder: HDF5's advisory file locks
# only get in the way there (h5py raised BlockingIOError once at --jobs 2).
os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import case as casekit  # noqa: E402
import verify  # noqa: E402

#: v2h5 / model / peft2: format v2 files and model folders (run them alone with --kinds v2h5,model,peft2).
KINDS = {"hdf5": 38, "safetensors": 24, "peft": 20, "fs": 14, "flags": 4, "v2h5": 30, "model": 30, "peft2": 20}
COLUMNS = ["cases", "ok", "refused", "crashes", "hangs", "leftovers", "unclear", "wrong"]
#: Categories that make a case worth saving for replay.
SAVED = ("crash", "hang", "leftover", "unclear", "wrong")


def mounts_allowed():
    """Whether a tmpfs can be mounted here (root in a namespace that allows it)."""
    folder = tempfile.mkdtemp(prefix="adaptool-fuzz-mount-")
    try:
        ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", folder],
                            capture_output=True).returncode == 0
        if ok:
            subprocess.run(["umount", folder], check=False)
        return ok
    except OSError:
        return False
    finally:
        os.rmdir(folder)


def make_case(seed, index, corpus, mounts_ok, kinds):
    """The case `index` of run `seed`: the same inputs every time, whatever the job count."""
    import gen_flags
    import gen_fs
    import gen_hdf5
    import gen_peft
    import gen_model
    import gen_safetensors
    import gen_v2h5
    rng = random.Random("%d:%d" % (seed, index))
    kind = rng.choices(list(kinds), weights=[kinds[k] for k in kinds])[0]
    generator = {"hdf5": gen_hdf5.generate, "safetensors": gen_safetensors.generate, "peft": gen_peft.generate, "flags": gen_flags.generate,
                 "v2h5": gen_v2h5.generate, "model": lambda r, c: gen_model.generate(r, c, "model"),
                 "peft2": lambda r, c: gen_model.generate(r, c, "peft2"),
                 "fs": lambda r, c: gen_fs.generate(r, c, mounts_ok)}[kind]
    case = casekit.normalise_case(generator(rng, corpus))
    case["index"] = index
    return case


def execute(case, binary, scratch_root, timeout, mounts_ok):
    """Runs one case; returns its result record (and leaves the scratch folder removed)."""
    scratch = os.path.join(scratch_root, "%s-%d" % (case["kind"], case["index"]))
    shutil.rmtree(scratch, ignore_errors=True)
    mounted = casekit.materialise(case, scratch, mounts_ok)
    try:
        before = casekit.snapshot(scratch)
        code, out, err, seconds = casekit.run(binary, case, scratch, timeout)
        outcome = casekit.classify(code, err, case)
        succeeded = outcome == "ok"
        wrong = []
        if succeeded:
            wrong += verify.verify_outputs(binary, case, scratch, timeout)
        after = casekit.snapshot(scratch)
        left = casekit.leftovers(case, before, after, succeeded)
        wrong += verify.extra_checks(case, scratch, out, succeeded, err)
        if case["expect"] == "ok" and outcome in ("refused", "unclear"):
            wrong.append("valid input refused: " + casekit.signature_text(err))
        if case["expect"] == "refuse" and succeeded:
            wrong.append("exit %d where a refusal was expected" % code)
    finally:
        casekit.cleanup(scratch, mounted)
    return {"kind": case["kind"], "index": case["index"], "label": case["label"], "mutation": case["mutation"],
            "outcome": outcome, "code": code, "seconds": round(seconds, 3), "leftovers": left, "wrong": wrong,
            "stdout": out, "stderr": err}


def categories(result):
    found = [result["outcome"]] if result["outcome"] in ("crash", "hang", "unclear") else []
    return found + (["leftover"] if result["leftovers"] else []) + (["wrong"] if result["wrong"] else [])


def save(case, result, binary, out_root):
    """Writes a failing case so `--replay` (or a shell) can run it again."""
    folder = os.path.join(out_root, "%s-%d" % (case["kind"], case["index"]))
    shutil.rmtree(folder, ignore_errors=True)
    for rel, data in case["files"].items():
        path = os.path.join(folder, "inputs", rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    spec = {k: v for k, v in case.items() if k != "files"}
    spec["input_files"] = sorted(case["files"])
    with open(os.path.join(folder, "case.json"), "w") as f:
        json.dump(spec, f, indent=1)
    with open(os.path.join(folder, "command.txt"), "w") as f:
        f.write("cd %s && %s\n" % (shlex.quote(case["cwd"]), shlex.join([binary] + case["args"])))
    for name in ("stdout", "stderr"):
        with open(os.path.join(folder, name + ".txt"), "w") as f:
            f.write(result[name])
    with open(os.path.join(folder, "result.json"), "w") as f:
        json.dump({k: v for k, v in result.items() if k not in ("stdout", "stderr")}, f, indent=1)
    return folder


def load_saved(folder):
    """The case saved in `folder`, with its input bytes."""
    with open(os.path.join(folder, "case.json")) as f:
        case = json.load(f)
    case["files"] = {}
    for rel in case.pop("input_files"):
        with open(os.path.join(folder, "inputs", rel), "rb") as f:
            case["files"][rel] = f.read()
    return casekit.normalise_case(case)


def crash_text(err):
    """The most telling line of a crash report, plus the innermost adaptool function when shown."""
    lines = err.split("\n")
    keys = ("Fatal error", "failed to allocate", "runtime failure", "error:", "Program crashed")
    found = [l for key in keys for l in lines if key in l]
    text = casekit.signature_text(found[0] if found else err)
    frames = [re.search(r"(\S+\(.*?\)) \+ \d+ in adaptool at", l) for l in lines]
    frames = [m.group(1) for m in frames if m]
    return text + (" [in %s]" % frames[0][:80] if frames else "")


def signature(result, category):
    """What to group failures by: kind, command, category and the folded message."""
    if category == "leftover":
        text = casekit.fold(result["leftovers"][0])
    elif category == "wrong":
        text = casekit.fold(result["wrong"][0])
    elif category == "crash":
        text = "exit %s: %s" % (result["code"], crash_text(result["stderr"]))
    elif category == "hang":
        text = "timeout"
    else:
        text = casekit.signature_text(result["stderr"])
    text = re.sub(r"n{20,}", "n…", text)
    return "%s | %s | %s | %s" % (result["kind"], result["label"], category, text)


def report(results, mounts_ok, seconds, out_root):
    """Prints the table and the failure signatures; writes summary.json; returns the totals."""
    table = collections.OrderedDict((k, collections.Counter()) for k in KINDS)
    groups = collections.OrderedDict()
    for r in sorted(results, key=lambda r: r["index"]):
        row = table.setdefault(r["kind"], collections.Counter())
        row["cases"] += 1
        row[{"crash": "crashes", "hang": "hangs"}.get(r["outcome"], r["outcome"])] += 1
        row["leftovers"] += bool(r["leftovers"])
        row["wrong"] += bool(r["wrong"])
        for category in categories(r):
            group = groups.setdefault(signature(r, category), {"count": 0, "examples": [], "mutations": []})
            group["count"] += 1
            if len(group["examples"]) < 3:
                group["examples"].append(r.get("saved") or "%s-%d (not saved)" % (r["kind"], r["index"]))
            mutation = re.sub(r"\d+", "N", r["mutation"])[:90]
            if mutation not in group["mutations"] and len(group["mutations"]) < 4:
                group["mutations"].append(mutation)
    total = collections.Counter()
    for row in table.values():
        total.update(row)
    print("\n%-12s" % "kind" + "".join("%10s" % c for c in COLUMNS))
    for kind, row in list(table.items()) + [("total", total)]:
        print("%-12s" % kind + "".join("%10d" % row[c] for c in COLUMNS))
    print("(ok + refused + unclear + crashes + hangs = cases; leftovers and wrong are counted on top)")
    if not mounts_ok:
        print("note: disk-full cases skipped: this machine does not allow mounting a tmpfs (needs root)")
    print("%d cases in %.1f s" % (total["cases"], seconds))
    if groups:
        print("\nfailure signatures (count, kind | command | category | message; examples; mutations):")
        for key, group in sorted(groups.items(), key=lambda kv: -kv[1]["count"]):
            print("%6d  %s\n        e.g. %s\n        mutations: %s" % (group["count"], key, ", ".join(group["examples"]),
                                                                       " / ".join(group["mutations"])))
    summary = {"table": {k: dict(v) for k, v in table.items()}, "total": dict(total), "seconds": round(seconds, 1),
               "disk_full": "run" if mounts_ok else "skipped: mount not allowed", "signatures": groups}
    with open(os.path.join(out_root, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, ensure_ascii=False)
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--binary", default=".build/release/adaptool")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per run before it counts as a hang")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default="out/fuzz")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated subset of " + ",".join(KINDS))
    parser.add_argument("--memory-limit-mb", type=int, default=4096,
                        help="address-space limit of every run, so a runaway allocation cannot take the machine")
    parser.add_argument("--file-limit-mb", type=int, default=512,
                        help="largest file a run may write (SIGXFSZ beyond it, counted as a crash)")
    parser.add_argument("--keep-unclear", type=int, default=30, help="unclear-only cases saved per kind")
    parser.add_argument("--replay", metavar="DIR", help="run one saved case again and print what happened")
    parser.add_argument("--repeat", type=int, default=1, help="with --replay: tries before giving up (races)")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        sys.exit("fuzz: %s is not an executable (build it first, or pass --binary)" % binary)
    limit = args.memory_limit_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))  # inherited by every adaptool run
    size = args.file_limit_mb << 20
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))  # a 10 KB input must not write gigabytes
    mounts_ok = mounts_allowed()
    scratch_root = tempfile.mkdtemp(prefix="adaptool-fuzz-")
    try:
        if args.replay:
            return replay(args.replay, binary, scratch_root, args.timeout, mounts_ok, args.repeat)
        return fuzz(args, binary, scratch_root, mounts_ok)
    finally:
        shutil.rmtree(scratch_root, ignore_errors=True)


def replay(folder, binary, scratch_root, timeout, mounts_ok, repeat):
    """Runs a saved case (up to `repeat` times, stopping at the first failure: races such as a
    shrinking input need several tries) and prints what happened."""
    case = load_saved(folder)
    for _ in range(max(1, repeat)):
        result = execute(case, binary, scratch_root, timeout, mounts_ok)
        if categories(result):
            break
    print("case:     %s-%d %s (%s)" % (case["kind"], case["index"], case["label"], case["mutation"]))
    print("command:  cd %s && %s" % (case["cwd"], shlex.join([binary] + case["args"])))
    print("outcome:  %s (exit %s, %.2f s)" % (result["outcome"], result["code"], result["seconds"]))
    for reason in result["leftovers"]:
        print("leftover: " + reason)
    for reason in result["wrong"]:
        print("wrong:    " + reason)
    print("stderr:\n" + result["stderr"].rstrip()[-3000:])
    return 1 if result["outcome"] in ("crash", "hang") or result["leftovers"] else 0


def fuzz(args, binary, scratch_root, mounts_ok):
    from corpus import Corpus
    kinds = {k: KINDS[k] for k in args.kinds.split(",")}
    os.makedirs(args.out, exist_ok=True)
    for name in os.listdir(args.out):
        if re.match(r"^(%s)-\d+$" % "|".join(KINDS), name):
            shutil.rmtree(os.path.join(args.out, name))
    corpus = Corpus()
    if not mounts_ok:
        print("note: mount is not allowed here: disk-full (tmpfs) cases are skipped", file=sys.stderr)
    start, results, unclear_saved, internal = time.monotonic(), [], collections.Counter(), []

    def one(index):
        try:
            case = make_case(args.seed, index, corpus, mounts_ok, kinds)
            result = execute(case, binary, scratch_root, args.timeout, mounts_ok)
        except Exception:  # a fuzzer bug must not end the run: counted and shown, never hidden
            internal.append((index, traceback.format_exc()))
            return None
        found = categories(result)
        worth = [c for c in found if c != "unclear"] or (found and unclear_saved[case["kind"]] < args.keep_unclear)
        if worth:
            unclear_saved[case["kind"]] += not [c for c in found if c != "unclear"]
            result["saved"] = save(case, result, binary, args.out)
        result["stdout"] = result["stdout"][:200]
        return result

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for done, result in enumerate(pool.map(one, range(args.cases)), 1):
            if result is not None:
                results.append(result)
            if done % 500 == 0:
                print("fuzz: %d/%d cases, %.0f s" % (done, args.cases, time.monotonic() - start), file=sys.stderr)
    total = report(results, mounts_ok, time.monotonic() - start, args.out)
    for index, trace in internal[:3]:
        print("fuzzer error in case %d (not counted):\n%s" % (index, trace), file=sys.stderr)
    if internal:
        print("fuzz: %d cases failed inside the fuzzer itself (see above)" % len(internal))
    return 1 if total["crashes"] or total["hangs"] or total["leftovers"] or internal else 0


if __name__ == "__main__":
    sys.exit(main())
