@testable import AdapterPlots
import Foundation
import Testing

/// "Nice" axis ticks: 1-2-5 steps covering the data, powers of ten on a log axis.
struct AxisTicksTests {
    @Test func linearStepsAreOneTwoOrFiveTimesAPowerOfTen() {
        for (low, high) in [(0.0, 1.0), (0.013, 0.87), (-3.2, 47.9), (1, 2), (2.31, 2.39), (0, 2_500_000), (-1e-6, 3e-6)] {
            let ticks = AxisTicks.linear(low, high)
            let exponent = (ticks.step).significandAndExponent
            #expect([1.0, 2, 5, 10].contains { abs(ticks.step / exponent.power - $0) < 1e-9 }, "step \(ticks.step) for \(low)…\(high)")
            #expect(ticks.lower <= low && ticks.upper >= high, "\(ticks.values) does not cover \(low)…\(high)")
            #expect((2...12).contains(ticks.values.count), "\(ticks.values.count) ticks for \(low)…\(high)")
        }
    }

    @Test func linearTicksAreCleanNumbers() {
        #expect(AxisTicks.linear(0, 1).values == [0, 0.2, 0.4, 0.6, 0.8, 1])
        #expect(AxisTicks.linear(0.1, 0.7).values.map { AxisTicks.linear(0.1, 0.7).label($0) } == ["0", "0.2", "0.4", "0.6", "0.8"])
        #expect(AxisTicks.linear(13, 87).values == [0, 20, 40, 60, 80, 100])
    }

    @Test func equalOrNonFiniteBoundsStillGiveAnAxis() {
        let one = AxisTicks.linear(5, 5)
        #expect(one.lower < 5 && one.upper > 5)
        let zero = AxisTicks.linear(0, 0)
        #expect(zero.lower < 0 && zero.upper > 0)
        let broken = AxisTicks.linear(.nan, .infinity)
        #expect(broken.lower == 0 && broken.upper == 1)
    }

    @Test func wholeNumberAxesNeverTickBetweenIntegers() {
        #expect(AxisTicks.linear(1, 2, minimumStep: 1).values == [1, 2])
        #expect(AxisTicks.linear(1, 1, minimumStep: 1).values.allSatisfy { $0 == $0.rounded() })
    }

    @Test func logTicksArePowersOfTen() {
        let ticks = AxisTicks.log10(0.003, 42)
        #expect(ticks.values == [0.001, 0.01, 0.1, 1, 10, 100])
        #expect(ticks.values.map(ticks.label) == ["0.001", "0.01", "0.1", "1", "10", "100"])
        let wide = AxisTicks.log10(1e-12, 1e3)
        #expect(wide.values.count <= AxisTicks.maximumLogTicks + 1)
        #expect(wide.label(wide.values[0]).hasPrefix("1e-"))
        #expect(AxisTicks.log10(-1, 0).values == [1, 10], "no positive range: a default decade")
    }

    @Test func coveringIgnoresValuesTheScaleCannotShow() {
        let ticks = AxisTicks.covering([0, -2, .nan, 0.5, 20], scale: .log10)
        #expect(ticks.lower == 0.1 && ticks.upper == 100)
        #expect(ticks.fraction(of: 0) == nil && ticks.fraction(of: .nan) == nil)
    }

    @Test func tickLabelsAreFixedAndLocaleFree() {
        #expect(PlotNumber.tick(0.30000000000000004, step: 0.1) == "0.3")
        #expect(PlotNumber.tick(2_500_000, step: 500_000) == "2.5e6")
        #expect(PlotNumber.tick(-0.00002, step: 0.00001) == "-2e-5")
        #expect(PlotNumber.coordinate(-0.001) == "0")
        #expect(PlotNumber.coordinate(12.5) == "12.5")
        #expect(PlotNumber.fixed(-0.0001, decimals: 1) == "0.0")
        #expect(PlotNumber.significant(0.012345) == "0.0123")
        #expect(PlotNumber.compact(8) == "8" && PlotNumber.compact(0.005) == "0.005" && PlotNumber.compact(2e-7) == "2e-7")
    }
}

private extension Double {
    /// The power of ten at or below the value.
    var significandAndExponent: (power: Double, exponent: Int) {
        let exponent = Int(Foundation.log10(self).rounded(.down))
        return (Foundation.pow(10, Double(exponent)), exponent)
    }
}
