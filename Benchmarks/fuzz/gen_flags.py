"""Hostile numeric flags: sizes, ranks, levels, weights and scales a user types (item "sizes":
every allocation derived from a flag is checked before it happens)."""
import gen_fs

HUGE = ["1099511627776", "9223372036854775807", "9223372036854775808", "4294967296", "2147483648"]
ODD = ["0", "-1", "nan", "inf", "-inf", "1e309", "", " 1", "0x10", "1,2", "4,", ",", "1e-320"]


def generate(rng, corpus):
    """One case: a writing or reading command with one hostile flag value."""
    value = rng.choice(HUGE + ODD + [",".join(rng.choice(HUGE) for _ in range(rng.randrange(1, 4)))])
    train = gen_fs.TRAIN
    no_epochs = [a for i, a in enumerate(train) if a != "--epochs" and train[i - 1] != "--epochs"]
    choices = [
        ("train --hidden", [a for a in train if a not in ("--hidden", "4")] + ["--hidden", value, "-o", "out.h5"], "ok-if-small"),
        ("train --batch-size", train + ["--batch-size", value, "-o", "out.h5"], "any"),
        ("train --epochs", no_epochs + ["--epochs", value, "-o", "out.h5"], "any"),
        ("train --lr", train + ["--lr", value, "-o", "out.h5"], "any"),
        ("extract --rank", ["extract", "base.h5", "tuned.h5", "--rank", value, "-o", "out.h5"], "any"),
        ("merge --scale", ["merge", "base.h5", "lora.h5", "--scale", value, "-o", "out.h5"], "any"),
        ("merge --weights", ["merge", "base.h5", "lora.h5", "--weights", value, "-o", "out.h5"], "any"),
        ("merge --compression-level", ["merge", "base.h5", "lora.h5", "--compress", "--compression-level", value,
                                       "-o", "out.h5"], "any"),
        ("unmerge --scale", ["unmerge", "base.h5", "lora.h5", "--scale", value, "-o", "out.h5"], "any"),
        ("diff --atol", ["diff", "base.h5", "tuned.h5", "--atol", value], "any"),
    ]
    label, args, _ = rng.choice(choices)
    if label == "train --epochs" and value in HUGE + [v for v in [value] if "," in v]:
        args[args.index(value)] = rng.choice(ODD)  # a huge epoch count is a legal endless run, not a finding
    return {"kind": "flags", "label": label, "mutation": "%s %s" % (label.split()[-1], value[:40]), "args": args,
            "files": gen_fs.inputs(corpus), "outputs": ["out.h5"] if "-o" in args else [],
            "verify": "h5" if "-o" in args else None, "ok_codes": [0, 1] if label.startswith("diff") else [0]}
