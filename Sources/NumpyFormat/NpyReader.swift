/// A Swift type that `.npy` data can be read into and written from.
public protocol NpyElement: BitwiseCopyable, Sendable {
    /// The data type this Swift type is stored as.
    static var npyDType: NpyDType { get }
}

extension Float: NpyElement {
    public static var npyDType: NpyDType { .float32 }
}

extension Double: NpyElement {
    public static var npyDType: NpyDType { .float64 }
}

extension Int64: NpyElement {
    public static var npyDType: NpyDType { .int64 }
}

extension UInt64: NpyElement {
    public static var npyDType: NpyDType { .uint64 }
}

/// An array read from a `.npy` file: its shape and its elements in C (row-major) order.
public struct NpyArray<Element: NpyElement> {
    /// The dimensions, outermost first.
    public var shape: [Int]
    /// `shape.reduce(1, *)` elements, row-major.
    public var values: [Element]
    /// The data type the file stored (which may differ from `Element`, see `NpyReader`).
    public var storedDType: NpyDType

    public init(shape: [Int], values: [Element], storedDType: NpyDType) {
        self.shape = shape
        self.values = values
        self.storedDType = storedDType
    }
}

extension NpyArray: Sendable {}
extension NpyArray: Equatable where Element: Equatable {}

/// Reads `.npy` files (NumPy format versions 1.0, 2.0 and 3.0).
///
/// Little-endian `<f4`, `<f8` and `<i8` data in C order is read; anything else is refused with an
/// `NpyError` naming the problem. This module makes no system calls: a reader of files parses the
/// header (`NpyHeader.length(ofPrefix:)`, `NpyHeader(parsing:)`) and converts the data in pieces
/// (`convert`) as it reads them.
///
/// Conversions: `Float` reads float32 as is and float64 rounded to nearest, refusing a finite
/// float64 that would round to infinity (`NpyError.float32Overflow`); infinities and NaN pass
/// through. `Double` reads float32 and float64 exactly. `Int64` reads int64 only.
///
/// This module assumes a little-endian host (x86-64, arm64).
public enum NpyReader {
    /// Reads an array from the whole contents of a `.npy` file held in memory.
    ///
    /// - Parameters:
    ///   - type: The element type to read into.
    ///   - bytes: The complete file.
    ///   - dimensions: The numbers of dimensions to accept.
    /// - Returns: The shape and the elements.
    /// - Throws: `NpyError` for a malformed header, an unsupported data type or order, a shape with
    ///   a refused number of dimensions, a data section shorter or longer than the shape needs, or
    ///   a float64 too large for float32.
    /// - Complexity: O(n) for n elements.
    public static func read<Element: NpyElement>(
        _ type: Element.Type, from bytes: UnsafeRawBufferPointer, dimensions: ClosedRange<Int> = 0...32
    ) throws(NpyError) -> NpyArray<Element> {
        let header = try NpyHeader(parsing: bytes)
        guard dimensions.contains(header.shape.count) else {
            throw .unsupportedDimensions(count: header.shape.count, allowed: dimensions)
        }
        let available = bytes.count - header.dataOffset
        guard available >= header.dataByteCount else {
            throw .truncatedData(expectedBytes: header.dataByteCount, actualBytes: available)
        }
        guard available == header.dataByteCount else {
            throw .trailingData(extraBytes: available - header.dataByteCount)
        }
        let data = UnsafeRawBufferPointer(rebasing: bytes[header.dataOffset...])
        let count = header.elementCount
        var failure: NpyError?
        let values = [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
            let target = UnsafeMutableRawBufferPointer(buffer)
            do throws(NpyError) {
                // In chunks of 16 MiB of the file.
                let chunk = (1 << 24) / header.dtype.size
                var start = 0
                while start < count {
                    let n = min(chunk, count - start)
                    let source = UnsafeRawBufferPointer(
                        rebasing: data[(start * header.dtype.size)..<((start + n) * header.dtype.size)])
                    let destination = UnsafeMutableRawBufferPointer(
                        rebasing: target[(start * Element.npyDType.size)..<((start + n) * Element.npyDType.size)])
                    try convert(
                        source, from: header.dtype, into: destination, as: Element.npyDType, count: n, first: start)
                    start += n
                }
            } catch {
                failure = error
                target.initializeMemory(as: UInt8.self, repeating: 0)
            }
            initialized = count
        }
        if let failure { throw failure }
        return NpyArray(shape: header.shape, values: values, storedDType: header.dtype)
    }

    /// Converts `count` stored elements to `Element`, for a reader that takes the data in pieces.
    ///
    /// - Parameters:
    ///   - data: `count * stored.size` bytes of little-endian data, at any alignment.
    ///   - stored: The data type of the file.
    ///   - target: At least `count` elements.
    ///   - count: The number of elements.
    ///   - firstIndex: The flat index of the first element in the whole array, for error messages.
    /// - Throws: `NpyError.float32Overflow` for a finite float64 too large for float32, and
    ///   `.dtypeMismatch` when `stored` cannot be read as `Element`.
    /// - Complexity: O(`count`).
    public static func convert<Element: NpyElement>(
        _ data: UnsafeRawBufferPointer, from stored: NpyDType, into target: UnsafeMutableBufferPointer<Element>,
        count: Int, firstIndex: Int
    ) throws(NpyError) {
        precondition(data.count >= count * stored.size && target.count >= count, "buffers too small")
        try convert(
            data, from: stored, into: UnsafeMutableRawBufferPointer(target), as: Element.npyDType, count: count,
            first: firstIndex)
    }

    private static func convert(
        _ data: UnsafeRawBufferPointer, from stored: NpyDType, into target: UnsafeMutableRawBufferPointer,
        as requested: NpyDType, count: Int, first: Int
    ) throws(NpyError) {
        guard count > 0, let source = data.baseAddress, let destination = target.baseAddress else { return }
        switch (stored, requested) {
        case (.float32, .float32), (.float64, .float64), (.int64, .int64), (.uint64, .uint64):
            destination.copyMemory(from: source, byteCount: count * stored.size)
        case (.float64, .float32):
            let output = destination.assumingMemoryBound(to: Float.self)
            for index in 0..<count {
                let value = source.loadUnaligned(fromByteOffset: 8 * index, as: Double.self)
                let rounded = Float(value)
                if rounded.isInfinite && value.isFinite { throw .float32Overflow(index: first + index, value: value) }
                output[index] = rounded
            }
        case (.float32, .float64):
            let output = destination.assumingMemoryBound(to: Double.self)
            for index in 0..<count {
                output[index] = Double(source.loadUnaligned(fromByteOffset: 4 * index, as: Float.self))
            }
        default:
            throw .dtypeMismatch(found: stored, requested: requested.description)
        }
    }
}
