// The generators: numpy's MT19937 stream to the bit, numpy's exp, state round trips, stream independence.

import BanditCore
import BanditTestSupport
import Testing

@Suite("Generators")
struct GeneratorTests {
    @Test("MT19937 draws equal numpy's legacy RandomState", arguments: [UInt32(0), 17, 4_294_967_295])
    func numpyStream(seed: UInt32) throws {
        let all = try #require(try Fixture.json("mt") as? [String: [String: Any]])
        let reference = try #require(all["\(seed)"])
        var rng = NumpyRandom(seed: seed)
        let sequence = try #require(reference["sequence"] as? [[Any]])
        #expect(sequence.count == 300)
        for (index, step) in sequence.enumerated() {
            switch step[0] as! String {
            case "normal": #expect(rng.nextNormal().bitPattern == Fixture.double(step[1]).bitPattern, "normal #\(index)")
            case "double", "uniform": #expect(rng.nextDouble().bitPattern == Fixture.double(step[1]).bitPattern, "double #\(index)")
            case "randint":
                let bound = step[1] as! Int
                #expect(rng.nextInt(below: bound) == step[2] as! Int, "randint(\(bound)) #\(index)")
            default: Issue.record("unknown step \(step)")
            }
        }
        var raw = NumpyRandom(seed: seed)
        let words = try #require(reference["raw32"] as? [Int])
        #expect(words.map { _ in Int(raw.nextUInt32()) } == words)
    }

    @Test("draws in bulk are the same draws as one at a time, and leave the same state", arguments: GeneratorKind.allCases)
    func bulkDraws(kind: GeneratorKind) {
        switch Generator(kind: kind, seed: 23) {
        case .numpy(let g): Self.compareBulkDraws(g)
        case .fast(let g): Self.compareBulkDraws(g)
        }
    }

    static func compareBulkDraws<R: RandomSource & Equatable>(_ generator: R) {
        var single = generator, bulk = generator
        // Bounds around powers of two (the twister's mask), 1 (no draw at all), and long runs that
        // cross the twister's 624-word blocks.
        for (bound, count) in [(1, 5), (2, 7), (3, 100), (16, 33), (17, 1000), (1400, 1400), (1 << 20, 3000), (5, 0)] {
            let expected = (0..<count).map { _ in Int32(single.nextInt(below: bound)) }
            var buffer = [Int32](repeating: -1, count: count + 1)
            buffer.withUnsafeMutableBufferPointer { bulk.fillInts(below: bound, count: count, into: $0.baseAddress!) }
            #expect(Array(buffer.prefix(count)) == expected, "bound \(bound)")
            #expect(buffer[count] == -1, "nothing written past the last draw")
            #expect(single == bulk, "state after bound \(bound)")
        }
    }

    @Test("numpy's exp (SVML kernel) reproduced on 5,000 arguments")
    func numpyExp() throws {
        let reference = try #require(try Fixture.json("exp") as? [String: Any])
        let x = Fixture.doubles(reference["x"]), expected = Fixture.doubles(reference["exp"])
        #expect(x.count == 5000)
        let mismatches = zip(x, expected).filter { NumpyExp.exp($0).bitPattern != $1.bitPattern }
        #expect(mismatches.isEmpty, "first mismatches: \(mismatches.prefix(3))")
    }

    @Test("a generator restored from its state continues the same stream", arguments: GeneratorKind.allCases)
    func stateRoundTrip(kind: GeneratorKind) throws {
        var generator = Generator(kind: kind, seed: 42)
        // An odd number of normals (21) leaves one cached: the state must carry it.
        _ = try World.draw(features: 3, actions: 7, using: &generator)
        #expect(generator.state.cachedNormal != nil)
        var restored = try Generator(state: generator.state)
        #expect(restored == generator)
        let a = try World.draw(features: 4, actions: 9, using: &generator)
        let b = try World.draw(features: 4, actions: 9, using: &restored)
        #expect(a.weights.map(\.bitPattern) == b.weights.map(\.bitPattern))
    }

    @Test("corrupt states are refused")
    func corruptState() throws {
        let short = GeneratorState(kind: .numpy, words: [1, 2, 3], cachedNormal: nil)
        #expect(throws: GeneratorState.Invalid.self) { try Generator(state: short) }
        let zero = GeneratorState(kind: .default, words: [0, 0, 0, 0], cachedNormal: nil)
        #expect(throws: GeneratorState.Invalid.self) { try Generator(state: zero) }
    }

    @Test("default streams: distinct per index, reproducible, and uniform enough")
    func defaultStreams() {
        var a = Xoshiro256(key: 5, stream: 0), b = Xoshiro256(key: 5, stream: 1), c = Xoshiro256(key: 5, stream: 0)
        let first = (0..<4).map { _ in a.next() }
        #expect(first == (0..<4).map { _ in c.next() })
        #expect(first != (0..<4).map { _ in b.next() })
        var rng = Xoshiro256(seed: 9)
        let n = 200_000
        var histogram = [Int](repeating: 0, count: 30)
        var sum = 0.0, squares = 0.0
        for _ in 0..<n {
            histogram[rng.nextInt(below: 30)] += 1
            let z = rng.nextNormal()
            sum += z
            squares += z * z
        }
        let expected = Double(n) / 30
        let chiSquare = histogram.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        #expect(chiSquare < 70, "χ² with 29 degrees of freedom: \(chiSquare)")
        #expect(abs(sum / Double(n)) < 0.015)
        #expect(abs(squares / Double(n) - 1) < 0.02)
        var bits = [Int](repeating: 0, count: 8)
        for _ in 0..<20_000 {
            let context = rng.nextContext(features: 8)
            #expect(context & 1 == 1 && context >> 8 == 0)
            for j in 0..<8 { bits[j] += Int(context >> UInt64(j) & 1) }
        }
        #expect(bits[0] == 20_000)
        #expect(bits[1...].allSatisfy { abs($0 - 10_000) < 400 })
    }
}
