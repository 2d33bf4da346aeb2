"""PEFT folder cases: adapter_config.json and adapter_model.safetensors mutations, run as
`import PEFT_DIR --base base.h5 -o out.h5`; a success is checked against PEFT's own scaling rules."""
import json
import math
import re
import warnings

import gen_safetensors

warnings.filterwarnings("ignore", category=FutureWarning)  # "[[:alpha:]]" keys: Python warns, that is the point

LAYERS = ["layers.0", "layers.2", "layers.4"]
#: Pattern keys: invalid in Python (PEFT) and/or ICU (adaptool), catastrophic, or just odd.
HOSTILE_KEYS = ["(", "[", "layers.2|(", "\\", "a{2,1}", "(?P<n>layers.2)", "(a+)+$", ".*", "layers\\.[0-9]",
                "(?i)LAYERS.4", "\\p{L}+\\.4", "(?<=layers)\\.4", "[[:alpha:]]", "\\Qlayers.4\\E", "layers.4\\Z",
                "$^", "\x00", "é", "x" * 10000, "(?:layers.4){0,2147483647}", "layers.4)", "*", "layers.{4}",
                "(?#c)layers.2", "layers\\.2\\b", "\\d$", "(?x) layers . 2"]
BAD_VALUES = [0, -1, 2**31, 2**62, 2**64, 1e308, 1e-320, float("nan"), float("inf"), "4", 4.5, None, True, [4], {}]


def mutate_config(rng, config):
    """One hostile change to the config dict; returns the description."""
    field = rng.choice(["r", "lora_alpha", "target_modules", "rank_pattern", "alpha_pattern", "use_dora", "use_rslora",
                        "fan_in_fan_out", "peft_type", "bias", "delete", "unknown"])
    if field in ("r", "lora_alpha"):
        config[field] = rng.choice(BAD_VALUES)
    elif field == "target_modules":
        config[field] = rng.choice([".*", "layers\\.[024]", [], ["nope"], ["layers.0"] * 3, 5, None,
                                    [["layers.0"]], "(", "all-linear", LAYERS[:1]])
    elif field in ("rank_pattern", "alpha_pattern"):
        pattern = {}
        for _ in range(rng.randrange(1, 4)):
            pattern[rng.choice(HOSTILE_KEYS + LAYERS)] = rng.choice([2, 3, 8, 1, 0] + BAD_VALUES[:6])
        config[field] = pattern if rng.random() < 0.9 else rng.choice([[], "layers.0", 3])
    elif field in ("use_dora", "use_rslora", "fan_in_fan_out"):
        config[field] = rng.choice([not config.get(field), "yes", 1, None])
    elif field == "peft_type":
        config[field] = rng.choice(["LOHA", "", None, "lora", "ADALORA"])
    elif field == "bias":
        config[field] = rng.choice(["all", "lora_only", None, 0])
    elif field == "delete":
        field = rng.choice(["r", "lora_alpha", "target_modules", "peft_type", "use_dora"])
        config.pop(field, None)
        return "config without " + field
    else:
        field = rng.choice(["use_qalora", "layer_replication", "layers_to_transform", "layers_pattern", "new_key"])
        config[field] = rng.choice([True, [[0, 1]], [0], "layers", {"x": 1}])
    return "config %s = %s" % (field, json.dumps(config.get(field))[:60])


