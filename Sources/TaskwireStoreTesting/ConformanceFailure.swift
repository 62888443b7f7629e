import Synchronization
import TaskwireQueue

/// A store behaved differently from the ``TaskStore`` contract.
public struct ConformanceFailure: Error, CustomStringConvertible {
    /// What was expected and what happened.
    public var message: String
    /// The check that failed, once known.
    public var check: String?
    /// Where in the suite the expectation is written (`file:line`).
    public var location: String

    /// - Parameters:
    ///   - message: what was expected and what happened.
    ///   - check: the check's name, when known.
    public init(_ message: String, check: String? = nil, fileID: String = #fileID, line: Int = #line) {
        self.message = message
        self.check = check
        self.location = "\(fileID):\(line)"
    }

    public var description: String {
        "\(check.map { "[\($0)] " } ?? "")\(message) (\(location))"
    }
}

// MARK: - Expectations

/// Throws a ``ConformanceFailure`` with `message` unless `condition` holds.
func expect(_ condition: Bool, _ message: @autoclosure () -> String, fileID: String = #fileID, line: Int = #line) throws {
    if !condition { throw ConformanceFailure(message(), fileID: fileID, line: line) }
}

/// Throws unless `actual == expected`, showing both.
func expectEqual<T: Equatable>(
    _ actual: T,
    _ expected: T,
    _ what: @autoclosure () -> String,
    fileID: String = #fileID,
    line: Int = #line
) throws {
    if actual != expected {
        throw ConformanceFailure("\(what()): expected \(expected), got \(actual)", fileID: fileID, line: line)
    }
}

/// Returns `value`, or throws when it is nil.
func expectPresent<T>(_ value: T?, _ what: @autoclosure () -> String, fileID: String = #fileID, line: Int = #line) throws -> T {
    guard let value else { throw ConformanceFailure("\(what()): expected a value, got nil", fileID: fileID, line: line) }
    return value
}

/// Throws unless `body` throws a ``TaskQueueError`` with `code`; returns that error.
@discardableResult
func expectError(
    _ code: TaskQueueError.Code,
    _ what: @autoclosure () -> String,
    fileID: String = #fileID,
    line: Int = #line,
    _ body: () async throws -> Void
) async throws -> TaskQueueError {
    do {
        try await body()
    } catch let error as TaskQueueError {
        try expectEqual(error.code, code, "\(what()): error code", fileID: fileID, line: line)
        return error
    } catch {
        throw ConformanceFailure("\(what()): expected TaskQueueError \(code), got \(String(reflecting: error))", fileID: fileID, line: line)
    }
    throw ConformanceFailure("\(what()): expected TaskQueueError \(code), nothing was thrown", fileID: fileID, line: line)
}

/// Whether two texts have the same UTF-8 bytes (`==` on `String` compares canonical equivalence).
func sameBytes(_ a: String?, _ b: String?) -> Bool {
    switch (a, b) {
    case (nil, nil): true
    case (let a?, let b?): Array(a.utf8) == Array(b.utf8)
    default: false
    }
}

// MARK: - Commit recorder

/// Records every `onCommit` call a store makes.
final class CommitRecorder: Sendable {
    private let calls = Mutex<[[TaskChange]]>([])

    /// The observer to pass to a store.
    var observer: CommitObserver {
        { [self] changes in calls.withLock { $0.append(changes) } }
    }

    /// Every call so far, each with its changes.
    var recorded: [[TaskChange]] { calls.withLock { $0 } }

    /// Removes and returns the calls so far.
    func take() -> [[TaskChange]] {
        calls.withLock { calls in
            defer { calls.removeAll() }
            return calls
        }
    }
}

/// Hands out 1, 2, 3, … to callers on any thread.
final class Sequencer: Sendable {
    private let last = Mutex(0)

    func next() -> Int {
        last.withLock { value in
            value += 1
            return value
        }
    }
}

/// Values compared without their event numbering (``TaskRecord/eventSeq`` and
/// ``TaskChange/event``): most checks are about records, and `taskEventsAreNumberedWithEachChange`
/// checks the numbering on its own.
protocol IgnoringEventNumbers {
    var ignoringEventNumbers: Self { get }
}

extension TaskRecord: IgnoringEventNumbers {
    var ignoringEventNumbers: TaskRecord {
        var copy = self
        copy.eventSeq = 0
        return copy
    }
}

extension TaskChange: IgnoringEventNumbers {
    var ignoringEventNumbers: TaskChange {
        TaskChange(before: before?.ignoringEventNumbers, after: after.ignoringEventNumbers, event: nil)
    }
}

extension TaskPage: IgnoringEventNumbers {
    var ignoringEventNumbers: TaskPage { TaskPage(tasks: tasks.ignoringEventNumbers, nextCursor: nextCursor) }
}

extension Optional: IgnoringEventNumbers where Wrapped: IgnoringEventNumbers {
    var ignoringEventNumbers: Self { map(\.ignoringEventNumbers) }
}

extension Array: IgnoringEventNumbers where Element: IgnoringEventNumbers {
    var ignoringEventNumbers: Self { map(\.ignoringEventNumbers) }
}

/// Throws unless `actual` equals `expected`, their event numbering left aside.
func expectEqual<T: Equatable & IgnoringEventNumbers>(
    _ actual: T,
    _ expected: T,
    _ what: @autoclosure () -> String,
    fileID: String = #fileID,
    line: Int = #line
) throws {
    if actual.ignoringEventNumbers != expected.ignoringEventNumbers {
        throw ConformanceFailure("\(what()): expected \(expected), got \(actual)", fileID: fileID, line: line)
    }
}
