import CGumbelSoftmaxCPU
import Foundation
import Testing

@_spi(Testing) @_spi(CABI) @testable import GumbelSoftmax

@Suite("Version and CPU tier")
struct VersionTests {
    typealias Feature = GumbelSoftmax.CPUFeature
    typealias Support = GumbelSoftmax.CPUSupport

    static let avx2Features = Set(GumbelSoftmax.Tier.avx2.requiredFeatures)
    static let avx512Only: [Feature] = [.avx512f, .avx512cd, .avx512bw, .avx512dq, .avx512vl]

    @Test func versions() {
        #expect(GumbelSoftmax.version == "0.2.0")
        #expect(GumbelSoftmax.contractVersion == "2.1")
        let tier = GumbelSoftmax.buildTier.rawValue
        #expect(GumbelSoftmax.versionDescription.hasPrefix("0.2.0 (contract 2.1, tier \(tier), this CPU: "))
    }

    @Test func tiersNeedNestedFeatureSets() {
        #expect(GumbelSoftmax.Tier.baseline.requiredFeatures.isEmpty)
        let tiers = GumbelSoftmax.Tier.self
        #expect(tiers.avx512.requiredFeatures == tiers.avx2.requiredFeatures + Self.avx512Only)
        #expect(GumbelSoftmax.Tier.allCases.sorted() == [.baseline, .avx2, .avx512])
        #expect(Set(Feature.all.map(\.bit)).count == Feature.all.count)  // one bit per feature
    }

    @Test func tierNamesAreCs() {
        // The C table (Sources/CGumbelSoftmaxCPU) names the tiers for the C ABI, the tool and Python.
        for tier in GumbelSoftmax.Tier.allCases {
            #expect(String(cString: gumbel_softmax_tier_name(tier.number)) == tier.rawValue)
            #expect(GumbelSoftmax.Tier(number: tier.number) == tier)
        }
        #expect(GumbelSoftmax.buildTier.number == gumbelSoftmaxBuildTier())
    }

    @Test func anAVX2MachineRefusesTheAVX512Tier() {
        let support = Support(tier: .avx512, available: Self.avx2Features)
        #expect(!support.isSupported)
        #expect(support.missing == Self.avx512Only)
        #expect(support.bestTier == .avx2)
        #expect(
            support.message
                == "GumbelSoftmax 0.2.0 was built for the avx512 tier; this CPU lacks avx512f, avx512cd, avx512bw, "
                + "avx512dq, avx512vl (rebuild for its tier: TIER=avx2)")
        #expect(Support(tier: .avx2, available: Self.avx2Features).isSupported)
        #expect(Support(tier: .avx2, available: Self.avx2Features).message == "")
    }

    @Test func oneMissingFeatureIsEnough() {
        var features = Set(Feature.all)
        features.remove(.fma)
        let support = Support(tier: .avx512, available: features)
        #expect(support.missing == [.fma])
        #expect(support.bestTier == .baseline)
        #expect(support.message.hasSuffix("this CPU lacks fma (rebuild for its tier: TIER=baseline)"))
        #expect(Support(tier: .baseline, available: []).isSupported)
        #expect(Support(tier: .avx2, available: []).missing == GumbelSoftmax.Tier.avx2.requiredFeatures)
        #expect(Support(tier: .avx512, available: Set(Feature.all)).bestTier == .avx512)
    }

    /// The C detection against the kernel's view of the CPU, /proc/cpuinfo (x86-64 Linux).
    @Test func detectionAgreesWithProcCPUInfo() throws {
        #if arch(x86_64)
            let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
            let line = try #require(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") })
            let flags = Set(line.split(separator: " ").map(String.init))
            let support = GumbelSoftmax.cpuSupport
            for feature in Feature.all {
                let name = feature == .lzcnt ? "abm" : feature.name
                #expect(
                    Feature.detected.contains(feature) == flags.contains(name),
                    "\(feature.name): detected \(Feature.detected.contains(feature)), cpuinfo \(flags.contains(name))")
            }
            // This test process runs code of the tier it was built for, so the CPU must support it.
            #expect(support.isSupported, "\(support.message)")
            #expect(support.tier == GumbelSoftmax.buildTier)
        #endif
    }
}
