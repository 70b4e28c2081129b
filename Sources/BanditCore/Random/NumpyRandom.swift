// MT19937 with numpy's legacy RandomState semantics, so that `numpy` mode replays the notebook exactly.

import Foundation

/// The Mersenne Twister as numpy's `RandomState` drives it: `seed(n)` by init_genrand, doubles from two
/// 32-bit draws, normals by the polar method with the second value kept, `randint` by masked rejection.
public struct NumpyRandom: RandomSource, Equatable {
    public static let reproducesNotebook = true

    private static let n = 624
    private static let m = 397

    private var key: InlineArray<624, UInt32>
    /// The current block's outputs, tempered all at once when the block is generated (derived from
    /// `key`, so neither compared nor saved).
    private var tempered: InlineArray<624, UInt32>
    private var position: Int
    /// The kept half of the last polar pair (`RandomSource.nextNormal`).
    public var cachedNormal: Double?

    /// `np.random.seed(seed)`.
    public init(seed: UInt32) {
        key = InlineArray(repeating: 0)
        var s = seed
        for i in 0..<Self.n {
            key[i] = s
            s = 1_812_433_253 &* (s ^ (s >> 30)) &+ UInt32(i + 1)
        }
        tempered = InlineArray(repeating: 0)
        position = Self.n
        cachedNormal = nil
    }

    public static func == (a: NumpyRandom, b: NumpyRandom) -> Bool {
        guard a.position == b.position, a.cachedNormal?.bitPattern == b.cachedNormal?.bitPattern else { return false }
        // Through spans: subscripting an InlineArray held in a value may copy all of it per access.
        let x = a.key.span, y = b.key.span
        for i in 0..<n where x[i] != y[i] { return false }
        return true
    }

    private mutating func regenerate() {
        let upper: UInt32 = 0x8000_0000, lower: UInt32 = 0x7fff_ffff, matrix: UInt32 = 0x9908_b0df
        let n = Self.n, m = Self.m
        // The classic three loops: no wrap-around arithmetic inside.
        for i in 0..<(n - m) {
            let y = (key[i] & upper) | (key[i + 1] & lower)
            key[i] = key[i + m] ^ (y >> 1) ^ ((0 &- (y & 1)) & matrix)
        }
        for i in (n - m)..<(n - 1) {
            let y = (key[i] & upper) | (key[i + 1] & lower)
            key[i] = key[i + m - n] ^ (y >> 1) ^ ((0 &- (y & 1)) & matrix)
        }
        let y = (key[n - 1] & upper) | (key[0] & lower)
        key[n - 1] = key[m - 1] ^ (y >> 1) ^ ((0 &- (y & 1)) & matrix)
        temper()
        position = 0
    }

    private mutating func temper() {
        for i in 0..<Self.n {
            var y = key[i]
            y ^= y >> 11
            y ^= (y << 7) & 0x9d2c_5680
            y ^= (y << 15) & 0xefc6_0000
            y ^= y >> 18
            tempered[i] = y
        }
    }

    @inline(__always)
    public mutating func nextUInt32() -> UInt32 {
        if position == Self.n { regenerate() }
        let y = tempered[position]
        position += 1
        return y
    }

    public mutating func nextDouble() -> Double {
        let a = Double(nextUInt32() >> 5), b = Double(nextUInt32() >> 6)
        return (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// numpy's masked rejection: the smallest all-ones mask covering bound−1, 32- or 64-bit draws.
    @inline(__always)
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound >= 1, "randint needs a positive bound")
        let range = UInt64(bound - 1)
        if range == 0 { return 0 }
        var mask = range
        mask |= mask >> 1; mask |= mask >> 2; mask |= mask >> 4
        mask |= mask >> 8; mask |= mask >> 16; mask |= mask >> 32
        if range <= 0xffff_ffff {
            let mask32 = UInt32(mask), range32 = UInt32(range)
            while true {
                let value = nextUInt32() & mask32
                if value <= range32 { return Int(value) }
            }
        }
        while true {
            let high = UInt64(nextUInt32()), low = UInt64(nextUInt32())
            let value = ((high << 32) | low) & mask
            if value <= range { return Int(value) }
        }
    }

    public static let drawsFasterInBulk = true

    /// The masked rejection of `nextInt` over the current block of outputs without a branch per
    /// candidate: each is written, and kept (the count moves on) only when it is in range. A rejected
    /// candidate's branch would mispredict about a third of the time.
    public mutating func fillInts(below bound: Int, count: Int, into buffer: UnsafeMutablePointer<Int32>) {
        precondition(bound >= 1 && bound <= Int(Int32.max), "randint bound out of range")
        let range = UInt32(bound - 1)
        guard range != 0 else {
            for i in 0..<count { buffer[i] = 0 }
            return
        }
        var mask = range
        mask |= mask >> 1; mask |= mask >> 2; mask |= mask >> 4
        mask |= mask >> 8; mask |= mask >> 16
        var filled = 0
        while filled < count {
            if position == Self.n { regenerate() }
            var p = position
            while p < Self.n && filled < count {
                let value = tempered[p] & mask
                buffer[filled] = Int32(bitPattern: value)
                filled &+= value <= range ? 1 : 0
                p &+= 1
            }
            position = p
        }
    }

    /// `np.random.randint(2, size=d)` then `context[0] = 1`: the first bit is drawn and discarded.
    @inline(__always)
    public mutating func nextContext(features: Int) -> UInt64 {
        _ = nextUInt32()
        var context: UInt64 = 1
        for j in 1..<max(features, 1) {
            context |= UInt64(nextUInt32() & 1) << UInt64(j)
        }
        return context
    }

    public static func exp(_ x: Double) -> Double { NumpyExp.exp(x) }

    public var state: GeneratorState {
        var words = [UInt64](repeating: 0, count: Self.n + 1)
        let key = key.span
        for i in 0..<Self.n { words[i] = UInt64(key[i]) }
        words[Self.n] = UInt64(position)
        return GeneratorState(kind: .numpy, words: words, cachedNormal: cachedNormal)
    }

    public init(state: GeneratorState) throws(GeneratorState.Invalid) {
        guard state.kind == .numpy else { throw .init(reason: "not a numpy generator") }
        guard state.words.count == Self.n + 1 else { throw .init(reason: "\(state.words.count) words, expected 625") }
        guard state.words[Self.n] <= UInt64(Self.n), state.words[..<Self.n].allSatisfy({ $0 <= UInt64(UInt32.max) }) else {
            throw .init(reason: "key word or position out of range")
        }
        key = InlineArray(repeating: 0)
        for i in 0..<Self.n { key[i] = UInt32(state.words[i]) }
        tempered = InlineArray(repeating: 0)
        position = Int(state.words[Self.n])
        cachedNormal = state.cachedNormal
        temper()
    }
}
