#!/usr/bin/env python3
"""Reference numbers from established bandit libraries on the notebook's world.

The world is the one of `contextual_bandit_notebook.md` (and `scripts/fixtures/notebook.py`):

* `np.random.seed(17)`, then `action_weights = np.random.normal(size=(5, 30))` (features × posts);
* a user context is a binary vector, feature 0 = 1 (the intercept), the others uniform 0/1;
* the viewing time of post a is `exp(mean(context * action_weights[:, a]) + 0.1 * N(0, 1))`
  (the mean is over all 5 features, zeros included);
* 100 decisions a day, 14 days a run; after each day the model is refit on all logs so far.

Protocol played here, for every peer policy:

* day 1 is played uniformly at random (every post with probability 1/K) and logged;
* days 2..14 are played by the peer's policy, whose model has learned all logs of the days before
  (never anything of the current day: a day's logs are learned only after the day is played);
* per run, the asymptote is the mean over days 5..14 of that day's mean viewing time (the notebook's
  `mean[4:].mean()`, per run); over runs we report mean and se = std(ddof=0) / sqrt(runs).

Randomness (all deterministic):

* the world weights come from `np.random.seed(17)` exactly as in the notebook;
* run r draws its contexts, noise and day-1 uniform posts from `np.random.default_rng([seed, world, r])`,
  drawn for a whole day before any decision, so every policy sees the *same* users, the *same* noise
  and the *same* day-1 logs in run r (common random numbers: differences between peers are less noisy);
* the policy's own randomness is seeded by `1000 + r` (MABWiser's `seed=`, VW's `--random_seed`, and
  the numpy generator that samples VW's probability vector).

Peers:

* MABWiser 2.7.4 `LinUCB(alpha=1, l2_lambda=1)`, `LinTS(alpha=0.1, l2_lambda=1)`,
  `LinGreedy(epsilon=0, l2_lambda=1)`, `LinGreedy(epsilon=0.1, l2_lambda=1)`, contexts passed with
  all 5 columns, the constant column included (MABWiser adds no intercept of its own).
  MABWiser does `fit` on day 1's logs and `partial_fit` on each later day's logs. That is the same
  as refitting on all logs so far: `_RidgeRegression.fit` (mabwiser/linear.py:59-82) only adds XᵀX to A
  and Xᵀy to Xty and then recomputes A⁻¹ and β = A⁻¹Xty, while `MAB.fit` first resets A = λI and
  Xty = 0 (linear.py:50-56, 151-165). So after `partial_fit` of days 1..t, A = λI + Σ_{days ≤ t} xxᵀ and
  β = A⁻¹ Σ xy, exactly what a `fit` on the concatenated logs gives (up to float rounding), and
  cheaper. A day's decisions are made in one `predict` call over the day's 100 contexts; since the
  model does not change within a day, this is the same policy as one call per decision (LinTS samples
  an independent β per context and post, linear.py:111).
* Vowpal Wabbit `--cb_explore_adf` with action-dependent features: a shared namespace `s` holding
  the context's active features (f0 always: the constant is an ordinary feature), one action line per
  post in namespace `a` holding its id, and `-q sa`, so that each post has its own weights over the
  context (VW keeps its default linear terms and constant as well: a part shared by all posts, equal
  for every post of a context; the variants "…, per-post only" drop it with
  `--ignore_linear s --ignore_linear a --noconstant`, leaving exactly separate per-post linear models).
  The label of the chosen post is `0:cost:probability` with cost = −viewing time and probability =
  the probability with which the post was logged (1/K on day 1, VW's own pmf afterwards, sampled
  here with numpy). VW learns online, one decision at a time in logged order; the "daily refit" is
  that the decisions of day t use the model after learning all logs of days < t (the day's logs are
  learned after the day is played). Policies: `--bag 30` (online bootstrap), `--softmax --lambda 20`
  (p ∝ exp(−20·predicted cost) = exp(predicted viewing time / 0.05)), `--epsilon 0.1`.
* Variants (in `variants`, measured on the same runs, not timed): the VW peers with per-post weights
  only, and the MABWiser peers under a *wrong* protocol, `partial_fit` on all logs so far every day
  (old days counted again), which reproduces the pattern of an earlier sanity measurement (README).
* The oracle: exact expected viewing time of always choosing the best post, over the 16 equally
  likely contexts, with the lognormal mean exp(m + 0.1²/2) = exp(m + 0.005).

Timings (wall time of the whole fit+decide loop: model construction, choosing, learning and the
world's simulation, which is vectorised and negligible): "seed" = 10 runs of the above; "scale" =
20 features, 200 posts, 2,000 decisions a day, 14 days, 3 runs, weights N(0,1) of shape (20, 200)
from `np.random.seed(17)`. A peer whose first scale run would make 3 runs exceed `--scale-budget`
seconds (default 300) is timed on 1 run and its time multiplied by 3; `timing_notes` says so.

Usage (from the repository root):

    python3 scripts/peers/peers.py                 # 20 runs, writes Tests/Support/Fixtures/peers.json
    python3 scripts/peers/peers.py --runs 5 --no-scale --out /tmp/peers.json   # quick look

Needs `pip install mabwiser==2.7.4 vowpalwabbit` (numpy, scipy). Without vowpalwabbit the VW peers
are left out (and the output says so).
"""

