import Foundation

/// Adam with PyTorch's semantics (bias-corrected moments, ε added after the square root).
public struct AdamSettings: Sendable, Codable, Equatable {
    /// Step size.
    public var learningRate: Double
    /// Decay of the first moment.
    public var beta1: Double = 0.9
    /// Decay of the second moment.
    public var beta2: Double = 0.999
    /// Added to the root of the second moment.
    public var epsilon: Double = 1e-8

    /// Settings with PyTorch's defaults and `learningRate`.
    public init(learningRate: Double) { self.learningRate = learningRate }
}

/// The optimiser state over the flat parameter buffer.
final class AdamOptimizer {
    let settings: AdamSettings
    private let firstMoment: FloatBuffer, secondMoment: FloatBuffer
    private var step = 0

    init(parameterCount: Int, settings: AdamSettings) {
        self.settings = settings
        firstMoment = FloatBuffer(count: parameterCount)
        secondMoment = FloatBuffer(count: parameterCount)
    }

    /// One update of `values` from `gradients` (both `parameterCount` long).
    func update(values: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, count: Int) {
        step += 1
        let beta1 = Float(settings.beta1), beta2 = Float(settings.beta2)
        let correction1 = 1 - pow(settings.beta1, Double(step)), correction2 = 1 - pow(settings.beta2, Double(step))
        let stepSize = Float(settings.learningRate / correction1)
        let inverseRootCorrection2 = Float(1 / correction2.squareRoot())
        let epsilon = Float(settings.epsilon)
        let buffers = Buffers(values: values, gradients: gradients, m: firstMoment.pointer, v: secondMoment.pointer)
        let constants = Constants(beta1: beta1, beta2: beta2, stepSize: stepSize, inverseRootCorrection2: inverseRootCorrection2, epsilon: epsilon)
        // Bound by memory bandwidth, which grows with the cores used.
        ParallelGEMM.forEachChunk(count: count) { range in Self.update(range, buffers, constants) }
    }

    /// The buffers shared by the chunk workers; each writes only its own range.
    private struct Buffers: @unchecked Sendable {
        let values: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>
        let m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>
    }

    /// One step's coefficients.
    private struct Constants: Sendable {
        let beta1: Float, beta2: Float, stepSize: Float, inverseRootCorrection2: Float, epsilon: Float
    }

    private static func update(_ range: Range<Int>, _ buffers: Buffers, _ constants: Constants) {
        let values = buffers.values + range.lowerBound, gradients = buffers.gradients + range.lowerBound
        let m = buffers.m + range.lowerBound, v = buffers.v + range.lowerBound, count = range.count
        let beta1 = constants.beta1, beta2 = constants.beta2, stepSize = constants.stepSize
        let inverseRootCorrection2 = constants.inverseRootCorrection2, epsilon = constants.epsilon
        // Explicit vectors, because the compiler cannot prove the four buffers distinct and would not
        // vectorise the scalar loop; four lanes fill one register of the baseline x86-64 target.
        typealias Lanes = SIMD4<Float>
        let width = Lanes.scalarCount, whole = count / width * width
        var i = 0
        while i < whole {
            let g = UnsafeRawPointer(gradients + i).loadUnaligned(as: Lanes.self)
            let mi = beta1 * UnsafeRawPointer(m + i).loadUnaligned(as: Lanes.self) + (1 - beta1) * g
            let vi = beta2 * UnsafeRawPointer(v + i).loadUnaligned(as: Lanes.self) + (1 - beta2) * g * g
            let p = UnsafeRawPointer(values + i).loadUnaligned(as: Lanes.self) - stepSize * mi / (vi.squareRoot() * inverseRootCorrection2 + epsilon)
            UnsafeMutableRawPointer(m + i).storeBytes(of: mi, as: Lanes.self)
            UnsafeMutableRawPointer(v + i).storeBytes(of: vi, as: Lanes.self)
            UnsafeMutableRawPointer(values + i).storeBytes(of: p, as: Lanes.self)
            i += width
        }
        for i in whole..<count {
            let g = gradients[i]
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            values[i] -= stepSize * m[i] / (v[i].squareRoot() * inverseRootCorrection2 + epsilon)
        }
    }
}
