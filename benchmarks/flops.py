"""A cost model: the multiply-adds of one training step, counted from the layer shapes.

`forward_macs(model)` walks a functional Keras model (and the functional
models nested in it) and counts the multiply-adds of every convolution,
transposed convolution, dense layer and `keras_gen.layers.SelfAttention2D`
for one example; element-wise work (normalization, activations, additions,
pooling) is left out: it is a few percent of these networks and is memory-
rather than arithmetic-bound. Layers with weights that the model does not
know how to count are listed as `uncounted`, never silently priced at zero.

`gan_step_flops(generator, discriminator)` prices one GAN training step per
image, for the phases keras_gen runs (discriminator, then generator), with
the usual rule that a backward pass costs twice its forward pass (gradients
for the inputs and for the weights) and one pass that needs only input
gradients costs one forward:

- discriminator phase: G forward (no gradient) + D forward on the real and
  the fake image + D backward for both: `F_G + 2 F_D + 4 F_D`;
- generator phase: G forward + D forward + D backward to its input only + G
  backward: `F_G + F_D + F_D + 2 F_G`;

in all `4 F_G + 8 F_D` multiply-adds, 2 FLOPs each.

`measure_peaks()` measures what this CPU does at best on one thread with
PyTorch: a square matrix product and a 3x3 convolution, in float32 and
bfloat16, in GFLOP/s; `benchmarks/dcgan_throughput.py` divides each
contestant's achieved GFLOP/s by these, measured in the same run.

Usage:

    python benchmarks/flops.py            # the models' costs and this CPU's peaks
    python benchmarks/flops.py --no-peaks # costs only
"""

import argparse
import time

import keras

MODELS = ("dcgan_28", "dcgan_64", "sagan_28")


# ---------------------------------------------------------------------------
# Counting
# ---------------------------------------------------------------------------
def _product(values):
    result = 1
    for value in values:
        result *= int(value)
    return result


def _inner(layer):
    """The layer a wrapper (SpectralNormalization) computes with."""
    while isinstance(layer, keras.layers.Wrapper):
        layer = layer.layer
    return layer


def _channels_last(layer, shape):
    """`shape` with the channels last, whatever the layer's `data_format`."""
    if getattr(layer, "data_format", None) == "channels_first":
        return (shape[0],) + tuple(shape[2:]) + (shape[1],)
    return tuple(shape)


def _conv_macs(layer, input_shape, output_shape):
    input_shape, output_shape = _channels_last(layer, input_shape), _channels_last(layer, output_shape)
    kernel = _product(layer.kernel_size)
    in_channels = int(input_shape[-1])
    out_spatial = _product(output_shape[1:-1])
    groups = getattr(layer, "groups", 1) or 1
    return out_spatial * int(output_shape[-1]) * kernel * in_channels // groups


def _transpose_macs(layer, input_shape, output_shape):
    input_shape, output_shape = _channels_last(layer, input_shape), _channels_last(layer, output_shape)
    # Each input pixel scatters a kernel-sized patch into every output channel.
    return _product(input_shape[1:-1]) * int(input_shape[-1]) * _product(layer.kernel_size) * int(
        output_shape[-1]
    )


def _dense_macs(layer, input_shape, output_shape):
    return _product(input_shape[1:]) * int(output_shape[-1])


