/// Comma-separated values: one row per line, numbers separated by commas, read a block of rows at a
/// time.
///
/// Numbers are parsed with the C library's `strtof` (`strtod` for `--dtype float64`) in the C locale, so `1`, `-2.5`, `1e-3`, `inf`,
/// `-inf` and `nan` are all read (and the sampler then refuses NaN and `+inf` with its own message).
/// Spaces and tabs around a number, a `\r` before the newline, blank lines and a UTF-8 byte-order mark
/// at the start are ignored. A number too large for the type (such as `1e39` for float32) is refused rather than
/// read as infinity, and so is a NUL byte anywhere (the input is not text). Only the lines of the
/// current block are held in memory, however long the input: a pipe is never read whole.
final class CSVSource: LogitSource {
    private let input: InputFile
    /// Unparsed input in `[start, end)`, followed by one NUL byte.
    private(set) var bytes: ScratchBuffer<UInt8>
    private var start = 0
    private var end = 0
    private var atEnd = false
    private var sawStart = false
    /// The number of the line most recently taken (1-based).
    private(set) var line = 0
    private var columns = 0
    private var firstLine = 0
    /// The first row's line, found by `begin` and parsed by the first `nextRows`.
    private var pendingFirst: Range<Int>?

    init(input: consuming InputFile) throws(CommandFailure) {
        self.input = input
        bytes = try ScratchBuffer(count: 1 << 16, for: "reading CSV")
        bytes.buffer[0] = 0
    }

    var name: String { input.name }

    func storedElementType() -> ElementType { .float32 }

    func begin() throws(CommandFailure) -> LogitShape {
        while let range = try nextLine() {
            if let count = Self.fieldCount(bytes.buffer, range) {
                columns = count
                firstLine = line
                pendingFirst = range
                return LogitShape(rows: nil, columns: count, isVector: false)
            }
        }
        throw CommandFailure(
            "\(input.name): the CSV input has no rows (for an empty batch use a .npy file of shape (0, K))")
    }

    func nextRows<Scalar: LogitScalar>(
        into target: UnsafeMutableBufferPointer<Scalar>, maxRows: Int
    ) throws(CommandFailure) -> Int {
        var rows = 0
        while rows < maxRows {
            let range: Range<Int>
            let number: Int
            if let first = pendingFirst {
                range = first
                number = firstLine
                pendingFirst = nil
            } else if let next = try nextLine() {
                range = next
                number = line
            } else {
                break
            }
            let count = try parseLine(range, line: number, into: target.baseAddress! + rows * columns)
            if count == 0 { continue }
            guard count == columns else {
                throw CommandFailure(
                    "\(input.name): line \(number) has \(count) values but line \(firstLine) has \(columns)"
                        + " (every row needs the same number of values)")
            }
            rows += 1
        }
        return rows
    }

    func finish() throws(CommandFailure) {}

    /// The number of fields of a line that is not blank (one more than its commas), or nil.
    static func fieldCount(_ buffer: UnsafeMutableBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        var commas = 0
        var blank = true
        for index in range {
            let byte = buffer[index]
            if byte == 0x2C { commas += 1 }
            if byte != 0x20 && byte != 0x09 { blank = false }
        }
        return blank ? nil : commas + 1
    }

    /// The next line's content (without `\n` and a `\r` before it), reading more input as needed;
    /// valid until the next call. Nil at the end of the input.
    func nextLine() throws(CommandFailure) -> Range<Int>? {
        var scanned = start
        while true {
            if sawStart, scanned < end,
                let found = memchr(bytes.buffer.baseAddress! + scanned, 0x0A, end - scanned)
            {
                let newline =
                    UnsafeMutableRawPointer(found).assumingMemoryBound(to: UInt8.self) - bytes.buffer.baseAddress!
                return take(upTo: newline, next: newline + 1)
            }
            if atEnd && sawStart {
                if start == end { return nil }
                return take(upTo: end, next: end)
            }
            // The bytes in hand move to the front; those already searched need no second look,
            // but before the start is seen (a byte-order mark needs 3 bytes) none was searched.
            scanned = sawStart ? end - start : 0
            try refill()
        }
    }

    private func take(upTo lineEnd: Int, next: Int) -> Range<Int> {
        line += 1
        var contentEnd = lineEnd
        if contentEnd > start && bytes.buffer[contentEnd - 1] == 0x0D { contentEnd -= 1 }
        let range = start..<contentEnd
        start = next
        return range
    }

