import Foundation
import Testing

/// `Scripts/finish-manual` on a page shaped as argument-parser's generate-manual writes it, with
/// the tool's own description (`gumbel --experimental-dump-help`, what the plugin reads).
@Suite struct ManualTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Runs `Scripts/finish-manual` on `page`; returns its standard output.
    func finish(_ page: String, in scratch: Scratch) throws -> String {
        try scratch.write("generated.1", page)
        let script = Self.packageRoot.appendingPathComponent("Scripts/finish-manual").path
        let result = try GumbelTool.run(
            ["-c", "exec sh \"$0\" < generated.1", script], in: scratch.url, executable: URL(fileURLWithPath: "/bin/sh")
        )
        #expect(result.status == 0, "\(result.standardError)")
        return result.standardOutput
    }

    @Test func exitStatusesAndNoEmptyLines() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let help = try scratch.run(["--experimental-dump-help"])
        let root = try JSONSerialization.jsonObject(with: Data(help.standardOutput.utf8)) as? [String: Any]
        let discussion = try #require((root?["command"] as? [String: Any])?["discussion"] as? String)
        #expect(discussion.contains("Exit status:\n"))
        let page = """
            .Dd December 7, 2026
            .Dt GUMBEL 1
            .Os
            .Sh NAME
            .Nm gumbel
            .Nd "Gumbel-Softmax sampling."
            .Sh DESCRIPTION
            \(discussion)
            .Bl -tag -width 6n
            .It Fl -version
            Show the version.
            .El
            .Sh "EXIT STATUS"
            .Ex -std

            """
        let finished = try finish(page, in: scratch)
        let lines = finished.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(!lines.contains(""), "an empty input line")
        #expect(!finished.contains(".Ex -std"))
        #expect(!finished.contains("Exit status:"))
        let exitSection = try #require(finished.components(separatedBy: ".Sh \"EXIT STATUS\"\n").last)
        for status in ["0", "1", "64", "129", "130", "143"] {
            #expect(exitSection.contains(".It \(status)\n"), "status \(status)")
        }
        #expect(exitSection.contains(".It 64\na usage error"))
        #expect(finished.contains(".Bd -literal -offset indent\ngumbel demo\n"))
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/groff") {
            try scratch.write("finished.1", finished)
            let groff = try GumbelTool.run(
                ["-mandoc", "-Tutf8", "-ww", "-z", "finished.1"], in: scratch.url,
                executable: URL(fileURLWithPath: "/usr/bin/groff"))
            #expect(groff.status == 0 && groff.standardError.isEmpty, "\(groff.standardError)")
        }
    }
}
