public import Hummingbird
public import TaskwireHub

/// The request context of Taskwire's HTTP API: Hummingbird's core context and what the
/// request's credentials allow (set by ``AuthMiddleware``).
public struct TaskwireRequestContext: RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// What the request may do: from its JWT, or anonymous where the configuration allows it.
    public var access: Access = .anonymous

    /// Creates the context of one request.
    public init(source: Source) {
        self.coreContext = .init(source: source)
    }
}
