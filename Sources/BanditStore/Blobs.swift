// Every blob format of the store: coefficients, generator states, world weights, counts; all little-endian.

import BanditCore

/// Coefficients on disk: a 20-byte header — the magic "BETA", then little-endian UInt32 version,
/// members, actions, features — followed by members × actions × features float64 values, little-endian,
/// in the notebook's nesting (`betas[member][action][feature]`). With numpy:
/// `np.frombuffer(blob, '<f8', offset=20).reshape(members, actions, features)`.
enum CoefficientsBlob {
    static let magic: [UInt8] = Array("BETA".utf8)
    static let version: UInt32 = 1
    static let headerSize = 20

    static func encode(members: Int, actions: Int, features: Int, engineLayout coefficients: [Double]) -> [UInt8] {
        precondition(coefficients.count == members * actions * features)
        let count = coefficients.count
        var bytes = [UInt8](repeating: 0, count: headerSize + 8 * count)
        for (index, byte) in magic.enumerated() { bytes[index] = byte }
        for (index, value) in [version, UInt32(members), UInt32(actions), UInt32(features)].enumerated() {
            for k in 0..<4 { bytes[4 + 4 * index + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(k))) }
        }
        // Transpose (member, feature, action) → (member, action, feature), writing little-endian words.
        bytes.withUnsafeMutableBytes { raw in
            coefficients.withUnsafeBufferPointer { c in
                var offset = headerSize
                for m in 0..<members {
                    for a in 0..<actions {
                        for j in 0..<features {
                            raw.storeBytes(of: c[(m * features + j) * actions + a].bitPattern.littleEndian,
                                           toByteOffset: offset, as: UInt64.self)
                            offset += 8
                        }
                    }
                }
            }
        }
        return bytes
    }

    /// Returns (members, coefficients in the engine's layout), checking the shape against the world.
    static func decode(_ bytes: [UInt8], actions: Int, features: Int) -> (members: Int, coefficients: [Double])? {
        guard bytes.count >= headerSize, Array(bytes[0..<4]) == magic,
              readUInt32(bytes, at: 4) == version,
              Int(readUInt32(bytes, at: 12)) == actions, Int(readUInt32(bytes, at: 16)) == features
        else { return nil }
        let members = Int(readUInt32(bytes, at: 8))
        guard members >= 1, bytes.count == headerSize + 8 * members * actions * features else { return nil }
        var coefficients = [Double](repeating: 0, count: members * actions * features)
        bytes.withUnsafeBytes { raw in
            coefficients.withUnsafeMutableBufferPointer { c in
                var offset = headerSize
                for m in 0..<members {
                    for a in 0..<actions {
                        for j in 0..<features {
                            let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                            c[(m * features + j) * actions + a] = Double(bitPattern: word)
                            offset += 8
                        }
                    }
                }
            }
        }
        return (members, coefficients)
    }
}

/// A generator's state on disk (`experiments.generator_state`, `jobs.start_generator`,
/// `checkpoints.generator`): three bytes — version 1, kind (0 numpy, 1 default), 1 when a normal
/// deviate is cached — then little-endian 64-bit words: the cached normal's bits (0 when none), then
/// the generator's words (numpy: 624 key words and the position; default: Xoshiro256**'s four).
enum GeneratorBlob {
    static let version: UInt8 = 1
    static let headerSize = 3

    static func encode(_ generator: Generator) -> [UInt8] { encode(generator.state) }

    static func encode(_ state: GeneratorState) -> [UInt8] {
        var bytes: [UInt8] = [version, state.kind == .numpy ? 0 : 1, state.cachedNormal == nil ? 0 : 1]
        bytes.reserveCapacity(headerSize + 8 * (state.words.count + 1))
        appendLittleEndian(state.cachedNormal?.bitPattern ?? 0, to: &bytes)
        for word in state.words { appendLittleEndian(word, to: &bytes) }
        return bytes
    }

    /// The state the bytes hold; a malformed blob is refused with the reason.
    static func decode(_ bytes: [UInt8]) throws(GeneratorState.Invalid) -> GeneratorState {
        guard bytes.count >= headerSize + 8, (bytes.count - headerSize) % 8 == 0 else {
            throw GeneratorState.Invalid(reason: "\(bytes.count) bytes")
        }
        guard bytes[0] == version else { throw GeneratorState.Invalid(reason: "encoding version \(bytes[0])") }
        guard bytes[1] <= 1, bytes[2] <= 1 else { throw GeneratorState.Invalid(reason: "bad header") }
        let words = stride(from: headerSize + 8, to: bytes.count, by: 8).map { readUInt64(bytes, at: $0) }
        return GeneratorState(kind: bytes[1] == 0 ? .numpy : .default, words: words,
                              cachedNormal: bytes[2] == 1 ? Double(bitPattern: readUInt64(bytes, at: headerSize)) : nil)
    }

    /// The generator the bytes hold, checked as one of its kind.
    static func decodeGenerator(_ bytes: [UInt8]) throws(GeneratorState.Invalid) -> Generator {
        try Generator(state: decode(bytes))
    }
}

/// A plain little-endian float64 array (world weights: features × actions, row-major).
enum DoublesBlob {
    static func encode(_ values: [Double]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 * values.count)
        for value in values { appendLittleEndian(value.bitPattern, to: &bytes) }
        return bytes
    }

    static func decode(_ bytes: [UInt8]) -> [Double]? {
        guard bytes.count % 8 == 0 else { return nil }
        return stride(from: 0, to: bytes.count, by: 8).map { Double(bitPattern: readUInt64(bytes, at: $0)) }
    }
}

/// Counts (a live run's picks per post): little-endian int64.
enum CountsBlob {
    static func encode(_ values: [Int]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 * values.count)
        for value in values { appendLittleEndian(Int64(value), to: &bytes) }
        return bytes
    }

    static func decode(_ bytes: [UInt8], count: Int) -> [Int]? {
        guard bytes.count == 8 * count else { return nil }
        return stride(from: 0, to: bytes.count, by: 8).map { Int(Int64(bitPattern: readUInt64(bytes, at: $0))) }
    }
}

func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
    for shift in stride(from: 0, to: T.bitWidth, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) }
}

func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
}

func readUInt64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
    (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
}
