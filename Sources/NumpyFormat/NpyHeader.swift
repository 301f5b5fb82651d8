/// A version of the `.npy` format.
///
/// Version 1.0 stores the header length in 2 bytes, 2.0 in 4 bytes; 3.0 is 2.0 with a UTF-8 header.
public enum NpyVersion: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case v1
    case v2
    case v3

    /// The major version byte of the preamble.
    public var major: UInt8 {
        switch self {
        case .v1: return 1
        case .v2: return 2
        case .v3: return 3
        }
    }

    /// The bytes before the header: magic (6), version (2) and the header length (2 or 4).
    public var preambleSize: Int { self == .v1 ? 10 : 12 }

    public var description: String { "\(major).0" }
}

/// The element types this module reads and writes, all little-endian.
public enum NpyDType: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// `<f4`, IEEE 754 binary32.
    case float32
    /// `<f8`, IEEE 754 binary64.
    case float64
    /// `<i8`, two's complement 64-bit integer.
    case int64
    /// `<u8`, unsigned 64-bit integer.
    case uint64

    /// The NumPy `descr` string.
    public var descr: String {
        switch self {
        case .float32: return "<f4"
        case .float64: return "<f8"
        case .int64: return "<i8"
        case .uint64: return "<u8"
        }
    }

    /// The size of one element in bytes.
    public var size: Int { self == .float32 ? 4 : 8 }

    public var description: String {
        switch self {
        case .float32: return "float32 '<f4'"
        case .float64: return "float64 '<f8'"
        case .int64: return "int64 '<i8'"
        case .uint64: return "uint64 '<u8'"
        }
    }

    /// Interprets a `descr` string: `<f4`, `<f8`, `<i8` and `<u8` (also with `=` or no byte-order mark).
    init(descr: String) throws(NpyError) {
        var kind = Substring(descr)
        var bigEndian = false
        if let first = kind.first, "<=>|".contains(first) {
            bigEndian = first == ">"
            kind = kind.dropFirst()
        }
        let dtype: NpyDType
        switch kind {
        case "f4": dtype = .float32
        case "f8": dtype = .float64
        case "i8": dtype = .int64
        case "u8": dtype = .uint64
        default: throw .unsupportedDType(descr)
        }
        if bigEndian { throw .bigEndian(descr) }
        if descr.first == "|" { throw .unsupportedDType(descr) }  // "not applicable" byte order on a wide type
        self = dtype
    }
}

/// The header of a `.npy` file (NumPy's `numpy.lib.format`): version, data type, shape and where
/// the data starts.
///
/// Only the arrays this module reads are described: little-endian `<f4`, `<f8`, `<i8` or `<u8` in C
/// order.
/// A header is parsed from the first bytes of a file without reading the data.
public struct NpyHeader: Sendable, Hashable {
    /// The format version of the file.
    public var version: NpyVersion
    /// The element type.
    public var dtype: NpyDType
    /// The dimensions, outermost first (C order). `[]` is a 0-dimensional array of one element.
    public var shape: [Int]
    /// The number of bytes before the data: preamble plus header.
    public var dataOffset: Int
    /// The product of `shape`.
    public var elementCount: Int
    /// `elementCount * dtype.size`.
    public var dataByteCount: Int

    /// The six magic bytes every `.npy` file starts with.
    public static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    /// The number of bytes of preamble and header, from the first bytes of a file: at least 12
    /// (or the whole file, if shorter).
    ///
    /// - Throws: `NpyError` for a wrong magic string, an unsupported version or a file shorter than
    ///   the preamble.
    public static func length(ofPrefix bytes: UnsafeRawBufferPointer) throws(NpyError) -> Int {
        for index in 0..<min(magic.count, bytes.count) where bytes[index] != magic[index] { throw .badMagic }
        guard bytes.count >= 8 else { throw .truncatedHeader(expected: 10, actual: bytes.count) }
        let preamble: Int
        switch (bytes[6], bytes[7]) {
        case (1, 0): preamble = NpyVersion.v1.preambleSize
        case (2, 0), (3, 0): preamble = NpyVersion.v2.preambleSize
        default: throw .unsupportedVersion(major: bytes[6], minor: bytes[7])
        }
        guard bytes.count >= preamble else { throw .truncatedHeader(expected: preamble, actual: bytes.count) }
        var length = 0
        for index in stride(from: preamble - 1, through: 8, by: -1) { length = length << 8 | Int(bytes[index]) }
        return preamble + length
    }