def _attention_macs(layer, input_shape, output_shape):
    height, width, channels = (int(v) for v in _channels_last(layer, input_shape)[1:])
    key_channels = max(1, channels // layer.key_channels_ratio)
    value_channels = max(1, channels // layer.value_channels_ratio)
    queries = height * width
    keys = queries // 4 if layer.pool_keys_values else queries
    # Queries, keys and values are 1x1 convolutions at full resolution (keys
    # and values are pooled afterwards).
    projections = queries * channels * (2 * key_channels + value_channels)
    attention = queries * keys * (key_channels + value_channels)
    output = queries * value_channels * channels
    return int(projections + attention + output)


def layer_macs(layer, input_shape, output_shape):
    """Multiply-adds of one call of `layer` on one example, or None if it is not priced.

    Args:
        layer: a Keras layer (wrappers such as `SpectralNormalization` are
            priced as the layer they wrap).
        input_shape, output_shape: the call's shapes, batch axis first.

    Returns:
        An int, 0 for layers without weights (element-wise work is not
        counted), or None for a layer with weights of an unknown kind.
    """
    from keras_gen.layers import SelfAttention2D

    if not isinstance(layer, keras.layers.Layer):
        return 0  # a keras.ops call in a functional graph: element-wise or a reduction
    inner = _inner(layer)
    if isinstance(inner, keras.layers.Conv2DTranspose):
        return _transpose_macs(inner, input_shape, output_shape)
    if isinstance(inner, (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D)):
        return _conv_macs(inner, input_shape, output_shape)
    if isinstance(inner, keras.layers.Dense):
        return _dense_macs(inner, input_shape, output_shape)
    if isinstance(inner, SelfAttention2D):
        return _attention_macs(inner, input_shape, output_shape)
    if isinstance(inner, (keras.layers.BatchNormalization, keras.layers.LayerNormalization,
                          keras.layers.GroupNormalization, keras.layers.Embedding)):
        return 0
    if not inner.weights:
        return 0
    # Layers that only scale (ConditionalBatchNormalization's embeddings, ...)
    # hold no kernel of rank >= 2 applied across features.
    if all(len(w.shape) <= 1 for w in inner.weights):
        return 0
    return None


def _shape(tensors):
    tensor = tensors[0] if isinstance(tensors, (list, tuple)) else tensors
    return tuple(tensor.shape)


def forward_macs(model):
    """Multiply-adds of one forward pass of a functional `model` on one example.

    Args:
        model: a functional `keras.Model` (nested functional models are
            walked; each call of a shared layer is counted).

    Returns:
        `(total, per_layer, uncounted)`: an int, a dict `layer name -> int`
        of the layers that cost multiply-adds (nested layers as
        `"model/layer"`), and the names of layers with weights that could not
        be priced.
    """
    per_layer, uncounted = {}, []

    def walk(function, prefix):
        for nodes in function._nodes_by_depth.values():
            for node in nodes:
                operation = node.operation
                if isinstance(operation, keras.layers.InputLayer) or not node.input_tensors:
                    continue
                name = prefix + operation.name
                if isinstance(operation, keras.Model) and hasattr(operation, "_nodes_by_depth"):
                    walk(operation, name + "/")
                    continue
                macs = layer_macs(operation, _shape(node.input_tensors), _shape(node.output_tensors))
                if macs is None:
                    uncounted.append(name)
                    continue
                if macs:
                    per_layer[name] = per_layer.get(name, 0) + macs

    walk(model, "")
    return sum(per_layer.values()), per_layer, uncounted


def gan_step_flops(generator, discriminator):
    """FLOPs of one GAN training step per image (see the module docstring).

    Returns:
        A dict: `generator_forward`, `discriminator_forward` (MACs),
        `discriminator_phase`, `generator_phase`, `step` (FLOPs), and
        `uncounted` (layer names).
    """
    g, _, g_uncounted = forward_macs(generator)
    d, _, d_uncounted = forward_macs(discriminator)
    discriminator_phase = g + 2 * d + 4 * d
    generator_phase = g + d + d + 2 * g
    return {
        "generator_forward": g,
        "discriminator_forward": d,
        "discriminator_phase": 2 * discriminator_phase,
        "generator_phase": 2 * generator_phase,
        "step": 2 * (discriminator_phase + generator_phase),
        "uncounted": g_uncounted + d_uncounted,
    }


def build(name, upsampling="transpose"):
    """`(generator, discriminator)` of a model this script prices (see `MODELS`).

    `upsampling` applies to the DCGANs (the generator's cost depends on it).
    """
    import keras_gen

    if name == "dcgan_28":
        from keras_gen.applications.dcgan import build_dcgan

        gan = build_dcgan(image_shape=(28, 28, 1), latent_dim=100, base_filters=32,
                          upsampling=upsampling)
    elif name == "dcgan_64":
        gan = keras_gen.models.GAN(
            keras_gen.networks.dcgan_generator(image_shape=(64, 64, 3), latent_dim=100,
                                               base_filters=64, upsampling=upsampling),
            keras_gen.networks.dcgan_discriminator(image_shape=(64, 64, 3), base_filters=64),
        )
    elif name == "sagan_28":
        from keras_gen.applications.sagan import build_sagan

        gan = build_sagan()
    else:
        raise ValueError(f"Unknown model {name!r}; use one of {MODELS}.")
    return gan.generator, gan.discriminator


# ---------------------------------------------------------------------------
# Peaks
# ---------------------------------------------------------------------------
def _best_rate(function, flops, repeats, min_seconds=0.2):
    function()  # warm-up: allocation, kernel selection
    best = 0.0
    for _ in range(repeats):
        calls, start = 0, time.perf_counter()
        while True:
            function()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_seconds:
                break
        best = max(best, calls * flops / elapsed / 1e9)
    return best


def measure_peaks(threads=1, size=512, repeats=3):
    """Best GFLOP/s of PyTorch's matrix product and 3x3 convolution on `threads` threads.

    Args:
        threads: `torch.set_num_threads` during the measurement.
        size: side of the square matrices; the convolution is 32 images of
            28x28 with 64 -> 64 channels.
        repeats: timed rounds of at least 0.2 s each; the best is reported.

    Returns:
        A dict `{"float32": {"matmul": g, "conv3x3": g}, "bfloat16": {...}}`
        in GFLOP/s (bfloat16 only where this torch supports it on the CPU).
    """
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        peaks = {}
        for dtype_name in ("float32", "bfloat16"):
            dtype = getattr(torch, dtype_name)
            a = torch.randn(size, size, dtype=dtype)
            b = torch.randn(size, size, dtype=dtype)
            images = torch.randn(32, 64, 28, 28, dtype=dtype)
            kernel = torch.randn(64, 64, 3, 3, dtype=dtype)
            conv_flops = 2 * 32 * 28 * 28 * 64 * 64 * 9
            with torch.no_grad():
                peaks[dtype_name] = {
                    "matmul": _best_rate(lambda: torch.mm(a, b), 2 * size**3, repeats),
                    "conv3x3": _best_rate(
                        lambda: torch.nn.functional.conv2d(images, kernel, padding=1),
                        conv_flops, repeats),
                }
        return peaks
    finally:
        torch.set_num_threads(previous)


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------
def cost_table(names=MODELS):
    import harness

    rows = []
    for name in names:
        generator, discriminator = build(name)
        cost = gan_step_flops(generator, discriminator)
        rows.append([
            name,
            harness.number(cost["generator_forward"] / 1e6, ",.2f"),
            harness.number(cost["discriminator_forward"] / 1e6, ",.2f"),
            harness.number(cost["step"] / 1e6, ",.1f"),
            ", ".join(cost["uncounted"]) or "none",
        ])
    return harness.markdown_table(
        ["model", "G forward (M MAC/img)", "D forward (M MAC/img)", "train step (MFLOP/img)",
         "layers not priced"],
        rows, "lrrrl",
    )


def peak_table(peaks):
    import harness

    rows = [[dtype, harness.number(v["matmul"], ",.1f"), harness.number(v["conv3x3"], ",.1f")]
            for dtype, v in peaks.items()]
    return harness.markdown_table(["dtype", "matmul 512² (GFLOP/s)", "conv 3x3 (GFLOP/s)"],
                                  rows, "lrr")


def dcgan_costs_and_peaks(upsampling_modes, threads):
    """What `dcgan_throughput.py` needs, as JSON-ready data: FLOP/img per upsampling, and peaks."""
    costs = {mode: gan_step_flops(*build("dcgan_28", mode))["step"] for mode in upsampling_modes}
    return {"step_flops": costs, "peaks": measure_peaks(threads)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--no-peaks", action="store_true", help="skip the peak measurement")
    parser.add_argument("--threads", type=int, default=1, help="threads for the peaks")
    parser.add_argument("--dcgan-json", metavar="MODES",
                        help="print the 28x28 DCGAN's step FLOPs for these comma-separated "
                             "upsampling modes and the peaks, as one JSON line")
    args = parser.parse_args(argv)
    if args.dcgan_json:
        import json

        modes = [m for m in args.dcgan_json.split(",") if m]
        print("FLOPS" + json.dumps(dcgan_costs_and_peaks(modes, args.threads)))
        return
    print(cost_table([m for m in args.models.split(",") if m]))
    if not args.no_peaks:
        print()
        print(f"Peaks of this CPU, PyTorch, {args.threads} thread(s):")
        print(peak_table(measure_peaks(args.threads)))


if __name__ == "__main__":
    main()
