import ArgumentParser
import Foundation
import TaskwireClient

/// The flags every client subcommand shares: where the server is and the credentials.
struct ClientOptions: ParsableArguments {
    @Option(
        name: .customLong("server"),
        help: ArgumentHelp("The server's base URL. [env TASKWIRE_SERVER, default http://127.0.0.1:8080]", valueName: "url")
    )
    var serverFlag: String?

    @Option(
        name: .customLong("token"),
        help: ArgumentHelp("Credentials (a JWT), sent as Authorization: Bearer. [env TASKWIRE_TOKEN]", valueName: "token")
    )
    var tokenFlag: String?

    /// The server's address, from the flag, else `TASKWIRE_SERVER`, else the local default.
    func server() throws -> ServerAddress {
        let text = serverFlag ?? ProcessInfo.processInfo.environment["TASKWIRE_SERVER"] ?? "http://127.0.0.1:8080"
        do {
            return try ServerAddress(text)
        } catch {
            throw ValidationError("--server: \(error.message)")
        }
    }

    /// The token, from the flag, else `TASKWIRE_TOKEN`.
    var token: String? { tokenFlag ?? ProcessInfo.processInfo.environment["TASKWIRE_TOKEN"] }

    /// A client of the HTTP API.
    func api(timeout: Duration = .seconds(30)) throws -> TaskwireHTTPClient {
        TaskwireHTTPClient(server: try server(), token: token, timeout: timeout)
    }

    /// A WebSocket client configuration.
    func clientConfiguration() throws -> TaskwireClientConfiguration {
        TaskwireClientConfiguration(server: try server(), token: token)
    }
}
