import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TaskwireHub
import TaskwireProtocol
import TaskwireQueue
import TaskwireTesting
import Testing

/// Keeps `Resources/openapi.json` true: it lists exactly the routes the router serves, with
/// exactly their methods, and its schemas have exactly the fields the API writes.
@Suite struct OpenAPIDocumentTests {
    static let operationMethods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// The document as served.
    func document(_ client: some TestClientProtocol) async throws -> JSONValue {
        let response = try await client.get("/api/v1/openapi.json")
        #expect(response.status == .ok)
        #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
        return try JSONParser.parse(Array(response.body.readableBytesView))
    }

    @Test func everyRouteIsDocumentedWithItsMethodsAndNothingElse() async throws {
        let fixture = TaskAPIFixture()
        // Before the responder is built (which adds the HEAD routes).
        let registered = fixture.makeRouter().routes.reduce(into: [String: Set<String>]()) { routes, route in
            routes[route.path.description, default: []].insert(route.method.rawValue.lowercased())
        }
        try await fixture.test { client in
            let doc = try await document(client)
            #expect(doc.string("openapi")?.hasPrefix("3.1.") == true)
            guard case .object(let paths)? = doc["paths"] else {
                Issue.record("no paths")
                return
            }
            #expect(Set(paths.keys) == Set(registered.keys), "documented paths and routes differ")
            for (path, methods) in registered.sorted(by: { $0.key < $1.key }) {
                // `allowOnly` answers every other method 405 with `Allow`: OPTIONS tells which are served.
                let concrete = path.replacing(/\{[a-z_]+\}/, with: "x")
                let options = try await client.execute(uri: concrete, method: .options)
                let allow = options.headers[.allow] ?? ""
                let served = Set(allow.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
                    .subtracting(["head"])
                #expect(!served.isEmpty, "\(path): no Allow header on OPTIONS")
                #expect(served.isSubset(of: methods), "\(path)")
                guard case .object(let item)? = paths[path] else {
                    Issue.record("\(path) is not documented")
                    continue
                }
                let documented = Set(item.keys).intersection(Self.operationMethods)
                #expect(documented == served, "\(path): documented \(documented.sorted()), served \(served.sorted())")
            }
        }
    }

    @Test func everyOperationIsComplete() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            let doc = try await document(client)
            guard case .object(let paths)? = doc["paths"] else {
                Issue.record("no paths")
                return
            }
            var operationIDs: Set<String> = []
            for (path, item) in paths {
                guard case .object(let operations) = item else { continue }
                for (method, operation) in operations where Self.operationMethods.contains(method) {
                    let label = "\(method.uppercased()) \(path)"
                    if let id = operation.string("operationId") {
                        #expect(operationIDs.insert(id).inserted, "\(label): duplicate operationId")
                    } else {
                        Issue.record("\(label): no operationId")
                    }
                    // Every `{name}` of the path is a declared path parameter.
                    let names = path.matches(of: /\{([a-z_]+)\}/).map { String($0.output.1) }
                    let declared = parameters(of: operation, in: doc).filter { $0.string("in") == "path" }
                    #expect(Set(declared.compactMap { $0.string("name") }) == Set(names), "\(label): path parameters")
                    guard case .object(let responses)? = operation["responses"] else {
                        Issue.record("\(label): no responses")
                        continue
                    }
                    #expect(responses.keys.contains { $0.hasPrefix("2") }, "\(label): no success response")
                    for (status, response) in responses {
                        let resolved = resolve(response, in: doc)
                        #expect(resolved.string("description") != nil, "\(label) \(status): no description")
                        if status == "204" || status == "202" {
                            #expect(resolved["content"] == nil, "\(label) \(status) has a body")
                        } else {
                            guard case .object(let content)? = resolved["content"], let media = content.values.first else {
                                Issue.record("\(label) \(status): no content")
                                continue
                            }
                            #expect(media["schema"] != nil, "\(label) \(status): no schema")
                            if status.hasPrefix("4") || status.hasPrefix("5") {
                                #expect(media["schema"]?.string("$ref") == "#/components/schemas/Error", "\(label) \(status)")
                            }
                        }
                    }
                }
            }
            var refs: [String] = []
            collectRefs(doc, into: &refs)
            for ref in refs {
                #expect(lookUp(ref, in: doc) != nil, "unresolved \(ref)")
            }
        }
    }

    @Test func schemasHaveExactlyTheFieldsTheAPIWrites() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            let doc = try await document(client)
            let task = try await client.createTask()
            expectFields(of: task, match: "Task", in: doc)
            let status = try await client.get("/api/v1/queue/status").json
            expectFields(of: status, match: "QueueStatus", in: doc)
            if let counts = status["queues"]?["default"] { expectFields(of: counts, match: "TaskCounts", in: doc) }
            expectFields(of: try await client.get("/api/v1/tasks").json, match: "TaskPage", in: doc)
            expectFields(of: try await client.get("/api/v1/metrics").json, match: "HubMetrics", in: doc)
            let error = try await client.get("/api/v1/tasks/nope").json
            expectFields(of: error, match: "Error", in: doc)
        }
    }

    // MARK: Helpers

    func expectFields(of value: JSONValue, match schema: String, in doc: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) {
        guard case .object(let fields) = value, let definition = doc["components"]?["schemas"]?[schema],
            case .object(let properties)? = definition["properties"], case .array(let required)? = definition["required"]
        else {
            Issue.record("\(schema): not comparable", sourceLocation: sourceLocation)
            return
        }
        #expect(Set(fields.keys) == Set(properties.keys), "\(schema) properties", sourceLocation: sourceLocation)
        #expect(Set(required.compactMap(\.stringValue)) == Set(fields.keys), "\(schema) required", sourceLocation: sourceLocation)
        #expect(definition["additionalProperties"] == .bool(false), "\(schema) is closed", sourceLocation: sourceLocation)
    }

    func parameters(of operation: JSONValue, in doc: JSONValue) -> [JSONValue] {
        guard case .array(let list)? = operation["parameters"] else { return [] }
        return list.map { resolve($0, in: doc) }
    }

    func resolve(_ value: JSONValue, in doc: JSONValue) -> JSONValue {
        guard let ref = value.string("$ref") else { return value }
        return lookUp(ref, in: doc) ?? .null
    }

    func lookUp(_ ref: String, in doc: JSONValue) -> JSONValue? {
        guard ref.hasPrefix("#/") else { return nil }
        var node: JSONValue? = doc
        for key in ref.dropFirst(2).split(separator: "/") { node = node?[String(key)] }
        return node
    }

    func collectRefs(_ value: JSONValue, into refs: inout [String]) {
        switch value {
        case .object(let members):
            for (key, member) in members {
                if key == "$ref", let ref = member.stringValue { refs.append(ref) } else { collectRefs(member, into: &refs) }
            }
        case .array(let items):
            for item in items { collectRefs(item, into: &refs) }
        default:
            break
        }
    }
}