    /// Parses the header at the start of `bytes` (a whole file, or at least its header).
    ///
    /// The header is the Python literal of a dictionary with exactly the keys `descr`,
    /// `fortran_order` and `shape`, as NumPy writes it.
    ///
    /// - Parameter bytes: The file's first bytes.
    /// - Throws: `NpyError` naming what is wrong: magic, version, truncation, encoding, syntax,
    ///   keys, data type, byte order, Fortran order or shape.
    /// - Complexity: O(header length).
    public init(parsing bytes: UnsafeRawBufferPointer) throws(NpyError) {
        let magic = Self.magic
        for index in 0..<min(magic.count, bytes.count) where bytes[index] != magic[index] { throw .badMagic }
        guard bytes.count >= 8 else { throw .truncatedHeader(expected: 10, actual: bytes.count) }
        let (major, minor) = (bytes[6], bytes[7])
        let version: NpyVersion
        switch (major, minor) {
        case (1, 0): version = .v1
        case (2, 0): version = .v2
        case (3, 0): version = .v3
        default: throw .unsupportedVersion(major: major, minor: minor)
        }
        let preamble = version.preambleSize
        guard bytes.count >= preamble else { throw .truncatedHeader(expected: preamble, actual: bytes.count) }
        var length = 0
        for index in stride(from: preamble - 1, through: 8, by: -1) { length = length << 8 | Int(bytes[index]) }
        let end = preamble + length
        guard bytes.count >= end else { throw .truncatedHeader(expected: end, actual: bytes.count) }
        let text = UnsafeRawBufferPointer(rebasing: bytes[preamble..<end])
        if version == .v3 {
            guard String(validating: text, as: UTF8.self) != nil else { throw .invalidHeaderEncoding(version: version) }
        } else {
            guard text.allSatisfy({ $0 < 0x80 }) else { throw .invalidHeaderEncoding(version: version) }
        }
        var parser = HeaderParser(text: text, baseOffset: preamble)
        let fields = try parser.parseDictionary()
        if fields.fortranOrder { throw .fortranOrder }
        let dtype = try NpyDType(descr: fields.descr)
        // NumPy's rule (PyArray_NewFromDescr): the item size times every nonzero dimension must fit
        // in a signed 64-bit size, even when another dimension is 0. `(0, 2**62)` of float32 is refused.
        var count = 1
        var nonzeroBytes = dtype.size
        for dimension in fields.shape {
            guard dimension >= 0 else { throw .invalidShape(fields.shape) }
            if dimension == 0 {
                count = 0
                continue
            }
            let (bytes, overflow) = nonzeroBytes.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw .invalidShape(fields.shape) }
            nonzeroBytes = bytes
            count = count == 0 ? 0 : count * dimension
        }
        let byteCount = count * dtype.size
        self.version = version
        self.dtype = dtype
        self.shape = fields.shape
        self.dataOffset = end
        self.elementCount = count
        self.dataByteCount = byteCount
    }

    /// Encodes a header as NumPy does: the dictionary, padded with spaces and a newline so that the
    /// data starts at a multiple of 64 bytes.
    ///
    /// - Parameters:
    ///   - dtype: The element type.
    ///   - shape: The dimensions; each at least 0.
    ///   - version: The format version; `nil` picks 1.0, or 2.0 when the header is too long for 1.0.
    ///     A header too long for an explicit 1.0 is written as 2.0.
    /// - Returns: The preamble and header; the data follows directly.
    /// - Complexity: O(`shape.count`).
    public static func encode(dtype: NpyDType, shape: [Int], version: NpyVersion? = nil) -> [UInt8] {
        precondition(shape.allSatisfy { $0 >= 0 }, "dimensions must not be negative")
        let dictionary = "{'descr': '\(dtype.descr)', 'fortran_order': False, 'shape': \(NpyError.format(shape)), }"
        var chosen = version ?? .v1
        func padded(_ preamble: Int) -> Int {
            let unpadded = preamble + dictionary.utf8.count + 1
            return (unpadded + 63) / 64 * 64 - preamble
        }
        if chosen == .v1 && padded(10) > Int(UInt16.max) { chosen = .v2 }
        let length = padded(chosen.preambleSize)
        var bytes = magic
        bytes.reserveCapacity(chosen.preambleSize + length)
        bytes += [chosen.major, 0]
        let lengthBytes = chosen == .v1 ? 2 : 4
        for index in 0..<lengthBytes { bytes.append(UInt8(truncatingIfNeeded: length >> (8 * index))) }
        bytes += dictionary.utf8
        bytes += [UInt8](repeating: 0x20, count: length - dictionary.utf8.count - 1)
        bytes.append(0x0A)
        return bytes
    }
}
