#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Comma-separated values: one row per line, numbers separated by commas.
///
/// Numbers are parsed with the C library's `strtof` in the C locale, so `1`, `-2.5`, `1e-3`, `inf`,
/// `-inf` and `nan` are all read (and the sampler then refuses NaN and `+inf` with its own message).
/// Spaces and tabs around a number, a `\r` before the newline, blank lines and a UTF-8 byte-order mark
/// at the start are ignored.
/// A number too large for float32 (such as `1e39`) is refused rather than read as infinity.
enum CSV {
    /// Parses NUL-terminated CSV text into a row-major matrix.
    ///
    /// - Parameters:
    ///   - text: The bytes, ending in one NUL byte.
    ///   - source: The input's name for error messages.
    /// - Throws: `CommandFailure` for an empty input, an empty or malformed value, a value too large
    ///   for float32, or a row with a different number of values from the first (naming the line).
    static func parse(_ text: [UInt8], source: String) throws(CommandFailure) -> LogitMatrix {
        precondition(text.last == 0, "CSV text must be NUL-terminated")
        var values: [Float] = []
        values.reserveCapacity(text.count / 4)
        var columns = -1
        var firstLine = 0
        var rows = 0
        let result = text.withUnsafeBufferPointer { (buffer) -> Result<Void, CommandFailure> in
            Result { () throws(CommandFailure) in
                let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
                let end = buffer.count - 1
                // A UTF-8 byte-order mark, as spreadsheet programs write, is not part of the first value.
                var position = end >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF ? 3 : 0
                var line = 0
                while position < end {
                    line += 1
                    var lineEnd = position
                    while lineEnd < end && buffer[lineEnd] != 0x0A { lineEnd += 1 }
                    var contentEnd = lineEnd
                    if contentEnd > position && buffer[contentEnd - 1] == 0x0D { contentEnd -= 1 }
                    let count = try parseLine(
                        base, from: position, to: contentEnd, line: line, source: source, into: &values)
                    if count > 0 {
                        if columns < 0 {
                            columns = count
                            firstLine = line
                        } else if count != columns {
                            throw CommandFailure(
                                "\(source): line \(line) has \(count) values but line \(firstLine) has \(columns)"
                                    + " (every row needs the same number of values)")
                        }
                        rows += 1
                    }
                    position = lineEnd + 1
                }
            }
        }
        try result.get()
        guard rows > 0 else {
            throw CommandFailure(
                "\(source): the CSV input has no rows (for an empty batch use a .npy file of shape (0, K))")
        }
        return LogitMatrix(rows: rows, columns: columns, values: values, isVector: false)
    }

    /// Parses one line `[start, end)`; returns the number of values, 0 for a blank line.
    private static func parseLine(
        _ base: UnsafePointer<CChar>, from start: Int, to end: Int, line: Int, source: String,
        into values: inout [Float]
    ) throws(CommandFailure) -> Int {
        func isBlank(_ index: Int) -> Bool { base[index] == 0x20 || base[index] == 0x09 }
        var position = start
        while position < end && isBlank(position) { position += 1 }
        if position == end { return 0 }
        var count = 0
        while true {
            count += 1
            while position < end && isBlank(position) { position += 1 }
            if position == end || base[position] == 0x2C {
                throw CommandFailure("\(source): line \(line), value \(count) is empty")
            }
            var parsedEnd: UnsafeMutablePointer<CChar>?
            errno = 0
            let value = strtof(base + position, &parsedEnd)
            let range = errno == ERANGE
            var next = parsedEnd.map { UnsafePointer($0) - base } ?? position
            if next > end { next = position }  // cannot happen: a number never spans a newline
            while next < end && isBlank(next) { next += 1 }
            let valid = next > position && (next == end || base[next] == 0x2C)
            if !valid || (range && value.isInfinite) {
                var fieldEnd = position
                while fieldEnd < end && base[fieldEnd] != 0x2C { fieldEnd += 1 }
                let field = text(base, from: position, to: fieldEnd)
                if !valid {
                    throw CommandFailure("\(source): line \(line), value \(count): '\(field)' is not a number")
                }
                throw CommandFailure("\(source): line \(line), value \(count): \(field) is too large for float32")
            }
            values.append(value)
            if next == end { return count }
            position = next + 1
        }
    }

    private static func text(_ base: UnsafePointer<CChar>, from start: Int, to end: Int) -> String {
        let limit = min(end, start + 40)
        let raw = UnsafeRawBufferPointer(start: base + start, count: limit - start)
        let field = String(decoding: raw, as: UTF8.self).trimmingSpaces()
        return limit < end ? field + "..." : field
    }

    /// Writes a row-major matrix as CSV, one row per line, each number in its shortest form that
    /// reads back as the same value.
    static func write<Element>(
        _ values: [Element], columns: Int, to sink: ByteSink, format: (Element) -> String
    ) throws(CommandFailure) {
        guard columns > 0 else { return }
        for (index, value) in values.enumerated() {
            try sink.append(format(value))
            try sink.append(index % columns == columns - 1 ? 0x0A : 0x2C)
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
