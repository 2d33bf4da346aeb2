@testable import AdapterTraining
import Foundation
import Testing

/// The per-epoch test figures are optional: provenance written before they existed still decodes,
/// and the CSV leaves their columns empty when they were not measured.
struct EpochSummaryCodingTests {
    private func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    @Test func provenanceWithoutTestFiguresStillDecodes() throws {
        let old = #"{"epoch":1,"loss":2.1,"accuracy":31.5,"seconds":0.5,"samples_per_second":2000}"#
        let summary = try decoder().decode(EpochSummary.self, from: Data(old.utf8))
        #expect(summary.testLoss == nil && summary.testAccuracy == nil && summary.loss == 2.1)
    }

    @Test func testFiguresRoundTripThroughTheRecord() throws {
        let data = SyntheticCIFAR10.make(trainCount: 128, testCount: 32, seed: 9)
        let (_, record) = try TrainingRun.trainBase(hidden: [8], data: data, settings: TrainingSettings(epochs: 2), testEachEpoch: true)
        #expect(record.epochs.allSatisfy { $0.testLoss != nil && $0.testAccuracy != nil })
        #expect(record.epochs.last?.testAccuracy == record.testAccuracy, "the last epoch's test pass is the final evaluation")
        let decoded = try decoder().decode(TrainingRecord.self, from: Data(record.json.utf8))
        #expect(decoded.epochs == record.epochs)
        let (_, untested) = try TrainingRun.trainBase(hidden: [8], data: data, settings: TrainingSettings(epochs: 1))
        #expect(untested.epochs.allSatisfy { $0.testLoss == nil })
        #expect(untested.metricsCSV.split(separator: "\n").last?.hasSuffix(",,") == true, "empty test columns")
        #expect(untested.plot.svg.contains("the test split was not evaluated after each epoch"))
    }
}
