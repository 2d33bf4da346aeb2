import AdapterCore
@testable import AdapterMath
import AdapterPlots
import AdapterTestSupport
import Testing

/// The layout choices of ``DiffFigureData/plot`` on many modules: bars capped with a note, a
/// capped legend, every module a point, per-vector points sampled, long names shortened.
@Suite struct DiffFigurePlotTests {
    /// `count` matrices `rows × columns` named `model.layers.N.mlp.up_proj.weight`, each changed by
    /// a rank-1 update growing with N.
    func data(count: Int, rows: Int = 3, columns: Int = 4) throws -> DiffFigureData {
        var generator = SeededGenerator(seed: 7)
        var first: [(info: TensorInfo, bytes: [UInt8], digest: String?)] = [], second = first
        for index in 0..<count {
            let name = "model.layers.\(index).mlp.up_proj.weight"
            let a = generator.floats(rows * columns), u = generator.floats(rows), v = generator.floats(columns)
            let b = a.indices.map { a[$0] + Float(index + 1) * 0.01 * u[$0 / columns] * v[$0 % columns] }
            first.append(try MemoryTensors.float32(name, [rows, columns], a))
            second.append(try MemoryTensors.float32(name, [rows, columns], b))
        }
        let recorder = DiffFigureRecorder()
        _ = try TensorSetDiff.compare(MemoryTensors(entries: first), MemoryTensors(entries: second), labels: ("a", "b"), figure: recorder)
        return recorder.data(first: "a", second: "b")
    }

    @Test func manyModulesAreCappedWithNotes() throws {
        let figure = try data(count: 50)
        #expect(figure.changedModules.count == 50 && figure.modules.allSatisfy { $0.comparison.numericalRank == 1 })
        let svg = figure.plot.svg
        let bars = svg.components(separatedBy: "<rect ").filter { $0.contains("fill=\"#0072b2\"") }
        #expect(bars.count == 40, "bars are capped at the 40 largest")
        #expect(svg.contains("… and 10 more with smaller changes (the 40 largest shown)"))
        // The bar labels are the 40 largest relative changes, in model order.
        let largest = figure.modules.indices.sorted { figure.modules[$0].comparison.relative > figure.modules[$1].comparison.relative }.prefix(40).sorted()
        let labels = largest.map { ">\($0).mlp.up_proj<" }
        let positions = labels.compactMap { svg.range(of: $0)?.lowerBound }
        #expect(positions.count == 40 && positions == positions.sorted())
        #expect(svg.contains("names without &quot;model.layers.&quot;"))
        #expect(svg.components(separatedBy: " · rank 1<").count - 1 == 5 && svg.contains(">45 other modules<"))
        #expect(svg.components(separatedBy: "<polyline ").count - 1 == 50)
        #expect(svg.components(separatedBy: " r=\"5\"").count - 1 == 50, "every module is a point")
    }

    @Test func perVectorPointsAreSampledAndNamesKeepTheirEnds() throws {
        let figure = try data(count: 2, rows: 2000, columns: 2)
        let svg = figure.plot.svg
        #expect(svg.contains("1 in 2 of 4000 output rows shown"))
        #expect(svg.components(separatedBy: " r=\"2\"").count - 1 <= DiffFigure.maximumVectorPoints + 2)
        let long = DiffFigure.shortNames(["model.layers.0.block_sparse_moe.experts.10.w1", "model.layers.0.block_sparse_moe.experts.11.w1"])
        #expect(long.prefix == "model.layers.0.block_sparse_moe.experts." && long.names == ["10.w1", "11.w1"])
        let cut = DiffFigure.shortNames(["a_very_long_module_name_that_goes_on.q_proj", "b"]).names[0]
        #expect(cut.hasPrefix("…") && cut.hasSuffix("goes_on.q_proj") && cut.count == 24)
    }
}

/// Named tensors are stored alphabetically; the figure puts them in model order.
@Suite struct DiffFigureOrderTests {
    @Test func namedTensorsComeInNaturalOrder() throws {
        let names = ["model.layers.10.mlp.up_proj.weight", "model.layers.2.mlp.up_proj.weight", "lm_head.weight", "model.layers.2.attn.weight"]
        var generator = SeededGenerator(seed: 8)
        var first: [(info: TensorInfo, bytes: [UInt8], digest: String?)] = [], second = first
        for name in names {
            let values = generator.floats(6)
            first.append(try MemoryTensors.float32(name, [2, 3], values))
            second.append(try MemoryTensors.float32(name, [2, 3], values.map { $0 * 1.5 }))
        }
        let recorder = DiffFigureRecorder()
        _ = try TensorSetDiff.compare(MemoryTensors(entries: first), MemoryTensors(entries: second), labels: ("a", "b"), figure: recorder)
        #expect(recorder.data(first: "a", second: "b").modules.map(\.name)
                == ["lm_head", "model.layers.2.attn", "model.layers.2.mlp.up_proj", "model.layers.10.mlp.up_proj"])
    }
}
