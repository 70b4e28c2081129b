// policy: select the live policy.

import BanditCore

enum PolicyCommand {
    static let policy = Argument<Policy>.policy(
        "POLICY", help: "greedy, eps E, epsdecay C, softmax T, ts B, ots B, linucb ALPHA, lints V or uniform")

    static let command = Command(
        "policy", arguments: [policy], flags: [.mutating, .needsExperiment],
        summary: "select the live policy",
        details: """
            Selects the live policy; canonical labels such as eps:0.1 and ts:30 are accepted too. Nothing is drawn \
            from the generator: the live run is retired, and the next 'day' starts a new one. Every decision is \
            logged with its propensity, the probability that the policy chose that post for that context. \
            Below, x is the context, K the number of posts, q_a = xᵀβ_a the least-squares prediction of post a \
            (the notebook's fit, pinv(XᵀX)·Xᵀy, from random coefficients before the first fit), and \
            A_a = λI + XᵀX a post's ridge matrix (λ: 'set ridge', default 1).
            greedy: the first post with the largest q_a; propensity 1.
            eps E: with probability E (0 ≤ E ≤ 1) a uniform post, otherwise the greedy one; propensity 1 − E + E/K for \
            the greedy post, E/K for another.
            epsdecay C: ε-greedy with ε = min(1, C/t) on day t (C > 0); propensities as eps with that ε.
            softmax T: post a with probability exp(q_a/T) / Σ_b exp(q_b/T), temperature T > 0; propensity exactly that.
            ts B: Thompson sampling by the notebook's bootstrap: each fit solves B least-squares fits on resamples \
            of every post's decisions; each decision draws one member and takes its greedy post; propensity: the \
            share of the B members whose greedy post it is.
            ots B: online bootstrap Thompson sampling: every logged decision enters member m with a Poisson(1) \
            weight; each member fits ridge regressions (A_a = λI + Σ w·xxᵀ) of its weighted decisions, so a fit \
            costs B·K small solves however long the log; decisions and propensities as ts.
            linucb ALPHA: per-post ridge regression, the largest xᵀβ_a + α·sqrt(xᵀA_a⁻¹x) (α ≥ 0); ties (every post \
            before any data) broken uniformly; propensity 1/ties for a tied post, 1 otherwise.
            lints V: each post's score drawn once per decision from N(xᵀβ_a, V²·xᵀA_a⁻¹x) (V ≥ 1e-6), the largest \
            wins; propensity P(a wins) = ∫ φ(z)·Π_{b≠a} Φ((μ_a + σ_a·z − μ_b)/σ_b) dz, computed by adaptive \
            quadrature to 1e-13, not estimated by Monte Carlo.
            uniform: every post with probability 1/K.
            'set warmup W' plays the first W days of every run uniformly (propensity 1/K) whatever the policy.
            """, examples: ["policy ts 30", "policy eps 0.1", "policy linucb 1", "policy lints:0.1"], handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        var experiment = try call.session.currentExperiment()
        let policy = call[Self.policy]
        experiment.policy = policy
        call.effects = [.save(experiment, retiringLiveRun: true)]
        return .text("policy \(policy.label)")
    }
}
