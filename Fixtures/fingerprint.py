"""The checkpoint fingerprint of spec/format.md §4, shared by the fixture generator and checker."""
import hashlib
import struct

import numpy as np


def fingerprint(layers):
    """SHA-256 over, per layer in order: u64le name length, UTF-8 name, u64le out, in, bias length,
    then the weight (row-major) and bias as little-endian float32. `layers`: [(name, w, b)]."""
    h = hashlib.sha256()
    for name, w, b in layers:
        raw = name.encode("utf-8")
        h.update(struct.pack("<Q", len(raw)) + raw)
        h.update(struct.pack("<QQQ", w.shape[0], w.shape[1], b.shape[0]))
        h.update(np.ascontiguousarray(w, dtype="<f4").tobytes())
        h.update(np.ascontiguousarray(b, dtype="<f4").tobytes())
    return h.hexdigest()
