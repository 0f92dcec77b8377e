"""PyTorch's side of issue 23's comparison: torchvision's ResNet-18 with the CIFAR stem (3x3 stride-1 conv, no
max-pool, no classifier), forward + backward of a batch of 32x32 images on CUDA with cuDNN, in fp32 and in TF32.
Prints one line per precision: `torch resnet18-cifar batch=B fp32|tf32 median_ms`. Run by Tools/gpu-check/run.sh."""
import statistics
import sys
import time

import torch
import torchvision


def model():
    net = torchvision.models.resnet18()
    net.conv1 = torch.nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
    net.maxpool = torch.nn.Identity()
    net.fc = torch.nn.Identity()
    return net.cuda()


def time_step(net, x, upstream, repeats):
    times = []
    for run in range(repeats + 2):
        torch.cuda.synchronize()
        start = time.perf_counter()
        net(x).backward(upstream)
        net.zero_grad(set_to_none=True)
        torch.cuda.synchronize()
        if run >= 2:
            times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main():
    batch = int(sys.argv[1]) if len(sys.argv) > 1 else 512
    torch.backends.cudnn.benchmark = True
    net = model()
    x = torch.randn(batch, 3, 32, 32, device="cuda")
    upstream = torch.randn(batch, 512, device="cuda")
    for precision, allow in (("fp32", False), ("tf32", True)):
        torch.backends.cudnn.allow_tf32 = allow
        torch.backends.cuda.matmul.allow_tf32 = allow
        print(f"torch resnet18-cifar batch={batch} {precision} {time_step(net, x, upstream, 10):.3f}", flush=True)


if __name__ == "__main__":
    main()
