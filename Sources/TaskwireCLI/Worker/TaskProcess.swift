import Foundation
import Synchronization

/// One run of the worker's command for a task: the payload on standard input, standard output
/// and standard error as lines, and the exit status.
///
/// The command is started with `posix_spawn` through `/usr/bin/env` (which finds it on `PATH`),
/// in a process group of its own, with every signal unblocked and at its default action: the
/// worker's threads block or ignore signals (SIGTERM, SIGPIPE) that the command must not inherit.
/// Each pipe is read by a thread of its own, so a command that prints a lot never blocks.
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
    private let pid: pid_t
    private let exit = ExitLatch()

    /// Starts `command` with `environment` added to this process's, writing `input` to its standard input.
    ///
    /// - Throws: `POSIXError` when the pipes cannot be made or the command cannot be started.
    init(command: [String], environment: [String: String], input: Data) throws {
        // Pipes are made and the command started under one lock: between `pipe` and `fcntl`,
        // another command started at that moment would inherit the new pipe.
        let (pid, stdinWrite, stdoutRead, stderrRead) = try Self.spawnLock.withLock { _ in
            try Self.spawn(command: command, environment: environment)
        }
        self.pid = pid
        self.stdout = Self.lines(of: FileHandle(fileDescriptor: stdoutRead, closeOnDealloc: true))
        self.stderr = Self.lines(of: FileHandle(fileDescriptor: stderrRead, closeOnDealloc: true))
        let writer = FileHandle(fileDescriptor: stdinWrite, closeOnDealloc: true)
        Thread.detachNewThread {
            // A command that does not read its input closes the pipe: that is not an error
            // (SIGPIPE is ignored by the worker, so the write just fails).
            try? writer.write(contentsOf: input)
            try? writer.close()
        }
        let latch = exit
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            latch.set(status & 0x7f == 0 ? .status((status >> 8) & 0xff) : .signal(status & 0x7f))
        }
    }

    private static let spawnLock = Mutex(())

    /// Starts the command. - Returns: its pid and the parent's ends of its three pipes.
    private static func spawn(command: [String], environment: [String: String]) throws -> (pid_t, Int32, Int32, Int32) {
        let stdinPipe = try Self.makePipe()
        let stdoutPipe = try Self.makePipe()
        let stderrPipe = try Self.makePipe()
        let parentEnds = [stdinPipe.write, stdoutPipe.read, stderrPipe.read]
        let childEnds = [stdinPipe.read, stdoutPipe.write, stderrPipe.write]
        defer { for fd in childEnds { close(fd) } }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (fd, target) in zip(childEnds, [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO]) {
            posix_spawn_file_actions_adddup2(&actions, fd, target)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let arguments = ["/usr/bin/env"] + command
        let variables = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }.map { "\($0)=\($1)" }
        var pid: pid_t = 0
        let result = Self.withCStrings(arguments) { argv in
            Self.withCStrings(variables) { envp in
                posix_spawn(&pid, "/usr/bin/env", &actions, &attributes, argv, envp)
            }
        }
        guard result == 0 else {
            for fd in parentEnds { close(fd) }
            throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EINVAL)
        }
        return (pid, stdinPipe.write, stdoutPipe.read, stderrPipe.read)
    }

    /// Waits until the command ends (also when the waiting task is cancelled: a run always ends with its exit).
    func waitForExit() async -> Exit {
        await exit.wait()
    }

    /// Asks the command, and whatever it started in its process group, to stop (SIGTERM).
    func terminate() {
        guard !exit.isSet else { return }
        if kill(-pid, SIGTERM) != 0 { kill(pid, SIGTERM) }
    }

    private static func makePipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        // Close-on-exec: a command must not inherit the pipes of the others running beside it.
        guard pipe(&fds) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    /// Calls `body` with a NULL-terminated C array of `strings`.
    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        return body(pointers)
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

/// The exit of a process, set once by the thread that waits for it, awaited by the worker.
private final class ExitLatch: Sendable {
    private let state = Mutex<(exit: TaskProcess.Exit?, waiters: [CheckedContinuation<TaskProcess.Exit, Never>])>((nil, []))

    var isSet: Bool { state.withLock { $0.exit != nil } }

    func set(_ exit: TaskProcess.Exit) {
        let waiters = state.withLock { state in
            state.exit = exit
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: exit) }
    }

    func wait() async -> TaskProcess.Exit {
        await withCheckedContinuation { waiter in
            let exit = state.withLock { state in
                if state.exit == nil { state.waiters.append(waiter) }
                return state.exit
            }
            if let exit { waiter.resume(returning: exit) }
        }
    }
}
