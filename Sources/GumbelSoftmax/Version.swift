import CGumbelSoftmaxCPU

// The version, the contract version, the tiers' names and the CPU message are C's
// (Sources/CGumbelSoftmaxCPU, from include/gumbel_softmax.h), so that the library, the C ABI, the
// tool and Python report the same ones; the tier the Swift code was compiled for is known only
// here, in `gumbelSoftmaxBuildTier()`.

extension GumbelSoftmax {
    /// The version of this library, e.g. `"0.2.0"` (semantic versioning; `GS_VERSION` and
    /// `gs_version()` of the C ABI).
    public static let version = String(cString: gumbel_softmax_version())

    /// The version of the sampling contract (docs/SPEC.md) the results follow, e.g. `"2.1"`
    /// (`GS_CONTRACT_VERSION` of the C ABI).
    ///
    /// Equal contract versions give equal bits for equal `(seed, stream, position, inputs)`; the
    /// major number changes whenever a sample of some input would, the minor one when the contract
    /// gains a part (2.1: float64 end to end, SPEC section 5) and earlier samples stay as they were.
    public static let contractVersion = String(cString: gumbel_softmax_contract_version())

    /// The instruction set tier this module was compiled for.
    ///
    /// Read from the compile-time conditions that select the kernels: `GUMBEL_SOFTMAX_AVX512`
    /// (with `-target-cpu skylake-avx512`) is ``Tier/avx512``, `GUMBEL_SOFTMAX_WIDE_VECTORS` (with
    /// `-target-cpu haswell`) is ``Tier/avx2``, neither is ``Tier/baseline``. A `-target-cpu`
    /// without the matching condition is not recorded: pass the two together, as
    /// `Scripts/build/tier-flags` prints them.
    public static let buildTier = Tier(number: gumbelSoftmaxBuildTier())

    /// Whether this CPU runs the tier this module was built for, found once per process.
    ///
    /// The command-line tool, the C ABI and the Python package check it before any sampling code
    /// runs, so a build for a tier the CPU lacks reports ``CPUSupport/message`` instead of dying
    /// on an illegal instruction. The features are read by a C function compiled for the
    /// baseline target (the `CGumbelSoftmaxCPU` target), which never executes a tier's
    /// instructions itself.
    public static let cpuSupport = CPUSupport(tier: buildTier, available: CPUFeature.detected)

    /// `"0.2.0 (contract 2.1, tier avx2, this CPU: supported)"`: the version, the contract version,
    /// the tier built for and ``cpuSupport``, as `gumbel --version` prints them after its name.
    public static var versionDescription: String {
        let support =
            cpuSupport.isSupported
            ? "supported" : "not supported, lacks \(cpuSupport.missing.map(\.name).joined(separator: ", "))"
        return "\(version) (contract \(contractVersion), tier \(buildTier.rawValue), this CPU: \(support))"
    }

    /// An instruction set tier: the CPU features a build may use.
    ///
    /// Every tier gives the same bits; the wider ones are faster. `Scripts/build/tier` prints the best
    /// tier of the machine it runs on and `Scripts/build/tier-flags TIER` the `swift build` flags.
    public enum Tier: String, Sendable, Hashable, CaseIterable, Comparable {
        /// Any x86-64 (SSE2) or non-x86 CPU: the default `swift build`.
        case baseline
        /// AVX2 with FMA (Intel Haswell, 2013, and AMD Zen or later): `-target-cpu haswell`.
        case avx2
        /// AVX-512 F, CD, BW, DQ and VL (Intel Skylake-SP, 2017, and AMD Zen 4 or later):
        /// `-target-cpu skylake-avx512`.
        case avx512

        /// The features the tier's `-target-cpu` lets the compiler use anywhere in the code.
        public var requiredFeatures: [CPUFeature] {
            switch self {
            case .baseline:
                return []
            case .avx2:
                return [.popcnt, .avx, .avx2, .fma, .bmi1, .bmi2, .f16c, .lzcnt, .movbe]
            case .avx512:
                return Tier.avx2.requiredFeatures + [.avx512f, .avx512cd, .avx512bw, .avx512dq, .avx512vl]
            }
        }

        public static func < (lhs: Tier, rhs: Tier) -> Bool {
            lhs.number < rhs.number
        }

        /// The tier's `GUMBEL_SOFTMAX_TIER_` number (Sources/CGumbelSoftmaxCPU): its index in `allCases`.
        var number: Int32 { Int32(Self.allCases.firstIndex(of: self)!) }

        /// The tier of a `GUMBEL_SOFTMAX_TIER_` number (an unknown one is avx512, as in C).
        init(number: Int32) {
            self = Self.allCases.indices.contains(Int(number)) ? Self.allCases[Int(number)] : .avx512
        }
    }

    /// A CPU feature a tier needs, named as in `/proc/cpuinfo`'s `flags` line (except `lzcnt`,
    /// which cpuinfo calls `abm`).
    public struct CPUFeature: Sendable, Hashable, CustomStringConvertible {
        /// The feature's name, e.g. `"avx512f"`.
        public let name: String
        // The bit of `gumbel_softmax_cpu_features()` (Sources/CGumbelSoftmaxCPU).
        let bit: UInt32

