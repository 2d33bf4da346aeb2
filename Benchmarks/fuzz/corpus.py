"""The seed inputs every case starts from, built once per run (deterministic, independent of adaptool).

Fixtures/*.h5 (with their kind from Fixtures/expected.json), the interop fixtures (a state dict and
PEFT folders), and for eval/train a 3072-input checkpoint + adapter and a tiny CIFAR-10 folder in
the official binary layout (per record: 1 label byte, then 3072 pixel bytes, R, G, B planes).
"""
import json
import os
import sys
import tempfile

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "Fixtures")
INTEROP = os.path.join(FIXTURES, "interop")
sys.path.insert(0, FIXTURES)
import generate as fixture_writer  # noqa: E402  (Fixtures/generate.py: the independent h5py writer)
from fingerprint import fingerprint  # noqa: E402

PEFT_SEEDS = ["peft_lora", "peft_dora", "peft_pattern", "peft_rslora"]
#: Records in the tiny CIFAR folder: enough for a batch of eval and one epoch of train, small to copy.
TRAIN_RECORDS, TEST_RECORDS = 16, 8


def read(path):
    with open(path, "rb") as f:
        return f.read()


def h5_bytes(write):
    """Runs `write(path)` into a temporary file and returns the bytes written."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "x.h5")
        write(path)
        return read(path)


def cifar_batch(rng, records):
    out = bytearray()
    for index in range(records):
        out.append(index % 10)
        out += rng.integers(0, 256, 3072, dtype=np.uint8).tobytes()
    return bytes(out)


class Corpus:
    """Seed bytes by role; `fixtures` maps each Fixtures/*.h5 name to (bytes, kind, valid)."""

    def __init__(self):
        expected = json.load(open(os.path.join(FIXTURES, "expected.json")))
        self.fixtures = {}
        for name in sorted(os.listdir(FIXTURES)):
            if name.endswith(".h5"):
                valid = name in expected["valid"]
                info = expected["valid" if valid else "invalid"].get(name, {})
                self.fixtures[name] = (read(os.path.join(FIXTURES, name)), info.get("kind", "unknown"), valid)
        self.checkpoint = self.fixtures["checkpoint.h5"][0]
        self.lora = self.fixtures["adapter_lora.h5"][0]
        self.dora = self.fixtures["adapter_dora_output.h5"][0]
        self.valid_checkpoints = [n for n, (_, k, v) in self.fixtures.items() if v and k == "checkpoint"]
        self.valid_adapters = [n for n, (_, k, v) in self.fixtures.items() if v and k == "adapter"]
        self.base_st = read(os.path.join(INTEROP, "base_state_dict.safetensors"))
        self.interop_base_h5 = h5_bytes(self.write_interop_base)
        self.peft = {}
        for name in PEFT_SEEDS:
            folder = os.path.join(INTEROP, name)
            config = json.load(open(os.path.join(folder, "adapter_config.json")))
            self.peft[name] = (config, read(os.path.join(folder, "adapter_model.safetensors")))
        rng = np.random.default_rng(8)
        self.cifar = {"data_batch_1.bin": cifar_batch(rng, TRAIN_RECORDS),
                      "test_batch.bin": cifar_batch(rng, TEST_RECORDS),
                      "batches.meta.txt": "\n".join(fixture_writer_names()).encode() + b"\n"}
        layers = [("fc1", rng.uniform(-0.05, 0.05, (4, 3072)), rng.uniform(-0.1, 0.1, 4)),
                  ("fc2", rng.uniform(-0.5, 0.5, (10, 4)), rng.uniform(-0.1, 0.1, 10))]
        attrs = {"input_shape": [3, 32, 32], "normalization_mean": [0.5] * 3, "normalization_std": [0.5] * 3,
                 "class_names": fixture_writer_names()}
        stored = []
        self.cifar_checkpoint = h5_bytes(lambda p: stored.extend(fixture_writer.write_checkpoint(p, layers, attrs=attrs)))
        base_fp = fingerprint(fixture_writer.as_f32(stored))
        adapter_layers = fixture_writer.adapter_layers(stored, "lora", 2, None, seed=9)
        self.cifar_adapter = h5_bytes(lambda p: fixture_writer.write_adapter(p, base_fp, adapter_layers, "lora", 2, 4.0, 2.0))

    @staticmethod
    def write_interop_base(path):
        from safetensors.numpy import load
        tensors = load(read(os.path.join(INTEROP, "base_state_dict.safetensors")))
        layers = [(n, tensors[n + ".weight"].astype(np.float64), tensors[n + ".bias"].astype(np.float64))
                  for n in ["layers.0", "layers.2", "layers.4"]]
        fixture_writer.write_checkpoint(path, layers, attrs={"class_names": ["c%d" % i for i in range(6)]})


def fixture_writer_names():
    return ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def safetensors_bytes(tensors, metadata=None):
    """A safetensors file written by the reference library (tensors: {name: numpy array})."""
    from safetensors.numpy import save
    return save(tensors, metadata=metadata)

