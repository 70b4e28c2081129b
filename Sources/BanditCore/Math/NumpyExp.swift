// numpy's float64 `exp` on AVX-512 machines, to the bit: the notebook's viewing times go through it.

import Foundation

/// numpy (x86-64 wheels, CPUs with AVX512_SKX) computes `np.exp` on float64 with Intel's SVML kernel
/// `__svml_exp8_ha`, which differs from glibc's `exp` in the last bit for about 5% of arguments. This
/// is a scalar transcription of that kernel's arithmetic: N = x·log2(e) truncated to 1/16, a 16-entry
/// table for 2^(j/16), a degree-6 polynomial on the reduced argument, and a final scaling by 2^⌊N⌋.
/// Arguments beyond the kernel's fast range (|x| ≥ ~709.4, NaN, ±∞) take glibc's `exp`.
public enum NumpyExp {
    /// 2^(j/16), high parts.
    private static let high: [UInt64] = [
        0x3ff0_0000_0000_0000, 0x3ff0_b558_6cf9_890f, 0x3ff1_72b8_3c7d_517b, 0x3ff2_387a_6e75_6238,
        0x3ff3_06fe_0a31_b715, 0x3ff3_dea6_4c12_3422, 0x3ff4_bfda_d536_2a27, 0x3ff5_ab07_dd48_5429,
        0x3ff6_a09e_667f_3bcd, 0x3ff7_a114_73eb_0187, 0x3ff8_ace5_422a_a0db, 0x3ff9_c491_82a3_f090,
        0x3ffa_e89f_995a_d3ad, 0x3ffc_199b_dd85_529c, 0x3ffd_5818_dcfb_a487, 0x3ffe_a4af_a2a4_90da,
    ]
    /// Relative corrections: high[j]·(1 + low[j]) = 2^(j/16) to beyond double precision.
    private static let low: [UInt64] = [
        0x0000_0000_0000_0000, 0x3c97_9aa6_5d83_7b6d, 0xbc80_1b15_eaa5_9348, 0x3c96_8efd_e3a8_a894,
        0x3c83_4d75_4db0_abb6, 0x3c85_9f48_a72a_4c6d, 0x3c76_90ce_bb7a_afb0, 0x3c90_63e1_e21c_5409,
        0xbc93_b3ef_bf5e_2228, 0xbc7b_32dc_b94d_a51d, 0x3c8d_b72f_c1f0_eab4, 0x3c71_affc_2b91_ce27,
        0x3c8c_1a77_92cb_3387, 0x3c73_6eae_30af_0cb3, 0x3c74_a385_a63d_07a7, 0xbc8f_f712_8fd3_91f0,
    ]
    private static let log2e = Double(bitPattern: 0x3ff7_1547_652b_82fe)
    /// 1.5·2^48 + 1023: adding it leaves x·log2(e) with four fractional bits in the low mantissa.
    private static let shifter = Double(bitPattern: 0x42f8_0000_0000_3ff0)
    private static let ln2High = Double(bitPattern: 0x3fe6_2e42_fefa_39ef)
    private static let ln2Low = Double(bitPattern: 0x3c7a_bc9e_3b39_803f)
    private static let c6 = Double(bitPattern: 0x3f57_4118_3694_0c04)
    private static let c5 = Double(bitPattern: 0x3f81_101c_bbc2_65c0)
    private static let c4 = Double(bitPattern: 0x3fa5_5557_242d_68fe)
    private static let c3 = Double(bitPattern: 0x3fc5_5555_5393_9732)
    private static let c2 = Double(bitPattern: 0x3fe0_0000_0000_d008)
    private static let c1 = Double(bitPattern: 0x3fef_ffff_ffff_ff70)
    private static let threshold = Double(bitPattern: 0x4086_1da0_4cba_fe44)

    public static func exp(_ x: Double) -> Double {
        guard x.magnitude < threshold else { return Foundation.exp(x) }
        let t = fmaTowardZero(x, log2e, shifter)
        let n = t - shifter
        let j = Int(t.bitPattern & 0xf)
        var r = x.addingProduct(-n, ln2High)
        r = r.addingProduct(-ln2Low, n)
        r = Double(bitPattern: r.bitPattern & 0xbfff_ffff_ffff_ffff)
        let r2 = r * r
        let p56 = c5.addingProduct(c6, r)
        let p34 = c3.addingProduct(c4, r)
        let p12 = c1.addingProduct(c2, r)
        let p36 = p34.addingProduct(r2, p56)
        let p16 = p12.addingProduct(r2, p36)
        let p = Double(bitPattern: low[j]).addingProduct(p16, r)
        let th = Double(bitPattern: high[j])
        let scaled = th.addingProduct(th, p)
        return Double(sign: .plus, exponent: Int(n.rounded(.down)), significand: scaled)
    }

    /// fma(a, b, c) rounded toward zero, for a positive result (as SVML's `{rz-sae}` step).
    ///
    /// Rounds to nearest, then steps down one ulp when that rounding went above the exact value;
    /// the comparison is exact: a·b = p + e with e from a second fma, and (p − (t − c)) is exact here.
    @inline(__always)
    static func fmaTowardZero(_ a: Double, _ b: Double, _ c: Double) -> Double {
        let t = c.addingProduct(a, b)
        let p = a * b
        let e = (-p).addingProduct(a, b)
        let excess = (p - (t - c)) + e
        return excess < 0 ? t.nextDown : t
    }
}
