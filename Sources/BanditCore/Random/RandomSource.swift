// The protocol every random generator of the engine speaks, and the closed set of generators.

import Foundation

/// A source of the draws the simulation needs, with the semantics of one reference implementation.
///
/// Hot loops are generic over this protocol so that each generator is specialised, never boxed.
public protocol RandomSource: Sendable {
    /// True when the generator reproduces the notebook's draw order, quirks included.
    static var reproducesNotebook: Bool { get }
    /// `exp` exactly as the reference computes it for this generator's mode.
    static func exp(_ x: Double) -> Double

    mutating func nextUInt32() -> UInt32
    /// A double uniform on [0, 1).
    mutating func nextDouble() -> Double
    /// A standard normal deviate. Every generator uses the default below, numpy's legacy polar method.
    mutating func nextNormal() -> Double
    /// The second deviate of the last polar pair, which the next `nextNormal` returns without drawing.
    /// Part of the generator's state (`GeneratorState.cachedNormal`).
    var cachedNormal: Double? { get set }
    /// An integer uniform on 0..<bound (`randint(0, bound)`); bound ≥ 1.
    mutating func nextInt(below bound: Int) -> Int
    /// True when `fillInts` is faster than as many `nextInt` calls.
    static var drawsFasterInBulk: Bool { get }
    /// `count` draws of `nextInt(below: bound)` in order, as `randint(0, bound, size=count)` (bound
    /// ≤ Int32.max): the same values, and the same state afterwards, as drawing them one by one.
    mutating func fillInts(below bound: Int, count: Int, into buffer: UnsafeMutablePointer<Int32>)
    /// A user's context as a bit mask: bit 0 (the constant feature) set, bits 1..<features uniform.
    mutating func nextContext(features: Int) -> UInt64
}

extension RandomSource {
    /// numpy's `legacy_gauss`: a point uniform in the unit disc by rejection, turned into two normals;
    /// one is returned and the other kept for the next call. The numpy generator must replay this
    /// draw order and arithmetic to the bit.
    public mutating func nextNormal() -> Double {
        if let kept = cachedNormal {
            cachedNormal = nil
            return kept
        }
        var x1: Double, x2: Double, r2: Double
        repeat {
            x1 = 2.0 * nextDouble() - 1.0
            x2 = 2.0 * nextDouble() - 1.0
            r2 = x1 * x1 + x2 * x2
        } while r2 >= 1.0 || r2 == 0.0
        let f = (-2.0 * Foundation.log(r2) / r2).squareRoot()
        cachedNormal = f * x1
        return f * x2
    }
}

/// Which generator an experiment uses.
public enum GeneratorKind: String, Sendable, CaseIterable, Codable {
    /// MT19937 with numpy's legacy `RandomState` semantics: reproduces the notebook bit for bit.
    case numpy
    /// Xoshiro256** with an independent stream per run: fast, and runs execute in parallel.
    case `default`
}

/// An experiment's generator, whichever kind it is. A value: copying it checkpoints it.
public enum Generator: Sendable, Equatable {
    case numpy(NumpyRandom)
    case fast(Xoshiro256)

    /// A generator of the given kind seeded as `np.random.seed(seed)` would (numpy) or by SplitMix64.
    public init(kind: GeneratorKind, seed: UInt32) {
        switch kind {
        case .numpy: self = .numpy(NumpyRandom(seed: seed))
        case .default: self = .fast(Xoshiro256(seed: UInt64(seed)))
        }
    }

    public var kind: GeneratorKind {
        switch self {
        case .numpy: .numpy
        case .fast: .default
        }
    }

    /// The generator's full state, for checkpoints.
    public var state: GeneratorState {
        switch self {
        case .numpy(let g): g.state
        case .fast(let g): g.state
        }
    }

    public init(state: GeneratorState) throws(GeneratorState.Invalid) {
        switch state.kind {
        case .numpy: self = .numpy(try NumpyRandom(state: state))
        case .default: self = .fast(try Xoshiro256(state: state))
        }
    }
}

/// A generator's complete state as plain words, so that a store can write it and read it back (in
/// its own byte format).
public struct GeneratorState: Sendable, Equatable, Hashable {
    public var kind: GeneratorKind
    /// The generator's words (MT19937: 624 key words then the position; Xoshiro: four words).
    public var words: [UInt64]
    /// A normal deviate drawn in a pair and kept for the next call, if any.
    public var cachedNormal: Double?

    public init(kind: GeneratorKind, words: [UInt64], cachedNormal: Double?) {
        self.kind = kind
        self.words = words
        self.cachedNormal = cachedNormal
    }

    /// The state does not describe a generator of its kind.
    public struct Invalid: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { "invalid generator state: \(reason)" }

        public init(reason: String) { self.reason = reason }
    }
}
