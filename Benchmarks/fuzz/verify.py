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
                line = proc.stderr.decode("utf-8", "replace").strip().split("\n")[-1]
                if proc.returncode != 0 and not carried_corruption(binary, case, cwd, line, timeout):
                    reasons.append("exit 0 but inspect --verify refuses the output: %s" % line[:200])
            except subprocess.TimeoutExpired:
                reasons.append("exit 0 but inspect --verify of the output hangs")
        elif case["verify"] == "model":
            reasons += model_problems(path, os.path.join(scratch, "model") if case["args"][0] in ("merge", "unmerge") else None)
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


def carried_corruption(binary, case, cwd, line, timeout):
    """Whether an output's digest mismatch is the input's own: a v2 merge copies the tensors it does
    not touch with their stored digests (spec §5), so a damaged input stays detectably damaged."""
    if "sha256" not in line and "fingerprint mismatch" not in line:
        return False
    inputs = [a for a in case["args"][1:] if a.endswith(".h5") and a not in case["outputs"]]
    return any(subprocess.run([binary, "inspect", "--verify", a], cwd=cwd, capture_output=True, timeout=timeout).returncode
               for a in inputs)


def header_of(path):
    """{name: (dtype, shape)} of a safetensors file, after checking its offsets tile the data exactly."""
    import struct
    with open(path, "rb") as f:
        raw = f.read()
    size = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + size])
    header.pop("__metadata__", None)
    spans = sorted(tuple(info["data_offsets"]) for info in header.values())
    end = 0
    for start, stop in spans:
        if start != end:
            raise ValueError("offsets leave a gap or overlap at %d" % start)
        end = stop
    if end != len(raw) - 8 - size:
        raise ValueError("data is %d bytes, offsets cover %d" % (len(raw) - 8 - size, end))
    return {name: (info["dtype"], info["shape"]) for name, info in header.items()}


def folder_tensors(folder):
    """{name: (dtype, shape)} over every .safetensors file of a model folder."""
    out = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".safetensors"):
            out.update(header_of(os.path.join(folder, name)))
    return out


def model_problems(path, source):
    """Reasons an output model folder is not loadable, or (for a merge) not tensor-for-tensor its input."""
    try:
        tensors = folder_tensors(path)
        index = os.path.join(path, "model.safetensors.index.json")
        if os.path.exists(index):
            with open(index) as f:
                mapped = set(json.load(f)["weight_map"])
            if mapped != set(tensors):
                return ["exit 0 but the output index maps %d tensors, the shards hold %d" % (len(mapped), len(tensors))]
        if not os.path.exists(os.path.join(path, "config.json")):
            return ["exit 0 but the output folder has no config.json"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        return ["exit 0 but the output model folder is unreadable: %s" % str(error)[:160]]
    if source is not None:
        try:
            expected = folder_tensors(source)
        except (OSError, ValueError, KeyError, TypeError):
            return []  # an input the reference reader refuses: no tensor list to compare with
        if expected != tensors:
            changed = sorted(set(expected.items()) ^ set(tensors.items()), key=str)[:2]
            return ["exit 0 but the output tensors (names, dtypes, shapes) differ from the input: %s" % str(changed)[:160]]
    return []


def safetensors_problems(path):
    from safetensors.numpy import load_file
    try:
        load_file(path)
        return []
    except Exception as error:  # the reference reader's verdict, whatever it raises
        if "bfloat16" in str(error):  # numpy has no bfloat16: check the layout by hand
            try:
                header_of(path)
                return []
            except (OSError, ValueError, KeyError, TypeError) as layout:
                error = layout
        return ["exit 0 but safetensors refuses %s: %s" % (os.path.basename(path), str(error)[:160])]


def extra_checks(case, scratch, stdout, succeeded, stderr=""):
    """Case-specific expectations (`checks`): no escape codes printed, PEFT scalings as PEFT computes them."""
    reasons = []
    checks = case["checks"]
    if checks.get("no_control_in_stdout") and CONTROL.search(stdout):
        reasons.append("stdout carries raw control characters (terminal escape codes)")
    if checks.get("no_control_in_stdout") and CONTROL.search(stderr):
        reasons.append("stderr carries raw control characters (terminal escape codes)")
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
