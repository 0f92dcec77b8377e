#!/bin/bash
# Issue 23's checks on a lent GPU machine, in one pass (the device tool gives a session about 15 minutes): build,
# the test suite on the GPU, `simile check`, `simile tune`, then the bench in fp32 and tf32 beside PyTorch's
# ResNet-18 in the same run. Everything it prints and writes goes under OUT (default ./gpu-check-out).
# Usage: Tools/gpu-check/run.sh [OUT]   (from the repository root; a missing step is reported, the rest still runs)
set -u
out=${1:-gpu-check-out}
mkdir -p "$out"
log() { echo "== $*" | tee -a "$out/summary.txt"; }
step() { local name=$1; shift; log "$name: $*"; "$@" > "$out/$name.log" 2>&1; echo "exit $?" | tee -a "$out/summary.txt"; }

export SIMILE_CACHE_DIR="$out/cache"
step build swift build -c release
bin=.build/release
step devices "$bin/simile" devices
step check "$bin/simile" check --device opencl
step tests env SIMILE_REQUIRE_OPENCL=1 swift test
step tune "$bin/simile" tune --device opencl --model resnet18 --batch 512
for precision in fp32 tf32; do
    step "bench-$precision" "$bin/simile-bench" --device opencl --precision "$precision" --repeat 5 \
        --kernel resnet18-cifar --size 512 --json "$out/bench-$precision.json"
done
for kernel in conv2d conv2d-backward-input conv2d-backward-weight; do
    step "bench-$kernel" "$bin/simile-bench" --device opencl --kernel "$kernel" --size 512 --repeat 3
done
step train-step "$bin/simile-bench" --device all --kernel train-step --size 512 --repeat 3
step trace "$bin/simile-bench" --device opencl --kernel resnet18-cifar --size 512 --repeat 2 --trace "$out/trace.json"
if python3 -c "import torch, torchvision; assert torch.cuda.is_available()" 2> /dev/null; then
    step torch python3 Tools/gpu-check/torch_resnet18.py 512
else
    log "torch: no PyTorch with CUDA here; the comparison is skipped"
fi
grep -h -E "^(resnet18|torch)" "$out"/bench-*.log "$out/torch.log" 2> /dev/null | tee -a "$out/summary.txt"
