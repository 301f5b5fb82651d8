/// Encodes arrays in the `.npy` format (little-endian, C order).
public enum NpyWriter {
    /// Encodes a whole `.npy` file: header and data.
    ///
    /// - Parameters:
    ///   - values: The elements, row-major; `shape.reduce(1, *)` of them.
    ///   - shape: The dimensions.
    ///   - version: The format version; `nil` picks the oldest that fits (see `NpyHeader.encode`).
    /// - Returns: The file's bytes.
    /// - Complexity: O(n) for n elements.
    public static func encode<Element: NpyElement>(
        _ values: [Element], shape: [Int], version: NpyVersion? = nil
    ) -> [UInt8] {
        precondition(shape.reduce(1, *) == values.count, "the shape does not match the number of values")
        var bytes = NpyHeader.encode(dtype: Element.npyDType, shape: shape, version: version)
        values.withUnsafeBytes { bytes += $0 }
        return bytes
    }
}
