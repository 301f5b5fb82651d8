import GumbelSoftmax
import NumpyFormat

/// `--row-streams FILE`: one `(seed, stream, position)` per logits row (SPEC section 3), read a
/// block at a time alongside the logits so that memory never holds the whole file.
///
/// A `.npy` file holds a uint64 `<u8` array of shape `(B, 3)`; a CSV file holds three unsigned
/// decimal integers per line (blank lines, spaces and tabs around a value, `\r\n` line ends and a
/// byte-order mark are ignored, as for CSV logits).
protocol RowStreamSource: AnyObject {
    /// The file's name for messages.
    var name: String { get }
    /// The number of rows, when the file says it up front (.npy); nil for CSV.
    var declaredRows: Int? { get }
    /// Reads what comes before the rows.
    func begin() throws(CommandFailure)
    /// Reads up to `maxRows` streams into `target` (memory that may be uninitialised); returns how
    /// many, fewer only at the end.
    func nextRows(into target: UnsafeMutableBufferPointer<RowStream>, maxRows: Int) throws(CommandFailure) -> Int
    /// Reads the rest of the file; returns how many rows it held.
    func countRemaining() throws(CommandFailure) -> Int
}

/// Opens the row streams: a .npy or a .csv file (never standard input, which may hold
/// the logits).
func openRowStreams(_ file: DataFile) throws(CommandFailure) -> any RowStreamSource {
    switch file.kind {
    case .npy: return NpyRowStreams(input: try InputFile(path: file.path))
    case .csv: return CSVRowStreams(csv: try CSVSource(input: InputFile(path: file.path)))
    case .standardStream, nil:
        throw CommandFailure("--row-streams must name a .npy or .csv file (not standard input); got '\(file.path)'")
    }
}

/// The refusal of a row-stream file with `streams` rows for `logits` rows of logits.
func rowCountMismatch(_ name: String, streams: Int, logits: Int) -> CommandFailure {
    CommandFailure(
        "\(name) has \(streams) row stream\(streams == 1 ? "" : "s") but the logits have \(logits)"
            + " row\(logits == 1 ? "" : "s") (--row-streams needs exactly one per logits row)")
}

/// A `.npy` uint64 array of shape `(B, 3)`: seed, stream, position per row.
final class NpyRowStreams: RowStreamSource {
    private let input: InputFile
    private var rows = 0
    private var rowsRead = 0
    private var dataBytes = 0

    init(input: consuming InputFile) {
        self.input = input
    }

    var name: String { input.name }
    var declaredRows: Int? { rows }

    private func failure(_ error: NpyError) -> CommandFailure {
        switch error {
        case .unsupportedDType(let descr):
            return CommandFailure(
                "\(input.name): .npy data type '\(descr)' is not supported for row streams: save them as uint64 '<u8'"
                    + " of shape (B, 3) (NumPy: np.save(path, a.astype(np.uint64)))")
        default:
            return CommandFailure("\(input.name): \(error.description)")
        }
    }

    func begin() throws(CommandFailure) {
        let name = input.name
        let header = try readNpyHeader(from: input, failure: failure) { (header) throws(NpyError) in
            guard header.dtype == .uint64 else { throw .unsupportedDType(header.dtype.descr) }
        }
        guard header.shape.count == 2, header.shape[1] == 3 else {
            let shape = "(" + header.shape.map(String.init).joined(separator: ", ") + ")"
            throw CommandFailure(
                "\(name): row streams must have shape (B, 3): seed, stream, position per row; got \(shape)")
        }
        rows = header.shape[0]
        dataBytes = header.dataByteCount
    }

    func nextRows(into target: UnsafeMutableBufferPointer<RowStream>, maxRows: Int) throws(CommandFailure) -> Int {
        let count = min(maxRows, rows - rowsRead)
        guard count > 0 else { return 0 }
        let byteCount = count * 24
        let staging = try ScratchBuffer<UInt8>(count: byteCount, for: "reading \(input.name)")
        let raw = UnsafeRawBufferPointer(staging.buffer)
        let got = try input.read(into: UnsafeMutableRawBufferPointer(staging.buffer))
        guard got == byteCount else {
            throw failure(.truncatedData(expectedBytes: dataBytes, actualBytes: rowsRead * 24 + got))
        }
        for row in 0..<count {
            // .npy data is little-endian, as are the hosts this tool supports.
            (target.baseAddress! + row).initialize(
                to: RowStream(
                    seed: raw.loadUnaligned(fromByteOffset: 24 * row, as: UInt64.self),
                    stream: raw.loadUnaligned(fromByteOffset: 24 * row + 8, as: UInt64.self),
                    position: raw.loadUnaligned(fromByteOffset: 24 * row + 16, as: UInt64.self)))
        }
        rowsRead += count
        return count
    }

