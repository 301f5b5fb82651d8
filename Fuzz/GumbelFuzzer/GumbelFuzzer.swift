// libFuzzer entry point for the tool's whole sample / categorical / topk path: the streaming .npy
// and CSV readers (header and data), the sampler and the .npy and CSV writers. Compiled by
// Fuzz/run.sh together with Sources/gumbel's pipeline files; not part of the package build.
import GumbelSoftmax
import SystemPackage

/// Two reusable unlinked temporary files: the input and the output.
nonisolated(unsafe) private var files: (input: FileDescriptor, output: FileDescriptor)?

private func temporaryFile() -> FileDescriptor {
    var template = Array("/tmp/gumbel-fuzz-XXXXXX".utf8CString)
    let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    precondition(descriptor >= 0, "mkstemp failed")
    template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
    return FileDescriptor(rawValue: descriptor)
}

/// The outcome of one run: the output's bytes, or the refusal's message.
private enum Outcome: Equatable {
    case written([UInt8])
    case refused(String)
}

private func runPipeline<Operation: BlockOperation>(
    _ payload: UnsafeRawBufferPointer, csv: Bool, npyOutput: Bool, operation: Operation, blockRows: Int?
) -> Outcome {
    let (input, output) = files!
    _ = ftruncate(input.rawValue, 0)
    _ = ftruncate(output.rawValue, 0)
    _ = try? input.writeAll(toAbsoluteOffset: 0, payload)
    _ = try? input.seek(offset: 0, from: .start)
    _ = try? output.seek(offset: 0, from: .start)
    let source: any LogitSource
    let reader = InputFile(descriptor: input, name: "fuzz input")
    do {
        source = csv ? try CSVSource(input: reader) : NpySource(input: reader)
    } catch {
        return .refused(error.description)
    }
    let sink = ByteSink(descriptor: output, name: "fuzz output")
    var generator = PhiloxGenerator(seed: 7, stream: 1, position: 0xFFFF_FFFF_FFFF_FF00)
    do {
        try Pipeline(operation: operation, threads: 1, blockRows: blockRows)
            .run(source: source, sink: sink, format: npyOutput, using: &generator)
    } catch let error as CommandFailure {
        return .refused(error.description)
    } catch let error as GumbelSoftmaxError {
        return .refused(error.description)
    } catch {
        preconditionFailure("unexpected error type: \(error)")
    }
    guard let size = try? output.seek(offset: 0, from: .end) else { preconditionFailure("seek failed") }
    var bytes = [UInt8](repeating: 0, count: Int(size))
    let got = bytes.withUnsafeMutableBytes { (try? output.read(fromAbsoluteOffset: 0, into: $0)) ?? -1 }
    precondition(got == Int(size), "short read of the output")
    return .written(bytes)
}

/// Byte 0 picks the input format, the output format and the operation; byte 1 the block size and k;
/// the rest is the input file. Every input must be refused with a message or give an output, the
/// same for a whole-input run and a run in blocks of 1 to 8 rows; a trap or an AddressSanitizer
/// report is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGumbelPipeline(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    if files == nil { files = (temporaryFile(), temporaryFile()) }
    let control = data[0]
    let csv = control & 1 != 0
    let npyOutput = control & 2 != 0
    let blockRows = Int(data[1] >> 2) % 8 + 1
    let payload = UnsafeRawBufferPointer(start: data + 2, count: size - 2)
    func wholeAndBlocks<Operation: BlockOperation>(_ operation: Operation) -> (Outcome, Outcome) {
        (
            runPipeline(payload, csv: csv, npyOutput: npyOutput, operation: operation, blockRows: nil),
            runPipeline(payload, csv: csv, npyOutput: npyOutput, operation: operation, blockRows: blockRows)
        )
    }
    let (whole, blocks): (Outcome, Outcome)
    switch (control >> 2) % 5 {
    case 0: (whole, blocks) = wholeAndBlocks(SampleOperation(output: .soft, temperature: 0.7))
    case 1: (whole, blocks) = wholeAndBlocks(SampleOperation(output: .hard, temperature: 1))
    case 2: (whole, blocks) = wholeAndBlocks(SampleOperation(output: .log, temperature: 3))
    case 3: (whole, blocks) = wholeAndBlocks(CategoricalOperation())
    default: (whole, blocks) = wholeAndBlocks(TopKOperation(k: Int(data[1] & 3) + 1))
    }
    switch (whole, blocks) {
    case (.written(let a), .written(let b)):
        precondition(a == b, "block size changed the output")
    case (.refused, .refused):
        break  // the message may name a different row count only for truncation; both refuse
    default:
        preconditionFailure("block size changed whether the input is refused: \(whole) vs \(blocks)")
    }
    return 0
}