        private init(_ name: String, _ bit: some BinaryInteger) {
            self.name = name
            self.bit = UInt32(bit)
        }

        public var description: String { name }

        public static let popcnt = CPUFeature("popcnt", GUMBEL_SOFTMAX_CPU_POPCNT)
        public static let avx = CPUFeature("avx", GUMBEL_SOFTMAX_CPU_AVX)
        public static let avx2 = CPUFeature("avx2", GUMBEL_SOFTMAX_CPU_AVX2)
        public static let fma = CPUFeature("fma", GUMBEL_SOFTMAX_CPU_FMA)
        public static let bmi1 = CPUFeature("bmi1", GUMBEL_SOFTMAX_CPU_BMI1)
        public static let bmi2 = CPUFeature("bmi2", GUMBEL_SOFTMAX_CPU_BMI2)
        public static let f16c = CPUFeature("f16c", GUMBEL_SOFTMAX_CPU_F16C)
        public static let lzcnt = CPUFeature("lzcnt", GUMBEL_SOFTMAX_CPU_LZCNT)
        public static let movbe = CPUFeature("movbe", GUMBEL_SOFTMAX_CPU_MOVBE)
        public static let avx512f = CPUFeature("avx512f", GUMBEL_SOFTMAX_CPU_AVX512F)
        public static let avx512cd = CPUFeature("avx512cd", GUMBEL_SOFTMAX_CPU_AVX512CD)
        public static let avx512bw = CPUFeature("avx512bw", GUMBEL_SOFTMAX_CPU_AVX512BW)
        public static let avx512dq = CPUFeature("avx512dq", GUMBEL_SOFTMAX_CPU_AVX512DQ)
        public static let avx512vl = CPUFeature("avx512vl", GUMBEL_SOFTMAX_CPU_AVX512VL)

        /// Every feature some tier needs.
        public static let all: [CPUFeature] = Tier.avx512.requiredFeatures

        /// The features this CPU has and its operating system enables.
        static var detected: Set<CPUFeature> {
            let bits = gumbel_softmax_cpu_features()
            return Set(all.filter { bits & $0.bit != 0 })
        }
    }

    /// Whether a CPU runs a tier: the tier's features it lacks, and the message to report.
    public struct CPUSupport: Sendable, Hashable {
        /// The tier checked.
        public let tier: Tier
        /// The features the tier needs that the CPU lacks, in ``Tier/requiredFeatures`` order.
        public let missing: [CPUFeature]
        /// The best tier the CPU runs.
        public let bestTier: Tier

        /// Checks `tier` against a CPU with the features `available`.
        ///
        /// Tests force the CPU features here; ``GumbelSoftmax/cpuSupport`` passes the detected ones.
        @_spi(Testing)
        public init(tier: Tier, available: Set<CPUFeature>) {
            self.tier = tier
            self.missing = tier.requiredFeatures.filter { !available.contains($0) }
            self.bestTier = Tier.allCases.last { $0.requiredFeatures.allSatisfy(available.contains) } ?? .baseline
        }

        /// True when the CPU has every feature the tier needs.
        public var isSupported: Bool { missing.isEmpty }

        /// `""` when supported, else what the command-line tool, the C ABI (`GS_UNSUPPORTED_CPU`)
        /// and the Python package (`ImportError`) report, e.g. `GumbelSoftmax 0.2.0 was built for
        /// the avx512 tier; this CPU lacks avx512f, ... (rebuild for its tier: TIER=avx2)`.
        public var message: String {
            if isSupported { return "" }
            // The message is C's (the tool and the C ABI print it before any Swift code may run).
            // It depends on the tier's features only, so the CPU is passed as all but the missing.
            let features = CPUFeature.all.reduce(0) { $0 | $1.bit } & ~missing.reduce(0) { $0 | $1.bit }
            var buffer = [UInt8](repeating: 0, count: 512)
            buffer.withUnsafeMutableBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { chars in
                    _ = gumbel_softmax_cpu_refusal(tier.number, features, chars.baseAddress, chars.count)
                }
            }
            return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}

/// The tier this module was compiled for, as a `GUMBEL_SOFTMAX_TIER_` number (0 baseline, 1 avx2,
/// 2 avx512; Sources/CGumbelSoftmaxCPU): the one reading of the compile-time conditions that select
/// the kernels. The C checks that run before any tier code (the C ABI's, the tool's before `main`)
/// call it, so its body is a literal and nothing else: on a CPU without the tier's features only a
/// constant can run safely (`make test-tier-check` disassembles it).
@_cdecl("gumbel_softmax_build_tier") @_spi(CABI)
public func gumbelSoftmaxBuildTier() -> Int32 {
    #if GUMBEL_SOFTMAX_AVX512
        return 2
    #elseif GUMBEL_SOFTMAX_WIDE_VECTORS
        return 1
    #else
        return 0
    #endif
}
