#!/usr/bin/env bash
# make data: download the official CIFAR-10 binary archive into DEST (default data/), check it, unpack it.
# Needs internet; fails with one clear message when offline. Checks: the archive's md5 as published on
# https://www.cs.toronto.edu/~kriz/cifar.html (not re-verified on this offline machine), then every
# unpacked batch's size (10,000 records of 3073 bytes = 30,730,000 bytes), which the loader relies on.
set -euo pipefail
DEST="${1:-data}"
URL="${CIFAR10_URL:-https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz}"   # overridable so the offline check can point at an unreachable host
MD5="c32a1d4ab5d03f1434e29e8c9f8b4d5c"
BATCH_BYTES=30730000
FOLDER="$DEST/cifar-10-batches-bin"

if [ -f "$FOLDER/test_batch.bin" ]; then echo "data: $FOLDER already present"; exit 0; fi
mkdir -p "$DEST"
ARCHIVE="$DEST/cifar-10-binary.tar.gz"
if [ ! -f "$ARCHIVE" ]; then
  echo "data: downloading $URL (162 MB)"
  if ! curl -fsL --connect-timeout 10 --retry 2 -o "$ARCHIVE.part" "$URL"; then
    rm -f "$ARCHIVE.part"; rmdir "$DEST" 2>/dev/null || true
    echo "data: error: cannot download $URL (offline?); get cifar-10-binary.tar.gz elsewhere, put it in $DEST/ and rerun, or pass --data DIR / set CIFAR10_DIR" >&2
    exit 1
  fi
  mv "$ARCHIVE.part" "$ARCHIVE"
fi
actual=$(md5sum "$ARCHIVE" | awk '{print $1}')
if [ "$actual" != "$MD5" ]; then
  echo "data: error: $ARCHIVE has md5 $actual, expected $MD5 (corrupt or incomplete download; delete it and rerun)" >&2
  exit 1
fi
tar -xzf "$ARCHIVE" -C "$DEST"
for f in data_batch_1 data_batch_2 data_batch_3 data_batch_4 data_batch_5 test_batch; do
  size=$(stat -c %s "$FOLDER/$f.bin" 2>/dev/null || echo 0)
  if [ "$size" != "$BATCH_BYTES" ]; then
    echo "data: error: $FOLDER/$f.bin is $size bytes, expected $BATCH_BYTES" >&2
    exit 1
  fi
done
echo "data: CIFAR-10 ready in $FOLDER (md5 and sizes checked); use --data $FOLDER or CIFAR10_DIR=$FOLDER"