import argparse
import itertools
import json
import os
import sys
import time

import numpy as np

try:
    from mabwiser.mab import MAB, LearningPolicy
    from mabwiser._version import __version__ as MABWISER_VERSION
except ImportError as error:  # pragma: no cover
    sys.exit(f"mabwiser is needed: pip install mabwiser==2.7.4 ({error})")

try:
    import vowpalwabbit
    from vowpalwabbit import Workspace

    VW_VERSION = vowpalwabbit.__version__
except Exception as error:  # pragma: no cover - VW is optional
    Workspace = None
    VW_VERSION = None
    VW_ERROR = repr(error)
else:
    VW_ERROR = None

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_OUT = os.path.join(REPO, "Tests", "Support", "Fixtures", "peers.json")

NOISE_SD = 0.1


# ----------------------------------------------------------------------------------------------
# The world


class World:
    """The notebook's data-generating process with its sizes as parameters."""

    def __init__(self, seed, features, actions, decisions, days):
        np.random.seed(seed)  # exactly the notebook's draw of the fixed weights
        self.weights = np.random.normal(size=(features, actions))
        self.seed = seed
        self.features = features
        self.actions = actions
        self.decisions = decisions
        self.days = days

    def day(self, rng):
        """One day's users, noise and uniform posts, drawn before any decision is made."""
        contexts = rng.integers(0, 2, size=(self.decisions, self.features))
        contexts[:, 0] = 1  # the intercept
        noise = rng.normal(size=self.decisions)
        uniform = rng.integers(0, self.actions, size=self.decisions)
        return contexts, noise, uniform

    def viewing_times(self, contexts, actions, noise):
        """exp(mean(context * weights[:, action]) + 0.1 * noise), per decision."""
        m = (contexts * self.weights[:, actions].T).mean(axis=1)
        return np.exp(m + NOISE_SD * noise)

    def oracle(self):
        """Expected viewing time of the best post per context, exact over all 2^(F-1) contexts."""
        total = 0.0
        count = 0
        for bits in itertools.product((0, 1), repeat=self.features - 1):
            x = np.array((1,) + bits, dtype=float)
            m = (x[:, None] * self.weights).mean(axis=0)
            total += np.exp(m.max() + NOISE_SD**2 / 2)
            count += 1
        return total / count


# ----------------------------------------------------------------------------------------------
# Peer policies: start(run_seed, world), choose(contexts) -> (actions, probabilities),
# learn(contexts, actions, rewards, probabilities) after the day is played, finish().


class MABWiserPeer:
    def __init__(self, learning_policy):
        self.learning_policy = learning_policy

    def start(self, run_seed, world):
        self.mab = MAB(arms=list(range(world.actions)), learning_policy=self.learning_policy, seed=run_seed)
        self.fitted = False

    def choose(self, contexts):
        actions = self.mab.predict(contexts)
        if not isinstance(actions, list):  # a single context gives a scalar
            actions = [actions]
        return np.asarray(actions, dtype=int), None

    def learn(self, contexts, actions, rewards, probabilities):
        # fit on day 1, partial_fit afterwards: identical to a fit on all logs so far (see the top).
        if not self.fitted:
            self.mab.fit(actions, rewards, contexts)
            self.fitted = True
        else:
            self.mab.partial_fit(actions, rewards, contexts)

    def finish(self):
        self.mab = None


