"""Do the frameworks' CPU kernels run faster in bfloat16? Convolution and matrix product, per framework.

A mixed-precision step can only be faster than a float32 one if the
framework's kernels are. This benchmark times, on one thread, the kernels a
DCGAN step spends its arithmetic in, in float32 and in bfloat16, each
framework in its own process, with the two precisions interleaved round by
round (the reported ratio is the median of the paired per-round ratios):

- `conv`: a 3x3 convolution, 64 images of 14x14 with 64 -> 64 channels,
  forward and the two gradients (input and kernel), as in a training step;
- `matmul`: a 512x512 matrix product.

TensorFlow and JAX run channels-last (as Keras calls them), torch NCHW. For
JAX it also reads the compiled program and reports the dtype XLA computes each
kernel in: XLA's CPU compiler converts bfloat16 convolutions and matrix
products to float32 and back, so a bfloat16 JAX step does float32 arithmetic
plus the conversions, whatever the model code does.

Usage:

    python benchmarks/bf16_kernels.py --output benchmarks/results_bf16_kernels.md
    python benchmarks/bf16_kernels.py --rounds 2 --min-seconds 0.05   # quick look
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

import harness

FRAMEWORKS = ("torch", "tensorflow", "jax")
KERNELS = ("conv", "matmul")
PRECISIONS = ("float32", "bfloat16")
BATCH, SIDE, CHANNELS, MATMUL_SIZE = 64, 14, 64, 512
# Forward + input gradient + kernel gradient, 2 FLOPs per multiply-add.
CONV_FLOPS = 3 * 2 * BATCH * SIDE * SIDE * CHANNELS * CHANNELS * 9
MATMUL_FLOPS = 2 * MATMUL_SIZE**3


# --------------------------------------------------------------- the kernels
def torch_kernels(dtype_name):
    import torch

    dtype = getattr(torch, dtype_name)
    images = torch.randn(BATCH, CHANNELS, SIDE, SIDE, dtype=dtype, requires_grad=True)
    kernel = torch.randn(CHANNELS, CHANNELS, 3, 3, dtype=dtype, requires_grad=True)
    a = torch.randn(MATMUL_SIZE, MATMUL_SIZE, dtype=dtype)

    def conv():
        out = torch.nn.functional.conv2d(images, kernel, padding=1)
        out.backward(torch.ones_like(out))

    def matmul():
        with torch.no_grad():
            torch.mm(a, a)

    return {"conv": conv, "matmul": matmul}


def tensorflow_kernels(dtype_name):
    import tensorflow as tf

    images = tf.Variable(tf.random.normal((BATCH, SIDE, SIDE, CHANNELS), dtype=dtype_name))
    kernel = tf.Variable(tf.random.normal((3, 3, CHANNELS, CHANNELS), dtype=dtype_name))
    a = tf.random.normal((MATMUL_SIZE, MATMUL_SIZE), dtype=dtype_name)

    @tf.function
    def conv():
        with tf.GradientTape() as tape:
            out = tf.nn.conv2d(images, kernel, 1, "SAME")
        return tape.gradient(out, [images, kernel])

    @tf.function
    def matmul():
        return tf.matmul(a, a)

    return {"conv": lambda: [g.numpy() for g in conv()], "matmul": lambda: matmul().numpy()}


def _jax_conv(images, kernel):
    import jax

    return jax.lax.conv_general_dilated(images, kernel, (1, 1), "SAME",
                                        dimension_numbers=("NHWC", "HWIO", "NHWC"))


def jax_kernels(dtype_name):
    import jax
    import jax.numpy as jnp

    keys = jax.random.split(jax.random.PRNGKey(0), 3)
    images = jax.random.normal(keys[0], (BATCH, SIDE, SIDE, CHANNELS), dtype_name)
    kernel = jax.random.normal(keys[1], (3, 3, CHANNELS, CHANNELS), dtype_name)
    a = jax.random.normal(keys[2], (MATMUL_SIZE, MATMUL_SIZE), dtype_name)
    conv = jax.jit(jax.grad(lambda x, w: jnp.sum(_jax_conv(x, w).astype("float32")), argnums=(0, 1)))
    matmul = jax.jit(lambda a: a @ a)
    return {"conv": lambda: jax.block_until_ready(conv(images, kernel)),
            "matmul": lambda: jax.block_until_ready(matmul(a))}


def jax_compute_dtypes():
    """The dtype XLA's compiled program computes each bfloat16 kernel in.

    Returns:
        `{"conv": "f32" | "bf16", "matmul": ...}`, read from the output type of
        the compiled `convolution` / `dot` (or the fusion that wraps it).
    """
    import jax
    import jax.numpy as jnp

    images = jnp.ones((BATCH, SIDE, SIDE, CHANNELS), "bfloat16")
    kernel = jnp.ones((3, 3, CHANNELS, CHANNELS), "bfloat16")
    a = jnp.ones((MATMUL_SIZE, MATMUL_SIZE), "bfloat16")
    programs = {"conv": jax.jit(_jax_conv).lower(images, kernel).compile().as_text(),
                "matmul": jax.jit(lambda a: a @ a).lower(a).compile().as_text()}
    return {kernel_name: compute_dtype(text, "convolution" if kernel_name == "conv" else "dot")
            for kernel_name, text in programs.items()}


def compute_dtype(hlo_text, op_name):
    """The element type of the first `op_name` instruction (the arithmetic) in compiled HLO text.

    Example: `compute_dtype("%c = f32[2,2]{1,0} convolution(%a, %b)", "convolution")` is `"f32"`.
    """
    match = re.search(r"=\s*(\w+)\[[^\]]*\](?:\{[^}]*\})?\s+" + op_name + r"\(", hlo_text)
    return match.group(1) if match else None


KERNEL_BUILDERS = {"torch": torch_kernels, "tensorflow": tensorflow_kernels, "jax": jax_kernels}


# ---------------------------------------------------------------- measuring
def time_call(function, min_seconds):
    """CPU seconds per call, calling `function` for at least `min_seconds` of wall time."""
    calls, wall_start, cpu_start = 0, time.perf_counter(), time.process_time()
    while calls == 0 or time.perf_counter() - wall_start < min_seconds:
        function()
        calls += 1
    return (time.process_time() - cpu_start) / calls


def worker(framework, rounds, min_seconds):
    """Times every kernel in both precisions, interleaved; returns JSON-ready results."""
    kernels = {precision: KERNEL_BUILDERS[framework](precision) for precision in PRECISIONS}
    for functions in kernels.values():  # warm-up: compilation, first allocations
        for function in functions.values():
            function()
    seconds = {(k, p): [] for k in KERNELS for p in PRECISIONS}
    for _ in range(rounds):
        for kernel_name in KERNELS:
            for precision in PRECISIONS:
                seconds[kernel_name, precision].append(
                    time_call(kernels[precision][kernel_name], min_seconds))
    result = {"framework": framework, "version": _version(framework), "kernels": {}}
    for kernel_name in KERNELS:
        flops = CONV_FLOPS if kernel_name == "conv" else MATMUL_FLOPS
        f32, bf16 = seconds[kernel_name, "float32"], seconds[kernel_name, "bfloat16"]
        result["kernels"][kernel_name] = {
            "gflops_float32": flops / _median(f32) / 1e9,
            "gflops_bfloat16": flops / _median(bf16) / 1e9,
            "bf16_speedup": _median([a / b for a, b in zip(f32, bf16)]),
        }
    if framework == "jax":
        result["compute_dtypes"] = jax_compute_dtypes()
    return result


def _median(values):
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def _version(framework):
    return sys.modules[framework].__version__


def format_report(results, provenance):
    """The markdown report: one row per framework and kernel."""
    rows = []
    for result in results:
        dtypes = result.get("compute_dtypes", {})
        for kernel_name, values in result["kernels"].items():
            computes_in = {"f32": "float32 (converts bf16 in and out)", "bf16": "bfloat16"}.get(
                dtypes.get(kernel_name), "")
            rows.append([f"{result['framework']} {result['version']}", kernel_name,
                         harness.number(values["gflops_float32"], ",.1f"),
                         harness.number(values["gflops_bfloat16"], ",.1f"),
                         f"{values['bf16_speedup']:.2f}x", computes_in])
    table = harness.markdown_table(
        ["framework", "kernel", "float32 GFLOP per CPU-s", "bfloat16 GFLOP per CPU-s",
         "bfloat16 speedup (median of paired rounds)", "XLA computes the bf16 kernel in"],
        rows, "llrrrl")
    return "\n".join([
        "# bfloat16 kernels against float32, one thread per framework", "",
        f"conv: 3x3, {BATCH} images of {SIDE}x{SIDE}, {CHANNELS} -> {CHANNELS} channels, forward and "
        f"both gradients; matmul: {MATMUL_SIZE}x{MATMUL_SIZE}.", "",
        table, "", *provenance.lines(),
    ])


def run_worker_process(framework, rounds, min_seconds):
    env = {**os.environ, **harness.backend_env(framework, threads=1)}
    completed = subprocess.run(
        harness.python_command(__file__, "--worker", framework, "--rounds", rounds,
                               "--min-seconds", min_seconds),
        capture_output=True, text=True, env=env, timeout=1800)
    if completed.returncode != 0:
        raise RuntimeError(f"{framework} worker failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--min-seconds", type=float, default=0.5,
                        help="wall seconds each timed measurement calls its kernel for")
    parser.add_argument("--output", help="markdown report path (default: print only)")
    parser.add_argument("--worker", choices=FRAMEWORKS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.rounds, args.min_seconds)))
        return
    provenance = harness.Provenance(__file__)
    results = [run_worker_process(name, args.rounds, args.min_seconds)
               for name in args.frameworks.split(",") if name]
    provenance.finish()
    harness.publish(format_report(results, provenance), args.output)


if __name__ == "__main__":
    main()
