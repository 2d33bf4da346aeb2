import AdapterCore
import AdapterMath
import AdapterMethods
import AdapterTestSupport
import Testing

/// v1 files seen as tensors: the generic LoRA/DoRA folds applied through the views agree with the
/// v1 merge (two implementations of the same formulas), and the tensor view returns the layers.
@Suite struct V1ViewTests {
    @Test(arguments: ["adapter_lora.h5", "adapter_dora_output.h5", "adapter_dora_input.h5"])
    func genericFoldThroughTheViewsMatchesTheV1Merge(adapterFile: String) throws {
        let base = try CheckpointFile(path: PackagePaths.fixtures + "/checkpoint.h5")
        let adapter = try Adapter.read(from: PackagePaths.fixtures + "/" + adapterFile)
        let factors = try V1AdapterFactors(adapter, path: adapterFile)
        let method = try LowRankMethods.named(factors.manifest.method)
        for target in factors.manifest.targets {
            let info = try #require(base.info(named: target.tensor))
            try LowRankMethods.validate(target, method: method, base: info)
            var values: [String: [Double]] = [:]
            for role in method.roles { values[role] = try factors.factorValues(tensor: target.tensor, role: role) }
            var weight = try base.float64Values(of: target.tensor)
            let (out, inputs) = (info.shape[0], info.shape[1])
            try weight.withUnsafeMutableBufferPointer { buffer in
                try method.fold(buffer, out: out, inputs: inputs, factors: LowRankFactors(rank: target.rank, values: values),
                                scaling: target.scaling, target: target.tensor)
            }
            let layerName = String(target.tensor.dropLast(CheckpointFile.weightSuffix.count))
            let v1 = try AdapterMerge.merge(try base.readLayer(layerName), with: [WeightedAdapter(adapter)])
            for index in weight.indices { #expect(Float(weight[index]) == v1.weight.values[index], "\(target.tensor)[\(index)]") }
        }
    }

    @Test func checkpointViewListsWeightsAndBiasesInLayerOrder() throws {
        let file = try CheckpointFile(path: PackagePaths.fixtures + "/checkpoint.h5")
        #expect(file.tensors.map(\.name) == file.layerNames.flatMap { [$0 + ".weight", $0 + ".bias"] })
        let layer = try file.readLayer(file.layerNames[0])
        #expect(try file.float64Values(of: file.layerNames[0] + ".bias") == layer.bias.map(Double.init))
        #expect(file.info(named: "nope.weight") == nil)
        #expect(throws: FormatError.self) { try file.rawBytes(of: "nope.weight") }
    }
}
