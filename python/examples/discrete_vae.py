"""A categorical VAE (Jang, Gu and Poole 2017, section 4.2) on scikit-learn's bundled digits,
trained once with this package's PyTorch adapter and once with torch.nn.functional.gumbel_softmax,
with the same seed, data order, initial weights and temperature schedule.

Scaled to a small CPU: 20 latent variables of 10 categories, an MLP encoder and decoder
(64-256-128-200 and 200-128-256-64), the 8x8 digits (1797 images, no download) binarised at half
intensity, Bernoulli pixels, a uniform categorical prior, Adam (lr 1e-3), batches of 100. The
temperature is annealed as in the paper, tau = max(0.5, exp(-r * t)) of the global step t, updated
every N steps (the paper: N in {500, 1000}, r in {1e-5, 1e-4} over ~100k steps); here N = 100 and
r chosen so that tau reaches 0.5 at three quarters of training.

The curves are the test-set ELBO of the discrete model (latents drawn from the categorical
posterior q(z|x), the same evaluation noise for both runs), in nats per image.

    python3 python/examples/discrete_vae.py --steps 3000 --seeds 3 --plot docs/discrete_vae_elbo.png
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

PACKAGE_DIRECTORY = Path(__file__).resolve().parent.parent  # python/, holding gumbel_softmax/
if str(PACKAGE_DIRECTORY) not in sys.path:
    sys.path.insert(0, str(PACKAGE_DIRECTORY))

from gumbel_softmax.torch import gumbel_softmax as library_gumbel_softmax  # noqa: E402

LATENTS = 20
CATEGORIES = 10
PIXELS = 64
BATCH = 100
LEARNING_RATE = 1e-3
MIN_TEMPERATURE = 0.5
ANNEAL_EVERY = 100

SAMPLERS = {
    "gumbel_softmax.torch": lambda logits, tau: library_gumbel_softmax(logits, tau),
    "F.gumbel_softmax": lambda logits, tau: F.gumbel_softmax(logits, tau),
}


def load_digits_binary(split_seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(train, test) binarised digits: 1500 and 297 images of 64 pixels in {0, 1}."""
    from sklearn.datasets import load_digits

    images = (load_digits().data >= 8).astype(np.float32)
    order = np.random.default_rng(split_seed).permutation(len(images))
    images = torch.from_numpy(images[order])
    return images[:1500], images[1500:]


class CategoricalVAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Linear(PIXELS, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, LATENTS * CATEGORIES)
        )
        self.decoder = nn.Sequential(
            nn.Linear(LATENTS * CATEGORIES, 128), nn.ReLU(), nn.Linear(128, 256), nn.ReLU(), nn.Linear(256, PIXELS)
        )

    def posterior_logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x).view(-1, LATENTS, CATEGORIES)

    def elbo(self, x: torch.Tensor, logits: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Per-image ELBO: log p(x|z) - KL(q(z|x) || uniform), z [N, LATENTS, CATEGORIES]."""
        reconstruction = -F.binary_cross_entropy_with_logits(self.decoder(z.flatten(1)), x, reduction="none").sum(-1)
        q = torch.softmax(logits, -1)
        kl = (q * (torch.log_softmax(logits, -1) + math.log(CATEGORIES))).sum((-2, -1))
        return reconstruction - kl


def temperature(step: int, rate: float) -> float:
    """The paper's schedule max(0.5, exp(-r t)), t rounded down to a multiple of ANNEAL_EVERY."""
    return max(MIN_TEMPERATURE, math.exp(-rate * (step - step % ANNEAL_EVERY)))


@torch.no_grad()
def test_elbo(model: CategoricalVAE, test: torch.Tensor, samples: int = 8) -> float:
    """The discrete model's ELBO on the test set, nats per image, latents drawn from q(z|x) with
    fixed evaluation noise (the same for every model and step)."""
    logits = model.posterior_logits(test)
    generator = torch.Generator().manual_seed(2017)
    total = 0.0
    for _ in range(samples):
        flat = torch.multinomial(torch.softmax(logits, -1).view(-1, CATEGORIES), 1, generator=generator)
        z = F.one_hot(flat.view(len(test), LATENTS), CATEGORIES).float()
        total += float(model.elbo(test, logits, z).mean())
    return total / samples


def marginal_baseline(data=None) -> float:
    """The test ELBO of the best model that ignores its latents (KL 0, every pixel Bernoulli with
    its training-set frequency): what a VAE reaches before it learns to use the latents."""
    train_images, test_images = data if data is not None else load_digits_binary()
    p = train_images.mean(0).clamp(1e-4, 1 - 1e-4)
    return float((test_images * p.log() + (1 - test_images) * (1 - p).log()).sum(-1).mean())


def train(sampler: str, *, steps: int, seed: int, eval_every: int, data=None, learning_rate: float = LEARNING_RATE):
    """Trains one VAE. Returns (steps evaluated, test ELBOs, seconds per training step)."""
    train_images, test_images = data if data is not None else load_digits_binary()
    rate = math.log(1 / MIN_TEMPERATURE) / (0.75 * steps)
    torch.manual_seed(seed)
    model = CategoricalVAE()
    optimiser = torch.optim.Adam(model.parameters(), lr=learning_rate)
    order = torch.Generator().manual_seed(seed)
    sample = SAMPLERS[sampler]
    evaluated, elbos = [0], [test_elbo(model, test_images)]
    batches = torch.randperm(len(train_images), generator=order).split(BATCH)
    batch_index, seconds = 0, 0.0
    for step in range(1, steps + 1):
        if batch_index == len(batches):
            batches = torch.randperm(len(train_images), generator=order).split(BATCH)
            batch_index = 0
        x = train_images[batches[batch_index]]
        batch_index += 1
        start = time.perf_counter()
        logits = model.posterior_logits(x)
        z = sample(logits, temperature(step, rate))
        loss = -model.elbo(x, logits, z).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        seconds += time.perf_counter() - start
        if step % eval_every == 0 or step == steps:
            evaluated.append(step)
            elbos.append(test_elbo(model, test_images))
    return evaluated, elbos, seconds / steps


def plot(path: str, curves: dict) -> None:
    """curves: sampler name -> list over seeds of (steps, ELBOs, seconds per step)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    for (name, runs), style in zip(curves.items(), ("-", "--")):
        evaluated = runs[0][0]
        elbos = np.array([elbos for _, elbos, _ in runs])
        line, = axes.plot(evaluated, elbos.mean(0), style, label=f"{name} (mean of {len(runs)} seeds)")
        if len(runs) > 1:
            axes.fill_between(evaluated, elbos.min(0), elbos.max(0), color=line.get_color(), alpha=0.2)
    axes.set_xlabel("training step")
    axes.set_ylabel("test ELBO (nats per image)")
    axes.set_title(f"Categorical VAE on digits ({LATENTS} x {CATEGORIES} latents; band: min-max over seeds)")
    axes.title.set_fontsize(10)
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--seeds", type=int, default=1, help="train each sampler with seeds 0..N-1 (default 1)")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    parser.add_argument("--plot", help="write the two ELBO curves to this PNG (needs matplotlib)")
    arguments = parser.parse_args(argv)
    torch.set_num_threads(arguments.threads)
    data = load_digits_binary()
    curves = {
        name: [train(name, steps=arguments.steps, seed=seed, eval_every=arguments.eval_every, data=data)
               for seed in range(arguments.seeds)]
        for name in SAMPLERS
    }
    for seed in range(arguments.seeds):
        print(f"seed {seed}: test ELBO (nats per image)")
        print("step   " + "".join(f"{name:>22}" for name in SAMPLERS))
        for i, step in enumerate(curves[next(iter(SAMPLERS))][seed][0]):
            print(f"{step:<7}" + "".join(f"{curves[name][seed][1][i]:>22.3f}" for name in SAMPLERS))
    for name, runs in curves.items():
        finals = np.array([elbos[-1] for _, elbos, _ in runs])
        spread = f" +- {finals.std(ddof=1):.3f} (sd over {len(finals)} seeds)" if len(finals) > 1 else ""
        seconds = np.mean([s for _, _, s in runs])
        print(f"{name}: final ELBO {finals.mean():.3f}{spread}; {seconds * 1e3:.2f} ms per training step")
    if arguments.plot:
        plot(arguments.plot, curves)
        print(f"plot: {arguments.plot}")


if __name__ == "__main__":
    main()
