import HTTPTypes
import Hummingbird

/// The live dashboard, compiled into the binary (`Resources/dashboard`): `GET /` (the page),
/// `GET /dashboard/{file}` (its styles and scripts) and `GET /taskwire-client.js` (the
/// JavaScript client module the dashboard uses, for other web apps too).
///
/// The page loads nothing from elsewhere; its content security policy says so.
struct DashboardController: Sendable {
    static let page = StaticAsset(
        PackageResources.index_html,
        contentType: "text/html; charset=utf-8",
        extraHeaders: [
            .contentSecurityPolicy:
                "default-src 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        ]
    )

    static let client = StaticAsset(PackageResources.taskwire_client_js, contentType: javaScript)

    /// The files under `/dashboard/`, by name.
    static let files: [String: StaticAsset] = [
        "dashboard.css": StaticAsset(PackageResources.dashboard_css, contentType: "text/css; charset=utf-8"),
        "dashboard.js": StaticAsset(PackageResources.dashboard_js, contentType: javaScript),
        "api.js": StaticAsset(PackageResources.api_js, contentType: javaScript),
        "chart.js": StaticAsset(PackageResources.chart_js, contentType: javaScript),
        "dom.js": StaticAsset(PackageResources.dom_js, contentType: javaScript),
        "panels.js": StaticAsset(PackageResources.panels_js, contentType: javaScript),
        "submit-form.js": StaticAsset(PackageResources.submit_form_js, contentType: javaScript),
        "task-details.js": StaticAsset(PackageResources.task_details_js, contentType: javaScript),
        "task-table.js": StaticAsset(PackageResources.task_table_js, contentType: javaScript),
    ]

    static let javaScript = "text/javascript; charset=utf-8"

    func addRoutes(to router: some RouterMethods<TaskwireRequestContext>) {
        router.get("/") { request, _ in Self.page.response(to: request) }
        router.allowOnly([.get], on: "/")
        router.get("taskwire-client.js") { request, _ in Self.client.response(to: request) }
        router.allowOnly([.get], on: "taskwire-client.js")
        router.get("dashboard/{file}") { request, context in
            let name = try context.parameters.require("file")
            guard let asset = Self.files[name] else { throw HTTPAPIError(.notFound, "no dashboard file named \"\(name)\"") }
            return asset.response(to: request)
        }
        router.allowOnly([.get], on: "dashboard/{file}")
    }
}
