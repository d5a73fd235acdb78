"""Where keras_gen's torch-backend DCGAN step loses to a plain PyTorch loop, measured in one process.

Five contestants run the same 28x28 DCGAN training step (the model of
`dcgan_throughput.py`: batch 64, transposed convolutions, non-saturating loss,
Adam, one thread), interleaved round by round:

- `plain PyTorch`: the hand-written `torch.nn` loop (`contestants/plain_pytorch.py`);
- `keras_gen`: `GAN.fit`'s step (`contestants/keras_fit.py`);
- `bare loop`: the same Keras networks and Keras Adams driven by a minimal
  loop, with no `fit`, no keras_gen trainer, guard or metrics: the
  difference to `keras_gen` is keras_gen's own cost;
- `keras_gen + Keras fixes`: `keras_gen` with three changes to Keras's torch
  backend applied inside this process only (outputs unchanged, checked):
  `conv_transpose` passes its symmetric crop to torch as `padding=` instead
  of computing the full output and slicing it; `conv` hands torch the
  permuted (already channels-last-strided) view instead of copying to NCHW and
  back; `BatchNormalization` calls torch's fused `native_batch_norm` and
  updates the moving statistics itself with Keras's biased variance and
  momentum convention;
- `bare loop + Keras fixes`: both.

What is left between the last row and plain PyTorch is the Python cost of
Keras's `Layer.__call__` (argument binding, structure mapping, dtype and
symbolic checks) around each of the ~30 layer calls of a step, which
`forward overhead` below isolates: one forward pass of each network at
batch 2, Keras against torch.

Usage (from the repository root, on a quiet machine):

    KERAS_BACKEND=torch python benchmarks/torch_gap.py --rounds 7 --output FILE
"""

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "torch")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dcgan_throughput  # noqa: E402
import harness  # noqa: E402


