public import NIOCore
public import TaskwireHub

/// A hub shard's executor backed by one SwiftNIO event loop.
public final class EventLoopExecutor: HubExecutor {
    /// The event loop the shard runs on.
    public let eventLoop: any EventLoop

    public init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public var inExecutor: Bool { eventLoop.inEventLoop }

    public func execute(_ work: @escaping @Sendable () -> Void) {
        eventLoop.execute(work)
    }

    /// One executor per event loop of `group`: the hub gets one shard per loop.
    public static func executors(for group: any EventLoopGroup) -> [EventLoopExecutor] {
        group.makeIterator().map { EventLoopExecutor($0) }
    }
}
