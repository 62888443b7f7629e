import ArgumentParser
import Foundation
import TaskwireAuth
import TaskwireServer

/// `taskwire token`: mints an HS256 token for given claims with the configured secret, for
/// operators and tests. The secret comes from `--jwt-secret`, `TASKWIRE_AUTH_JWT_SECRET` or the
/// config file; the token is printed on standard output, nothing else.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Mint a JWT for given claims with the configured HS256 secret.",
        discussion: """
            Example: taskwire token --sub alice --subscribe 'task:*' --subscribe task_updated --api tasks --expires-in 1h
            """
    )

    @Option(name: .customLong("config"), help: ArgumentHelp("A JSON config file. [env TASKWIRE_CONFIG]", valueName: "path"))
    var configFile: String?

    @Option(name: .customLong("jwt-secret"), help: ArgumentHelp("The HS256 secret. [env TASKWIRE_AUTH_JWT_SECRET]", valueName: "secret"))
    var jwtSecret: String?

    @Option(help: ArgumentHelp("The user id (claim sub).", valueName: "user"))
    var sub: String?

    @Option(help: ArgumentHelp("The session id (claim sid).", valueName: "session"))
    var sid: String?

    @Option(help: ArgumentHelp("A stream pattern the holder may subscribe to, e.g. 'task:*' (repeatable).", valueName: "pattern"))
    var subscribe: [String] = []

    @Option(help: ArgumentHelp("A stream pattern the holder may publish on (repeatable).", valueName: "pattern"))
    var publish: [String] = []

    @Option(help: ArgumentHelp("An API family the holder may use: tasks or worker (repeatable).", valueName: "family"))
    var api: [String] = []

    @Flag(help: "Admin rights: every stream and every API.")
    var admin = false

    @Option(
        name: .customLong("expires-in"),
        help: ArgumentHelp("How long the token is valid (30s, 15m, 1h, …), or 'never'.", valueName: "duration")
    )
    var expiresIn = "1h"

    @Option(name: .customLong("not-before"), help: ArgumentHelp("When it becomes valid, from now (claim nbf).", valueName: "duration"))
    var notBefore: String?

    func validate() throws {
        if expiresIn != "never", ConfigText.duration(expiresIn) == nil {
            throw ValidationError("--expires-in must be a duration such as 30s, 15m, 1h, or never")
        }
        if let notBefore, ConfigText.duration(notBefore) == nil {
            throw ValidationError("--not-before must be a duration such as 30s, 15m, 1h")
        }
        for family in api where family != "tasks" && family != "worker" {
            throw ValidationError("--api takes tasks or worker, not \(family)")
        }
    }

    func run() async throws {
        let flags = jwtSecret.map { [TaskwireConfiguration.Key.authJWTSecret.name: $0] } ?? [:]
        let configuration = try await TaskwireConfiguration.load(flags: flags, configFile: configFile)
        guard let secret = configuration.auth.jwtSecret, !secret.isEmpty else {
            throw ValidationError("no secret: give --jwt-secret, TASKWIRE_AUTH_JWT_SECRET or auth.jwt_secret in the config file")
        }
        let now = Date()
        let claims = TaskwireClaims(
            sub: sub,
            sid: sid,
            exp: expiresIn == "never" ? nil : now.addingTimeInterval(ConfigText.duration(expiresIn)!.seconds),
            nbf: notBefore.map { now.addingTimeInterval(ConfigText.duration($0)!.seconds) },
            subscribe: subscribe.isEmpty ? nil : subscribe,
            publish: publish.isEmpty ? nil : publish,
            api: api.isEmpty ? nil : api,
            admin: admin ? true : nil
        )
        print(try await TokenMinter(secret: secret).mint(claims))
    }
}

extension Duration {
    /// The duration in seconds, fractions included.
    fileprivate var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
