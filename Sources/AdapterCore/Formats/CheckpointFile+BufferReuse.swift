extension CheckpointFile {
    /// Reads one layer like ``readLayer(_:)``, but into the storage of `buffer` when it already has
    /// the weight's element count, so a streaming pass over equally sized layers allocates (and
    /// page-faults) its weight buffers once instead of once per layer. `buffer` is left empty; hand
    /// the storage back afterwards with `buffer = layer.weight.values` once the layer is dropped.
    public func readLayer(_ name: String, reusing buffer: inout [Float]) throws(FormatError) -> Layer {
        guard let index = layerIndex[name] else { return try readLayer(name) }
        let shape = datasets[index].weight.shape
        var values = buffer
        buffer = []
        let bias = try FormatError.wrapping { () throws(HDF5Error) in
            let group = try layersGroup.openGroup(name)
            let weight = try group.openDataset("weight")
            // Checked before the buffer is allocated: its size comes from the file.
            let count = try weight.validateFloatReadable()
            if values.count != count { values = [Float](repeating: 0, count: count) }
            try values.withUnsafeMutableBufferPointer { pointer throws(HDF5Error) in
                try weight.readRows(0, count: shape[0], into: pointer)
            }
            return try group.openDataset("bias").readFloats()
        }
        return Layer(name: name, weight: Matrix(rows: shape[0], columns: shape[1], values: values), bias: bias)
    }
}
