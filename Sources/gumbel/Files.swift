import NumpyFormat

/// A row-major `[rows, columns]` batch of logits as read from the input.
struct LogitMatrix {
    var rows: Int
    var columns: Int
    var values: [Float]
    /// The input was a 1-D `.npy` array (`rows == 1`); outputs of the same shape stay 1-D.
    var isVector: Bool

    /// The input's shape, as a `.npy` output of the same shape would have it.
    var shape: [Int] { isVector ? [columns] : [rows, columns] }
}

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

enum InputFile {
    /// Reads logits from a `.npy` file (float32 or float64, 1-D or 2-D), a `.csv` file or `-`.
    ///
    /// float64 values are rounded to the nearest float32; a finite value too large for float32 is
    /// refused. Infinities and NaN pass through, for the sampler to accept (`-inf`) or refuse.
    static func read(path: String) throws(CommandFailure) -> LogitMatrix {
        switch FileKind(path: path) {
        case .npy:
            let array: NpyArray<Float>
            do {
                array = try NpyReader.read(Float.self, contentsOf: path, dimensions: 1...2)
            } catch {
                throw CommandFailure("\(path): \(error.description)")
            }
            if array.shape.count == 1 {
                return LogitMatrix(rows: 1, columns: array.shape[0], values: array.values, isVector: true)
            }
            return LogitMatrix(rows: array.shape[0], columns: array.shape[1], values: array.values, isVector: false)
        case .csv:
            return try CSV.parse(SystemIO.readAllNulTerminated(path: path), source: path)
        case .standardStream:
            return try CSV.parse(SystemIO.readAllNulTerminated(path: path), source: "standard input")
        case nil:
            throw CommandFailure("input '\(path)' must end in .npy or .csv, or be '-' for CSV on standard input")
        }
    }
}

enum OutputFile {
    /// Writes float32 results: `.npy` of `shape`, CSV with `columns` values a line, or CSV on
    /// standard output for `-`. Files are replaced atomically.
    static func write(_ values: [Float], shape: [Int], to path: String) throws {
        try write(values, shape: shape, to: path) { $0.description }
    }

    /// Writes int64 results (category indices) the same way.
    static func write(_ indices: [Int], shape: [Int], to path: String) throws {
        let values = indices.map { Int64($0) }
        try write(values, shape: shape, to: path) { $0.description }
    }

    private static func write<Element: NpyElement>(
        _ values: [Element], shape: [Int], to path: String, format: (Element) -> String
    ) throws {
        // A 1-D float output (a sample of one vector) is one CSV line; 1-D indices are one per line.
        let csvColumns: Int
        if shape.count == 2 {
            csvColumns = shape[1]
        } else if Element.npyDType == .int64 {
            csvColumns = 1
        } else {
            csvColumns = shape.first ?? 1
        }
        switch FileKind(path: path) {
        case .npy:
            try AtomicFile.replace(path: path) { sink in
                let header = NpyHeader.encode(dtype: Element.npyDType, shape: shape)
                try header.withUnsafeBytes { (bytes) throws in try sink.append(raw: bytes) }
                try values.withUnsafeBytes { (bytes) throws in try sink.append(raw: bytes) }
            }
        case .csv:
            try AtomicFile.replace(path: path) { sink in
                try CSV.write(values, columns: csvColumns, to: sink, format: format)
            }
        case .standardStream:
            let sink = ByteSink(descriptor: 1, name: "standard output")
            try CSV.write(values, columns: csvColumns, to: sink, format: format)
            try sink.flush()
        case nil:
            throw CommandFailure("output '\(path)' must end in .npy or .csv, or be '-' for CSV on standard output")
        }
    }
}
