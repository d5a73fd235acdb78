"""The DCGAN in plain PyTorch: `torch.nn` modules, `torch.optim.Adam` and a loop.

It does not depend on the Keras backend. It does the same math per step as
the Keras contestants: a discriminator update on a real and a detached
generated batch, then a generator update with fresh latents, both with the
non-saturating loss.
"""

from contestants import loss_warnings


def build_networks(upsampling, image_shape, latent_dim, base_filters):
    """`torch.nn` generator and discriminator with the keras_gen DCGAN layout.

    Same layer sizes, initialization (N(0, 0.02), BatchNorm scale N(1, 0.02)),
    BatchNorm momentum 0.9 in Keras terms (0.1 in PyTorch's) and epsilon 1e-5;
    channels-first, PyTorch's native layout. Two upsamplings, so the image
    side must be 4 times the side of the projected base.

    Args:
        upsampling: `"transpose"` (`ConvTranspose2d`), `"resize"` (`Upsample`
            + conv) or `"subpixel"` (conv + `PixelShuffle`).
        image_shape: `(side, side, channels)`, as in Keras.
        latent_dim: size of the latent vectors.
        base_filters: filters of the last hidden block (twice that before it).

    Returns:
        `(generator, discriminator)` as `torch.nn.Sequential` modules.
    """
    from torch import nn

    side, channels = image_shape[0], image_shape[2]
    base_side = side // 4
    hidden = base_filters * 2

    def upsample(in_channels, out_channels, bias):
        if upsampling == "transpose":
            return [nn.ConvTranspose2d(in_channels, out_channels, 4, 2, padding=1, bias=bias)]
        if upsampling == "resize":
            return [
                nn.Upsample(scale_factor=2, mode="nearest"),
                nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=bias),
            ]
        return [
            nn.Conv2d(in_channels, 4 * out_channels, 3, padding=1, bias=bias),
            nn.PixelShuffle(2),
        ]

    def batch_norm(num_features):
        return nn.BatchNorm2d(num_features, eps=1e-5, momentum=0.1)

    generator = nn.Sequential(
        nn.Linear(latent_dim, base_side * base_side * hidden, bias=False),
        nn.Unflatten(1, (hidden, base_side, base_side)),
        batch_norm(hidden),
        nn.ReLU(),
        *upsample(hidden, base_filters, bias=False),
        batch_norm(base_filters),
        nn.ReLU(),
        *upsample(base_filters, channels, bias=True),
        nn.Tanh(),
    )
    discriminator = nn.Sequential(
        nn.Conv2d(channels, base_filters, 4, 2, padding=1, bias=True),
        nn.LeakyReLU(0.2),
        nn.Conv2d(base_filters, hidden, 4, 2, padding=1, bias=False),
        batch_norm(hidden),
        nn.LeakyReLU(0.2),
        nn.Flatten(),
        nn.Linear(hidden * base_side * base_side, 1),
    )
    for module in list(generator.modules()) + list(discriminator.modules()):
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(module.weight, 0.0, 0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.normal_(module.weight, 1.0, 0.02)
            nn.init.zeros_(module.bias)
    return generator, discriminator


class PlainPyTorchContestant:
    """The training loop over `torch.nn` networks, as a `harness.serve` contestant.

    Args:
        generator, discriminator: `torch.nn` modules (see `build_networks`).
        latent_dim: size of the latent vectors.
        batch_size: images per step.
        adam: keyword arguments of both `torch.optim.Adam`s (`lr`, `betas`, `eps`).
        warmup_images, timed_images: channels-first float32 NumPy arrays.
        autocast: run the forward passes and losses under
            `torch.autocast("cpu", dtype=torch.bfloat16)`, PyTorch's mixed
            precision (weights, gradients and Adam states stay float32).
    """

    def __init__(self, generator, discriminator, latent_dim, batch_size, adam, warmup_images, timed_images,
                 autocast=False):
        import contextlib

        import torch

        self.precision_scope = ((lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if autocast
                                else contextlib.nullcontext)
        self.torch = torch
        self.generator, self.discriminator = generator, discriminator
        self.generator.train()
        self.discriminator.train()
        self.latent_dim = latent_dim
        self.batch_size = batch_size
        self.d_optimizer = torch.optim.Adam(self.discriminator.parameters(), **adam)
        self.g_optimizer = torch.optim.Adam(self.generator.parameters(), **adam)
        self.warmup_images = torch.from_numpy(warmup_images)
        self.timed_images = torch.from_numpy(timed_images)

    def _train(self, images):
        import torch.nn.functional as F

        torch, generator, discriminator = self.torch, self.generator, self.discriminator
        d_loss = g_loss = None
        for i in range(0, len(images), self.batch_size):
            real = images[i : i + self.batch_size]
            batch_size = real.shape[0]
            with self.precision_scope():
                fake = generator(torch.randn(batch_size, self.latent_dim)).detach()
                d_loss = F.softplus(-discriminator(real)).mean() + F.softplus(discriminator(fake)).mean()
            self.d_optimizer.zero_grad(set_to_none=True)
            d_loss.backward()
            self.d_optimizer.step()

            with self.precision_scope():
                fake_logits = discriminator(generator(torch.randn(batch_size, self.latent_dim)))
                g_loss = F.softplus(-fake_logits).mean()
            self.g_optimizer.zero_grad(set_to_none=True)
            g_loss.backward()
            self.g_optimizer.step()
        return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}

    def warmup(self):
        """Trains on the warm-up images; warns if a loss is not finite or no weight moved."""
        parameters = list(self.generator.parameters()) + list(self.discriminator.parameters())
        before = [p.detach().clone() for p in parameters]
        problems = loss_warnings(self._train(self.warmup_images), "in the warm-up")
        if all(self.torch.equal(b, a) for b, a in zip(before, parameters)):
            problems.append("weights did not change")
        return {"warnings": problems}

    def run(self):
        """Trains on the timed images; returns the last losses."""
        losses = self._train(self.timed_images)
        return {"losses": losses, "warnings": loss_warnings(losses, "while timing")}
