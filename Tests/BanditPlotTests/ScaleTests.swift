// Round numbers: the 1-2-5 ladder, tick ranges, and number formatting without locale or float noise.

@testable import BanditPlot
import Testing

@Suite("Scale")
struct ScaleTests {
    @Test("steps climb the 1-2-5 ladder, ignoring float noise", arguments: [
        (0.23, 0.5), (0.2, 0.2), (0.20000000000000004, 0.2), (0.7, 1), (1, 1), (1.01, 2), (3, 5), (42, 50), (0.0013, 0.002),
    ])
    func ladder(raw: Double, step: Double) {
        #expect(NiceStep(atLeast: raw).value == step)
    }

    @Test("covering ticks enclose the range on round values")
    func covering() {
        let ticks = Ticks.covering(1.01, 2.12, maxCount: 9)
        #expect(ticks.values == [1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.2])
        #expect(ticks.labels == ["1.0", "1.2", "1.4", "1.6", "1.8", "2.0", "2.2"])
        #expect(Ticks.covering(0, 100, maxCount: 6).values == [0, 20, 40, 60, 80, 100])
        #expect(Ticks.covering(-0.013, 0.004, maxCount: 5).labels == ["-0.015", "-0.010", "-0.005", "0.000", "0.005"])
    }

    @Test("inside ticks are whole days when asked")
    func inside() {
        #expect(Ticks.inside(0.48, 14.52, minimumStep: 0.8, integral: true).values == (1...14).map(Double.init))
        #expect(Ticks.inside(0.48, 14.52, minimumStep: 1.3, integral: true).values == [2, 4, 6, 8, 10, 12, 14])
        // No whole day falls inside: fractions label the range instead.
        #expect(Ticks.inside(1.1, 1.4, minimumStep: 0.08, integral: true).labels == ["1.1", "1.2", "1.3", "1.4"])
    }

    @Test("flat and broken ranges become usable")
    func ranges() {
        #expect(usableRange(2, 2) == (1.9, 2.1))
        #expect(usableRange(0, 0) == (-0.5, 0.5))
        #expect(usableRange(.nan, 1) == (0, 1))
        #expect(dayRange(3, 3) == (2, 4))
    }

    @Test("fixed and compact formatting", arguments: [
        (12.5, "12.5"), (3.14159, "3.14"), (-0.001, "0"), (100, "100"), (2.999, "3"), (-7.25, "-7.25"), (0.1 + 0.2, "0.3"),
    ])
    func compact(value: Double, text: String) {
        #expect(formatCompact(value) == text)
    }

    @Test("fixed decimals pad with zeros")
    func fixed() {
        #expect(formatFixed(0.05, decimals: 2) == "0.05")
        #expect(formatFixed(-0.0, decimals: 1) == "0.0")
        #expect(formatFixed(1.675, decimals: 0) == "2")
        #expect(formatFixed(.infinity, decimals: 2) == "inf")
        #expect(formatFixed(-1.0000000000000002e300, decimals: 0) == "-1e+300")
        #expect(formatScientific(2.5e-7) == "2.5e-7")
    }
}