    /// Moves the unparsed bytes to the front, grows the buffer if it is full, and reads more.
    private func refill() throws(CommandFailure) {
        let pending = end - start
        if start > 0 {
            let base = bytes.buffer.baseAddress!
            if pending > 0 { memmove(base, base + start, pending) }
            start = 0
            end = pending
        }
        if end == bytes.buffer.count - 1 {
            try bytes.grow(to: bytes.buffer.count * 2, for: "a CSV line of \(end) bytes from \(input.name)")
        }
        let got = try input.read(
            into: UnsafeMutableRawBufferPointer(
                UnsafeMutableBufferPointer(rebasing: bytes.buffer[end..<(bytes.buffer.count - 1)])))
        if got == 0 { atEnd = true }
        if let nul = memchr(bytes.buffer.baseAddress! + end, 0, got) {
            let offset = UnsafeMutableRawPointer(nul).assumingMemoryBound(to: UInt8.self) - bytes.buffer.baseAddress!
            var number = line + 1
            for index in start..<offset where bytes.buffer[index] == 0x0A { number += 1 }
            throw CommandFailure("\(input.name): line \(number) contains a NUL byte: the input is not CSV text")
        }
        end += got
        bytes.buffer[end] = 0
        if !sawStart && (end >= 3 || atEnd) {
            sawStart = true
            // A UTF-8 byte-order mark, as spreadsheet programs write, is not part of the first value.
            if end >= 3 && bytes.buffer[0] == 0xEF && bytes.buffer[1] == 0xBB && bytes.buffer[2] == 0xBF { start = 3 }
        }
    }

    /// Parses one line; returns the number of values (0 for a blank line) and stores the first
    /// `columns` of them at `target`.
    private func parseLine<Scalar: LogitScalar>(
        _ range: Range<Int>, line: Int, into target: UnsafeMutablePointer<Scalar>
    ) throws(CommandFailure) -> Int {
        let base = UnsafeRawPointer(bytes.buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
        let end = range.upperBound
        func isBlank(_ index: Int) -> Bool { base[index] == 0x20 || base[index] == 0x09 }
        var position = range.lowerBound
        while position < end && isBlank(position) { position += 1 }
        if position == end { return 0 }
        var count = 0
        while true {
            count += 1
            while position < end && isBlank(position) { position += 1 }
            if position == end || base[position] == 0x2C {
                throw CommandFailure("\(input.name): line \(line), value \(count) is empty")
            }
            // strtof and strtod stop at the line's end: a newline, a carriage return or the final NUL.
            var parsedEnd: UnsafeMutablePointer<CChar>?
            errno = 0
            let value = Scalar.parse(base + position, end: &parsedEnd)
            let range = errno == ERANGE
            var next = parsedEnd.map { UnsafePointer($0) - base } ?? position
            if next > end { next = position }
            while next < end && isBlank(next) { next += 1 }
            let valid = next > position && (next == end || base[next] == 0x2C)
            if !valid || (range && value.isInfinite) {
                var fieldEnd = position
                while fieldEnd < end && base[fieldEnd] != 0x2C { fieldEnd += 1 }
                let field = CSV.quoted(base, from: position, to: fieldEnd)
                if !valid {
                    throw CommandFailure("\(input.name): line \(line), value \(count): '\(field)' is not a number")
                }
                throw CommandFailure(
                    "\(input.name): line \(line), value \(count): \(field) is too large for"
                        + " \(Scalar.elementType.rawValue)")
            }
            if count <= columns { target[count - 1] = value }
            if next == end { return count }
            position = next + 1
        }
    }
}

enum CSV {
    /// Up to 40 bytes of a field for a message, spaces trimmed, with control bytes escaped (`\r`,
    /// `\t`, `\x00`, ...) so that a message never moves the cursor or hides text.
    static func quoted(_ base: UnsafePointer<CChar>, from start: Int, to end: Int) -> String {
        let limit = min(end, start + 40)
        let raw = UnsafeRawBufferPointer(start: base + start, count: limit - start)
        let field = String(decoding: raw, as: UTF8.self).trimmingSpaces()
        var text = ""
        for scalar in field.unicodeScalars {
            switch scalar {
            case "\r": text += "\\r"
            case "\n": text += "\\n"
            case "\t": text += "\\t"
            case "\\": text += "\\\\"
            default:
                if scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value < 0xA0) {
                    let hex = String(scalar.value, radix: 16)
                    text += "\\x" + (hex.count < 2 ? "0" : "") + hex
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        return limit < end ? text + "..." : text
    }

    /// Writes rows of a row-major matrix as CSV, `columns` values a line, each number in its
    /// shortest form that reads back as the same value.
    static func write<Element>(
        _ values: UnsafeBufferPointer<Element>, columns: Int, to sink: ByteSink, format: (Element) -> String
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
