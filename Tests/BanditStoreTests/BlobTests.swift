// The blob formats byte for byte: files written by earlier versions must keep opening.

@testable import BanditStore
import BanditCore
import Testing

/// Bytes from hexadecimal digits, two per byte.
func hexBytes(_ hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0...$0 + 1], as: UTF8.self), radix: 16)! }
}

/// FNV-1a, 64 bits: pins a long blob in one constant.
func fnv1a(_ bytes: [UInt8]) -> UInt64 {
    bytes.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01b3 }
}

@Suite("Blobs")
struct BlobTests {
    // Written by the encoder of schema version 2 while it lived in BanditCore (`GeneratorState.encoded()`):
    // version 1, kind (0 numpy, 1 default), has-cached-normal, the cached normal's bits, the words.

    @Test("generator state on disk, default kind: fixed bytes decode to the generator that wrote them")
    func defaultGeneratorBytes() throws {
        let stored = hexBytes("010101af5d23419863ddbf0642373a8ee66e750953bfc2ba24b20ac338578b4ead9ad490a9eaf15c86ca8f")
        // Seeded with 17, then 21 normals drawn: one is cached.
        var generator = Generator(kind: .default, seed: 17)
        _ = try World.draw(features: 3, actions: 7, using: &generator)
        let state = try GeneratorBlob.decode(stored)
        #expect(state.kind == .default)
        #expect(state.words == [0x756e_e68e_3a37_4206, 0x0ab2_24ba_c2bf_5309, 0xd49a_ad4e_8b57_38c3, 0x8fca_865c_f1ea_a990])
        #expect(state.cachedNormal?.bitPattern == 13_825_315_936_676_306_351)
        #expect(try Generator(state: state) == generator)
        #expect(GeneratorBlob.encode(generator) == stored)
        let fresh = hexBytes("01010000000000000000006373e32ef0758480d1ede8b462ff34648c1bd402376c0d5403f0fa8eca425139")
        #expect(GeneratorBlob.encode(Generator(kind: .default, seed: 17)) == fresh)
    }

    @Test("generator state on disk, numpy kind: fixed bytes decode to the state that wrote them")
    func numpyGeneratorBytes() throws {
        // Key words 0, 1 and 623 set, the rest zero; position 396; a cached normal of -0.5.
        let stored = hexBytes("010001" + "000000000000e0bf" + "0000008000000000" + "7856341200000000")
            + [UInt8](repeating: 0, count: 8 * 621) + hexBytes("ffffffff00000000" + "8c01000000000000")
        #expect(stored.count == 5011)
        var words = [UInt64](repeating: 0, count: 625)
        words[0] = 0x8000_0000; words[1] = 0x1234_5678; words[623] = 0xffff_ffff; words[624] = 396
        let expected = GeneratorState(kind: .numpy, words: words, cachedNormal: -0.5)
        let state = try GeneratorBlob.decode(stored)
        #expect(state == expected)
        #expect(try Generator(state: state).state == expected)
        #expect(GeneratorBlob.encode(expected) == stored)
    }

    @Test("generator state on disk, numpy kind: a seeded generator's 5011 bytes are pinned")
    func numpySeededBytes() throws {
        let fresh = Generator(kind: .numpy, seed: 17)
        #expect(GeneratorBlob.encode(fresh).count == 5011 && fnv1a(GeneratorBlob.encode(fresh)) == 0x5fbc_ab9c_0fb0_b133)
        var drawn = fresh
        _ = try World.draw(features: 3, actions: 7, using: &drawn)
        let stored = GeneratorBlob.encode(drawn)
        #expect(stored.count == 5011 && fnv1a(stored) == 0xdd66_8dde_c824_d977)
        #expect(try GeneratorBlob.decodeGenerator(stored) == drawn)
    }

    @Test("corrupt generator states are refused with the reason")
    func corruptGeneratorState() throws {
        func refusal(_ bytes: [UInt8]) -> String? {
            do {
                _ = try GeneratorBlob.decodeGenerator(bytes)
                return nil
            } catch {
                return error.reason
            }
        }
        #expect(refusal([1, 0, 0]) == "3 bytes")
        #expect(refusal([9, 0, 0] + [UInt8](repeating: 0, count: 16)) == "encoding version 9")
        #expect(refusal([1, 2, 0] + [UInt8](repeating: 0, count: 16)) == "bad header")
        // Well-formed bytes of a state no generator has: all-zero Xoshiro words.
        #expect(refusal([1, 1, 0] + [UInt8](repeating: 0, count: 40)) == "all-zero Xoshiro state")
    }
}