    func countRemaining() throws(CommandFailure) -> Int {
        let remaining = rows - rowsRead
        rowsRead = rows
        return remaining
    }
}

/// CSV with three unsigned decimal integers per line: seed, stream, position.
final class CSVRowStreams: RowStreamSource {
    private let csv: CSVSource
    private var row = 0

    init(csv: CSVSource) {
        self.csv = csv
    }

    var name: String { csv.name }
    var declaredRows: Int? { nil }

    func begin() throws(CommandFailure) {}

    func nextRows(into target: UnsafeMutableBufferPointer<RowStream>, maxRows: Int) throws(CommandFailure) -> Int {
        var count = 0
        while count < maxRows, let stream = try nextStream() {
            (target.baseAddress! + count).initialize(to: stream)
            count += 1
        }
        return count
    }

    func countRemaining() throws(CommandFailure) -> Int {
        var count = 0
        while try nextStream() != nil { count += 1 }
        return count
    }

    /// The next line's stream, skipping blank lines; nil at the end.
    private func nextStream() throws(CommandFailure) -> RowStream? {
        while let range = try csv.nextLine() {
            guard let fields = CSVSource.fieldCount(csv.bytes.buffer, range) else { continue }
            row += 1
            let line = csv.line
            guard fields == 3 else {
                throw CommandFailure(
                    "\(name): line \(line) (row \(row)) has \(fields) value\(fields == 1 ? "" : "s");"
                        + " a row stream is 3 unsigned integers: seed,stream,position")
            }
            var values: [UInt64] = [0, 0, 0]
            var start = range.lowerBound
            for index in 0..<3 {
                var end = start
                while end < range.upperBound && csv.bytes.buffer[end] != 0x2C { end += 1 }
                values[index] = try parse(start..<end, line: line, value: index)
                start = end + 1
            }
            return RowStream(seed: values[0], stream: values[1], position: values[2])
        }
        return nil
    }

    private static let fieldNames = ["seed", "stream", "position"]

    /// One field: decimal digits with optional spaces or tabs around them, at most 2^64 - 1.
    private func parse(_ range: Range<Int>, line: Int, value index: Int) throws(CommandFailure) -> UInt64 {
        let buffer = csv.bytes.buffer
        var lower = range.lowerBound
        var upper = range.upperBound
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        while lower < upper && isBlank(buffer[lower]) { lower += 1 }
        while upper > lower && isBlank(buffer[upper - 1]) { upper -= 1 }
        let what = "\(name): line \(line) (row \(row)), value \(index + 1) (\(Self.fieldNames[index]))"
        guard lower < upper else { throw CommandFailure("\(what) is empty") }
        var result: UInt64 = 0
        var tooLarge = false
        var digits = true
        for position in lower..<upper {
            let byte = buffer[position]
            guard (0x30...0x39).contains(byte) else {
                digits = false
                break
            }
            let (times, overflow1) = result.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(byte - 0x30))
            tooLarge = tooLarge || overflow1 || overflow2
            result = sum
        }
        if digits && !tooLarge { return result }
        let field = UnsafeRawPointer(buffer.baseAddress!).withMemoryRebound(to: CChar.self, capacity: upper) {
            CSV.quoted($0, from: lower, to: upper)
        }
        if digits {
            throw CommandFailure("\(what): \(field) is larger than 2^64 - 1 = \(UInt64.max)")
        }
        if buffer[lower] == 0x2D && upper - lower > 1 && (0x30...0x39).contains(buffer[lower + 1]) {
            throw CommandFailure("\(what): '\(field)' is negative: row streams are unsigned 64-bit integers")
        }
        throw CommandFailure("\(what): '\(field)' is not an unsigned integer")
    }
}
