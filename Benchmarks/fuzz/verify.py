"""Checks of a run beyond its exit status: is a successful output readable, is the answer right."""
import json
import math
import os
import re
import subprocess

#: Control characters a terminal interprets (escape codes); tab and newline are fine.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]")


def verify_outputs(binary, case, scratch, timeout):
    """Reasons a successful run's outputs are not what adaptool itself (or safetensors) reads."""
    reasons = []
    cwd = os.path.join(scratch, case["cwd"])
    for rel in case["outputs"][:1] if case["verify"] else []:
        path = os.path.join(scratch, rel)
        if not os.path.lexists(path):
            reasons.append("exit 0 but no output %s" % rel)
            continue
        if case["verify"] == "h5":
            try:
                proc = subprocess.run([binary, "inspect", "--verify", path] + case["verify_args"], cwd=cwd,
                                      capture_output=True, timeout=timeout)
                if proc.returncode != 0:
                    line = proc.stderr.decode("utf-8", "replace").strip().split("\n")[-1]
                    reasons.append("exit 0 but inspect --verify refuses the output: %s" % line[:200])
            except subprocess.TimeoutExpired:
                reasons.append("exit 0 but inspect --verify of the output hangs")
        elif case["verify"] == "st":
            reasons += safetensors_problems(path)
        elif case["verify"] == "peft":
            try:
                with open(os.path.join(path, "adapter_config.json"), "rb") as f:
                    json.loads(f.read())
            except (OSError, ValueError) as error:
                reasons.append("exit 0 but adapter_config.json unreadable: %s" % error)
            reasons += safetensors_problems(os.path.join(path, "adapter_model.safetensors"))
    return reasons


def safetensors_problems(path):
    from safetensors.numpy import load_file
    try:
        load_file(path)
        return []
    except Exception as error:  # the reference reader's verdict, whatever it raises
        return ["exit 0 but safetensors refuses %s: %s" % (os.path.basename(path), str(error)[:160])]


def extra_checks(case, scratch, stdout, succeeded):
    """Case-specific expectations (`checks`): no escape codes printed, PEFT scalings as PEFT computes them."""
    reasons = []
    checks = case["checks"]
    if checks.get("no_control_in_stdout") and CONTROL.search(stdout):
        reasons.append("stdout carries raw control characters (terminal escape codes)")
    expected = checks.get("peft_scaling")
    if expected and succeeded:
        reasons += scaling_problems(os.path.join(scratch, case["outputs"][0]), expected)
    return reasons


def scaling_problems(path, expected):
    """Compares each layer's scaling in an imported adapter with the value PEFT's formulas give."""
    import h5py
    try:
        with h5py.File(path, "r") as f:
            root = float(f.attrs.get("scaling", float("nan")))
            for layer, want in expected.items():
                group = f.get("layers/" + layer)
                if group is None:
                    continue  # a layer target_modules leaves out: which way is right is not this check's call
                got = float(group.attrs.get("scaling", root))
                if not math.isclose(got, want, rel_tol=1e-6):
                    return ["layer %s imported with scaling %r, PEFT applies %r" % (layer, got, want)]
    except Exception as error:  # h5py cannot read it: report, do not crash the fuzzer
        return ["imported adapter unreadable by h5py: %s" % str(error)[:160]]
    return []