def config_text(rng, config):
    """The config file bytes, sometimes broken as a whole."""
    text = json.dumps(config, indent=2)
    roll = rng.random()
    if roll < 0.04:
        return text[:rng.randrange(len(text))].encode(), "config truncated"
    if roll < 0.07:
        return b"\xef\xbb\xbf" + text.encode() if rng.random() < 0.5 else text.encode()[:40] + b"\xff\xfe" + text.encode()[40:], "config BOM/non-UTF-8"
    if roll < 0.09:
        depth = rng.choice([1000, 200000])
        return (text[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}").encode(), "config nesting %d" % depth
    if roll < 0.11:
        return (text[:-1] + ', "r": 1000000}').encode(), "config duplicate key r"
    return text.encode(), None


def mutate_model(rng, tensors):
    """Renames, reshapes or drops one adapter tensor (tensors: [(name, array)])."""
    index = rng.randrange(len(tensors))
    name, array = tensors[index]
    choice = rng.choice(["rename", "reshape", "drop", "magnitude", "transpose"])
    if choice == "rename":
        tensors[index] = (rng.choice([name.replace("base_model.model.", ""), name.replace(".weight", ".default.weight"),
                                      name.replace("layers.", "layers.9"), name + "x", "base_model.model.embed.lora_A.weight"]), array)
    elif choice == "reshape":
        tensors[index] = (name, array.reshape(-1)[:max(1, array.size - 1)].copy())
    elif choice == "drop":
        tensors.pop(index)
    elif choice == "magnitude":
        tensors.append(("base_model.model.layers.0.lora_magnitude_vector", array.reshape(-1)[:16].copy()))
    else:
        tensors[index] = (name, array.T.copy())
    return "model %s %s" % (choice, name)


def expected_scaling(config):
    """PEFT's scaling per layer (Python `re`, as PEFT matches patterns), or None when the config is not
    plain enough to predict; raises re.error when a pattern key does not compile in Python."""
    def number(value, integer=False):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0
        return ok and (not integer or isinstance(value, int))
    if not (number(config.get("r"), True) and number(config.get("lora_alpha"))):
        return None
    patterns = [config.get("rank_pattern") or {}, config.get("alpha_pattern") or {}]
    if not all(isinstance(p, dict) for p in patterns):
        return None
    for key in list(patterns[0]) + list(patterns[1]):
        re.compile(r"(.*\.)?(%s)$" % key)
    out = {}
    for layer in LAYERS:
        def value(pattern, default):
            for key, v in pattern.items():
                if re.match(r"(.*\.)?(%s)$" % key, layer):
                    return v
            return default
        r, alpha = value(patterns[0], config["r"]), value(patterns[1], config["lora_alpha"])
        if not (number(r, True) and number(alpha)):
            return None
        out[layer] = alpha / (math.sqrt(r) if config.get("use_rslora") is True else r)
    return out


def generate(rng, corpus):
    """One PEFT import case."""
    seed = rng.choice(sorted(corpus.peft))
    config, model = corpus.peft[seed]
    config = json.loads(json.dumps(config))
    mutations = []
    for _ in range(rng.choice([0, 1, 1, 1, 2, 3])):
        mutations.append(mutate_config(rng, config))
    text, whole = config_text(rng, config)
    if whole:
        mutations.append(whole)
    from safetensors.numpy import load
    tensors = sorted(load(model).items())
    model_changed = rng.random() < 0.25
    if model_changed:
        mutations.append(mutate_model(rng, tensors))
    header, data = gen_safetensors.build(tensors, {"format": "pt"})
    raw = gen_safetensors.encode(header, data)
    if rng.random() < 0.1:
        raw, what = gen_safetensors.mutate_header(rng, header, data, LAYERS)
        mutations.append("model " + what)
        model_changed = True
    expect, checks = "any", {}
    if not mutations:
        expect = "ok"
    if not whole:
        try:
            scaling = expected_scaling(config)
            if scaling and not model_changed and config.get("use_dora") in (True, False) and config.get("target_modules") is not None:
                checks["peft_scaling"] = scaling
        except re.error:
            expect = "refuse"
    base = rng.choice([["--base", "base.h5"], ["--base", "base.h5"], ["--base", "base.safetensors"]])
    source = rng.choice(["peft", "peft", "peft/adapter_config.json", "peft/adapter_model.safetensors"])
    return {"kind": "peft", "label": "import PEFT", "mutation": "%s: %s" % (seed, "; ".join(mutations) or "valid"),
            "args": ["import", source] + base + ["-o", "out.h5"],
            "files": {"peft/adapter_config.json": text, "peft/adapter_model.safetensors": raw,
                      "base.h5": corpus.interop_base_h5, "base.safetensors": corpus.base_st},
            "outputs": ["out.h5"], "verify": "h5", "verify_args": ["--base", "base.h5"], "expect": expect,
            "checks": checks}
