// libFuzzer entry point for the .npy header parser and reader (Sources/NumpyFormat), compiled
// together with those sources by Fuzz/run.sh. Not part of the package build.

/// Parses arbitrary bytes as a .npy file. Any input must either be refused with an `NpyError` or
/// give a header that is self-consistent and survives re-encoding; anything else (a trap, an
/// out-of-bounds read found by AddressSanitizer) is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNpyHeader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let header: NpyHeader
    do {
        header = try NpyHeader(parsing: bytes)
    } catch {
        _ = error.description
        return 0
    }
    precondition(header.dataOffset <= size, "data offset beyond the input")
    precondition(header.shape.allSatisfy { $0 >= 0 }, "negative dimension accepted")
    precondition(header.elementCount * header.dtype.size == header.dataByteCount, "inconsistent sizes")
    let encoded = NpyHeader.encode(dtype: header.dtype, shape: header.shape, version: header.version)
    let reparsed = encoded.withUnsafeBytes { try? NpyHeader(parsing: $0) }
    precondition(reparsed?.shape == header.shape && reparsed?.dtype == header.dtype, "re-encoding changed the header")
    precondition(encoded.count % 64 == 0, "encoded header not padded to 64 bytes")
    // Reading the data: either refused or the right number of elements.
    if header.dataByteCount <= 1 << 24 {
        if let array = try? NpyReader.read(Float.self, from: bytes) {
            precondition(array.values.count == header.elementCount, "wrong element count")
        }
        if let array = try? NpyReader.read(Int64.self, from: bytes, dimensions: 1...2) {
            precondition(array.values.count == header.elementCount, "wrong element count")
        }
    }
    return 0
}
