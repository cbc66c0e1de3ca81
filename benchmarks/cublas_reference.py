#!/usr/bin/env python3
"""The cuBLAS reference of KernelBenchmark on the same GPU: PyTorch fp32 matmul (TF32 off) for the SGEMM
kernels and fp16 a @ b.t() with fp32 accumulation for the tensor-core kernel, at n = 1024 and 4096."""
import torch, time
torch.backends.cuda.matmul.allow_tf32 = False
for n in (1024, 4096):
    a = torch.rand(n, n, device="cuda"); b = torch.rand(n, n, device="cuda")
    for _ in range(3): a @ b
    torch.cuda.synchronize(); reps = 20; t = time.perf_counter()
    for _ in range(reps): a @ b
    torch.cuda.synchronize(); dt = (time.perf_counter() - t) / reps
    print(f"torch {torch.__version__} fp32 matmul (cuBLAS, TF32 off) n={n}: {dt*1e3:.3f} ms, {2*n**3/dt/1e9:.0f} GFLOP/s")
torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction = False
for n in (1024, 4096):  # the tensor-core reference for KernelBenchmark.tensorCore: fp16 inputs, fp32 accumulation
    a = torch.rand(n, n, device="cuda").half(); b = torch.rand(n, n, device="cuda").half()
    for _ in range(3): a @ b.t()
    torch.cuda.synchronize(); reps = 20; t = time.perf_counter()
    for _ in range(reps): a @ b.t()
    torch.cuda.synchronize(); dt = (time.perf_counter() - t) / reps
    print(f"torch {torch.__version__} fp16 matmul a @ b.t() (cuBLAS, fp16 in and out, fp32 accumulation) n={n}: {dt*1e3:.3f} ms, {2*n**3/dt/1e9:.0f} GFLOP/s")
