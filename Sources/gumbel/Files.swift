import NumpyFormat

/// The kinds of file the tool reads and writes, chosen by the path.
enum FileKind {
    case npy
    case csv
    /// `-`: CSV on standard input or standard output.
    case standardStream

    init?(path: String) {
        if path == "-" {
            self = .standardStream
            return
        }
        let lowered = path.lowercased()
        if lowered.hasSuffix(".npy") {
            self = .npy
        } else if lowered.hasSuffix(".csv") {
            self = .csv
        } else {
            return nil
        }
    }
}

/// A file named on the command line and its kind, chosen once from the path.
struct DataFile {
    var path: String
    /// nil for a path that names no kind the tool reads or writes (refused with the options).
    var kind: FileKind?

    init(path: String) {
        self.path = path
        self.kind = FileKind(path: path)
    }
}

/// What a logit source knows before its rows are read.
struct LogitShape {
    /// `B`, when the input says it up front (.npy); nil for CSV, which is counted as it is read.
    var rows: Int?
    /// `K`, the number of categories.
    var columns: Int
    /// A 1-D `.npy` array (one row); outputs of the same shape stay 1-D.
    var isVector: Bool
    /// The dimensions of a `.npy` array before `K` (`[]` for 1-D; their product is `B`); nil for
    /// CSV, whose batch is `[B]`.
    var batch: [Int]? = nil
    /// The type the input stores its values as: `.float64` for a float64 `.npy` file, `.float32`
    /// for a float32 one and for CSV (the default of `--dtype`).
    var elementType = ElementType.float32
}

/// Logits read a block of rows at a time.
protocol LogitSource: AnyObject {
    /// The input's name for messages.
    var name: String { get }
    /// Reads what comes before the rows (a .npy header, CSV up to the first row).
    func begin() throws(CommandFailure) -> LogitShape
    /// The type the input stores its values as, the default of `--dtype` (`LogitShape.elementType`),
    /// found before `begin()`: CSV reads nothing for it.
    func storedElementType() throws(CommandFailure) -> ElementType
    /// Reads up to `maxRows` rows into `target` (`maxRows * K` values); returns how many, 0 at the end.
    func nextRows<Scalar: LogitScalar>(
        into target: UnsafeMutableBufferPointer<Scalar>, maxRows: Int
    ) throws(CommandFailure) -> Int
    /// Checks what follows the last row.
    func finish() throws(CommandFailure)
}

/// Opens the logits: a .npy file, a .csv file, or `-` for CSV on standard input.
func openLogits(_ file: DataFile) throws(CommandFailure) -> any LogitSource {
    switch file.kind {
    case .npy: return try NpySource(input: InputFile(path: file.path))
    case .csv, .standardStream: return try CSVSource(input: InputFile(path: file.path))
    case nil:
        throw CommandFailure("input '\(file.path)' must end in .npy or .csv, or be '-' for CSV on standard input")
    }
}

/// A `.npy` file of float32 or float64 logits of shape `[..., K]` (any number of dimensions from
/// one), read with `read(2)` a block at a time.
///
/// Values are read as the scalar asked for: float32 values are widened to float64 exactly, and
/// float64 values are rounded to the nearest float32, a finite value too large for float32 refused. Infinities and NaN pass through, for the sampler to accept (`-inf`) or refuse.
final class NpySource: LogitSource {
    private let input: InputFile
    private var header: NpyHeader?
    /// What `begin()` returned: a second call returns it again.
    private var shape: LogitShape?
    private var rowsRead = 0
    private var columns = 0
    private var rows = 0

    /// The largest header read (NumPy itself refuses headers over 10000 bytes by default).
    static let headerLimit = 1 << 20

    init(input: consuming InputFile) {
        self.input = input
    }

    var name: String { input.name }

    private func failure(_ error: NpyError) -> CommandFailure {
        switch error {
        case .unsupportedDType(let descr):
            return CommandFailure(
                "\(input.name): .npy data type '\(descr)' is not supported for logits: save them as float32 '<f4'"
                    + " or float64 '<f8' (NumPy: np.save(path, a.astype(np.float32)))")
        default:
            return CommandFailure("\(input.name): \(error.description)")
        }
    }

    func storedElementType() throws(CommandFailure) -> ElementType { try begin().elementType }

