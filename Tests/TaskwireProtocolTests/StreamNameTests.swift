import Testing
import TaskwireProtocol

@Suite struct StreamNameTests {
    private func validate(_ name: String) -> Result<StreamName, TaskwireError> {
        Result { () throws(TaskwireError) -> StreamName in try StreamName(validating: name) }
    }

    @Test(arguments: [
        "task_created", "task_updated", "task_completed", "task_failed", "queue_status_changed",
        "system_notification", "user_notification",
    ])
    func recognisesTheWellKnownStreams(_ name: String) throws {
        let stream = try validate(name).get()
        #expect(stream.rawValue == name)
        #expect(stream.kind == .wellKnown)
        #expect(!stream.isClientPublishable)
        #expect(StreamName.wellKnownNames.contains(name))
    }

    @Test func wellKnownConstantsMatchTheirNames() throws {
        #expect(StreamName.wellKnownNames.count == 7)
        let constants: [StreamName] = [
            .taskCreated, .taskUpdated, .taskCompleted, .taskFailed, .queueStatusChanged, .systemNotification, .userNotification,
        ]
        #expect(Set(constants.map(\.rawValue)) == StreamName.wellKnownNames)
        for constant in constants {
            #expect(try validate(constant.rawValue).get() == constant)
        }
    }

    @Test func recognisesTaskStreams() throws {
        let stream = try validate("task:01HZ-abc_1.2").get()
        #expect(stream.kind == .task(id: "01HZ-abc_1.2"))
        #expect(!stream.isClientPublishable)
        #expect(stream == StreamName.task("01HZ-abc_1.2"))
    }

    @Test func recognisesQueueStreams() throws {
        let stream = try validate("queue:default").get()
        #expect(stream.kind == .queue(name: "default"))
        #expect(!stream.isClientPublishable)
        #expect(stream == StreamName.queue("default"))
    }

    @Test(arguments: ["news", "bench", "chat.room-1", "a", "A:b:c", "Task:1", "tasks:1", "queue", "task", "task_created2", "x:task:1", "_", "-.:"])
    func treatsOtherValidNamesAsCustom(_ name: String) throws {
        let stream = try validate(name).get()
        #expect(stream.kind == .custom)
        #expect(stream.isClientPublishable)
        #expect(stream.description == name)
    }

    @Test(arguments: ["", " ", "a b", "news!", "a/b", "é", "emoji😀", "tab\t", "new\nline", "a,b", "*", "task*", "q\u{0}"])
    func rejectsInvalidCharacters(_ name: String) throws {
        let error = try #require(validate(name).failure)
        #expect(error.code == .invalidEventType)
    }

    @Test func acceptsUpTo128Characters() throws {
        #expect(try validate(String(repeating: "a", count: 128)).get().kind == .custom)
        let error = try #require(validate(String(repeating: "a", count: 129)).failure)
        #expect(error.code == .invalidEventType)
        #expect(error.message.count < 300)
    }

    @Test func taskIDsAndQueueNamesHaveUpTo64Characters() throws {
        let id64 = String(repeating: "t", count: 64)
        let id65 = String(repeating: "t", count: 65)
        #expect(try validate("task:" + id64).get().kind == .task(id: id64))
        #expect(try validate("queue:" + id64).get().kind == .queue(name: id64))
        #expect(try #require(validate("task:" + id65).failure).code == .invalidEventType)
        #expect(try #require(validate("queue:" + id65).failure).code == .invalidEventType)
    }

    @Test(arguments: ["task:", "queue:", "task:a:b", "queue:x:y", "task::"])
    func rejectsEmptyOrColonScopedIDs(_ name: String) throws {
        #expect(try #require(validate(name).failure).code == .invalidEventType)
    }

    @Test func identifierValidationMatchesTheProtocol() {
        #expect(StreamName.isValidIdentifier("a-Z_0.9"))
        #expect(StreamName.isValidIdentifier(String(repeating: "x", count: 64)))
        #expect(!StreamName.isValidIdentifier(String(repeating: "x", count: 65)))
        #expect(!StreamName.isValidIdentifier(""))
        #expect(!StreamName.isValidIdentifier("a:b"))
        #expect(!StreamName.isValidIdentifier("a b"))
    }

    @Test func onlyCustomStreamsArePublishableByClients() throws {
        #expect(!StreamName.taskUpdated.isClientPublishable)
        #expect(!StreamName.task("1").isClientPublishable)
        #expect(!StreamName.queue("q").isClientPublishable)
        #expect(try validate("custom.stream").get().isClientPublishable)
    }
}

extension Result {
    /// The error, when this is a failure.
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
