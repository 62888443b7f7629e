import Foundation

/// One run of the worker's command for a task: the payload on standard input, standard output
/// and standard error as lines, and the exit status.
///
/// Runs through Foundation's `Process` (`/usr/bin/env` finds the command on `PATH`); each pipe
/// is read by a thread of its own, so a command that prints a lot never blocks on a full pipe.
final class TaskProcess: Sendable {
    /// How the command ended.
    enum Exit: Sendable, Equatable {
        case status(Int32)
        case signal(Int32)

        var succeeded: Bool { self == .status(0) }

        var description: String {
            switch self {
            case .status(let code): "exit status \(code)"
            case .signal(let signal): "killed by signal \(signal)"
            }
        }
    }

    let stdout: AsyncStream<String>
    let stderr: AsyncStream<String>
    private let exits: AsyncStream<Exit>
    private let process: Process

    /// Starts `command` with `environment` added to this process's, writing `input` to its standard input.
    ///
    /// - Throws: when the command cannot be started.
    init(command: [String], environment: [String: String], input: Data) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let stdin = Pipe()
        let stdoutPipe = Pipe()
        let stderrPipe = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        let (exits, exitContinuation) = AsyncStream<Exit>.makeStream()
        process.terminationHandler = { process in
            switch process.terminationReason {
            case .exit: exitContinuation.yield(.status(process.terminationStatus))
            case .uncaughtSignal: exitContinuation.yield(.signal(process.terminationStatus))
            @unknown default: exitContinuation.yield(.status(process.terminationStatus))
            }
            exitContinuation.finish()
        }
        try process.run()
        self.process = process
        self.exits = exits
        self.stdout = Self.lines(of: stdoutPipe.fileHandleForReading)
        self.stderr = Self.lines(of: stderrPipe.fileHandleForReading)
        let writer = stdin.fileHandleForWriting
        Thread.detachNewThread {
            // A command that does not read its input closes the pipe: that is not an error.
            try? writer.write(contentsOf: input)
            try? writer.close()
        }
    }

    /// Waits until the command ends.
    func waitForExit() async -> Exit {
        for await exit in exits { return exit }
        return .status(process.terminationStatus)
    }

    /// Asks the command to stop (SIGTERM).
    func terminate() {
        if process.isRunning { process.terminate() }
    }

    /// The lines read from `handle` until end of file, without their newlines.
    private static func lines(of handle: FileHandle) -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        Thread.detachNewThread {
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    continuation.yield(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                    pending.removeSubrange(pending.startIndex...newline)
                }
            }
            if !pending.isEmpty { continuation.yield(String(decoding: pending, as: UTF8.self)) }
            continuation.finish()
            try? handle.close()
        }
        return stream
    }
}