    func begin() throws(CommandFailure) -> LogitShape {
        if let shape { return shape }
        let header = try readNpyHeader(from: input, failure: failure) { (header) throws(NpyError) in
            guard header.dtype != .int64 && header.dtype != .uint64 else {
                throw .unsupportedDType(header.dtype.descr)
            }
        }
        guard let last = header.shape.last else {
            throw CommandFailure(
                "\(input.name): .npy array has 0 dimensions (a scalar): logits need at least one, shape [..., K]")
        }
        self.header = header
        let batch = Array(header.shape.dropLast())
        // NumPy's own limit (checked with the header) keeps the product of the nonzero dimensions in range.
        rows = batch.contains(0) ? 0 : batch.reduce(1, *)
        columns = last
        let shape = LogitShape(
            rows: rows, columns: columns, isVector: batch.isEmpty, batch: batch,
            elementType: header.dtype == .float64 ? .float64 : .float32)
        self.shape = shape
        return shape
    }

    func nextRows<Scalar: LogitScalar>(
        into target: UnsafeMutableBufferPointer<Scalar>, maxRows: Int
    ) throws(CommandFailure) -> Int {
        guard let header else { preconditionFailure("begin() first") }
        let count = min(maxRows, rows - rowsRead)
        guard count > 0 else { return 0 }
        let elements = count * columns
        let first = rowsRead * columns
        let byteCount = elements * header.dtype.size
        let got: Int
        if header.dtype == Scalar.npyDType {
            let raw = UnsafeMutableRawBufferPointer(target)
            got = try input.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<byteCount]))
            try checkLength(got, byteCount, header)
        } else {
            let staging = try ScratchBuffer<UInt8>(count: byteCount, for: "reading \(input.name)")
            got = try input.read(into: UnsafeMutableRawBufferPointer(staging.buffer))
            try checkLength(got, byteCount, header)
            do {
                try NpyReader.convert(
                    UnsafeRawBufferPointer(staging.buffer), from: header.dtype, into: target, count: elements,
                    firstIndex: first)
            } catch {
                throw failure(error)
            }
        }
        rowsRead += count
        return count
    }

    /// A file that ends early (truncated while it is read, or a pipe) is refused here.
    private func checkLength(_ got: Int, _ wanted: Int, _ header: NpyHeader) throws(CommandFailure) {
        guard got < wanted else { return }
        let before = rowsRead * columns * header.dtype.size
        throw failure(.truncatedData(expectedBytes: header.dataByteCount, actualBytes: before + got))
    }

    func finish() throws(CommandFailure) {
        // Bytes after the data: counted up to 1 MiB (a pipe may never end).
        var extra = 0
        let probe = try ScratchBuffer<UInt8>(count: 1 << 16, for: "reading \(input.name)")
        while extra < 1 << 20 {
            let got = try input.read(into: UnsafeMutableRawBufferPointer(probe.buffer))
            if got == 0 { break }
            extra += got
        }
        if extra > 0 { throw failure(.trailingData(extraBytes: extra)) }
    }
}

/// Reads a `.npy` header from the start of `input`, checks it with `check`, and, for a regular
/// file, checks that the data is exactly as long as the header says.
///
/// - Parameter failure: Turns a format error into the message to show.
func readNpyHeader(
    from input: borrowing InputFile, failure: (NpyError) -> CommandFailure,
    check: (NpyHeader) throws(NpyError) -> Void
) throws(CommandFailure) -> NpyHeader {
    // The 8 bytes of magic and version, the rest of the preamble, then the header.
    let prefix = try ScratchBuffer<UInt8>(count: 12, for: "a .npy header")
    let raw = UnsafeMutableRawBufferPointer(prefix.buffer)
    var got = try input.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<8]))
    let preamble = got == 8 && raw[6] == 1 ? 10 : 12
    if got == 8 { got += try input.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[8..<preamble])) }
    let total: Int
    do {
        total = try NpyHeader.length(ofPrefix: UnsafeRawBufferPointer(rebasing: raw[0..<got]))
    } catch {
        throw failure(error)
    }
    guard total <= NpySource.headerLimit else {
        throw CommandFailure(
            "\(input.name): .npy header of \(total - preamble) bytes is too long (at most \(NpySource.headerLimit))")
    }
    let bytes = try ScratchBuffer<UInt8>(count: total, for: "a .npy header")
    let headerBytes = UnsafeMutableRawBufferPointer(bytes.buffer)
    headerBytes.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<got]))
    got += try input.read(into: UnsafeMutableRawBufferPointer(rebasing: headerBytes[got...]))
    do throws(NpyError) {
        let header = try NpyHeader(parsing: UnsafeRawBufferPointer(rebasing: headerBytes[0..<got]))
        try check(header)
        if let size = input.regularFileSize() {
            let available = size - header.dataOffset
            guard available >= header.dataByteCount else {
                throw .truncatedData(expectedBytes: header.dataByteCount, actualBytes: available)
            }
            guard available == header.dataByteCount else {
                throw .trailingData(extraBytes: available - header.dataByteCount)
            }
        }
        return header
    } catch {
        throw failure(error)
    }
}