# ---------------------------------------------------------------------------
# Three changes to Keras's torch backend, switchable at run time.
# ---------------------------------------------------------------------------
class KerasFixes:
    """Installs the three changes once; `enabled` switches them on and off."""

    def __init__(self):
        from keras.src.backend.torch import nn as torch_nn
        from keras.src.layers.normalization.batch_normalization import BatchNormalization

        self.enabled = False
        self._nn = torch_nn
        self._conv, self._conv_transpose = torch_nn.conv, torch_nn.conv_transpose
        self._batch_norm_call = BatchNormalization.call
        fixes = self

        def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
            if fixes.enabled and _channels_last_2d(inputs, data_format):
                return fixes.conv(inputs, kernel, strides, padding, dilation_rate)
            return fixes._conv(inputs, kernel, strides, padding, data_format, dilation_rate)

        def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                           data_format=None, dilation_rate=1):
            if fixes.enabled and _channels_last_2d(inputs, data_format):
                fixed = fixes.conv_transpose(inputs, kernel, strides, padding, output_padding,
                                             dilation_rate)
                if fixed is not None:
                    return fixed
            return fixes._conv_transpose(inputs, kernel, strides, padding, output_padding,
                                         data_format, dilation_rate)

        def batch_norm_call(layer, inputs, training=None, mask=None):
            if fixes.enabled and _fusable(layer, inputs, mask):
                return fixes.batch_norm(layer, inputs, training)
            return fixes._batch_norm_call(layer, inputs, training=training, mask=mask)

        torch_nn.conv, torch_nn.conv_transpose = conv, conv_transpose
        BatchNormalization.call = batch_norm_call

    def uninstall(self):
        """Puts Keras's own functions back."""
        from keras.src.layers.normalization.batch_normalization import BatchNormalization

        self._nn.conv, self._nn.conv_transpose = self._conv, self._conv_transpose
        BatchNormalization.call = self._batch_norm_call

    def conv(self, inputs, kernel, strides, padding, dilation_rate):
        from keras.src.utils.argument_validation import standardize_tuple

        nn = self._nn
        inputs, kernel = nn.convert_to_tensor(inputs), nn.convert_to_tensor(kernel)
        strides = standardize_tuple(strides, 2, "strides")
        x = inputs.permute(0, 3, 1, 2)  # a view with channels-last strides: no copy
        kernel = nn._maybe_convert_to_channels_last(nn._transpose_conv_kernel(kernel))
        pad = 0
        if padding == "same":
            x, pad = nn._apply_same_padding(x, kernel.shape[2:], strides, "channels_last", "conv",
                                            dilation_rate)
        y = F.conv2d(x, kernel, stride=strides, padding=pad, dilation=dilation_rate,
                     groups=x.shape[1] // kernel.shape[1])
        return nn._transpose_spatial_outputs(y)

    def conv_transpose(self, inputs, kernel, strides, padding, output_padding, dilation_rate):
        from keras.src.backend.common.backend_utils import (
            compute_conv_transpose_output_crops_for_torch,
        )
        from keras.src.utils.argument_validation import standardize_tuple

        nn = self._nn
        strides = standardize_tuple(strides, 2, "strides")
        crops = compute_conv_transpose_output_crops_for_torch(
            input_shape=inputs.shape, kernel_shape=kernel.shape, strides=strides,
            padding=padding, output_padding=output_padding, dilation_rate=dilation_rate)
        if not all(left == right and left >= 0 for left, right in crops):
            return None
        inputs, kernel = nn.convert_to_tensor(inputs), nn.convert_to_tensor(kernel)
        y = F.conv_transpose2d(nn._transpose_spatial_inputs(inputs), nn._transpose_conv_kernel(kernel),
                               stride=strides, padding=tuple(left for left, _ in crops),
                               dilation=dilation_rate)
        return nn._transpose_spatial_outputs(y)

    @staticmethod
    def batch_norm(layer, inputs, training):
        x = inputs.movedim(-1, 1)
        gamma = layer.gamma.value if layer.scale else None
        beta = layer.beta.value if layer.center else None
        if training and layer.trainable:
            y, mean, inverse_std = torch.native_batch_norm(x, gamma, beta, None, None, True, 0.0,
                                                           layer.epsilon)
            with torch.no_grad():  # Keras's convention: biased variance, moving = m * moving + ...
                momentum = layer.momentum
                layer.moving_mean.value.mul_(momentum).add_(mean, alpha=1 - momentum)
                variance = inverse_std.pow(-2) - layer.epsilon
                layer.moving_variance.value.mul_(momentum).add_(variance, alpha=1 - momentum)
        else:
            y = F.batch_norm(x, layer.moving_mean.value, layer.moving_variance.value, gamma, beta,
                             False, 0.0, layer.epsilon)
        return y.movedim(1, -1)


def _channels_last_2d(inputs, data_format):
    from keras.src import backend

    return inputs.ndim == 4 and backend.standardize_data_format(data_format) == "channels_last"


def _fusable(layer, inputs, mask):
    return (mask is None and not layer.renorm and not layer.synchronized and inputs.ndim == 4
            and layer.axis in (-1, 3) and inputs.dtype == torch.float32)


# ---------------------------------------------------------------------------
# The bare loop: the same Keras networks and optimizers, no trainer.
# ---------------------------------------------------------------------------
class BareLoop:
    def __init__(self, steps):
        from keras_gen.applications.dcgan import build_dcgan

        self.gan = build_dcgan(image_shape=dcgan_throughput.IMAGE_SHAPE,
                               latent_dim=dcgan_throughput.LATENT_DIM,
                               base_filters=dcgan_throughput.BASE_FILTERS, upsampling="transpose")
        self.gan.compile()
        self.images = torch.from_numpy(dcgan_throughput.images(steps * dcgan_throughput.BATCH_SIZE, 2))

    def _step(self, real, generator, discriminator, optimizers):
        batch, latent = len(real), dcgan_throughput.LATENT_DIM
        fake = generator(torch.randn(batch, latent), training=True).detach()
        d_loss = (F.softplus(-discriminator(real, training=True)).mean()
                  + F.softplus(discriminator(fake, training=True)).mean())
        self._apply(d_loss, discriminator.trainable_variables, optimizers["discriminator"])
        g_loss = F.softplus(-discriminator(generator(torch.randn(batch, latent), training=True),
                                           training=True)).mean()
        self._apply(g_loss, generator.trainable_variables, optimizers["generator"])

    @staticmethod
    def _apply(loss, variables, optimizer):
        gradients = torch.autograd.grad(loss, [v.value for v in variables])
        with torch.no_grad():
            optimizer.apply(list(gradients), variables)

    def warmup(self):
        self.run()

    def run(self):
        optimizers = self.gan.optimizer
        for start in range(0, len(self.images), dcgan_throughput.BATCH_SIZE):
            self._step(self.images[start:start + dcgan_throughput.BATCH_SIZE], self.gan.generator,
                       self.gan.discriminator, optimizers)


def forward_overhead(repeats=200):
    """Milliseconds of one batch-2 forward pass of each network: Keras vs torch."""
    from contestants import plain_pytorch

    from keras_gen.applications.dcgan import build_dcgan

    gan = build_dcgan(image_shape=dcgan_throughput.IMAGE_SHAPE, latent_dim=dcgan_throughput.LATENT_DIM,
                      base_filters=dcgan_throughput.BASE_FILTERS, upsampling="transpose")
    generator, discriminator = plain_pytorch.build_networks(
        "transpose", dcgan_throughput.IMAGE_SHAPE, dcgan_throughput.LATENT_DIM,
        dcgan_throughput.BASE_FILTERS)
    z = torch.randn(2, dcgan_throughput.LATENT_DIM)
    height, width, channels = dcgan_throughput.IMAGE_SHAPE
    cases = {
        "generator": (lambda: gan.generator(z, training=True), lambda: generator(z)),
        "discriminator": (lambda: gan.discriminator(torch.rand(2, height, width, channels),
                                                    training=True),
                          lambda: discriminator(torch.rand(2, channels, height, width))),
    }
    timings = {}
    with torch.no_grad():
        for name, (keras_call, torch_call) in cases.items():
            for label, call in (("keras", keras_call), ("torch", torch_call)):
                call()
                start = time.perf_counter()
                for _ in range(repeats):
                    call()
                timings[(name, label)] = 1e3 * (time.perf_counter() - start) / repeats
    return timings


def check_fixes_keep_outputs(fixes, training):
    """The fixed backend computes what Keras computes (largest absolute difference)."""
    from keras_gen.applications.dcgan import build_dcgan

    gan = build_dcgan(image_shape=dcgan_throughput.IMAGE_SHAPE, latent_dim=dcgan_throughput.LATENT_DIM,
                      base_filters=dcgan_throughput.BASE_FILTERS, upsampling="transpose", seed=0)
    z = torch.randn(8, dcgan_throughput.LATENT_DIM, generator=torch.Generator().manual_seed(0))
    results = []
    for enabled in (False, True):
        fixes.enabled = enabled
        with torch.no_grad():
            images = gan.generator(z, training=training)
            results.append((images, gan.discriminator(images, training=training)))
    fixes.enabled = False
    return max(float((a - b).abs().max()) for a, b in zip(*results))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="training steps per timed run")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--output", help="also write the markdown report to this file")
    args = parser.parse_args(argv)
    provenance = harness.Provenance(__file__, argv)
    torch.set_num_threads(1)

    fixes = KerasFixes()
    differences = [check_fixes_keep_outputs(fixes, training) for training in (False, True)]
    plain = dcgan_throughput.make_contestant("pytorch", "transpose", args.steps)
    fit = dcgan_throughput.make_contestant("keras_gen", "transpose", args.steps)
    bare = BareLoop(args.steps)
    contestants = {
        "plain PyTorch": (plain, False),
        "keras_gen": (fit, False),
        "bare loop (Keras networks and Adam, no trainer)": (bare, False),
        "keras_gen + Keras fixes": (fit, True),
        "bare loop + Keras fixes": (bare, True),
    }
    for contestant, enabled in contestants.values():
        fixes.enabled = enabled
        contestant.warmup()

    def with_fixes(contestant, enabled):
        def run():
            fixes.enabled = enabled
            contestant.run()
        return run

    times = harness.interleave_in_process(
        {name: with_fixes(contestant, enabled) for name, (contestant, enabled) in contestants.items()},
        args.rounds, args.steps, clock=time.perf_counter)
    fixes.enabled = False
    overhead = forward_overhead()
    provenance.finish()

    rows = [[name, f"{statistics.median(values):.1f}", f"{min(values):.1f}",
             f"{harness.median_speedup(times, 'plain PyTorch', name):.3f}"] for name, values in times.items()]
    lines = [
        "# Where the torch backend's DCGAN step loses to plain PyTorch",
        "",
        f"28x28 DCGAN, batch {dcgan_throughput.BATCH_SIZE}, transposed convolutions, one thread, "
        f"{args.steps} steps per run, {args.rounds} interleaved rounds.",
        "",
        harness.markdown_table(["contestant", "ms/step (median)", "ms/step (best)",
                                "speed vs plain PyTorch (median of paired ratios)"], rows, "lrrr"),
        "",
        "The Keras fixes keep the outputs: the largest difference of the generator's images and "
        f"the discriminator's logits with and without them is {differences[0]:.1e} in inference "
        f"and {differences[1]:.1e} in training mode (BatchNorm's batch statistics are summed in "
        "another order).",
        "",
        "Forward pass at batch 2 (ms), where the per-layer-call cost dominates:",
        "",
        harness.markdown_table(
            ["network", "Keras", "torch", "Keras / torch"],
            [[name, f"{overhead[(name, 'keras')]:.2f}", f"{overhead[(name, 'torch')]:.2f}",
              f"{overhead[(name, 'keras')] / overhead[(name, 'torch')]:.1f}x"]
             for name in ("generator", "discriminator")], "lrrr"),
        "",
    ] + provenance.lines()
    harness.publish("\n".join(lines), args.output)


if __name__ == "__main__":
    main()
