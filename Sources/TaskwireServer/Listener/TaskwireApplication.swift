public import Hummingbird
import HTTPTypes
import HummingbirdCore
import NIOHTTP1
public import Logging
public import NIOCore
public import ServiceLifecycle
import TaskwireWebSocket

/// A Hummingbird application served by Taskwire's own listener (``TaskwireListener``).
///
/// Everything but the server socket is Hummingbird's `Application`: the router, the services,
/// the processes run before the server starts. `run()` starts the same services, with the
/// listener in place of Hummingbird's server, and answers requests as Hummingbird does (its
/// responder, a `Date` header, a 500 for an unexpected error).
///
/// HummingbirdTesting's `.live` framework runs applications through Hummingbird's default
/// `run()`, so there ``server`` (Hummingbird's server with the same per-connection setup)
/// serves instead; `.router` tests use ``responder`` alone.
public struct TaskwireApplication<Responder: HTTPResponder>: ApplicationProtocol
where Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
    /// The application: router, services, configuration.
    public var base: Application<Responder>
    /// The per-connection setup, given the HTTP responder.
    let connections: @Sendable (@escaping HTTPChannelHandler.Responder) -> TaskwireChildChannel
    /// Where to listen.
    let listener: TaskwireListener.Configuration

    init(
        base: Application<Responder>,
        listener: TaskwireListener.Configuration,
        connections: @escaping @Sendable (@escaping HTTPChannelHandler.Responder) -> TaskwireChildChannel
    ) {
        self.base = base
        self.listener = listener
        self.connections = connections
    }

    public var responder: Responder { base.responder }
    public var server: HTTPServerBuilder { base.server }
    public var eventLoopGroup: any EventLoopGroup { base.eventLoopGroup }
    public var configuration: ApplicationConfiguration { base.configuration }
    public var logger: Logger { base.logger }
    public var services: [any Service] { base.services }
    public var processesRunBeforeServerStart: [@Sendable () async throws -> Void] { base.processesRunBeforeServerStart }
    @Sendable public func onServerRunning(_ channel: any Channel) async { await base.onServerRunning(channel) }

    public func run() async throws {
        let dates = HTTPDateCache()
        let listener = TaskwireListener(
            connections: connections(Self.respond(with: responder, dates: dates, serverName: configuration.serverName, logger: logger)),
            configuration: self.listener,
            eventLoopGroup: eventLoopGroup,
            logger: logger,
            onServerRunning: { await self.onServerRunning($0) }
        )
        let prelude = processesRunBeforeServerStart
        let server = AfterPrelude(prelude: prelude, service: listener)
        try await ServiceGroup(configuration: .init(services: services + [dates, server], logger: logger)).run()
    }

    /// Hummingbird's request handling: the responder's response, or a 500 for an error it did
    /// not turn into one, with the `Date` (and `Server`) header.
    private static func respond(
        with responder: Responder,
        dates: HTTPDateCache,
        serverName: String?,
        logger: Logger
    ) -> HTTPChannelHandler.Responder {
        { request, writer, channel in
            var logger = logger
            logger[metadataKey: "hb.request.id"] = .stringConvertible(RequestID())
            let context = Responder.Context(source: .init(channel: channel, logger: logger))
            var response: Response
            do {
                response = try await withLogger(logger) { _ in try await responder.respond(to: request, context: context) }
            } catch let error as HTTPParserError {
                throw error
            } catch {
                logger.debug("Unrecognised Error", metadata: ["error.type": "\(error)"])
                response = Response(status: .internalServerError, body: .init())
            }
            response.headers[.date] = dates.date
            if let serverName { response.headers[.server] = serverName }
            do {
                try await writer.write(response: response.head, body: response.body)
            } catch is HTTPParserError {
                // Not the parser error itself: the connection would answer it with a second response.
                throw ResponseWriteFailed()
            }
        }
    }
}

/// A request became unreadable while its response was being written: the connection closes.
private struct ResponseWriteFailed: Error {}

/// Runs the processes that must finish before the server starts, then the server.
private struct AfterPrelude<S: Service>: Service {
    let prelude: [@Sendable () async throws -> Void]
    let service: S

    func run() async throws {
        for process in prelude { try await process() }
        try await service.run()
    }
}
