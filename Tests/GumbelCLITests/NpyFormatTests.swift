import Foundation
import NumpyFormat
import Testing

/// The `.npy` reader and writer (Sources/NumpyFormat) on their own.
@Suite struct NpyFormatTests {
    /// The preamble and header NumPy 2.x writes for `version`, `descr` and `shape` (checked against
    /// `numpy.lib.format.write_array`).
    static func numpyHeader(_ version: UInt8, _ descr: String, _ shape: String) -> [UInt8] {
        let dictionary = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        let preamble = version == 1 ? 10 : 12
        let length = (preamble + dictionary.utf8.count + 1 + 63) / 64 * 64 - preamble
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
        for index in 0..<(version == 1 ? 2 : 4) { bytes.append(UInt8(truncatingIfNeeded: length >> (8 * index))) }
        bytes += Array(dictionary.utf8) + [UInt8](repeating: 0x20, count: length - dictionary.utf8.count - 1) + [0x0A]
        return bytes
    }

    static func parse(_ bytes: [UInt8]) throws(NpyError) -> NpyHeader {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(NpyError) in try NpyHeader(parsing: raw) } }
        return try result.get()
    }

    static func readFloats(_ bytes: [UInt8], dimensions: ClosedRange<Int> = 0...32) throws(NpyError) -> NpyArray<Float>
    {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(NpyError) in try NpyReader.read(Float.self, from: raw, dimensions: dimensions) }
        }
        return try result.get()
    }

    /// A file with a hand-written header dictionary (version 1.0) followed by `data`.
    static func file(
        header dictionary: String, data: [UInt8] = [], version: UInt8 = 1, magic: [UInt8]? = nil
    ) -> [UInt8] {
        let text = Array(dictionary.utf8) + [0x0A]
        var bytes = (magic ?? NpyHeader.magic) + [version, 0]
        for index in 0..<(version == 1 ? 2 : 4) { bytes.append(UInt8(truncatingIfNeeded: text.count >> (8 * index))) }
        return bytes + text + data
    }

    @Test func headersMatchNumPy() {
        #expect(NpyHeader.encode(dtype: .float32, shape: [2, 3]) == Self.numpyHeader(1, "<f4", "(2, 3)"))
        #expect(NpyHeader.encode(dtype: .float64, shape: [3], version: .v2) == Self.numpyHeader(2, "<f8", "(3,)"))
        #expect(NpyHeader.encode(dtype: .int64, shape: [0], version: .v3) == Self.numpyHeader(3, "<i8", "(0,)"))
        // The literal NumPy bytes: 118 = 0x76 header bytes, so the data starts at 128.
        let numpy = Self.numpyHeader(1, "<f4", "(2, 3)")
        #expect(numpy.count == 128 && numpy[8] == 0x76 && numpy[9] == 0)
    }

    @Test(arguments: NpyVersion.allCases)
    func float32RoundTrip(version: NpyVersion) throws {
        let values: [Float] = [1, -2.5, .infinity, -.infinity, 0, .leastNonzeroMagnitude * 7]
        let bytes = NpyWriter.encode(values, shape: [2, 3], version: version)
        #expect(bytes.count == 128 + 24)
        let header = try Self.parse(bytes)
        #expect(header.version == version && header.dtype == .float32 && header.shape == [2, 3])
        #expect(header.dataOffset == 128 && header.elementCount == 6 && header.dataByteCount == 24)
        let array = try Self.readFloats(bytes)
        #expect(array.shape == [2, 3] && array.storedDType == .float32)
        #expect(array.values == values)
    }

    @Test(arguments: NpyVersion.allCases)
    func float64AndInt64RoundTrips(version: NpyVersion) throws {
        let doubles: [Double] = [0.1, -1e300, .infinity, .leastNonzeroMagnitude]
        let bytes = NpyWriter.encode(doubles, shape: [4], version: version)
        let array = try bytes.withUnsafeBytes { try NpyReader.read(Double.self, from: $0) }
        #expect(array.values == doubles && array.shape == [4])
        let integers: [Int64] = [0, -1, .max, .min, 42, 7]
        let intBytes = NpyWriter.encode(integers, shape: [3, 2], version: version)
        let intArray = try intBytes.withUnsafeBytes { try NpyReader.read(Int64.self, from: $0) }
        #expect(intArray.values == integers && intArray.shape == [3, 2])
    }

    @Test func float64IsRoundedToFloat32() throws {
        // Just below the midpoint between the largest float32 and 2^128, which rounds to infinity.
        let doubles: [Double] = [0.1, -2.75, 1e-50, -.infinity, 3.4028235677973362e38]
        let array = try Self.readFloats(NpyWriter.encode(doubles, shape: [5]))
        #expect(array.values == [Float(0.1), -2.75, 0, -.infinity, .greatestFiniteMagnitude])
        #expect(array.storedDType == .float64)
        let nan = try Self.readFloats(NpyWriter.encode([Double.nan], shape: [1]))
        #expect(nan.values[0].isNaN)
    }

    @Test func float64TooLargeForFloat32IsRefused() {
        #expect(throws: NpyError.float32Overflow(index: 2, value: 1e39)) {
            try Self.readFloats(NpyWriter.encode([1, 2, 1e39] as [Double], shape: [3]))
        }
        #expect(throws: NpyError.float32Overflow(index: 0, value: -3.4028235677973366e38)) {
            try Self.readFloats(NpyWriter.encode([-3.4028235677973366e38] as [Double], shape: [1]))
        }
    }

    /// More than one 16 MiB chunk from memory, and the same values converted in pieces as the
    /// tool's streaming reader does.
    @Test func largeArraysAreConvertedInChunks() throws {
        let count = 2_500_000 * 2 + 3
        let doubles = (0..<count).map { Double($0) * 0.25 - 1000 }
        let bytes = NpyWriter.encode(doubles, shape: [count])
        let expected = doubles.map { Float($0) }
        #expect(try Self.readFloats(bytes).values == expected)
        let header = try bytes.withUnsafeBytes { try NpyHeader(parsing: $0) }
        let prefixLength = try bytes.withUnsafeBytes {
            try NpyHeader.length(ofPrefix: UnsafeRawBufferPointer(rebasing: $0[0..<12]))
        }
        #expect(prefixLength == header.dataOffset)
        var pieces = [Float](repeating: 0, count: count)
        try bytes.withUnsafeBytes { raw in
            try pieces.withUnsafeMutableBufferPointer { target in
                var start = 0
                while start < count {
                    let n = min(999_983, count - start)
                    let data = UnsafeRawBufferPointer(
                        rebasing: raw[(header.dataOffset + 8 * start)..<(header.dataOffset + 8 * (start + n))])
                    try NpyReader.convert(
                        data, from: .float64, into: UnsafeMutableBufferPointer(rebasing: target[start...]), count: n,
                        firstIndex: start)
                    start += n
                }
            }
        }
        #expect(pieces == expected)
        var tooLarge = doubles
        tooLarge[count - 2] = 1e40
        #expect(throws: NpyError.float32Overflow(index: count - 2, value: 1e40)) {
            try Self.readFloats(NpyWriter.encode(tooLarge, shape: [count]))
        }
    }

    @Test func emptyAndZeroDimensionalArrays() throws {
        let empty = try Self.readFloats(NpyWriter.encode([Float](), shape: [0, 5]))
        #expect(empty.shape == [0, 5] && empty.values.isEmpty)
        let scalar = try Self.readFloats(NpyWriter.encode([Float(4)], shape: []))
        #expect(scalar.shape == [] && scalar.values == [4])
        #expect(throws: NpyError.unsupportedDimensions(count: 0, allowed: 1...2)) {
            try Self.readFloats(NpyWriter.encode([Float(4)], shape: []), dimensions: 1...2)
        }
    }

    @Test func headersNumPyMayWriteDifferently() throws {
        // Double quotes, no trailing comma, extra spaces, Python 2 long integers, keys in another order.
        let header = try Self.parse(
            Self.file(header: #"{ "shape" : ( 2L , 1 ) , "descr":"<f8","fortran_order":False}"#))
        #expect(header.shape == [2, 1] && header.dtype == .float64)
        let native = try Self.parse(Self.file(header: "{'descr': '=f4', 'fortran_order': False, 'shape': ()}"))
        #expect(native.dtype == .float32 && native.shape == [] && native.elementCount == 1)
    }

    @Test func truncationAndMagic() {
        let good = NpyWriter.encode([Float](repeating: 1, count: 6), shape: [2, 3])
        #expect(throws: NpyError.badMagic) { try Self.readFloats(Array("PK\u{3}\u{4} a zip file".utf8)) }
        #expect(throws: NpyError.badMagic) { try Self.readFloats([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x58, 1, 0, 0, 0]) }
        #expect(throws: NpyError.truncatedHeader(expected: 10, actual: 0)) { try Self.readFloats([]) }
        #expect(throws: NpyError.truncatedHeader(expected: 10, actual: 4)) { try Self.readFloats(Array(good[0..<4])) }
        #expect(throws: NpyError.truncatedHeader(expected: 10, actual: 9)) { try Self.readFloats(Array(good[0..<9])) }
        #expect(throws: NpyError.truncatedHeader(expected: 128, actual: 100)) {
            try Self.readFloats(Array(good[0..<100]))
        }
        #expect(throws: NpyError.truncatedData(expectedBytes: 24, actualBytes: 23)) {
            try Self.readFloats(Array(good.dropLast()))
        }
        #expect(throws: NpyError.trailingData(extraBytes: 1)) { try Self.readFloats(good + [0]) }
    }

    @Test func versions() throws {
        var bytes = NpyWriter.encode([Float(1)], shape: [1])
        bytes[6] = 4
        #expect(throws: NpyError.unsupportedVersion(major: 4, minor: 0)) { try Self.readFloats(bytes) }
        bytes[6] = 1
        bytes[7] = 1
        #expect(throws: NpyError.unsupportedVersion(major: 1, minor: 1)) { try Self.readFloats(bytes) }
        // Version 3.0 allows UTF-8 in the header, 1.0 and 2.0 only ASCII.
        let utf8Header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }   é"
        #expect(throws: NpyError.invalidHeaderEncoding(version: .v1)) {
            try Self.parse(Self.file(header: utf8Header))
        }
        let accentOffset = 12 + utf8Header.utf8.count - 2
        #expect(throws: NpyError.malformedHeader(reason: "unexpected text after the dictionary", offset: accentOffset))
        {
            try Self.parse(Self.file(header: utf8Header, version: 3))
        }
        #expect(throws: NpyError.invalidHeaderEncoding(version: .v3)) {
            try Self.parse(Self.file(header: "{'descr': '<f4\u{FF}'}", version: 3).map { $0 == 0xC3 ? 0xFF : $0 })
        }
    }

    @Test(arguments: [
        ("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", NpyError.bigEndian(">f4")),
        ("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", NpyError.bigEndian(">f8")),
        ("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", NpyError.unsupportedDType("<i4")),
        ("{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }", NpyError.unsupportedDType("|u1")),
        ("{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }", NpyError.unsupportedDType("<f2")),
        (
            "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }",
            NpyError.unsupportedDType("structured (a list of fields)")
        ),
        ("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", NpyError.fortranOrder),
        ("{'descr': '<f4', 'shape': (1,), }", NpyError.missingKey("fortran_order")),
        ("{'descr': '<f4', 'fortran_order': False, }", NpyError.missingKey("shape")),
        ("{'fortran_order': False, 'shape': (1,), }", NpyError.missingKey("descr")),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", NpyError.unexpectedKey("extra")),
        ("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", NpyError.unexpectedKey("descr")),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 2), }", NpyError.invalidShape([-1, 2])),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 2), }",
            NpyError.invalidShape([4_611_686_018_427_387_904, 2])
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1152921504606846976,), }",
            NpyError.invalidShape([1_152_921_504_606_846_976])
        ),
        // NumPy refuses these although they hold no element: the item size times the nonzero
        // dimensions must fit in a signed 64-bit size.
        (
            "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4611686018427387904), }",
            NpyError.invalidShape([0, 4_611_686_018_427_387_904])
        ),
        (
            "{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807, 0), }",
            NpyError.invalidShape([9_223_372_036_854_775_807, 0])
        ),
    ])
    func refusedHeaders(header: String, error: NpyError) {
        #expect(throws: error) { try Self.parse(Self.file(header: header)) }
    }

    /// The largest shapes NumPy accepts with a zero dimension are accepted, with no data.
    @Test func zeroDimensionsBesideLargeOnes() throws {
        let header = try Self.parse(
            Self.file(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 2305843009213693951), }"))
        #expect(header.elementCount == 0 && header.dataByteCount == 0)
        let rows = try Self.parse(
            Self.file(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 0), }"))
        #expect(rows.shape == [1 << 40, 0] && rows.dataByteCount == 0)
    }

    @Test(arguments: [
        "{'descr': '<f4', 'fortran_order': False, 'shape': (3), }",
        "{'descr': '<f4', 'fortran_order': false, 'shape': (3,), }",
        "{'descr': '<f4' 'fortran_order': False, 'shape': (3,), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': [3], }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), ",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), } x",
        "{'descr': '<f4, 'fortran_order': False, 'shape': (3,), }",
        "{'descr': '<f\\4', 'fortran_order': False, 'shape': (3,), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }",
        "{descr: '<f4', 'fortran_order': False, 'shape': (3,), }",
        "'descr': '<f4', 'fortran_order': False, 'shape': (3,)",
        "",
    ])
    func malformedHeaders(header: String) {
        #expect {
            try Self.parse(Self.file(header: header))
        } throws: { error in
            guard case .malformedHeader(let reason, let offset)? = error as? NpyError else { return false }
            return !reason.isEmpty && offset >= 10 && offset <= 10 + header.utf8.count + 1
        }
    }

    @Test func dimensionLimitAndTypeMismatch() {
        let cube = NpyWriter.encode([Float](repeating: 0, count: 8), shape: [2, 2, 2])
        #expect(throws: NpyError.unsupportedDimensions(count: 3, allowed: 1...2)) {
            try Self.readFloats(cube, dimensions: 1...2)
        }
        let integers = NpyWriter.encode([Int64(1)], shape: [1])
        #expect(throws: NpyError.dtypeMismatch(found: .int64, requested: NpyDType.float32.description)) {
            try Self.readFloats(integers)
        }
    }

    @Test func errorMessagesNameTheProblem() {
        #expect(NpyError.bigEndian(">f4").description.contains("big-endian"))
        #expect(NpyError.fortranOrder.description.contains("Fortran"))
        #expect(NpyError.badMagic.description.contains("magic"))
        #expect(NpyError.truncatedData(expectedBytes: 24, actualBytes: 20).description.contains("truncated"))
        #expect(NpyError.unsupportedDimensions(count: 3, allowed: 1...2).description.contains("3 dimensions"))
        #expect(NpyError.invalidShape([5]).description.contains("(5,)"))
    }
}