/// A value the tool writes: its bytes as they are in memory are its `.npy` data (the hosts this
/// tool supports are little-endian, as `.npy` data is), and its description is its CSV text.
protocol ResultElement: BitwiseCopyable, CustomStringConvertible {
    static var npyDType: NpyDType { get }
    /// The value in CSV: its description unless the type says otherwise.
    var csvText: String { get }
}

extension ResultElement {
    var csvText: String { description }
}

extension Float: ResultElement {
    static var npyDType: NpyDType { .float32 }
}

extension Double: ResultElement {
    static var npyDType: NpyDType { .float64 }

    /// 17 significant digits (`%.17g`), which read back as the same double.
    var csvText: String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { buffer in
            _ = withVaList([self]) { vsnprintf(buffer.baseAddress!, 32, "%.17g", $0) }
            return String(cString: buffer.baseAddress!)
        }
    }
}

extension Int: ResultElement {
    /// `Int` is 64 bits wide on the hosts this tool supports.
    static var npyDType: NpyDType { .int64 }
}

/// Where results go, a block of rows at a time: a `.npy` file (header first, rewritten at the end
/// when the number of rows was not known at the start) or CSV.
final class ResultWriter {
    enum Format {
        case npy(NpyDType)
        case csv
    }

    let sink: ByteSink
    let format: Format
    /// The output's shape for `rows` rows.
    let shape: (Int) -> [Int]
    /// Values per CSV line.
    let valuesPerLine: Int
    private var headerLength = 0
    private var knownRows: Int?

    init(sink: ByteSink, format: Format, shape: @escaping (Int) -> [Int], valuesPerLine: Int) {
        self.sink = sink
        self.format = format
        self.shape = shape
        self.valuesPerLine = valuesPerLine
    }

    /// Writes the header: for `rows` rows, or a placeholder of the same length when `rows` is nil.
    func begin(rows: Int?) throws(CommandFailure) {
        guard case .npy(let dtype) = format else { return }
        knownRows = rows
        let header = NpyHeader.encode(dtype: dtype, shape: shape(rows ?? Int.max))
        headerLength = header.count
        try write(header, atOffset: nil)
    }

    /// Writes a block of rows, all of it: what the sink holds is flushed before this returns, so
    /// a refusal found in a later block leaves exactly the earlier blocks' rows, each whole, on a
    /// stream (a file output is removed instead).
    func append<Element: ResultElement>(_ values: UnsafeBufferPointer<Element>) throws(CommandFailure) {
        switch format {
        case .npy: try sink.append(raw: UnsafeRawBufferPointer(values))
        case .csv: try CSV.write(values, columns: valuesPerLine, to: sink) { $0.csvText }
        }
        try sink.flush()
    }

    /// Rewrites a placeholder header with the final number of rows.
    func end(rows: Int) throws(CommandFailure) {
        try sink.flush()
        guard case .npy(let dtype) = format, knownRows == nil else { return }
        // The placeholder was encoded for Int.max rows. A 1-D or 2-D header is 128 bytes for any
        // dimensions (the dictionary is at most 58 + 2 * 19 characters), so this one fits exactly.
        let header = NpyHeader.encode(dtype: dtype, shape: shape(rows))
        precondition(header.count == headerLength, "the .npy header grew")
        try write(header, atOffset: 0)
    }

    /// Appends `bytes`, or writes them at `offset`.
    private func write(_ bytes: [UInt8], atOffset offset: Int64?) throws(CommandFailure) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(CommandFailure) in
                if let offset { try sink.write(raw, atOffset: offset) } else { try sink.append(raw: raw) }
            }
        }
        try result.get()
    }
}