class VWPeer:
    """Vowpal Wabbit `--cb_explore_adf` through pyvw, with text-format multi-line examples.

    `pure=False` (the peers): `-q sa` with VW's defaults, so a post's score is
    w_s·x + c + b_a + Σ_i x_i w[i, a]: per-post weights over the context (the `s×a` interactions and
    the action-id bias b_a) plus a part shared by all posts (the linear `s` weights w_s and VW's
    constant c), which is the same for every post of a context and so ranks nothing, but is learned
    from every logged decision and serves as a common baseline.
    `pure=True` (a variant): `--ignore_linear s --ignore_linear a --noconstant` leaves only
    Σ_i x_i w[i, a], i.e. separate per-post linear models over the 5 features, like ours.
    """

    def __init__(self, exploration, pure=False, bits=24):
        self.exploration = exploration
        self.pure = pure
        self.bits = bits  # 2^24 slots: no hash collisions even for the scale world's 4,000 s×a features

    def arguments(self, run_seed):
        pure = " --ignore_linear s --ignore_linear a --noconstant" if self.pure else ""
        return (
            f"--cb_explore_adf {self.exploration} -q sa{pure} -b {self.bits} --random_seed {run_seed} --quiet"
        )

    def start(self, run_seed, world):
        self.vw = Workspace(self.arguments(run_seed))
        self.rng = np.random.default_rng(run_seed)
        self.feature_names = [f"f{i}" for i in range(world.features)]
        self.action_lines = [f"|a a{k}" for k in range(world.actions)]

    def _shared(self, context):
        # Only the active (value 1) features; f0 is always there.
        return "shared |s " + " ".join(self.feature_names[i] for i in np.flatnonzero(context))

    def choose(self, contexts):
        actions = np.empty(len(contexts), dtype=int)
        probabilities = np.empty(len(contexts))
        for n, context in enumerate(contexts):
            # predict returns the pmf indexed by action (line) position
            pmf = np.asarray(self.vw.predict([self._shared(context)] + self.action_lines), dtype=float)
            pmf = pmf / pmf.sum()  # VW's pmf is float32; renormalise before sampling
            a = self.rng.choice(len(pmf), p=pmf)
            actions[n] = a
            probabilities[n] = pmf[a]
        return actions, probabilities

    def learn(self, contexts, actions, rewards, probabilities):
        # Online, one decision at a time in logged order; label "0:cost:probability" on the chosen
        # post's line (in ADF the line position is the action), cost = -viewing time.
        for context, a, r, p in zip(contexts, actions, rewards, probabilities):
            lines = list(self.action_lines)
            lines[a] = f"0:{-r:.9g}:{p:.9g} " + lines[a]
            self.vw.learn([self._shared(context)] + lines)

    def finish(self):
        self.vw.finish()
        self.vw = None


class MABWiserDoubleCount(MABWiserPeer):
    """A *wrong* protocol, kept as a variant to explain the earlier sanity numbers: `partial_fit` on
    all logs so far every day, which adds day d's logs to A and Xty again on every later day (day 1
    ends up counted 13 times), diluting the ridge λ relative to the data."""

    def start(self, run_seed, world):
        super().start(run_seed, world)
        self.logs = ([], [], [])

    def learn(self, contexts, actions, rewards, probabilities):
        for store, value in zip(self.logs, (contexts, actions, rewards)):
            store.append(value)
        contexts, actions, rewards = (np.concatenate(store) for store in self.logs)
        super().learn(contexts, actions, rewards, probabilities)


