// The `default` generator: Xoshiro256** with SplitMix64 seeding and independent per-run streams.

import Foundation

/// Xoshiro256** (Blackman & Vigna). Fast, 256 bits of state, and streams derived from (key, index)
/// so that runs can execute in any order on any number of threads with the same results.
public struct Xoshiro256: RandomSource, Equatable {
    public static let reproducesNotebook = false

    private var s0, s1, s2, s3: UInt64
    /// The kept half of the last polar pair (`RandomSource.nextNormal`).
    public var cachedNormal: Double?

    /// Seeds the four words from SplitMix64, as the generator's authors recommend.
    public init(seed: UInt64) {
        var mixer = SplitMix64(state: seed)
        s0 = mixer.next(); s1 = mixer.next(); s2 = mixer.next(); s3 = mixer.next()
        cachedNormal = nil
    }

    /// The stream numbered `index` under `key`: independent of every other index.
    public init(key: UInt64, stream index: UInt64) {
        var outer = SplitMix64(state: key)
        let base = outer.next()
        self.init(seed: base ^ SplitMix64.mix(index &+ 0x6a09_e667_f3bc_c909))
    }

    public static func == (a: Xoshiro256, b: Xoshiro256) -> Bool {
        a.s0 == b.s0 && a.s1 == b.s1 && a.s2 == b.s2 && a.s3 == b.s3 && a.cachedNormal?.bitPattern == b.cachedNormal?.bitPattern
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = (s1 &* 5).rotatedLeft(by: 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3.rotatedLeft(by: 45)
        return result
    }

    @inline(__always)
    public mutating func nextUInt32() -> UInt32 { UInt32(truncatingIfNeeded: next() >> 32) }

    @inline(__always)
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Lemire's multiply-and-reject: unbiased, one draw almost always.
    @inline(__always)
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound >= 1, "nextInt needs a positive bound")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold { product = next().multipliedFullWidth(by: range) }
        }
        return Int(product.high)
    }

    public static let drawsFasterInBulk = false

    public mutating func fillInts(below bound: Int, count: Int, into buffer: UnsafeMutablePointer<Int32>) {
        precondition(bound >= 1 && bound <= Int(Int32.max), "bound out of range")
        for i in 0..<count { buffer[i] = Int32(truncatingIfNeeded: nextInt(below: bound)) }
    }

    /// One draw supplies all the random bits of a context (up to 64 features).
    @inline(__always)
    public mutating func nextContext(features: Int) -> UInt64 {
        guard features > 1 else { return 1 }
        return (next() >> UInt64(65 - features)) << 1 | 1
    }

    public static func exp(_ x: Double) -> Double { Foundation.exp(x) }

    public var state: GeneratorState {
        GeneratorState(kind: .default, words: [s0, s1, s2, s3], cachedNormal: cachedNormal)
    }

    public init(state: GeneratorState) throws(GeneratorState.Invalid) {
        guard state.kind == .default else { throw .init(reason: "not a default generator") }
        guard state.words.count == 4 else { throw .init(reason: "\(state.words.count) words, expected 4") }
        guard state.words.contains(where: { $0 != 0 }) else { throw .init(reason: "all-zero Xoshiro state") }
        (s0, s1, s2, s3) = (state.words[0], state.words[1], state.words[2], state.words[3])
        cachedNormal = state.cachedNormal
    }
}

/// SplitMix64 (Steele, Lea & Flood): seeds other generators from one word.
public struct SplitMix64: Sendable {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        return Self.mix(state)
    }

    /// The SplitMix64 finaliser: a bijective scramble of one word.
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

extension UInt64 {
    @inline(__always)
    fileprivate func rotatedLeft(by k: UInt64) -> UInt64 { (self << k) | (self >> (64 - k)) }
}
