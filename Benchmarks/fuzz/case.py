"""One fuzz case: build its scratch folder, run the CLI, classify what happened.

A case is a plain dict (JSON-serialisable except `files`, which maps relative paths to bytes):
  kind, label (the command), mutation, args (argv without the binary, relative to cwd), cwd,
  files {rel: bytes}, dirs [rel], fifos [rel], links [[rel, target]],
  tmpfs [{"path": rel, "size": bytes, "free": bytes}], outputs [rel] (allowed new paths on success),
  may_change [rel] (pre-existing paths a successful run may replace), verify (None | "h5" | "st" | "peft"),
  verify_args (extra inspect --verify args), expect ("any" | "ok" | "refuse"), ok_codes [int],
  checks {name: value} (extra checks, see `extra_checks`).
"""
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time

#: stderr markers of a crash even when the exit status looks orderly.
CRASH_MARKERS = ("HDF5-DIAG", "Fatal error", "Backtrace", "Stack dump", "Current stack trace", "Illegal instruction")
#: A temporary file name: `.NAME.tmp-*` (adaptool's atomic writes) or anything with `.tmp-`.
TEMP_NAME = re.compile(r"(^\..*\.tmp-)|(\.tmp-)")


def normalise_case(case):
    """Fills the optional fields so every consumer sees the same shape."""
    defaults = {"cwd": ".", "files": {}, "dirs": [], "fifos": [], "links": [], "tmpfs": [], "outputs": [],
                "may_change": [], "verify": None, "verify_args": [], "expect": "any", "ok_codes": [0],
                "checks": {}, "mutation": ""}
    for key, value in defaults.items():
        case.setdefault(key, value)
    return case


def materialise(case, scratch, mounts_ok):
    """Creates the scratch folder of `case`; returns the list of mounted tmpfs folders."""
    os.makedirs(scratch)
    for rel in case["dirs"]:
        os.makedirs(os.path.join(scratch, rel), exist_ok=True)
    mounted = []
    for fs in case["tmpfs"]:
        path = os.path.join(scratch, fs["path"])
        os.makedirs(path, exist_ok=True)
        if not mounts_ok:
            continue
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d" % fs["size"], "tmpfs", path], check=True)
        mounted.append(path)
    for rel, data in case["files"].items():
        path = os.path.join(scratch, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    for fs in case["tmpfs"] if mounts_ok else []:
        fill(os.path.join(scratch, fs["path"], "filler.bin"), fs["size"] - fs["free"])
    for rel in case["fifos"]:
        os.mkfifo(os.path.join(scratch, rel))
    for rel, target in case["links"]:
        os.symlink(target, os.path.join(scratch, rel))
    return mounted


def fill(path, size):
    """Writes up to `size` bytes (a full disk stops it early, which is the point)."""
    try:
        with open(path, "wb") as f:
            chunk = b"\0" * 65536
            while size > 0:
                f.write(chunk[:min(size, len(chunk))])
                size -= len(chunk)
    except OSError:
        pass


def cleanup(scratch, mounted):
    """Unmounts the case's tmpfs folders and removes its scratch folder."""
    for path in mounted:
        subprocess.run(["umount", "-l", path], check=False)
    shutil.rmtree(scratch, ignore_errors=True)


def snapshot(root):
    """{relative path: (type, size, sha256 or link target)} without following links or opening FIFOs."""
    state = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root)
            st = os.lstat(path)
            if os.path.islink(path):
                state[rel] = ("link", 0, os.readlink(path))
            elif os.path.isdir(path):
                state[rel] = ("dir", 0, "")
            elif os.path.isfile(path):
                with open(path, "rb") as f:
                    state[rel] = ("file", st.st_size, hashlib.sha256(f.read()).hexdigest())
            else:
                state[rel] = ("special", 0, "")
    return state


def run(binary, case, scratch, timeout):
    """Runs the binary on `case`; returns (returncode or None on timeout, stdout, stderr, seconds)."""
    cwd = os.path.join(scratch, case["cwd"])
    start = time.monotonic()
    proc = subprocess.Popen([binary] + case["args"], cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    shrink = case.get("shrink")
    if shrink:  # another process truncates an input while adaptool reads it
        timer = threading.Timer(shrink["after"], os.truncate, (os.path.join(scratch, shrink["path"]), shrink["size"]))
        timer.start()
    try:
        out, err = proc.communicate(timeout=timeout)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
        code = None
    if shrink:
        timer.cancel()
        timer.join()
    return code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), time.monotonic() - start


def is_under(rel, roots):
    return any(rel == r or rel.startswith(r.rstrip("/") + "/") for r in roots)


def leftovers(case, before, after, succeeded):
    """Reasons the run left something behind or changed what was there."""
    reasons = []
    allowed_change = case["may_change"] if succeeded else []
    volatile = [case["shrink"]["path"]] if case.get("shrink") else []
    for rel, state in before.items():
        if is_under(rel, allowed_change + volatile):
            continue
        if rel not in after:
            reasons.append("pre-existing %s %s removed" % (state[0], rel))
        elif after[rel] != state:
            reasons.append("pre-existing %s %s changed" % (state[0], rel))
    for rel in sorted(set(after) - set(before)):
        name = os.path.basename(rel)
        if TEMP_NAME.search(name):
            reasons.append("temporary file %s left" % rel)
        elif not succeeded:
            reasons.append("output %s written despite exit failure" % rel)
        elif not is_under(rel, case["outputs"] + case["may_change"]):
            reasons.append("unexpected new path %s" % rel)
    return reasons


def classify(code, stderr, case):
    """The outcome: ok, refused (one error line), unclear, crash or hang."""
    if code is None:
        return "hang"
    if code < 0 or 128 < code <= 128 + 64 or any(m in stderr for m in CRASH_MARKERS):
        return "crash"
    if code in case["ok_codes"]:
        return "ok"
    lines = stderr.rstrip("\n").split("\n") if stderr.strip() else []
    return "refused" if len(lines) == 1 else "unclear"


def signature_text(text):
    """An error line with numbers and paths folded, to group similar failures."""
    lines = [l for l in text.strip().split("\n") if l.strip()]
    errors = [l for l in lines if "rror" in l]
    return fold((errors or lines or ["(no stderr)"])[0])


def fold(line):
    """Paths, numbers and the common prefix folded out of a message."""
    line = line.replace("adaptool: error: ", "")
    line = re.sub(r"0x[0-9a-fA-F]+", "ADDR", line)
    line = re.sub(r"/[^\s:'\"]+", "PATH", line)
    line = re.sub(r"\d+", "N", line)
    return line[:200]