def peers():
    """Peer name -> (our label, policy object). The names are the keys of peers.json's policies."""
    result = {
        "mabwiser LinUCB alpha=1": ("linucb:1", MABWiserPeer(LearningPolicy.LinUCB(alpha=1.0, l2_lambda=1.0))),
        "mabwiser LinTS alpha=0.1": ("lints:0.1", MABWiserPeer(LearningPolicy.LinTS(alpha=0.1, l2_lambda=1.0))),
        "mabwiser LinGreedy": ("greedy", MABWiserPeer(LearningPolicy.LinGreedy(epsilon=0.0, l2_lambda=1.0))),
        "mabwiser LinGreedy epsilon=0.1": (
            "eps:0.1",
            MABWiserPeer(LearningPolicy.LinGreedy(epsilon=0.1, l2_lambda=1.0)),
        ),
    }
    if Workspace is not None:
        result["vw bag 30"] = ("ots:30", VWPeer("--bag 30"))
        result["vw softmax lambda=20"] = ("softmax:0.05", VWPeer("--softmax --lambda 20"))
        result["vw epsilon 0.1"] = ("eps:0.1", VWPeer("--epsilon 0.1"))
    return result


def variants():
    """Variant name -> (the peer it varies, what differs, policy object). Measured like the peers
    (same runs) but not timed; they document choices and the sanity check, see the README."""
    result = {}
    pure = "per-post weights only: --ignore_linear s --ignore_linear a --noconstant (no shared part)"
    if Workspace is not None:
        result["vw bag 30, per-post only"] = ("vw bag 30", pure, VWPeer("--bag 30", pure=True))
        result["vw softmax lambda=20, per-post only"] = (
            "vw softmax lambda=20",
            pure,
            VWPeer("--softmax --lambda 20", pure=True),
        )
        result["vw epsilon 0.1, per-post only"] = ("vw epsilon 0.1", pure, VWPeer("--epsilon 0.1", pure=True))
    double = "WRONG protocol: partial_fit on all logs so far each day (old days counted again)"
    for name, (_, policy) in peers().items():
        if name.startswith("mabwiser"):
            result[name + ", double-counted logs"] = (name, double, MABWiserDoubleCount(policy.learning_policy))
    return result


# ----------------------------------------------------------------------------------------------
# The protocol


def play_run(world, policy, run, world_stream):
    """One run: the daily mean viewing times and the run's wall time."""
    rng = np.random.default_rng([world.seed, world_stream, run])
    started = time.perf_counter()
    policy.start(1000 + run, world)
    daily = []
    for day in range(world.days):
        contexts, noise, uniform = world.day(rng)
        if day == 0:
            actions = uniform
            probabilities = np.full(world.decisions, 1.0 / world.actions)
        else:
            actions, probabilities = policy.choose(contexts)
        rewards = world.viewing_times(contexts, actions, noise)
        policy.learn(contexts, actions, rewards, probabilities)  # only after the day is played
        daily.append(rewards.mean())
    policy.finish()
    return np.array(daily), time.perf_counter() - started


