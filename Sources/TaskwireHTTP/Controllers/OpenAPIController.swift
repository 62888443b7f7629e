import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of the whole HTTP API.
///
/// The document is written by hand (`Resources/openapi.json`) and compiled into the binary; a
/// test checks that it lists exactly the routes the router has.
struct OpenAPIController: Sendable {
    /// The document's bytes.
    static let document = ByteBuffer(bytes: PackageResources.openapi_json)

    func addRoutes(to router: some RouterMethods<TaskwireRequestContext>) {
        router.get("openapi.json", use: document)
        router.allowOnly([.get], on: "openapi.json")
    }

    @Sendable func document(_ request: Request, context: TaskwireRequestContext) -> Response {
        .json(Self.document)
    }
}
