/// A `.npy` file that this module refuses to read, with what is wrong and where.
///
/// Byte offsets count from the start of the file.
public enum NpyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file does not start with the magic string `\x93NUMPY`.
    case badMagic
    /// The format version is not 1.0, 2.0 or 3.0.
    case unsupportedVersion(major: UInt8, minor: UInt8)
    /// The file ends inside the preamble or the header: `expected` bytes are needed, `actual` exist.
    case truncatedHeader(expected: Int, actual: Int)
    /// The header is not ASCII (versions 1.0 and 2.0) or not UTF-8 (version 3.0).
    case invalidHeaderEncoding(version: NpyVersion)
    /// The header is not the Python literal of a dictionary this module understands.
    case malformedHeader(reason: String, offset: Int)
    /// The header dictionary lacks one of `descr`, `fortran_order` and `shape`.
    case missingKey(String)
    /// The header dictionary has a key other than `descr`, `fortran_order` and `shape`, or one twice.
    case unexpectedKey(String)
    /// The data type is not one this module reads (`<f4`, `<f8`, `<i8`).
    case unsupportedDType(String)
    /// The data type is big-endian (`>f4`, ...): only little-endian data is read.
    case bigEndian(String)
    /// The array is stored in Fortran (column-major) order: only C order is read.
    case fortranOrder
    /// A dimension is negative, or the element count or byte size overflows `Int`.
    case invalidShape([Int])
    /// The array has a number of dimensions the reader does not accept.
    case unsupportedDimensions(count: Int, allowed: ClosedRange<Int>)
    /// The file ends before all the data the shape promises.
    case truncatedData(expectedBytes: Int, actualBytes: Int)
    /// The file has bytes after the data the shape promises.
    case trailingData(extraBytes: Int)
    /// The array's data type cannot be read as the requested Swift type.
    case dtypeMismatch(found: NpyDType, requested: String)
    /// A finite float64 value becomes infinite when rounded to float32.
    case float32Overflow(index: Int, value: Double)

    public var description: String {
        switch self {
        case .badMagic:
            return "not a .npy file: it does not start with the magic string \\x93NUMPY"
        case .unsupportedVersion(let major, let minor):
            return ".npy format version \(major).\(minor) is not supported (only 1.0, 2.0 and 3.0)"
        case .truncatedHeader(let expected, let actual):
            return ".npy header is truncated: it needs \(expected) bytes but the file has \(actual)"
        case .invalidHeaderEncoding(let version):
            let encoding = version == .v3 ? "UTF-8" : "ASCII"
            return ".npy header is not valid \(encoding) (format version \(version))"
        case .malformedHeader(let reason, let offset):
            return "malformed .npy header at byte \(offset): \(reason)"
        case .missingKey(let key):
            return "malformed .npy header: the dictionary has no '\(key)' key"
        case .unexpectedKey(let key):
            return "malformed .npy header: unexpected or repeated key '\(key)'"
        case .unsupportedDType(let descr):
            return ".npy data type '\(descr)' is not supported (use float32 '<f4', float64 '<f8' or int64 '<i8')"
        case .bigEndian(let descr):
            return ".npy data type '\(descr)' is big-endian: only little-endian data is supported"
        case .fortranOrder:
            return ".npy array is in Fortran (column-major) order: only C order is supported; save the array in C order"
                + " (NumPy: np.save(path, np.ascontiguousarray(a)))"
        case .invalidShape(let shape):
            return
                ".npy shape \(Self.format(shape)) is invalid: dimensions must be >= 0 and the size must fit in memory"
        case .unsupportedDimensions(let count, let allowed):
            let range =
                allowed.lowerBound == allowed.upperBound
                ? "\(allowed.lowerBound)" : "\(allowed.lowerBound) to \(allowed.upperBound)"
            return ".npy array has \(count) dimensions: \(range) supported"
        case .truncatedData(let expected, let actual):
            return ".npy data is truncated: the shape needs \(expected) bytes but the file has \(actual)"
        case .trailingData(let extra):
            return ".npy file has \(extra) unexpected bytes after the data the shape describes"
        case .dtypeMismatch(let found, let requested):
            return ".npy data type \(found) cannot be read as \(requested)"
        case .float32Overflow(let index, let value):
            return "float64 value \(value) at flat index \(index) is too large for float32"
        }
    }

    static func format(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }
}