def asymptote(daily):
    """Mean over days 5..14 of the day's mean viewing time."""
    return float(np.mean(daily[4:]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="independent runs per policy (default 20)")
    parser.add_argument("--seed", type=int, default=17, help="the notebook's world seed (default 17)")
    parser.add_argument("--out", default=DEFAULT_OUT, help="output JSON (default Tests/Support/Fixtures/peers.json)")
    parser.add_argument("--no-scale", action="store_true", help="skip the scale timing")
    parser.add_argument("--no-variants", action="store_true", help="skip the variants")
    parser.add_argument("--scale-budget", type=float, default=300.0, help="seconds before scale is extrapolated")
    parser.add_argument("--only", default=None, help="substring: only the peers whose name contains it")
    args = parser.parse_args()

    load_before = os.getloadavg()
    world = World(args.seed, features=5, actions=30, decisions=100, days=14)
    oracle = world.oracle()
    print(f"oracle {oracle:.4f}", flush=True)

    table = {}
    timings = {"seed": {}, "scale": {}}
    notes = {}
    for name, (ours, policy) in peers().items():
        if args.only and args.only not in name:
            continue
        asymptotes = []
        seconds = []
        for run in range(args.runs):
            daily, wall = play_run(world, policy, run, world_stream=1)
            asymptotes.append(asymptote(daily))
            seconds.append(wall)
        a = np.array(asymptotes)
        table[name] = {
            "ours": ours,
            "asymptotes": [float(x) for x in a],
            "mean": float(a.mean()),
            "se": float(a.std() / np.sqrt(len(a))),
        }
        # The seed workload is 10 runs; runs 0..9 of the measurement are exactly those runs.
        if args.runs >= 10:
            timings["seed"][name] = float(sum(seconds[:10]))
        else:
            timings["seed"][name] = float(sum(seconds) * 10 / args.runs)
            notes.setdefault("seed", {})[name] = f"extrapolated from {args.runs} runs"
        print(
            f"{name:32s} {ours:13s} {a.mean():.4f} ± {a.std() / np.sqrt(len(a)):.4f}"
            f"   seed timing {timings['seed'][name]:.2f} s",
            flush=True,
        )

    measured_variants = {}
    if not args.no_variants:
        for name, (of, differs, policy) in variants().items():
            if args.only and args.only not in name:
                continue
            a = np.array([asymptote(play_run(world, policy, run, world_stream=1)[0]) for run in range(args.runs)])
            measured_variants[name] = {
                "of": of,
                "differs": differs,
                "asymptotes": [float(x) for x in a],
                "mean": float(a.mean()),
                "se": float(a.std() / np.sqrt(len(a))),
            }
            print(f"{name:52s} {a.mean():.4f} ± {a.std() / np.sqrt(len(a)):.4f}", flush=True)

    if not args.no_scale:
        scale = World(args.seed, features=20, actions=200, decisions=2000, days=14)
        scale_runs = 3
        for name, (ours, policy) in peers().items():
            if args.only and args.only not in name:
                continue
            _, first = play_run(scale, policy, 0, world_stream=2)
            if first * scale_runs > args.scale_budget:
                total = first * scale_runs
                notes.setdefault("scale", {})[name] = (
                    f"timed 1 run ({first:.1f} s) and multiplied by {scale_runs}"
                )
            else:
                total = first
                for run in range(1, scale_runs):
                    total += play_run(scale, policy, run, world_stream=2)[1]
            timings["scale"][name] = float(total)
            print(f"{name:32s} scale timing {total:.1f} s {notes.get('scale', {}).get(name, '')}", flush=True)

    output = {
        "generated_by": "scripts/peers/peers.py",
        "mabwiser": MABWISER_VERSION,
        "vowpalwabbit": VW_VERSION if VW_VERSION else f"not available: {VW_ERROR}",
        "protocol": (
            f"notebook world: np.random.seed({args.seed}), weights N(0,1) of shape (5, 30), contexts with "
            "feature 0 = 1 and the others uniform 0/1, viewing time exp(mean(x * w_a) + 0.1 N(0,1)); "
            "100 decisions a day, 14 days; day 1 uniformly at random (p = 1/30), days 2..14 by the peer "
            "after learning all logs of the days before (MABWiser: fit on day 1, partial_fit each later "
            "day = ridge on all logs so far; VW: online in logged order, a day's logs learned after the day); "
            f"{args.runs} runs, users/noise/day-1 posts of run r from numpy default_rng([{args.seed}, 1, r]) "
            "(the same for every peer), policy seed 1000 + r; asymptote per run = mean over days 5..14 of "
            "the day's mean viewing time; se = std(ddof=0)/sqrt(runs)"
        ),
        "runs": args.runs,
        "oracle": float(oracle),
        "policies": table,
        "variants": measured_variants,
        "timings": timings,
        "timing_notes": {
            "what": "wall seconds of the whole fit+decide loop (model construction, choosing, learning, "
            "simulation); seed = 10 runs x 14 days x 100 decisions, 5 features, 30 posts; scale = 3 runs "
            "x 14 days x 2,000 decisions, 20 features, 200 posts",
            "machine": f"{os.cpu_count()} CPUs, python {sys.version.split()[0]}, numpy {np.__version__}, "
            f"load average (1 min) {load_before[0]:.2f} at start and {os.getloadavg()[0]:.2f} at end; "
            "single process, default BLAS threads",
            **notes,
        },
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as handle:
        json.dump(output, handle, indent=1)
        handle.write("\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
