import DiscreetCore
import Foundation
import Testing
@testable import DiscreetIO

/// Inputs the fuzz targets (Fuzz/, `scripts/fuzz`) found to crash or misbehave, each kept as
/// a test once fixed.
@Suite struct FuzzRegressionTests {
    /// FuzzRelease: a release whose rule is "fewer than 1" (no count is small) crashed the
    /// audit, which built the range of small counts as 1...0.
    @Test func aThresholdOfOneCallsNoCountSmallAndAuditsCleanly() throws {
        let f = try Fixture(spec: safeSpec.replacingOccurrences(of: "threshold: 3", with: "threshold: 1"), data: PipelineTests().data(2, 1, neetF: 1, neetM: 0))
        let out = f.dir.path + "/out"
        let release = try ReleasePipeline.protect(
            plan: f.plan, inputs: [f.input], options: IngestOptions(onError: .stop, temporaryDirectory: f.dir.path),
            destination: ReleaseDirectory(path: out, overwrite: false))
        #expect(release.tables.allSatisfy { $0.statuses.allSatisfy { $0.disposition != .primary } })
        let audit = try PublishedAudit.run(directory: out, truth: .init(plan: release.plan, ingest: release.ingest))
        #expect(audit.findings.isEmpty, "\(audit.findings)")
        #expect(PublishedAudit.smallRange(audit.release) == nil)
    }
}
