import CTrainingKernels
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
        let start = range.lowerBound
        adaptool_adam_update(buffers.values + start, buffers.gradients + start, buffers.m + start, buffers.v + start, range.count,
                             constants.beta1, constants.beta2, constants.stepSize, constants.inverseRootCorrection2, constants.epsilon)
    }
}
